"""Everything a playground setup is, checked in one declared place, and its URL form.

A :class:`Settings` is what the page shows and what a link reproduces. The server builds one
only through :func:`updated` (changes sent by the page, as JSON values) or :func:`from_query`
(the URL's ``#...`` part, as text); both run every value through the same table of checks,
:data:`FIELDS`, so a limit that protects the machine (neurons, layers, points) holds whatever
the page sends. :func:`to_query` is the inverse of :func:`from_query`.

Each hidden layer has its own activation (``activations``, one name per layer, checked against
the models' table :data:`groundup.numerics.ACTIVATIONS`). The older single ``activation`` key,
of links made before, is still read and means "this one for every hidden layer".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from urllib.parse import parse_qsl, quote

from groundup.engines import ENGINES
from groundup.errors import GroundupError
from groundup.numerics import ACTIVATIONS
from groundup.playground.datasets import CLASSIFICATION, FEATURES, REGRESSION

MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 32  # per hidden layer
MAX_POINTS = 5000  # generated or uploaded
MAX_CLASSES = 8  # the page has 8 class colours
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
PROBLEMS = ("classification", "regression")
DEFAULT_ACTIVATION = "tanh"  # of a hidden layer added when there was none before
UPLOAD = "upload"  # the data set name of a user's CSV file


@dataclass(frozen=True)
class Settings:
    """One playground setup (defaults: TensorFlow Playground's opening screen)."""

    dataset: str = "circle"
    problem: str = "classification"
    classes: int = 2  # for the sets that take a number of classes (gauss, spiral)
    noise: int = 0  # percent, 0-50
    train_percent: int = 50
    batch_size: int = 10
    points: int = 500
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activations: tuple[str, ...] = ("tanh", "tanh")  # one per hidden layer
    regularization: str = "none"
    reg_rate: float = 0.0
    lr: float = 0.03
    optimizer: str = "sgd"
    engine: str = "autograd"
    show_test: bool = False
    discretize: bool = False  # the output heat-map in the predicted class's colour only

    def __post_init__(self):  # one activation per hidden layer, the last one's for new layers
        n, acts = len(self.hidden), tuple(self.activations)
        fill = acts[-1] if acts else DEFAULT_ACTIVATION
        object.__setattr__(self, "activations", acts[:n] + (fill,) * (n - len(acts)))


class SettingsError(GroundupError):
    """A value the playground does not accept; the message names the field and the range."""


def _choice(options):
    def check(name, v):
        if v not in options:
            raise SettingsError(f"{name} must be one of {', '.join(options)}, got {v!r}")
        return v
    return check


def _int_range(lo, hi, why=""):
    def check(name, v):
        if not lo <= v <= hi:
            raise SettingsError(f"{name} must lie in [{lo}, {hi}], got {v}{why}")
        return v
    return check


def _float_range(lo, hi, open_low=False):
    def check(name, v):
        if not (math.isfinite(v) and (lo < v if open_low else lo <= v) and v <= hi):
            bracket = "(" if open_low else "["
            raise SettingsError(f"{name} must lie in {bracket}{lo}, {hi}], got {v}")
        return v
    return check


def _features(name, v):
    if not v:
        raise SettingsError("choose at least one input feature")
    for f in v:
        _choice(tuple(FEATURES))("a feature", f)
    if len(set(v)) != len(v):
        raise SettingsError(f"features repeat: {', '.join(v)}")
    return tuple(f for f in FEATURES if f in v)  # in the page's order


def _hidden(name, v):
    if len(v) > MAX_HIDDEN_LAYERS:
        raise SettingsError(f"{len(v)} hidden layers; the playground allows at most "
                            f"{MAX_HIDDEN_LAYERS} (a limit that protects this machine)")
    for i, n in enumerate(v, 1):
        if not 1 <= n <= MAX_NEURONS:
            raise SettingsError(f"hidden layer {i} has {n} neurons; each layer takes 1 to "
                                f"{MAX_NEURONS} (a limit that protects this machine)")
    return tuple(v)


def _activations(name, v):
    for i, a in enumerate(v, 1):
        if a not in ACTIVATIONS:
            raise SettingsError(f"the activation of hidden layer {i} must be one of "
                                f"{', '.join(ACTIVATIONS)}, got {a!r:.40}")  # fmt: skip
    return tuple(v)


# field -> (type of its values, check); every value of a Settings passes through here
FIELDS = {
    "dataset": (str, _choice(CLASSIFICATION + REGRESSION + (UPLOAD,))),
    "problem": (str, _choice(PROBLEMS)),
    "classes": (int, _int_range(2, MAX_CLASSES)),
    "noise": (int, _int_range(0, 50)),
    "train_percent": (int, _int_range(10, 90)),
    "batch_size": (int, _int_range(1, MAX_POINTS)),
    "points": (int, _int_range(20, MAX_POINTS, " (a limit that protects this machine)")),
    "seed": (int, _int_range(0, 2**31 - 1)),
    "features": (tuple[str], _features),
    "hidden": (tuple[int], _hidden),
    "activations": (tuple[str], _activations),
    "regularization": (str, _choice(REGULARIZATIONS)),
    "reg_rate": (float, _float_range(0.0, 10.0)),
    "lr": (float, _float_range(0.0, 10.0, open_low=True)),
    "optimizer": (str, _choice(OPTIMIZERS)),
    "engine": (str, _choice(ENGINES)),
    "show_test": (bool, lambda name, v: v),
    "discretize": (bool, lambda name, v: v),
}
assert set(FIELDS) == {f.name for f in fields(Settings)}
# keys read but not kept: older links' single activation, for every hidden layer
ALIASES = {"activation": (str, _choice(tuple(ACTIVATIONS)))}


def _typed(name: str, value):
    """``value`` (a JSON value) as the field's type, or a SettingsError naming what was wanted."""
    kind = {**FIELDS, **ALIASES}[name][0]
    if kind in (tuple[str], tuple[int]):
        item = str if kind == tuple[str] else int
        if not isinstance(value, list | tuple) or len(value) > 64 or not all(
            isinstance(v, item) and not isinstance(v, bool) for v in value
        ):
            raise SettingsError(f"{name} must be a list of {item.__name__}s, got {value!r:.80}")
        return tuple(value)
    ok = {
        str: isinstance(value, str),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        bool: isinstance(value, bool),
    }[kind]
    if not ok:
        raise SettingsError(f"{name} must be a {kind.__name__}, got {value!r:.80}")
    return float(value) if kind is float else value


def updated(settings: Settings, changes: dict) -> Settings:
    """``settings`` with ``changes`` (``{field: JSON value}``) applied, every value checked.

    Changing the problem type moves the data set to that problem's first one when the current
    one does not fit (as TensorFlow Playground does). ``activation`` (one name) sets every hidden
    layer's activation; a change of ``hidden`` alone keeps the layers' activations, a new layer
    taking the last one's.
    """
    if not isinstance(changes, dict):
        raise SettingsError("changes must be an object {field: value}")
    table = {**FIELDS, **ALIASES}
    unknown = sorted(set(changes) - set(table))
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]!r:.40}; known: {', '.join(FIELDS)}")
    if "activation" in changes and "activations" in changes:
        raise SettingsError("give activation (one for all layers) or activations (one per "
                            "hidden layer), not both")  # fmt: skip
    values = {k: table[k][1](k, _typed(k, v)) for k, v in changes.items()}
    n = len(values.get("hidden", settings.hidden))
    if "activations" in values and len(values["activations"]) != n:
        raise SettingsError(f"activations lists {len(values['activations'])} names for {n} "
                            f"hidden layers; give one per hidden layer")  # fmt: skip
    if "activation" in values:
        values["activations"] = (values.pop("activation"),) * n
    new = replace(settings, **values)  # the activations fitted to the layers: __post_init__
    allowed = CLASSIFICATION if new.problem == "classification" else REGRESSION
    if new.dataset not in allowed + (UPLOAD,):
        if "dataset" in changes and "problem" not in changes:
            raise SettingsError(f"data set {new.dataset!r} is not a {new.problem} set; "
                                f"choose one of {', '.join(allowed)}")  # fmt: skip
        new = replace(new, dataset=allowed[0])
    return new


