"""Input files read right: one CSV reader for train and predict (delimiters, headers, chunks) and
images converted faithfully from every Pillow mode (bit depths, alpha, palettes, frames).

The bad files and their one-line errors are in ``test_bad_input_files.py``.
"""

from __future__ import annotations

import gzip
import re
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from groundup import data
from groundup.cli import main
from groundup.data import csv_table, load_csv
from groundup.data.csv_loader import check_categorical
from groundup.data.csv_table import detect_delimiter
from groundup.data.images import load_image
from groundup.errors import DataError


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def table(rows, delimiter=",", header=("a", "b", "y")) -> str:
    return "\n".join(delimiter.join(map(str, r)) for r in [header, *rows]) + "\n"


ROWS = [(round(0.37 * k - 3, 2), k % 5, "pq"[k % 3 == 0]) for k in range(30)]
TRAIN = ["--target", "y", "--hidden", "4", "--epochs", "2", "--quiet", "--no-plots"]


# -- CSV: one reader --------------------------------------------------------------------------
def test_delimited_files_train_to_the_same_bits_as_the_comma_file(tmp_path, capsys):
    """Semicolon, tab (.tsv) and pipe (.txt) files train exactly like the comma file, and the
    detected delimiter is said once on stdout."""
    runs = {}
    for d, name in [(",", "a.csv"), (";", "b.csv"), ("\t", "c.tsv"), ("|", "d.txt")]:
        (tmp_path / name).write_text(table(ROWS, d))
        code, out, err = run_cli(["train", tmp_path / name, *TRAIN, "--out", tmp_path / name[0]],
                                 capsys)  # fmt: skip
        assert code == 0, err
        note = {",": None, ";": "semicolon", "\t": "tab", "|": "pipe"}[d]
        notes = [line for line in out.splitlines() if line.startswith("note:")]
        assert notes == ([f"note: {name} is {note}-separated (detected; --delimiter sets it)"]
                         if note else [])  # fmt: skip
        runs[d] = (tmp_path / name[0] / "model.safetensors").read_bytes()
    assert runs[";"] == runs[","] and runs["\t"] == runs[","] and runs["|"] == runs[","]


def test_a_given_delimiter_is_recorded_and_reused_by_resume(tmp_path, capsys):
    (tmp_path / "d.csv").write_text(table(ROWS, ":"))  # no candidate: only --delimiter reads it
    code, out, err = run_cli(["train", tmp_path / "d.csv", *TRAIN, "--delimiter", ":", "--out",
                              tmp_path / "run"], capsys)  # fmt: skip
    assert code == 0 and "note:" not in out, err
    code, _, err = run_cli(["train", "--resume", tmp_path / "run", "--epochs", "3", "--quiet",
                            "--no-plots"], capsys)  # fmt: skip
    assert code == 0, err


def test_an_old_config_without_a_delimiter_still_loads():
    from groundup.runs import RunConfig, build_config

    old = build_config("penguins").to_dict()
    del old["delimiter"]
    assert RunConfig.from_dict(old).delimiter is None


def test_train_and_predict_read_the_same_headers(tmp_path, capsys):
    """A byte-order mark, quoted names and spaces after commas: accepted by both, alike."""
    messy = '\ufeff"a", "b" ,y\n' + table(ROWS).split("\n", 1)[1]
    (tmp_path / "messy.csv").write_text(messy, encoding="utf-8")
    code, _, err = run_cli(["train", tmp_path / "messy.csv", *TRAIN, "--out", tmp_path / "run"],
                           capsys)  # fmt: skip
    assert code == 0, err
    (tmp_path / "plain.csv").write_text("b,a\n1,0.5\n4,-2\n")
    (tmp_path / "fancy.csv").write_text('\ufeff "b";  "a"\n1;0.5\n4;-2\n', encoding="utf-8")
    code, plain, err = run_cli(["predict", tmp_path / "run", tmp_path / "plain.csv"], capsys)
    assert code == 0, err
    code, fancy, err = run_cli(["predict", tmp_path / "run", tmp_path / "fancy.csv"], capsys)
    assert code == 0, err
    assert fancy.replace("fancy.csv", "plain.csv") == plain
    assert err.strip() == "note: fancy.csv is semicolon-separated (detected; --delimiter sets it)"


