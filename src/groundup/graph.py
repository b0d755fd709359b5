"""Seeing the computation graph: print it as a tree, or write it as Graphviz DOT.

The primer's example ``J = 3(a + bc)`` with a = 5, b = 3, c = 2::

    a = groundup.tensor(5.0, requires_grad=True); a.label = "a"    # likewise b = 3, c = 2
    u = b * c; u.label = "u"
    v = a + u; v.label = "v"
    J = 3 * v; J.label = "J"
    print(groundup.graph.graph_text(J))

prints each value with dJ/d(value) beside it (the text computes the gradients itself and leaves
``.grad`` untouched)::

    J = 33  [MulBackward]  dJ/dJ = 1
    └── v = 11  [AddBackward]  dJ/dv = 3
        ├── a = 5  [leaf]  dJ/da = 3
        └── u = 6  [MulBackward]  dJ/du = 3
            ├── b = 3  [leaf]  dJ/db = 6
            └── c = 2  [leaf]  dJ/dc = 9
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from groundup.autograd.function import run_backward, topological_order


def node_gradients(root) -> dict[int, np.ndarray]:
    """``id(node) -> d(root)/d(node)`` for every node; needs a one-element ``root``.

    Runs the same backward sweep as ``root.backward()`` but leaves ``.grad`` as it was; it
    works before or after ``root.backward()`` (a spent graph still holds its rules).
    """
    record: dict[int, np.ndarray] = {}
    if root.requires_grad:
        leaves = [t for t in topological_order(root) if t._backward is None]
        saved = [t.grad for t in leaves]
        run_backward(root, np.ones(root.data.shape, dtype=root.data.dtype), record=record)
        for t, grad in zip(leaves, saved, strict=True):
            t.grad = grad
    return record


def _fmt(x: np.ndarray, precision: int) -> str:
    if x.size == 1:
        return f"{x.item():.{precision}g}"
    if x.size <= 6:
        return np.array2string(x.ravel(), precision=precision, separator=", ")
    return f"<array {x.shape} {x.dtype}>"


def _name(t, names: dict) -> str:
    if t.label:
        return t.label
    return names.setdefault(id(t), f"t{len(names)}")


def graph_text(root, precision: int = 4, grads: bool = True) -> str:
    """The graph under ``root`` as an indented tree, one value per line.

    A value used twice is printed in full the first time and marked ``(shown above)`` after.
    With ``grads`` each line ends with d(root)/d(value) (``root`` must have one element).
    """
    g = node_gradients(root) if grads and root.data.size == 1 else {}
    names: dict[int, str] = {}
    root_name = _name(root, names)
    lines: list[str] = []
    shown: set[int] = set()
    stack = [(root, "", "", True)]
    while stack:
        t, prefix, branch, is_root = stack.pop()
        name = _name(t, names)
        op = t._op or ("leaf" if t.requires_grad else "constant")
        text = f"{name} = {_fmt(t.data, precision)}  [{op}]"
        if id(t) in g:
            text += f"  d{root_name}/d{name} = {_fmt(g[id(t)], precision)}"
        if id(t) in shown and t._parents:
            lines.append(prefix + branch + text + "  (shown above)")
            continue
        shown.add(id(t))
        lines.append(prefix + branch + text)
        child_prefix = prefix if is_root else prefix + ("    " if branch == "└── " else "│   ")
        parents = list(t._parents)
        for i in reversed(range(len(parents))):
            last = i == len(parents) - 1
            stack.append((parents[i], child_prefix, "└── " if last else "├── ", False))
    return "\n".join(lines)


def print_graph(root, precision: int = 4, grads: bool = True) -> None:
    """Print :func:`graph_text`."""
    print(graph_text(root, precision, grads))


def to_dot(root, precision: int = 4) -> str:
    """Graphviz DOT source: a box per value (name, value, gradient), an ellipse per operation."""
    g = node_gradients(root) if root.data.size == 1 else {}
    names: dict[int, str] = {}
    out = ["digraph G {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for t in topological_order(root):
        name = _name(t, names)
        label = f"{name} = {_fmt(t.data, precision)}"
        if id(t) in g:
            label += f" | grad {_fmt(g[id(t)], precision)}"
        out.append(f'  v{id(t)} [shape=record, label="{{{label}}}"];')
        if t._backward is not None:
            out.append(f'  op{id(t)} [label="{t._op}"];')
            out.append(f"  op{id(t)} -> v{id(t)};")
            for p in t._parents:
                if not p.requires_grad:
                    pname = _name(p, names)
                    out.append(f'  v{id(p)} [shape=record, label="{{{pname} = '
                               f'{_fmt(p.data, precision)}}}"];')
                out.append(f"  v{id(p)} -> op{id(t)};")
    out.append("}")
    return "\n".join(out)


def draw_graph(root, path, precision: int = 4) -> Path:
    """Write the graph to ``path``: DOT source for ``.dot``, or a picture for ``.png`` / ``.svg``
    (needs Graphviz's ``dot`` program; without it the DOT source is written beside, as .dot)."""
    from groundup.io import atomic_write

    path = Path(path)
    dot = to_dot(root, precision)
    if path.suffix == ".dot":
        atomic_write(path, dot)
        return path
    exe = shutil.which("dot")
    if exe is None:
        fallback = path.with_suffix(".dot")
        atomic_write(fallback, dot)
        return fallback
    image = subprocess.run([exe, f"-T{path.suffix[1:]}"], input=dot.encode(), check=True,
                           capture_output=True).stdout
    atomic_write(path, image)
    return path
