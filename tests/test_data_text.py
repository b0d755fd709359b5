"""Text data: the character tokenizer, the in-order 90/10 split, seeded random windows, any UTF-8
file, Tiny Shakespeare found / downloaded / verified by SHA-256, and the errors bad text gets."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundup.data import CharTokenizer, TextDataset, load, load_text, shakespeare
from groundup.errors import DataError

FAST = settings(max_examples=30, deadline=None, derandomize=True)


# ---------------------------------------------------------------------------- tokenizer
def test_vocabulary_is_sorted_and_ids_follow_it():
    tok = CharTokenizer.from_text("hello, world")
    assert tok.vocab == " ,dehlorw" and tok.vocab_size == 9
    assert tok.encode("hello").tolist() == [4, 3, 5, 5, 6]  # h e l l o by position in the vocab
    assert tok.encode("").dtype == np.int64 and tok.encode("").shape == (0,)


@FAST
@given(text=st.text(min_size=1, max_size=50))
def test_decode_inverts_encode_for_any_unicode(text):
    tok = CharTokenizer.from_text(text)
    ids = tok.encode(text)
    assert ids.min() >= 0 and ids.max() < tok.vocab_size
    assert tok.decode(ids) == text
    assert [tok.vocab[i] for i in ids] == list(text)


def test_unknown_characters_are_named():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(DataError, match=r"2 character\(s\) not in the vocabulary: 'Z', 'é'"):
        tok.encode("abZcéZ")
    with pytest.raises(DataError, match=r"token ids must lie in \[0, 2\]"):
        tok.decode([0, 3])
    with pytest.raises(DataError, match="at least one character"):
        CharTokenizer("")


# ---------------------------------------------------------------------------- split and batches
def _dataset(n=1000, seed=0):
    text = "".join(np.random.default_rng(seed).choice(list("abcdefgh \n"), n))
    return TextDataset.from_text("toy", text)


def test_split_is_in_order_90_10():
    ds = _dataset(1000)
    ids = ds.tokenizer.encode(ds.text)
    assert len(ds.train) == 900 and len(ds.val) == 100
    np.testing.assert_array_equal(np.concatenate([ds.train, ds.val]), ids)
    assert ds.classes == list(ds.tokenizer.vocab) and ds.vocab_size == 10


def test_batches_are_windows_and_their_next_tokens():
    ds = _dataset()
    x, y = ds.get_batch("train", 7, 16, np.random.default_rng(3))
    assert x.shape == y.shape == (7, 16) and x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # y is x one step later
    for row_x, row_y in zip(x, y, strict=True):  # each row is a real window of the train ids
        hits = [i for i in range(len(ds.train) - 16) if (ds.train[i:i + 16] == row_x).all()
                and (ds.train[i + 1:i + 17] == row_y).all()]
        assert hits


def test_batches_are_seeded_and_cover_every_start():
    ds = TextDataset.from_text("tiny", "abcdefghij" * 2, val_fraction=0.5)  # train: 10 ids
    first = [ds.get_batch("train", 4, 3, seed)[0] for seed in (0, 0, 1)]
    np.testing.assert_array_equal(first[0], first[1])
    assert not np.array_equal(first[0], first[2])
    rng = np.random.default_rng(0)
    starts = {int(ds.get_batch("train", 50, 3, rng)[0][b, 0]) for b in range(50)}
    assert starts == set(range(7))  # starts 0..n-T-1: the last target is the last id


def test_bad_splits_and_sizes():
    ds = TextDataset.from_text("short", "abcdefghijkl")
    with pytest.raises(DataError, match="the val split has 2 tokens, but a window of block_size "
                                        "2 needs at least 3"):
        ds.get_batch("val", 1, 2, 0)
    with pytest.raises(DataError, match="unknown split 'test'"):
        ds.get_batch("test", 1, 2, 0)
    with pytest.raises(DataError, match="at least 1"):
        ds.get_batch("train", 0, 2, 0)


# ---------------------------------------------------------------------------- files
def test_load_text_reads_any_utf8_file(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_bytes("\ufeffÆble — ælf\nÆble".encode())
    ds = load_text(path)
    assert ds.name == "poem" and ds.text == "Æble — ælf\nÆble"  # the byte-order mark dropped
    assert ds.tokenizer.decode(np.concatenate([ds.train, ds.val])) == ds.text


@pytest.mark.parametrize(("content", "words"), [
    (b"", "is empty"),
    (b"\xef\xbb\xbf", "only a byte-order mark"),
    (b"caf\xe9 au lait", r"not UTF-8 text \(byte 0xe9 at offset 3\); convert it first"),
])
def test_bad_text_files_get_one_line(tmp_path, content, words):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=words):
        load_text(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        load_text(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="is a folder"):
        load_text(tmp_path)


# ---------------------------------------------------------------------------- Tiny Shakespeare
FAKE = "First Citizen:\nSpeak, speak.\n" * 40


@pytest.fixture
def fake_corpus(tmp_path, monkeypatch):
    """A small stand-in whose checksum is the expected one; no network, no real data dirs."""
    monkeypatch.delenv("GROUNDUP_DATA_DIR", raising=False)
    monkeypatch.setenv("GROUNDUP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(shakespeare, "SHA256", hashlib.sha256(FAKE.encode()).hexdigest())
    calls = []

    def fake_download(urls, dest):
        calls.append((urls, Path(dest)))
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_text(FAKE)
        return Path(dest)

    monkeypatch.setattr(shakespeare, "_download", fake_download)
    return calls


def test_found_in_the_data_dir(tmp_path, fake_corpus):
    (tmp_path / "data" / "tinyshakespeare").mkdir(parents=True)
    (tmp_path / "data" / "tinyshakespeare" / "input.txt").write_text(FAKE)
    ds = load("tinyshakespeare", data_dir=tmp_path / "data")
    assert ds.text == FAKE and not fake_corpus


def test_downloaded_into_the_cache_when_missing(tmp_path, fake_corpus):
    ds = load("tinyshakespeare")
    (urls, dest), = fake_corpus
    assert urls == [shakespeare.URL] and dest == tmp_path / "cache" / "tinyshakespeare" / \
        "input.txt"
    assert ds.text == FAKE


def test_a_wrong_file_is_refused_and_a_bad_download_removed(tmp_path, fake_corpus, monkeypatch):
    (tmp_path / "data" / "tinyshakespeare").mkdir(parents=True)
    wrong = tmp_path / "data" / "tinyshakespeare" / "input.txt"
    wrong.write_text(FAKE + "Exeunt.")
    with pytest.raises(DataError, match="is not Tiny Shakespeare's input.txt .* delete it"):
        load("tinyshakespeare", data_dir=tmp_path / "data")
    assert wrong.exists()  # the user's file is never deleted
    monkeypatch.setattr(shakespeare, "SHA256", "0" * 64)
    with pytest.raises(DataError, match="the download was removed"):
        load("tinyshakespeare")
    assert not (tmp_path / "cache" / "tinyshakespeare" / "input.txt").exists()
    with pytest.raises(DataError, match="not found"):
        load("tinyshakespeare", download=False)


needs_real = pytest.mark.real_data("tinyshakespeare")  # skipped without it; an error in CI


@needs_real
def test_real_tiny_shakespeare():
    ds = load("tinyshakespeare")
    assert len(ds.text) == 1_115_394 and ds.text.startswith("First Citizen:\n")
    assert ds.tokenizer.vocab == shakespeare.VOCAB and ds.vocab_size == 65
    assert (len(ds.train), len(ds.val)) == (1_003_854, 111_540)  # nanoGPT's prepare.py prints
    x, y = ds.get_batch("val", 12, 64, 1337)
    assert x.shape == (12, 64) and ds.tokenizer.decode(x[0])[1:] == ds.tokenizer.decode(y[0])[:-1]
