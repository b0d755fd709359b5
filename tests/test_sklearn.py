"""groundup.sklearn in scikit-learn's machinery, against scikit-learn's MLPClassifier and
groundup's own training loop (issue 14)."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLP  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from groundup import models  # noqa: E402
from groundup.engines import OptimizerSpec, make_engine  # noqa: E402
from groundup.sklearn import CNNClassifier, MLPClassifier  # noqa: E402
from groundup.train import Trainer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ENGINES = ["scratch", "autograd", pytest.param("torch", marks=pytest.mark.torch)]


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_importing_groundup_does_not_import_sklearn():
    code = "import sys, groundup, groundup.models; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pipeline_in_grid_search_over_widths_and_engines():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("mlp", MLPClassifier(learning_rate_init=0.02, max_iter=40, random_state=0))])
    grid = GridSearchCV(pipe, {"mlp__hidden_layer_sizes": [(), (16,)],
                               "mlp__engine": ["scratch", "autograd"]}, cv=3)
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_score_ > 0.9
    # the engines agree number for number, so each width scores the same on both
    res = grid.cv_results_
    scores = dict(zip(map(str, res["params"]), res["mean_test_score"], strict=True))
    for width in ["()", "(16,)"]:
        s = [v for k, v in scores.items() if width in k]
        assert s[0] == s[1]


def test_cross_val_score_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    kw = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=30, random_state=0)
    ours = cross_val_score(Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(**kw))]),
                           X, y, cv=5)
    theirs = cross_val_score(Pipeline([("scale", StandardScaler()), ("mlp", SkMLP(**kw))]),
                             X, y, cv=5)
    assert ours.mean() > 0.95 and ours.mean() > theirs.mean() - 0.02


def test_clone_and_set_params_round_trip():
    est = MLPClassifier((7, 3), solver="sgd", alpha=0.5, engine="scratch", random_state=3)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    twin.set_params(hidden_layer_sizes=(4,), engine="autograd")
    assert twin.hidden_layer_sizes == (4,) and est.hidden_layer_sizes == (7, 3)
    assert MLPClassifier(**twin.get_params()).get_params() == twin.get_params()
    cnn = CNNClassifier(channels=(2,), image_shape=(1, 2, 2))
    assert clone(cnn).get_params() == cnn.get_params()
    X, y = iris()
    fitted = MLPClassifier((5,), max_iter=2, random_state=0).fit(X, y)
    assert not hasattr(clone(fitted), "classes_")


@pytest.mark.parametrize("engine", ENGINES)
def test_fit_is_groundup_train(engine):
    """With PyTorch's init, a fit is the training loop's run: same init, batches and steps,
    hence the same weights."""
    X, y = cancer()
    X = X.astype(np.float32)
    est = MLPClassifier((10,), batch_size=64, learning_rate_init=0.01, max_iter=3, tol=0,
                        random_state=7, engine=engine, init="pytorch").fit(X, y)
    spec = models.build("mlp", 30, 2, hidden=(10,), activation="relu")
    ref = make_engine(engine, spec, spec.init_state(7), OptimizerSpec("adam", 0.01), 7)
    Trainer(ref, X, y, epochs=3, batch_size=64, seed=7, log=None).fit()
    for name, w in ref.state_dict().items():
        np.testing.assert_array_equal(est._engine.state_dict()[name], w)


def test_engines_give_the_same_predictions():
    X, y = iris()
    fits = [MLPClassifier((12,), learning_rate_init=0.02, max_iter=20, random_state=1,
                          engine=e).fit(X, y) for e in ("scratch", "autograd")]
    try:
        import torch  # noqa: F401
        fits.append(clone(fits[0]).set_params(engine="torch").fit(X, y))
    except ImportError:
        pass
    for f in fits[1:]:
        np.testing.assert_array_equal(f.predict(X), fits[0].predict(X))
        np.testing.assert_allclose(f.predict_proba(X), fits[0].predict_proba(X), atol=1e-5)
        np.testing.assert_allclose(f.loss_curve_, fits[0].loss_curve_, rtol=1e-5)


@pytest.mark.parametrize("data", [iris, cancer])
def test_one_sgd_step_with_alpha_equals_sklearns(data):
    """alpha: one full-batch SGD step from the same weights as scikit-learn's MLPClassifier,
    whose loss adds alpha/(2n)·Σ||W||² and whose weight gradients gain (alpha/n)·W."""
    X, y = data()
    n, d, C = len(X), X.shape[1], len(np.unique(y))
    alpha, lr = 3.0, 0.1
    ours = MLPClassifier((6,), solver="sgd", momentum=0.0, alpha=alpha, batch_size=n,
                         learning_rate_init=lr, shuffle=False, random_state=5, engine="scratch",
                         init="pytorch")
    ours.partial_fit(X, y, classes=np.unique(y))
    spec = models.build("mlp", d, C, hidden=(6,), activation="relu")
    init = {k: v.astype(np.float64) for k, v in spec.init_state(5).items()}
    sk = SkMLP((6,), solver="sgd", momentum=0.0, alpha=alpha, batch_size=n,
               learning_rate_init=lr, shuffle=False, random_state=0)
    sk.partial_fit(X, y, classes=np.unique(y))  # builds its layers; the weights are set next
    sk.coefs_ = [init["0.weight"].T.copy(), init["2.weight"].T.copy()]
    sk.intercepts_ = [init["0.bias"].copy(), init["2.bias"].copy()]
    sk.partial_fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.loss_curve_[0], sk.loss_curve_[-1], rtol=1e-5)


def test_alpha_by_hand():
    """W1 = W0 - lr (dL/dW + (alpha/n) W0); the biases move by -lr dL/db alone."""
    X, y = iris()
    n, alpha, lr = len(X), 2.0, 0.5
    est = MLPClassifier((), solver="sgd", momentum=0.0, alpha=alpha, batch_size=n,
                        learning_rate_init=lr, random_state=0, engine="autograd", init="pytorch")
    spec = models.build("softmax", 4, 3)
    W0 = spec.init_state(0)
    loss, g = make_engine("autograd", spec, W0, OptimizerSpec("sgd", lr)).loss_and_grads(X, y)
    est.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_allclose(est.coefs_[0].T, W0["0.weight"]
                               - lr * (g["0.weight"] + alpha / n * W0["0.weight"]), rtol=1e-5)
    np.testing.assert_allclose(est.intercepts_[0], W0["0.bias"] - lr * g["0.bias"], rtol=1e-5)
    penalty = alpha / (2 * n) * np.sum(W0["0.weight"].astype(np.float64) ** 2)
    np.testing.assert_allclose(est.loss_curve_[0], loss + penalty, rtol=1e-6)


def test_partial_fit_epochs_equal_fit():
    """k partial_fit calls on the data are fit with max_iter=k: epoch e's order is e's."""
    X, y = iris()
    kw = dict(hidden_layer_sizes=(8,), batch_size=32, learning_rate_init=0.01, tol=0,
              random_state=2)
    fit = MLPClassifier(max_iter=4, **kw).fit(X, y)
    part = MLPClassifier(**kw)
    for _ in range(4):
        part.partial_fit(X, y, classes=np.unique(y))
    for a, b in zip(fit.coefs_ + fit.intercepts_, part.coefs_ + part.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert fit.loss_curve_ == part.loss_curve_ and (fit.n_iter_, fit.t_) == (part.n_iter_, part.t_)


def test_partial_fit_over_batches_equals_one_epoch():
    """Without shuffling, one epoch of batches of b is partial_fit on each batch in turn."""
    X, y = iris()
    kw = dict(hidden_layer_sizes=(8,), solver="sgd", alpha=0.1, batch_size=30, shuffle=False,
              learning_rate_init=0.05, random_state=4)
    fit = MLPClassifier(max_iter=1, **kw).fit(X, y)
    part = MLPClassifier(**kw)
    for start in range(0, len(X), 30):
        part.partial_fit(X[start:start + 30], y[start:start + 30], classes=np.unique(y))
    for a, b in zip(fit.coefs_ + fit.intercepts_, part.coefs_ + part.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_string_labels_feature_names_and_fitted_attributes():
    pd = pytest.importorskip("pandas")
    X, y = iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = MLPClassifier((5, 4), learning_rate_init=0.02, max_iter=100, random_state=0)
    est.fit(frame, names)
    assert list(est.classes_) == ["setosa", "versicolor", "virginica"]
    assert list(est.feature_names_in_) == ["a", "b", "c", "d"] and est.n_features_in_ == 4
    assert set(est.predict(frame)) <= set(est.classes_) and est.score(frame, names) > 0.85
    assert [c.shape for c in est.coefs_] == [(4, 5), (5, 4), (4, 3)]
    assert [b.shape for b in est.intercepts_] == [(5,), (4,), (3,)]
    assert est.n_iter_ == len(est.loss_curve_) and est.t_ == est.n_iter_ * 150
    assert est.best_loss_ == min(est.loss_curve_)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(frame)), est.predict_proba(frame))


def test_tol_stops_and_early_stopping_keeps_the_best():
    X, y = cancer()
    est = MLPClassifier((8,), learning_rate_init=0.05, max_iter=500, n_iter_no_change=3,
                        tol=1e-2, random_state=0).fit(X, y)
    assert est.n_iter_ < 500
    early = MLPClassifier((8,), learning_rate_init=0.05, max_iter=200, early_stopping=True,
                          n_iter_no_change=3, random_state=0).fit(X, y)
    assert early.n_iter_ < 200 and early.best_loss_ is None
    assert early.best_validation_score_ == max(early.validation_scores_)


def test_save_load_and_pickle(tmp_path):
    from safetensors.numpy import load_file

    X, y = iris()
    labels = np.array(["a", "b", "c"])[y]
    est = MLPClassifier((6,), max_iter=5, random_state=0, engine="scratch").fit(X, labels)
    est.save(tmp_path / "mlp.safetensors")
    assert "model/0.weight" in load_file(tmp_path / "mlp.safetensors")  # a plain safetensors
    for twin in (MLPClassifier.load(tmp_path / "mlp.safetensors"),
                 pickle.loads(pickle.dumps(est))):
        np.testing.assert_array_equal(twin.predict_proba(X), est.predict_proba(X))
        assert twin.get_params() == est.get_params() and twin.loss_curve_ == est.loss_curve_
        twin.partial_fit(X, labels)  # the optimizer's state came along: training continues
    est.partial_fit(X, labels)
    np.testing.assert_array_equal(twin.coefs_[0], est.coefs_[0])
    with pytest.raises(Exception, match="CNNClassifier.load|MLPClassifier"):
        CNNClassifier.load(tmp_path / "mlp.safetensors")


def test_cnn_on_images_and_rows():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)[:600]
    y = y[:600]
    images = X.reshape(-1, 8, 8)
    kw = dict(channels=(6,), batch_size=50, learning_rate_init=0.01, max_iter=8, random_state=0)
    a = CNNClassifier(**kw).fit(images, y)
    b = CNNClassifier(**kw).fit(X, y)  # rows of 64 are 8x8 squares
    c = CNNClassifier(**kw).fit(images[:, None], y)  # (N, 1, 8, 8)
    assert a.input_shape_ == b.input_shape_ == c.input_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(a.predict_proba(images), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict_proba(images), c.predict_proba(images[:, None]))
    assert a.score(images, y) > 0.9
    assert [w.shape for w in a.coefs_] == [(6, 1, 3, 3), (96, 10)]
    with pytest.raises(ValueError, match="images of shape"):
        a.predict(np.zeros((2, 7, 7)))


def test_bad_input_is_a_value_error():
    X, y = iris()
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        MLPClassifier((3,)).partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be"):
        MLPClassifier((0,)).fit(X, y)
    with pytest.raises(ValueError, match="engine"):
        MLPClassifier(engine="jax").fit(X, y)
    with pytest.raises(ValueError, match="1 class"):
        MLPClassifier().fit(X, np.zeros(len(X)))


def test_partial_fit_refuses_other_classes_as_sklearn():
    """classes given again must be the first call's (scikit-learn's message, word for word)."""
    X, y = iris()
    ours = MLPClassifier((3,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    sk = SkMLP((3,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    messages = []
    for est in (ours, sk):
        with pytest.raises(ValueError, match="is not the same as on last call") as info:
            est.partial_fit(X, y, classes=[0, 1])
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    np.testing.assert_array_equal(ours.classes_, [0, 1, 2])
    ours.partial_fit(X, y, classes=[2, 1, 0])  # the same classes, in another order


@pytest.mark.parametrize("est, name", [
    (MLPClassifier(hidden_layer_sizes=(0,)), "hidden_layer_sizes must be positive integers"),
    (MLPClassifier(hidden_layer_sizes=(4, 2.5)), "hidden_layer_sizes must be positive integers"),
    (CNNClassifier(kernel_size=4), "kernel_size must be an odd positive integer"),
    (CNNClassifier(channels=()), "channels must be one or more positive integers"),
    (CNNClassifier(channels=(4, -1)), "channels must be one or more positive integers"),
])  # fmt: skip
def test_bad_network_parameters_are_named_as_the_estimators(est, name):
    """A ValueError names the estimator's parameter, as scikit-learn's, not the CLI's flag."""
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match=name) as info:
        est.set_params(max_iter=1).fit(X[:20], y[:20])
    assert "--" not in str(info.value)


