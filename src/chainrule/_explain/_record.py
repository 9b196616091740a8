"""`explain`: run backward once with the engine's ``record`` callback and keep what it saw.

Nothing here computes a gradient. The upstream and downstream gradients are the ones the
engine passes to ``record``; the local gradients come from the node itself, read inside
the callback before the node is released: ``node.local()`` for elementwise nodes, and the
node's own ``backward`` applied to an upstream gradient of 1 for other nodes with a
one-element output. The only arithmetic is the check downstream = local × upstream.
"""

from __future__ import annotations

import numpy as np

from .. import _engine
from .._tensor import Tensor
from ..ops._common import unbroadcast
from ..ops._elementwise import Elementwise, selected
from ._labels import check_lang
from ._naming import forward_order, names
from ._rules import input_rules, shown
from ._trace import Edge, Step, Trace, Value
from ._values import rounding, shape


def explain(
    output: Tensor,
    lang: str = "en",
    retain_graph: bool = False,
    grad=None,
    decimals: int | None = None,
    model=None,
) -> Trace:
    """Run backward from ``output`` and record every node: values and gradients.

    This *is* a backward pass: leaf gradients are added to ``.grad`` exactly as
    ``output.backward()`` adds them (clear them first if you want only this pass), hooks
    run as they do in backward (an optimizer stepped in a post-accumulate-grad hook
    updates the leaf; the trace shows its forward value from before), and the graph is
    released afterwards unless ``retain_graph=True``.

    Unnamed tensors get names in forward order (leaves first): leaves that require grad
    w1, w2, …; other leaves x1, x2, …, except unnamed one-element constants, which are
    named by their value (0.5); intermediates after their op (mul1, sigmoid1, …); the output
    L. Generated names skip the names you gave. With ``model=``, a parameter without a
    name of its own is named as in ``model.named_parameters()`` (``0.weight``, ``0.bias``).

    Args:
        output: the tensor to differentiate, usually a scalar loss.
        lang: "en" (default) or "ko" for the tutorials' Korean terms.
        retain_graph: keep the graph so backward (or explain) can run again.
        grad: the upstream gradient of ``output`` when it is not a single number.
        decimals: decimals for every number shown (default: 8 for float64, else 6).
        model: an ``nn.Module`` whose parameters' names to use (optional).

    Returns:
        A `Trace` (see ``trace.table()``, ``transcript``, ``to_dot``, ``render``).
    """
    check_lang(lang)
    if decimals is not None and (
        not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 17
    ):
        raise ValueError(f"explain: decimals must be an integer from 0 to 17, got {decimals!r}")
    if not isinstance(output, Tensor):
        raise TypeError(f"explain: expected a Tensor, got {type(output).__name__}")
    if grad is None and output.size != 1:
        raise RuntimeError(
            f"explain: the output has shape {shape(output.shape)}, not a single value; pass "
            "its upstream gradient as grad=, or reduce it to a scalar first (e.g. .sum())"
        )
    order = forward_order(output)
    labels = names(order, output, _model_names(model))
    recorder = _Recorder(order, lang)
    forward = [np.array(t.data) for t in order]  # copies: a hook may change a leaf in place
    _engine.backward(output, grad, retain_graph=retain_graph, record=recorder)
    values = _values(order, labels, output, recorder, grad, forward)
    return Trace(values, recorder.steps, len(order) - 1, lang, decimals, order)


def _model_names(model) -> dict[int, str]:
    """``id(parameter)`` → its dotted name in ``model`` (empty without a model)."""
    if model is None:
        return {}
    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(f"explain: model must be an nn.Module, got {type(model).__name__}")
    return {id(p): name for name, p in model.named_parameters()}


class _Recorder:
    """The ``record`` callback: one `Step` per node, in the engine's backward order."""

    def __init__(self, order: list[Tensor], lang: str) -> None:
        self.index = {id(t): i for i, t in enumerate(order)}
        self.lang = lang
        self.steps: list[Step] = []
        self.hooks: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def hooked(self, t: Tensor, before, after) -> None:
        """A tensor's hooks ran: its gradient before them (the sum of its branches) and
        after (what flows on, and what a leaf's .grad receives)."""
        before, after = np.array(before, dtype=t.dtype), np.array(after, dtype=t.dtype)
        if not np.array_equal(before, after, equal_nan=True):  # a hook that only looked: none
            self.hooks[self.index[id(t)]] = (before, after)

    def __call__(self, node, out: Tensor, grad_out, grads_in) -> None:
        upstream = np.array(grad_out, dtype=out.dtype)  # a copy: later adds cannot reach it
        elementwise_locals = _elementwise_locals(node)
        elementwise = elementwise_locals is not None
        locals_ = _locals(node, out, elementwise_locals)
        n = len(node.inputs)
        rules = (None,) * n if elementwise else _shape_rules(node, out, self.lang)
        # local × upstream as the node forms it: a selection (relu) gives exactly 0 where
        # local is 0, an op with unbounded local gradients (log) exactly 0 where upstream is
        times = node.product if isinstance(node, Elementwise) else Elementwise.product
        routes = not isinstance(node, Elementwise)  # its product is not known: see _check
        edges = tuple(
            _edge(self.index[id(t)], i, t, locals_[i], upstream, gi, rules[i], times, routes)
            for i, (t, gi, need) in enumerate(zip(node.inputs, grads_in, node.needs_grad))
            if need
        )
        operands = tuple(self.index[id(t)] for t in node.inputs)
        number, output = len(self.steps) + 1, self.index[id(out)]
        rule = shown(node, self.lang)
        step = Step(number, node.name, rule, elementwise, output, operands, upstream, edges)
        self.steps.append(step)


