"""Anomaly mode's checks that the engine calls where gradients meet and after a hook.

They catch a sum of finite gradients that overflows (where a tensor's uses meet, or added
to an earlier ``.grad``), and a gradient hook that returns NaN or inf for a finite
gradient. The checks of a node's forward and backward are in ``_anomaly.py``."""

from __future__ import annotations

import linecache

import numpy as np

from ._anomaly import AnomalyError, _bad_values, _error, _finite, _quoted, _site_of, _values


def check_sum(node, t, prev, gi) -> None:
    """The engine is about to add ``node``'s gradient ``gi`` for ``t`` to ``prev`` (from
    ``t``'s other uses): a NaN or inf the sum makes of finite parts (an overflow) is an
    anomaly of that addition."""
    if _finite(prev) and _finite(gi):
        with np.errstate(all="ignore"):
            total = _values(prev) + _values(gi)
        if not _finite(total):
            what = (
                f": its gradient for a tensor of shape {t.shape}, added to the gradient from "
                f"the tensor's other uses, gave {_bad_values(total)} from finite parts "
                "(the sum overflowed)"
            )
            raise _error(node, "backward", "non-finite", what, _site_of(node))


def check_accumulated(t, prev, g) -> None:
    """Adding a backward's gradient to the ``.grad`` an earlier one left: an overflow there
    is an anomaly too (named by the tensor; no op is involved)."""
    if _finite(prev) and _finite(g):
        with np.errstate(all="ignore"):
            total = _values(prev) + _values(g)
        if not _finite(total):
            raise AnomalyError(
                f"anomaly in the backward pass: adding the gradient to the .grad of a tensor "
                f"of shape {t.shape} left by an earlier backward gave {_bad_values(total)} "
                "from finite parts (the sum overflowed)",
                None,
                "backward",
                "non-finite",
            )


def check_hook(t, fn, before, after) -> None:
    """A gradient hook that turned a finite gradient into NaN or inf is named, with the
    line where the hook was defined."""
    if _finite(after) or not _finite(before):
        return
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", type(fn).__name__)
    where, filename, lineno, line = "", None, None, ""
    if code is not None:
        filename, lineno = code.co_filename, code.co_firstlineno
        line = linecache.getline(filename, lineno).strip()
        where = f"; the hook is defined at {filename}:{lineno}{_quoted(line)}"
    raise AnomalyError(
        f"anomaly in the backward pass: gradient hook {name} on a tensor of shape {t.shape} "
        f"returned {_bad_values(after)} from a finite gradient{where}",
        f"hook {name}",
        "backward",
        "non-finite",
        filename,
        lineno,
        line,
    )
