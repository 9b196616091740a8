"""``copy.copy``, ``copy.deepcopy`` and serializing of a `Tensor` (and so of a Parameter,
a module, an optimizer), as PyTorch's: a copy keeps the values, dtype, ``requires_grad``
and name, and none of the gradient hooks of either kind (they close over the original's
optimizers and logs) nor ``retain_grad``; a tensor computed by a recorded op is refused
(its copy would drag the graph behind it along). A deep copy has an array of its own and
a copy of ``.grad`` (a Parameter's leaves ``.grad`` behind, as PyTorch's); a shallow copy
shares the memory and has no ``.grad``; serialized state holds the array alone. A
Parameter's deep or deserialized copy starts on a 64-byte boundary, as a new Parameter. The
methods that call these are mixed into `Tensor` (`CopyMethods`)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ._aligned import aligned_copy

if TYPE_CHECKING:
    from ._tensor import Tensor


class NotALeafError(RuntimeError, copy.Error):
    """A copy of a non-leaf refused: a RuntimeError as PyTorch's, and a `copy.Error`, what
    the copy module raises for what it cannot copy."""


def deep(t, memo: dict):
    """``copy.deepcopy(t)``: sharing within one call (a tied weight, ``t.grad``) is kept."""
    _check_leaf(t, "copy.deepcopy")
    grad = t._grad if t._deepcopy_keeps_grad else None
    if getattr(grad, "_node", None) is not None:
        raise NotALeafError(
            "copy.deepcopy: this tensor's .grad was computed with create_graph=True and "
            "belongs to a graph, which a copy cannot take along; set .grad = None, or "
            "t.grad = t.grad.detach() to keep its values, first"
        )
    new = _bare(t, _copied_array(t, memo))
    memo[id(t)] = new  # before the rest, which may refer back to this tensor
    new._grad = copy.deepcopy(grad, memo)
    extra = getattr(t, "__dict__", None)  # a user's subclass without slots
    if extra:
        new.__dict__.update(copy.deepcopy(extra, memo))
    return new


def shallow(t):
    """``copy.copy(t)``: a new leaf on the same memory, as PyTorch's."""
    _check_leaf(t, "copy.copy")
    new = _bare(t, t.data.view())
    extra = getattr(t, "__dict__", None)
    if extra:
        new.__dict__.update(extra)
    return new


def state(t) -> dict:
    """What serializing keeps of ``t``: its array, ``requires_grad`` and name."""
    _check_leaf(t, "serializing")
    kept = {"data": t.data, "requires_grad": t._requires_grad, "name": t.name}
    extra = getattr(t, "__dict__", None)
    if extra:
        kept["__dict__"] = dict(extra)
    return kept


def restore(t, kept: dict) -> None:
    """Fill a new tensor from `state`."""
    data = kept["data"]
    t._fill(aligned_copy(data) if t._aligned_copies else data, kept["requires_grad"], kept["name"])
    if kept.get("__dict__"):
        t.__dict__.update(kept["__dict__"])


def _copied_array(t, memo: dict):
    """``t``'s array deep-copied once per call; a Parameter's on the 64-byte boundary."""
    if not t._aligned_copies:
        return copy.deepcopy(t.data, memo)
    new = memo.get(id(t.data))
    if new is None:  # t, alive through the call, keeps the id of its array unique
        new = memo[id(t.data)] = aligned_copy(t.data)
    return new


def _bare(t, data):
    """A new leaf of ``t``'s class with ``data``, its requires_grad and name, and nothing
    else: no .grad, no hooks."""
    new = type(t).__new__(type(t))
    new._fill(data, t._requires_grad, t.name)
    return new


def _check_leaf(t, what: str) -> None:
    if t._node is not None:
        raise NotALeafError(
            f"{what}: only a leaf tensor (one not computed by a recorded op) can be copied, "
            f"as in PyTorch; this one comes from {t._node.name}, and a copy cannot take the "
            "graph behind it along. Copy t.detach() instead: a new leaf with the same "
            "values, outside the graph"
        )


class CopyMethods:
    """``copy.copy``, ``copy.deepcopy`` and serializing of `Tensor`: no hooks, no graph."""

    __slots__ = ()

    _deepcopy_keeps_grad = True  # a Parameter's deep copy leaves .grad behind (PyTorch)
    _aligned_copies = False  # a Parameter's copies start on a 64-byte boundary

    def __deepcopy__(self, memo) -> Tensor:
        return deep(self, memo)

    def __copy__(self) -> Tensor:
        return shallow(self)

    def __getstate__(self) -> dict:
        return state(self)

    def __setstate__(self, state: dict) -> None:
        restore(self, state)
