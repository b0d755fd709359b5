"""User-facing values are checked in one declared place: the CLI and the Python API refuse the
same values with the same words."""

import argparse

import numpy as np
import pytest

from groundup import checks
from groundup.cli.args import value
from groundup.engines import OptimizerSpec
from groundup.errors import GroundupError
from groundup.models import build
from groundup.runs import build_config

# (name, good values, bad values): each bad one must be refused by both the API and the CLI
CASES = [
    ("lr", [0.1, 1e-6, 3], [0, -1, float("inf"), float("nan")]),
    ("momentum", [0, 0.9], [1, -0.1, 1.5]),
    ("epochs", [1, 200, np.int64(3)], [0, -2, 1.5]),
    ("batch_size", [1, 64], [0, -1]),
    ("seed", [0, 7], [-1]),
    ("patience", [1, 10], [0]),
    ("hidden", [(64, 32), (1,)], [(), (0,), (64, -1)]),
    ("channels", [(16, 32)], [(), (0, 8)]),
    ("kernel_size", [1, 3, 5], [0, 2, 4]),
    ("dropout", [0, 0.5], [1, -0.5]),
    ("activation", ["relu", ("relu", "tanh"), ("gelu", "gelu")],
     ["swish", ("relu", "swish"), (), ("relu", "")]),
]


@pytest.mark.parametrize("name, good, bad", CASES, ids=[c[0] for c in CASES])
def test_the_api_and_the_command_line_agree(name, good, bad):
    row = checks.VALUES[name]
    parse = value(name)
    for v in good:
        assert checks.check(name, v) is v
        text = ",".join(map(str, v)) if isinstance(v, tuple) else str(v)
        assert parse(text) == v
    for v in bad:
        with pytest.raises(GroundupError, match=rf"{row.flag}\) must be {_re(row.expected)}"):
            checks.check(name, v)
        text = ",".join(map(str, v)) if isinstance(v, tuple) else str(v)
        with pytest.raises(argparse.ArgumentTypeError, match=f"expected {_re(row.expected)}"):
            parse(text)


def _re(text):
    import re

    return re.escape(text)


def test_nonsense_text_and_booleans_are_refused():
    with pytest.raises(argparse.ArgumentTypeError, match="layer widths"):
        value("hidden")("64,x")
    with pytest.raises(argparse.ArgumentTypeError, match="positive integer"):
        value("epochs")("three")
    with pytest.raises(GroundupError):
        checks.check("epochs", True)  # a bool is not a number of epochs
    with pytest.raises(GroundupError):
        checks.check("lr", "0.1")


@pytest.mark.parametrize("name", ["hidden", "channels", "activation"])
@pytest.mark.parametrize("text", ["64,,32", "64,32,", ",64", ","])
def test_an_empty_entry_in_a_list_is_refused_not_dropped(name, text):
    text = text.replace("64", "relu").replace("32", "tanh") if name == "activation" else text
    row = checks.VALUES[name]
    with pytest.raises(argparse.ArgumentTypeError,
                       match=rf"expected {_re(row.expected)}, got '{text}'"):
        value(name)(text)


def test_runs_models_and_optimizers_use_the_declared_checks():
    words = "must be a positive number, got -1"
    for make in (lambda: build_config("penguins", lr=-1), lambda: OptimizerSpec("sgd", -1)):
        with pytest.raises(GroundupError, match=words):
            make()
    with pytest.raises(GroundupError, match=r"\(--epochs\) must be a positive integer, got 0"):
        build_config("penguins", epochs=0)
    with pytest.raises(GroundupError, match=r"\(--hidden\) must be positive integers"):
        build_config("penguins", hidden=(0,))
    with pytest.raises(GroundupError, match=r"\(--hidden\) must be positive integers"):
        build("mlp", 4, 3, hidden=(8, 0))
    with pytest.raises(GroundupError, match=r"\(--seed\) must be a whole number >= 0"):
        build_config("penguins", seed=-3)


def test_one_activation_per_layer_or_one_for_all_and_the_fix_for_a_count_that_does_not_fit():
    assert checks.per_layer("activation", ["relu", "tanh"], 2, "hidden layer") == ("relu", "tanh")
    assert checks.per_layer("activation", ("tanh", "tanh"), 2, "hidden layer") == "tanh"
    assert checks.per_layer("activation", "gelu", 3, "hidden layer") == "gelu"
    for names, n, words in [
        (("relu", "tanh", "gelu"), 2, "lists 3 names for 2 hidden layers (--hidden 64,32); give "
         "one per hidden layer (--activation relu,tanh) or one for all of them (--activation "
         "relu)"),
        (("relu", "tanh"), 3, "(--activation relu,tanh,tanh)"),
        (("relu", "tanh"), 1, "lists 2 names for 1 hidden layer (--hidden 64,32); give one name "
         "(--activation relu)"),
        (("relu", "tanh"), 0, "0 hidden layers (--hidden 64,32); drop --activation"),
        (("relu", "swish"), 2,
         "must be relu, leaky_relu, tanh, sigmoid, gelu or linear, or one such"),
    ]:  # fmt: skip
        with pytest.raises(GroundupError, match=_re(words)):
            checks.per_layer("activation", names, n, "hidden layer", "--hidden 64,32")


def test_build_config_keeps_one_name_when_the_layers_agree_and_says_the_fix_when_they_do_not():
    assert build_config("penguins", hidden=(8, 4), activation="tanh").activation == "tanh"
    assert build_config("penguins", hidden=(8, 4), activation=["tanh", "tanh"]).activation == "tanh"
    mixed = build_config("penguins", hidden=(8, 4), activation=("relu", "tanh"))
    assert mixed.activation == ("relu", "tanh")
    assert mixed.to_dict()["activation"] == ["relu", "tanh"]  # config.json's list
    cnn = build_config("digits", model="cnn", channels=(4, 8), activation=("relu", "gelu"))
    assert cnn.activation == ("relu", "gelu")
    with pytest.raises(GroundupError, match=_re("2 names for 3 hidden layers (--hidden 64,32,16)")):
        build_config("penguins", hidden=(64, 32, 16), activation=("relu", "tanh"))
    with pytest.raises(GroundupError, match=_re("(--hidden 64,32); give one per hidden layer")):
        build_config("penguins", activation=("relu", "tanh", "gelu"))  # the recipe's 64,32
    with pytest.raises(GroundupError, match=_re("3 names for 2 convolution blocks (--channels")):
        build_config("digits", model="cnn", activation=("relu", "tanh", "gelu"))
    with pytest.raises(GroundupError, match=_re("(--model softmax has none); drop --activation")):
        build_config("penguins", model="softmax", activation=("relu", "tanh"))
