"""One browser tab's playground: its settings, data, network, and the frames the page draws.

An *epoch* is one pass over the training points in batches of ``batch_size``, in an order drawn
from the seed (epoch e uses ``default_rng((seed, e))``), so the same settings give the same
numbers, frame for frame, on any engine. A *frame* is what the page draws after each epoch:
the output heat-map, a small heat-map per hidden neuron, every weight, the two losses.

Heat-maps travel as base64 of uint8 arrays: class probabilities ``round(255 p)`` plane after
plane (C planes of R² values, row 0 at the top), or a value ``v`` in [-1, 1] as
``round(127.5 (v + 1))``.
"""

from __future__ import annotations

import base64
import time
from dataclasses import replace

import numpy as np

from groundup.errors import DataError
from groundup.playground import datasets
from groundup.playground.adapter import Network
from groundup.playground.settings import MAX_CLASSES, MAX_POINTS, UPLOAD, Settings
from groundup.train.history import History

OUTPUT_RESOLUTION = 50  # the output heat-map is R x R cells
NEURON_RESOLUTION = 20  # each neuron's picture
MAX_HISTORY = 100_000  # epochs kept for "save run"


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def _signed(v: np.ndarray) -> np.ndarray:
    """Values clipped to [-1, 1] as bytes 0..255 (0 is 127.5)."""
    return np.rint((np.clip(v, -1.0, 1.0) + 1.0) * 127.5)


class Data:
    """Points and labels of one data set, split into train and test."""

    def __init__(self, points, labels, train_percent, seed, classes, source, scale=None):
        self.points, self.labels = points, labels
        self.X_train, self.y_train, self.X_test, self.y_test = datasets.split(
            points, labels, train_percent, seed
        )
        self.classes = classes  # names, [] for regression
        self.source = source  # "circle", ... or the uploaded file's name
        self.scale = scale  # uploads: (centre, half-range) per axis, mapped onto [-5, 5]

    def to_json(self) -> dict:
        rows = lambda X, y: np.column_stack([X, y]).round(4).tolist()  # noqa: E731
        return {"type": "data", "train": rows(self.X_train, self.y_train),
                "test": rows(self.X_test, self.y_test), "classes": self.classes,
                "source": self.source, "domain": datasets.DOMAIN}  # fmt: skip


