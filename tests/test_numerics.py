"""Stable numerics: hand-worked values, ±1000 inputs, dtypes, derivatives by central differences."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from groundup import numerics as nx
from groundup.errors import GroundupError

EXTREME = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])


def _no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.mark.parametrize(
    "fn",
    [nx.sigmoid, nx.log_sigmoid, nx.softplus, nx.softmax, nx.log_softmax, nx.logsumexp,
     nx.relu, nx.leaky_relu, nx.tanh, nx.gelu, nx.erf]
    + [a.df for a in nx.ACTIVATIONS.values()],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_and_silent(fn, dtype):
    out = _no_warnings(fn, EXTREME.astype(dtype))
    assert np.all(np.isfinite(out))
    assert out.dtype == dtype


def test_sigmoid_values_by_hand():
    # σ(0) = 1/2, σ(ln 3) = 3/4, σ(-ln 3) = 1/4; saturates to exactly 1 and 0 at ±1000
    z = np.array([0.0, math.log(3), -math.log(3), 1000.0, -1000.0])
    np.testing.assert_allclose(nx.sigmoid(z), [0.5, 0.75, 0.25, 1.0, 0.0], rtol=1e-15, atol=0)
    # the negative branch keeps relative precision deep in the tail: σ(-700) = e^-700
    np.testing.assert_allclose(nx.sigmoid(-700.0), math.exp(-700), rtol=1e-13)


def test_log_sigmoid_and_softplus_tails():
    np.testing.assert_allclose(nx.log_sigmoid([-1000.0, 0.0]), [-1000.0, -math.log(2)], rtol=1e-15)
    assert nx.log_sigmoid(1000.0) == 0.0
    np.testing.assert_allclose(nx.softplus([1000.0, 0.0]), [1000.0, math.log(2)], rtol=1e-15)
    # softplus(z) - softplus(-z) = z for every z
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(nx.softplus(z) - nx.softplus(-z), z, atol=1e-12)


def test_bce_with_logits_matches_naive_formula_and_tails():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=100)
    y = rng.integers(0, 2, size=100).astype(float)
    p = 1 / (1 + np.exp(-z))
    naive = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(nx.bce_with_logits(z, y), naive, rtol=1e-10)
    # confident and right costs 0, confident and wrong costs |z|
    out = _no_warnings(nx.bce_with_logits, [1000.0, -1000.0, 1000.0, -1000.0], [1, 0, 0, 1])
    np.testing.assert_array_equal(out, [0.0, 0.0, 1000.0, 1000.0])


def test_softmax_values_by_hand_and_temperature():
    # softmax([0, ln 2, ln 5]) = [1, 2, 5] / 8
    z = np.array([0.0, math.log(2), math.log(5)])
    np.testing.assert_allclose(nx.softmax(z), [1 / 8, 2 / 8, 5 / 8], rtol=1e-15)
    # T = 2 takes square roots of the odds: [1, √2, √5] / (1 + √2 + √5)
    r = np.array([1, math.sqrt(2), math.sqrt(5)])
    np.testing.assert_allclose(nx.softmax(z, temperature=2.0), r / r.sum(), rtol=1e-15)
    out = _no_warnings(nx.softmax, np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="temperature"):
        nx.softmax(z, temperature=0.0)


def test_log_softmax_and_logsumexp_at_extremes():
    z = np.array([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(nx.logsumexp(z), 1000 + math.log(2), rtol=1e-15)
    np.testing.assert_allclose(nx.log_softmax(z), [-math.log(2), -math.log(2), -2000 - math.log(2)])
    assert nx.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    two_d = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        nx.logsumexp(two_d, axis=0), np.log(np.exp(two_d).sum(axis=0)), rtol=1e-15
    )
    assert nx.logsumexp(two_d, axis=1, keepdims=True).shape == (2, 1)


def test_cross_entropy_picks_the_true_class():
    logits = np.array([[0.0, math.log(3)], [2.0, 2.0]])
    # p = [1/4, 3/4] and [1/2, 1/2]
    np.testing.assert_allclose(
        nx.cross_entropy(logits, [1, 0]), [-math.log(0.75), math.log(2)], rtol=1e-15
    )


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(-1e3, 1e3),
    ),
    st.sampled_from([np.float32, np.float64]),
    st.floats(0.1, 10.0),
)
def test_softmax_properties(z, dtype, temperature):
    z = z.astype(dtype)
    for axis in range(z.ndim):
        p = nx.softmax(z, axis=axis, temperature=temperature)
        assert p.dtype == dtype and p.shape == z.shape
        assert np.all(p >= 0)
        np.testing.assert_allclose(p.sum(axis=axis), 1, rtol=1e-5 if dtype == np.float32 else 1e-12)
        # shifting every logit by a constant changes nothing
        np.testing.assert_allclose(
            nx.softmax(z + dtype(3), axis=axis, temperature=temperature), p, atol=1e-5
        )
        np.testing.assert_allclose(
            np.exp(nx.log_softmax(z / dtype(temperature), axis=axis)), p, atol=1e-5
        )


def test_erf_against_math_erf_on_a_grid():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-20, 2.5, -2.5, np.inf]])
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(nx.erf(x), ref, rtol=4e-15, atol=0)
    assert nx.erf(np.float32(0.5)).dtype == np.float32


def test_float32_erf_within_8_ulps_of_math_erf():
    """The float32 rational form, on every 20th float32 of [0, 6] (and by symmetry below 0)."""
    x = np.arange(0, 0x40C00000, 20, dtype=np.uint32).view(np.float32)  # bit patterns 0 .. 6.0
    x = np.concatenate([x, -x, np.float32([np.inf, -np.inf, 4.0, 3.92, 1e-30])])
    ref = np.array([math.erf(float(v)) for v in x])
    ours = nx.erf(x)
    assert ours.dtype == np.float32
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    assert (np.abs(ours - ref) / ulp).max() <= 8
    assert np.abs(ours).max() <= 1.0  # never past ±1 (1 - erf feeds erfc and GELU)
    assert np.isnan(nx.erf(np.float32([np.nan]))).all()


def test_integers_promote_to_float64():
    assert nx.sigmoid(np.array([0, 1])).dtype == np.float64
    assert nx.relu(np.array([-1, 2])).dtype == np.float64


def test_relu_family_ties_follow_pytorch():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(nx.relu_grad(z), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(nx.leaky_relu(z), [-0.02, 0.0, 3.0])
    np.testing.assert_array_equal(nx.leaky_relu_grad(z), [0.01, 0.01, 1.0])
    np.testing.assert_array_equal(nx.leaky_relu(z, negative_slope=0.2), [-0.4, 0.0, 3.0])


@pytest.mark.parametrize("name", sorted(nx.ACTIVATIONS))
def test_activation_derivatives_by_central_differences(name):
    act = nx.get_activation(name)
    z = np.linspace(-6, 6, 1201) + 0.0037  # step off z = 0, where relu has a kink
    h = 1e-6
    numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
    np.testing.assert_allclose(act.df(z), numeric, rtol=1e-6, atol=1e-8)


def test_gelu_tanh_derivative_and_closeness_to_exact():
    z = np.linspace(-6, 6, 1201) + 0.0037
    h = 1e-6
    numeric = (nx.gelu(z + h, "tanh") - nx.gelu(z - h, "tanh")) / (2 * h)
    np.testing.assert_allclose(nx.gelu_grad(z, "tanh"), numeric, rtol=1e-6, atol=1e-8)
    assert np.max(np.abs(nx.gelu(z, "tanh") - nx.gelu(z))) < 1e-3
    # gelu(1) = Φ(1) = 0.8413447460685429 (normal table)
    np.testing.assert_allclose(nx.gelu(1.0), 0.8413447460685429, rtol=1e-15)
    with pytest.raises(ValueError):
        nx.gelu(z, approximate="erf")


def test_unknown_activation_names_the_choices():
    with pytest.raises(GroundupError, match="relu"):
        nx.get_activation("swish")
