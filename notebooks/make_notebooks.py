"""Write the notebooks (one per primer text, then one per lesson beyond it), without outputs.

    python notebooks/make_notebooks.py

Each notebook walks through one primer text's (or one later topic's) lessons: a short
explanation, then a cell that calls groundup and prints (and checks) the numbers, then the
figure. The lessons' own functions do the work, so a notebook and ``groundup lesson run`` can
never disagree. The test suite (tests/test_notebooks.py) executes every notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import tempfile
from pathlib import Path

from IPython.display import Image, display

from groundup.lessons import Report

FIGURES = Path(tempfile.mkdtemp(prefix="groundup-figures-"))  # PNGs land here, then show inline


def show(name):
    display(Image(filename=str(FIGURES / name)))
"""


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str):
    return new_code_cell(text.strip())


def one_neuron() -> list:
    return [
        md("""
# One neuron, trained by hand: the cat classifier

*Follows the primer text "From one neuron to a billion parameters".*

A logistic-regression model is a single unit: a weighted sum ``z = wᵀx + b``, a squashing
``a = σ(z)``, a loss, and a gradient step. Here we first watch derivatives flow backwards
through a tiny computation graph, then train the whole model on cat / non-cat photos.
Every cell prints its numbers *and checks them*: a wrong value raises an error.
"""),
        code(SETUP),
        md("""
## Derivatives on a graph: J = 3(a + bc)

Split J into steps: ``u = bc``, ``v = a + u``, ``J = 3v``. The forward pass computes left to
right (a = 5, b = 3, c = 2 gives u = 6, v = 11, J = 33). The backward pass multiplies local
derivatives right to left: ``dJ/dv = 3``, so ``dJ/da = 3``, ``dJ/db = 3c = 6``,
``dJ/dc = 3b = 9``. groundup's autograd records the same graph and walks it backwards.
"""),
        code("""
from groundup.lessons import chain_rule

report = Report("J = 3(a + bc)")
chain_rule.computation_graph(report)
"""),
        md("""
## Images as columns

A 64 × 64 colour picture is 64 · 64 · 3 = 12,288 numbers. Unrolled into one column each, the
209 training pictures make X of shape (12288, 209). Training starts from w = 0 and b = 0, so
every first prediction is σ(0) = 0.5 and the first cost is ln 2 ≈ 0.693. After 2,000 steps of
gradient descent (α = 0.005) the model fits the training set almost perfectly (99.04%) but gets
only 70% of the test pictures right: 12,289 parameters for 209 examples is room to memorise.

The cat files are not downloadable; the cell below runs only when they are in
``$GROUNDUP_DATA_DIR``.
"""),
        code("""
from groundup.lessons import cat, data_available

if data_available("cat"):
    values = cat.run(FIGURES)
    for name in ("cat_cost.png", "cat_misclassified.png", "cat_weights.png"):
        show(name)
else:
    print("cat data not found: put the two catvnoncat .h5 files in $GROUNDUP_DATA_DIR")
"""),
        md("""
## Why vectorise

The same gradient written as two nested Python loops (over examples, then over the 12,288
features) and as two matrix products gives identical numbers; the matrix version is hundreds
of times faster because one call runs the whole sum in compiled, SIMD code.
"""),
        code("""
from groundup.lessons import logistic_regression

report = Report("vectorisation")
logistic_regression.vectorisation(report, quick=True)
"""),
    ]


