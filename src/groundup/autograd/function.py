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


def run_backward(root, seed: np.ndarray, record: dict | None = None) -> None:
    """Propagate ``seed`` = dL/d(root) to every leaf that requires a gradient.

    A node is processed once every node that uses it has passed its gradient down (Kahn's
    algorithm on the reversed graph: count each node's uses first, then release a node when its
    count reaches zero), so each node's gradient is complete, the sum over all paths, before it
    moves on.

    Leaves accumulate into ``.grad`` (``grad = grad + g``), so two ``backward()`` calls add up,
    as in PyTorch; ``optimizer.zero_grad()`` clears them. The first gradient to reach a leaf is
    stored without a copy when nothing else can see that array (no view, not handed out twice),
    which saves one copy of every weight gradient per step.

    ``record``, if given, receives ``id(node) -> dL/d(node)`` for every node on the way (used
    to print the graph with the gradients of its intermediate values).
    """
    uses = {}
    stack = [root]
    while stack:
        for parent in stack.pop()._parents:
            if parent.requires_grad:
                key = id(parent)
                if key in uses:
                    uses[key] += 1
                else:
                    uses[key] = 1
                    stack.append(parent)
    grads = {id(root): seed}
    handed_out = {id(seed)}  # arrays some tensor holds: copy before handing them out again
    ready = [root]
    while ready:
        node = ready.pop()
        g = grads.pop(id(node), None)
        backward = node._backward
        if record is not None and g is not None:
            record[id(node)] = g
        if backward is None:  # a leaf
            if g is None:
                continue
            if node.grad is None:
                if g.base is not None or not g.flags.writeable:
                    g = g.copy()
                if g.dtype != node.data.dtype:
                    g = g.astype(node.data.dtype)
                node.grad = g
            else:
                node.grad = node.grad + g
            continue
        parent_grads = (None,) * len(node._parents) if g is None else None
        if g is not None:
            handed_out.discard(id(g))  # the node now owns g and may pass it on once
            parent_grads = backward(g)
        for parent, pg in zip(node._parents, parent_grads, strict=False):
            if not parent.requires_grad:
                continue
            key = id(parent)
            if pg is not None:
                prev = grads.get(key)
                if prev is None:
                    if id(pg) in handed_out:
                        pg = pg.copy()
                    grads[key] = pg
                    handed_out.add(id(pg))
                else:
                    grads[key] = prev + pg
            uses[key] -= 1
            if uses[key] == 0:
                ready.append(parent)
