"""``groundup.sklearn``: groundup's networks as scikit-learn estimators.

Install the extra with ``pip install 'groundup[sklearn]'``; ``import groundup`` never imports
scikit-learn, this package does.

>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from groundup.sklearn import MLPClassifier
>>> clf = make_pipeline(StandardScaler(), MLPClassifier((32,), engine="scratch"))  # doctest: +SKIP

:class:`MLPClassifier` takes scikit-learn's ``MLPClassifier`` parameters (same names, same
meanings) plus ``engine`` and ``init``; :class:`CNNClassifier` is the convolutional network for
images. Both start from scikit-learn's initial weights (``init="glorot"``, the default) and
fit groundup's own model, loss and batch order; with ``init="pytorch"`` a fit gives the numbers
of ``groundup train`` with the same settings, on whichever engine. ``save(path)`` /
``load(path)`` write and read safetensors (no pickle); pickling works as scikit-learn requires.
"""

from groundup.errors import require

require("sklearn", "sklearn", "groundup.sklearn")

from groundup.sklearn.estimators import CNNClassifier, MLPClassifier  # noqa: E402

__all__ = ["CNNClassifier", "MLPClassifier"]
