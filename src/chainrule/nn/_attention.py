"""Attention: `scaled_dot_product_attention` and `MultiheadAttention`, with PyTorch's
signatures, parameters and masks, composed from core ops (matmul, softmax, where,
reshape, swapaxes), so their gradients need no rule of their own:

    attention(Q, K, V) = softmax(Q·Kᵀ·scale + mask)·V

A row whose every score is masked (−inf) has weights 0 and output 0, with gradient 0,
as torch 2.13's ``scaled_dot_product_attention`` gives (its "safe" softmax);
`MultiheadAttention` returning its weights gives NaN there, as PyTorch's does."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._generator import generator_or_default
from .._tensor import Tensor
from ..ops._common import float_operands
from ._init import uniform_, xavier_uniform_
from ._layers import _check_probability, _parameter_dtype, dropout, linear
from ._module import Module, Parameter


# ----- scaled dot-product attention -------------------------------------------------------------
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


# ----- MultiheadAttention -----------------------------------------------------------------------
class LinearOutIn(Module):
    """PyTorch's ``nn.Linear`` as it stores its weight: ``x @ weight.T + bias`` with weight
    in PyTorch's (out, in) layout (`Linear`'s is (in, out)), so that a PyTorch state loads
    as it is. weight and bias are drawn from U(−1/√in, 1/√in), PyTorch's Linear init (the
    bias starts at 0 with ``zero_bias``)."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool, dtype, generator, zero_bias=False
    ) -> None:
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype))  # (out, in)
        self.bias = Parameter(np.zeros(out_features, dtype)) if bias else None
        bound = 1.0 / math.sqrt(in_features)
        uniform_(self.weight, -bound, bound, generator)
        if self.bias is not None and not zero_bias:
            uniform_(self.bias, -bound, bound, generator)

    def forward(self, x) -> Tensor:
        return linear(x, self.weight.T, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class NonDynamicallyQuantizableLinear(LinearOutIn):
    """`MultiheadAttention`'s output layer, PyTorch's (named as its, for the repr): a square
    `LinearOutIn` whose bias starts at 0, as `MultiheadAttention` resets it."""

    def __init__(self, features: int, bias: bool, dtype, generator) -> None:
        super().__init__(features, features, bias, dtype, generator, zero_bias=True)


class MultiheadAttention(Module):
    """Multi-head attention, as PyTorch's ``nn.MultiheadAttention``: query, key and value
    are projected (``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E,) when kdim = vdim =
    E, else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E,
    vdim), all (out, in) as PyTorch's), split into ``num_heads`` heads of E/num_heads,
    attended as in `scaled_dot_product_attention`, joined and passed through ``out_proj``
    (weight (E, E), (out, in), and bias), so a PyTorch state dict loads as it is.

    Inputs are (L, N, E) ((N, L, E) with ``batch_first``) or unbatched (L, E). The init
    is PyTorch's: Xavier-uniform projections, zero biases, ``out_proj.weight`` from
    U(−1/√E, 1/√E). ``dropout`` drops attention weights in training, the masks drawn from
    ``generator`` (which also draws the initial weights), or the library's when None.
    PyTorch's ``add_bias_kv`` and ``add_zero_attn`` are not offered (a ValueError).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        self._check_settings(embed_dim, num_heads, dropout, add_bias_kv, add_zero_attn)
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        check_counts("MultiheadAttention", kdim=self.kdim, vdim=self.vdim)
        self.dropout = dropout
        self.batch_first = flag("MultiheadAttention", "batch_first", batch_first)
        self.generator = generator
        generator_or_default(generator, "MultiheadAttention")
        self._make_parameters(flag("MultiheadAttention", "bias", bias), dtype, generator)

    @staticmethod
    def _check_settings(embed_dim, num_heads, dropout, add_bias_kv, add_zero_attn) -> None:
        check_counts("MultiheadAttention", embed_dim=embed_dim, num_heads=num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads "
                f"{num_heads}"
            )
        _check_probability(dropout)
        extras = {"add_bias_kv": add_bias_kv, "add_zero_attn": add_zero_attn}
        for name, value in extras.items():
            if flag("MultiheadAttention", name, value):
                raise ValueError(f"MultiheadAttention: {name}=True is not supported")

    def _make_parameters(self, bias: bool, dtype, generator) -> None:
        """PyTorch's parameters, in its order, and its init."""
        dtype = _parameter_dtype("MultiheadAttention", dtype)
        e = self.embed_dim
        self._same_dims = self.kdim == e and self.vdim == e
        if self._same_dims:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype))  # (out, in)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * e, dtype)) if bias else None
        self.out_proj = NonDynamicallyQuantizableLinear(e, bias, dtype, generator)
        for w in self._weights():
            xavier_uniform_(w, generator=generator)

    def _weights(self) -> tuple[Tensor, ...]:
        """The input projections' weights: one (3E, E), or three (E, E/kdim/vdim)."""
        if self._same_dims:
            return (self.in_proj_weight,)
        return self.q_proj_weight, self.k_proj_weight, self.v_proj_weight

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(attn_output, attn_weights): the output (L, N, E) ((N, L, E) with
        ``batch_first``; (L, E) unbatched) and, with ``need_weights``, the weights (N, L, S)
        averaged over the heads, or (N, num_heads, L, S) with ``average_attn_weights=False``
        (no N unbatched), else None. ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S)
        or (N·num_heads, L, S) are boolean (True: left out, PyTorch's sense here) or float
        (added to the scores). ``is_causal`` is PyTorch's hint that ``attn_mask`` is causal:
        it needs the mask, which is used as it is."""
        q, k, v = _operands(query, key, value)
        batched = self._check_inputs(q, k, v)
        if flag("MultiheadAttention", "is_causal", is_causal) and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True is a hint and needs attn_mask")
        q, k, v = (self._batch_first(t, batched) for t in (q, k, v))  # (N, L, E), (N, S, ·)
        mask = self._mask(key_padding_mask, attn_mask, q.shape[:2], k.shape[1], q.dtype, batched)
        need_weights = flag("MultiheadAttention", "need_weights", need_weights)
        out, weights = self._attention(q, k, v, mask, need_weights)
        out = self._batch_back(self.out_proj(out), batched)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)  # (N, L, S)
        return out, weights if batched else weights.squeeze(0)

    def _check_inputs(self, q: Tensor, k: Tensor, v: Tensor) -> bool:
        """PyTorch's shapes, as ValueErrors naming them; whether the inputs are batched."""
        shapes = f"query {q.shape}, key {k.shape}, value {v.shape}"
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(
                f"MultiheadAttention: expects batched {layout} or unbatched (L, E) inputs, "
                f"all with as many axes, got {shapes}"
            )
        sizes = (q.shape[-1], k.shape[-1], v.shape[-1])
        if sizes != (self.embed_dim, self.kdim, self.vdim):
            raise ValueError(
                f"MultiheadAttention: the last axes of query, key and value must be embed_dim "
                f"{self.embed_dim}, kdim {self.kdim} and vdim {self.vdim}, got {shapes}"
            )
        batch = (0 if self.batch_first else 1) if q.ndim == 3 else None
        same = k.shape[:-1] == v.shape[:-1] and (batch is None or q.shape[batch] == k.shape[batch])
        if not same:
            raise ValueError(f"MultiheadAttention: the batch or key lengths differ: {shapes}")
        return q.ndim == 3

    def _batch_first(self, t: Tensor, batched: bool) -> Tensor:
        """An input as (N, L, features): unbatched ones get N = 1."""
        if not batched:
            return t.unsqueeze(0)
        return t if self.batch_first else t.swapaxes(0, 1)

    def _batch_back(self, out: Tensor, batched: bool) -> Tensor:
        """The output (N, L, E) in the inputs' layout."""
        if not batched:
            return out.squeeze(0)
        return out if self.batch_first else out.swapaxes(0, 1)

    def _mask(self, key_padding_mask, attn_mask, batch_and_length, s: int, dtype, batched):
        """Both masks as one float mask that broadcasts to the scores (N, H, L, S)."""
        (n, length), h = batch_and_length, self.num_heads
        who = "MultiheadAttention"
        padding = (n, s) if batched else (s,)
        _check_mask(who, "key_padding_mask", key_padding_mask, [padding])
        _check_mask(who, "attn_mask", attn_mask, [(length, s), (n * h, length, s)])
        masks = []
        if key_padding_mask is not None:
            m = _additive(who, key_padding_mask, dtype, allowed=False)
            masks.append(m.reshape(n, 1, 1, s))
        if attn_mask is not None:
            m = _additive(who, attn_mask, dtype, allowed=False)
            masks.append(m.reshape(-1, h, length, s) if m.ndim == 3 else m)
        return masks[0] + masks[1] if len(masks) == 2 else (masks[0] if masks else None)

    def _attention(self, q: Tensor, k: Tensor, v: Tensor, mask, need_weights: bool):
        """The heads' attention, joined: (N, L, E), and the weights (N, H, L, S)."""
        e = self.embed_dim
        b = self.in_proj_bias
        biases = (None,) * 3 if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        qkv = [
            self._heads(linear(t, w.T, bias))
            for t, w, bias in zip((q, k, v), self._projection(), biases)
        ]
        p = self.dropout if self.training else 0.0
        rng = generator_or_default(self.generator, "MultiheadAttention")
        scale = 1.0 / math.sqrt(self.head_dim)
        out, weights = _attend(*qkv, mask, scale, p, rng, dead_nan=need_weights)
        n, _, length, _ = out.shape
        return out.swapaxes(1, 2).reshape(n, length, e), weights  # (N, H, L, D) -> (N, L, E)

    def _projection(self) -> tuple[Tensor, Tensor, Tensor]:
        """The query, key and value projections' weights, each (E, in)."""
        if not self._same_dims:
            return self._weights()
        w, e = self.in_proj_weight, self.embed_dim
        return w[:e], w[e : 2 * e], w[2 * e :]

    def _heads(self, t: Tensor) -> Tensor:
        """(N, L, E) -> (N, H, L, E/H): the heads as a batch axis."""
        n, length, _ = t.shape
        return t.reshape(n, length, self.num_heads, self.head_dim).swapaxes(1, 2)


def _check_mask(who: str, name: str, mask, shapes: list[tuple[int, ...]]) -> None:
    """A mask of one of ``shapes``, or None."""
    if mask is not None and tuple(_shape(mask)) not in shapes:
        expected = " or ".join(str(s) for s in shapes)
        raise ValueError(f"{who}: {name} must have shape {expected}, got {_shape(mask)}")