def first_principles() -> list:
    return [
        md("""
# Deep learning from first principles

*Follows the primer text "Deep Learning from First Principles".*

Vectors and dot products, matrix products and broadcasting, the neuron and why it needs a
non-linearity, softmax and cross-entropy, and finally the MNIST training loop. Each cell
prints the numbers the text states and checks them.
"""),
        code(SETUP),
        md("""
## Vectors, dot products and cosine similarity

``[1, 2, 3] · [4, 5, 6] = 4 + 10 + 18 = 32``. Dividing by both lengths leaves only the angle:
``cos θ = 32 / (√14 · √77) ≈ 0.9746``, two vectors pointing almost the same way.
"""),
        code("""
import numpy as np

from groundup.lessons import vectors

a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
print("a · b =", a @ b)

report = Report("vectors")
vectors.dot_products(report)
"""),
        md("""
## Room in high dimensions

Two random directions in 2-d can point anywhere; in 768 dimensions they are almost always
close to perpendicular: the cosine has mean 0 and spread about 1/√768 ≈ 0.036.
"""),
        code("""
vectors.high_dimensions(report, FIGURES)
show("random_cosines.png")
"""),
        md("""
## Matrix products and broadcasting

``(m, n) @ (n, p) -> (m, p)``: every output entry is one dot product. A batch of 64 flattened
images through a 784 → 128 layer is one product of shape (64, 784) @ (784, 128); a bias of shape
(128,) is added to every row.
"""),
        code("vectors.matrix_products(report)"),
        md("""
## The neuron, layers, and depth

With the primer's hand-set weights, x = [1.0, 0.5] becomes [0.45, 0.50, 0.10] after the first
layer and [0.265, 0.425] after the second. A dense layer has inputs × outputs + outputs
parameters: 62 for [3, 5, 5, 2], 101,770 for 784 → 128 → 10.
"""),
        code("""
from groundup.lessons import neurons

report = Report("neurons")
neurons.forward_pass(report)
neurons.count_parameters(report)
"""),
        md("""
## XOR needs a hidden layer

No straight line puts (0, 1) and (1, 0) on one side and (0, 0), (1, 1) on the other, so one
neuron tops out at 3 of 4. Two hidden units with a non-linearity bend the boundary.
"""),
        code("""
neurons.xor(report, FIGURES)
show("xor_one_neuron.png")
show("xor_two_hidden.png")
"""),
        md("""
## Activations, and what happens without them

ReLU, Leaky ReLU, GELU, sigmoid and tanh with their derivatives (sigmoid's derivative is at
most 1/4 and vanishes for large |z|). Without any activation, two linear layers are exactly
one: ``W2(W1x + b1) + b2 = (W2W1)x + (W2b1 + b2)``.
"""),
        code("""
neurons.activations(report, FIGURES)
show("activations.png")
neurons.linear_collapse(report)
"""),
        md("""
## Softmax, temperature and cross-entropy

Dividing the logits by a temperature T sharpens (T → 0) or flattens (T → ∞) the distribution.
``exp(1000)`` overflows, so softmax subtracts the largest logit first. The loss ``-log p`` of
the correct class is 0.01 at p = 0.99, 0.69 at 0.5 and 4.6 at 0.01; an untrained ten-class
network starts near ``ln 10 ≈ 2.30``.
"""),
        code("""
from groundup.lessons import softmax

values = softmax.run(FIGURES)
show("softmax_temperature.png")
show("cross_entropy.png")
"""),
        md("""
## Training on MNIST

The training loop prints one line per epoch. From the same initial weights and batch order,
Adam pulls ahead of plain SGD. This notebook runs the quick version (12,000 images, three
epochs); ``groundup lesson run mnist`` runs the full five epochs on all 60,000.
"""),
        code("""
from groundup.lessons import data_available, mnist

if data_available("mnist"):
    values = mnist.run(FIGURES, quick=True)
    show("mnist_sgd_vs_adam.png")
else:
    print("MNIST not found locally; `groundup datasets` shows where it is looked for")
"""),
    ]


def classification() -> list:
    return [
        md("""
# Classification: exercises 1–7

*Follows the primer text "Deep Learning 2 — Classification".*

The logistic neuron's gradient by hand, the neuron from scratch and in PyTorch, a deeper
network, three penguin species, and two classic mistakes: a sigmoid in front of
``BCELoss`` at extreme weights, and a softmax applied twice.
"""),
        code(SETUP),
        md("""
## Exercise 1 — the gradient, factor by factor

``dL/du · du/dz · dz/dw = (-y/u + (1-y)/(1-u)) · u(1-u) · x = (u - y) x``.
"""),
        code("""
from groundup.lessons.classification import binary, by_hand, losses, multiclass

report = Report("classification")
by_hand.exercise_1(report)
"""),
        md("""
## Exercises 2–4 — breast cancer: from scratch, in PyTorch, and deeper

Stratified 80/20 split, standardised on the training part. The scratch neuron and PyTorch's
``nn.Linear + BCEWithLogitsLoss`` start from the same zeros and follow the same loss curve; a
64–32 network does not beat the single neuron on this data.
"""),
        code("""
cancer = binary.cancer_data()
neuron = binary.exercise_2(report, cancer, quick=True)
binary.exercise_3(report, cancer, neuron, FIGURES, quick=True)
binary.exercise_4(report, cancer, neuron, FIGURES, quick=True)
if (FIGURES / "ex3_scratch_vs_torch.png").exists():  # drawn only when PyTorch is installed
    show("ex3_scratch_vs_torch.png")
show("ex4_neuron_vs_mlp.png")
"""),
        md("""
## Exercise 5 — three penguin species

Integer class targets (not one-hot), logits out of the last layer, cross-entropy, argmax.
"""),
        code("""
penguins = multiclass.penguins_data()
multiclass.exercise_5(report, penguins, FIGURES, quick=True)
show("ex5_penguins_confusion.png")
"""),
        md("""
## Exercise 6 — BCELoss after a Sigmoid, at extreme weights

Same numbers at ordinary weights. With the weights scaled by 1,000 the sigmoid saturates, its
derivative σ(1 − σ) is 0 in float32, and the gradient through ``BCELoss`` vanishes, while
``BCEWithLogitsLoss`` still sends σ(z) − y = ±1 back.
"""),
        code("""
losses.exercise_6(report, cancer, FIGURES, quick=True)
show("ex6_bce_vs_logits.png")
"""),
        md("""
## Exercise 7 — softmax applied twice

``cross_entropy`` applies its own softmax. Feeding it probabilities squashes the logits into
[0, 1], and the loss cannot fall below ``-log(e / (e + 2)) ≈ 0.551`` for three classes.
"""),
        code("""
multiclass.exercise_7(report, penguins, FIGURES, quick=True)
show("ex7_softmax_twice.png")
"""),
    ]


