"""Text for language models: a character tokenizer, a train/validation split of token ids, and
seeded random windows (nanoGPT's ``shakespeare_char`` preparation and ``get_batch``).

* :class:`CharTokenizer` — the vocabulary is the sorted set of characters of a text (65 for Tiny
  Shakespeare); ``encode`` maps characters to ids 0..V-1, ``decode`` maps back.
* :class:`TextDataset` — the ids split 90/10 in order (the first 90% to train), and
  ``get_batch(split, batch_size, block_size, rng)``: B windows of T tokens starting at random
  positions, and the same windows shifted by one, the next-token targets::

      x[b] = ids[i_b : i_b + T]        y[b] = ids[i_b + 1 : i_b + T + 1]       i_b ~ U{0..n-T-1}

* :func:`load_text` — any UTF-8 text file as a :class:`TextDataset`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from groundup.errors import DataError

SPLITS = ("train", "val")


def _codes(text: str) -> np.ndarray:
    """Unicode code points of ``text`` as uint32 (through UTF-32, without a Python loop)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


class CharTokenizer:
    """Characters to integer ids and back; ids follow the sorted order of the characters.

    >>> tok = CharTokenizer.from_text("hello")
    >>> tok.vocab, tok.encode("hole").tolist(), tok.decode([3, 1])
    ('ehlo', [1, 3, 2, 0], 'oe')
    """

    def __init__(self, vocab: str):
        chars = sorted(set(vocab))
        if not chars:
            raise DataError("a tokenizer needs at least one character in its vocabulary")
        self.vocab = "".join(chars)
        self._codes = _codes(self.vocab)  # sorted: searchsorted finds each character's id

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The vocabulary of ``text``: its distinct characters, sorted."""
        return cls(text)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Ids (int64, one per character); a character outside the vocabulary is an error."""
        codes = _codes(text)
        ids = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
        unknown = self._codes[ids] != codes
        if unknown.any():
            chars = sorted(set(np.asarray(list(text))[unknown].tolist()))
            shown = ", ".join(repr(c) for c in chars[:10]) + (", ..." if len(chars) > 10 else "")
            raise DataError(
                f"{len(chars)} character(s) not in the vocabulary: {shown}. The tokenizer knows "
                f"only the {self.vocab_size} characters of the text it was built from; remove "
                "them from the prompt or text")
        return ids.astype(np.int64)

    def decode(self, ids) -> str:
        """The text of integer ids (any shape, read in order)."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise DataError(f"token ids must lie in [0, {self.vocab_size - 1}] for this "
                            f"vocabulary, got [{ids.min()}, {ids.max()}]")
        return self._codes[ids].astype("<u4").tobytes().decode("utf-32-le")

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


@dataclass(repr=False)
class TextDataset:
    """A text, its tokenizer and its token ids split in order into ``train`` and ``val``.

    Attributes
    ----------
    name : str
    text : str
    tokenizer : CharTokenizer
    train, val : ndarray of shape (n_train,), (n_val,), int64
    description : str
    """

    name: str
    text: str
    tokenizer: CharTokenizer
    train: np.ndarray
    val: np.ndarray
    description: str = ""

    @classmethod
    def from_text(cls, name: str, text: str, val_fraction: float = 0.1,
                  description: str = "") -> TextDataset:
        """Tokenise ``text`` by its own characters; the last ``val_fraction`` is validation
        (nanoGPT: ``train = ids[:int(n * 0.9)]``)."""
        if not text:
            raise DataError(f"{name}: the text is empty; a language model needs characters "
                            "to learn from")
        if not 0.0 <= val_fraction < 1.0:
            raise DataError(f"val_fraction must be in [0, 1), got {val_fraction}")
        tokenizer = CharTokenizer.from_text(text)
        ids = tokenizer.encode(text)
        n_train = int(len(ids) * (1.0 - val_fraction))
        return cls(name, text, tokenizer, ids[:n_train], ids[n_train:], description)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def classes(self) -> list[str]:
        """The vocabulary: next-token prediction is a vocab_size-way classification."""
        return list(self.tokenizer.vocab)

    def ids(self, split: str) -> np.ndarray:
        """The token ids of ``"train"`` or ``"val"``."""
        if split not in SPLITS:
            raise DataError(f"unknown split {split!r}; choose 'train' or 'val'")
        return self.train if split == "train" else self.val

    def get_batch(self, split: str, batch_size: int, block_size: int,
                  rng: np.random.Generator | int) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``, int64 of shape (batch_size, block_size): random windows of ``split`` and
        the same windows one token later. Window starts are drawn from ``rng`` (a Generator, or
        a seed), uniformly over every start that leaves room for the target."""
        data = self.ids(split)
        if block_size < 1 or batch_size < 1:
            raise DataError(f"batch_size and block_size must be at least 1, got {batch_size} "
                            f"and {block_size}")
        if len(data) <= block_size:
            raise DataError(
                f"{self.name}: the {split} split has {len(data)} tokens, but a window of "
                f"block_size {block_size} needs at least {block_size + 1} (the targets are "
                "shifted by one); use a smaller --block-size or a longer text")
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        starts = rng.integers(0, len(data) - block_size, size=batch_size)
        window = starts[:, None] + np.arange(block_size)  # (B, T) positions
        return data[window], data[window + 1]

    def __repr__(self) -> str:
        return (f"TextDataset({self.name!r}, {len(self.text):,} characters, vocab_size="
                f"{self.vocab_size}, train={len(self.train):,}, val={len(self.val):,})")


def decode_utf8(raw: bytes, source: str) -> str:
    """``raw`` as text; empty or non-UTF-8 input is a one-line :class:`DataError`.

    A leading byte-order mark is dropped (it is not part of the text)."""
    if not raw:
        raise DataError(f"{source} is empty; give a text file with some characters in it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. iconv -f LATIN1 -t UTF-8 in.txt > out.txt") from None
    text = text.removeprefix("\ufeff")
    if not text:
        raise DataError(f"{source} holds only a byte-order mark; it has no text")
    return text


def load_text(path: str | os.PathLike, val_fraction: float = 0.1) -> TextDataset:
    """Any UTF-8 text file as a :class:`TextDataset` (its characters are the vocabulary)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataError(f"{path} is a folder; give a text file") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    return TextDataset.from_text(path.stem, decode_utf8(raw, str(path)), val_fraction,
                                 f"text file {path}")
