"""Lesson: convolutions (beyond the primer's dense layers: "replace the dense layers with
convolutions and you have a vision model").

What it shows (the layers' numbers checked; arithmetic on them shown):

* cross-correlation worked by hand: the vertical-edge kernel [-1, 0, 1] (three rows of it) on a
  6 × 6 image, dark on the left half and bright on the right, gives the map [0, 3, 3, 0] on every
  row — by the loops, by ``scratch.Conv2d`` (im2col and one matrix product) and by ``nn.Conv2d``;
  the horizontal-edge kernel sees nothing there; flipping the kernel (the textbook convolution)
  flips the sign; zero padding invents an edge at the border;
* the output size ``⌊(H + 2p − k) / s⌋ + 1`` against the layers, and the shapes of the default
  ``--model cnn`` (3 × 3 kernels, 16 and 32 channels): 1×28×28 → 16×28×28 → 16×14×14 →
  32×14×14 → 32×7×7 → 1568 → 10;
* weight sharing: the CNN has 160 + 4,640 + 15,690 = 20,490 parameters against the primer's
  MLP's 101,770; a convolution is a dense layer whose matrix repeats the same 9 numbers;
* the receptive field of stacked layers (3, 4, 8, then 10 pixels), measured by backpropagating
  from one output unit, against ``r ← r + (k − 1)·j, j ← j·s``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from groundup.lessons._figures import save
from groundup.lessons._report import Report

# 6 × 6: columns 0-2 dark (0), columns 3-5 bright (1): one vertical edge in the middle
EDGE_IMAGE = np.repeat([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]], 6, axis=0)
# responds to dark-to-bright from left to right: right column minus left column, three rows
VERTICAL = np.array([[-1.0, 0.0, 1.0]] * 3)
HORIZONTAL = VERTICAL.T.copy()  # bottom row minus top row


def _as_batch(image: np.ndarray) -> np.ndarray:
    return image[None, None].astype(np.float64)  # (1, 1, H, W)


def _scratch_filter(image: np.ndarray, kernel: np.ndarray, padding: int = 0) -> np.ndarray:
    """The feature map of ``kernel`` on ``image`` by :class:`groundup.scratch.Conv2d`."""
    from groundup.scratch import Conv2d

    layer = Conv2d(1, 1, kernel.shape, padding=padding, bias=False, dtype=np.float64)
    layer.load_state_dict({"weight": kernel[None, None]})
    return layer.forward(_as_batch(image))[0, 0]


def cross_correlation(report: Report, out_dir: Path | None) -> None:
    from groundup import nn, no_grad, tensor
    from groundup.scratch.conv_naive import conv2d_naive

    report.section("cross-correlation by hand: a vertical-edge kernel on a 6 x 6 image")
    # Y[i, j] = Σ_{p,q} K[p, q] X[i + p, j + q]; every row of X is [0, 0, 0, 1, 1, 1] and every
    # row of K is [-1, 0, 1], so Y[i, j] = 3 (X[., j + 2] - X[., j]):
    #   j = 0: 3 (0 - 0) = 0;  j = 1: 3 (1 - 0) = 3;  j = 2: 3 (1 - 0) = 3;  j = 3: 3 (1 - 1) = 0
    by_hand = np.array([[0.0, 3.0, 3.0, 0.0]] * 4)
    loops = conv2d_naive(_as_batch(EDGE_IMAGE), VERTICAL[None, None], None, (1, 1), (0, 0))
    report.close("feature map by the loops", loops[0, 0], by_hand)
    report.close("by scratch.Conv2d (im2col + one GEMM)", _scratch_filter(EDGE_IMAGE, VERTICAL),
                 by_hand)
    conv = nn.Conv2d(1, 1, 3, bias=False, dtype=np.float64)
    conv.load_state_dict({"weight": VERTICAL[None, None]})
    with no_grad():
        autograd_map = conv(tensor(_as_batch(EDGE_IMAGE), dtype=np.float64)).numpy()[0, 0]
    report.close("by nn.Conv2d (autograd)", autograd_map, by_hand)
    # every window of the horizontal kernel holds one column value three times: top minus bottom
    report.close("the horizontal-edge kernel on the same image",
                 _scratch_filter(EDGE_IMAGE, HORIZONTAL), np.zeros((4, 4)))
    # the textbook convolution flips the kernel by 180°: [1, 0, -1] rows, so the sign flips
    report.close("true convolution (kernel flipped)",
                 _scratch_filter(EDGE_IMAGE, VERTICAL[::-1, ::-1]), 0.0 - by_hand)
    # padding 1: the padded row is [0 | 0 0 0 1 1 1 | 0]; Y[i, j] = (rows) · (Xp[j + 2] - Xp[j])
    # with 3 rows inside and 2 at the top and bottom (one row of zeros): at j = 5 the bright
    # column meets the padding and reads as a bright-to-dark edge that is not in the image
    inner, edge_rows = [0.0, 0.0, 3.0, 3.0, 0.0, -3.0], [0.0, 0.0, 2.0, 2.0, 0.0, -2.0]
    report.close("with padding 1: a false edge at the border",
                 _scratch_filter(EDGE_IMAGE, VERTICAL, padding=1),
                 np.array([edge_rows] + [inner] * 4 + [edge_rows]))
    _draw_edge_filter(out_dir, autograd_map)


def output_sizes(report: Report) -> None:
    import groundup
    from groundup import nn, no_grad

    report.section("output size: ⌊(H + 2p − k) / s⌋ + 1")
    report.note("H input size, k kernel, s stride, p padding; a window fits that many times")
    cases = [  # (layer, H, k, s, p, worked by hand)
        ("Conv2d", 28, 3, 1, 1, 28),  # (28 + 2 − 3) / 1 + 1: "same" padding keeps the size
        ("Conv2d", 28, 5, 1, 0, 24),  # (28 − 5) + 1: each 5-wide window loses 4 positions
        ("MaxPool2d", 28, 2, 2, 0, 14),  # (28 − 2) / 2 + 1: pooling halves
        ("Conv2d", 7, 3, 2, 0, 3),  # ⌊4 / 2⌋ + 1
        ("Conv2d", 6, 3, 2, 0, 2),  # ⌊3 / 2⌋ + 1: the last column is never read
        ("MaxPool2d", 5, 3, 2, 1, 3),  # ⌊(5 + 2 − 3) / 2⌋ + 1
    ]
    with no_grad():
        for kind, H, k, s, p, expected in cases:
            layer = (nn.Conv2d(1, 1, k, stride=s, padding=p) if kind == "Conv2d" else
                     nn.MaxPool2d(k, stride=s, padding=p))
            out = layer(groundup.zeros(1, 1, H, H))
            report.equal(f"{kind}(k={k}, s={s}, p={p}) on {H} x {H}", out.shape[2], expected)
        shapes = []
        h = groundup.zeros(64, 1, 28, 28)
        for layer in cnn():
            h = layer(h)
            shapes.append(" x ".join(map(str, h.shape[1:])))
    report.equal("the default cnn's shapes, layer by layer", shapes,
                 ["16 x 28 x 28", "16 x 28 x 28", "16 x 14 x 14", "32 x 14 x 14", "32 x 14 x 14",
                  "32 x 7 x 7", "1568", "10"])


def cnn():
    """The default ``--model cnn`` network: two 3x3 conv-ReLU-pool blocks (16 and 32 channels)
    and a linear layer (the mnist-cnn recipe makes it three blocks of 32, 64 and 128 channels)."""
    from groundup import nn

    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def parameter_counts(report: Report) -> None:
    from groundup import nn
    from groundup.scratch import Conv2d

    report.section("weight sharing: parameters of the CNN and of the primer's MLP")
    model = cnn()
    per_layer = [sum(p.numel() for p in m.parameters()) for m in model if list(m.parameters())]
    # conv 1: 16 · 1 · 3 · 3 + 16 = 160;  conv 2: 32 · 16 · 3 · 3 + 32 = 4,640;
    # linear: 1,568 · 10 + 10 = 15,690
    report.equal("CNN parameters per layer", per_layer, [160, 4_640, 15_690])
    report.show("CNN parameters", sum(per_layer), "the sum of the three checked above")
    mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    report.equal("MLP 784-128-10 parameters", sum(p.numel() for p in mlp.parameters()), 101_770)
    report.note("a dense layer with conv 1's 784 inputs and 16 x 28 x 28 = 12,544 outputs would "
                "need 784 x 12,544 + 12,544 = 9,847,040 parameters; conv 1 reuses 16 kernels of "
                "9 weights at every position")

    # A convolution is a dense layer: its matrix's column u is the output for the one-hot image
    # e_u. On a 6 x 6 image a 3 x 3 kernel gives a (16, 36) matrix built from 9 numbers.
    layer = Conv2d(1, 1, 3, bias=False, seed=1, dtype=np.float64)
    one_hots = np.eye(36).reshape(36, 1, 6, 6)
    M = layer.forward(one_hots).reshape(36, 16).T  # (16 outputs, 36 inputs)
    x = np.random.default_rng(2).standard_normal((1, 1, 6, 6))
    report.close("dense matrix · image = convolution", M @ x.reshape(36),
                 layer.forward(x).reshape(16), atol=1e-12)
    report.equal("nonzero weights in each row of the (16, 36) matrix",
                 sorted(set(np.count_nonzero(M, axis=1).tolist())), [9])
    report.equal("distinct values among them = the kernel's 9 weights",
                 sorted(set(M[M != 0].tolist())), sorted(layer.params["weight"].ravel().tolist()))


def receptive_field(report: Report) -> None:
    import groundup
    from groundup import nn

    report.section("receptive field: how many input pixels one unit can see")
    report.note("per layer: r <- r + (k - 1) j and j <- j s, from r = j = 1 (j: the input "
                "pixels between neighbouring units)")
    # conv 3: r = 1 + 2 = 3; pool 2: r = 3 + 1 = 4, j = 2; conv 3: r = 4 + 2 · 2 = 8;
    # pool 2: r = 8 + 1 · 2 = 10, j = 4
    layers = [(3, 1), (2, 2), (3, 1), (2, 2)]  # (k, s) of conv, pool, conv, pool
    by_formula = []
    r, j = 1, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
        by_formula.append(r)
    # Measured: all-ones kernels and average pooling keep every path positive, so the input
    # gradient of one central unit is nonzero exactly on the pixels it can see.
    stack = [nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.AvgPool2d(2),
             nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.AvgPool2d(2)]
    for m in stack:
        for p in m.parameters():
            p.data[...] = 1.0
    measured = []
    for depth in range(1, len(stack) + 1):
        x = groundup.zeros(1, 1, 28, 28, requires_grad=True)
        out = nn.Sequential(*stack[:depth])(x)
        centre = out.shape[2] // 2
        out[0, 0, centre, centre].backward()
        rows = np.flatnonzero(np.abs(x.grad[0, 0]).sum(axis=1))
        measured.append(int(rows[-1] - rows[0] + 1))
    report.equal("receptive field after conv, pool, conv, pool (measured)", measured,
                 [3, 4, 8, 10])
    report.show("the same by the formula", by_formula, "arithmetic on the layers' k and s")
    report.note("each of the CNN's 32 x 7 x 7 final features sees a 10 x 10 patch of the digit; "
                "with max pooling a given image sends the gradient through one pixel per window")


def digit_edges(report: Report, out_dir: Path | None) -> None:
    from groundup.lessons import data_available

    report.section("edge maps of a digit")
    if data_available("mnist"):
        from groundup import data

        digit, source = data.load("mnist").X_test[0] / 255.0, "MNIST test image 0"
    else:
        from groundup import data

        digit, source = data.load("digits").X_train[0] / 16.0, "8 x 8 digits image 0"
    vertical = _scratch_filter(digit, VERTICAL, padding=1)
    horizontal = _scratch_filter(digit, HORIZONTAL, padding=1)
    report.equal(f"{source}: maps keep the image size (padding 1)", vertical.shape, digit.shape)
    # three +1 weights on pixels in [0, 1]: no response can pass 3
    report.between("strongest edge response", float(np.abs([vertical, horizontal]).max()),
                   0.0, 3.0)
    _draw_digit_edges(out_dir, digit, vertical, horizontal, source)


def _draw_edge_filter(out_dir: Path | None, feature_map: np.ndarray) -> None:
    if out_dir is None:
        return
    from groundup.plot._figure import new_figure

    fig, axes = new_figure(1, 3, size=(10, 3.6), squeeze=True)
    panels = [(EDGE_IMAGE, "image (6 x 6)", "gray"), (VERTICAL, "kernel: vertical edge", "bwr"),
              (feature_map, "feature map (4 x 4)", "bwr")]
    for ax, (values, title, cmap) in zip(axes, panels, strict=True):
        limit = max(1.0, float(np.abs(values).max()))
        ax.imshow(values, cmap=cmap, vmin=-limit if cmap == "bwr" else 0, vmax=limit)
        for (i, j), v in np.ndenumerate(values):
            dark = cmap == "gray" and v < 0.5  # white digits on the black half
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    save(fig, out_dir, "edge_filter.png")


def _draw_digit_edges(out_dir, digit, vertical, horizontal, source) -> None:
    if out_dir is None:
        return
    from groundup.plot._figure import new_figure

    fig, axes = new_figure(1, 3, size=(10, 3.6), squeeze=True)
    limit = float(max(np.abs(vertical).max(), np.abs(horizontal).max()))
    panels = [(digit, source, "gray", 0.0, 1.0),
              (vertical, "vertical-edge kernel", "bwr", -limit, limit),
              (horizontal, "horizontal-edge kernel", "bwr", -limit, limit)]
    for ax, (values, title, cmap, low, high) in zip(axes, panels, strict=True):
        ax.imshow(values, cmap=cmap, vmin=low, vmax=high)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    save(fig, out_dir, "digit_edges.png")


def run(out_dir: Path | None = None, verbose: bool = True, quick: bool = False) -> dict:
    """Run the lesson (a second or two); ``quick`` is ignored."""
    report = Report("convolutions", verbose)
    cross_correlation(report, out_dir)
    output_sizes(report)
    parameter_counts(report)
    receptive_field(report)
    digit_edges(report, out_dir)
    return report.values
