"""The two estimators: :class:`MLPClassifier` on feature rows, :class:`CNNClassifier` on images."""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, validate_data

from groundup import models
from groundup.errors import GroundupError
from groundup.sklearn.base import NetworkClassifier

__all__ = ["CNNClassifier", "MLPClassifier"]

_FLOATS = (np.float64, np.float32)


def _spec_or_value_error(build, *args, **kwargs):
    """``build(...)``, its :class:`GroundupError` (a bad width, too small an image) raised as the
    ``ValueError`` scikit-learn expects."""
    try:
        return build(*args, **kwargs)
    except GroundupError as e:
        raise ValueError(str(e)) from None


def _positive_ints(name: str, value, *, empty: bool) -> tuple[int, ...]:
    """``value`` (an int or a sequence of them) as a tuple of positive ints, else a
    ``ValueError`` naming the parameter ``name`` (scikit-learn's wording, not the CLI's flags).
    ``empty``: whether ``()`` is allowed."""
    values = (value,) if isinstance(value, Integral) else tuple(value)
    if (not values and not empty) or not all(
            isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in values):
        what = "positive integers" if empty else "one or more positive integers"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return tuple(int(v) for v in values)


class MLPClassifier(NetworkClassifier):
    """A multilayer perceptron classifier: scikit-learn's ``MLPClassifier`` on groundup's engines.

    The network (``models.build("mlp", ...)``)::

        x (n_features) -> Linear -> f -> ... -> Linear -> C logits   (1 logit for 2 classes)

    with ``f = activation`` between the ``hidden_layer_sizes``; ``hidden_layer_sizes=()`` is
    logistic regression (2 classes) or softmax regression. Trained with the mean cross-entropy
    (binary from one logit for 2 classes), in float32, from scikit-learn's initial weights for
    the same ``random_state`` (``init="glorot"``), or from PyTorch's as ``groundup train`` with
    the same settings (``init="pytorch"``).

    scikit-learn's ``solver="lbfgs"``, ``learning_rate`` (the step stays ``learning_rate_init``,
    its ``"constant"``), ``power_t``, ``max_fun``, ``warm_start`` and ``fit``'s
    ``sample_weight`` are not offered.

    Parameters (scikit-learn's names and meanings)
    ----------------------------------------------
    hidden_layer_sizes : tuple of int, default (100,)
    activation : {"relu", "tanh", "logistic", "identity", "leaky_relu", "gelu"}, default "relu"
        scikit-learn's four, which train to its numbers, and groundup's ``"leaky_relu"`` and
        ``"gelu"``; ``"sigmoid"`` and ``"linear"`` (groundup's names for ``"logistic"`` and
        ``"identity"``) are accepted too.
    solver : {"sgd", "adam"}, default "adam"
        PyTorch's rules (``v = μ v + g; w -= lr v`` is scikit-learn's SGD written otherwise; Adam
        adds ``eps`` to the bias-corrected ``sqrt(v̂)``, scikit-learn to ``sqrt(v)``).
    alpha : float, default 0.0
        L2 penalty on the weights (not the biases), as scikit-learn's ``_backprop`` adds it: a
        batch of ``m`` examples has the loss ``L + alpha / (2 m) · Σ_layers ||W||²``, so every
        weight's gradient gains ``(alpha / m) · W``. It is passed to the engines' optimizer as
        ``weight_decay = alpha / m`` on a parameter group of weights only, set before each batch
        (``m`` is smaller on an epoch's last batch). scikit-learn's default is 1e-4.
    batch_size : int or "auto", default "auto"
        ``"auto"`` is ``min(200, n_samples)``, else ``min(batch_size, n_samples)``, for each
        ``fit`` / ``partial_fit`` call; a batch of all examples is one full-batch step.
    learning_rate_init : float, default 1e-3
    max_iter : int, default 200
        Epochs.
    shuffle : bool, default True
        Epoch ``e`` visits the examples in ``np.random.default_rng([seed, e]).permutation(n)``.
    random_state : int, RandomState or None
        An int is the seed of ``groundup train --seed``; otherwise a seed is drawn from it.
    tol, n_iter_no_change, early_stopping, validation_fraction : as scikit-learn
        Training stops after ``n_iter_no_change`` epochs that improve the loss (or, with early
        stopping, the validation accuracy) by less than ``tol``.
    momentum, nesterovs_momentum : as scikit-learn (``solver="sgd"``)
    beta_1, beta_2, epsilon : as scikit-learn (``solver="adam"``)
    engine : {"scratch", "autograd", "torch"}, default "scratch"
        How gradients are computed; the three give the same predictions from the same seed.
        ``"scratch"`` (hand-derived backward, no graph to record, the optimizer's small arrays
        updated as one) is the quickest on a CPU: on breast-cancer's 30 -> 100 -> 1 network a
        step takes ~0.8x the autograd engine's time, on MNIST's 784 -> 100 -> 10 the same (the
        matrix products dominate).
    init : {"glorot", "pytorch"}, default "glorot"
        The initial weights. ``"glorot"`` is scikit-learn's: every weight and bias of a layer
        from ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))`` (2 instead of 6 for
        ``"logistic"``), drawn as scikit-learn draws them, so ``random_state=s`` starts from
        scikit-learn's weights for ``random_state=s`` (see :mod:`groundup.sklearn.init`).
        ``"pytorch"`` is ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, PyTorch's default and
        ``groundup train``'s, drawn from the seed as there. Glorot's larger start trains a
        fixed number of epochs further: on digits (64 -> 100 -> 10) it is a = 0.19 and 0.23
        against PyTorch's 0.125 and 0.1.
    verbose : bool

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, loss_, loss_curve_, best_loss_, n_iter_, t_,
    validation_scores_, best_validation_score_ : as scikit-learn
        ``loss_`` is the last epoch's training loss (``loss_curve_[-1]``, the L2 penalty
        included), with early stopping too.
    coefs_ : list of ndarray of shape (n_in, n_out)
    intercepts_ : list of ndarray of shape (n_out,)
    n_layers_ : int
        Layers of units, the input and the output included: ``len(hidden_layer_sizes) + 2``
        (``len(coefs_) + 1``), as scikit-learn.
    n_outputs_ : int
        Logits: 1 for two classes, else ``len(classes_)``, as scikit-learn.
    out_activation_ : {"logistic", "softmax"}
        What turns the logits into ``predict_proba``: ``"logistic"`` for two classes (their one
        logit), ``"softmax"`` for more, as scikit-learn.

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> MLPClassifier((16,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, y
    ...     ).score(X, y) > 0.9
    True
    """

    _sizes = "hidden_layer_sizes"
    _parameter_constraints = {
        **NetworkClassifier._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0,
                 batch_size="auto", learning_rate_init=1e-3, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, momentum=0.9, nesterovs_momentum=True, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, engine="scratch", init="glorot",
                 verbose=False):  # fmt: skip
        self._set_params(locals())

    def _spec(self, input_shape, n_classes):
        hidden = _positive_ints("hidden_layer_sizes", self.hidden_layer_sizes, empty=True)
        if not hidden:
            name = "logistic" if n_classes == 2 else "softmax"
            return _spec_or_value_error(models.build, name, input_shape, n_classes)
        return _spec_or_value_error(models.build, "mlp", input_shape, n_classes, hidden=hidden,
                                    activation=self._activation())  # fmt: skip

    def _rows(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=_FLOATS)
        if reset:
            self.input_shape_ = (X.shape[1],)
        return X.astype(np.float32, copy=False)