@pytest.mark.parametrize("data, hidden", [(cancer, (5, 3)), (iris, ()), (iris, (4,))])
def test_loss_n_layers_n_outputs_out_activation_are_sklearns(data, hidden, tmp_path):
    """scikit-learn's fitted attributes, equal to its own on the same data and settings (the
    same Glorot start and batches: the same loss_), kept by save/load and pickling."""
    X, y = data()
    X = X.astype(np.float32)
    kw = dict(hidden_layer_sizes=hidden, solver="sgd", batch_size=50, shuffle=False,
              learning_rate_init=0.01, max_iter=3, tol=0, random_state=1)
    ours, sk = MLPClassifier(**kw).fit(X, y), SkMLP(**kw).fit(X, y)
    names = ("n_layers_", "n_outputs_", "out_activation_")
    assert [getattr(ours, a) for a in names] == [getattr(sk, a) for a in names]
    assert ours.loss_ == ours.loss_curve_[-1] and ours.loss_ == pytest.approx(sk.loss_, rel=1e-4)
    ours.save(tmp_path / "mlp.safetensors")
    for twin in (MLPClassifier.load(tmp_path / "mlp.safetensors"),
                 pickle.loads(pickle.dumps(ours))):
        assert [getattr(twin, a) for a in ("loss_", *names)] == \
            [getattr(ours, a) for a in ("loss_", *names)]
    ours.partial_fit(X, y)
    assert ours.loss_ == ours.loss_curve_[-1]


