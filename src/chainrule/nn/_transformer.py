"""`TransformerEncoder` and `TransformerDecoder` (stacks of copies of one layer, with an
optional final norm) and `Transformer` (an encoder and a decoder), as PyTorch's, so a
PyTorch state dict (``encoder.layers.0.self_attn.in_proj_weight``, …, ``encoder.norm.weight``)
loads as it is:

    memory = encoder(src) = norm(layer_K(… layer_1(src)))
    out    = decoder(tgt, memory) = norm(layer_K(… layer_1(tgt, memory), memory))
"""

from __future__ import annotations

import copy

import numpy as np

from .._arguments import check_counts, flag
from .._dtypes import get_default_dtype
from .._generator import generator_or_default
from .._tensor import Tensor
from ..ops._casts import device_and_dtype
from ._init import xavier_uniform_
from ._losses import _as_tensor
from ._module import Module
from ._norm import LayerNorm
from ._sequential import ModuleList
from ._transformer_layers import (
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    check_hint,
)


def _clones(who: str, layer, num_layers) -> ModuleList:
    """``num_layers`` deep copies of ``layer`` (each then trained on its own, as PyTorch's
    ``_get_clones``); the layer's generator is shared, not copied, so that the copies draw
    different dropout masks."""
    if not isinstance(layer, Module):
        raise TypeError(f"{who}: the layer must be a Module, got {type(layer).__name__}")
    check_counts(who, num_layers=num_layers)
    generator = getattr(layer, "generator", None)
    memo = {} if generator is None else {id(generator): generator}
    return ModuleList([copy.deepcopy(layer, dict(memo)) for _ in range(num_layers)])