def test_images_are_told_from_csv_files_by_their_first_bytes(tmp_path):
    from groundup.data.images import looks_like_image

    for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
        Image.fromarray(DIGIT).save(tmp_path / "x", format=fmt)
        assert looks_like_image(tmp_path / "x"), fmt
    (tmp_path / "x").write_text("BMI,age,y\n21.5,40,p\n")  # starts like a BMP's "BM"
    assert not looks_like_image(tmp_path / "x")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a,b,y\n1,2,p\n", ","),
        ("a;b;y\n1,5;2,5;p\n3,5;4;q\n", ";"),  # decimal commas: the header decides
        ("a\tb\ty\n1\t2\tp\n", "\t"),
        ("a|b|y\n1|2|p\n", "|"),
        ('name,x\n"Smith; John",1\n"Doe; Jane",2\n', ","),  # quoted semicolons do not count
        ('a;b\n"1,2";3\n"4,5";6\n', ";"),
        ("a,b;c,d\n1,2;3,4\n", ","),  # ties: more rows agree, then more fields
        ("just one column\nvalue\n", None),
    ],
)
def test_detect_delimiter(text, expected):
    assert detect_delimiter(text) == expected


@st.composite
def tables(draw):
    n, d = draw(st.integers(2, 25)), draw(st.integers(1, 4))
    values = draw(st.lists(st.lists(st.floats(-1e30, 1e30),
                                    min_size=d, max_size=d), min_size=n, max_size=n))  # fmt: skip
    labels = draw(st.lists(st.sampled_from(["cat", "dog", "a b", "x,y"]), min_size=n, max_size=n))
    labels[:2] = ["cat", "x,y"]  # two classes at least
    return np.array(values, dtype=np.float64).reshape(n, d), labels


@given(tables(), st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["\n", "\r\n", "\r"]),
       st.booleans(), st.integers(0, 3))  # fmt: skip
def test_chunked_reading_equals_the_values_written(t, delimiter, newline, quote, blank_every):
    """Any table, written any way (delimiter, line ends, quotes, spaces, blank lines), reads back
    to the values written, in chunks of 3 rows: the fast path and the cell-by-cell path agree."""
    X, labels = t
    q = '"' if quote else ""
    lines = [delimiter.join(f"{q}f{j}{q}" for j in range(X.shape[1])) + f"{delimiter} y"]
    for k, (row, label) in enumerate(zip(X, labels, strict=True)):
        if blank_every and k % blank_every == 0:
            lines.append("" if k % 2 else delimiter * X.shape[1])
        cells = [f"{q}{v!r}{q}" for v in row.tolist()] + [f' "{label}"']
        lines.append(delimiter.join(cells))
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_table, "CHUNK_ROWS", 3)
        path = Path(folder) / "t.csv"
        path.write_bytes((newline.join(lines) + newline).encode())
        ds = load_csv(path, target="y", test_size=0)
    np.testing.assert_array_equal(ds.X_train, X)
    assert [ds.classes[k] for k in ds.y_train] == labels


def test_mixed_line_ends_outgrow_the_line_count(tmp_path, monkeypatch):
    """Lines ended by \\n and by \\r alike: more rows than either count; the arrays grow."""
    monkeypatch.setattr(csv_table, "CHUNK_ROWS", 4)
    rows = [f"{k},{k % 3},{'pq'[k % 2]}" for k in range(40)]
    text = "a,b,y" + "".join(("\n" if k % 2 else "\r") + r for k, r in enumerate(rows)) + "\n"
    (tmp_path / "m.csv").write_bytes(text.encode())
    ds = load_csv(tmp_path / "m.csv", target="y", test_size=0)
    np.testing.assert_array_equal(ds.X_train[:, 0], np.arange(40.0))


def test_gzip_reads_like_the_plain_file(tmp_path):
    text = table(ROWS)
    (tmp_path / "p.csv").write_text(text)
    (tmp_path / "z.csv.gz").write_bytes(gzip.compress(text.encode()))
    a = load_csv(tmp_path / "p.csv", target="y", test_size=0)
    b = load_csv(tmp_path / "z.csv.gz", target="y", test_size=0)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)


def test_every_registry_data_set_loads_back_from_its_csv(tmp_path):
    """Each data set groundup ships (and MNIST / cat when present) written as a CSV loads back
    equal: the header reader, the value checks and the continuous-target rule let them all in."""
    for info in data.list_datasets():
        if not data.is_available(info):
            continue
        name, ds = info.name, data.load(info.name)
        if isinstance(ds, data.TextDataset):
            continue  # a text (tinyshakespeare) is not a table
        y = np.concatenate([ds.y_train, ds.y_test])
        check_categorical(name, "label", [str(c) for c in ds.classes], len(y))
        if ds.image_shape is not None and name != "digits":
            continue  # 784 or 12288 columns: the labels are what could trip the loader
        X = np.concatenate([ds.X_train, ds.X_test]).reshape(len(y), -1)
        names = ds.feature_names or [f"x{j}" for j in range(X.shape[1])]
        lines = [",".join(names + ["label"])]
        lines += [",".join(map(repr, row.tolist())) + f",{ds.classes[k]}"
                  for row, k in zip(X, y, strict=True)]  # fmt: skip
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n")
        back = load_csv(tmp_path / f"{name}.csv", target="label", test_size=0)
        np.testing.assert_array_equal(back.X_train, X.astype(np.float64), err_msg=name)
        assert [back.classes[k] for k in back.y_train] == [str(ds.classes[k]) for k in y], name