def test_cnn_n_layers_n_outputs_out_activation():
    X, y = load_digits(return_X_y=True)
    X, y = (X / 16)[:100], y[:100]
    cnn = CNNClassifier(channels=(3, 4), max_iter=2, random_state=0).fit(X, y)
    assert (cnn.n_layers_, cnn.n_outputs_, cnn.out_activation_) == (4, 10, "softmax")
    assert len(cnn.coefs_) == cnn.n_layers_ - 1 and cnn.loss_ == cnn.loss_curve_[-1]
    two = CNNClassifier(channels=(3,), max_iter=1, random_state=0).fit(X, y % 2)
    assert (two.n_layers_, two.n_outputs_, two.out_activation_) == (3, 1, "logistic")
    assert pickle.loads(pickle.dumps(two)).n_layers_ == 3


@pytest.mark.parametrize("early", [True, False])
def test_verbose_prints_sklearns_lines(early, capsys):
    """Each epoch's loss, with early stopping its validation score, and why training stopped:
    scikit-learn's lines, the last one word for word."""
    X, y = cancer()
    kw = dict(hidden_layer_sizes=(8,), learning_rate_init=0.05, max_iter=200, tol=1e-2,
              n_iter_no_change=3, early_stopping=early, verbose=True, random_state=0)
    SkMLP(**kw).fit(X, y)
    theirs = capsys.readouterr().out.splitlines()
    est = MLPClassifier(**kw).fit(X, y)
    ours = capsys.readouterr().out.splitlines()
    assert est.n_iter_ < 200 and ours[-1] == theirs[-1]
    assert ours[-1] == (f"{'Validation score' if early else 'Training loss'} did not improve "
                        f"more than tol=0.010000 for 3 consecutive epochs. Stopping.")
    per_epoch = 2 if early else 1
    assert len(ours) == per_epoch * est.n_iter_ + 1
    for k in range(est.n_iter_):
        assert ours[per_epoch * k] == f"Iteration {k + 1}, loss = {est.loss_curve_[k]:.8f}"
        if early:
            assert ours[2 * k + 1] == f"Validation score: {est.validation_scores_[k]:f}"


