"""load_csv: string and integer labels, and one clear DataError per user mistake."""

import numpy as np
import pytest

from groundup.data import load_csv
from groundup.errors import DataError


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _rows(n_per_class, labels):
    lines = []
    for k, label in enumerate(labels):
        for i in range(n_per_class):
            lines.append(f"{k + 0.1 * i},{-i},{label}")
    return "\n".join(lines) + "\n"


def test_string_labels_are_encoded_in_sorted_order(tmp_path):
    path = _write(tmp_path, "a,b,species\n" + _rows(10, ["Gentoo", "Adelie"]))
    ds = load_csv(path, target="species")
    assert ds.classes == ["Adelie", "Gentoo"]
    assert ds.feature_names == ["a", "b"]
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64
    assert ds.X_train.shape == (16, 2) and ds.X_test.shape == (4, 2)
    assert np.bincount(ds.y_test).tolist() == [2, 2]  # stratified
    # Gentoo rows have a in [0, 1), Adelie rows in [1, 2): the labels follow the rows
    X = np.vstack([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    assert np.all((X[:, 0] >= 1) == (y == 0))
    assert ds.name == "data"


def test_integer_labels_keep_numeric_order(tmp_path):
    path = _write(tmp_path, "x,y,label\n" + _rows(5, ["10", "2", "0"]))
    ds = load_csv(path, target="label", test_size=0)
    assert ds.classes == ["0", "2", "10"]  # numeric, not "0" < "10" < "2"
    X, y = ds.X_train, ds.y_train
    assert ds.X_test.shape == (0, 2)
    assert np.all(y[X[:, 0] < 1] == 2)  # the rows labelled "10"


def test_target_by_position_and_other_delimiter(tmp_path):
    path = _write(tmp_path, "label;x\nyes;1\nno;2\nyes;3\nno;4\nyes;5\nno;6\n")
    ds = load_csv(path, target=0, delimiter=";", test_size=0)
    assert ds.feature_names == ["x"] and ds.classes == ["no", "yes"]
    assert ds.y_train.tolist() == [1, 0, 1, 0, 1, 0]


def test_no_such_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "nope.csv", target="y")


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file(tmp_path, text):
    with pytest.raises(DataError, match="is empty"):
        load_csv(_write(tmp_path, text), target="y")


def test_header_only(tmp_path):
    with pytest.raises(DataError, match="no data rows"):
        load_csv(_write(tmp_path, "a,b,y\n"), target="y")


def test_missing_target_lists_the_columns(tmp_path):
    path = _write(tmp_path, "a,b,kind\n1,2,x\n3,4,y\n")
    with pytest.raises(DataError, match="no target column 'label'") as info:
        load_csv(path, target="label")
    assert "'a', 'b', 'kind'" in str(info.value)


def test_non_numeric_feature_columns_are_named(tmp_path):
    path = _write(tmp_path, "a,island,colour,y\n1,Biscoe,red,p\n2,Dream,blue,q\n3,Biscoe,red,p\n")
    with pytest.raises(DataError, match="must be numeric") as info:
        load_csv(path, target="y")
    message = str(info.value)
    assert "'island'" in message and "'colour'" in message and "'a'" not in message


def test_nans_say_which_columns_and_rows(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,p\nNA,3,q\n4,,p\n5,nan,q\n6,7,p\n")
    with pytest.raises(DataError, match="3 row\\(s\\) have missing values") as info:
        load_csv(path, target="y")
    message = str(info.value)
    assert "'a': 1" in message and "'b': 2" in message and "lines 3, 4, 5" in message


def test_missing_label(tmp_path):
    with pytest.raises(DataError, match="missing at lines \\[3\\]"):
        load_csv(_write(tmp_path, "a,y\n1,p\n2,\n3,q\n"), target="y")


def test_a_single_class(tmp_path):
    with pytest.raises(DataError, match=r"single class \('cat'\);"):  # not np.str_('cat')
        load_csv(_write(tmp_path, "a,y\n1,cat\n2,cat\n3,cat\n"), target="y")


def test_a_class_with_one_row_cannot_be_split(tmp_path):
    path = _write(tmp_path, "a,y\n1,p\n2,p\n3,q\n4,q\n5,r\n")
    with pytest.raises(DataError, match=r"class 'r' of target 'y' has a single row \(line 6\)"):
        load_csv(path, target="y")
    assert load_csv(path, target="y", test_size=0).classes == ["p", "q", "r"]  # no split


def test_train_test_split_names_the_classes_too_small_to_stratify():
    from groundup.data import train_test_split

    with pytest.raises(DataError, match=r"class\(es\) \['b'\] have a single example"):
        train_test_split(np.arange(5), stratify=np.array(["a", "a", "b", "c", "c"]))


def test_a_single_class_loads_for_evaluation(tmp_path):
    # training=False: rows to test a trained model on, which may all be of one class
    ds = load_csv(_write(tmp_path, "a,y\n1,cat\n2,cat\n"), target="y", test_size=0,
                  training=False)  # fmt: skip
    assert ds.classes == ["cat"] and ds.y_train.tolist() == [0, 0]


def test_unstratified_split_is_the_plain_seeded_split(tmp_path):
    from groundup.data import train_test_split

    rows = "".join(f"{k},{'pq'[k % 3 == 0]}\n" for k in range(20))
    ds = load_csv(_write(tmp_path, "a,y\n" + rows), target="y", stratify=False, random_state=3)
    X = np.arange(20.0).reshape(-1, 1)
    X_train, X_test = train_test_split(X, test_size=0.2, random_state=3)
    np.testing.assert_array_equal(ds.X_train, X_train)
    np.testing.assert_array_equal(ds.X_test, X_test)
    assert "at random" in ds.description


def test_ragged_rows(tmp_path):
    with pytest.raises(DataError, match="row 3 has 2 fields"):
        load_csv(_write(tmp_path, "a,b,y\n1,2,p\n3,q\n"), target="y")


def test_only_a_target_column(tmp_path):
    with pytest.raises(DataError, match="no features"):
        load_csv(_write(tmp_path, "y\np\nq\n"), target="y")
