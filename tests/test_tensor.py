"""Tensor and backward without torch: numbers worked by hand, central differences, and the
semantics users trip over (accumulation, reuse, broadcasting shapes, deep graphs, dtypes)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import groundup
from groundup import Tensor, no_grad, tensor
from groundup.errors import GroundupError, ShapeError

FAST = settings(max_examples=20, deadline=None, derandomize=True)


def numerical_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h of a scalar f, in float64."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def gradcheck(fn, *arrays, positive=False):
    """Compare backward() of sum(fn(...) * w) with central differences for every input."""
    rng = np.random.default_rng(0)
    arrays = [np.abs(a) + 0.5 if positive else a for a in arrays]
    out_shape = fn(*[tensor(a, dtype=np.float64) for a in arrays]).shape
    w = rng.standard_normal(out_shape)

    def scalar(*xs):
        return float((fn(*[tensor(x, dtype=np.float64) for x in xs]).data * w).sum())

    ts = [tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    (fn(*ts) * w).sum().backward()
    for k, t in enumerate(ts):
        def f_k(x, k=k):
            xs = list(arrays)
            xs[k] = x
            return scalar(*xs)

        num = numerical_grad(f_k, np.array(arrays[k], dtype=np.float64))
        assert t.grad.shape == t.shape
        np.testing.assert_allclose(t.grad, num, rtol=1e-5, atol=1e-7)


def test_primer_example_by_hand():
    # J = 3(a + bc) with a = 5, b = 3, c = 2: u = bc = 6, v = a + u = 11, J = 3v = 33;
    # dJ/da = 3, dJ/db = 3c = 6, dJ/dc = 3b = 9
    a, b, c = (tensor(v, requires_grad=True) for v in (5.0, 3.0, 2.0))
    u = b * c
    v = a + u
    J = 3 * v
    assert (u.item(), v.item(), J.item()) == (6.0, 11.0, 33.0)
    J.backward()
    assert (a.grad, b.grad, c.grad) == (3.0, 6.0, 9.0)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1), "pow": lambda a, b: (a * a + 1) ** b,
    "where": lambda a, b: groundup.where(a.data > 0, a, b * 2),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 1000))
def test_binary_ops_match_central_differences(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s) for s in shapes.input_shapes)
    gradcheck(BINARY[name], a, b)


UNARY = {
    "exp": lambda a: a.exp(), "log": lambda a: a.log(), "sqrt": lambda a: a.sqrt(),
    "neg": lambda a: -a, "pow3": lambda a: a ** 3, "rdiv": lambda a: 1.5 / a,
    "rsub": lambda a: 1 - a, "rpow": lambda a: 2 ** a, "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(), "softmax": lambda a: a.softmax(-1),
    "log_softmax": lambda a: a.log_softmax(-1), "sum": lambda a: a.sum(0, keepdim=True),
    "mean": lambda a: a.mean(-1), "max": lambda a: a.max(-1).values, "min_all": lambda a: a.min(),
    "T": lambda a: a.T, "getitem": lambda a: a[..., ::2], "gather": lambda a: a[[0, 0]],
    "cat": lambda a: groundup.cat([a, a * 2], 0), "stack": lambda a: groundup.stack([a, a], -1),
    "matmul": lambda a: a @ a.T if a.ndim == 2 else a * a,
}
POSITIVE = {"log", "sqrt", "rdiv"}


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=3), seed=st.integers(0, 1000))
def test_unary_ops_match_central_differences(name, shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    gradcheck(UNARY[name], x, positive=name in POSITIVE)


@FAST
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
def test_broadcast_gradients_have_exactly_the_input_shape(shapes):
    a = groundup.ones(*shapes.input_shapes[0], requires_grad=True)
    b = groundup.ones(*shapes.input_shapes[1], requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    # each element of a meets prod(out) / prod(a) elements of b
    assert np.all(a.grad == np.prod(shapes.result_shape) / max(a.data.size, 1))


def test_second_backward_through_a_graph_raises_unless_retained():
    # PyTorch: "Trying to backward through the graph a second time ... retain_graph=True"
    x = tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(GroundupError, match=r"retain_graph=True"):
        loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # the refused call added nothing
    h = x * 3  # a shared intermediate: the second loss reaches the spent h
    (h * h).sum().backward()
    with pytest.raises(GroundupError, match="earlier backward"):
        (h + 1).sum().backward()
    x.grad = None
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()  # allowed once retained; the two gradients add up, as in PyTorch
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    with pytest.raises(GroundupError, match="retain_graph"):
        loss.backward()


def test_gradients_accumulate_and_reuse_sums():
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()  # d/dx Σx² = 2x, x used twice in one op
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    (x + x + x).sum().backward()  # accumulates: + 3
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    x.grad = None
    y = x * 2
    (y * y + y).sum().backward()  # d/dx (4x² + 2x) = 8x + 2
    np.testing.assert_array_equal(x.grad, [10.0, 18.0])


def test_shared_gradient_arrays_are_not_aliased():
    a = tensor([1.0, 2.0], requires_grad=True)
    b = tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # add hands the same upstream array to both
    a.grad[0] = 100.0
    assert b.grad[0] == 1.0


def test_deep_graph_has_no_recursion_limit():
    x = tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**20_000, rel=1e-3)


def test_no_grad_records_nothing_and_detach_cuts():
    w = tensor([1.0], requires_grad=True)
    with no_grad():
        y = w * 2
    assert not y.requires_grad and y.is_leaf
    assert groundup.is_grad_enabled()
    z = (w.detach() * 3 + w).sum()
    z.backward()
    assert w.grad == 1.0

    @no_grad()
    def f(t):
        return t * 2

    assert not f(w).requires_grad


def test_float32_stays_float32_with_python_scalars():
    x = groundup.randn(3, 4, requires_grad=True)
    y = ((x * 0.5 + 1.0) / 3.0 - 2.0) ** 2
    z = (y.exp().log().sqrt() * 2.5).mean()
    assert x.dtype == y.dtype == z.dtype == np.float32
    z.backward()
    assert x.grad.dtype == np.float32
    assert (x + np.ones(4)).dtype == np.float32  # a float64 array constant is cast
    assert tensor([1.0, 2.0]).dtype == np.float32
    assert tensor([1, 2]).dtype == np.int64
    assert tensor([1.0], dtype=groundup.float64).dtype == np.float64
    assert tensor(np.zeros(2)).dtype == np.float32  # float32 unless asked
    assert Tensor(np.zeros(2)).dtype == np.float64  # the raw constructor wraps as is


def test_factories_and_seed():
    groundup.manual_seed(7)
    a = groundup.randn(2, 3)
    groundup.manual_seed(7)
    b = groundup.randn((2, 3))
    np.testing.assert_array_equal(a.data, b.data)
    assert groundup.zeros(2, 3).shape == (2, 3) and groundup.ones(4).data.sum() == 4
    r = groundup.rand(1000)
    assert 0 <= r.data.min() and r.data.max() < 1
    np.testing.assert_array_equal(groundup.arange(5).data, np.arange(5))
    assert groundup.arange(0, 1, 0.25).dtype == np.float32
    t = tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.size(1) == 2 and t.numel() == 4
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert t.sum().item() == 10.0
    assert np.asarray(t).shape == (2, 2)
    assert (t.argmax(1).numpy() == [1, 1]).all()


def test_repr_shows_values():
    t = tensor([1.5, -2.0], requires_grad=True)
    assert repr(t) == "tensor([ 1.5, -2. ], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(t * 2)
    assert "dtype=float64" in repr(tensor([1.0], dtype=np.float64))


def test_max_ties_by_hand():
    x = tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max(1).values.sum().backward()  # first maximum gets it all
    np.testing.assert_array_equal(x.grad, [[0, 1, 0]])
    x.grad = None
    x.max().backward()  # ties share it
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5]])
    y = tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y.relu().sum().backward()  # relu'(0) = 0
    np.testing.assert_array_equal(y.grad, [0, 0, 1])


def test_gather_with_repeated_indices_adds():
    x = tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 0, 1])


# ---------------------------------------------------------------------------- errors that teach
def test_matmul_shape_error_names_both_shapes():
    a, b = groundup.ones(64, 784), groundup.ones(128, 784)
    with pytest.raises(ShapeError, match=r"\(64, 784\) and \(128, 784\).*b\.T"):
        a @ b


def test_backward_on_non_scalar_explains():
    x = groundup.ones(3, requires_grad=True)
    with pytest.raises(ShapeError, match=r"scalar.*shape \(3,\).*mean\(\)\.backward\(\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=np.ones(3))  # with a gradient it works
    np.testing.assert_array_equal(x.grad, [2, 2, 2])


def test_backward_without_grad_and_other_errors():
    with pytest.raises(GroundupError, match="requires_grad=True"):
        groundup.ones(1).backward()
    with pytest.raises(GroundupError, match="floating"):
        tensor([1, 2], requires_grad=True)
    with pytest.raises(GroundupError, match=r"floating.*\.float\(\)"):
        groundup.arange(3).requires_grad_()
    with pytest.raises(ShapeError, match="broadcast"):
        groundup.ones(2, 3) + groundup.ones(4)
    with pytest.raises(ShapeError, match=r"view.*\(2, 3\).*\(4, -1\)"):
        groundup.ones(2, 3).view(4, -1)
    with pytest.raises(ShapeError, match="one element"):
        groundup.ones(2).item()


def test_tensor_is_usable_with_numpy_on_either_side():
    t = tensor([1.0, 2.0], requires_grad=True)
    out = np.array([10.0, 20.0]) - t
    assert isinstance(out, Tensor) and out.dtype == np.float32
    (np.ones((3, 2), dtype=np.float32) @ t).sum().backward()
    np.testing.assert_array_equal(t.grad, [3, 3])  # column sums of the (3, 2) ones


# torch.tensor refuses each of these (TypeError for text, RuntimeError "Could not infer dtype"
# for None and objects, ValueError for ragged lists); NumPy alone would make a <U1 or object
# array, and with dtype=float it would turn None into NaN and "1.5" into 1.5.
NOT_NUMBERS = ["a", ["a", "b"], [1, "a"], None, [1.0, None], object(), b"ab",
               np.array(["a"]), np.array([1, None], dtype=object), np.datetime64("2020-01-01")]


NOT_NUMBER_IDS = [f"{i}-{type(v).__name__}" for i, v in enumerate(NOT_NUMBERS)]  # no addresses


@pytest.mark.parametrize("data", NOT_NUMBERS, ids=NOT_NUMBER_IDS)
@pytest.mark.parametrize("make", [tensor, Tensor, groundup.nn.Parameter], ids=lambda f: f.__name__)
def test_values_that_are_not_numbers_are_refused_at_creation(make, data):
    with pytest.raises(TypeError, match=r"a tensor holds numbers.*convert it first"):
        make(data)
    with pytest.raises(TypeError, match="a tensor holds numbers"):
        tensor(data, dtype=groundup.float32)  # checked before the conversion


@pytest.mark.parametrize("make", [tensor, Tensor])
def test_ragged_lists_are_refused_at_creation(make):
    with pytest.raises(ShapeError, match="rectangular.*pad"):
        make([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="rectangular"):  # a ValueError, as torch's
        make([[1, 2], 3])


def test_numbers_of_every_kind_still_make_tensors():
    assert tensor([True, False]).dtype == np.bool_
    assert tensor(1 + 2j).dtype.kind == "c"
    assert tensor(np.array([1, 2], dtype=np.uint8)).dtype == np.uint8
    assert tensor([np.float64(1.5), 2]).tolist() == [1.5, 2.0]


def test_column_and_row_sums_are_the_axis_sums():
    from groundup.autograd.sums import column_sums, ones, row_sums

    rng = np.random.default_rng(0)
    for shape in [(64, 8), (1, 3), (0, 4), (5, 1)]:
        for dtype in (np.float32, np.float64):
            g = rng.standard_normal(shape).astype(dtype)
            assert column_sums(g).dtype == row_sums(g).dtype == dtype
            np.testing.assert_allclose(column_sums(g), g.sum(axis=0), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(row_sums(g), g.sum(axis=1), rtol=1e-5, atol=1e-6)
    out = np.empty(8, np.float32)
    g = rng.standard_normal((4, 8)).astype(np.float32)
    assert column_sums(g, out=out) is out
    with pytest.raises(ValueError):
        ones(3, np.float32)[0] = 2  # shared: read-only


def test_relu_gradient_at_ties_and_nan():
    # 0 at a <= 0 (PyTorch's subgradient at the tie), 1 above; a NaN activation gets NaN
    a = tensor([-1.0, -0.0, 0.0, 2.0, np.nan], requires_grad=True)
    a.relu().backward(np.full(5, 3.0, np.float32))
    assert a.grad[:4].tolist() == [0.0, 0.0, 0.0, 3.0]
    assert np.isnan(a.grad[4])