class Session:
    """A playground: :meth:`apply` settings, :meth:`step` epochs, :meth:`frame` to draw."""

    def __init__(self, settings: Settings | None = None):
        self.upload: tuple[str, str] | None = None  # (text, file name) of an uploaded CSV
        self.settings = Settings()
        self.data = self.net = None
        self.apply(settings or Settings())

    # ------------------------------------------------------------------ setup
    def apply(self, settings: Settings) -> None:
        """Take new settings: new data if the data's settings changed, always a fresh network."""
        if settings.dataset == UPLOAD and self.upload is None:
            raise DataError("this link's data came from an uploaded CSV file; upload the file "
                            "again (x,y,label) or choose a data set")  # fmt: skip
        data_keys = ("dataset", "problem", "classes", "noise", "train_percent", "points", "seed")
        old, old_data = self.settings, self.data
        self.settings = settings
        try:
            if old_data is None or any(getattr(old, k) != getattr(settings, k) for k in data_keys):
                self.data = self._make_data()
            self.reset()
        except Exception:  # e.g. the torch engine without torch: keep the last good setup
            self.settings, self.data = old, old_data
            raise

    def _make_data(self) -> Data:
        s = self.settings
        if s.dataset == UPLOAD:  # parsed again for the problem type: labels or targets
            text, name = self.upload
            points, labels, classes, scale = datasets.parse_csv(
                text, s.problem == "regression", MAX_POINTS, MAX_CLASSES)
            return Data(points, labels, s.train_percent, s.seed, classes, name, scale)
        k = s.classes if s.dataset in datasets.MULTICLASS else 2
        points, labels = datasets.generate(s.dataset, s.points, s.noise, k, s.seed)
        classes = [] if s.problem == "regression" else [str(c) for c in range(k)]
        return Data(points, labels, s.train_percent, s.seed, classes, s.dataset)

    def load_csv(self, text: str, name: str) -> None:
        """Use an uploaded CSV (x, y, label) as the data set; a bad file changes nothing."""
        old_upload, self.upload = self.upload, (text, name)
        old_data, self.data = self.data, None  # the same settings, new data
        try:
            self.apply(replace(self.settings, dataset=UPLOAD))
        except Exception:
            self.upload, self.data = old_upload, old_data
            raise

    def regenerate(self) -> None:
        """Draw the data again with the next seed (a fresh network too)."""
        self.apply(replace(self.settings, seed=(self.settings.seed + 1) % 2**31))

    def reset(self) -> None:
        """A fresh network from the seed's initial weights; epoch 0."""
        s, d = self.settings, self.data
        self.net = Network(s, max(2, len(d.classes)))
        self.F_train = datasets.features(d.X_train, s.features)
        self.F_test = datasets.features(d.X_test, s.features)
        self.y_train = self.net.labels(d.y_train)
        self.F_grid = datasets.features(datasets.grid(OUTPUT_RESOLUTION), s.features)
        self.F_neuron_grid = datasets.features(datasets.grid(NEURON_RESOLUTION), s.features)
        self.epoch = self.iteration = 0
        self.history = History()
        self._measured = (None, {})

    # ------------------------------------------------------------------ training
    def batches(self, epoch: int):
        """Index arrays of the batches of ``epoch`` (seeded shuffle of the training points)."""
        n = len(self.F_train)
        order = np.random.default_rng((self.settings.seed, epoch)).permutation(n)
        size = min(self.settings.batch_size, n)
        return [order[i : i + size] for i in range(0, n, size)]

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` epochs. A diverging network (a learning rate too large) is not an
        error here: its losses become inf or nan, and :meth:`frame` says ``diverged``."""
        for _ in range(epochs):
            t0 = time.perf_counter()
            with np.errstate(all="ignore"):
                losses = [self.net.train_step(self.F_train[idx], self.y_train[idx])
                          for idx in self.batches(self.epoch)]  # fmt: skip
            self.epoch += 1
            self.iteration += len(losses)
            if len(self.history) < MAX_HISTORY:
                self.history.append(self._row(float(np.mean(losses)), time.perf_counter() - t0))

    def _row(self, loss: float, seconds: float) -> dict:
        m = self.measures()
        row = {"epoch": self.epoch, "step": self.iteration, "loss": loss,
               "test_loss": m["test_loss"], "seconds": seconds}  # fmt: skip
        if not self.net.regression:
            row.update(train_acc=m["train_acc"], test_acc=m["test_acc"])
        return row

    def measures(self) -> dict:
        """Loss and accuracy on the training and the test points at the current weights
        (computed once per epoch: the history row and the frame share them)."""
        if self._measured[0] != (self.net, self.epoch):
            d = self.data
            with np.errstate(all="ignore"):
                (train_loss, train_acc), (test_loss, test_acc) = (
                    self.net.measure(self.F_train, d.y_train),
                    self.net.measure(self.F_test, d.y_test))
            self._measured = ((self.net, self.epoch), {
                "train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss,
                "test_acc": test_acc})  # fmt: skip
        return self._measured[1]

    def losses(self) -> tuple[float, float]:
        """(train loss, test loss) of the current weights."""
        m = self.measures()
        return m["train_loss"], m["test_loss"]

    # ------------------------------------------------------------------ drawing
    def frame(self) -> dict:
        """What the page draws now (see the module docstring for the heat-map bytes).

        Every number is finite (JSON has no nan): a diverged network's losses are None, its
        non-finite values drawn as 0, and ``diverged`` is True.
        """
        net = self.net
        with np.errstate(all="ignore"):
            out = np.nan_to_num(net.outputs(self.F_grid))
            hidden = [np.nan_to_num(a) for a in net.hidden_outputs(self.F_neuron_grid)]
        if net.regression:
            output, planes = _signed(out), 0
        else:
            output, planes = np.rint(255 * np.clip(out.T, 0, 1)), out.shape[1]  # (C, R²)
        neurons = [[_b64(_signed(a[:, j])) for j in range(a.shape[1])] for a in hidden]
        train_loss, test_loss = self.losses()
        finite = lambda v: v if np.isfinite(v) else None  # noqa: E731
        weights = [np.nan_to_num(w, posinf=1e6, neginf=-1e6).round(4).tolist()
                   for w in net.weights()]  # fmt: skip
        return {
            "type": "frame", "epoch": self.epoch, "iteration": self.iteration,
            "train_loss": finite(train_loss), "test_loss": finite(test_loss),
            "diverged": not np.isfinite(train_loss),
            "output": _b64(output), "planes": planes, "resolution": OUTPUT_RESOLUTION,
            "neurons": neurons, "neuron_resolution": NEURON_RESOLUTION, "weights": weights,
        }  # fmt: skip
