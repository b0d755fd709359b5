"""nn.functional, models, optimizers, schedulers and weight files against torch.

Tolerances as in test_torch_parity_ops.py: float64 relative 1e-10, float32 relative 1e-5.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import groundup
import groundup.nn.functional as F
from groundup import nn, optim

torch = pytest.importorskip("torch")
from test_nn import DigitClassifier, MLPClassifier  # noqa: E402 - the primer models, groundup way
from torch_check import TOL, TORCH_DTYPE, check  # noqa: E402 - needs torch

torch.set_num_threads(1)  # tiny tensors: threads only add contention
TF = torch.nn.functional

FAST = settings(max_examples=12, deadline=None, derandomize=True)
dtypes = st.sampled_from([np.float64, np.float32])
rows_cols = st.tuples(st.integers(1, 6), st.integers(2, 5))


def _x(shape, dtype, seed, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


ACTIVATIONS = {
    "relu": (F.relu, TF.relu),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2)),
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda a: F.gelu(a, "tanh"), lambda a: TF.gelu(a, approximate="tanh")),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "softmax0": (lambda a: F.softmax(a, 0), lambda a: TF.softmax(a, 0)),
    "softmax1": (lambda a: F.softmax(a, dim=1), lambda a: TF.softmax(a, dim=1)),
    "softmax_T": (lambda a: F.softmax(a, 1, temperature=2.5), lambda a: TF.softmax(a / 2.5, 1)),
    "log_softmax": (lambda a: F.log_softmax(a, 1), lambda a: TF.log_softmax(a, 1)),
    "log_softmax0": (lambda a: F.log_softmax(a, 0), lambda a: TF.log_softmax(a, 0)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@FAST
@given(shape=rows_cols, dtype=dtypes, seed=st.integers(0, 10**6))
def test_activations(name, shape, dtype, seed):
    check(*ACTIVATIONS[name], [_x(shape, dtype, seed)], dtype, seed)


def test_activations_are_stable_at_extremes():
    x = np.array([[-1000.0, 0.0, 1000.0]])
    for name in ("sigmoid", "softmax1", "log_softmax", "tanh", "gelu"):
        check(*ACTIVATIONS[name], [x], np.float64)


@FAST
@given(n=st.integers(1, 5), sizes=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       dtype=dtypes, seed=st.integers(0, 10**6), bias=st.booleans())
def test_linear(n, sizes, dtype, seed, bias):
    n_in, n_out = sizes
    arrays = [_x((n, n_in), dtype, seed), _x((n_out, n_in), dtype, seed + 1),
              _x((n_out,), dtype, seed + 2)]
    if bias:
        check(F.linear, TF.linear, arrays, dtype, seed)
    else:
        check(F.linear, TF.linear, arrays[:2], dtype, seed)
    check(F.linear, TF.linear, [arrays[0][0], *arrays[1:]], dtype, seed)  # unbatched
    check(F.linear, TF.linear, [_x((2, n, n_in), dtype, seed), *arrays[1:]], dtype, seed)


@pytest.mark.parametrize(("n_in", "n_out"), [(0, 3), (3, 0), (0, 0)])
def test_linear_with_an_empty_side_initialises_as_torch(n_in, n_out):
    """Nothing to draw for the weight: both warn that it is a no-op (no division by √0, no
    RuntimeWarning); the bias bound is 0 for fan_in 0, so the bias is zeros; forward and
    backward still run."""
    layers = []
    for module in (nn, torch.nn):
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            layers.append(module.Linear(n_in, n_out))
    ours, ref = layers
    assert ours.weight.shape == tuple(ref.weight.shape) == (n_out, n_in)
    np.testing.assert_array_equal(ours.bias.data, ref.bias.detach().numpy())
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.weight.data))
    check(lambda x: ours(x), lambda x: ref(x), [np.ones((2, n_in), np.float32)], np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@FAST
@given(shape=rows_cols, dtype=dtypes, seed=st.integers(0, 10**6),
       smoothing=st.sampled_from([0.0, 0.1]))
def test_cross_entropy_and_nll(reduction, shape, dtype, seed, smoothing):
    y = np.random.default_rng(seed).integers(0, shape[1], shape[0])
    z = _x(shape, dtype, seed, scale=3.0)
    check(lambda a: F.cross_entropy(a, y, reduction=reduction, label_smoothing=smoothing),
          lambda a: TF.cross_entropy(a, torch.tensor(y), reduction=reduction,
                                     label_smoothing=smoothing), [z], dtype, seed)
    check(lambda a: F.nll_loss(F.log_softmax(a, 1), y, reduction=reduction),
          lambda a: TF.nll_loss(TF.log_softmax(a, 1), torch.tensor(y), reduction=reduction),
          [z], dtype, seed)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@FAST
@given(shape=rows_cols, dtype=dtypes, seed=st.integers(0, 10**6))
def test_binary_losses(reduction, shape, dtype, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, shape).astype(dtype)
    z = _x(shape, dtype, seed, scale=3.0)
    z.flat[0] = -1.0  # not all in [0, 1]: no "sigmoid applied twice" warning
    p = (1 / (1 + np.exp(-z))).astype(dtype)
    w = np.abs(_x(shape[1:], dtype, seed)) + 0.5
    check(lambda a: F.binary_cross_entropy_with_logits(a, y, reduction=reduction),
          lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y), reduction=reduction),
          [z], dtype, seed)
    check(lambda a: F.binary_cross_entropy_with_logits(a, y, reduction=reduction, pos_weight=w),
          lambda a: TF.binary_cross_entropy_with_logits(
              a, torch.tensor(y), reduction=reduction, pos_weight=torch.tensor(w)),
          [z], dtype, seed)
    check(lambda a: F.binary_cross_entropy(a, y, reduction=reduction),
          lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction=reduction),
          [p], dtype, seed)
    t = _x(shape, dtype, seed + 7)
    check(lambda a, b: F.mse_loss(a, b, reduction=reduction),
          lambda a, b: TF.mse_loss(a, b, reduction=reduction), [z, t], dtype, seed)


@pytest.mark.parametrize(("p", "y"), [([0.3, 0.6], [0.0, 2.0]), ([0.3, 0.6], [-0.1, 1.0]),
                                    ([0.3, 0.6], [np.nan, 1.0]), ([np.nan, 0.6], [0.0, 1.0])])
def test_binary_cross_entropy_refuses_what_torch_refuses(p, y):
    with pytest.raises(RuntimeError, match="should be between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y))
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        F.binary_cross_entropy(groundup.tensor(p), np.array(y))


def test_bce_with_logits_is_stable():
    z = np.array([[-800.0], [800.0], [0.0]])
    y = np.array([[1.0], [0.0], [1.0]])
    check(lambda a: F.binary_cross_entropy_with_logits(a, y),
          lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y)), [z], np.float64)
    check(lambda a: F.cross_entropy(a, np.array([0, 2, 1])),
          lambda a: TF.cross_entropy(a, torch.tensor([0, 2, 1])),
          [np.array([[1000.0, 0, -1000], [0, 1, 2], [-5, 700, 3]])], np.float64)


@FAST
@given(shape=rows_cols, dtype=dtypes, seed=st.integers(0, 10**6), dim=st.sampled_from([0, 1]))
def test_cosine_similarity(shape, dtype, seed, dim):
    check(lambda a, b: F.cosine_similarity(a, b, dim=dim),
          lambda a, b: TF.cosine_similarity(a, b, dim=dim),
          [_x(shape, dtype, seed), _x(shape, dtype, seed + 1)], dtype, seed)


def test_embedding_and_dropout_eval():
    idx = np.array([[0, 2, 2], [1, 0, 3]])
    check(lambda w: F.embedding(idx, w), lambda w: TF.embedding(torch.tensor(idx), w),
          [_x((4, 3), np.float64, 0)], np.float64)
    check(lambda a: F.dropout(a, 0.5, training=False),
          lambda a: TF.dropout(a, 0.5, training=False), [_x((3, 3), np.float64, 0)], np.float64)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_training_equals_torch_with_the_same_mask(p, dtype):
    """torch draws its own mask, so the mask groundup drew is applied in torch by hand:
    out = x · mask / (1 - p) and dL/dx = g · mask / (1 - p). Without the 1/(1-p) scaling, or with
    a backward that forgets the mask, this fails."""
    x = np.abs(_x((40, 30), dtype, 1)) + dtype(0.5)  # no zeros: out != 0 marks the kept values
    out = F.dropout(groundup.tensor(x, requires_grad=True), p, True,
                    generator=np.random.default_rng(7))
    keep = np.random.default_rng(7).random(x.shape) >= p  # the documented draw: P(keep) = 1 - p
    np.testing.assert_array_equal(out.data != 0, keep)
    mask = torch.tensor(keep.astype(dtype))

    check(lambda a: F.dropout(a, p, True, generator=np.random.default_rng(7)),
          lambda a: a * mask / (1 - p), [x], dtype)


def test_dropout_drops_a_fraction_p():
    x = groundup.ones(200, 500)
    for p in (0.2, 0.7):
        kept = F.dropout(x, p, True, generator=np.random.default_rng(0)).data != 0
        assert abs(kept.mean() - (1 - p)) < 0.01  # 100,000 draws: 5 standard errors ~ 0.007


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edges_p0_and_p1_match_torch(p, training):
    """p = 0 keeps everything unscaled, p = 1 zeros everything (and its gradient): no 1/0."""
    check(lambda a: F.dropout(a, p, training), lambda a: TF.dropout(a, p, training),
          [_x((5, 4), np.float64, 3)], np.float64)


def test_dropout_module_eval_is_identity_and_seed_reproduces_the_mask():
    layer = nn.Dropout(0.5)
    x = _x((6, 7), np.float64, 2)
    groundup.manual_seed(11)
    first = layer(groundup.tensor(x, dtype=np.float64)).data
    groundup.manual_seed(11)
    again = layer(groundup.tensor(x, dtype=np.float64)).data
    np.testing.assert_array_equal(first, again)
    groundup.manual_seed(12)
    assert not np.array_equal(first, layer(groundup.tensor(x, dtype=np.float64)).data)
    layer.eval()
    check(layer, torch.nn.Dropout(0.5).eval(), [x], np.float64)


# ---------------------------------------------------------------------------- primer models
class TorchDigitClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Linear(784, 128)
        self.layer2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = x.view(-1, 784)
        x = torch.relu(self.layer1(x))
        return self.layer2(x)


class TorchMLPClassifier(torch.nn.Module):
    def __init__(self, m, hidden=(64, 32)):
        super().__init__()
        self.fc1 = torch.nn.Linear(m, hidden[0])
        self.fc2 = torch.nn.Linear(hidden[0], hidden[1])
        self.head = torch.nn.Linear(hidden[1], 1)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.head(x)


def _twin_check(ours, theirs, x, loss_gu, loss_t, dtype):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    if dtype == np.float64:
        theirs.double()
    logits = ours(groundup.tensor(x, dtype=dtype))
    logits_t = theirs(torch.tensor(x, dtype=TORCH_DTYPE[dtype]))
    np.testing.assert_allclose(logits.data, logits_t.detach().numpy(), **TOL[dtype])
    loss_gu(logits).backward()
    loss_t(logits_t).backward()
    for (name, p), (name_t, p_t) in zip(ours.named_parameters(), theirs.named_parameters(),
                                        strict=True):
        assert name == name_t and p.grad.shape == tuple(p_t.grad.shape)
        np.testing.assert_allclose(p.grad, p_t.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_digit_classifier_matches_torch(dtype):
    groundup.manual_seed(0)
    model = DigitClassifier()
    if dtype == np.float64:
        for p in model.parameters():
            p.data = p.data.astype(np.float64)
    assert model.num_parameters() == 101_770
    images = np.random.default_rng(0).random((16, 1, 28, 28))
    labels = np.random.default_rng(1).integers(0, 10, 16)
    _twin_check(model, TorchDigitClassifier(), images,
                lambda z: F.cross_entropy(z, labels),
                lambda z: TF.cross_entropy(z, torch.tensor(labels)), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_classifier_matches_torch(dtype):
    groundup.manual_seed(1)
    model = MLPClassifier(30)
    if dtype == np.float64:
        for p in model.parameters():
            p.data = p.data.astype(np.float64)
    X = np.random.default_rng(2).standard_normal((40, 30))
    y = np.random.default_rng(3).integers(0, 2, (40, 1)).astype(dtype)
    _twin_check(model, TorchMLPClassifier(30), X,
                lambda z: F.binary_cross_entropy_with_logits(z, y),
                lambda z: TF.binary_cross_entropy_with_logits(z, torch.tensor(y)), dtype)


def test_load_state_dict_not_strict_reports_the_keys_torch_reports():
    state = MLPClassifier(6).state_dict()
    del state["fc2.weight"]
    state["extra.bias"] = np.zeros(3, dtype=np.float32)
    ours = MLPClassifier(6).load_state_dict(state, strict=False)
    ref = TorchMLPClassifier(6).load_state_dict(
        {k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert ours.missing_keys == ref.missing_keys == ["fc2.weight"]
    assert ours.unexpected_keys == ref.unexpected_keys == ["extra.bias"]
    assert tuple(ours) == tuple(ref)


def test_sequential_names_and_init_distribution_match_torch():
    ours = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 5))
    theirs = torch.nn.Sequential(torch.nn.Linear(20, 30), torch.nn.ReLU(),
                                 torch.nn.Linear(30, 5))
    for (k, v), (k_t, v_t) in zip(ours.state_dict().items(), theirs.state_dict().items(),
                                  strict=True):
        assert k == k_t and v.shape == tuple(v_t.shape) and v.dtype == np.float32
        bound = 1 / np.sqrt(20 if k.startswith("0") else 30)
        assert np.abs(v).max() <= bound and np.abs(v_t.numpy()).max() <= bound


# ---------------------------------------------------------------------------- optimizers
OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "hyper"), OPTIMIZERS)
def test_optimizer_100_steps_match_torch(name, hyper, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 5))
    y = rng.integers(0, 3, 32)
    groundup.manual_seed(0)
    ours = nn.Sequential(nn.Linear(5, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    theirs.to(TORCH_DTYPE[dtype])
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    opt = getattr(optim, name)(ours.parameters(), **hyper)
    opt_t = getattr(torch.optim, name)(theirs.parameters(), **hyper)
    xg, xt = groundup.tensor(X, dtype=dtype), torch.tensor(X, dtype=TORCH_DTYPE[dtype])
    for _ in range(100):
        opt.zero_grad()
        F.cross_entropy(ours(xg), y).backward()
        opt.step()
        opt_t.zero_grad()
        TF.cross_entropy(theirs(xt), torch.tensor(y)).backward()
        opt_t.step()
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v, theirs.state_dict()[k].numpy(), **tol)


@pytest.mark.parametrize(("name", "kwargs"), [("StepLR", dict(step_size=3, gamma=0.5)),
                                               ("CosineAnnealingLR", dict(T_max=7)),
                                               ("CosineAnnealingLR", dict(T_max=4,
                                                                          eta_min=0.01))])
def test_schedulers_match_torch(name, kwargs):
    p = nn.Parameter(np.zeros(2))
    p_t = torch.nn.Parameter(torch.zeros(2))
    opt, opt_t = optim.SGD([p], lr=0.1), torch.optim.SGD([p_t], lr=0.1)
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    for _ in range(20):
        opt.step()
        opt_t.step()
        sched.step()
        sched_t.step()
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------- weight files
def test_safetensors_round_trip_with_torch(tmp_path):
    from safetensors.torch import load_file, save_file

    groundup.manual_seed(3)
    model = DigitClassifier()
    path = tmp_path / "digits.safetensors"
    groundup.save(model, path)
    twin = TorchDigitClassifier()
    twin.load_state_dict(load_file(path))  # strict: same names, shapes and dtypes
    x = np.random.default_rng(0).random((4, 784)).astype(np.float32)
    np.testing.assert_allclose(model(groundup.tensor(x)).data,
                               twin(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # and back: a torch-trained model's file loads into the groundup model
    with torch.no_grad():
        for p in twin.parameters():
            p.mul_(0.5)
    back = tmp_path / "from_torch.safetensors"
    save_file(twin.state_dict(), back)
    model.load_state_dict(groundup.load(back))
    np.testing.assert_allclose(model(groundup.tensor(x)).data,
                               twin(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_rows_far_apart_and_non_finite_logits(dtype):
    # each row is shifted by its own maximum, so a row far below the others keeps its digits,
    # and an inf logit spoils only its own row (the flat picks read the right entries)
    rng = np.random.default_rng(5)
    y = np.array([0, 1, 2, 3, 0, 2])
    z = (rng.standard_normal((6, 4)) * 3).astype(dtype)
    z[2] -= 300  # far below the others
    z[4, 1] = -np.inf  # a masked logit
    check(lambda a: F.cross_entropy(a, y), lambda a: TF.cross_entropy(a, torch.tensor(y)),
          [z], dtype)
    z[3, 0] = np.inf  # torch: NaN in that row only
    with np.errstate(invalid="ignore"):
        ours = F.cross_entropy(groundup.tensor(z, dtype=dtype), y, reduction="none").data
    theirs = TF.cross_entropy(torch.tensor(z), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, **TOL[dtype])  # NaN where torch has NaN
