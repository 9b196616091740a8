"""Anomaly mode: find the op, and the line of your code, where a NaN or an inf was born.

While `detect_anomaly` is on:

- forward: every op's output is checked; an op that returns NaN or ±inf *from finite
  inputs* raises `AnomalyError` at once (an op whose input was already non-finite only
  passes it on, and is not blamed);
- each recorded node remembers the line of user code that created it (the innermost frame
  outside chainrule) and a copy of every array it saved for backward;
- backward: before a node's backward runs, its saved arrays are compared with those
  copies (an array changed in place after the forward pass would give a wrong gradient),
  and afterwards the gradients it returned are checked: a NaN or inf made from a finite
  upstream gradient and finite inputs raises `AnomalyError` (unless it is the gradient of
  an input that needs none, which the engine drops). So does a sum of finite gradients
  that overflows where a tensor's uses meet (or where a backward adds to an earlier
  ``.grad``), and a gradient hook that returns NaN or inf for a finite gradient. With
  ``create_graph=True`` the ops a backward runs are not checked one by one: what it
  returns is, naming the node and its line.

NumPy's floating-point warnings (divide by zero, overflow, invalid value) are silenced
inside the checked forward of each op and inside backward, so the error that names the op
is what you see. Off (the default), all of this costs one flag test per op in forward and
one per backward call: the engine's per-node loop is unchanged.

Unlike grad mode (which is per thread), the flag is global to the process (all threads).
The checks the engine calls where gradients meet (sums, hooks) are in ``_anomaly_checks.py``.
"""

from __future__ import annotations

import linecache
import sys
import threading

import numpy as np

from ._grad_mode import _GradMode, _SetGlobal


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode where a NaN or inf first appears, or where an array saved for
    backward was modified in place.

    Attributes:
        op: the op's name (e.g. ``"Log"``).
        phase: ``"forward"`` or ``"backward"``, the pass that found it.
        kind: ``"non-finite"`` or ``"in-place"``.
        filename, lineno, line: the user code that created the node (None, None, "" when
            the node was created before anomaly mode was turned on).
    """

    def __init__(
        self,
        message: str,
        op: str | None = None,
        phase: str | None = None,
        kind: str | None = None,
        filename: str | None = None,
        lineno: int | None = None,
        line: str = "",
    ):
        super().__init__(message)
        self.op, self.phase, self.kind = op, phase, kind
        self.filename, self.lineno, self.line = filename, lineno, line


class _AnomalyMode:
    enabled = False
    open_blocks, before = 0, False  # see _grad_mode._SetGlobal


# per thread: whether a node's backward is running; the ops it runs (with create_graph) are
# not checked one by one, since the gradients it returns are, and name the node and its line
_in_backward = threading.local()


def is_anomaly_enabled() -> bool:
    """True while anomaly mode is on (see `detect_anomaly`)."""
    return _AnomalyMode.enabled


def set_detect_anomaly(mode: bool = True, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off for the whole process (see `detect_anomaly`).

    ``check_nan`` is accepted as in PyTorch, but only its default, True, is supported:
    anomaly mode always checks for NaN and inf (it has no mode that only records lines).
    """
    _require_check_nan(check_nan)
    _AnomalyMode.enabled = bool(mode)


def _require_check_nan(check_nan) -> None:
    if check_nan is not True:
        raise ValueError(
            f"detect_anomaly: check_nan={check_nan!r} is not supported; chainrule's anomaly "
            "mode always checks for NaN and inf (check_nan=True, the default)"
        )


class detect_anomaly(_SetGlobal):  # noqa: N801 (lowercase like a function, as in PyTorch)
    """Anomaly mode inside a block: ``with cr.detect_anomaly(): ...``, or ``@cr.detect_anomaly``
    on a function. The first NaN or inf an op creates, in forward or in backward, and an
    array modified in place after it was saved for backward, raise `AnomalyError` naming
    the op, the pass and the line of your code that created the node. Slow (every output
    is checked, every saved array copied): for debugging, not for training runs.

    ``check_nan`` is accepted as in PyTorch (``detect_anomaly(check_nan=True)``); only
    True, its default, is supported (see `set_detect_anomaly`).
    """

    _flag = _AnomalyMode
    enabled = True

    def __init__(self, func=None, check_nan: bool = True):
        _require_check_nan(check_nan)
        super().__init__(func)


