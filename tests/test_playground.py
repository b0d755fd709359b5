"""The playground without a server: settings and their URL form, data, the engine adapter."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundup.errors import DataError
from groundup.numerics import ACTIVATIONS
from groundup.playground import datasets
from groundup.playground.adapter import Network
from groundup.playground.session import Session
from groundup.playground.settings import (
    FIELDS,
    MAX_NEURONS,
    Settings,
    SettingsError,
    from_query,
    to_query,
    updated,
)

base_strategy = st.builds(
    Settings,
    dataset=st.sampled_from(datasets.CLASSIFICATION), classes=st.integers(2, 8),
    noise=st.integers(0, 50), train_percent=st.integers(10, 90),
    batch_size=st.integers(1, 5000), points=st.integers(20, 5000), seed=st.integers(0, 2**31 - 1),
    features=st.lists(st.sampled_from(list(datasets.FEATURES)), min_size=1, unique=True)
    .map(lambda fs: tuple(f for f in datasets.FEATURES if f in fs)),
    regularization=st.sampled_from(["none", "l1", "l2"]),
    reg_rate=st.floats(0, 10), lr=st.floats(1e-6, 10), optimizer=st.sampled_from(
        ["sgd", "momentum", "adam"]), engine=st.sampled_from(["scratch", "autograd", "torch"]),
    show_test=st.booleans(), discretize=st.booleans(),
)  # fmt: skip
# hidden layers, each (neurons, its own activation)
layers_strategy = st.lists(st.tuples(st.integers(1, MAX_NEURONS), st.sampled_from(
    list(ACTIVATIONS))), max_size=6)  # fmt: skip
settings_strategy = st.builds(
    lambda s, layers: replace(s, hidden=tuple(n for n, _ in layers),
                              activations=tuple(a for _, a in layers)),
    base_strategy, layers_strategy)  # fmt: skip


@given(settings_strategy)
def test_the_url_state_round_trips(settings):
    assert from_query(to_query(settings)) == settings
    assert from_query("#" + to_query(settings)) == settings


def test_a_link_that_names_a_few_fields_keeps_the_other_defaults():
    s = from_query("dataset=xor&hidden=8,8,8&activation=relu")
    assert (s.dataset, s.hidden, s.activations, s.lr) == ("xor", (8, 8, 8), ("relu",) * 3, 0.03)
    assert from_query("") == Settings()


def test_each_hidden_layer_keeps_its_own_activation_in_the_link():
    s = from_query("hidden=4,3,2&activations=tanh,relu,gelu")
    assert s.activations == ("tanh", "relu", "gelu")
    assert "activations=tanh,relu,gelu" in to_query(s)
    assert from_query(to_query(s)) == s
    # the old single key still means every layer
    assert from_query("hidden=5,5&activation=sigmoid").activations == ("sigmoid", "sigmoid")


@pytest.mark.parametrize("hidden", ["4,,2", "4,2,", ",4", ","])
def test_an_empty_entry_in_a_links_list_is_refused_not_dropped(hidden):
    """``hidden=4,,2`` is a typo, not the network 4 -> 2 (an empty list stays: no hidden layer)."""
    assert from_query("hidden=").hidden == ()
    with pytest.raises(SettingsError, match=r"hidden=.*is not a comma-separated list of integers"):
        from_query(f"hidden={hidden}")


def test_a_change_of_layers_alone_keeps_the_activations_and_extends_with_the_last():
    s = updated(Settings(), {"hidden": [4, 2], "activations": ["relu", "gelu"]})
    assert updated(s, {"hidden": [4, 2, 2]}).activations == ("relu", "gelu", "gelu")
    assert updated(s, {"hidden": [4]}).activations == ("relu",)
    assert updated(s, {"hidden": []}).activations == ()
    assert updated(updated(s, {"hidden": []}), {"hidden": [2]}).activations == ("tanh",)
    assert updated(s, {"activation": "sigmoid"}).activations == ("sigmoid", "sigmoid")


@pytest.mark.parametrize(("changes", "words"), [
    ({"hidden": [4] * 7}, "at most 6"),
    ({"hidden": [MAX_NEURONS + 1]}, f"1 to {MAX_NEURONS}"),
    ({"hidden": [0]}, "1 to"),
    ({"points": 5001}, "protects this machine"),
    ({"lr": 0}, "lr must lie in (0.0"),
    ({"lr": float("nan")}, "lr must lie"),
    ({"lr": "fast"}, "lr must be a float"),
    ({"noise": True}, "noise must be a int"),
    ({"classes": 9}, "classes must lie in [2, 8]"),
    ({"features": []}, "at least one input feature"),
    ({"features": ["x3"]}, "a feature must be one of"),
    ({"features": "x1"}, "list of strs"),
    ({"engine": "jax"}, "engine must be one of scratch, autograd, torch"),
    ({"dataset": "plane"}, "not a classification set"),
    ({"depth": 3}, "unknown setting 'depth'"),
    ({"activations": ["tanh", "swish"]}, "activation of hidden layer 2 must be one of relu"),
    ({"activations": ["tanh", "relu", "relu"]}, "3 names for 2 hidden layers"),
    ({"activations": ["tanh"]}, "1 names for 2 hidden layers"),
    ({"activations": []}, "0 names for 2 hidden layers"),
    ({"activations": "relu"}, "activations must be a list of strs"),
    ({"activation": "swish"}, "activation must be one of relu"),
    ({"activation": "relu", "activations": ["relu", "relu"]}, "not both"),
])  # fmt: skip
def test_values_beyond_the_limits_get_a_clear_message(changes, words):
    with pytest.raises(SettingsError, match=None) as info:
        updated(Settings(), changes)
    assert words in str(info.value)


def test_a_changed_problem_type_moves_to_a_data_set_of_that_kind():
    assert updated(Settings(), {"problem": "regression"}).dataset == "plane"
    assert updated(Settings(dataset="plane", problem="regression"),
                   {"problem": "classification"}).dataset == "circle"  # fmt: skip


def test_every_field_has_a_check():
    assert set(FIELDS) == set(Settings.__dataclass_fields__)


def test_data_sets_are_seeded_and_in_the_square():
    for name in datasets.CLASSIFICATION + datasets.REGRESSION:
        X, y = datasets.generate(name, 300, 20, 3, seed=4)
        X2, y2 = datasets.generate(name, 300, 20, 3, seed=4)
        assert np.array_equal(X, X2) and np.array_equal(y, y2)
        assert X.shape == (300, 2) and np.abs(X).max() <= datasets.DOMAIN
    _, y = datasets.generate("spiral", 300, 0, 3, seed=0)
    assert sorted(set(y.tolist())) == [0, 1, 2]


def test_features_are_the_seven_functions_of_the_coordinates():
    P = np.array([[1.0, 2.0], [-0.5, 3.0]])
    F = datasets.features(P, list(datasets.FEATURES))
    x1, x2 = P.T
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(F, expected, rtol=1e-6)


@pytest.mark.parametrize(("text", "words"), [
    ("a,b,label\n1,2,0\n", "must name the columns x, y and label; missing x, y"),
    ("x,y,label\n", "at least one data row"),
    ("x,y,label\n1,2,0\n2,3,1\n", "at least 4 are needed"),
    ("x,y,label\n1,2,0\n2,three,1\n3,4,0\n5,6,1\n", "row 3: x and y must be numbers"),
    ("x,y,label\n1,2,0\n2,3\n3,4,0\n5,6,1\n", "row 3 has 2 fields"),
    ("x,y,label\n1,2,a\n2,3,a\n3,4,a\n5,6,a\n", "single value"),
    ("x,y,label\n1,nan,a\n2,3,b\n3,4,a\n5,6,b\n", "finite"),
    ("x,y,label\n" + "".join(f"{i},{i},{i}\n" for i in range(9)), "at most 8 classes"),
    ("x,y,label\n" + "1,2,0\n" * 5001, "at most 5000 points"),
])  # fmt: skip
def test_a_bad_csv_gets_a_clear_error(text, words):
    with pytest.raises(DataError) as info:
        datasets.parse_csv(text, regression=False, max_points=5000, max_classes=8)
    assert words in str(info.value)


def test_an_uploaded_csv_is_scaled_into_the_square_with_classes_in_order():
    text = "x,y,label\n0,100,cat\n10,300,dog\n5,200,cat\n10,100,bird\n"
    P, y, classes, scale = datasets.parse_csv(text, False, 5000, 8)
    assert classes == ["bird", "cat", "dog"] and y.tolist() == [1, 2, 1, 0]
    np.testing.assert_allclose(P[:, 0], [-5, 5, 0, 5])
    np.testing.assert_allclose(P[:, 1], [-5, 5, 0, -5])
    assert scale == [[5.0, 5.0], [200.0, 100.0]]


def test_an_uploaded_csv_for_regression_maps_its_numeric_labels_onto_minus_one_to_one():
    text = "x,y,label\n0,0,10\n1,1,20\n2,0,30\n3,1,15\n"
    _, t, classes, _ = datasets.parse_csv(text, True, 5000, 8)
    assert classes == [] and t.tolist() == [-1.0, 0.0, 1.0, -0.5]
    with pytest.raises(DataError, match="must hold numbers"):
        datasets.parse_csv(text.replace("15", "cat"), True, 5000, 8)


def test_an_upload_follows_the_problem_type_and_a_bad_one_changes_nothing():
    session = Session()
    session.load_csv("x,y,label\n0,0,1\n1,1,3\n2,0,2\n3,1,3\n", "n.csv")
    assert session.data.classes == ["1", "2", "3"]
    session.apply(updated(session.settings, {"problem": "regression"}))
    assert session.settings.dataset == "upload" and session.data.classes == []
    assert sorted(session.data.labels.tolist()) == [-1.0, 0.0, 1.0, 1.0]  # 1, 2, 3 -> -1, 0, 1
    with pytest.raises(DataError, match="header"):
        session.load_csv("a,b\n1,2\n", "bad.csv")
    assert session.data.source == "n.csv" and session.settings.problem == "regression"


def _one_step(regularization, rate):
    s = Settings(hidden=(4,), regularization=regularization, reg_rate=rate, lr=0.1)
    net = Network(s, 2)
    rng = np.random.default_rng(0)
    xb = rng.standard_normal((10, 2)).astype(np.float32)
    net.train_step(xb, rng.integers(0, 2, 10))
    return net.state_dict()


def test_l2_and_l1_shrink_the_weights_after_the_step_and_leave_biases_alone():
    plain = _one_step("none", 0.0)
    l2, l1 = _one_step("l2", 0.5), _one_step("l1", 3.0)
    step = np.float32(0.1 * 0.5)
    for name in ("0.weight", "2.weight"):
        np.testing.assert_allclose(l2[name], plain[name] - step * plain[name], rtol=1e-6)
        w, l1_step = plain[name], np.float32(0.1 * 3.0)
        shrunk = np.where(np.abs(w) > l1_step, w - l1_step * np.sign(w), 0)  # stops at zero
        np.testing.assert_allclose(l1[name], shrunk, rtol=1e-6, atol=1e-7)
    for name in ("0.bias", "2.bias"):
        assert np.array_equal(l2[name], plain[name]) and np.array_equal(l1[name], plain[name])
    assert (l1["0.weight"] == 0).any()  # 0.3 per step zeroes the small weights


def test_regression_learns_the_plane_through_the_binary_head():
    session = Session(updated(Settings(), {"problem": "regression", "lr": 0.1}))
    before = session.losses()[1]
    session.step(30)
    after = session.losses()[1]
    assert after < before / 3
    out = session.net.outputs(session.F_test)
    assert out.min() >= -1 and out.max() <= 1


def _losses_after(engine, epochs=3, **changes):
    s = updated(Settings(), {"dataset": "spiral", "classes": 3, "hidden": [6, 5],
                             "optimizer": "adam", "lr": 0.01, "engine": engine, **changes})
    session = Session(s)
    session.step(epochs)
    return np.array(session.losses()), session.net.state_dict()


def test_each_layers_activation_reaches_the_engine_and_the_neuron_pictures():
    s = updated(Settings(), {"hidden": [3, 2], "activations": ["tanh", "relu"]})
    net = Network(s, 2)
    assert [layer.name for layer in net.spec.layers if layer.kind == "activation"] == [
        "tanh", "relu"]  # fmt: skip
    assert net.spec.summary() == "2 -> Linear(2, 3) -> Tanh -> Linear(3, 2) -> ReLU -> " \
        "Linear(2, 1) -> 1 logit"
    X = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32)
    W = net.state_dict()
    a1 = np.tanh(X @ W["0.weight"].T + W["0.bias"])  # worked here, layer by layer
    a2 = np.maximum(a1 @ W["2.weight"].T + W["2.bias"], 0)
    h1, h2 = net.hidden_outputs(X)
    np.testing.assert_allclose(h1, a1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h2, a2, rtol=1e-5, atol=1e-6)
    z = a2 @ W["4.weight"].T + W["4.bias"]
    np.testing.assert_allclose(net.engine.logits(X), z, rtol=1e-4, atol=1e-5)


MIXED = {"activations": ["tanh", "relu"]}


def test_scratch_and_autograd_give_the_same_numbers_with_mixed_activations():
    (a, wa), (b, wb) = _losses_after("scratch", **MIXED), _losses_after("autograd", **MIXED)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=1e-4, atol=1e-6)
    (c, _) = _losses_after("autograd")  # all tanh: another network, other numbers
    assert not np.allclose(a, c)


@pytest.mark.torch
def test_torch_gives_the_same_numbers_with_mixed_activations():
    pytest.importorskip("torch")
    (a, wa), (b, wb) = _losses_after("autograd", **MIXED), _losses_after("torch", **MIXED)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=1e-4, atol=1e-6)


def test_scratch_and_autograd_give_the_same_numbers():
    (a, wa), (b, wb) = _losses_after("scratch"), _losses_after("autograd")
    np.testing.assert_allclose(a, b, rtol=1e-5)
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=1e-4, atol=1e-6)


@pytest.mark.torch
def test_torch_gives_the_same_numbers():
    pytest.importorskip("torch")
    (a, wa), (b, wb) = _losses_after("autograd"), _losses_after("torch")
    np.testing.assert_allclose(a, b, rtol=1e-5)
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=1e-4, atol=1e-6)


def test_the_same_seed_gives_the_same_bits_and_another_seed_does_not():
    a, b = _losses_after("autograd"), _losses_after("autograd")
    c = _losses_after("autograd", seed=1)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


def test_a_frame_holds_a_heat_map_per_class_and_per_neuron():
    import base64

    session = Session(updated(Settings(), {"dataset": "gauss", "classes": 3, "hidden": [5, 3]}))
    frame = session.frame()
    output = np.frombuffer(base64.b64decode(frame["output"]), np.uint8)
    assert frame["planes"] == 3 and output.size == 3 * frame["resolution"] ** 2
    # the three planes are probabilities: each cell's bytes add up to about 255
    sums = output.reshape(3, -1).astype(int).sum(axis=0)
    assert np.abs(sums - 255).max() <= 2
    assert [len(layer) for layer in frame["neurons"]] == [5, 3]
    assert [np.shape(w) for w in frame["weights"]] == [(5, 2), (3, 5), (3, 3)]


@pytest.mark.parametrize("engine", ["scratch", "autograd",
                                    pytest.param("torch", marks=pytest.mark.torch)])
def test_a_saved_mixed_activation_run_evaluates_and_predicts_as_the_session_did(engine, tmp_path,
                                                                                capsys):
    import json
    import re

    from groundup.cli import main
    from groundup.playground.save import save_run
    from groundup.runs import open_run

    if engine == "torch":
        pytest.importorskip("torch")
    session = Session(updated(Settings(), {"dataset": "spiral", "classes": 3, "hidden": [6, 5],
                                           "optimizer": "adam", "lr": 0.01, "engine": engine,
                                           **MIXED}))  # fmt: skip
    session.step(5)
    folder = save_run(session, tmp_path / "runs")
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["run"]["activation"] == ["tanh", "relu"]
    d = session.data
    F = np.concatenate([session.F_train, session.F_test])  # the rows of data.csv, in order
    y = np.concatenate([d.y_train, d.y_test])
    P = session.net.outputs(F)  # (m, 3): the session's own probabilities
    for eng in ("scratch", engine):  # predict's engine, and the one that trained
        np.testing.assert_allclose(open_run(folder, eng).probabilities(F), P, rtol=1e-4,
                                   atol=1e-6)  # fmt: skip
    capsys.readouterr()
    assert main(["evaluate", str(folder), "--data", str(folder / "data.csv")]) == 0
    out = capsys.readouterr().out
    assert "Linear(2, 6) -> Tanh -> Linear(6, 5) -> ReLU -> Linear(5, 3)" in out
    accuracy = float(re.search(r"accuracy (\d+\.\d+)%", out).group(1))
    assert accuracy == pytest.approx(100 * np.mean(P.argmax(1) == y), abs=0.005)
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2\n" + "".join(f"{a!r},{b!r}\n" for a, b in F.tolist()))
    assert main(["predict", str(folder), str(rows)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(F)
    for line, p in zip(lines, P, strict=True):
        name, percent = re.fullmatch(r"rows\.csv row \d+: (\S+) \((\d+\.\d)%\)", line).groups()
        assert name == d.classes[p.argmax()] and float(percent) == pytest.approx(100 * p.max(),
                                                                                 abs=0.051)
