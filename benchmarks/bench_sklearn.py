"""groundup.sklearn's MLPClassifier beside scikit-learn's, same settings, one thread each.

    GROUNDUP_DATA_DIR=../shared/data python benchmarks/bench_sklearn.py [--mnist-epochs 5]

On digits (pixels / 16, a 75/25 split), breast-cancer (standardised, 75/25) and MNIST (pixels /
255, its own test set): one hidden layer of 100 ReLU units, Adam at 1e-3, batches of 200, no L2
(alpha=0), a fixed number of epochs (tol=0, so neither stops early); groundup's estimator with
its defaults otherwise (scikit-learn's Glorot initial weights, the scratch engine; --engine and
--init choose others: --init pytorch shows the accuracy PyTorch's smaller start costs in a fixed
number of epochs). Printed: test accuracy
(the mean over ``--seeds`` random states on the two small sets, where one test example is 0.2
and 0.7 points; random_state 0 on MNIST) and mean fit time of each, and their ratio. Criteria
(exit 1 if one fails): groundup's accuracy at least scikit-learn's minus 0.5 points, and its fit
time at most 0.6x scikit-learn's, on each data set. Without GROUNDUP_DATA_DIR, MNIST is left
out (said so). Under each multi-class set, a line gives the same training written as the leanest
NumPy loop (``hand_fit``): the floor of what NumPy allows, printed beside the goal, not judged.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from _criteria import Criteria
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from groundup.sklearn import MLPClassifier

MAX_TIME_RATIO = 0.6
MAX_ACC_DROP = 0.5  # points


def digits():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    return Xtr, Xte, ytr, yte


def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


def mnist():
    from groundup import data

    ds = data.load("mnist")
    flat = lambda a: a.reshape(len(a), -1).astype(np.float32) / 255  # noqa: E731
    return flat(ds.X_train), flat(ds.X_test), ds.y_train, ds.y_test


def hand_fit(Xtr, ytr, Xte, yte, epochs: int, seed: int, hidden: int = 100,
             batch: int = 200, lr: float = 1e-3) -> tuple[float, float]:
    """(test accuracy %, seconds) of the leanest NumPy loop of the same training: one hidden
    ReLU layer, softmax cross-entropy, Adam on one flat float32 array whose gradient the GEMMs
    write in place, every temporary of the update kept, weights stored (in, out) as
    scikit-learn's (its forward GEMM needs no transposed operand), Adam's last line as
    groundup's rule computes it. No checks, no framework: a floor for what NumPy allows, not a
    competitor."""
    rng = np.random.default_rng(seed)
    X, y = np.ascontiguousarray(Xtr, dtype=np.float32), np.asarray(ytr)
    classes, y = np.unique(y, return_inverse=True)
    d, k = X.shape[1], len(classes)
    shapes = [(d, hidden), (hidden,), (hidden, k), (k,)]
    theta = np.zeros(sum(int(np.prod(sh)) for sh in shapes), np.float32)
    grad, m, v, tmp = (np.zeros_like(theta) for _ in range(4))
    views, grads, at = [], [], 0
    for sh in shapes:
        size = int(np.prod(sh))
        views.append(theta[at:at + size].reshape(sh))
        grads.append(grad[at:at + size].reshape(sh))
        at += size
    W1, b1, W2, b2 = views
    gW1, gb1, gW2, gb2 = grads
    for W in (W1, W2):  # Glorot, as scikit-learn starts a ReLU network
        bound = np.sqrt(6.0 / sum(W.shape))
        W[...] = rng.uniform(-bound, bound, W.shape)
    t = 0
    with threadpool_limits(1):
        t0 = time.perf_counter()
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for i in range(0, len(X), batch):
                idx = order[i:i + batch]
                xb, yb = np.take(X, idx, axis=0), np.take(y, idx)
                rows, scale = np.arange(len(idx)), 1.0 / len(idx)
                h = np.dot(xb, W1)
                h += b1
                np.maximum(h, 0, out=h)
                z = np.dot(h, W2)
                z += b2
                z -= z.max(axis=1, keepdims=True)
                np.exp(z, out=z)
                z *= scale / z.sum(axis=1, keepdims=True)
                z[rows, yb] -= scale  # dL/dz = (softmax - onehot) / m
                np.dot(h.T, z, out=gW2)
                np.sum(z, axis=0, out=gb2)
                dh = np.dot(z, W2.T)
                dh *= h > 0
                np.dot(xb.T, dh, out=gW1)
                np.sum(dh, axis=0, out=gb1)
                t += 1
                np.subtract(grad, m, out=tmp)
                tmp *= 0.1
                m += tmp
                v *= 0.999
                np.multiply(grad, 0.001, out=tmp)
                tmp *= grad
                v += tmp
                c2 = np.sqrt(1 - 0.999**t)
                np.sqrt(v, out=tmp)
                tmp += 1e-8 * c2
                np.divide(m, tmp, out=tmp)
                tmp *= -lr * c2 / (1 - 0.9**t)
                theta += tmp
        seconds = time.perf_counter() - t0
    logits = np.maximum(np.asarray(Xte, np.float32) @ W1 + b1, 0) @ W2 + b2
    return 100 * float(np.mean(classes[logits.argmax(axis=1)] == np.asarray(yte))), seconds


def timed_fit(est, Xtr, ytr, Xte, yte):
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(Xtr, ytr)
        seconds = time.perf_counter() - t0
        return 100 * est.score(Xte, yte), seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=50, help="epochs on digits and breast-cancer")
    ap.add_argument("--mnist-epochs", type=int, default=5, help="epochs on MNIST")
    ap.add_argument("--seeds", type=int, default=5, help="random states on the small sets")
    ap.add_argument("--engine", default="scratch", help="groundup's engine (default: the MLP's)")
    ap.add_argument("--init", default="glorot", choices=["glorot", "pytorch"],
                    help="groundup's initial weights (default: scikit-learn's, the estimator's)")
    args = ap.parse_args()
    sets = [("digits", digits, args.epochs, args.seeds),
            ("breast-cancer", cancer, args.epochs, args.seeds)]
    if os.environ.get("GROUNDUP_DATA_DIR"):
        sets.append(("mnist", mnist, args.mnist_epochs, 1))
    else:
        print("MNIST left out: set GROUNDUP_DATA_DIR to the folder holding it")
    criteria = Criteria()
    print(f"{'data':<14}{'epochs':>7}{'sklearn acc':>13}{'groundup acc':>14}"
          f"{'sklearn s':>11}{'groundup s':>12}{'ratio':>7}")
    for name, load, epochs, seeds in sets:
        Xtr, Xte, ytr, yte = load()
        kw = dict(hidden_layer_sizes=(100,), solver="adam", alpha=0.0, batch_size=200,
                  learning_rate_init=1e-3, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)
        sk, gu = [], []
        for s in range(seeds):  # alternately, so a change in the machine's load hits both
            sk.append(timed_fit(SkMLP(**kw, random_state=s), Xtr, ytr, Xte, yte))
            gu.append(timed_fit(MLPClassifier(**kw, random_state=s, engine=args.engine,
                                              init=args.init), Xtr, ytr, Xte, yte))
        (sk_acc, sk_s), (gu_acc, gu_s) = np.mean(sk, axis=0), np.mean(gu, axis=0)
        ratio = gu_s / sk_s
        print(f"{name:<14}{epochs:>7}{sk_acc:>12.2f}%{gu_acc:>13.2f}%{sk_s:>11.2f}{gu_s:>12.2f}"
              f"{ratio:>6.2f}x", flush=True)
        if len(np.unique(ytr)) > 2:  # the floor: the same steps in the leanest NumPy loop
            hand = np.mean([hand_fit(Xtr, ytr, Xte, yte, epochs, s) for s in range(seeds)],
                           axis=0)
            print(f"{'':<14}{'':>7}{'':>13}{hand[0]:>13.2f}%{'':>11}{hand[1]:>12.2f}"
                  f"{hand[1] / sk_s:>6.2f}x   <- NumPy by hand (the floor)", flush=True)
        criteria.check(f"{name} accuracy", gu_acc >= sk_acc - MAX_ACC_DROP,
                       f"{gu_acc:.2f}% vs scikit-learn's {sk_acc:.2f}%, must be >= "
                       f"{sk_acc - MAX_ACC_DROP:.2f}%")
        criteria.check(f"{name} fit time", ratio <= MAX_TIME_RATIO,
                       f"{ratio:.2f}x scikit-learn's, must be <= {MAX_TIME_RATIO}x")
    return criteria.exit_code()


if __name__ == "__main__":
    sys.exit(main())
