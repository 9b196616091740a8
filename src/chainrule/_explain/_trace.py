"""`Trace`: what one recorded backward pass computed, node by node.

A trace is plain data -- copies of the forward values, the upstream gradient of every node,
the local gradients and the downstream gradients the engine sent -- so it stays true after
the graph is released and after an optimizer changes the weights in place.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._tensor import Tensor
from ..ops._elementwise import Elementwise
from . import _dot, _format, _transcript
from ._values import decimals_for


@dataclass(frozen=True, eq=False)
class Value:
    """One tensor of the traced graph.

    Attributes:
        index: position in forward order (leaves first); also the DOT node id.
        name: the tensor's ``name``, or the generated one (see ``explain``).
        kind: "parameter" (a leaf that requires grad), "input" (another leaf), "constant"
            (an unnamed one-element leaf without grad, named by its value),
            "intermediate" or "output".
        named: whether the user gave the name.
        data: a copy of the forward value.
        grad: ∂output/∂value as the engine computed it (None where no gradient flows).
        producer: the number of the step that computed it (None for a leaf).
        consumers: ``(step, slot)`` for each node that sent it a gradient.
        before_hooks: when the tensor has gradient hooks, its gradient before they ran
            (the sum of its branches); ``grad`` is then what the hooks returned.
    """

    index: int
    name: str
    kind: str
    named: bool
    data: np.ndarray
    grad: np.ndarray | None
    producer: int | None
    consumers: tuple[tuple[int, int], ...]
    before_hooks: np.ndarray | None = None

    @property
    def is_fanout(self) -> bool:
        """True when several nodes used this value, so its gradient is a sum."""
        return len(self.consumers) > 1


@dataclass(frozen=True, eq=False)
class Edge:
    """One input of a step: its local gradient and the downstream gradient it received.

    ``local`` is the array ∂out/∂input for elementwise nodes (from ``node.local()``) and
    for nodes with a one-element output (their own backward applied to 1), else None.
    ``rule`` is the derivative with the shapes it maps (in the trace's language), for every
    node that is not elementwise. ``check`` says whether downstream = unbroadcast(local ×
    upstream) holds: "exact", "close" or "mismatch" (None without a local gradient).
    ``times(upstream, local)`` is the node's own product (see `Elementwise.product`: a
    selection gives exactly 0 where local is 0, exp or log exactly 0 where upstream is).
    """

    value: int
    slot: int
    local: np.ndarray | None
    rule: str | None
    downstream: np.ndarray | None
    check: str | None
    times: Callable = Elementwise.product


@dataclass(frozen=True, eq=False)
class Step:
    """One node of the backward pass (``number`` counts from 1 in backward order).

    ``rule`` is the op's derivative as the trace shows it: in English the op's docstring
    sentence (words and symbols), in Korean its formula with Korean words (see `_rules`).
    ``operands`` are all its inputs (value indices, in order); ``inputs`` holds an `Edge`
    for each operand that received a gradient.
    """

    number: int
    op: str
    rule: str
    elementwise: bool
    output: int
    operands: tuple[int, ...]
    upstream: np.ndarray
    inputs: tuple[Edge, ...]

    def edge(self, slot: int) -> Edge | None:
        """The `Edge` of operand ``slot``, or None when it received no gradient."""
        return next((e for e in self.inputs if e.slot == slot), None)


def _ref(t: Tensor):
    return lambda: t


class Trace:
    """The recorded backward pass returned by :func:`chainrule.explain`.

    ``str(trace)`` and ``trace.table()`` give a plain-text table, ``to_markdown()`` the
    same in Markdown, ``transcript(of=w)`` the chain rule for one leaf written out by hand,
    ``to_dot()`` the annotated graph as DOT text and ``render(path)`` an SVG, PNG or PDF of it.
    ``trace["W5"]`` (or ``trace[tensor]``) is the recorded `Value` of one tensor.
    """

    def __init__(self, values, steps, root: int, lang: str, decimals, tensors) -> None:
        self.values: tuple[Value, ...] = tuple(values)
        self.steps: tuple[Step, ...] = tuple(steps)
        self.root = root
        self.lang = lang
        self.decimals = decimals
        # the leaves are held (an optimizer step may follow), intermediates only weakly:
        # the trace keeps copies of their values, not the graph
        self._ids = {id(t): i for i, t in enumerate(tensors)}
        self._refs = tuple(_ref(t) if t.is_leaf else weakref.ref(t) for t in tensors)

    @property
    def output(self) -> Value:
        """The value backward started from."""
        return self.values[self.root]

    def step(self, number: int) -> Step:
        """The step with this number (1 = the node nearest the output)."""
        return self.steps[number - 1]

    def __getitem__(self, key: str | Tensor) -> Value:
        if isinstance(key, Tensor):
            i = self._ids.get(id(key))
            if i is None or self._refs[i]() is not key:
                raise KeyError("this tensor is not part of the traced graph")
            return self.values[i]
        found = [v for v in self.values if v.name == key]
        if len(found) != 1:
            names = ", ".join(sorted({v.name for v in self.values if v.kind != "constant"}))
            why = "no tensor" if not found else f"{len(found)} tensors"
            raise KeyError(f"{why} named {key!r} in the trace; names: {names}")
        return found[0]

    def tensor(self, key: str | Value) -> Tensor:
        """The live tensor behind a name or `Value` (its data may have changed since)."""
        v = key if isinstance(key, Value) else self[key]
        t = self._refs[v.index]()
        if t is None:
            raise LookupError(f"the intermediate tensor {v.name} no longer exists")
        return t

    def decimals_of(self, value: Value) -> int:
        """The number of decimals used for ``value``."""
        return self.decimals if self.decimals is not None else decimals_for(value.data.dtype)

    def table(self) -> str:
        """The backward pass as a plain-text table, one row per output and per input."""
        return _format.table(self)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        n, m = len(self.steps), len(self.values)
        return f"<Trace of {self.output.name}: {n} node{'s' * (n != 1)}, {m} tensors>"

    def to_markdown(self) -> str:
        """The backward pass as a Markdown table (with the fan-out and leaf sections)."""
        return _format.markdown(self)

    def transcript(
        self, of: Tensor | str, lr: float | None = None, fmt: str = "text", expand: bool = False
    ) -> str:
        """The chain rule for one leaf, written out as a hand calculation.

        Args:
            of: the leaf (a Tensor of the graph, or its name).
            lr: a learning rate η (a number >= 0, as SGD takes it); when given, the update
                w⁺ = w − η·∂E/∂w follows. Only a leaf has one: with ``of`` an
                intermediate, lr is a ValueError.
            fmt: "text", "markdown" or "latex".
            expand: write a factor for every node; by default the factors run between
                tensors the user named (every node when the paths pass none).
        """
        return _transcript.transcript(self, of, lr, fmt, expand)

    def to_dot(self) -> str:
        """The annotated graph as DOT text (deterministic: same graph, same text)."""
        return _dot.to_dot(self)

    def render(self, path: str | Path) -> Path:
        """Draw the annotated graph with Graphviz into ``path`` (.svg, .png or .pdf)."""
        return _dot.render(self.to_dot(), path)
