"""`MultiheadAttention`, as PyTorch's: its parameters in PyTorch's (out, in) layouts, its
init, masks and shapes, attending by `_attention.py`'s core; and `LinearOutIn`, PyTorch's
(out, in) Linear, which its output layer and the Transformer's feed-forward layers are."""

from __future__ import annotations

import math

import numpy as np

from .._arguments import check_counts, flag
from .._generator import generator_or_default
from .._tensor import Tensor
from ._attention import _additive, _attend, _operands, _shape
from ._init import uniform_, xavier_uniform_
from ._layers import _check_probability, _parameter_dtype, linear
from ._module import Module, Parameter


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
