"""The backward engine: the adjoint of broadcasting, a topological order, and the sweep.

A node of the graph is a tensor made by an operation. It keeps

* ``_parents``: the input tensors, a tuple;
* ``_backward``: a closure ``g -> (grad_parent_0, grad_parent_1, ...)`` that maps the gradient
  of the loss with respect to the node's output (``g``, the node's shape) to the gradients with
  respect to each parent (``None`` for a parent that needs none). The closure sits next to the
  forward computation in the op that made it, so forward and local derivative read together.

``backward()`` visits the nodes from the output back to the leaves, each after every node that
uses it (a reverse topological order), summing the gradients that reach a node through different
paths: the multivariable chain rule ``dL/dx = Σ_paths dL/dy · dy/dx``.
"""

from __future__ import annotations

import numpy as np

from groundup.errors import GroundupError


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` back to ``shape``: the adjoint of NumPy broadcasting.

    Broadcasting copies an input along the dimensions it lacks (prepended ones) or has as 1; the
    copies all feed the loss, so their gradients add up. ``g`` of shape (4, 3, 5) for an input of
    shape (3, 1) is summed over axis 0 (prepended) and then over axis 2 (kept as size 1).
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def topological_order(root) -> list:
    """Every tensor ``root`` depends on that needs a gradient, each after all of its parents.

    An explicit stack instead of recursion, so a graph 100,000 operations deep is fine.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def grad_buffer(t, dtype) -> np.ndarray | None:
    """Where an op's backward may write the gradient it computes for ``t`` (``out=`` of a NumPy
    call): ``t``'s gradient home (a view into a flat optimizer's gradient array, see
    :mod:`groundup.optim.flat`) while ``t.grad`` is still empty and the dtypes agree, so that
    the first gradient of a step lands where the optimizer reads it, without a copy. ``None``
    otherwise: the op then makes a fresh array, and a second gradient is added to the first as
    usual (``_store``)."""
    home = t._grad_home
    if home is None or t.grad is not None or home.dtype != dtype:
        return None
    return home


def _store(leaf, g: np.ndarray) -> None:
    """Add ``g`` into ``leaf.grad``; the first gradient is kept as is when it is a fresh array
    (or the leaf's gradient home, which an op wrote through ``grad_buffer``)."""
    if leaf.grad is None:
        if g is not leaf._grad_home and (g.base is not None or not g.flags.writeable
                                         or g.dtype != leaf.data.dtype):
            g = g.astype(leaf.data.dtype)  # a copy: a view or a shared array must not be kept
        leaf.grad = g
    else:
        leaf.grad = leaf.grad + g


def _spent_error(node) -> GroundupError:
    return GroundupError(
        f"backward() reached a part of the graph ({node._op}) that an earlier backward() already "
        "went through, so its gradients are in .grad once already and would be added a second "
        "time. Run the forward pass again to get a fresh loss (one per training step), or call "
        "the first backward(retain_graph=True) if you mean to backpropagate twice (the "
        "gradients then add up, as in PyTorch)"
    )


def run_backward(root, seed: np.ndarray, retain_graph: bool = False,
                 record: dict | None = None) -> None:
    """Propagate ``seed`` = dL/d(root) to every leaf that requires a gradient.

    An operation's node is processed once every node that uses it has passed its gradient down
    (Kahn's algorithm on the reversed graph: count each node's uses first, then release a node
    when its count reaches zero), so its gradient is complete, the sum over all paths, before
    it moves on. Leaves add each gradient into ``.grad`` as it arrives, so two ``backward()``
    calls add up, as in PyTorch; ``optimizer.zero_grad()`` clears them.

    Unless ``retain_graph``, every node passed through is marked spent, and a later sweep that
    reaches one raises before touching any ``.grad`` (PyTorch's "backward through the graph a
    second time" error): calling ``loss.backward()`` twice by mistake would otherwise double
    the gradients silently. The nodes keep their values and rules, so the graph can still be
    printed.

    Gradients are never changed in place, so arrays are passed along without copies; the only
    copies are where one array would otherwise end up in two places (a node handing its own
    ``g`` to two parents, as ``a + b`` does, or a leaf receiving a view).

    ``record``, if given, receives ``id(node) -> dL/d(node)`` for every node on the way. This is
    the read-only sweep :mod:`groundup.graph` uses to print gradients: it works on a spent graph
    and marks nothing.
    """
    check = record is None  # the printing sweep may run on a spent graph
    if root._spent and check:
        raise _spent_error(root)
    if root._backward is None:
        _store(root, seed)
        return
    uses = _count_uses(root, check)
    spend = not retain_graph and check
    pending: dict = {}  # node -> sum of the gradients so far, while more uses are to come
    ready = [(root, seed)]  # nodes whose gradient is complete, with that gradient
    while ready:
        node, g = ready.pop()
        if spend:
            node._spent = True
        parents = node._parents
        if g is None:  # nothing reached this node: its parents get nothing through it
            parent_grads = (None,) * len(parents)
        else:
            if record is not None:
                record[id(node)] = g
            parent_grads = node._backward(g)
        passed_on = False  # whether g itself went to a parent already
        # one gradient (or None) per parent; zip's strict= keyword alone costs ~0.2 µs a node
        for parent, pg in zip(parents, parent_grads):  # noqa: B905
            if not parent.requires_grad:
                continue
            if pg is not None and pg is g:
                if passed_on:
                    pg = pg.copy()
                passed_on = True
            if parent._backward is None:  # a leaf: add each gradient as it arrives
                if pg is not None:
                    _store(parent, pg)
                    if record is not None:
                        key = id(parent)
                        record[key] = pg if key not in record else record[key] + pg
                continue
            n = uses[parent]
            if n == 1:  # the last use: the parent's gradient is complete
                if pending:
                    prev = pending.pop(parent, None)
                    if prev is not None:
                        pg = prev if pg is None else prev + pg
                ready.append((parent, pg))
            else:
                uses[parent] = n - 1
                if pg is not None:
                    prev = pending.get(parent)
                    pending[parent] = pg if prev is None else prev + pg


def _count_uses(root, check: bool) -> dict:
    """``{operation node: how many recorded uses it has}`` for every operation node ``root``
    depends on (leaves are not counted: they take each gradient as it arrives). With ``check``,
    reaching a spent node raises."""
    uses: dict = {}
    stack = [root]
    while stack:
        for parent in stack.pop()._parents:
            if parent._backward is None or not parent.requires_grad:
                continue
            n = uses.get(parent)
            if n is None:
                if parent._spent and check:
                    raise _spent_error(parent)
                uses[parent] = 1
                stack.append(parent)
            else:
                uses[parent] = n + 1
    return uses
