"""Attention: `scaled_dot_product_attention`, with PyTorch's signature and masks, and the
core `MultiheadAttention` (in `_multihead_attention.py`) shares, composed from core ops
(matmul, softmax, where, reshape, swapaxes), so their gradients need no rule of their own:

    attention(Q, K, V) = softmax(Q·Kᵀ·scale + mask)·V

A row whose every score is masked (−inf) has weights 0 and output 0, with gradient 0,
as torch 2.13's ``scaled_dot_product_attention`` gives (its "safe" softmax);
`MultiheadAttention` returning its weights gives NaN there, as PyTorch's does."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._arguments import flag
from .._generator import generator_or_default
from .._tensor import Tensor
from ..ops._common import float_operands
from ._layers import _check_probability, dropout


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """softmax(Q·Kᵀ·scale + mask)·V, as PyTorch's ``F.scaled_dot_product_attention``:
    query (..., L, E), key (..., S, E), value (..., S, Ev) give (..., L, Ev).

    ``attn_mask`` broadcasts to (..., L, S): a boolean one marks the pairs that take part
    (True), a float one is added to the scores. ``is_causal`` lets query i see keys 0..i
    (PyTorch's top-left lower triangle) and is refused with a mask, as in PyTorch.
    ``scale`` defaults to 1/√E. With ``dropout_p`` > 0 the weights are dropped as by
    `dropout` (always: this function has no training flag, as PyTorch's), the mask drawn
    from ``generator``, or the library's when None. ``enable_gqa`` lets query have Hq heads
    on axis −3 and key and value Hkv, Hq a multiple of Hkv: each key head serves Hq/Hkv
    query heads in a row, as PyTorch's. A row whose every pair is masked gives 0."""
    who = "scaled_dot_product_attention"
    q, k, v = _operands(query, key, value)
    _check_probability(dropout_p)
    rng = generator_or_default(generator, who)
    if flag(who, "enable_gqa", enable_gqa):
        k, v = _shared_heads(q, k), _shared_heads(q, v)
    _check_qkv(who, q, k, v)
    causal = flag(who, "is_causal", is_causal)
    if causal and attn_mask is not None:
        raise ValueError(f"{who}: give attn_mask or is_causal=True, not both (as PyTorch)")
    scale = _scale(who, scale, q.shape[-1])
    size = (q.shape[-2], k.shape[-2])
    mask = np.tril(np.ones(size, bool)) if causal else attn_mask
    if mask is not None:
        _check_broadcast(who, mask, size)
    out, _ = _attend(q, k, v, _additive(who, mask, q.dtype), scale, dropout_p, rng)
    return out


def _operands(query, key, value) -> tuple[Tensor, Tensor, Tensor]:
    """query, key and value as float Tensors (an integer one takes the others' dtype)."""
    return tuple(
        t if isinstance(t, Tensor) else Tensor(t) for t in float_operands((query, key, value))
    )


def _check_qkv(who: str, q: Tensor, k: Tensor, v: Tensor) -> None:
    """query (..., L, E), key (..., S, E) and value (..., S, Ev), batch axes broadcasting."""
    shapes = f"query {q.shape}, key {k.shape}, value {v.shape}"
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(f"{who}: query, key and value need at least 2 axes, got {shapes}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{who}: expects query (..., L, E), key (..., S, E), value (..., S, Ev), got {shapes}"
        )
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{who}: the batch axes do not broadcast: {shapes}") from None


def _shared_heads(q: Tensor, t: Tensor) -> Tensor:
    """key or value (..., Hkv, S, d) with each head repeated Hq/Hkv times in a row, so it
    has query's Hq heads (PyTorch's ``repeat_interleave`` on axis −3)."""
    if q.ndim < 3 or t.ndim < 3 or q.shape[-3] % t.shape[-3]:
        raise ValueError(
            "scaled_dot_product_attention: enable_gqa needs heads on axis -3, query's a "
            f"multiple of key's and value's, got query {q.shape} and {t.shape}"
        )
    heads, group = t.shape[-3], q.shape[-3] // t.shape[-3]
    wide = (*t.shape[:-3], heads, group, *t.shape[-2:])
    return t.unsqueeze(-3).broadcast_to(wide).reshape(*t.shape[:-3], heads * group, *t.shape[-2:])


def _scale(who: str, scale, e: int) -> float:
    """The scores' factor: 1/√E by default, else a finite number."""
    if scale is None:
        return 1.0 / math.sqrt(e) if e else 1.0
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale):
        raise ValueError(f"{who}: scale must be a finite number or None, got {scale!r}")
    return float(scale)


def _additive(who: str, mask, dtype, allowed: bool = True):
    """A mask as a float one added to the scores: a boolean one gives 0 where it is
    ``allowed`` and −inf elsewhere; a float one is cast to the scores' dtype (a Tensor
    through a differentiable cast). None stays None."""
    if mask is None:
        return None
    m = mask if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        keep = m.data if isinstance(m, Tensor) else m
        return np.where(keep == allowed, 0.0, -np.inf).astype(dtype)
    if m.dtype.kind != "f":
        raise TypeError(f"{who}: a mask must be boolean or floating, got {m.dtype}")
    return m if m.dtype == dtype else m.astype(dtype)


def _check_broadcast(who: str, mask, size: tuple[int, int]) -> None:
    """A mask must broadcast to the scores' last two axes (L, S)."""
    try:
        np.broadcast_shapes(_shape(mask), size)
    except ValueError:
        raise ValueError(
            f"{who}: attn_mask of shape {_shape(mask)} does not broadcast to the scores' "
            f"(L, S) = {size}"
        ) from None


def _shape(a) -> tuple[int, ...]:
    """The shape of a Tensor, an array or a nested list."""
    return a.shape if isinstance(a, Tensor) else np.shape(a)


def _attend(q, k, v, mask, scale: float, p: float, rng, dead_nan: bool = False):
    """(softmax(q·kᵀ·scale + mask), dropped with probability p)·v and those weights.
    With ``dead_nan`` a row of all −inf scores has NaN weights (PyTorch's plain softmax)."""
    scores = (q @ k.swapaxes(-2, -1)) * scale  # (..., L, S)
    if mask is not None:
        scores = scores + mask
    weights = ops.softmax(scores, -1)  # a row of all −inf: 0, torch's safe softmax
    if dead_nan:
        dead = np.all(np.isneginf(scores.data), axis=-1, keepdims=True)
        weights = ops.where(dead, np.nan, weights) if dead.any() else weights
    if p > 0:
        weights = dropout(weights, p, True, rng)
    return weights @ v, weights  # (..., L, Ev)
