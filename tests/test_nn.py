"""nn without torch: the primer's models, Module bookkeeping, losses by hand and by central
differences, initialisation, weight files, and the errors and warnings that teach."""

import warnings

import numpy as np
import pytest

import groundup
import groundup.nn.functional as F
from groundup import nn, tensor
from groundup.errors import DataError, GroundupError, ShapeError


# The primer's two PyTorch models word for word, torch -> groundup (torch.relu -> groundup.relu).
# test_torch_parity_nn imports them to compare with their torch twins.
class DigitClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(784, 128)  # 784 pixels -> 128 hidden units
        self.layer2 = nn.Linear(128, 10)   # 128 hidden -> 10 digit logits

    def forward(self, x):
        x = x.view(-1, 784)
        x = groundup.relu(self.layer1(x))
        return self.layer2(x)


class MLPClassifier(nn.Module):
    def __init__(self, m, hidden=(64, 32)):
        super().__init__()
        self.fc1 = nn.Linear(m, hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1])
        self.head = nn.Linear(hidden[1], 1)

    def forward(self, x):
        x = groundup.relu(self.fc1(x))
        x = groundup.relu(self.fc2(x))
        return self.head(x)


def test_torch_top_level_functions_have_groundup_twins():
    # the primer calls torch.relu(...), torch.exp(...): the same names work on groundup
    x = tensor([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(groundup.relu(x).data, [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(groundup.abs(x).data, [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(groundup.clamp(x, 0, 1).data, [0.0, 0.0, 1.0])
    np.testing.assert_allclose(groundup.exp(groundup.log(groundup.sqrt(x * x + 1))).data,
                               np.sqrt([5.0, 1.0, 10.0]), rtol=1e-6)
    np.testing.assert_allclose(groundup.softmax(x, dim=0).data.sum(), 1.0, rtol=1e-6)
    for name in ("sigmoid", "tanh", "log_softmax"):
        assert getattr(groundup, name) is getattr(F, name)
    assert groundup.matmul(x, x).item() == 13.0


def test_digit_classifier_reads_like_the_primer():
    model = DigitClassifier()
    # 784·128 + 128 + 128·10 + 10 = 101,770
    assert sum(p.numel() for p in model.parameters()) == 101_770
    logits = model(groundup.randn(1, 1, 28, 28))
    assert logits.shape == (1, 10)
    assert repr(model) == (
        "DigitClassifier(\n"
        "  (layer1): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (layer2): Linear(in_features=128, out_features=10, bias=True)\n)"
    )
    assert list(model.state_dict()) == ["layer1.weight", "layer1.bias", "layer2.weight",
                                        "layer2.bias"]
    assert model.layer1.weight.shape == (128, 784)


def test_mlp_classifier_and_sequential_names():
    model = MLPClassifier(8)
    assert [n for n, _ in model.named_parameters()] == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "head.weight", "head.bias"]
    assert model(groundup.randn(5, 8)).shape == (5, 1)
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and len(list(seq.children())) == 3
    assert "(1): ReLU()" in repr(seq)


def test_state_dict_copies_and_loads():
    a, b = MLPClassifier(6), MLPClassifier(6)
    state = a.state_dict()
    state["fc1.bias"][0] = 123.0  # a copy: the model is unchanged
    assert a.fc1.bias.data[0] != 123.0
    b.load_state_dict(a.state_dict())
    x = groundup.randn(3, 6)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_errors_teach():
    model = MLPClassifier(6)
    with pytest.raises(GroundupError, match=r"missing keys \['head.bias'\].*architecture"):
        state = model.state_dict()
        del state["head.bias"]
        model.load_state_dict(state)
    state = MLPClassifier(7).state_dict()
    with pytest.raises(ShapeError, match=r"'fc1.weight' has shape \(64, 7\).*\(64, 6\)"):
        model.load_state_dict(state)


def test_load_state_dict_not_strict_returns_missing_and_unexpected_keys():
    model, other = MLPClassifier(6), MLPClassifier(6)
    state = other.state_dict()
    del state["head.bias"]
    state["head.scale"] = np.ones(1)
    result = model.load_state_dict(state, strict=False)
    missing, unexpected = result  # a NamedTuple, as torch's _IncompatibleKeys
    assert result.missing_keys == missing == ["head.bias"]
    assert result.unexpected_keys == unexpected == ["head.scale"]
    np.testing.assert_array_equal(model.fc1.weight.data, other.fc1.weight.data)  # rest loaded
    assert model.head.bias.data[0] != other.head.bias.data[0]
    assert repr(model.load_state_dict(other.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(GroundupError, match=r"missing keys \['head.bias'\], unexpected keys "
                                            r"\['head.scale'\]"):
        model.load_state_dict(state)  # strict names both lists


def test_load_state_dict_shape_error_changes_nothing():
    model = MLPClassifier(6)
    before = model.state_dict()
    state = MLPClassifier(6).state_dict()
    state["head.weight"] = np.zeros((2, 32))  # checked after fc1, fc2, which must stay as they were
    with pytest.raises(ShapeError, match="head.weight"):
        model.load_state_dict(state, strict=False)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_train_eval_zero_grad_and_dropout():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = groundup.ones(200, 4)
    groundup.manual_seed(0)
    y = model(x)
    assert model.training and model[1].training
    zeros = float((y.data == 0).mean())
    assert 0.35 < zeros < 0.65  # about half dropped
    y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert not model[1].training
    np.testing.assert_array_equal(model(x).data, model[0](x).data)


def test_dropout_scales_the_kept_values_by_1_over_1_minus_p():
    x = groundup.ones(50, 40, requires_grad=True)
    out = F.dropout(x, 0.75, True, generator=np.random.default_rng(3))
    keep = np.random.default_rng(3).random((50, 40)) >= 0.75
    np.testing.assert_array_equal(out.data, np.where(keep, 4.0, 0.0))  # 1 / (1 - 0.75) = 4
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.where(keep, 4.0, 0.0))  # the same mask and scale


def test_linear_default_init_bounds_and_init_functions():
    groundup.manual_seed(0)
    layer = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)  # kaiming_uniform_(a=√5) reduces to U(-1/√in, 1/√in)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound
    w = nn.Parameter(np.zeros((400, 300)))
    nn.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= np.sqrt(6 / 700)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.data.std() == pytest.approx(np.sqrt(2 / 300), rel=0.05)
    nn.init.xavier_normal_(w, gain=2.0)
    assert w.data.std() == pytest.approx(2 * np.sqrt(2 / 700), rel=0.05)
    nn.init.kaiming_uniform_(w, mode="fan_out")
    assert np.abs(w.data).max() <= np.sqrt(6 / (1 + 0.0) / 400) + 1e-7
    nn.init.zeros_(w)
    assert not w.data.any()


def test_linear_without_inputs_has_a_zero_bias_and_no_division_by_zero():
    with pytest.warns(UserWarning, match="zero-element"):  # torch's warning, word for word
        layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias.data, [0, 0, 0])  # bound 1/√fan_in taken as 0
    y = layer(groundup.zeros(2, 0))
    np.testing.assert_array_equal(y.data, np.zeros((2, 3)))


def test_layers_forward():
    x = tensor([[-2.0, 0.0, 3.0]])
    assert nn.ReLU()(x).tolist() == [[0.0, 0.0, 3.0]]
    assert nn.LeakyReLU(0.1)(x).tolist()[0] == pytest.approx([-0.2, 0.0, 3.0])
    assert nn.Softmax(dim=1)(x).data.sum() == pytest.approx(1.0)
    assert nn.Sigmoid()(x).data[0, 1] == 0.5 and nn.Tanh()(x).data[0, 1] == 0.0
    assert nn.GELU()(x).data[0, 2] == pytest.approx(3 * 0.99865, rel=1e-4)
    assert nn.Flatten()(groundup.ones(2, 1, 28, 28)).shape == (2, 784)
    emb = nn.Embedding(10, 3)
    assert emb(np.array([[1, 2], [3, 3]])).shape == (2, 2, 3)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x).data.ravel(),
                               F.log_softmax(x, 1).data.ravel())
    assert not isinstance(nn.LogSoftmax(), nn.Softmax)  # a different layer, not a kind of it


def test_parameter_dtype_and_loss_modules():
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32  # Python floats: float32, as torch
    assert nn.Parameter([1, 2]).dtype == np.float32
    assert nn.Parameter(np.zeros(2)).dtype == np.float64  # a float64 array keeps its dtype
    z, y = tensor([[0.0, np.log(3.0)]]), np.array([1])
    assert nn.CrossEntropyLoss()(z, y).item() == pytest.approx(-np.log(0.75), rel=1e-6)
    assert nn.NLLLoss(reduction="sum")(F.log_softmax(z, 1), y).item() == pytest.approx(
        -np.log(0.75), rel=1e-6)
    p, t = tensor([[0.25]]), np.array([[1.0]])
    assert nn.BCELoss()(p, t).item() == pytest.approx(np.log(4), rel=1e-6)
    assert nn.MSELoss(reduction="none")(p, t).tolist() == [[0.5625]]
    assert not isinstance(nn.MSELoss(), nn.NLLLoss)


# ---------------------------------------------------------------------------- losses
def test_cross_entropy_by_hand():
    # logits [0, ln 3] (softmax [1/4, 3/4]), class 1: loss = -ln(3/4) = 0.28768...;
    # dL/dz = softmax - onehot = [1/4, -1/4]; two identical rows: mean keeps it, /n per row
    z = tensor([[0.0, np.log(3.0)], [0.0, np.log(3.0)]], dtype=np.float64, requires_grad=True)
    loss = F.cross_entropy(z, np.array([1, 1]))
    assert loss.item() == pytest.approx(-np.log(0.75), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, [[0.125, -0.125], [0.125, -0.125]], rtol=1e-12)


def test_losses_match_central_differences():
    from test_tensor import gradcheck  # pytest puts tests/ on sys.path (no __init__.py)

    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    yb = rng.integers(0, 2, (4, 3)).astype(float)
    gradcheck(lambda a: F.cross_entropy(a, y, label_smoothing=0.2), z)
    gradcheck(lambda a: F.nll_loss(F.log_softmax(a, 1), y, reduction="sum"), z)
    gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, yb, pos_weight=np.array(2.0)), z)
    gradcheck(lambda a: F.binary_cross_entropy(F.sigmoid(a), yb), z)
    gradcheck(lambda a: F.mse_loss(a, yb), z)
    gradcheck(lambda a, b: F.cosine_similarity(a, b), z, rng.standard_normal((4, 3)))
    gradcheck(lambda a: F.gelu(a) + F.gelu(a, approximate="tanh") + F.leaky_relu(a), z)
    w, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    gradcheck(F.linear, z, w, b)


