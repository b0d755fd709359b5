"""groundup.models: layer specs, names and shapes, PyTorch's initialisation, the head, memory."""

import math
import resource
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundup import models
from groundup.errors import GroundupError
from groundup.models import (
    Activation,
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Head,
    Linear,
    MaxPool2d,
    ModelSpec,
)
from groundup.models import layers as layers_module
from groundup.models.memory import check_fits, format_count
from groundup.models.mlp import from_sizes

CLI = "import sys; from groundup.cli import main; sys.exit(main(sys.argv[1:]))"


def test_names_shapes_and_count_of_the_primers_network():
    spec = ModelSpec((784,), (Linear(784, 128), Activation("relu"), Linear(128, 10)), Head(10))
    assert spec == models.build("mlp", 784, 10, hidden=(128,))
    assert spec.parameter_shapes() == {"0.weight": (128, 784), "0.bias": (128,),
                                       "2.weight": (10, 128), "2.bias": (10,)}  # fmt: skip
    assert spec.n_parameters == 784 * 128 + 128 + 128 * 10 + 10  # 101,770, the primer's count
    assert spec.summary() == "784 -> Linear(784, 128) -> ReLU -> Linear(128, 10) -> 10 logits"


def test_layers_must_fit_together_and_match_the_head():
    with pytest.raises(GroundupError, match="takes 5 features"):
        ModelSpec((4,), (Linear(5, 3),), Head(3))
    with pytest.raises(GroundupError, match="needs 1 logits"):
        ModelSpec((4,), (Linear(4, 2),), Head(2, binary=True))
    with pytest.raises(GroundupError, match="positive integers"):
        Linear(0, 3)
    with pytest.raises(GroundupError, match="unknown activation"):
        Activation("swish")
    with pytest.raises(GroundupError, match=r"\[0, 1\)"):
        Dropout(1.5)
    # images with their channel are flattened first; the Linear's names then start at 1
    spec = models.build("mlp", (1, 4, 4), 3, hidden=(5,))
    assert isinstance(spec.layers[0], Flatten) and "1.weight" in spec.parameter_shapes()