@pytest.mark.parametrize(
    "labels, n_rows, continuous",
    [
        ([f"{k + 0.5}" for k in range(20)], 100, False),  # 20 distinct: at most 20 classes
        ([f"{k + 0.5}" for k in range(21)], 100, True),  # 21 with fractions: a measurement
        ([str(k) for k in range(100)], 1000, False),  # 100 integer classes, 10 rows each
        ([str(k) for k in range(100)], 150, True),  # an id: most rows a value of their own
        ([f"{k}.0" for k in range(30)], 30, True),
        ([f"c{k}" for k in range(300)], 300, False),  # text: categorical by definition
    ],
)
def test_continuous_targets(labels, n_rows, continuous):
    if continuous:
        with pytest.raises(DataError, match="looks continuous"):
            check_categorical("f.csv", "y", labels, n_rows)
    else:
        check_categorical("f.csv", "y", labels, n_rows)


# -- images: every mode, faithfully ---------------------------------------------------------------
DIGIT = np.zeros((8, 8), np.uint8)
DIGIT[1:7, 2] = DIGIT[1:7, 5] = DIGIT[1, 2:6] = DIGIT[6, 2:6] = 250  # a light "0" on black
DIGIT[2:6, 3] = 96  # and some grey


def _load(img: Image.Image, tmp_path, fmt="PNG", shape=(8, 8), **kwargs) -> np.ndarray:
    path = tmp_path / f"x.{fmt.lower()}"
    img.save(path, format=fmt, **kwargs)
    return load_image(path, shape).pixels


def test_16_bit_images_keep_their_high_byte_not_clipped(tmp_path):
    """A 16-bit gradient (PNG I;16, big-endian TIFF I;16B, PGM opened as I) gives v >> 8; the
    old convert("L") clipped everything above 255 to white."""
    v = (np.arange(4 * 64).reshape(4, 64) * 256 + np.arange(64) % 200).astype(np.uint16)
    expected = (v >> 8).astype(np.uint8)
    png = Image.fromarray(v)
    assert png.mode == "I;16"
    np.testing.assert_array_equal(_load(png, tmp_path, "PNG", (4, 64)), expected)
    (tmp_path / "be.tif").write_bytes(_tiff_16_big_endian(v))
    assert Image.open(tmp_path / "be.tif").mode == "I;16B"
    np.testing.assert_array_equal(load_image(tmp_path / "be.tif", (4, 64)).pixels, expected)
    np.testing.assert_array_equal(_load(png, tmp_path, "PPM", (4, 64)), expected)  # mode I
    dark = v // 64  # a dark 16-bit image (<= 1023) stays dark (0..3), not white
    np.testing.assert_array_equal(_load(Image.fromarray(dark), tmp_path, "PNG", (4, 64)),
                                  dark >> 8)  # fmt: skip


@pytest.mark.parametrize("ink", [0, 255, 40])
def test_a_digit_on_a_transparent_background_is_the_grey_digit(tmp_path, ink):
    """Black, white or dark-grey ink whose alpha is the digit: light on black, as the grey digit
    (255 a with a = DIGIT / 255 for black and white ink; a |ink - background| in general)."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = ink, DIGIT
    got = _load(Image.fromarray(rgba), tmp_path)
    background = 255 if ink < 128 else 0
    np.testing.assert_array_equal(got, np.rint(DIGIT / 255 * abs(ink - background)))
    la = _load(Image.fromarray(np.ascontiguousarray(rgba[..., [0, 3]])), tmp_path)
    np.testing.assert_array_equal(la, got)
    inverted = load_image(tmp_path / "x.png", (8, 8), invert=True).pixels
    np.testing.assert_array_equal(inverted, 255 - got)


@pytest.mark.parametrize("colour, background", [((200, 200, 100), 0), ((200, 0, 0), 255)])
def test_rgb_models_lay_the_mark_on_the_contrasting_background(tmp_path, colour, background):
    """An opaque square with a transparent top row: a light mark (grey 189) goes on black, a
    dark one (grey 60) on white; RGB models are not inverted."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = colour, 255
    rgba[0, :, 3] = 0
    got = _load(Image.fromarray(rgba), tmp_path, shape=(8, 8, 3))
    np.testing.assert_array_equal(got[1:], np.broadcast_to(colour, (7, 8, 3)))
    np.testing.assert_array_equal(got[0], background)


