"""What both estimators share: fitting an engine from scikit-learn's parameters, predicting, files.

A fit is groundup's own run: initial weights (scikit-learn's Glorot draws,
:func:`~groundup.sklearn.init.glorot_state`, with ``init="glorot"``; the spec's
``spec.init_state(seed)`` with ``init="pytorch"``), the engine
``make_engine(engine, spec, state, optimizer, seed)`` and epoch ``e``'s batches in the order
``epoch_order(n, seed, e)`` (the :class:`~groundup.data.DataLoader`), one
``engine.train_step`` per batch: with ``init="pytorch"``, the numbers of ``groundup train`` with
the same settings. The L2 penalty (``alpha``) and the epoch bookkeeping (the loss curve, ``tol``
/ ``n_iter_no_change``, early stopping) are scikit-learn's, written as in its ``MLPClassifier``.
"""

from __future__ import annotations

import errno
import json
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d

from groundup.data.loader import DataLoader, TensorDataset
from groundup.engines import ENGINES, OptimizerSpec, make_engine
from groundup.errors import GroundupError
from groundup.models import ModelSpec
from groundup.models.memory import check_fits
from groundup.sklearn.init import glorot_state
from groundup.train.threads import blas_threads

__all__ = ["NetworkClassifier"]

#: scikit-learn's activation names that groundup spells otherwise.
SKLEARN_ACTIVATIONS = {"logistic": "sigmoid", "identity": "linear"}


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """Base of :class:`MLPClassifier` and :class:`CNNClassifier`: subclasses say which network
    (``_spec``) and how inputs become rows (``_rows``)."""

    _parameter_constraints: dict = {
        "activation": [StrOptions({"relu", "tanh", "logistic", "sigmoid", "leaky_relu", "gelu",
                                   "identity", "linear"})],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "engine": [StrOptions(set(ENGINES))],
        "init": [StrOptions({"glorot", "pytorch"})],
        "verbose": ["verbose"],
    }

    def _set_params(self, given: dict) -> None:
        """Store the constructor's arguments (``locals()`` of a subclass's ``__init__``) under
        their own names, unchanged, as scikit-learn requires."""
        for name, value in given.items():
            if name != "self":
                setattr(self, name, value)

    def _activation(self) -> str:
        """``activation`` in groundup's spelling (scikit-learn's ``logistic`` is ``sigmoid``)."""
        return SKLEARN_ACTIVATIONS.get(self.activation, self.activation)

    # -- what subclasses provide -------------------------------------------------------------------
    _sizes = "the layer sizes"  # the parameter that sizes the layers, named in errors

    def _spec(self, input_shape: tuple[int, ...], n_classes: int) -> ModelSpec:
        raise NotImplementedError

    def _rows(self, X, reset: bool) -> np.ndarray:
        """``X`` validated, as float32 rows (n, prod(input shape)); sets ``input_shape_`` on
        reset."""
        raise NotImplementedError

    # -- scikit-learn's API ------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train from fresh initial weights for up to ``max_iter`` epochs; returns ``self``."""
        return self._fit(X, y, classes=None, reset=True, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (every label there will be) is required on the first call; given again, it
        must name the same classes (a ``ValueError`` otherwise, as scikit-learn, and with
        ``early_stopping=True``). Epoch ``k`` (``n_iter_ = k`` before the call) takes its
        batches in ``epoch_order(n, seed, k)``, so ``k`` calls on the same data are exactly
        ``fit`` with ``max_iter=k`` and ``tol=0``.
        """
        first = not hasattr(self, "classes_")
        if first:
            self._validate_params()
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit: "
                                 "every label the data will have, e.g. classes=np.unique(y)")
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        if self.early_stopping:  # one epoch has no validation split to stop on
            raise ValueError("partial_fit does not support early_stopping=True")
        return self._fit(X, y, classes=classes if first else None, reset=first, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted labels of shape (n_samples,), from ``classes_``."""
        index = self._head().predictions(self._logits(X))
        return self.classes_[index]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of shape (n_samples, n_classes): ``softmax(z)``, or
        ``[1 - σ(z), σ(z)]`` for the one logit of two classes."""
        return self._head().probabilities(self._logits(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Each layer's weight: ``(n_in, n_out)`` for a linear layer (scikit-learn's layout,
        PyTorch's weight transposed), ``(out, in, kH, kW)`` for a convolution."""
        state = self._engine.state_dict()
        ws = [state[n] for n in state if n.endswith(".weight")]
        return [w.T if w.ndim == 2 else w for w in ws]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Each layer's bias, of shape (n_out,)."""
        state = self._engine.state_dict()
        return [state[n] for n in state if n.endswith(".bias")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.non_deterministic = self.random_state is None
        return tags

    # -- the fit -----------------------------------------------------------------------------------
    def _fit(self, X, y, classes, reset: bool, incremental: bool):
        """``reset``: fresh classes, network and weights; ``incremental``: one epoch (a
        ``partial_fit``) rather than up to ``max_iter``."""
        X = self._rows(X, reset=reset)
        y = self._labels(y, classes, reset)
        if reset:
            self._start(len(X))
        early = self.early_stopping and not incremental
        X_val = y_val = None
        if early:
            X, X_val, y, y_val = train_test_split(
                X, y, test_size=self.validation_fraction, random_state=self._seed, stratify=y)
        epochs = 1 if incremental else self.max_iter
        with blas_threads(1), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(epochs):
                self.loss_ = loss = self._epoch(X, y, self.n_iter_)
                self.n_iter_ += 1
                self.t_ += len(X)
                self.loss_curve_.append(loss)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
                self._update_no_improvement_count(early, X_val, y_val)
                if self._no_improvement_count > self.n_iter_no_change:
                    if self.verbose:
                        what = "Validation score" if early else "Training loss"
                        print(f"{what} did not improve more than tol={self.tol:f} for "
                              f"{self.n_iter_no_change} consecutive epochs. Stopping.")
                    break
            else:
                if not incremental and self.max_iter > 1:
                    warnings.warn(f"{type(self).__name__}: stopped after max_iter="
                                  f"{self.max_iter} epochs without converging (tol={self.tol})",
                                  ConvergenceWarning, stacklevel=3)  # fmt: skip
        if early:
            self._engine.load_state_dict(self._best_state)
        return self

    def _labels(self, y, classes, reset: bool) -> np.ndarray:
        """``y`` as class indices into ``classes_`` (set on reset)."""
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset or classes is not None:
            known = np.unique(y if classes is None else classes)
            if len(known) < 2:
                raise ValueError(f"a classifier needs at least 2 classes, y has 1 class "
                                 f"({known[0]!r}); give examples of another class")
            if classes is not None and not hasattr(self, "classes_") or reset:
                self.classes_ = known
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(f"y has labels {unseen.tolist()} not in classes {self.classes_}; "
                             f"pass every label to the first partial_fit's classes")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _start(self, n: int) -> None:
        """Fresh spec, initial weights and engine, as ``groundup train --seed``."""
        rs = self.random_state
        self._seed = int(rs) if isinstance(rs, Integral) else int(
            check_random_state(rs).randint(np.iinfo(np.int32).max))
        spec = self._spec(self.input_shape_, len(self.classes_))
        optimizer = OptimizerSpec(
            self.solver, float(self.learning_rate_init),
            momentum=float(self.momentum) if self.solver == "sgd" else 0.0,
            weight_decay=float(self.alpha) / self._batch_size(n), decay_biases=False,
            betas=(float(self.beta_1), float(self.beta_2)), eps=float(self.epsilon),
            nesterov=bool(self.nesterovs_momentum and self.solver == "sgd" and self.momentum > 0),
        )
        try:
            check_fits(spec.n_parameters, np.float32, fix=f"choose smaller layers ({self._sizes})")
            if self.init == "glorot":
                state = glorot_state(spec, self._seed, self._activation())
            else:
                state = spec.init_state(self._seed)
            self._engine = make_engine(self.engine, spec, state, optimizer, self._seed)
        except GroundupError as e:
            raise ValueError(str(e)) from None
        self._describe_network()
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.best_loss_ = None
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = self.best_validation_score_ = None

    def _describe_network(self) -> None:
        """scikit-learn's ``n_layers_`` (layers of units, input and logits included: one more
        than ``len(coefs_)``), ``n_outputs_`` (logits) and ``out_activation_``, from the
        network."""
        head = self._engine.spec.head
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = head.n_outputs
        self.out_activation_ = "logistic" if head.binary else "softmax"

    def _batch_size(self, n: int) -> int:
        """scikit-learn's: ``min(200, n)`` for ``"auto"``, else ``batch_size`` clipped to ``n``."""
        return min(200 if self.batch_size == "auto" else int(self.batch_size), n)

    def _epoch(self, X, y, epoch: int) -> float:
        """One epoch of ``engine.train_step``; the mean over examples of the batch losses plus
        the L2 penalty ``alpha / (2 m) · Σ ||W||²`` of each batch of ``m`` examples before its
        step, whose weight gradients gain ``(alpha / m) · W`` (scikit-learn's ``_backprop``)."""
        n, b = len(X), self._batch_size(len(X))
        if b >= n:  # full batch: one step, no shuffling (as the training loop)
            batches = [(X, y)]
        else:
            batches = DataLoader(TensorDataset(X, y), b, shuffle=self.shuffle, seed=self._seed)
            batches.set_epoch(epoch)
        total = 0.0
        for xb, yb in batches:
            penalty = 0.0
            if self.alpha:
                self._engine.set_weight_decay(self.alpha / len(yb))
                penalty = self._penalty(len(yb))
            loss, _ = self._engine.train_step(xb, yb)
            if not np.isfinite(loss):
                raise ValueError(f"the loss became {loss} in epoch {epoch + 1}: training "
                                 f"diverged; lower learning_rate_init (now "
                                 f"{self.learning_rate_init})")  # fmt: skip
            total += (loss + penalty) * len(yb)
        return total / n

    def _penalty(self, m: int) -> float:
        """``alpha / (2 m) · Σ_layers ||W||²`` (weights only) at the current weights."""
        squares = sum(float(np.sum(np.square(w, dtype=np.float64))) for w in self.coefs_)
        return self.alpha * squares / (2 * m)

    def _update_no_improvement_count(self, early: bool, X_val, y_val) -> None:
        """scikit-learn's rule: an epoch that improves by less than ``tol`` counts."""
        if early:
            score = float(np.mean(self._engine.predict(X_val) == y_val))
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            worse = score < self.best_validation_score_ + self.tol
            self._no_improvement_count = self._no_improvement_count + 1 if worse else 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_state = self._engine.state_dict()
            return
        loss = self.loss_curve_[-1]
        if self.best_loss_ is None:  # a partial_fit after a fit with early stopping
            self.best_loss_ = np.inf
        worse = loss > self.best_loss_ - self.tol
        self._no_improvement_count = self._no_improvement_count + 1 if worse else 0
        self.best_loss_ = min(self.best_loss_, loss)

    # -- prediction --------------------------------------------------------------------------------
    def _head(self):
        check_is_fitted(self, "classes_")
        return self._engine.spec.head

    def _logits(self, X) -> np.ndarray:
        check_is_fitted(self, "classes_")
        with blas_threads(1):
            return self._engine.batched_logits(self._rows(X, reset=False))

    # -- files -------------------------------------------------------------------------------------
    def _payload(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able description, arrays): everything to continue or predict."""
        e = self._engine
        opt_arrays, counters = e.optimizer_state()
        meta = {
            "estimator": type(self).__name__, "params": _jsonable_params(self.get_params()),
            "classes": self.classes_.tolist(), "spec": e.spec.to_dict(),
            "optimizer": e.optimizer_spec.to_dict(), "engine": e.name, "seed": self._seed,
            "steps": e.steps, "counters": counters,
            "fitted": {k: getattr(self, k) for k in _FITTED},
            "input_shape": list(self.input_shape_), "n_features_in": self.n_features_in_,
        }
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in"] = self.feature_names_in_.tolist()
        arrays = {f"model/{k}": v for k, v in e.state_dict().items()}
        arrays.update({f"optimizer/{k}": v for k, v in opt_arrays.items()})
        return meta, arrays

    def _restore(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        spec = ModelSpec.from_dict(meta["spec"])
        model = {k[6:]: v for k, v in arrays.items() if k.startswith("model/")}
        opt = {k[10:]: v for k, v in arrays.items() if k.startswith("optimizer/")}
        self._engine = make_engine(meta["engine"], spec, model,
                                   OptimizerSpec.from_dict(meta["optimizer"]), meta["seed"])
        self._engine.load_optimizer_state(opt, {k: int(v) for k, v in meta["counters"].items()})
        self._engine.steps = int(meta["steps"])
        self._seed = int(meta["seed"])
        self.classes_ = np.asarray(meta["classes"])
        for k, v in meta["fitted"].items():
            setattr(self, k, v)
        if "loss_" not in meta["fitted"] and self.loss_curve_:  # a file from before loss_
            self.loss_ = self.loss_curve_[-1]
        self._describe_network()
        self.input_shape_ = tuple(meta["input_shape"])
        self.n_features_in_ = int(meta["n_features_in"])
        if "feature_names_in" in meta:
            self.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)

    def save(self, path) -> None:
        """Write the fitted estimator to ``path`` (safetensors; the parameters, fitted attributes
        and network as JSON in its metadata), atomically. No pickle."""
        from groundup.io import save_safetensors

        check_is_fitted(self, "classes_")
        meta, arrays = self._payload()
        save_safetensors(arrays, Path(path), {"groundup.sklearn": json.dumps(meta)})

    @classmethod
    def load(cls, path):
        """Read an estimator :meth:`save` wrote; it predicts and ``partial_fit``s as before.

        A missing ``path`` raises :class:`FileNotFoundError` (as ``open`` does); a file that is
        not such an estimator, :class:`~groundup.errors.GroundupError` (a ``ValueError``).
        """
        from groundup.io import load_safetensors, read_safetensors_metadata

        if not Path(path).exists():
            raise FileNotFoundError(errno.ENOENT, "No such estimator file (a fitted estimator's "
                                                  "save(path) writes one)", str(path))
        arrays, metadata = load_safetensors(path), read_safetensors_metadata(path)
        if "groundup.sklearn" not in metadata:
            raise GroundupError(f"{path} was not written by a groundup.sklearn estimator's save()")
        meta = json.loads(metadata["groundup.sklearn"])
        if meta["estimator"] != cls.__name__:
            raise GroundupError(f"{path} holds a {meta['estimator']}, not a {cls.__name__}; load "
                                f"it with {meta['estimator']}.load")  # fmt: skip
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()}
        est = cls(**params)
        est._restore(meta, arrays)
        return est

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object's is the instance's own __dict__
        if "_engine" in state:  # the network as plain arrays + JSON, rebuilt on unpickling
            state["_engine"] = self._payload()
        return state

    def __setstate__(self, state):
        payload = state.pop("_engine", None)
        super().__setstate__(state)
        if payload is not None:
            self._restore(*payload)


def _jsonable_params(params: dict) -> dict:
    """The constructor's parameters as JSON; a ``RandomState`` (already consumed) becomes None."""
    rs = params.get("random_state")
    return {**params, "random_state": rs if rs is None or isinstance(rs, Integral) else None}


_FITTED = ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "validation_scores_",
           "best_validation_score_", "_no_improvement_count")
