"""The computation graph, printed: the primer's J = 3(a + bc)."""

import groundup
from groundup.graph import draw_graph, graph_text, to_dot


def _primer_graph():
    a, b, c = (groundup.tensor(v, requires_grad=True) for v in (5.0, 3.0, 2.0))
    a.label, b.label, c.label = "a", "b", "c"
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    return J, (a, b, c)


def test_primer_graph_text_shows_values_and_gradients():
    J, leaves = _primer_graph()
    assert graph_text(J) == "\n".join([
        "J = 33  [MulBackward]  dJ/dJ = 1",
        "└── v = 11  [AddBackward]  dJ/dv = 3",
        "    ├── a = 5  [leaf]  dJ/da = 3",
        "    └── u = 6  [MulBackward]  dJ/du = 3",
        "        ├── b = 3  [leaf]  dJ/db = 6",
        "        └── c = 2  [leaf]  dJ/dc = 9",
    ])
    assert all(t.grad is None for t in leaves)  # printing does not touch .grad
    text = graph_text(J)
    J.backward()  # a spent graph still prints, with the same gradients, and .grad is kept
    assert graph_text(J) == text
    assert [t.grad.item() for t in leaves] == [3.0, 6.0, 9.0]


def test_shared_values_are_marked_and_dot_is_written(tmp_path):
    x = groundup.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    text = graph_text(y)
    assert "(shown above)" in text and "[SumBackward]" in text
    J, _ = _primer_graph()
    dot = to_dot(J)
    assert dot.startswith("digraph") and "J = 33 | grad 1" in dot and "MulBackward" in dot
    path = draw_graph(J, tmp_path / "j.dot")
    assert path.read_text() == dot