def calculus_week() -> list:
    return [
        md("""
# The chain rule and logistic regression

*Follows the primer text "Calculus, the chain rule, and logistic regression".*
"""),
        code(SETUP),
        md("""
## The chain rule, checked numerically

Each derivative is compared with a central difference ``(f(x+h) − f(x−h)) / 2h``. Note
``d/dx log(1 + eˣ) = eˣ / (1 + eˣ) = σ(x)`` and ``σ' = σ(1 − σ)``.
"""),
        code("""
from groundup.lessons import chain_rule

report = Report("chain rule")
chain_rule.single_variable(report)
"""),
        md("""
## A gradient field

For ``f(x, y) = x² + 3xy + y²`` the gradient is ``[2x + 3y, 3x + 2y]``; at (1, 2) it is [8, 7].
The arrows point uphill, across the contour lines.
"""),
        code("""
chain_rule.gradient_field(report, FIGURES)
show("gradient_field.png")
"""),
        md("""
## Backpropagation through a 2-layer network

Written out by hand — ``dz2 = ŷ − y``, ``da1 = W2ᵀ dz2``, ``dz1 = da1 ⊙ ReLU'(z1)``,
``dW1 = dz1 xᵀ`` — and compared with groundup's autograd.
"""),
        code("chain_rule.mlp_backward(report)"),
        md("""
## Logistic regression on two blobs

``dL/dz = σ(z) − y``; the log loss is convex along any line in weight space while squared
error through a sigmoid is not; gradient descent from zeros separates the blobs, and the
boundary settles over steps 0, 100, 500 and 2,000.
"""),
        code("""
from groundup.data import load
from groundup.lessons import logistic_regression as lr

blobs = load("blobs")
report = Report("logistic regression")
lr.bce_gradient(report)
lr.convexity(report, blobs.X_train, blobs.y_train, FIGURES)
show("convexity.png")
model = lr.blobs_training(report, blobs, FIGURES)
show("blobs_snapshots.png")
"""),
        md("""
## Metrics from scratch

TP, TN, FP, FN, precision, recall and F1 — and why 99% accuracy means nothing when 99% of
transactions are clean.
"""),
        code("""
lr.confusion_metrics(report, model, blobs, FIGURES)
show("blobs_confusion.png")
"""),
    ]


def convolutions() -> list:
    return [
        md("""
# Convolutions

*Beyond the primer, which ends: "replace the dense layers with convolutions and you have a
vision model".*

A convolutional layer slides one small kernel over the whole image. Each output pixel is a
weighted sum of the pixels under the kernel, so the same few weights are used at every
position: an edge is detected the same way wherever it is, with far fewer parameters than a
dense layer. Every cell prints its numbers *and checks them*.
"""),
        code(SETUP),
        md("""
## Cross-correlation by hand

``Y[i, j] = Σ_{p,q} K[p, q] · X[i + p, j + q]``. On a 6 × 6 image with dark columns 0–2 and
bright columns 3–5, the kernel with rows [−1, 0, 1] gives ``3 (X[., j + 2] − X[., j])``:
[0, 3, 3, 0] on every row, large only where a window straddles the edge. The loops, the
scratch layer (im2col: every window unrolled into a column, then one matrix product) and
``nn.Conv2d`` agree. Deep learning's "convolution" does not flip the kernel; the textbook
convolution does, and here that flips the sign. Zero padding keeps the size but invents an edge
where the bright half meets the border.
"""),
        code("""
from groundup.lessons import convolutions

report = Report("convolutions")
convolutions.cross_correlation(report, FIGURES)
show("edge_filter.png")
"""),
        md("""
## Output sizes

A k-wide window with stride s on H pixels padded by p fits ``⌊(H + 2p − k) / s⌋ + 1`` times.
Padding 1 keeps a 3 × 3 convolution's size; 2 × 2 pooling with stride 2 halves it, so the
default `--model cnn` goes 28 → 28 → 14 → 14 → 7, and 32 maps of 7 × 7 flatten into 1,568
features.
"""),
        code("convolutions.output_sizes(report)"),
        md("""
## Weight sharing

The CNN has 160 + 4,640 + 15,690 = 20,490 parameters, a fifth of the primer's 784 → 128 → 10
MLP (101,770), and most of them sit in the final linear layer. Written as a dense layer, a
3 × 3 convolution on a 6 × 6 image is a 16 × 36 matrix in which every row holds the same 9
numbers at shifted places.
"""),
        code("convolutions.parameter_counts(report)"),
        md("""
## Receptive field

Each layer widens what one unit sees by ``(k − 1) · j`` input pixels, where j is the spacing
of its inputs in the image (doubled by every stride-2 pooling): 3, 4, 8, then 10. Backpropagating
from one unit of a network of all-ones kernels and average pooling lights up exactly that square.
"""),
        code("convolutions.receptive_field(report)"),
        md("""
## Edge maps of a digit

The two kernels on a real digit: the vertical-edge kernel answers on the left and right sides
of a stroke with opposite signs, the horizontal-edge kernel on its top and bottom.
"""),
        code("""
convolutions.digit_edges(report, FIGURES)
show("digit_edges.png")
"""),
    ]