# ----- where a node was created ---------------------------------------------------------------
def user_frame():
    """The innermost frame outside the chainrule package, and its ``stacklevel`` as
    ``warnings.warn`` would count it from the function that called this one."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and _is_ours(frame):
        level, frame = level + 1, frame.f_back
    return frame, level


def _is_ours(frame) -> bool:
    name = frame.f_globals.get("__name__", "")
    return name == "chainrule" or name.startswith("chainrule.")


def _site() -> tuple[str, int, str] | None:
    """(file, line, function) of the user code running now: strings, not the frame, so
    that no local variable is kept alive."""
    frame = user_frame()[0]
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


class _Record:
    """What anomaly mode keeps on a node: its creation site and copies of saved arrays."""

    __slots__ = ("copies", "site")

    def __init__(self, site, saved):
        self.site = site
        # a NumPy scalar too: a 0-d output forward returned as one is saved as an array
        # (``Function._as_output_array``) that the user can then change through ``.data``
        self.copies = [
            (i, np.array(s))
            for i, s in enumerate(saved)
            if type(s) is np.ndarray or isinstance(s, np.generic)
        ]


# ----- forward -------------------------------------------------------------------------------
def forward(node, arrays):
    """``node.forward(*arrays)``, checked; called by `Function` while anomaly mode is on."""
    with np.errstate(all="ignore"):  # the AnomalyError below says more than a warning
        out = node.forward(*arrays)
    if not _finite(out) and all(_finite(a) for a in arrays) and not _inside_backward():
        what = (
            f" returned {_bad_values(out)} from finite inputs (if your code masks them later, "
            "e.g. with cr.where, mask the op's input instead, as in "
            "cr.log(cr.where(x > 0, x, 1.0)): anomaly mode stops at the op that makes them)"
        )
        raise _error(node, "forward", "non-finite", what, _site())
    if _GradMode.enabled and True in node.needs_grad:  # the node will be recorded
        node._anomaly = _Record(_site(), node.saved or ())
    return out


# ----- backward ------------------------------------------------------------------------------
def checked(backward, retain: bool):
    """Wrap the engine's ``backward(node, out, grad_out)`` with the anomaly checks. Without
    ``retain`` (the graph is released), a node's copies are dropped once it is done."""

    def checked_backward(node, out, grad_out):
        record = getattr(node, "_anomaly", None)
        if record is not None:
            _verify_saved(node, record, out)
        outer = _inside_backward()
        _in_backward.running = True
        try:
            grads_in = backward(node, out, grad_out)
        finally:
            _in_backward.running = outer
        if record is not None and not retain:
            record.copies = ()
        grads = grads_in if isinstance(grads_in, tuple) else (grads_in,)
        for i, (gi, need) in enumerate(zip(grads, node.needs_grad)):
            # the gradient of an input that needs none is dropped by the engine: not blamed
            if need and gi is not None and not _finite(gi) and _blamed(node, grad_out):
                what = (
                    f".backward returned {_bad_values(gi)} in the gradient of input {i}, "
                    "from a finite upstream gradient and finite inputs"
                )
                raise _error(node, "backward", "non-finite", what, _site_of(node))
        return grads_in

    return checked_backward


def _inside_backward() -> bool:
    return getattr(_in_backward, "running", False)


def _blamed(node, grad_out) -> bool:
    """Whether a non-finite gradient is the node's own doing: its upstream gradient and its
    inputs were finite (otherwise it only passed on a NaN or inf made elsewhere)."""
    return _finite(grad_out) and all(_finite(x) for x in node._inputs)


def _verify_saved(node, record: _Record, out) -> None:
    saved = node.saved or ()
    for i, copy in record.copies:
        now = saved[i] if i < len(saved) else None
        if type(now) is np.ndarray and not _same(now, copy):
            what = (
                f": {_which(node, now, out, i)} (shape {copy.shape}, {copy.dtype}), saved for "
                "backward, was modified in place after the forward pass, so the gradient would "
                "be wrong. Change a copy instead (t.data = t.data * 0.5, not t.data *= 0.5), or "
                "run the forward pass again after the change"
            )
            raise _error(node, "backward", "in-place", what, record.site)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False  # the plain comparison first: equal_nan costs a pass per operand
    return np.array_equal(a, b) or (a.dtype.kind in "fc" and np.array_equal(a, b, equal_nan=True))


def _which(node, arr, out, i: int) -> str:
    """Which array ``saved[i]`` is: an input, the output, or another saved value."""
    for j, x in enumerate(node._inputs):
        if arr is _values(x):
            return f"the array of input {j}"
    if out is not None and arr is out.data:
        return "the output array"
    return f"saved value {i}"


# ----- shared ---------------------------------------------------------------------------------
def _values(x):
    """An array of the values of ``x``: an array, a Tensor, a NumPy scalar or a number."""
    if type(x) is np.ndarray:
        return x
    data = getattr(x, "data", None)  # a Tensor's array (a NumPy scalar's .data is a buffer)
    return data if type(data) is np.ndarray else np.asarray(x)


def _finite(x) -> bool:
    a = _values(x)
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def _bad_values(x) -> str:
    """E.g. ``-inf (1 of 512 values)`` or ``nan and inf (3 of 8 values)``."""
    a = _values(x)
    kinds = [
        name
        for name, mask in (("nan", np.isnan(a)), ("inf", np.isposinf(a)), ("-inf", np.isneginf(a)))
        if mask.any()
    ]
    bad = int(a.size - np.count_nonzero(np.isfinite(a)))
    return f"{' and '.join(kinds)} ({bad} of {a.size} values)"


def _site_of(node):
    record = getattr(node, "_anomaly", None)
    return None if record is None else record.site


def _quoted(line: str) -> str:
    """``": <line>"``, or nothing for code without a source file (``python -c``, ``exec``)."""
    return f": {line}" if line else ""


def _error(node, phase: str, kind: str, what: str, site) -> AnomalyError:
    if site is None:
        filename, lineno, line = None, None, ""
        place = "before anomaly mode was turned on (no line recorded)"
    else:
        filename, lineno, function = site
        line = linecache.getline(filename, lineno).strip()
        place = f"at {filename}:{lineno} (in {function}){_quoted(line)}"
    message = f"anomaly in the {phase} pass: {node.name}{what}; the node was created {place}"
    return AnomalyError(message, node.name, phase, kind, filename, lineno, line)