def _parse(name: str, text: str):
    kind = {**FIELDS, **ALIASES}[name][0]
    try:
        if kind is str:
            return text
        if kind is bool:
            return {"1": True, "0": False, "true": True, "false": False}[text]
        if kind in (tuple[str], tuple[int]):
            items = text.split(",") if text else []  # "hidden=" is no hidden layer
            if "" in items:  # "4,,2", "4,": an empty entry is a typo, not a layer to drop
                raise ValueError(text)
            return [int(t) for t in items] if kind == tuple[int] else items
        return kind(text)
    except (ValueError, KeyError):
        what = {tuple[int]: "comma-separated list of integers",
                tuple[str]: "comma-separated list of names"}.get(kind, kind.__name__)
        raise SettingsError(f"the link's {name}={text!r:.40} is not a {what}") from None


def from_query(query: str) -> Settings:
    """Settings from a URL fragment ``"dataset=xor&hidden=4,2&..."`` (leading ``#`` allowed);
    fields the link leaves out keep their defaults."""
    pairs = parse_qsl(query.lstrip("#"), keep_blank_values=True, max_num_fields=len(FIELDS) + 2)
    changes = {}
    for name, text in pairs:
        if name not in FIELDS and name not in ALIASES:
            raise SettingsError(f"the link names an unknown setting {name!r:.40}")
        changes[name] = _parse(name, text)
    return updated(Settings(), changes)


def _text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return repr(value) if isinstance(value, float) else str(value)


def to_query(settings: Settings) -> str:
    """The URL fragment (without ``#``) that :func:`from_query` turns back into ``settings``."""
    return "&".join(f"{f}={quote(_text(getattr(settings, f)), safe=',.')}" for f in FIELDS)


def to_json(settings: Settings) -> dict:
    """The settings as a JSON object (tuples as lists) for the page."""
    return {f: list(v) if isinstance(v, tuple) else v
            for f in FIELDS for v in [getattr(settings, f)]}  # fmt: skip
