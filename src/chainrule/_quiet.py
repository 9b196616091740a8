"""NumPy without its floating-point warnings, where an inf or a NaN is the answer.

chainrule's ops give NumPy's IEEE results (log 0 = −inf, ∞ − ∞ = NaN; docs/reliability.md)
and emit no RuntimeWarning. Only NumPy's *default* error state is overridden: under a state
the user set (``np.seterr``, ``np.errstate(all="raise")`` to stop at the first inf or NaN)
NumPy obeys the user.

Where it applies:

- forward: `Function.__call__` runs the forward of an op class with ``quiet = True``
  through `quietly` (a test of the flag for the other ops);
- backward: the engine runs a whole backward pass under `silenced` -- every rule, every
  sum of two gradients -- once per pass rather than once per node; a user's backward and
  hooks go back to the user's state through `as_user`;
- `silenced` also serves the few callers outside both (``check_graph``'s probes).

NumPy ≥ 2 keeps its error state in a context variable: setting it directly costs ~0.1 µs
against ~1 µs for ``np.errstate``, a difference paid on every op. NumPy 1.x has no such
variable, only the state's values: there a state the user set equal to the default
(``np.errstate(divide="warn")``) cannot be told from the default, and is overridden too.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np

try:
    from numpy._core.umath import _extobj_contextvar as _STATE
except ImportError:  # NumPy 1.x: np.errstate
    _STATE = None

if _STATE is not None:
    _get, _set, _reset = _STATE.get, _STATE.set, _STATE.reset
    _DEFAULT = contextvars.Context().run(_get)  # the state where nobody set one
    with np.errstate(all="ignore"):
        _IGNORE = _get()
_NUMPY1_DEFAULT = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
_NUMPY1_IGNORE = dict.fromkeys(_NUMPY1_DEFAULT, "ignore")
#: NumPy 1.x: whether `silenced` replaced the default state (what `as_user` gives back)
_numpy1_silenced = contextvars.ContextVar("chainrule_numpy1_silenced", default=False)


def quietly(fn, args: tuple):
    """``fn(*args)`` without floating-point warnings (unless the user set a state)."""
    if _STATE is None:
        return _quietly_numpy1(fn, args)
    if _get() is not _DEFAULT:  # a state the user set, or already quiet
        return fn(*args)
    token = _set(_IGNORE)
    try:
        return fn(*args)
    finally:
        _reset(token)


def at_default() -> bool:
    """Whether NumPy's error state is its default: nobody set one, and no `quietly` or
    `silenced` is running (always False on NumPy 1.x, whose default cannot be told)."""
    return _STATE is not None and _get() is _DEFAULT


def _quietly_numpy1(fn, args: tuple):
    if np.geterr() != _NUMPY1_DEFAULT:
        return fn(*args)
    with np.errstate(all="ignore"):
        return fn(*args)


@contextlib.contextmanager
def silenced():
    """The block runs as `quietly` runs a function (for a whole backward pass)."""
    if _STATE is None:
        if np.geterr() != _NUMPY1_DEFAULT:
            yield
            return
        token = _numpy1_silenced.set(True)
        try:
            with np.errstate(all="ignore"):
                yield
        finally:
            _numpy1_silenced.reset(token)
        return
    token = _set(_IGNORE) if _get() is _DEFAULT else None
    try:
        yield
    finally:
        if token is not None:
            _reset(token)


def as_user(fn, args: tuple):
    """``fn(*args)`` under the error state the user had, inside a `silenced` pass: a custom
    `Function`'s backward and a hook warn (or raise) as they would outside chainrule."""
    if _STATE is None:
        if not _numpy1_silenced.get() or np.geterr() != _NUMPY1_IGNORE:
            return fn(*args)
        with np.errstate(**_NUMPY1_DEFAULT):
            return fn(*args)
    if _get() is not _IGNORE:
        return fn(*args)
    token = _set(_DEFAULT)
    try:
        return fn(*args)
    finally:
        _reset(token)
