"""The Transformer's layers, `TransformerEncoderLayer` and `TransformerDecoderLayer`, as
PyTorch's, built from `MultiheadAttention`, `LayerNorm`, `Dropout` and `LinearOutIn` (the
(out, in) linear layer of `_multihead_attention.py`), so a PyTorch state dict loads as it
is and the gradients need no rule of their own. Each sub-block b (attention, feed-forward)
is joined to the stream x by a residual and a normalisation:

    post-norm (default):   x = norm_i(x + b(x))
    pre-norm (norm_first): x = x + b(norm_i(x))

    feed-forward b(x) = dropout_last(linear2(dropout(activation(linear1(x)))))
    attention b(x)    = dropout_i(attn(x, kv, kv)), kv = x, or the encoder's memory
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._generator import generator_or_default
from .._tensor import Tensor
from ._layers import Dropout, _check_probability, _parameter_dtype, check_eps
from ._losses import _as_tensor
from ._module import Module
from ._multihead_attention import LinearOutIn, MultiheadAttention
from ._norm import LayerNorm

#: the activations named by a string, as PyTorch's ``_get_activation_fn``
_ACTIVATIONS = {"relu": ops.relu, "gelu": ops.gelu}


def _activation(who: str, activation):
    """The feed-forward activation: "relu", "gelu" or a callable of one tensor."""
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f'{who}: activation must be "relu", "gelu" or a callable, got {activation!r}'
            )
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(
            f'{who}: activation must be "relu", "gelu" or a callable, got {activation!r}'
        )
    return activation


def _check_sizes(who: str, d_model, nhead, dim_feedforward, dropout, layer_norm_eps) -> None:
    """The sizes, the dropout probability and the norms' eps, as errors naming ``who``."""
    check_counts(who, d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward)
    if d_model % nhead:
        raise ValueError(
            f"{who}: d_model {d_model} must be divisible by nhead {nhead} (each head gets "
            "d_model/nhead features)"
        )
    _check_probability(dropout, who)
    check_eps(f"{who} (layer_norm_eps)", layer_norm_eps, "a slice whose values are all equal")


def check_hint(who: str, name: str, causal, mask_name: str, mask) -> bool:
    """``is_causal`` as a bool: PyTorch's hint that the mask given is causal, which needs
    that mask (it is used as it is)."""
    causal = flag(who, name, causal)
    if causal and mask is None:
        raise ValueError(f"{who}: {name}=True is a hint that {mask_name} is causal and needs it")
    return causal


