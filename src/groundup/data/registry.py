"""The registry: every data set by name, and :func:`load`.

=============  =========  ======================================  ===============================
name           kind       X_train / X_test                        split
=============  =========  ======================================  ===============================
mnist          file       uint8 (60000, 28, 28) / (10000, 28, 28)  official
fashion-mnist  file       uint8 (60000, 28, 28) / (10000, 28, 28)  official
cat            file       uint8 (209, 64, 64, 3) / (50, 64, 64, 3)  official
penguins       embedded   float64 (273, 4) / (69, 4)               stratified 80/20, seed 42
breast-cancer  embedded   float64 (455, 30) / (114, 30)            stratified 80/20, seed 42
digits         embedded   uint8 (1437, 8, 8) / (360, 8, 8)         stratified 80/20, seed 42
blobs, xor,    generated  float64 (160, 2) / (40, 2)               stratified 80/20, seed 42
moons, circles
spiral         generated  float64 (240, 2) / (60, 2)               stratified 80/20, seed 42
tinyshakespeare file      text: 1,115,394 characters, 65 distinct  in order 90/10 (TextDataset)
=============  =========  ======================================  ===============================
"""

from __future__ import annotations

import functools
import os

from groundup.data import cat, embedded, mnist, shakespeare, synthetic
from groundup.data.dataset import Dataset, DatasetInfo
from groundup.data.files import find_file
from groundup.errors import DataError


def _file_set(spec: mnist.IdxSet, license: str, source: str) -> DatasetInfo:
    n_train, *image = spec.train_images.shape
    n_test = spec.test_images.shape[0]
    return DatasetInfo(
        name=spec.name,
        kind="file",
        shape=f"{n_train}+{n_test} x {'x'.join(map(str, image))}",
        classes=spec.classes,
        source=source,
        license=license,
        description=spec.description,
        loader=functools.partial(mnist.load_idx_set, spec.name),
        files=tuple(
            f.filename
            for f in (spec.train_images, spec.train_labels, spec.test_images, spec.test_labels)
        ),
        subdirs=spec.subdirs,
    )


def _embedded(name, load, shape, classes, source, license) -> DatasetInfo:
    description = load.__doc__.splitlines()[0]
    return DatasetInfo(
        name,
        "embedded",
        shape,
        tuple(classes),
        source,
        license,
        description,
        lambda data_dir=None, **o: load(**o),
    )


def _generated(name, shape, classes) -> DatasetInfo:
    make, description = synthetic.GENERATORS[name]
    return DatasetInfo(
        name,
        "generated",
        shape,
        tuple(classes),
        "seeded generator",
        "-",
        description,
        lambda data_dir=None, **o: synthetic.load_generated(name, **o),
    )


REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        _file_set(mnist.MNIST, "CC BY-SA 3.0", "LeCun, Cortes, Burges"),
        _file_set(mnist.FASHION_MNIST, "MIT", "Zalando Research"),
        DatasetInfo(
            "cat",
            "file",
            "209+50 x 64x64x3",
            cat.CLASSES,
            "deeplearning.ai course",
            "unclear",
            cat.DESCRIPTION,
            lambda data_dir=None, **o: cat.load_cat(data_dir, **o),
            tuple(cat.FILES),
            cat.SUBDIRS,
        ),
        _embedded(
            "penguins",
            embedded.load_penguins,
            "342 x 4",
            ["Adelie", "Chinstrap", "Gentoo"],
            "Palmer LTER (palmerpenguins)",
            "CC0 1.0",
        ),
        _embedded(
            "breast-cancer",
            embedded.load_breast_cancer,
            "569 x 30",
            ["malignant", "benign"],
            "UCI (via scikit-learn)",
            "CC BY 4.0",
        ),
        _embedded(
            "digits",
            embedded.load_digits,
            "1797 x 8x8",
            [str(k) for k in range(10)],
            "UCI (via scikit-learn)",
            "CC BY 4.0",
        ),
        _generated("blobs", "200 x 2", ["0", "1"]),
        _generated("xor", "200 x 2", ["0", "1"]),
        _generated("moons", "200 x 2", ["0", "1"]),
        _generated("circles", "200 x 2", ["0", "1"]),
        _generated("spiral", "300 x 2", ["0", "1", "2"]),
        DatasetInfo(
            "tinyshakespeare",
            "file",
            f"{shakespeare.N_CHARS} chars",
            tuple(repr(c)[1:-1] for c in shakespeare.VOCAB),  # "\\n" shown, not a line break
            "karpathy/char-rnn",
            "public domain",
            shakespeare.DESCRIPTION,
            lambda data_dir=None, **o: shakespeare.load_tinyshakespeare(data_dir, **o),
            (shakespeare.FILENAME,),
            shakespeare.SUBDIRS,
        ),
    ]
}


def list_datasets() -> list[DatasetInfo]:
    """Every registered data set, in the order ``groundup datasets`` prints them."""
    return list(REGISTRY.values())


def is_available(info: DatasetInfo, data_dir: str | os.PathLike | None = None) -> bool:
    """Whether ``load`` can work offline: always for embedded and generated sets; for file sets,
    whether every file is found in the data directories (or its parsed arrays are cached)."""
    if info.kind != "file":
        return True
    if info.name in mnist.IDX_SETS:
        spec = mnist.IDX_SETS[info.name]
        files = (spec.train_images, spec.train_labels, spec.test_images, spec.test_labels)
        if all(mnist.cache_path(spec, f).is_file() for f in files):
            return True
    return all(find_file(f, info.subdirs, data_dir) is not None for f in info.files)


def load(name: str, data_dir: str | os.PathLike | None = None, **options) -> Dataset:
    """Load the data set ``name`` (see :func:`list_datasets`) as a :class:`Dataset` (a
    :class:`~groundup.data.text.TextDataset` for the text set ``"tinyshakespeare"``).

    Parameters
    ----------
    name : str
        ``"mnist"``, ``"fashion-mnist"``, ``"cat"``, ``"penguins"``, ``"breast-cancer"``,
        ``"digits"``, ``"blobs"``, ``"xor"``, ``"moons"``, ``"circles"``, ``"spiral"`` or
        ``"tinyshakespeare"``.
    data_dir : path, optional
        Searched first for data files; then ``$GROUNDUP_DATA_DIR``, then ``~/.cache/groundup``.
    **options
        Sets without an official split: ``test_size`` (0.2; 0 keeps all in train) and
        ``random_state`` (42). Generated sets: ``n_samples``, ``noise``, ``seed`` (and
        ``factor`` for circles, ``n_classes`` for spiral). MNIST-like sets: ``download`` (True)
        and ``cache_dir``. tinyshakespeare: ``download`` (True) and ``val_fraction`` (0.1).
    """
    info = REGISTRY.get(name.lower().replace("_", "-"))
    if info is None:
        raise DataError(
            f"unknown data set {name!r}; choose one of {', '.join(REGISTRY)} "
            "(or read your own CSV with groundup.data.load_csv)"
        )
    try:
        return info.loader(data_dir=data_dir, **options)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc):
            raise
        raise DataError(f"{name}: unsupported option ({exc})") from None
