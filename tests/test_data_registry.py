"""The registry: every embedded and generated set, the cat set, and `groundup datasets`."""

import os
import subprocess
import sys

import numpy as np
import pytest

from groundup.data import is_available, list_datasets, load, synthetic
from groundup.errors import DataError

EXPECTED = {  # name: (X_train shape, X_test shape, X dtype, number of classes)
    "penguins": ((273, 4), (69, 4), np.float64, 3),
    "breast-cancer": ((455, 30), (114, 30), np.float64, 2),
    "digits": ((1437, 8, 8), (360, 8, 8), np.uint8, 10),
    "blobs": ((160, 2), (40, 2), np.float64, 2),
    "xor": ((160, 2), (40, 2), np.float64, 2),
    "moons": ((160, 2), (40, 2), np.float64, 2),
    "circles": ((160, 2), (40, 2), np.float64, 2),
    "spiral": ((240, 2), (60, 2), np.float64, 3),
}


def test_every_set_is_registered():
    names = [info.name for info in list_datasets()]
    assert names == ["mnist", "fashion-mnist", "cat", *EXPECTED, "tinyshakespeare"]
    for info in list_datasets():
        assert info.source and info.license and info.shape and info.classes


@pytest.mark.parametrize("name", list(EXPECTED))
def test_offline_sets_shapes_dtypes_and_stratified_split(name):
    train_shape, test_shape, dtype, n_classes = EXPECTED[name]
    ds = load(name)
    assert ds.X_train.shape == train_shape and ds.X_test.shape == test_shape
    assert ds.X_train.dtype == dtype and ds.y_train.dtype == np.int64
    assert len(ds.classes) == n_classes and ds.name == name
    y = np.concatenate([ds.y_train, ds.y_test])
    share_test = np.bincount(ds.y_test, minlength=n_classes) / np.bincount(y)
    assert np.all(np.abs(share_test - 0.2) < 0.05)
    again = load(name)
    np.testing.assert_array_equal(again.X_test, ds.X_test)  # seed 42 by default


def test_test_size_zero_keeps_everything_in_train():
    ds = load("blobs", test_size=0)
    X, y = synthetic.make_blobs()
    np.testing.assert_array_equal(ds.X_train, X)
    assert ds.X_test.shape == (0, 2) and ds.y_test.shape == (0,)


def test_blobs_are_the_lessons_points():
    rng = np.random.default_rng(0)
    X0 = rng.normal([-2, -2], 1, size=(100, 2))
    X1 = rng.normal([2, 2], 1, size=(100, 2))
    X, y = synthetic.make_blobs()
    np.testing.assert_array_equal(X, np.vstack([X0, X1]))
    assert y.tolist() == [0] * 100 + [1] * 100


@pytest.mark.parametrize("make", [synthetic.make_xor, synthetic.make_moons,
                                  synthetic.make_circles, synthetic.make_spiral])  # fmt: skip
def test_generators_are_seeded_and_sized(make):
    X, y = make(n_samples=90, noise=0.05, seed=3)
    X2, y2 = make(n_samples=90, noise=0.05, seed=3)
    X3, _ = make(n_samples=90, noise=0.05, seed=4)
    assert X.shape == (90, 2) and y.shape == (90,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    with pytest.raises(DataError, match="noise"):
        make(noise=-1.0)


def test_generator_geometry():
    X, y = synthetic.make_circles(noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)
    X, y = synthetic.make_xor(noise=0.0)
    assert np.all((X[:, 0] * X[:, 1] < 0) == (y == 1))
    X, y = synthetic.make_spiral(n_samples=301, n_classes=4)
    assert np.bincount(y).tolist() == [76, 75, 75, 75]
    assert load("spiral", n_classes=4, n_samples=400).classes == ["0", "1", "2", "3"]


def test_penguins_drop_the_two_unmeasured_rows():
    ds = load("penguins", test_size=0)
    assert ds.X_train.shape == (342, 4) and not np.isnan(ds.X_train).any()
    assert ds.classes == ["Adelie", "Chinstrap", "Gentoo"]
    assert np.bincount(ds.y_train).tolist() == [151, 68, 123]  # 152 and 124 minus one each
    assert ds.feature_names == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                "body_mass_g"]  # fmt: skip
    # the first row of penguins.csv: Adelie, Torgersen, 39.1, 18.7, 181, 3750
    np.testing.assert_array_equal(ds.X_train[0], [39.1, 18.7, 181, 3750])


