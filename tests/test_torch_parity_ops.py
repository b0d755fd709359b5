"""Every Tensor op against torch: forward values and gradients on random inputs, with shapes
(broadcasting included) drawn by hypothesis. float64: relative error <= 1e-10 (absolute 1e-12 for
values that cancel to ~0); float32: relative error <= 1e-5 (absolute 1e-5 below 1 in size, where
float32 rounding of a cancellation is the whole difference)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import groundup
from groundup.errors import GroundupError

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny tensors: threads only add contention

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
FAST = settings(max_examples=15, deadline=None, derandomize=True)


def _inputs(shapes, dtype, seed, positive=(), away_from=None):
    rng = np.random.default_rng(seed)
    arrays = []
    for i, shape in enumerate(shapes):
        x = rng.standard_normal(shape)
        if i in positive:
            x = np.abs(x) + 0.5
        if away_from is not None:  # keep kinks (|x|, clamp bounds) out of finite precision
            x = np.where(np.abs(x - away_from) < 1e-3, x + 0.01, x)
        arrays.append(x.astype(dtype))
    return arrays


def check(fn_gu, fn_torch, arrays, dtype, seed=0):
    """Run both, feed the same random upstream gradient, compare outputs and input grads."""
    gu = [groundup.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, dtype=TORCH_DTYPE[dtype], requires_grad=True) for a in arrays]
    out_gu, out_t = fn_gu(*gu), fn_torch(*tt)
    assert out_gu.shape == tuple(out_t.shape)
    assert out_gu.dtype == dtype
    np.testing.assert_allclose(out_gu.data, out_t.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(seed + 1).standard_normal(out_gu.shape).astype(dtype)
    out_gu.backward(g)
    out_t.backward(torch.tensor(g))
    for a, b in zip(gu, tt, strict=True):
        assert a.grad.shape == a.shape and a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **TOL[dtype])


dtypes = st.sampled_from([np.float64, np.float32])
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, ()),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, ()),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, ()),
    "div": (lambda a, b: a / b, lambda a, b: a / b, (1,)),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b, (0,)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(shapes=pairs, dtype=dtypes, seed=st.integers(0, 10**6))
def test_binary_ops_broadcast(name, shapes, dtype, seed):
    fn_gu, fn_t, positive = BINARY[name]
    check(fn_gu, fn_t, _inputs(shapes.input_shapes, dtype, seed, positive), dtype, seed)


SCALAR = {
    "add_scalar": (lambda a: a + 1.5, lambda a: a + 1.5),
    "radd": (lambda a: 2.0 + a, lambda a: 2.0 + a),
    "rsub": (lambda a: 2.0 - a, lambda a: 2.0 - a),
    "mul_scalar": (lambda a: a * -0.7, lambda a: a * -0.7),
    "div_scalar": (lambda a: a / 3.0, lambda a: a / 3.0),
    "rdiv": (lambda a: 2.0 / a, lambda a: 2.0 / a),
    "neg": (lambda a: -a, lambda a: -a),
    "pow2": (lambda a: a ** 2, lambda a: a ** 2),
    "pow3": (lambda a: a ** 3, lambda a: a ** 3),
    "pow_half": (lambda a: a ** 0.5, lambda a: a ** 0.5),
    "rpow": (lambda a: 2.0 ** a, lambda a: 2.0 ** a),
    "exp": (lambda a: a.exp(), lambda a: a.exp()),
    "log": (lambda a: a.log(), lambda a: a.log()),
    "sqrt": (lambda a: a.sqrt(), lambda a: a.sqrt()),
    "abs": (lambda a: a.abs(), lambda a: a.abs()),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5)),
    "clamp_min": (lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1)),
    "relu": (lambda a: a.relu(), lambda a: a.relu()),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    "tanh": (lambda a: a.tanh(), lambda a: a.tanh()),
    "sum": (lambda a: a.sum(), lambda a: a.sum()),
    "mean": (lambda a: a.mean(), lambda a: a.mean()),
    "max_all": (lambda a: a.max(), lambda a: a.max()),
    "min_all": (lambda a: a.min(), lambda a: a.min()),
    "reshape": (lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    "T": (lambda a: a.T, lambda a: a.permute(tuple(reversed(range(a.ndim))))),
    "flatten": (lambda a: a.flatten(), lambda a: a.flatten()),
    "clone": (lambda a: a.clone(), lambda a: a.clone()),
}
POSITIVE = {"log", "sqrt", "pow_half", "rdiv"}


@pytest.mark.parametrize("name", sorted(SCALAR))
@FAST
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), dtype=dtypes,
       seed=st.integers(0, 10**6))
def test_unary_ops(name, shape, dtype, seed):
    fn_gu, fn_t = SCALAR[name]
    away = 0.5 if name == "clamp" else 0.1 if name == "clamp_min" else 0.0
    arrays = _inputs([shape], dtype, seed, (0,) if name in POSITIVE else (), away)
    if name == "clamp":
        arrays = [np.where(np.abs(np.abs(x) - 0.5) < 1e-3, x * 1.1, x) for x in arrays]
    check(fn_gu, fn_t, arrays, dtype, seed)


@FAST
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), dtype=dtypes,
       seed=st.integers(0, 10**6), keepdim=st.booleans(), data=st.data())
def test_reductions_over_a_dim(shape, dtype, seed, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = _inputs([shape], dtype, seed)
    for op in ("sum", "mean"):
        check(lambda a, op=op: getattr(a, op)(dim, keepdim),
              lambda a, op=op: getattr(a, op)(dim, keepdim), x, dtype, seed)
    if len(shape) >= 2:
        check(lambda a: a.sum((0, -1), keepdim), lambda a: a.sum((0, -1), keepdim), x, dtype,
              seed)
    for op in ("max", "min"):
        check(lambda a, op=op: getattr(a, op)(dim, keepdim).values,
              lambda a, op=op: getattr(a, op)(dim, keepdim).values, x, dtype, seed)
        gu_idx = getattr(groundup.tensor(x[0]), op)(dim, keepdim).indices.numpy()
        t_idx = getattr(torch.tensor(x[0]), op)(dim, keepdim).indices.numpy()
        np.testing.assert_array_equal(gu_idx, t_idx)


def test_max_ties_follow_torch():
    """max(dim) sends the gradient to the first maximum; max() shares it among ties."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check(lambda a: a.max(1).values, lambda a: a.max(1).values, [x], np.float64)
    check(lambda a: a.max(), lambda a: a.max(), [x], np.float64)
    check(lambda a: a.relu(), lambda a: a.relu(), [np.array([-1.0, 0.0, 2.0])], np.float64)
    check(lambda a: a.abs(), lambda a: a.abs(), [np.array([-1.0, 0.0, 2.0])], np.float64)
    check(lambda a: a.clamp(0, 1), lambda a: a.clamp(0, 1), [np.array([0.0, 0.5, 1.0, 2.0])],
          np.float64)


MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul(shapes, dtype):
    check(lambda a, b: a @ b, lambda a, b: a @ b, _inputs(shapes, dtype, 1), dtype)


@FAST
@given(shape=array_shapes(min_dims=2, max_dims=4, max_side=4), seed=st.integers(0, 10**6),
       data=st.data())
def test_shape_ops(shape, seed, data):
    x = _inputs([shape], np.float64, seed)
    d0 = data.draw(st.integers(0, len(shape) - 1))
    d1 = data.draw(st.integers(0, len(shape) - 1))
    perm = data.draw(st.permutations(range(len(shape))))
    check(lambda a: a.transpose(d0, d1), lambda a: a.transpose(d0, d1), x, np.float64)
    check(lambda a: a.permute(*perm), lambda a: a.permute(*perm), x, np.float64)
    check(lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1), x, np.float64)
    check(lambda a: a.view(shape[0], -1), lambda a: a.view(shape[0], -1), x, np.float64)
    check(lambda a: a.flatten(1), lambda a: a.flatten(1), x, np.float64)


@pytest.mark.parametrize("index", [
    (slice(1, 3),), (slice(None), 0), (Ellipsis, slice(None, None, 2)), (1, slice(None)),
    (np.array([0, 2, 2, 1]),), (slice(None), np.array([1, 1, 0])),
    (np.array([0, 1]), np.array([2, 0])),
])
def test_indexing(index):
    x = _inputs([(3, 4)], np.float64, 3)
    idx = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    check(lambda a: a[index], lambda a: a[idx], x, np.float64)


def test_boolean_mask_indexing():
    x = _inputs([(3, 4)], np.float64, 4)
    mask = x[0] > 0
    check(lambda a: a[mask], lambda a: a[torch.tensor(mask)], x, np.float64)


@FAST
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 10**6),
       dtype=dtypes, data=st.data())
def test_cat_stack_where(shape, seed, dtype, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    other = list(shape)
    other[dim] += 2
    xs = _inputs([shape, tuple(other)], dtype, seed)
    check(lambda a, b: groundup.cat([a, b], dim), lambda a, b: torch.cat([a, b], dim), xs, dtype)
    ys = _inputs([shape, shape, shape], dtype, seed)
    check(lambda a, b, c: groundup.stack([a, b, c], dim),
          lambda a, b, c: torch.stack([a, b, c], dim), ys, dtype)
    cond = ys[0] > 0
    check(lambda a, b: groundup.where(cond, a, b),
          lambda a, b: torch.where(torch.tensor(cond), a, b), ys[1:], dtype)


@FAST
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=1, max_dims=3, max_side=3),
       seed=st.integers(0, 10**6))
def test_where_broadcasts(shapes, seed):
    c, a, b = _inputs(shapes.input_shapes, np.float64, seed)
    check(lambda x, y: groundup.where(c > 0, x, y),
          lambda x, y: torch.where(torch.tensor(c > 0), x, y), [a, b], np.float64)


def test_reused_value_and_chains():
    """A value used several times gets the sum of its gradients."""
    x = _inputs([(3, 4)], np.float64, 5)

    def f(a):
        b = a * a + a.exp()
        return (b / (1 + a * a)).sum(1) * a.mean()

    check(f, f, x, np.float64)


def test_second_backward_refused_unless_retained_as_in_torch():
    """Both refuse a second backward through a graph, and both add up with retain_graph=True."""
    x = groundup.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    x_t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for t, error in ((x, GroundupError), (x_t, RuntimeError)):
        loss = (t.exp() * t).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        with pytest.raises(error, match="retain_graph=True"):
            loss.backward()
    np.testing.assert_allclose(x.grad, x_t.grad.numpy(), **TOL[np.float64])


@pytest.mark.parametrize("data", ["a", [1, "a"], None, [1.0, None], [[1.0, 2.0], [3.0]],
                                  np.array(["a"]), np.array([1, None], dtype=object)], ids=repr)
def test_creation_refuses_what_torch_refuses(data):
    """torch.tensor raises TypeError, RuntimeError or ValueError; groundup a TypeError (not a
    number) or a ValueError (ragged), never a tensor of strings or objects."""
    with pytest.raises((TypeError, RuntimeError, ValueError)):
        torch.tensor(data)
    with pytest.raises((TypeError, ValueError)):
        groundup.tensor(data)
