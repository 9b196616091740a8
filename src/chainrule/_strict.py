"""Strict mode: warnings for the classic mistakes with ``.grad``.

While strict mode is on (``cr.set_strict(True)`` or ``with cr.strict(): ...``), a
`StrictModeWarning` points at the line of user code that

- runs a backward that adds to a ``.grad`` an earlier backward left behind (gradients
  accumulate across backward calls; clear them between steps with ``zero_grad()``);
- reads ``.grad`` of a leaf (or a ``retain_grad()``-ed non-leaf) that no backward has
  reached yet (it is None);
- reads ``.grad`` of a leaf that does not require gradients (it is always None);
- reads ``.grad`` of a non-leaf that was not ``retain_grad()``-ed (it is always None).

Reads from inside chainrule (an optimizer skipping parameters without a gradient, say)
never warn: they expect None. Off, strict mode costs one flag test per ``.grad`` read and
one per accumulation into an existing ``.grad``; nothing on the path of a correct step.
Unlike grad mode (which is per thread), the flag is global to the process (all threads).
"""

from __future__ import annotations

import warnings

import numpy as np

from ._anomaly import user_frame
from ._grad_mode import _SetGlobal


class StrictModeWarning(UserWarning):
    """Warned by strict mode (`set_strict`, `strict`) at a likely mistake with ``.grad``."""


class _StrictMode:
    enabled = False
    open_blocks, before = 0, False  # see _grad_mode._SetGlobal


def is_strict() -> bool:
    """True while strict mode is on (see `set_strict`)."""
    return _StrictMode.enabled


def set_strict(mode: bool = True) -> None:
    """Turn strict mode on or off for the whole process.

    While on, `StrictModeWarning` flags gradients accumulating over two backward calls,
    ``.grad`` read before backward reached the tensor, of a tensor that does not require
    gradients, or of a non-leaf that was not ``retain_grad()``-ed. Off by default.
    """
    _StrictMode.enabled = bool(mode)


class strict(_SetGlobal):  # noqa: N801 (lowercase like a function, as no_grad)
    """Strict mode inside a block: ``with cr.strict(): ...`` (or ``@cr.strict`` on a
    function). It is on while any thread's block is open; when the last one closes, the
    setting before the first returns. See `set_strict`."""

    _flag = _StrictMode
    enabled = True


# ----- the checks (called only while strict mode is on) -------------------------------------
def grad_read(t) -> None:
    """Warn if reading ``t.grad`` from user code gives None for a reason the user missed."""
    frame, level = user_frame()  # level 1: here, 2: the getter, 3: whoever reads .grad
    if level != 3 or frame is None:  # chainrule itself reads it, and expects None
        return
    if t._node is not None and not t._retain:
        _warn(_NON_LEAF.format(t=describe(t), op=t._node.name), level)
    elif t._node is not None:  # retained: None until a backward reaches it
        if t._grad is None:
            _warn(_NO_BACKWARD.format(t=describe(t)), level)
    elif t._grad is None:
        text = _NO_BACKWARD if t._requires_grad else _NOT_REQUIRED
        _warn(text.format(t=describe(t)), level)


def accumulating(t, grad) -> None:
    """Warn that backward is adding to ``grad``, a ``.grad`` left by an earlier backward
    (all-zero gradients are fine: adding to them loses nothing)."""
    values = grad if isinstance(grad, np.ndarray) else getattr(grad, "data", grad)  # Tensor
    if np.any(values):
        _warn(_ACCUMULATING.format(t=describe(t)), user_frame()[1])


def rebinding(t, symbol: str) -> None:
    """Warn that ``x op= y`` on a leaf that requires grad, with the graph recorded, makes
    the name a new node and leaves the leaf (a parameter, usually) unchanged."""
    _warn(_REBINDING.format(t=describe(t), op=symbol), user_frame()[1])


def describe(t) -> str:
    """``tensor 'w' (shape (3, 2))``, or ``a tensor of shape (3, 2)`` when it has no name."""
    return f"tensor {t.name!r} (shape {t.shape})" if t.name else f"a tensor of shape {t.shape}"


def _warn(message: str, level: int) -> None:
    warnings.warn(message, StrictModeWarning, stacklevel=level + 1)


_ACCUMULATING = (
    "backward() is adding to the .grad of {t}, which an earlier backward left there: "
    "gradients accumulate across backward calls. Clear them before each step "
    "(optimizer.zero_grad(), model.zero_grad() or t.grad = None), unless you accumulate "
    "on purpose."
)
_REBINDING = (
    "{op} on {t}, a leaf that requires grad, while the graph is recorded: the name now "
    "holds a new node, and the leaf itself (a parameter?) is unchanged. An update of a "
    "parameter belongs in a `with cr.no_grad():` block."
)
_NO_BACKWARD = (
    ".grad of {t} is None: no backward has reached it yet. Call loss.backward() first; "
    "if you did, this tensor was not used to compute the loss (or its gradient was "
    "cleared since)."
)
_NOT_REQUIRED = (
    ".grad of {t} is always None: it does not require gradients. Create it with "
    "requires_grad=True (or use cr.nn.Parameter) to get one."
)
_NON_LEAF = (
    ".grad of {t}, a non-leaf (computed by {op}), is being read: backward does not keep "
    "gradients of non-leaf tensors, so it is None. Call .retain_grad() on it before "
    "backward if you want its gradient, or read the .grad of the leaf you meant."
)
