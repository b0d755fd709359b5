"""The banded convolution of groundup.conv_gemm (what scratch's Conv2d and autograd's conv2d
run) against the loops of scratch.conv_naive and the one-matrix im2col form, for every way of
cutting the output into bands; and the memory orders it hands on: its output in the GEMM's
order, the input gradient in the input's, the pools' output in their input's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundup.conv_gemm import bands, conv2d_backward, conv2d_forward
from groundup.im2col import col2im, im2col, pad, unpad
from groundup.pooling import max_pool_backward, max_pool_forward, same_order
from groundup.scratch.conv_naive import conv2d_backward_naive, conv2d_naive
from test_conv import conv_cases  # the shapes the other convolution tests draw

FAST = settings(max_examples=25, deadline=None, derandomize=True)
EXACT = dict(rtol=1e-12, atol=1e-12)  # float64: the same sums in another order
BUDGETS = [1, 200, None]  # bytes per band: one pixel per band, a part of a row, the default


@FAST
@given(Ho=st.integers(1, 20), Wo=st.integers(1, 20), pixel_bytes=st.integers(1, 5000),
       budget=st.integers(1, 20000))
def test_bands_cover_every_output_pixel_once_in_order(Ho, Wo, pixel_bytes, budget):
    pixels = []
    for band in bands((Ho, Wo), pixel_bytes, budget):
        assert band.i1 == band.i0 + 1 or (band.j0, band.j1) == (0, Wo)  # rows, or part of one
        pixels += [(i, j) for i in range(band.i0, band.i1) for j in range(band.j0, band.j1)]
        cols = band.columns(Wo, 1)
        assert cols.stop - cols.start == (band.i1 - band.i0) * (band.j1 - band.j0)
    assert pixels == [(i, j) for i in range(Ho) for j in range(Wo)]


@FAST
@given(case=conv_cases(), seed=st.integers(0, 10**6), budget=st.sampled_from(BUDGETS),
       bias=st.booleans())
def test_banded_convolution_equals_the_loops(case, seed, budget, bias):
    N, C, O, H, W, kernel, stride, padding = case
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, H, W))
    Wt = rng.standard_normal((O, C, *kernel))
    b = rng.standard_normal(O) if bias else None
    Y, saved = conv2d_forward(X, Wt, b, stride, padding, budget)
    np.testing.assert_allclose(Y, conv2d_naive(X, Wt, b if bias else np.zeros(O), stride,
                                               padding), **EXACT)
    dY = rng.standard_normal(Y.shape)
    dX, dW, db = conv2d_backward(dY, saved, Wt, stride, padding, budget=budget)
    dX_loop, dW_loop, db_loop = conv2d_backward_naive(dY, X, Wt, stride, padding)
    np.testing.assert_allclose(dX, dX_loop, **EXACT)
    np.testing.assert_allclose(dW, dW_loop, **EXACT)
    np.testing.assert_allclose(db, db_loop, **EXACT)


def test_the_recipe_layer_in_part_row_bands_equals_one_matrix_product():
    # a 32 -> 64 channel 5x5 convolution on 14x14 maps (8 images), cut so
    # that each row of output pixels is split over bands, against im2col's single GEMM
    rng = np.random.default_rng(0)
    X, Wt, b = (rng.standard_normal((8, 32, 14, 14)), rng.standard_normal((64, 32, 5, 5)),
                rng.standard_normal(64))
    Xp = pad(X, (2, 2))
    cols = im2col(Xp, (5, 5), (1, 1), (14, 14))  # (800, 8·14·14), columns (n, i, j)
    W2 = Wt.reshape(64, -1)
    Y_ref = (W2 @ cols).reshape(64, 8, 14, 14).transpose(1, 0, 2, 3) + b[:, None, None]
    dY = rng.standard_normal(Y_ref.shape)
    delta = dY.transpose(1, 0, 2, 3).reshape(64, -1)
    budget = 800 * 8 * 8 * 5  # 5 output pixels of all 8 images: 3 bands per row
    assert len(bands((14, 14), 800 * 8 * 8, budget)) == 14 * 3
    Y, saved = conv2d_forward(X, Wt, b, (1, 1), (2, 2), budget)
    dX, dW, db = conv2d_backward(dY, saved, Wt, (1, 1), (2, 2), budget=budget)
    np.testing.assert_allclose(Y, Y_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dW, (delta @ cols.T).reshape(Wt.shape), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db, delta.sum(axis=1), rtol=1e-10, atol=1e-10)
    dX_ref = unpad(col2im(W2.T @ delta, Xp.shape, (5, 5), (1, 1), (14, 14)), (2, 2))
    np.testing.assert_allclose(dX, dX_ref, rtol=1e-10, atol=1e-10)


def _memory_order(a: np.ndarray) -> tuple:
    """The axes of ``a`` from the largest stride to the smallest."""
    return tuple(np.argsort([-s for s in a.strides], kind="stable"))


@pytest.mark.parametrize("C, order", [(3, (1, 2, 3, 0)), (8, (2, 3, 0, 1))])
def test_output_lies_in_the_gemm_order_and_the_input_gradient_in_the_inputs(C, order):
    # 3 channels x 3x3 = 27 rows of cols: Y = W2 cols, lying as (O, H, W, N); 8 x 3x3 = 72 rows
    # (> PIXEL_MAJOR_FROM): Y computed as its transpose, lying as (H, W, N, O)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, C, 6, 6))
    Wt = rng.standard_normal((5, C, 3, 3))
    Y, saved = conv2d_forward(X, Wt, None, (1, 1), (1, 1))
    assert Y.shape == (4, 5, 6, 6) and _memory_order(Y) == order
    np.testing.assert_allclose(Y, conv2d_naive(X, Wt, np.zeros(5), (1, 1), (1, 1)), **EXACT)
    dY = rng.standard_normal(Y.shape)  # NCHW: copied to the order backward reads
    dX, dW, db = conv2d_backward(dY, saved, Wt, (1, 1), (1, 1))
    assert dX.flags.c_contiguous  # X was NCHW
    loops = conv2d_backward_naive(dY, X, Wt, (1, 1), (1, 1))
    for got, want in zip((dX, dW, db), loops, strict=True):
        np.testing.assert_allclose(got, want, **EXACT)
    dY_like_Y = np.empty_like(Y)  # δ in Y's own order: used without a copy
    dY_like_Y[...] = dY
    X_hwnc = np.ascontiguousarray(X.transpose(2, 3, 0, 1)).transpose(2, 3, 0, 1)
    _, saved = conv2d_forward(X_hwnc, Wt, None, (1, 1), (1, 1))
    dX_hwnc, dW_hwnc, _ = conv2d_backward(dY_like_Y, saved, Wt, (1, 1), (1, 1))
    assert _memory_order(dX_hwnc) == (2, 3, 0, 1)
    np.testing.assert_allclose(dX_hwnc, dX, **EXACT)
    np.testing.assert_allclose(dW_hwnc, dW, **EXACT)


def test_max_pool_keeps_its_inputs_memory_order_and_values():
    rng = np.random.default_rng(2)
    X = np.round(rng.standard_normal((3, 4, 6, 6)))  # integers: ties
    X_hwnc = np.ascontiguousarray(X.transpose(2, 3, 0, 1)).transpose(2, 3, 0, 1)
    args = ((2, 2), (2, 2), (0, 0), (3, 3))
    Y, saved = max_pool_forward(X, *args)
    Y_hwnc, saved_hwnc = max_pool_forward(X_hwnc, *args)
    assert _memory_order(Y_hwnc) == (2, 3, 0, 1)
    np.testing.assert_array_equal(Y_hwnc, Y)
    g = rng.standard_normal(Y.shape)  # NCHW: the pool puts it in its own order first
    dX = max_pool_backward(g, saved)
    dX_hwnc = max_pool_backward(g, saved_hwnc)
    assert _memory_order(dX_hwnc) == (2, 3, 0, 1)
    np.testing.assert_array_equal(dX_hwnc, dX)


def test_same_order_copies_only_when_the_orders_differ():
    a = np.arange(24.0).reshape(2, 3, 4)
    assert same_order(a, np.zeros((2, 3, 4))) is a
    like = np.zeros((4, 3, 2)).transpose(2, 1, 0)
    b = same_order(a, like)
    assert b.strides == like.strides
    np.testing.assert_array_equal(b, a)
