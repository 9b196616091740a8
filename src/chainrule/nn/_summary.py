"""`Module.summary`: a text table of each layer's output shape and parameter count."""

from __future__ import annotations

import numpy as np

from .._dtypes import get_default_dtype
from .._grad_mode import no_grad
from .._tensor import Tensor
from ._embedding import takes_indices
from ._module import Module, Parameter, _children_first, _Recorder

_HEADER = ("Layer (type)", "Output shape", "Params")


class SummaryText(str):
    """The summary's text, shown as the table itself at the interactive prompt (a plain
    string would show its repr, one line of ``\\n``); otherwise an ordinary ``str``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def summary(model: Module, input_shape: tuple[int, ...] | None = None) -> SummaryText:
    """The table `Module.summary` returns: one row per layer call, then the totals; with
    no ``input_shape``, one row per layer in the order the model holds them, without
    output shapes."""
    names = {id(m): name for name, m in model.named_modules()}
    counted: set[int] = set()  # parameters already in a row: a shared layer's count once
    if input_shape is None:
        calls = [(m, None) for m in _children_first(model)]
    else:
        calls = _trace(model, _shape(input_shape))
    rows = [
        _row(names.get(id(m), ""), m, out, counted)
        for m, out in calls
        if _is_leaf(m) or _own_parameters(m)
    ]
    params = list(model.parameters())
    total = sum(p.size for p in params)
    trainable = sum(p.size for p in params if p.requires_grad)
    totals = [f"Total params: {total:,}", f"Trainable params: {trainable:,}"]
    if input_shape is None:
        totals.append("Output shapes: give the input's shape, e.g. model.summary((1, 784))")
    return SummaryText(_table(rows, totals))


def _shape(input_shape) -> tuple[int, ...]:
    """``input_shape`` (a tuple, a list, an array) as a tuple of sizes, or a ValueError
    naming it (``summary(784)`` is one)."""
    sizes = None if isinstance(input_shape, (str, bytes)) else _items(input_shape)
    if sizes is None or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in sizes
    ):
        raise ValueError(
            "summary: input_shape must be a tuple of sizes >= 0, the batch axis included "
            f"(such as (1, 784)), got {input_shape!r}"
        )
    return tuple(int(n) for n in sizes)


def _items(input_shape) -> tuple | None:
    try:
        return tuple(input_shape)
    except TypeError:
        return None


def _trace(model: Module, shape: tuple[int, ...]) -> list:
    """Run the model once on zeros in eval mode, recording every module call."""
    modes = [(m, m.training) for m in model.modules()]
    dtype = next((p.dtype for p in model.parameters()), get_default_dtype())
    if takes_indices(model):
        dtype = np.int64  # zeros as indices: row 0 of the table
    _Recorder.calls = calls = []
    try:
        model.eval()
        with no_grad():
            model(Tensor(np.zeros(shape, dtype)))
    finally:
        _Recorder.calls = None
        for m, mode in modes:
            m.training = mode
    return calls


def _is_leaf(module: Module) -> bool:
    """Containers are not rows: their layers are (a model that is one layer is its own row)."""
    return next(module.named_children(), None) is None


def _own_parameters(module: Module) -> list[Parameter]:
    """The parameters a module holds itself, not through a child: a layer's are all of its
    own; a container with some (a learned scale beside its layers) is a row for them too,
    after its layers' rows, so that no parameter is left out of the rows."""
    own = {id(v): v for _, v in module._members() if isinstance(v, Parameter)}
    return list(own.values())


def _row(name: str, module: Module, out, counted: set[int]) -> tuple[str, str, str]:
    """A layer call's row; parameters counted in an earlier row (a layer called twice, or
    weights it shares) show as "0 (shared)", so that the rows add up to the total."""
    kind = type(module).__name__
    shape = str(tuple(out.shape)) if hasattr(out, "shape") else "?" if out is None else "-"
    params = _own_parameters(module)
    count = sum(p.size for p in params if id(p) not in counted)
    shared = any(id(p) in counted for p in params)
    counted.update(id(p) for p in params)
    text = f"{count:,}" + (" (shared)" if shared else "")
    return (f"{name} ({kind})" if name else kind, shape, text)


def _table(rows: list[tuple[str, str, str]], totals: list[str]) -> str:
    widths = [max(len(r[i]) for r in [_HEADER, *rows]) for i in range(3)]

    def line(r):
        return f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}   {r[2]:>{widths[2]}}"

    rule = len(line(_HEADER))
    body = [line(_HEADER), "-" * rule, *map(line, rows), "=" * rule]
    return "\n".join([*body, *totals])