def test_cross_entropy_target_errors_teach():
    z = groundup.randn(4, 3)
    onehot = np.eye(3)[[0, 1, 2, 0]]
    with pytest.raises(DataError, match=r"integer class indices.*one-hot.*argmax\(dim=1\)"):
        F.cross_entropy(z, onehot)
    with pytest.raises(DataError, match=r"integer class indices.*\.long\(\)"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(DataError, match="one-hot"):
        F.cross_entropy(z, onehot.astype(np.int64))
    with pytest.raises(DataError, match=r"\[0, 2\] for 3 classes"):
        F.cross_entropy(z, np.array([0, 1, 3, 0]))
    with pytest.raises(DataError, match=r"\[0, 2\]"):
        F.cross_entropy(z, np.array([0, -1, 2, 0]))


def test_linear_shape_and_dtype_errors_teach():
    layer = nn.Linear(784, 128)
    with pytest.raises(ShapeError, match=r"\(64, 28\).*in_features=784.*\(128, 784\).*view"):
        layer(groundup.ones(64, 28))
    with pytest.raises(TypeError, match=r"uint8.*float32.*/ 255"):
        layer(groundup.Tensor(np.zeros((2, 784), dtype=np.uint8)))


def test_binary_loss_shape_error_suggests_view():
    with pytest.raises(ShapeError, match=r"\(8, 1\).*\(8,\).*view\(-1, 1\)"):
        F.binary_cross_entropy_with_logits(groundup.randn(8, 1), np.ones(8))
    with pytest.raises(ShapeError, match="Reshape"):
        F.mse_loss(groundup.randn(8, 1), np.ones(8))
    with pytest.raises(DataError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(groundup.randn(8, 1) * 5, np.ones((8, 1)))


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, nn.BCELoss()], ids=["F", "BCELoss"])
def test_binary_cross_entropy_refuses_targets_outside_0_1(loss):
    p = tensor([[0.3], [0.6]])
    with pytest.raises(DataError, match=r"targets in \[0, 1\].*\[1, 2\].*map the labels"):
        loss(p, np.array([[1.0], [2.0]]))  # class labels 1/2, not 0/1
    with pytest.raises(DataError, match=r"\[-1, 1\].*\(y \+ 1\) / 2"):
        loss(p, np.array([[-1.0], [1.0]]))
    with pytest.raises(DataError, match="target contains NaN.*missing labels"):
        loss(p, np.array([[np.nan], [1.0]]))
    with pytest.raises(DataError, match="input contains NaN.*learning rate"):
        loss(tensor([[np.nan], [0.5]]), np.array([[0.0], [1.0]]))
    # soft targets inside [0, 1] stay allowed: -(0.25 ln 0.3 + 0.75 ln 0.7 + ln 0.6) / 2
    expected = -(0.25 * np.log(0.3) + 0.75 * np.log(0.7) + np.log(0.6)) / 2
    assert loss(p, np.array([[0.25], [1.0]])).item() == pytest.approx(expected, rel=1e-6)


