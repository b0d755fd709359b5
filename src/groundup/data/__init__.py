"""Data sets and preprocessing, NumPy only.

* :func:`load` / :func:`list_datasets` — the registry (MNIST, Fashion-MNIST, cat, penguins,
  breast-cancer, digits, and generated 2-D sets), returning :class:`Dataset` objects;
* :func:`load_csv` — any CSV file with a target column;
* :func:`load_text`, :class:`CharTokenizer`, :class:`TextDataset` — text for language models
  (``load("tinyshakespeare")`` returns a :class:`TextDataset`);
* :class:`StandardScaler`, :class:`LabelEncoder`, :func:`train_test_split`, :func:`one_hot`;
* :class:`TensorDataset`, :class:`DataLoader` — seeded, vectorised mini-batches.
"""

from groundup.data.csv_loader import load_csv
from groundup.data.dataset import Dataset, DatasetInfo
from groundup.data.files import cache_dir, data_dirs
from groundup.data.idx import parse_idx, read_idx, write_idx
from groundup.data.loader import DataLoader, TensorDataset
from groundup.data.preprocessing import LabelEncoder, StandardScaler, one_hot, train_test_split
from groundup.data.registry import is_available, list_datasets, load
from groundup.data.synthetic import make_blobs, make_circles, make_moons, make_spiral, make_xor
from groundup.data.text import CharTokenizer, TextDataset, load_text

__all__ = [
    "CharTokenizer",
    "DataLoader",
    "Dataset",
    "DatasetInfo",
    "LabelEncoder",
    "StandardScaler",
    "TensorDataset",
    "TextDataset",
    "cache_dir",
    "data_dirs",
    "is_available",
    "list_datasets",
    "load",
    "load_csv",
    "load_text",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spiral",
    "make_xor",
    "one_hot",
    "parse_idx",
    "read_idx",
    "train_test_split",
    "write_idx",
]
