"""Data sets shipped in the package (``groundup/data/embedded/``): penguins, breast-cancer, digits.

Sources, licences and the handling of each file are recorded in ``embedded/README.md``. Reading
uses the ``csv`` module and NumPy only (scikit-learn is not imported). None of the three has an
official split, so each is split stratified 80/20 with ``random_state=42`` (options
``test_size`` and ``random_state`` override it; ``test_size=0`` keeps everything in train).
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources

import numpy as np

from groundup.data.dataset import Dataset, split_dataset
from groundup.data.preprocessing import LabelEncoder

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
# scikit-learn's names: the mean, the standard error and the worst (mean of the 3 largest) value
# of 10 measurements of the cell nuclei.
_MEASUREMENTS = [
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
]
BREAST_CANCER_FEATURES = (
    [f"mean {m}" for m in _MEASUREMENTS]
    + [f"{m} error" for m in _MEASUREMENTS]
    + [f"worst {m}" for m in _MEASUREMENTS]
)


def _text(filename: str) -> str:
    data = resources.files("groundup.data").joinpath("embedded").joinpath(filename).read_bytes()
    if filename.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def load_penguins(test_size=0.2, random_state=42) -> Dataset:
    """Palmer penguins: X float64 (342, 4) measurements, y int64 species (Adelie/Chinstrap/Gentoo).

    The two rows with no measurements are dropped; see ``embedded/README.md``.
    """
    rows = list(csv.DictReader(io.StringIO(_text("penguins.csv"))))
    rows = [r for r in rows if all(r[f] not in ("NA", "") for f in PENGUIN_FEATURES)]
    X = np.array([[float(r[f]) for f in PENGUIN_FEATURES] for r in rows], dtype=np.float64)
    encoder = LabelEncoder().fit([r["species"] for r in rows])
    y = encoder.transform([r["species"] for r in rows])
    description = (
        "Palmer penguins (Gorman et al. 2014, CC0): 4 body measurements of 342 penguins "
        "(2 rows without measurements dropped), 3 species."
    )
    return split_dataset(
        "penguins",
        X,
        y,
        encoder.classes_.tolist(),
        description,
        PENGUIN_FEATURES,
        None,
        test_size,
        random_state,
    )


def load_breast_cancer(test_size=0.2, random_state=42) -> Dataset:
    """Wisconsin diagnostic breast cancer: X float64 (569, 30), y int64 (0 malignant, 1 benign)."""
    lines = _text("breast_cancer.csv").splitlines()
    n, d, *classes = lines[0].split(",")
    table = np.loadtxt(lines[1:], delimiter=",", dtype=np.float64)
    assert table.shape == (int(n), int(d) + 1), table.shape
    description = (
        "Breast Cancer Wisconsin (Diagnostic), UCI, CC BY 4.0: 30 features of cell nuclei of "
        "569 tumours; target diagnosis, 0 = malignant (212), 1 = benign (357) as in scikit-learn."
    )
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    return split_dataset(
        "breast-cancer",
        X,
        y,
        classes,
        description,
        list(BREAST_CANCER_FEATURES),
        None,
        test_size,
        random_state,
    )


def load_digits(test_size=0.2, random_state=42) -> Dataset:
    """8x8 handwritten digits: X uint8 (1797, 8, 8) with values 0..16, y int64 0..9."""
    table = np.loadtxt(_text("digits.csv.gz").splitlines(), delimiter=",", dtype=np.int64)
    X = table[:, :64].astype(np.uint8).reshape(-1, 8, 8)
    description = (
        "Optical recognition of handwritten digits (UCI, CC BY 4.0): 1,797 8x8 images, "
        "uint8 values 0..16 (divide by 16 to scale)."
    )
    return split_dataset(
        "digits",
        X,
        table[:, 64],
        [str(k) for k in range(10)],
        description,
        None,
        (8, 8),
        test_size,
        random_state,
        pixel_max=16,
    )