class CNNClassifier(NetworkClassifier):
    """A convolutional classifier for images, with :class:`MLPClassifier`'s conventions.

    The network is ``models.build("cnn", ...)``: per entry of ``channels`` a block
    ``Conv2d(k, padding=k // 2) -> activation -> MaxPool2d(2)``, then ``Flatten -> Linear`` to
    the logits (one for 2 classes).

    Inputs: ``X`` of shape (N, H, W) (one channel) or (N, C, H, W). Rows (N, d) are images of
    ``image_shape`` (C, H, W) when it is given; else one-channel squares of side
    ``s = ceil(sqrt(d))`` (8x8 for digits' 64 values, 28x28 for MNIST's 784), zero-padded at the
    end of each row when ``d`` is not a square. Each block halves the image, so it needs a side
    of at least ``2 ** len(channels)``.

    Parameters: ``channels`` (default (16, 32)), ``kernel_size`` (odd, default 3),
    ``image_shape`` (default None), and every parameter of :class:`MLPClassifier` but
    ``hidden_layer_sizes`` (``alpha`` penalises the convolutions' weights too; ``init="glorot"``
    takes a convolution's fans as ``in·k²`` and ``out·k²``; ``engine`` defaults to
    ``"autograd"`` here). Attributes as
    :class:`MLPClassifier`'s, with ``coefs_`` holding a convolution's weight as
    (out, in, kH, kW), ``n_layers_ = len(channels) + 2`` (the input, each block's output, the
    logits) and ``input_shape_`` the (C, H, W) the network takes.
    """

    _sizes = "channels"
    _parameter_constraints = {
        **NetworkClassifier._parameter_constraints,
        "channels": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "image_shape": ["array-like", None],
    }

    def __init__(self, channels=(16, 32), kernel_size=3, image_shape=None, activation="relu",
                 solver="adam", alpha=0.0, batch_size="auto", learning_rate_init=1e-3,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, momentum=0.9,
                 nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 engine="autograd", init="glorot", verbose=False):  # fmt: skip
        self._set_params(locals())

    def _spec(self, input_shape, n_classes):
        channels = _positive_ints("channels", self.channels, empty=False)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd positive integer (3, 5, ...), got "
                             f"{self.kernel_size!r}")
        side = 2 ** len(channels)
        if min(input_shape[1:]) < side:
            raise ValueError(
                f"{len(channels)} pooling blocks need images of at least {side}x{side}, got "
                f"{input_shape[1]}x{input_shape[2]} (from {self.n_features_in_} feature(s)); "
                f"give fewer channels or larger images")
        return _spec_or_value_error(models.build, "cnn", input_shape, n_classes,
                                    channels=channels, kernel_size=int(self.kernel_size),
                                    activation=self._activation())  # fmt: skip

    def _rows(self, X, reset):
        ndim = getattr(X, "ndim", 2)
        if isinstance(X, list | tuple):  # nested lists of images are images too
            try:
                ndim = np.ndim(X)
            except ValueError:  # ragged: scikit-learn's check_array says what is wrong
                pass
        if ndim > 4:
            raise ValueError(f"{type(self).__name__} takes rows (n_samples, n_features) or "
                             f"images (n_samples, H, W) or (n_samples, C, H, W), got an array "
                             f"of shape {np.shape(X)}")
        if ndim in (3, 4):  # images
            X = check_array(X, allow_nd=True, dtype=_FLOATS)
            shape = (1, *X.shape[1:]) if X.ndim == 3 else tuple(X.shape[1:])
            if reset:
                self.input_shape_, self.n_features_in_ = shape, math.prod(shape)
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            elif shape != tuple(self.input_shape_):
                raise ValueError(f"X has images of shape {shape}, but {type(self).__name__} "
                                 f"was fitted on images of shape {tuple(self.input_shape_)}")
            return X.reshape(len(X), -1).astype(np.float32, copy=False)
        X = validate_data(self, X, reset=reset, dtype=_FLOATS)
        d = X.shape[1]
        if reset:
            self.input_shape_ = self._image_of(d)
        pad = math.prod(self.input_shape_) - d
        X = X.astype(np.float32, copy=False)
        return np.pad(X, ((0, 0), (0, pad))) if pad else X

    def _image_of(self, d: int) -> tuple[int, int, int]:
        """(C, H, W) of a row of ``d`` values."""
        if self.image_shape is None:
            s = math.isqrt(d - 1) + 1 if d > 0 else 1
            return (1, s, s)
        shape = tuple(int(v) for v in self.image_shape)
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) != 3 or math.prod(shape) != d:
            raise ValueError(f"image_shape {self.image_shape} does not hold rows of {d} values; "
                             f"give (C, H, W) with C * H * W = {d}")
        return shape