class _TransformerLayer(Module):
    """What both layers share: PyTorch's arguments, sub-layers (in its order, so its state
    dict's order and its draws' order) and the residual stream."""

    _attentions: tuple[str, ...] = ()  # the attention layers' names

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        who = type(self).__name__
        _check_sizes(who, d_model, nhead, dim_feedforward, dropout, layer_norm_eps)
        bias, batch_first = flag(who, "bias", bias), flag(who, "batch_first", batch_first)
        activation = _activation(who, activation)
        dtype = _parameter_dtype(who, dtype)
        generator_or_default(generator, who)  # a seed or a RandomState is refused, by name
        self.generator = generator
        options = {"batch_first": batch_first, "dtype": dtype, "generator": generator}
        for name in self._attentions:
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout, bias, **options))
        self.linear1 = LinearOutIn(d_model, dim_feedforward, bias, dtype, generator)
        self.dropout = Dropout(dropout, generator)
        self.linear2 = LinearOutIn(dim_feedforward, d_model, bias, dtype, generator)
        self.norm_first = flag(who, "norm_first", norm_first)
        blocks = range(1, len(self._attentions) + 2)
        for i in blocks:
            setattr(self, f"norm{i}", LayerNorm(d_model, layer_norm_eps, bias=bias, dtype=dtype))
        for i in blocks:
            setattr(self, f"dropout{i}", Dropout(dropout, generator))
        self.activation = activation

    def _input(self, name: str, value) -> Tensor:
        """``value`` as a Tensor of 3 axes, or 2 unbatched, the last of d_model features,
        else a ValueError naming the layer and the argument."""
        x, d_model = _as_tensor(value), self.linear1.in_features
        if x.ndim not in (2, 3) or x.shape[-1] != d_model:
            raise ValueError(
                f"{type(self).__name__}: {name} must have 3 axes, or 2 unbatched, the last of "
                f"d_model {d_model} features, got shape {x.shape}"
            )
        return x

    def _numbered(self, name: str) -> list[Module]:
        """norm1, norm2, … or dropout1, dropout2, …: one per block."""
        return [getattr(self, f"{name}{i}") for i in range(1, len(self._attentions) + 2)]

    def _residuals(self, x: Tensor, blocks) -> Tensor:
        """x through each block with its residual and norm, in the chosen order."""
        for block, norm in zip(blocks, self._numbered("norm")):
            x = x + block(norm(x)) if self.norm_first else norm(x + block(x))
        return x

    def _attend(self, i: int, x: Tensor, kv: Tensor, mask, padding, causal: bool) -> Tensor:
        """The i-th attention block: dropout_i(attention(x, kv, kv))."""
        attention = getattr(self, self._attentions[i])
        out, _ = attention(
            x,
            kv,
            kv,
            key_padding_mask=padding,
            need_weights=False,
            attn_mask=mask,
            is_causal=causal,
        )
        return self._numbered("dropout")[i](out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        """dropout_last(linear2(dropout(activation(linear1(x)))))."""
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self._numbered("dropout")[-1](self.linear2(hidden))


class TransformerEncoderLayer(_TransformerLayer):
    """A Transformer encoder layer, as PyTorch's ``nn.TransformerEncoderLayer``: self-
    attention, then a feed-forward network (linear1 to ``dim_feedforward``, the activation,
    linear2 back to ``d_model``), each with a residual and a `LayerNorm` (after, or before
    with ``norm_first``), dropout with probability ``dropout`` after the attention weights,
    each block and the activation, in training.

    Parameters as PyTorch's, in its order and (out, in) layouts: ``self_attn.*`` (a
    `MultiheadAttention`), ``linear1.weight`` (dim_feedforward, d_model), ``linear1.bias``,
    ``linear2.weight`` (d_model, dim_feedforward), ``linear2.bias``, ``norm1.*``,
    ``norm2.*``; no biases with ``bias=False``. ``activation`` is "relu", "gelu" or a
    callable. Inputs are (S, N, E) ((N, S, E) with ``batch_first``) or unbatched (S, E).
    ``dtype`` is the parameters'; ``generator`` draws the initial weights (PyTorch's Linear
    and MultiheadAttention inits) and the dropout masks, the library's when None.
    """

    _attentions = ("self_attn",)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False) -> Tensor:
        """The layer's output, shaped as ``src``. ``src_mask`` (S, S) or (N·nhead, S, S)
        and ``src_key_padding_mask`` (N, S) ((S,) unbatched) are boolean (True: left out)
        or float (added to the scores), as in `MultiheadAttention`; ``is_causal`` is
        PyTorch's hint that ``src_mask`` is causal, and needs it."""
        who = "TransformerEncoderLayer"
        causal = check_hint(who, "is_causal", is_causal, "src_mask", src_mask)
        x = self._input("src", src)

        def attend(y: Tensor) -> Tensor:
            return self._attend(0, y, y, src_mask, src_key_padding_mask, causal)

        return self._residuals(x, (attend, self._feed_forward))


class TransformerDecoderLayer(_TransformerLayer):
    """A Transformer decoder layer, as PyTorch's ``nn.TransformerDecoderLayer``: self-
    attention over the target, attention from the target to the encoder's output
    (``memory``), then the feed-forward network of `TransformerEncoderLayer`, each with a
    residual and a `LayerNorm` (after, or before with ``norm_first``), and dropout.

    Parameters as PyTorch's, in its order: ``self_attn.*``, ``multihead_attn.*``,
    ``linear1.*``, ``linear2.*``, ``norm1.*``, ``norm2.*``, ``norm3.*``. The arguments are
    `TransformerEncoderLayer`'s.
    """

    _attentions = ("self_attn", "multihead_attn")

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ) -> Tensor:
        """The layer's output, shaped as ``tgt`` ((T, N, E), (N, T, E) with
        ``batch_first``, or (T, E)); ``memory`` is (S, N, E), likewise. ``tgt_mask`` (T, T)
        and ``memory_mask`` (T, S) (or with N·nhead in front), ``tgt_key_padding_mask``
        (N, T) and ``memory_key_padding_mask`` (N, S) as in `MultiheadAttention`; the
        ``*_is_causal`` hints need their masks."""
        who = "TransformerDecoderLayer"
        tgt_causal = check_hint(who, "tgt_is_causal", tgt_is_causal, "tgt_mask", tgt_mask)
        mem_causal = check_hint(
            who, "memory_is_causal", memory_is_causal, "memory_mask", memory_mask
        )
        x, memory = self._input("tgt", tgt), self._input("memory", memory)

        def attend(y: Tensor) -> Tensor:
            return self._attend(0, y, y, tgt_mask, tgt_key_padding_mask, tgt_causal)

        def attend_memory(y: Tensor) -> Tensor:
            return self._attend(1, y, memory, memory_mask, memory_key_padding_mask, mem_causal)

        return self._residuals(x, (attend, attend_memory, self._feed_forward))