def test_partial_fit_and_early_stopping():
    """scikit-learn's ValueError for partial_fit with early_stopping=True (it was a TypeError);
    a fit with early stopping can go on with partial_fit once it is switched off."""
    X, y = iris()
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPClassifier((3,), early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    est = MLPClassifier((3,), early_stopping=True, max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="early_stopping=True"):
        est.partial_fit(X, y)
    est.set_params(early_stopping=False).partial_fit(X, y)
    assert est.n_iter_ == 4 and est.best_loss_ == est.loss_


def test_cnn_names_the_shapes_it_takes():
    """A 5-D X is refused with the shapes CNNClassifier takes, not check_array's 'dim <= 2';
    nested lists of images are images."""
    y = np.arange(10) % 2
    for X in (np.zeros((10, 2, 3, 4, 5)), np.zeros((10, 2, 3, 4, 5)).tolist()):
        with pytest.raises(ValueError, match=r"\(n_samples, H, W\) or \(n_samples, C, H, W\), "
                                             r"got an array of shape \(10, 2, 3, 4, 5\)"):
            CNNClassifier(channels=(2,), max_iter=1).fit(X, y)
    images = np.zeros((10, 4, 4)).tolist()
    assert CNNClassifier(channels=(2,), max_iter=1).fit(images, y).input_shape_ == (1, 4, 4)


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    """A missing file is an OSError, as open() raises; a file of another kind stays groundup's
    DataError (a ValueError)."""
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(FileNotFoundError, match="No such estimator file") as info:
        MLPClassifier.load(missing)
    assert info.value.filename == str(missing) and "nope.safetensors" in str(info.value)
    with pytest.raises(OSError):
        CNNClassifier.load(str(missing))
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match="junk.safetensors"):
        MLPClassifier.load(tmp_path / "junk.safetensors")


def test_a_network_too_large_for_memory_is_refused_naming_the_parameter():
    """A trillion weights: a ValueError naming hidden_layer_sizes before anything is allocated
    (it was NumPy's MemoryError from drawing the initial weights)."""
    X, y = np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"more than this machine's .*hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(10**6, 10**6)).fit(X, y)