def _final_norm(who: str, norm):
    """The optional norm after the last layer: a Module or None."""
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{who}: norm must be a Module or None, got {type(norm).__name__}")
    return norm


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (a `TransformerEncoderLayer`;
    the copies start equal, as PyTorch's), named ``layers.0``, ``layers.1``, …, then
    ``norm`` (e.g. a `LayerNorm`) when given, as PyTorch's ``nn.TransformerEncoder``.
    PyTorch's ``enable_nested_tensor`` and ``mask_check`` choose its fast paths; they are
    kept and change nothing here (padded positions are computed, not zeroed)."""

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ):
        self.layers = _clones("TransformerEncoder", encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = _final_norm("TransformerEncoder", norm)
        self.enable_nested_tensor = flag(
            "TransformerEncoder", "enable_nested_tensor", enable_nested_tensor
        )
        self.mask_check = flag("TransformerEncoder", "mask_check", mask_check)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None) -> Tensor:
        """``src`` through each layer with the same ``mask`` and ``src_key_padding_mask``
        (see `TransformerEncoderLayer.forward`), then the norm. ``is_causal`` (None: False)
        is PyTorch's hint that ``mask`` is causal, and needs it."""
        causal = check_hint("TransformerEncoder", "is_causal", is_causal, "mask", mask)
        x = _as_tensor(src)
        for layer in self.layers:
            x = layer(x, mask, src_key_padding_mask, causal)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` (a `TransformerDecoderLayer`),
    each attending to the same ``memory``, then ``norm`` when given, as PyTorch's
    ``nn.TransformerDecoder`` (``layers.0.…``, ``norm.…``)."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        self.layers = _clones("TransformerDecoder", decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = _final_norm("TransformerDecoder", norm)

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ) -> Tensor:
        """``tgt`` through each layer with ``memory`` and the masks (see
        `TransformerDecoderLayer.forward`), then the norm."""
        who = "TransformerDecoder"
        tgt_causal = check_hint(who, "tgt_is_causal", tgt_is_causal, "tgt_mask", tgt_mask)
        mem_causal = check_hint(
            who, "memory_is_causal", memory_is_causal, "memory_mask", memory_mask
        )
        x, memory = _as_tensor(tgt), _as_tensor(memory)
        masks = (tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
        for layer in self.layers:
            x = layer(x, memory, *masks, tgt_causal, mem_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer, as PyTorch's ``nn.Transformer``: a
    `TransformerEncoder` of ``num_encoder_layers`` layers and a `TransformerDecoder` of
    ``num_decoder_layers``, each ending with a `LayerNorm` (``encoder.norm``,
    ``decoder.norm``), or ``custom_encoder`` / ``custom_decoder`` in their place. The layers
    take the other arguments (see `TransformerEncoderLayer`). As PyTorch's, every
    parameter with 2 axes or more is then drawn again from Xavier-uniform, from
    ``generator`` (the library's when None), which also draws the dropout masks."""

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        generator_or_default(generator, "Transformer")
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_args += (batch_first, norm_first, bias)
        options = {"dtype": dtype, "generator": generator}
        norm = {"eps": layer_norm_eps, "bias": bias, "dtype": dtype}
        if custom_encoder is None:
            layer = TransformerEncoderLayer(*layer_args, **options)
            custom_encoder = TransformerEncoder(
                layer, num_encoder_layers, LayerNorm(d_model, **norm)
            )
        if custom_decoder is None:
            layer = TransformerDecoderLayer(*layer_args, **options)
            custom_decoder = TransformerDecoder(
                layer, num_decoder_layers, LayerNorm(d_model, **norm)
            )
        self.encoder, self.decoder = custom_encoder, custom_decoder
        for p in self.parameters():
            if p.ndim > 1:
                xavier_uniform_(p, generator=generator)
        self.d_model, self.nhead = d_model, nhead
        self.batch_first = flag("Transformer", "batch_first", batch_first)

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ) -> Tensor:
        """The decoder's output for ``tgt`` (T, N, E) ((N, T, E) with ``batch_first``, or
        (T, E)) attending to the encoded ``src`` (S, N, E); the masks as in the layers
        (``src_mask`` (S, S), ``tgt_mask`` (T, T), ``memory_mask`` (T, S), key padding
        masks (N, S), (N, T), (N, S)); see `generate_square_subsequent_mask` for ``tgt_mask``."""
        src, tgt = _as_tensor(src), _as_tensor(tgt)
        self._check_inputs(src, tgt)
        memory = self.encoder(src, src_mask, src_key_padding_mask, src_is_causal)
        masks = (tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
        return self.decoder(tgt, memory, *masks, tgt_is_causal, memory_is_causal)

    def _check_inputs(self, src: Tensor, tgt: Tensor) -> None:
        """PyTorch's checks: as many samples in both, d_model features; and both batched or
        both unbatched."""
        shapes = f"src {src.shape}, tgt {tgt.shape}"
        if src.ndim != tgt.ndim:
            raise ValueError(
                f"Transformer: src and tgt must both be batched (3 axes) or both unbatched (2), "
                f"got {shapes}"
            )
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch] != tgt.shape[batch]:
            raise ValueError(f"Transformer: src and tgt must have as many samples, got {shapes}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer: the last axis of src and tgt must be d_model {self.d_model}, "
                f"got {shapes}"
            )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The causal mask (sz, sz) for ``tgt_mask``: 0 on and below the diagonal, −inf
        above it (position i sees positions 0..i), in ``dtype`` (a floating one; the default
        float dtype when None), as PyTorch's. ``device`` may be "cpu" or None."""
        who = "Transformer.generate_square_subsequent_mask"
        check_counts(who, least=0, sz=sz)
        dtype = device_and_dtype(who, (), dtype, device)
        dtype = get_default_dtype() if dtype is None else dtype
        if dtype.kind != "f":
            raise TypeError(
                f"{who}: dtype must be a floating dtype (the mask holds -inf), got {dtype}"
            )
        above = np.triu(np.ones((sz, sz), bool), k=1)
        return Tensor(np.where(above, -np.inf, 0.0).astype(dtype))
