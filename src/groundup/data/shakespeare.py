"""Tiny Shakespeare: 1,115,394 characters of Shakespeare's plays in one text file (Karpathy's
char-rnn corpus, the data of nanoGPT's ``shakespeare_char``).

The file ``input.txt`` is looked for in ``<dir>/tinyshakespeare/`` of each data directory (see
:mod:`groundup.data.files`), downloaded from the char-rnn repository when missing, and checked
against its SHA-256 before use.
"""

from __future__ import annotations

from pathlib import Path

from groundup.data.download import download as _download
from groundup.data.files import cache_dir, find_file, sha256_file
from groundup.data.text import TextDataset, decode_utf8
from groundup.errors import DataError

FILENAME = "input.txt"
SUBDIRS = ("tinyshakespeare",)
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
N_CHARS = 1_115_394
URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
# sorted(set(text)) of the file above: newline, space, punctuation, digit 3, letters
VOCAB = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DESCRIPTION = ("Tiny Shakespeare (karpathy/char-rnn): 1,115,394 characters, 65 distinct; split "
               "in order, the first 90% train (1,003,854), the last 10% validation (111,540).")


def _verified_path(data_dir, download: bool) -> Path:
    path = find_file(FILENAME, SUBDIRS, data_dir)
    fresh = path is None
    if fresh:
        root = Path(data_dir).expanduser() if data_dir is not None else cache_dir()
        if not download:
            raise DataError(f"tinyshakespeare: {root / SUBDIRS[0] / FILENAME} not found; put "
                            "the file there or load with download=True")
        path = _download([URL], root / SUBDIRS[0] / FILENAME)
    actual = sha256_file(path)
    if actual != SHA256:
        if fresh:
            path.unlink(missing_ok=True)
        raise DataError(
            f"{path} is not Tiny Shakespeare's input.txt (SHA-256 {actual[:16]}..., expected "
            f"{SHA256[:16]}...); it is corrupted or a different text: "
            + ("the download was removed, load again to retry" if fresh else
               "delete it and load again to download it, or load your own text with "
               "groundup.data.load_text"))
    return path


def load_tinyshakespeare(data_dir=None, download: bool = True,
                         val_fraction: float = 0.1) -> TextDataset:
    """Tiny Shakespeare as a :class:`TextDataset`: 65-character vocabulary, 90/10 split."""
    path = _verified_path(data_dir, download)
    return TextDataset.from_text("tinyshakespeare", decode_utf8(path.read_bytes(), str(path)),
                                 val_fraction, DESCRIPTION)