def test_softmax_twice_warns():
    logits = groundup.randn(4, 3)
    with pytest.warns(UserWarning, match="softmax was applied before the loss"):
        F.cross_entropy(F.softmax(logits, 1), np.array([0, 1, 2, 0]))
    with pytest.warns(UserWarning, match="sigmoid is applied twice"):
        F.binary_cross_entropy_with_logits(F.sigmoid(logits), np.ones((4, 3)))
    # a final nn.Sigmoid seen through the usual reshape before the loss, and under no_grad
    model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    with pytest.warns(UserWarning, match="sigmoid is applied twice"):
        F.binary_cross_entropy_with_logits(model(logits).view(-1), np.ones(4))
    with pytest.warns(UserWarning, match="softmax was applied before the loss"):
        F.cross_entropy(F.softmax(logits.T, 0).T[:, :], np.array([0, 1, 2, 0]))
    with groundup.no_grad(), pytest.warns(UserWarning, match="sigmoid is applied twice"):
        F.binary_cross_entropy_with_logits(model(logits), np.ones((4, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raw logits: silent, even when all lie in [0, 1]
        F.cross_entropy(logits, np.array([0, 1, 2, 0]))
        F.binary_cross_entropy_with_logits(logits * 0 + 0.5, np.ones((4, 3)))
        in_unit = nn.Linear(3, 1)
        nn.init.zeros_(in_unit.weight)
        nn.init.constant_(in_unit.bias, 0.25)  # logits 0.25 from a Linear: no sigmoid involved
        F.binary_cross_entropy_with_logits(in_unit(logits).view(-1), np.ones(4))


def test_save_and_load_round_trip(tmp_path):
    model = MLPClassifier(5)
    path = tmp_path / "m.safetensors"
    groundup.save(model, path)
    loaded = groundup.load(path)
    assert set(loaded) == set(model.state_dict())
    other = MLPClassifier(5)
    other.load_state_dict(loaded)
    x = groundup.randn(2, 5)
    np.testing.assert_array_equal(model(x).data, other(x).data)
    assert path.read_bytes()[8:9] == b"{"  # a safetensors header, no pickle


def test_linear_with_one_output_backward_is_the_gemm_bit_for_bit():
    """dL/dx of a 1-output layer is an outer product g W, taken as a broadcast (faster than
    BLAS's inner size of 1): the same numbers as ``g @ W``, in both engines."""
    from groundup.scratch.layers import Linear as ScratchLinear

    rng = np.random.default_rng(0)
    x = rng.standard_normal((37, 30)).astype(np.float32)
    g = rng.standard_normal((37, 1)).astype(np.float32)
    W = rng.standard_normal((1, 30)).astype(np.float32)
    xt, wt = tensor(x, requires_grad=True), tensor(W, requires_grad=True)
    F.linear(xt, wt).backward(tensor(g))
    np.testing.assert_array_equal(xt.grad, g @ W)
    layer = ScratchLinear(30, 1)
    layer.params["weight"] = W
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(g), g @ W)