def test_breast_cancer_and_digits_equal_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    ours = load("breast-cancer", test_size=0)
    theirs = datasets.load_breast_cancer()
    np.testing.assert_array_equal(ours.X_train, theirs.data)
    np.testing.assert_array_equal(ours.y_train, theirs.target)
    assert ours.classes == ["malignant", "benign"] == theirs.target_names.tolist()
    assert ours.feature_names == theirs.feature_names.tolist()
    ours = load("digits", test_size=0)
    theirs = datasets.load_digits()
    np.testing.assert_array_equal(ours.X_train, theirs.images)
    np.testing.assert_array_equal(ours.y_train, theirs.target)
    assert ours.image_shape == (8, 8) and ours.X_train.max() == 16


def test_loading_does_not_import_sklearn_h5py_or_torch():
    code = (
        "import sys; from groundup.data import load\n"
        "for n in ['penguins', 'breast-cancer', 'digits', 'blobs', 'spiral']: load(n)\n"
        "print(sorted(m for m in ('sklearn', 'h5py', 'torch', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_name_and_unknown_option():
    with pytest.raises(DataError, match="unknown data set 'mnits'.*mnist"):
        load("mnits")
    with pytest.raises(DataError, match="unsupported option"):
        load("penguins", n_samples=3)
    assert load("Breast_Cancer").name == "breast-cancer"


def test_cat_missing_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUNDUP_DATA_DIR", raising=False)
    monkeypatch.setenv("GROUNDUP_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="no reliable public mirror") as info:
        load("cat", data_dir=tmp_path)
    assert "catvnoncat" in str(info.value)
    cat_info = next(i for i in list_datasets() if i.name == "cat")
    assert not is_available(cat_info, tmp_path)


def test_cat_with_wrong_bytes_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUNDUP_DATA_DIR", raising=False)
    (tmp_path / "catvnoncat").mkdir()
    (tmp_path / "catvnoncat" / "train_catvnoncat.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(DataError, match="SHA-256") as info:
        load("cat", data_dir=tmp_path)
    assert "train_catvnoncat.h5" in str(info.value)


@pytest.mark.real_data("catvnoncat")
def test_real_cat_shapes_and_counts():
    ds = load("cat")
    assert ds.X_train.shape == (209, 64, 64, 3) and ds.X_train.dtype == np.uint8
    assert ds.X_test.shape == (50, 64, 64, 3) and ds.X_test.dtype == np.uint8
    assert ds.y_train.dtype == np.int64 and ds.classes == ["non-cat", "cat"]
    assert int(ds.y_train.sum()) == 72 and int(ds.y_test.sum()) == 33
    assert ds.image_shape == (64, 64, 3)


def test_datasets_command_lists_every_set(tmp_path, monkeypatch, capsys):
    from groundup.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("GROUNDUP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GROUNDUP_DATA_DIR", raising=False)
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for info in list_datasets():
        assert info.name in out
    assert "copy files" in out and "package" in out and str(tmp_path) in out


def test_datasets_command_piped_prints_every_cell_whole(tmp_path, monkeypatch, capsys):
    # rich would fit a pipe into 80 columns and cut "60000+10000" to "60000+100…"
    from groundup.cli import main

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("GROUNDUP_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert "60000+10000 x 28x28" in out and "10 (T-shirt/top, ..., Ankle boot)" in out


def test_datasets_command_in_a_subprocess(tmp_path):
    env = {**os.environ, "GROUNDUP_CACHE_DIR": str(tmp_path / "c"), "COLUMNS": "200"}
    code = "import sys; from groundup.cli import main; sys.exit(main(sys.argv[1:]))"
    out = subprocess.run([sys.executable, "-c", code, "datasets", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert out.returncode == 0 and "breast-cancer" in out.stdout and out.stderr == ""
