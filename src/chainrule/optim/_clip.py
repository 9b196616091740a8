"""Gradient clipping, applied to ``.grad`` in place between backward and ``step()`` (a
read-only gradient array, such as a broadcast view the user assigned, is replaced)."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .._quiet import silenced
from .._tensor import Tensor
from ._params import refuse_unsupported


def clip_grad_norm_(
    params,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    **unsupported,
) -> float:
    r"""Scale all gradients together so that their total norm is at most ``max_norm``.

        total = ‖(g₁, …, gₙ)‖_q       (all gradients as one vector; q = ``norm_type``)
        g ← g · max_norm / (total + 1e-6)     for every g, when total > max_norm

    Args:
        params: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
        max_norm: the largest total norm allowed, >= 0; ``math.inf`` clips nothing (only
            measures the norm, as in PyTorch).
        norm_type: q > 0, or ``math.inf`` for the largest absolute value.
        error_if_nonfinite: raise ValueError when the total is nan or inf; otherwise such
            gradients are left unchanged (scaling by 0 would turn inf into nan), and the
            returned total tells the caller to skip the step.

    PyTorch's ``foreach`` chooses among its implementations; chainrule has one, and
    refuses it (TypeError), as the optimizers do.

    Returns:
        The total norm before clipping, as a Python float.

    Unlike PyTorch: the total is a Python float, not a 0-d tensor, computed in float64
    whatever the gradients' dtype; a nan or inf total leaves the gradients unchanged,
    where PyTorch scales them anyway (by 0 for an inf total, making its infs nan, and by
    nan for a nan total); and ``error_if_nonfinite`` raises ValueError, not RuntimeError.

    Huge finite gradients are measured, not overflowed: PyTorch sums the squares in the
    gradients' dtype, so float32 gradients of 1e20 or float64 ones of 1e155 give it an
    inf total and zero gradients. Here the squares are summed in float64 (enough for any
    float32 gradient), and when that overflows the norm is measured again as
    m · ‖g / m‖ with m the largest |g|: float64 gradients of 1e200 are clipped to
    ``max_norm`` like any others. The total is inf only beyond float64's range (1.8e308).
    """
    if unsupported:
        refuse_unsupported("clip_grad_norm_", unsupported)
    max_norm = _limit("max_norm", max_norm)
    q = _norm_type(norm_type)
    owners = _with_grads(params)
    if not owners:
        return 0.0
    total = _total_norm([_array(p) for p in owners], q)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise ValueError(f"clip_grad_norm_: the total norm of the gradients is {total}")
        return total
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in owners:
            _scale(p, coef)
    return total


def _total_norm(arrays: list[np.ndarray], q: float) -> float:
    """‖all of ``arrays`` as one vector‖_q: summed in float64 (float32's squares overflow
    at 1.8e19), and measured again, scaled, when even that overflows (see `_rescued`)."""
    total = _plain_norm(arrays, q)
    return total if math.isfinite(total) else _rescued(arrays, q, total)


def _plain_norm(arrays: list[np.ndarray], q: float, scale: float | None = None) -> float:
    """‖all of ``arrays`` (divided by ``scale``, if given)‖_q in float64."""
    with silenced():  # an overflow gives inf, quietly; _total_norm judges it
        flat = [a.reshape(-1).astype(np.float64, copy=False) for a in arrays]
        if scale is not None:
            flat = [f / scale for f in flat]
        norms = [np.linalg.norm(f, q) for f in flat]
        return float(np.linalg.norm(np.asarray(norms, dtype=np.float64), q))


def _rescued(arrays: list[np.ndarray], q: float, total: float) -> float:
    """The norm of finite gradients whose qth powers overflow float64 (a float64 gradient
    of 1e155 has an infinite square): m · ‖g / m‖_q with m the largest |g|, which cannot
    overflow before the norm itself passes float64's range. Only on this slow path, so
    ordinary gradients cost one pass. A gradient holding inf or NaN keeps ``total``."""
    with silenced():
        m = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if not math.isfinite(m) or m == 0:
        return total
    with silenced():  # beyond float64's range the norm is inf after all
        return m * _plain_norm(arrays, q, m)


def clip_grad_value_(params, clip_value: float, **unsupported) -> None:
    """Clip every gradient element into [−clip_value, clip_value], in place.

    Args:
        params: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
        clip_value: the largest absolute value allowed, >= 0 (``math.inf``: no limit).

    PyTorch's ``foreach`` is refused (TypeError), as by `clip_grad_norm_`.
    """
    if unsupported:
        refuse_unsupported("clip_grad_value_", unsupported)
    c = _limit("clip_value", clip_value)
    for p in _with_grads(params):
        if isinstance(p.grad, Tensor):
            p.grad.data = np.clip(p.grad.data, -c, c)
        elif _writeable(p.grad):
            np.clip(p.grad, -c, c, out=p.grad)
        else:  # a read-only array the user assigned (a broadcast view): a new one
            p.grad = np.clip(p.grad, -c, c)


def _limit(name: str, value) -> float:
    """A bound >= 0, which may be +inf (no bound)."""
    if isinstance(value, Real) and not isinstance(value, bool):
        if value == math.inf:
            return math.inf
        if value >= 0:
            return float(value)
    raise ValueError(f"{name} must be a number >= 0 (math.inf for no limit), got {value!r}")


def _norm_type(norm_type) -> float:
    try:
        q = float(norm_type)
    except (TypeError, ValueError):
        q = math.nan  # a string such as "fro" or None: refused below, by name
    if not q > 0:
        raise ValueError(f"norm_type must be > 0 (or math.inf), got {norm_type!r}")
    return q


def _with_grads(params) -> list[Tensor]:
    if isinstance(params, Tensor):
        params = [params]
    return [p for p in params if p.grad is not None]


def _array(p: Tensor) -> np.ndarray:
    return p.grad.data if isinstance(p.grad, Tensor) else np.asarray(p.grad)


def _scale(p: Tensor, coef: float) -> None:
    """Scale ``p.grad`` in place. A Tensor gradient (from create_graph=True) gets a new
    array instead, because a graph node may have saved its old one for a later backward;
    so does a read-only array the user assigned (such as a broadcast view)."""
    if isinstance(p.grad, Tensor):
        p.grad.data = p.grad.data * coef
    elif _writeable(p.grad):
        np.multiply(p.grad, coef, out=p.grad)
    else:
        p.grad = p.grad * coef


def _writeable(grad) -> bool:
    """Whether a gradient array can be changed in place."""
    return isinstance(grad, np.ndarray) and grad.flags.writeable