def attention() -> list:
    return [
        md("""
# Attention and a character-level transformer

*Beyond the primer, which ends where this begins: "the dot product is the foundation of
attention", "next-token prediction is multiclass classification", and "transformer training is
just the same rule chained deeper".*

Every position of a text asks a question (its query), offers an answer (its key) and carries a
message (its value). A position takes the average of the messages of the positions before it,
weighted by how well their keys answer its query. Every cell prints its numbers *and checks
them*.
"""),
        code(SETUP),
        md("""
## Dot products as similarity

A query pointing the same way as a key scores high, a perpendicular key scores 0, an opposite
one negative: the primer's ``[1, 2, 3] · [4, 5, 6] = 32`` is one such score.
"""),
        code("""
from groundup.lessons import attention

report = Report("attention")
attention.similarity(report)
"""),
        md("""
## The 1/√d scale is a temperature

``q · k = Σ_i q_i k_i`` sums d terms; with unit-variance entries its variance is d. Scores of
size √d = 8 make the softmax nearly one-hot, where its gradient ``p (1 − p)`` vanishes.
Dividing by √d, the softmax at temperature √d, keeps the weights spread for any head size.
"""),
        code("""
attention.temperature(report, FIGURES)
show("temperature.png")
"""),
        md("""
## The causal mask and one head by hand

Scores of later positions are set to −∞ before the softmax (``e^−∞ = 0``), so position i
averages over positions 0..i only, and every position can learn its next token in the same
pass. Four tokens with 2-d embeddings serve as their own queries, keys and values: the last
one, ``[2, 0]``, scores the four keys ``[2, 0, 2, 4] / √2`` and weighs them
``[0.157, 0.038, 0.157, 0.647]``. Loops, the scratch function, ``F.scaled_dot_product_attention``
and the explicit ``masked_fill`` + ``softmax`` agree.
"""),
        code("""
attention.causal_mask(report)
attention.one_head_by_hand(report, FIGURES)
show("attention_weights.png")
"""),
        md("""
## An untrained GPT guesses uniformly

nanoGPT's CPU "baby GPT": 4 blocks of 4 heads, width 128, 64 characters of context, the output
head tied to the token table (804,096 parameters). Its initial weights are small, so its logits
are small and its predictions nearly uniform over the 65 characters: cross-entropy ≈ ln 65 =
4.17, the same "untrained loss = ln(classes)" as the primer's ln 10 for MNIST.
"""),
        code("state = attention.untrained_gpt(report)"),
        md("""
## A hundred iterations

nanoGPT's recipe: AdamW (weight decay on matrices only), linear warm-up then cosine decay,
gradients clipped to norm 1. A hundred iterations take the loss below 3 (about 15 s on one core);
then the model writes, sampled at temperature 0.8 from its 20 likeliest characters. It runs
when Tiny Shakespeare is in ``$GROUNDUP_DATA_DIR`` (or downloadable).
"""),
        code("""
attention.training(report, state, 100, FIGURES)
if state["data"] is not None:
    show("training_loss.png")
"""),
    ]


NOTEBOOKS = {
    "01_one_neuron_cat.ipynb": one_neuron,
    "02_first_principles.ipynb": first_principles,
    "03_classification.ipynb": classification,
    "04_chain_rule_logistic_regression.ipynb": calculus_week,
    "05_convolutions.ipynb": convolutions,
    "06_attention.ipynb": attention,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name]())
    for i, cell in enumerate(nb.cells):
        cell.id = f"{Path(name).stem[:2]}-{i:02d}"  # stable ids: regenerating changes nothing
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    from groundup.io import atomic_write

    for name in NOTEBOOKS:
        nb = build(name)
        nbformat.validate(nb)
        atomic_write(HERE / name, nbformat.writes(nb) + "\n")
        print(f"wrote notebooks/{name} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