def test_palettes_with_and_without_a_transparent_entry(tmp_path):
    """Entry k of a grey palette is (k, k, k); with entry 0 transparent the background becomes
    transparent and the light digit lands on black: the same digit either way."""
    p = Image.new("P", (8, 8))
    p.putpalette([k for k in range(256) for _ in range(3)])
    p.putdata(DIGIT.ravel().tolist())
    np.testing.assert_array_equal(_load(p, tmp_path), DIGIT)
    np.testing.assert_array_equal(_load(p, tmp_path, transparency=0), DIGIT)


MODES = [("L", "PNG"), ("RGB", "PNG"), ("RGB", "BMP"), ("CMYK", "TIFF"), ("YCbCr", "TIFF"),
         ("LAB", "TIFF")]  # fmt: skip


@pytest.mark.parametrize("mode, fmt", MODES)
def test_8_bit_modes_give_the_grey_digit(tmp_path, mode, fmt):
    got = _load(Image.fromarray(DIGIT).convert(mode), tmp_path, fmt)
    np.testing.assert_allclose(got, DIGIT, atol=2)  # colour-space round trips: within 2 levels


def test_bilevel_images(tmp_path):
    bits = Image.fromarray(DIGIT).convert("1", dither=Image.Dither.NONE)
    np.testing.assert_array_equal(_load(bits, tmp_path), np.where(DIGIT >= 128, 255, 0))


def test_float_images_by_their_range(tmp_path):
    unit = Image.fromarray((DIGIT / 255).astype(np.float32))  # [0, 1]: times 255
    np.testing.assert_array_equal(_load(unit, tmp_path, "TIFF"), DIGIT)
    wide = Image.fromarray(DIGIT.astype(np.float32) * 4 - 100)  # [-100, 900]: min..max
    stretched = np.rint((DIGIT - DIGIT.min()) * (255 / (DIGIT.max() - DIGIT.min())))
    np.testing.assert_array_equal(_load(wide, tmp_path, "TIFF"), stretched)


def test_an_animated_gif_gives_its_first_frame_and_says_so(tmp_path, capsys):
    frames = [Image.fromarray(DIGIT), Image.fromarray(255 - DIGIT)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    picture = load_image(tmp_path / "a.gif", (8, 8))
    assert picture.frames == 2
    np.testing.assert_allclose(picture.pixels, DIGIT, atol=1)


def test_predict_a_transparent_digit_like_the_grey_digit(tmp_path, capsys):
    """End to end on a digits model: grey, black-on-transparent and white-on-transparent files
    of the same digit give the same line; a GIF says which frame it used."""
    code, _, err = run_cli(["train", "digits", "--hidden", "8", "--epochs", "2", "--quiet",
                            "--no-plots", "--out", tmp_path / "run"], capsys)  # fmt: skip
    assert code == 0, err
    digit = np.round(data.load("digits").X_test[0] * (255 / 16)).astype(np.uint8)
    Image.fromarray(digit).save(tmp_path / "grey.png")
    for ink in (0, 255):
        rgba = np.zeros((8, 8, 4), np.uint8)
        rgba[..., :3], rgba[..., 3] = ink, digit
        Image.fromarray(rgba).save(tmp_path / f"ink{ink}.png")
    Image.fromarray(digit).save(tmp_path / "a.gif", save_all=True,
                                append_images=[Image.fromarray(255 - digit)])  # fmt: skip
    code, out, err = run_cli(["predict", tmp_path / "run", tmp_path / "grey.png",
                              tmp_path / "ink0.png", tmp_path / "ink255.png",
                              tmp_path / "a.gif"], capsys)  # fmt: skip
    assert code == 0 and err == "", err
    answers = [re.sub(r"^.*?: ", "", line) for line in out.splitlines()]
    assert answers[0] == answers[1] == answers[2], out
    assert "a.gif (first of 2 frames): " in out


def _tiff_16_big_endian(v: np.ndarray) -> bytes:
    """A minimal big-endian ("MM") 16-bit grey TIFF, which Pillow opens as mode I;16B."""
    h, w = v.shape
    pixels = v.astype(">u2").tobytes()
    start = 8 + 2 + 9 * 12 + 4  # header, then an IFD of 9 entries, then the pixels
    tags = [(256, 3, w), (257, 3, h), (258, 3, 16), (259, 3, 1), (262, 3, 1), (273, 4, start),
            (277, 3, 1), (278, 3, h), (279, 4, len(pixels))]  # fmt: skip
    entries = b"".join(struct.pack(">HHI", tag, kind, 1)
                       + (struct.pack(">HH", value, 0) if kind == 3 else struct.pack(">I", value))
                       for tag, kind, value in tags)  # fmt: skip
    ifd = struct.pack(">H", len(tags)) + entries + struct.pack(">I", 0)
    return b"MM" + struct.pack(">HI", 42, 8) + ifd + pixels
