"""The graph's tensors in forward order, and a name for each.

Forward order is a depth-first post-order from the output, taking each node's inputs left
to right: it depends only on how the graph was built, so the names (and the DOT text) are
the same every time. Naming rules, in that order:

- a tensor's own ``name``;
- with ``explain(..., model=m)``, a parameter's name in ``m.named_parameters()``
  (``0.weight``, ``0.bias``);
- the output: ``L`` (``out1``, … if the user took ``L``);
- an intermediate: its op's name and a counter (``mul1``, ``mul2``, ``sigmoid1``);
- a leaf that requires grad: ``w1``, ``w2``, …;
- an unnamed one-element leaf without grad (a Python number such as the 2 in ``x ** 2``):
  its value, e.g. ``2`` -- a "constant";
- any other leaf: ``x1``, ``x2``, ….

Generated names skip every name the user gave, so ``x1`` is never used twice.
"""

from __future__ import annotations

import re

from .._tensor import Tensor
from ._values import value

_RELEASED = (
    "explain: part of this graph was already released by an earlier backward(); compute "
    "the output again, or pass retain_graph=True to that backward"
)
_SHORT = {
    "MatMul": "matmul",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "SiLU": "silu",
    "GELU": "gelu",
    "NormalCDF": "normal_cdf",
    "NormalPDF": "normal_pdf",
    "SoftmaxWithLoss": "softmax_loss",
    "SoftmaxWithLossSum": "softmax_loss_sum",
    "SoftmaxWithLossPerSample": "softmax_loss_per_sample",
    "WeightedSoftmaxWithLoss": "weighted_softmax_loss",
    "WeightedSoftmaxWithLossSum": "weighted_softmax_loss_sum",
    "WeightedSoftmaxWithLossPerSample": "weighted_softmax_loss_per_sample",
    "BCEWithLogits": "bce",
    "BCEWithLogitsSum": "bce_sum",
    "BCEWithLogitsPerElement": "bce_per_element",
}


def forward_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from, leaves first, ``root`` last."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, finished = stack.pop()
        if finished:
            order.append(t)
        elif id(t) not in visited:
            visited.add(id(t))
            stack.append((t, True))
            stack.extend((x, False) for x in reversed(_inputs(t)) if id(x) not in visited)
    return order


def _inputs(t: Tensor) -> tuple:
    node = t._node
    if node is None:
        return ()
    if node.released:
        raise RuntimeError(_RELEASED)
    return node.inputs


def op_name(op: str) -> str:
    """An op's class name in snake case: Sigmoid → sigmoid, LogSoftmax → log_softmax; a
    private class's leading underscores dropped (_Part → part), none doubled (My_Op → my_op),
    an acronym kept whole (GELU2 → gelu2, BCEWithLogits → bce_with_logits)."""
    return _SHORT.get(op) or _WORD_START.sub("_", op.lstrip("_")).lower()


#: where a word starts inside a class name: a capital after a small letter or a digit, or
#: the last capital of an acronym followed by a small letter (the W of BCEWith)
_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def names(
    order: list[Tensor], root: Tensor, given: dict[int, str] | None = None
) -> list[tuple[str, str, bool]]:
    """``(name, kind, named by the user)`` for each tensor of ``order``; ``given`` maps
    ``id(tensor)`` to a name for tensors without their own (a model's parameters)."""
    given = given or {}
    users = {t.name for t in order if t.name}  # a model's name never hides one of these
    own = {id(t): t.name or _unless_taken(given.get(id(t)), users) for t in order}
    taken = {name for name in own.values() if name}
    counters: dict[str, int] = {}

    def fresh(prefix: str) -> str:
        n = counters.get(prefix, 0) + 1
        while f"{prefix}{n}" in taken:
            n += 1
        counters[prefix] = n
        return f"{prefix}{n}"

    out = []
    for t in order:
        kind = _kind(t, root, bool(own[id(t)]))
        if own[id(t)]:
            out.append((own[id(t)], kind, True))
            continue
        out.append((_generated(t, kind, taken, fresh), kind, False))
    return out


def _unless_taken(name: str | None, users: set[str]) -> str | None:
    return None if name in users else name


def _kind(t: Tensor, root: Tensor, named: bool) -> str:
    if t is root:
        return "output"
    if t._node is not None:
        return "intermediate"
    if t.requires_grad:
        return "parameter"
    # a number in the code (the 2 in x ** 2, held 0-d): named by its value; data, even of
    # one element (a batch of one label), is an input
    return "constant" if t.ndim == 0 and not named else "input"


def _generated(t: Tensor, kind: str, taken: set, fresh) -> str:
    if kind == "output":
        return "L" if "L" not in taken else fresh("out")
    if kind == "intermediate":
        return fresh(op_name(t._node.name))
    if kind == "parameter":
        return fresh("w")
    if kind == "constant":
        return value(t.data.reshape(()), "en")
    return fresh("x")