def test_init_is_pytorchs_default_drawn_from_the_seed_in_float64_then_rounded():
    # the reference: one float64 draw per tensor, W before b, layer by layer, rounded once
    rng = np.random.default_rng(7)
    expected = {}
    for i, (n_in, n_out) in enumerate([(6, 5), (5, 3)]):
        bound = 1 / math.sqrt(n_in)
        expected[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        expected[f"{2 * i}.bias"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
    state = from_sizes([6, 5, 3]).init_state(7)
    assert list(state) == list(expected)
    for name in expected:
        np.testing.assert_array_equal(state[name], expected[name])
        assert state[name].dtype == np.float32


def test_conv_init_is_pytorchs_default_and_shapes_follow_the_image():
    spec = models.build("cnn", (1, 28, 28), 10, channels=(16, 32), kernel_size=3)
    assert [spec.output_shape(k) for k in (1, 3, 4, 6, 7)] == [
        (16, 28, 28), (16, 14, 14), (32, 14, 14), (32, 7, 7), (1568,)]
    assert spec.parameter_shapes()["0.weight"] == (16, 1, 3, 3)  # (out, in, kH, kW)
    assert spec.n_parameters == 16 * 9 + 16 + 32 * 16 * 9 + 32 + 1568 * 10 + 10
    conv = Conv2d(2, 4, 3, padding=1)
    rng = np.random.default_rng(5)  # the reference: fan_in = 2·3·3, W drawn before b
    bound = 1 / math.sqrt(18)
    W, b = rng.uniform(-bound, bound, (4, 2, 3, 3)), rng.uniform(-bound, bound, 4)
    got = conv.init(np.random.default_rng(5), np.float64)
    np.testing.assert_array_equal(got["weight"], W)
    np.testing.assert_array_equal(got["bias"], b)
    with pytest.raises(GroundupError, match="channels"):
        ModelSpec((3, 8, 8), (Conv2d(1, 4, 3),), Head(3))
    with pytest.raises(GroundupError, match="does not fit"):
        ModelSpec((1, 2, 2), (Conv2d(1, 4, 3), Flatten(), Linear(4, 3)), Head(3))
    with pytest.raises(GroundupError, match="images"):
        models.build("cnn", 784, 10)
    pooled = ModelSpec((1, 6, 6), (AvgPool2d(2, stride=1), MaxPool2d(2), Flatten(), Linear(4, 2)),
                       Head(2))  # fmt: skip
    assert pooled.output_shape(2) == (1, 2, 2) and ModelSpec.from_dict(pooled.to_dict()) == pooled


@given(size=st.integers(1, 50), chunk=st.integers(1, 17), seed=st.integers(0, 2**16))
def test_chunked_draws_give_the_numbers_of_one_draw(size, chunk, seed):
    # drawing straight into float32 a chunk at a time must not change a single bit
    old = layers_module._CHUNK
    layers_module._CHUNK = chunk
    try:
        got = layers_module.uniform(np.random.default_rng(seed), 0.3, (size, 3), np.float32)
    finally:
        layers_module._CHUNK = old
    want = np.random.default_rng(seed).uniform(-0.3, 0.3, (size, 3)).astype(np.float32)
    np.testing.assert_array_equal(got, want)


def test_init_holds_no_float64_copy_of_the_model():
    import tracemalloc

    spec = from_sizes([4000, 1000, 10])  # 4 million parameters: 16 MB in float32, 32 in float64
    tracemalloc.start()
    state = spec.init_state(0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    weights = sum(v.nbytes for v in state.values())
    assert peak < weights + 8 * layers_module._CHUNK + 2**20  # the weights, one float64 chunk


def test_head_prediction_rule_loss_and_probabilities_by_hand():
    binary, multi = Head(2, binary=True), Head(3)
    assert binary.n_outputs == 1 and multi.n_outputs == 3
    assert math.isclose(multi.chance_loss, math.log(3))
    assert binary.predictions(np.array([[0.5], [-0.5], [0.0]])).tolist() == [1, 0, 0]
    assert multi.predictions(np.array([[0.1, 2.0, -1.0]])).tolist() == [1]
    # one logit z = 2 and y = 1: log(1 + e^-2) = 0.126928...
    assert math.isclose(binary.loss(np.array([[2.0]]), np.array([1])), 0.1269280110429725)
    np.testing.assert_allclose(binary.probabilities(np.array([[0.0]])), [[0.5, 0.5]])
    with pytest.raises(GroundupError, match="2 classes"):
        Head(3, binary=True)


def test_spec_round_trips_through_its_dict_and_reads_the_old_mlp_form():
    spec = models.build("mlp", 4, 3, hidden=(5, 6), activation="gelu")
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    # config.json of runs written before models had layers
    old = {"n_inputs": 4, "n_classes": 3, "hidden": [5, 6], "activation": "gelu", "binary": False}
    assert ModelSpec.from_dict(old) == spec
    old_logistic = {"n_inputs": 30, "n_classes": 2, "hidden": [], "activation": "relu",
                    "binary": True}  # fmt: skip
    assert ModelSpec.from_dict(old_logistic) == models.build("logistic", 30, 2)
    with_dropout = ModelSpec((4,), (Linear(4, 8), Dropout(0.25), Linear(8, 3)), Head(3))
    assert ModelSpec.from_dict(with_dropout.to_dict()) == with_dropout


def test_build_refuses_options_a_model_does_not_take():
    with pytest.raises(GroundupError, match="--hidden does not apply to --model softmax"):
        models.build("softmax", 4, 3, hidden=(5,))
    with pytest.raises(GroundupError, match="unknown model"):
        models.build("perceptron", 4, 3)


def test_memory_is_counted_from_the_shapes_and_refused_with_the_figure():
    spec = models.build("mlp", 784, 10, hidden=(100_000, 100_000))  # nothing allocated yet
    assert spec.n_parameters == 784 * 10**5 + 10**5 + 10**10 + 10**5 + 10 * 10**5 + 10
    with pytest.raises(GroundupError) as info:
        check_fits(spec.n_parameters, np.float32, available=16 * 2**30)
    assert "10.1 billion parameters, 37.5 GiB in float32" in str(info.value)
    assert "16.0 GiB" in str(info.value) and "--hidden" in str(info.value)
    check_fits(101_770, np.float32, copies=5, available=2**30)  # the primer's network fits
    assert format_count(101_770) == "101,770" and format_count(12_345_678) == "12.3 million"


def _limit_memory():  # a regression allocates 75 GiB: let it fail fast instead of swapping
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


def test_cli_refuses_a_huge_model_in_one_line_before_allocating(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", CLI, "train", "penguins", "--hidden", "100000,100000",
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, preexec_fn=_limit_memory,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "10.0 billion parameters, 37.3 GiB in float32" in proc.stderr  # 4 inputs, 3 classes
    assert not (tmp_path / "run").exists()


def test_an_mlp_takes_one_activation_per_hidden_layer_or_one_for_all():
    spec = ModelSpec.for_model("mlp", 2, 2, (3, 2), ("tanh", "relu"))
    assert spec.summary() == "2 -> Linear(2, 3) -> Tanh -> Linear(3, 2) -> ReLU -> Linear(2, 1) " \
        "-> 1 logit"
    assert ModelSpec.for_model("mlp", 2, 2, (3, 2), "gelu") == ModelSpec.for_model(
        "mlp", 2, 2, (3, 2), ("gelu", "gelu"))
    with pytest.raises(GroundupError, match="3 activations for 2 hidden layers"):
        ModelSpec.for_model("mlp", 2, 2, (3, 2), ("tanh", "relu", "relu"))


def test_a_cnn_takes_one_activation_per_convolution_block_or_one_for_all():
    spec = ModelSpec.for_model("cnn", (1, 8, 8), 3, channels=(2, 4), kernel_size=3,
                               activation=("gelu", "sigmoid"))  # fmt: skip
    assert [str(layer) for layer in spec.layers if layer.kind == "activation"] == ["GELU",
                                                                                   "Sigmoid"]
    assert ModelSpec.for_model("cnn", (1, 8, 8), 3, channels=(2, 4), kernel_size=3,
                               activation="tanh") == ModelSpec.for_model(
        "cnn", (1, 8, 8), 3, channels=(2, 4), kernel_size=3, activation=["tanh", "tanh"])
    with pytest.raises(GroundupError, match="1 activations for 2 convolution blocks"):
        ModelSpec.for_model("cnn", (1, 8, 8), 3, channels=(2, 4), kernel_size=3,
                            activation=("relu",))  # fmt: skip
