"""groundup.plot: every figure is a real PNG, written atomically, and shows the right data."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from groundup import plot
from groundup.errors import DataError, ShapeError
from groundup.plot.boundary import BOUNDARY_GID

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-2, 1, (30, 2)), rng.normal(2, 1, (30, 2))]
    y = np.r_[np.zeros(30, int), np.ones(30, int)]
    return X, y


# ----------------------------------------------------------------------------- curves
def test_plot_history_two_panels(tmp_path):
    rows = [
        {"epoch": e, "loss": 1 / e, "train_acc": 0.8 + e / 100, "test_acc": 0.7 + e / 100}
        for e in (1, 2, 3)
    ]
    fig = plot.plot_history(rows, path=tmp_path / "h.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "h.png")
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train loss"]  # no test_loss given
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), [1, 1 / 2, 1 / 3])
    assert [line.get_label() for line in acc_ax.lines] == ["train accuracy", "test accuracy"]
    np.testing.assert_allclose(acc_ax.lines[1].get_xdata(), [1, 2, 3])


def test_plot_history_train_loss_key_and_test_loss():
    rows = [{"train_loss": 0.5, "test_loss": 0.6}, {"train_loss": 0.4, "test_loss": 0.55}]
    loss_ax, acc_ax = plot.plot_history(rows).axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 0
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), [0.6, 0.55])
    with pytest.raises(DataError):
        plot.plot_history([])


def test_plot_history_marks_points_only_when_few():
    few = plot.plot_history([{"loss": 1 / e} for e in range(1, 21)])
    assert few.axes[0].lines[0].get_marker() == "o"
    many = plot.plot_history([{"loss": 1 / e, "test_acc": 0.5} for e in range(1, 2001)])
    assert {line.get_marker() for ax in many.axes for line in ax.lines} == {"None"}
    curves = plot.plot_curves({"few": [1.0, 0.5], "many": np.linspace(1, 0, 500)})
    assert [line.get_marker() for line in curves.axes[0].lines] == ["o", "None"]


def test_plot_curves_values_and_pairs(tmp_path):
    fig = plot.plot_curves(
        {"sgd": [2.3, 1.0, 0.5], "adam": [(0, 2.3), (5, 0.2)]},
        tmp_path / "c.png",
        xlabel="epoch",
        ylabel="loss",
        title="SGD vs Adam",
        logy=True,
    )
    assert_png(tmp_path / "c.png")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "SGD vs Adam"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), [0, 5])
    with pytest.raises(ShapeError):
        plot.plot_curves({"bad": np.zeros((2, 3))})


def test_plot_confusion_matrix_annotated(tmp_path):
    cm = np.array([[40, 2], [5, 30]])
    fig = plot.plot_confusion_matrix(cm, ["non-cat", "cat"], tmp_path / "cm.png")
    assert_png(tmp_path / "cm.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["40", "2", "5", "30"]
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)
    fig = plot.plot_confusion_matrix(cm, ["non-cat", "cat"], normalize=True)
    assert fig.axes[0].texts[0].get_text() == "95%\n(40)"  # 40 / 42 of the true non-cats
    with pytest.raises(ShapeError):
        plot.plot_confusion_matrix(cm, ["a", "b", "c"])


# ----------------------------------------------------------------------------- boundaries
def _boundary_vertices(fig):
    (contour,) = [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == BOUNDARY_GID]
    return np.concatenate([p.vertices for p in contour.get_paths()])


def test_decision_boundary_of_a_linear_classifier_lies_on_its_line(tmp_path, blobs):
    X, y = blobs
    w, b = np.array([1.0, -2.0]), 0.5
    fig = plot.plot_decision_boundary(
        lambda G: sigmoid(G @ w + b), X, y, path=tmp_path / "b.png", resolution=60
    )
    assert_png(tmp_path / "b.png")
    V = _boundary_vertices(fig)  # σ(w·x + b) = 0.5  <=>  w·x + b = 0
    assert len(V) > 10
    # contour points are interpolated linearly in p between grid nodes ~0.2 apart: close, not exact
    np.testing.assert_allclose(V @ w + b, 0.0, atol=1e-3)
    ax = fig.axes[0]
    assert ax.get_xlim()[0] < X[:, 0].min() and ax.get_ylim()[1] > X[:, 1].max()


def test_decision_boundary_accepts_column_and_two_column_probabilities(blobs):
    X, y = blobs
    w = np.array([1.0, 1.0])
    for fn in (
        lambda G: sigmoid(G @ w)[:, None],
        lambda G: np.c_[1 - sigmoid(G @ w), sigmoid(G @ w)],
    ):
        V = _boundary_vertices(plot.plot_decision_boundary(fn, X, y, resolution=40))
        np.testing.assert_allclose(V @ w, 0.0, atol=1e-3)


def test_decision_boundary_multiclass_and_errors(blobs):
    X, y = blobs
    X3, y3 = np.r_[X, [[3.0, -3.0]]], np.r_[y, 2]
    W = np.array([[-1.0, 1.0, 1.0], [-1.0, 1.0, -1.0]])  # (2, 3)

    def softmax_proba(G):
        z = G @ W
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    fig = plot.plot_decision_boundary(softmax_proba, X3, y3, resolution=40, classes=["a", "b", "c"])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b", "c"]
    with pytest.raises(ShapeError, match=r"\(n, 2\)"):
        plot.plot_decision_boundary(softmax_proba, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ShapeError, match="predict_proba"):
        plot.plot_decision_boundary(lambda G: np.zeros(3), X, y, resolution=10)


def test_flat_model_draws_no_line_but_says_so(blobs):
    X, y = blobs
    fig = plot.plot_decision_boundary(lambda G: np.full(len(G), 0.5), X, y, resolution=20)
    assert not [a for a in fig.axes[0].get_children() if a.get_gid() == BOUNDARY_GID]
    assert "no boundary" in fig.axes[0].texts[0].get_text()


def test_boundary_snapshots_grid(tmp_path, blobs):
    X, y = blobs
    snaps = {s: (lambda G, s=s: sigmoid(G.sum(axis=1) * s / 100 - 1)) for s in (2000, 0, 500, 100)}
    fig = plot.plot_boundary_snapshots(snaps, X, y, tmp_path / "s.png", resolution=30)
    assert_png(tmp_path / "s.png")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["iteration 0", "iteration 100", "iteration 500", "iteration 2000"]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)


# ----------------------------------------------------------------------------- images
def test_weight_images_mnist_grid(tmp_path):
    W = np.random.default_rng(0).standard_normal((128, 784))
    fig = plot.plot_weight_images(W, (28, 28), tmp_path / "w.png")
    assert_png(tmp_path / "w.png")
    (image,) = fig.axes[0].images  # the 16 units in one mosaic, one imshow
    mosaic = np.ma.filled(image.get_array().astype(np.float64), np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(mosaic, (28, 28))
    spots = [np.argwhere(np.all(windows == W[j].reshape(28, 28), axis=(2, 3))) for j in range(17)]
    assert all(len(s) == 1 for s in spots[:16]) and len(spots[16]) == 0  # unit 16 is not shown
    order = [tuple(s[0]) for s in spots[:16]]
    assert order == sorted(order)  # units in reading order: row by row, left to right
    assert [t.get_text() for t in fig.axes[0].texts] == [f"unit {j}" for j in range(16)]
    m = np.abs(W[:16]).max()
    assert image.get_clim() == (-m, m)  # diverging scale centred at 0
    with pytest.raises(ShapeError, match="784"):
        plot.plot_weight_images(W[:, :700], (28, 28))


def test_weight_images_single_rgb_row(tmp_path):
    w = np.random.default_rng(1).standard_normal(64 * 64 * 3)
    fig = plot.plot_weight_images(w.reshape(1, -1), (64, 64, 3), tmp_path / "cat.png")
    assert_png(tmp_path / "cat.png")
    rgb = fig.axes[0].images[0].get_array()
    assert rgb.shape == (64, 64, 3) and rgb.min() == 0.0 and rgb.max() == 1.0
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), w.reshape(64, 64, 3).sum(2))


def test_misclassified_titles(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (12, 8, 8), dtype=np.uint8)
    y_true, y_pred = np.arange(12) % 3, (np.arange(12) + 1) % 3
    fig = plot.plot_misclassified(
        images, y_true, y_pred, ["a", "b", "c"], tmp_path / "m.png", probs=np.full(12, 0.75)
    )
    assert_png(tmp_path / "m.png")
    titles = [t.get_text() for t in fig.axes[0].texts]
    assert len(titles) == 10  # max_images
    assert titles[:2] == ["a / b (0.75)", "b / c (0.75)"]
    mosaic = np.ma.filled(fig.axes[0].images[0].get_array().astype(np.float64), np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(mosaic, (8, 8))
    for j in (0, 9):  # each image shown on its own grey range, as imshow alone would
        lo, hi = images[j].min(), images[j].max()
        assert np.all(windows == ((images[j] - lo) / (hi - lo)), axis=(2, 3)).sum() == 1
    probs = np.array([[0.1, 0.9], [0.8, 0.2]])  # all class probabilities: the predicted one shows
    fig = plot.plot_misclassified(
        np.zeros((2, 4, 4, 3)), [0, 1], [1, 0], ["non-cat", "cat"], probs=probs
    )
    assert [t.get_text() for t in fig.axes[0].texts] == ["non-cat / cat (0.90)",
                                                         "cat / non-cat (0.80)"]  # fmt: skip
    with pytest.raises(ShapeError):
        plot.plot_misclassified(images, y_true[:3], y_pred, None)


def test_feature_maps_show_the_input_and_every_channel(tmp_path):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (6, 6), dtype=np.uint8)
    maps = np.abs(rng.standard_normal((5, 6, 6)))  # after a ReLU: >= 0
    fig = plot.plot_feature_maps(image, maps, tmp_path / "f.png")
    assert_png(tmp_path / "f.png")
    left, right = fig.axes[:2]
    assert left.get_title() == "input"
    mosaic = np.ma.filled(right.images[0].get_array().astype(np.float64), np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(mosaic, (6, 6))
    for c in range(5):  # each channel once, as computed
        assert np.all(windows == maps[c], axis=(2, 3)).sum() == 1
    assert [t.get_text() for t in right.texts] == [f"channel {c}" for c in range(5)]
    assert right.images[0].get_clim() == (maps.min(), maps.max())  # one scale for all
    with pytest.raises(ShapeError):
        plot.plot_feature_maps(image, maps[0])


# ----------------------------------------------------------------------------- lessons
def test_activations(tmp_path):
    fig = plot.plot_activations(tmp_path / "a.png")
    assert_png(tmp_path / "a.png")
    assert [ax.get_title() for ax in fig.axes[:5]] == [
        "relu",
        "leaky_relu",
        "gelu",
        "sigmoid",
        "tanh",
    ]
    relu_line, relu_grad_line = fig.axes[0].lines[0], fig.axes[5].lines[0]
    z = relu_line.get_xdata()
    np.testing.assert_array_equal(relu_line.get_ydata(), np.maximum(z, 0))
    np.testing.assert_array_equal(relu_grad_line.get_ydata(), (z > 0).astype(float))
    sig_grad = fig.axes[8].lines[0].get_ydata()
    assert sig_grad.max() == pytest.approx(0.25, abs=1e-4)  # σ'(0) = 1/4


def test_quiver_arrows_are_the_gradient(tmp_path):
    def f(x, y):
        return x**2 + 3 * x * y + y**2

    def grad(x, y):
        return 2 * x + 3 * y, 3 * x + 2 * y

    fig = plot.plot_quiver(f, grad, tmp_path / "q.png", point=(1, 2), n_arrows=5)
    assert_png(tmp_path / "q.png")
    (quiver,) = [c for c in fig.axes[0].collections if hasattr(c, "U")]
    X, Y = quiver.X.reshape(5, 5), quiver.Y.reshape(5, 5)
    np.testing.assert_allclose(quiver.U.reshape(5, 5), 2 * X + 3 * Y)
    assert "∇f(1, 2) = [8, 7]" in [t.get_text() for t in fig.axes[0].texts]
    plot.plot_quiver(None, grad)  # arrows only


def test_loss_along_line_and_cosines(tmp_path):
    t = np.linspace(-2, 2, 41)
    fig = plot.plot_loss_along_line(
        t, {"log loss": t**2, "squared error": np.cos(t)}, tmp_path / "l.png"
    )
    assert_png(tmp_path / "l.png")
    assert [ax.get_title() for ax in fig.axes] == ["log loss", "squared error"]
    cos = np.random.default_rng(0).uniform(-0.1, 0.1, 500)
    fig = plot.plot_cosine_histogram(cos, tmp_path / "c" / "cos.png")
    assert_png(tmp_path / "c" / "cos.png")
    assert "mean" in fig.axes[0].get_title()


# ----------------------------------------------------------------------------- failures
def test_failed_save_leaves_no_file_and_keeps_old_one(tmp_path, monkeypatch):
    target = tmp_path / "curves.png"
    target.write_bytes(b"old picture")

    def broken_savefig(self, *args, **kwargs):
        raise RuntimeError("renderer crashed (simulated)")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="simulated"):
        plot.plot_curves({"x": [1, 2]}, target)
    assert target.read_bytes() == b"old picture"
    with pytest.raises(RuntimeError):
        plot.plot_activations(tmp_path / "new.png")
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_bad_input_writes_nothing(tmp_path):
    with pytest.raises(ShapeError):
        plot.plot_weight_images(np.zeros((2, 10)), (3, 3), tmp_path / "w.png")
    assert list(tmp_path.iterdir()) == []


def test_no_pyplot_and_no_backend_change():
    # the raw rcParams entry: reading matplotlib.get_backend() would itself import pyplot
    code = (
        "import sys, matplotlib; raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend');"
        "before = raw(); import groundup.plot as p; p.plot_curves({'a': [1, 2]});"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported';"
        "assert raw() == before, 'backend changed'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_epoch_axes_have_whole_number_ticks():
    fig = plot.plot_curves({"SGD": [1.0, 0.6, 0.5], "Adam": [0.9, 0.3, 0.2]}, xlabel="epoch")
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) > 1 and np.all(ticks == np.round(ticks))