def _elementwise_locals(node) -> tuple | None:
    """``node.local()`` of an elementwise node (None for other nodes, or if not written)."""
    if not isinstance(node, Elementwise):
        return None
    try:
        return tuple(node.local())
    except NotImplementedError:  # a user's Elementwise that only wrote backward
        return None


def _locals(node, out: Tensor, elementwise_locals) -> tuple:
    """∂out/∂input for each input, or None where the node only has a rule with shapes."""
    n = len(node.inputs)
    if elementwise_locals is not None:
        raw = elementwise_locals
    elif out.size == 1:  # a Jacobian row: the node's own backward with upstream 1
        raw = _backward_of_one(node, out)
    else:
        raw = None
    if raw is None:
        return (None,) * n
    return tuple(
        None if loc is None or not need else _as_float(loc, t.dtype)
        for loc, t, need in zip(raw, node.inputs, node.needs_grad)
    )


def _backward_of_one(node, out: Tensor) -> tuple | None:
    """The node's backward applied to an upstream gradient of 1; None when a user's
    backward cannot run a second time (it let go of its saved values), as the engine
    needs it to run only once: the node then shows its rule, as nodes of larger outputs."""
    try:
        raw = node.backward(np.ones(out.shape, dtype=out.dtype))
    except Exception:
        if node._trusted:
            raise
        return None
    return raw if isinstance(raw, tuple) else (raw,)


def _as_float(a, dtype) -> np.ndarray:
    """A copy of a local gradient as an array. A Python number (add's 1, neg's −1) and a
    mask take the input's ``dtype``: NumPy keeps an array's dtype when it multiplies it by
    a Python number, so the engine's product runs in that dtype, not in float64."""
    if type(a) in (bool, int, float):  # not NumPy's scalars, which keep their dtype
        return np.array(a, dtype=dtype)
    a = np.array(a.data if isinstance(a, Tensor) else a)  # a copy
    return a.astype(dtype) if a.dtype == bool else a


def _edge(value: int, slot: int, t: Tensor, local, upstream, gi, rule, times, routes) -> Edge:
    down = None if gi is None else np.array(gi, dtype=t.dtype)  # as the engine converts it
    check = None
    if local is not None and down is not None:
        check = _check(local, upstream, down, t.shape, times)
        if check == "mismatch" and routes:
            check = _check(local, upstream, down, t.shape, selected)
    return Edge(value, slot, local, rule, down, check, times)


def _check(local, upstream, down, shape_, times) -> str:
    """Does the downstream gradient equal unbroadcast(local × upstream), as shown? The
    product is the node's own (``times``: see `Elementwise.product`). A node that is not
    elementwise (its local gradient is its backward applied to 1) may multiply, 0·∞ = NaN
    (max), or route the gradient, exactly 0 where local is 0 (indexing): both count."""
    product = times(upstream, local)
    expected = np.asarray(unbroadcast(np.asarray(product), shape_), dtype=down.dtype)
    if expected.shape == down.shape and np.array_equal(expected, down, equal_nan=True):
        return "exact"
    tol = rounding(down.dtype)
    scale = float(np.max(np.abs(expected), initial=0.0))
    if expected.shape == down.shape and np.allclose(expected, down, rtol=tol, atol=tol * scale):
        return "close"
    return "mismatch"


def _shape_rules(node, out: Tensor, lang: str) -> tuple[str, ...]:
    """For each input, its part of the rule with the shapes it maps."""
    parts = input_rules(node, lang)
    return tuple(_shape_rule(node, i, parts, out.shape) for i in range(len(node.inputs)))


def _shape_rule(node, i: int, parts: tuple[str, ...], out: tuple[int, ...]) -> str:
    """The rule for input ``i`` with the shapes it maps: upstream shape → input shape."""
    shapes = [t.shape for t in node.inputs]
    if node.name in ("MatMul", "Affine") and i < 2 and len(shapes[0]) == len(shapes[1]) == 2:
        x, w = shapes[0], shapes[1]
        product = f"{shape(out)}·{shape(w[::-1])}" if i == 0 else f"{shape(x[::-1])}·{shape(out)}"
        return f"{parts[i]}: {product} → {shape(shapes[i])}"
    return f"{parts[i].rstrip('.')}: {shape(out)} → {shape(shapes[i])}"


def _values(order, labels, root, recorder: _Recorder, grad, forward) -> list[Value]:
    """The `Value` of every tensor (``forward``: its value before backward ran), with its
    total gradient as the engine formed it."""
    steps = recorder.steps
    producer = {s.output: s.number for s in steps}
    consumers: dict[int, list[tuple[int, int]]] = {}
    for s in steps:
        for e in s.inputs:
            if e.downstream is not None:  # a backward that returned None sent nothing
                consumers.setdefault(e.value, []).append((s.number, e.slot))
    out = []
    for i, t in enumerate(order):
        total = _total(i, t, steps, producer, consumers, root, grad)
        before = None
        if i in recorder.hooks:
            before, total = recorder.hooks[i]
        name, kind, named = labels[i]
        used = tuple(consumers.get(i, ()))
        out.append(Value(i, name, kind, named, forward[i], total, producer.get(i), used, before))
    return out


def _total(i, t, steps, producer, consumers, root, grad):
    """∂output/∂t: a node output's upstream gradient, or the sum a leaf received."""
    if i in producer:
        return steps[producer[i] - 1].upstream
    if t is root:
        return np.ones(t.shape, t.dtype) if grad is None else np.array(grad, dtype=t.dtype)
    if not t.requires_grad:
        return None
    total = None
    for number, slot in consumers.get(i, ()):
        gi = steps[number - 1].edge(slot).downstream
        if gi is not None:  # added in the engine's order, so the sum is the engine's
            total = gi.copy() if total is None else total + gi
    return total if total is not None else np.zeros(t.shape, t.dtype)
