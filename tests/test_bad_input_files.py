"""Bad input FILES, generated: each row writes one kind of bad CSV or image and names the words
of the one-line error ``groundup train`` / ``groundup predict`` must print (harness:
``tests/badinput.py``). Encodings, delimiters, headers, ragged rows, non-finite and huge values,
continuous targets, image modes, truncated files, decompression bombs, sizes.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from badinput import Case, check_case
from groundup.cli import main

RUNS: dict[str, Path] = {}  # filled by the `runs` fixture: a tabular run and an image run
GOOD = "a,b,y\n" + "".join(f"{k % 7},{k % 5},{'pq'[k % 2]}\n" for k in range(12))


@pytest.fixture(scope="module", autouse=True)
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    a, b = rng.normal(size=40) + 2 * y, 1e-3 * rng.normal(size=40)  # b: a tiny scale
    rows = "".join(f"{u:.4f},{v:.6f},{'pq'[k]}\n" for u, v, k in zip(a, b, y, strict=True))
    (folder / "train.csv").write_text("a,b,y\n" + rows)
    for name, argv in {"table": [str(folder / "train.csv"), "--target", "y", "--hidden", "4"],
                       "image": ["digits", "--hidden", "8"]}.items():  # fmt: skip
        assert main(["train", *argv, "--epochs", "1", "--out", str(folder / name), "--quiet",
                     "--no-plots"]) == 0  # fmt: skip
        RUNS[name] = folder / name
    return RUNS


# -- writers ----------------------------------------------------------------------------------
def train_bytes(data: bytes, name: str = "data.csv", *extra: str):
    """A Case.make: write ``data`` and train on it with --target y."""

    def make(tmp: Path) -> list[str]:
        (tmp / name).write_bytes(data)
        return ["train", str(tmp / name), "--target", "y", "--epochs", "1", "--out",
                str(tmp / "run"), "--quiet", "--no-plots", *extra]  # fmt: skip

    return make


def train_text(text: str, name: str = "data.csv", *extra: str):
    return train_bytes(text.encode(), name, *extra)


def predict_bytes(run: str, data: bytes, name: str = "new.csv", *extra: str):
    """A Case.make: write ``data`` and predict it with RUNS[run]."""

    def make(tmp: Path) -> list[str]:
        (tmp / name).write_bytes(data)
        return ["predict", str(RUNS[run]), str(tmp / name), *extra]

    return make


def predict_text(text: str, name: str = "new.csv"):
    return predict_bytes("table", text.encode(), name)


def image_bytes(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    import io

    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` grey pixels, with no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + body)))  # fmt: skip
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))  # fmt: skip


def folder(argv_of):
    def make(tmp: Path) -> list[str]:
        (tmp / "inputs").mkdir()
        return argv_of(str(tmp / "inputs") + "/")

    return make


def continuous(n: int, integers: bool) -> str:
    rng = np.random.default_rng(1)
    ys = rng.permutation(n) if integers else rng.uniform(0, 100, n).round(2)
    return "a,b,y\n" + "".join(f"{k},{k % 3},{v}\n" for k, v in enumerate(ys))


def big_csv(bad_line: int, bad: str, n: int = 20_000) -> str:
    """n rows (beyond one parsing chunk and the detection sample), blank lines every 1000; the
    row on file line ``bad_line`` gets ``bad`` in column b."""
    lines = ["a,b,y"]
    for k in range(n):
        lines.append("" if k % 1000 == 999 else f"{k},{k % 7},{'pq'[k % 2]}")
    lines[bad_line - 1] = f"1,{bad},p"
    return "\n".join(lines) + "\n"


LATIN1 = "name,b,y\n1,2,p\ncaf\xe9,3,q\n".replace("name", "a").encode("latin-1")
GARBAGE = np.random.default_rng(0).integers(0, 256, 4000).astype(np.uint8).tobytes()
NOISE = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), np.uint8))
TINY = Image.fromarray(np.zeros((1, 1), np.uint8))
DIGIT = Image.fromarray((np.arange(64).reshape(8, 8) * 4).astype(np.uint8))

TRAIN_CASES = [
    Case("latin-1", train_bytes(LATIN1), ("not UTF-8", "line 3", "0xe9", "save it as UTF-8")),
    Case("latin-1 far into the file", train_bytes(big_csv(15_000, "1").encode()[:-1]
         + "\nq\xe9,1,p\n".encode("latin-1")), ("not UTF-8", "line 20002")),  # fmt: skip
    Case("latin-1 header", train_bytes("\xe2ge,b,y\n1,2,p\n".encode("latin-1")),
         ("not UTF-8", "line 1")),  # fmt: skip
    Case("utf-16 with BOM", train_bytes(GOOD.encode("utf-16")), ("UTF-16", "UTF-8")),
    Case("utf-16 without BOM", train_bytes(GOOD.encode("utf-16-le")),
         ("not a text file", "NUL byte", "line 1")),  # fmt: skip
    Case("binary garbage", train_bytes(GARBAGE), ("not a text file",)),
    Case("high bytes only", train_bytes(bytes(range(128, 256)) * 8), ("not UTF-8",)),
    Case("truncated gzip", train_bytes(gzip.compress(big_csv(2, "1").encode())[:20_000],
                                       "d.csv.gz"), ("corrupted or truncated gzip",)),  # fmt: skip
    Case("png given as csv", train_bytes(image_bytes(DIGIT), "data.csv"), ("not a text file",)),
    Case("a folder", folder(lambda p: ["train", p, "--target", "y"]), ("is a folder",)),
    Case("empty", train_text(""), ("is empty",)),
    Case("header only", train_text("a,b,y\n"), ("no data rows",)),
    Case("duplicate names", train_text("a,a,y\n1,2,p\n3,4,q\n"),
         ("duplicate column names", "'a' (columns 1, 2)")),  # fmt: skip
    Case("duplicate after normalisation", train_text('\ufeffa, "a" ,y\n1,2,p\n3,4,q\n'),
         ("duplicate column names", "'a'")),  # fmt: skip
    Case("duplicate semicolon names", train_text("x;y;x\n1;p;2\n3;q;4\n"),
         ("duplicate column names", "'x' (columns 1, 3)")),  # fmt: skip
    Case("unnamed column", train_text(",a,y\n0,1,p\n1,2,q\n"), ("column(s) 1", "no name")),
    Case("too few fields", train_text("a,b,y\n1,2,p\n3,q\n"),
         ("row 3 has 2 fields but the header has 3",)),  # fmt: skip
    Case("too many fields", train_text("a,b,y\n1,2,p\n3,4,5,q\n"),
         ("row 3 has 4 fields but the header has 3", "quote")),  # fmt: skip
    Case("ragged semicolon file", train_text("a;b;y\n1;2;p\n3;4;q\n5;q\n"),
         ("row 4 has 2 fields",)),  # fmt: skip
    Case("ragged far into the file", train_text(big_csv(12_345, "1,2")),
         ("row 12345 has 4 fields",)),  # fmt: skip
    Case("prose, not a table", train_text("Dear diary\nit rained\n", "notes.txt"),
         ("not a table", "one column", "--delimiter")),  # fmt: skip
    Case("decimal commas", train_text("a;b;y\n1,5;2,0;p\n3,5;4,0;q\n"),
         ("'a' (e.g. '1,5')", "decimal commas as dots")),  # fmt: skip
    Case("nan", train_text("a,b,y\n1,2,p\n3,nan,q\n"), ("missing values", "'b': 1", "lines 3")),
    Case("missing far into the file", train_text(big_csv(15_000, "NA")),
         ("1 row(s) have missing values", "lines 15000")),  # fmt: skip
    Case("inf", train_text("a,b,y\n1,2,p\n3,-inf,q\n"),
         ("line 3, column 'b'", "'-inf' is not a finite number")),  # fmt: skip
    Case("1e400", train_text("a,b,y\n1,2,p\n1e400,4,q\n"),
         ("line 3, column 'a'", "'1e400' is not a finite number")),  # fmt: skip
    Case("1e200", train_text("a,b,y\n1,2,p\n3,1e200,q\n5,6,p\n"),
         ("line 3, column 'b'", "'1e200' is too large", "float32")),  # fmt: skip
    Case("-1e39 far into the file", train_text(big_csv(19_000, "-1e39")),
         ("line 19000, column 'b'", "too large", "float32")),  # fmt: skip
    Case("continuous target", train_text(continuous(200, integers=False)),
         ("looks continuous", "200 distinct numbers in 200 rows", "bin it")),  # fmt: skip
    Case("an id column as target", train_text(continuous(100, integers=True)),
         ("looks continuous", "100 distinct")),  # fmt: skip
    Case("a class with one row", train_text(GOOD + "5,1,r\n", "rare.csv"),
         ("rare.csv", "class 'r' of target 'y' has a single row (line 14)",
          "add rows of that class, or delete that row")),  # fmt: skip
    Case("two classes with one row", train_text(GOOD + "5,1,r\n6,2,s\n", "rare.csv"),
         ("classes 'r', 's' of target 'y' have a single row each (lines 14, 15)",)),
    Case("bad --delimiter", train_text(GOOD, "data.csv", "--delimiter", "ab"),
         ("one character",)),  # fmt: skip
    Case("--delimiter not in a tab header", train_text(GOOD.replace(",", "\t"), "data.tsv",
                                                       "--delimiter", ";"),
         ("data.tsv", "--delimiter ';' does not separate the names", "tab-separated",
          "give --delimiter tab")),  # fmt: skip
    Case("--delimiter in no header", train_text(GOOD.replace(",", " "), "data.txt",
                                                "--delimiter", ";"),
         ("not a table", "--delimiter ';' does not separate the names")),  # fmt: skip
    Case("--delimiter on a registry set", lambda tmp: ["train", "penguins", "--delimiter", ";"],
         ("applies to CSV files",)),  # fmt: skip
]

PREDICT_CASES = [
    Case("predict: duplicate names", predict_text("a,a,b\n1,2,3\n"), ("duplicate", "'a'")),
    Case("predict: header only", predict_text("a,b\n"), ("no data rows",)),
    Case("predict: empty", predict_text(""), ("is empty",)),
    Case("predict: too few fields", predict_text("a,b\n1,2\n3\n"),
         ("row 3 has 1 fields but the header has 2",)),  # fmt: skip
    Case("predict: nan", predict_text("a,b\n1,2\n3,nan\n"), ("missing values", "'b': 1",
                                                            "lines 3")),  # fmt: skip
    Case("predict: empty cell", predict_text("a,b\n1,\n"), ("missing values", "lines 2")),
    Case("predict: inf", predict_text("a,b\n1,2\ninf,4\n"),
         ("line 3, column 'a'", "not a finite number")),  # fmt: skip
    Case("predict: 1e200", predict_text("b,a\n1e200,2\n"), ("line 2, column 'b'", "too large")),
    Case("predict: overflow once standardised", predict_text("a,b\n0,3e38\n"),
         ("row 1", "float32 overflows")),  # fmt: skip
    Case("predict: latin-1", predict_bytes("table", LATIN1), ("not UTF-8", "line 3")),
    Case("predict: utf-16", predict_bytes("table", "a,b\n1,2\n".encode("utf-16")), ("UTF-16",)),
    Case("predict: a folder", folder(lambda p: ["predict", str(RUNS["table"]), p]),
         ("is a folder",)),  # fmt: skip
    Case("predict: an image to a tabular model", predict_bytes("table", image_bytes(DIGIT),
                                                               "x.png"), ("is an image",)),
    Case("predict: semicolons, a column missing", predict_text("a;c\n1;2\n"),
         ("lacks the model's feature columns ['b']",)),  # fmt: skip
    Case("predict: --delimiter not in the header",
         predict_bytes("table", b"a;b\n1;2\n", "new.csv", "--delimiter", "tab"),
         ("--delimiter tab does not separate", "semicolon-separated")),  # fmt: skip
    Case("predict: not a table", predict_text("hello there\n"),
         ("single column", "--delimiter")),  # fmt: skip
]

IMAGE_CASES = [
    Case("image: not an image", predict_bytes("image", b"not an image", "x.png"),
         ("not an image",)),  # fmt: skip
    Case("image: a csv", predict_bytes("image", GOOD.encode(), "x.csv"), ("not an image",)),
    Case("image: truncated", predict_bytes("image", image_bytes(NOISE)[:2000], "x.png"),
         ("truncated or corrupted",)),  # fmt: skip
    Case("image: zero width", predict_bytes("image", png_header_only(0, 8), "x.png"),
         ("not an image",)),  # fmt: skip
    Case("image: 1x1", predict_bytes("image", image_bytes(TINY), "x.png"), ("too small", "1x1")),
    Case("image: bomb", predict_bytes("image", png_header_only(60_000, 60_000), "x.png"),
         ("decompression bomb",)),  # fmt: skip
    Case("image: fully transparent", predict_bytes(
        "image", image_bytes(Image.new("RGBA", (8, 8), (255, 0, 0, 0))), "x.png"),
         ("fully transparent",)),  # fmt: skip
    Case("image: float NaN", predict_bytes("image", image_bytes(
        Image.fromarray(np.full((8, 8), np.nan, np.float32)), "TIFF"), "x.tif"),
         ("NaN or infinite",)),  # fmt: skip
    Case("image: a folder", folder(lambda p: ["predict", str(RUNS["image"]), p]),
         ("is a folder",)),  # fmt: skip
    Case("image: missing", lambda tmp: ["predict", str(RUNS["image"]), str(tmp / "no.png")],
         ("no such image file",)),  # fmt: skip
]


@pytest.mark.parametrize("case", TRAIN_CASES + PREDICT_CASES + IMAGE_CASES, ids=str)
def test_bad_input_file(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)
    assert not (tmp_path / "run" / "config.json").exists()  # nothing half-written


def test_pillows_bomb_warning_is_refused_too(tmp_path, capsys, monkeypatch):
    """Between MAX_IMAGE_PIXELS and twice that, Pillow only warns (on stderr): refused all the
    same, in one line. 8x8 = 64 pixels against a limit of 40 is in that range."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40)
    case = Case("bomb warning", predict_bytes("image", image_bytes(DIGIT), "x.png"),
                ("decompression bomb", "exceeds limit of 40 pixels"))  # fmt: skip
    check_case(case, tmp_path, capsys)


def test_a_folder_named_without_a_slash(tmp_path, capsys, monkeypatch):
    """``groundup train mydata`` where mydata is a folder here: said to be a folder (not an
    unknown registry set); a folder named like a registry set still means that set."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mydata").mkdir()
    case = Case("folder, no slash", lambda tmp: ["train", "mydata", "--target", "y"],
                ("mydata is a folder",))  # fmt: skip
    check_case(case, tmp_path, capsys)
    from groundup.runs import is_csv_path

    (tmp_path / "penguins").mkdir()
    assert not is_csv_path("penguins") and is_csv_path("mydata")
