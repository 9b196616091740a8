"""The tutorials' worked examples, each built as a graph ready for ``explain``.

Each function returns the graph's output tensor, in float64 with every tensor the tutorial
talks about named, so ``explain(seed_network()).transcript(of="W5")`` reads like the
tutorial's own hand calculation.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._tensor import Tensor, tensor
from ..nn._softmax_with_loss import SoftmaxWithLoss

#: the seed network's weights: W1..W4 input→hidden, W5..W8 hidden→output
SEED_WEIGHTS = {
    "W1": 0.3,  # x1 → h1
    "W2": 0.25,  # x2 → h1
    "W3": 0.4,  # x1 → h2
    "W4": 0.35,  # x2 → h2
    "W5": 0.45,  # h1 → o1
    "W6": 0.4,  # h2 → o1
    "W7": 0.7,  # h1 → o2
    "W8": 0.6,  # h2 → o2
}
SEED_INPUTS = (0.1, 0.2)
SEED_TARGETS = (0.4, 0.6)
SEED_LR = 0.5


def _f64(value, name: str, requires_grad: bool = False) -> Tensor:
    return tensor(value, dtype="float64", requires_grad=requires_grad, name=name)


def _named(t: Tensor, name: str) -> Tensor:
    t.name = name
    return t


def seed_network(weights: Mapping[str, float] | None = None) -> Tensor:
    """E of the tutorials' 2-2-2 sigmoid network (no biases), built from scalar tensors.

    z1 = W1·x1 + W2·x2, h1 = σ(z1); z2 = W3·x1 + W4·x2, h2 = σ(z2);
    z3 = W5·h1 + W6·h2, o1 = σ(z3); z4 = W7·h1 + W8·h2, o2 = σ(z4);
    E = ½(t1 − o1)² + ½(t2 − o2)² with x = (0.1, 0.2), t = (0.4, 0.6).
    ``weights`` overrides some of `SEED_WEIGHTS` (e.g. the weights after an update).
    """
    w = {k: _f64(v, k, True) for k, v in {**SEED_WEIGHTS, **(weights or {})}.items()}
    x1, x2 = (_f64(v, f"x{i}") for i, v in enumerate(SEED_INPUTS, 1))
    t1, t2 = (_f64(v, f"t{i}") for i, v in enumerate(SEED_TARGETS, 1))
    h1 = _named(_named(w["W1"] * x1 + w["W2"] * x2, "z1").sigmoid(), "h1")
    h2 = _named(_named(w["W3"] * x1 + w["W4"] * x2, "z2").sigmoid(), "h2")
    o1 = _named(_named(w["W5"] * h1 + w["W6"] * h2, "z3").sigmoid(), "o1")
    o2 = _named(_named(w["W7"] * h1 + w["W8"] * h2, "z4").sigmoid(), "o2")
    return _named(0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2, "E")


def add_mul(x: float = -2.0, y: float = 5.0, z: float = -4.0) -> Tensor:
    """f = (x + y)·z: the add node passes its upstream gradient unchanged to x and y, the
    mul node sends each input the other input × upstream."""
    x_, y_, z_ = _f64(x, "x", True), _f64(y, "y", True), _f64(z, "z", True)
    return _named(_named(x_ + y_, "q") * z_, "f")


def apple(price: float = 100.0, count: float = 2.0, tax: float = 1.1) -> Tensor:
    """The shopping graph: price = apple × count × tax (100 × 2 × 1.1 = 220)."""
    a, n, t = _f64(price, "apple", True), _f64(count, "count", True), _f64(tax, "tax", True)
    return _named(_named(a * n, "apple_price") * t, "price")


def sigmoid_graph(x: float = 0.5) -> Tensor:
    """σ(x) twice from the same x: as its ×(−1), exp, +1 and 1/· nodes (y_graph), and as
    the single fused sigmoid node (y_node). Their local gradients are −1, exp(−x), 1 and
    −y², whose product is y(1 − y), the fused node's local gradient. Both are added into L
    so that one backward pass runs through both, each with upstream gradient 1."""
    x_ = _f64(x, "x", True)
    a = _named(x_ * -1.0, "a")  # −x
    b = _named(a.exp(), "b")  # exp(−x)
    c = _named(b + 1.0, "c")  # 1 + exp(−x)
    y_graph = _named(1.0 / c, "y_graph")
    y_node = _named(x_.sigmoid(), "y_node")
    return _named(y_graph + y_node, "L")


def softmax_with_loss(logits=(0.3, 2.9, 4.0), target=(0.0, 0.0, 1.0)) -> Tensor:
    """Softmax-with-Loss on one 3-class sample: L = −Σ t·log softmax(x), one fused node
    whose gradient is softmax(x) − t."""
    x = _f64([list(logits)], "x", True)  # (1, 3): a batch of one
    t = _f64([list(target)], "t")
    return _named(SoftmaxWithLoss()(x, t), "L")
