"""`Dropout1d`, `Dropout3d` and their functions `dropout1d`, `dropout3d`: channel dropout
as `Dropout2d`'s (`drop_channels`, one mask value per sample and channel), for (N, C, L)
and (N, C, D, H, W) inputs, or (C, L) and (C, D, H, W) without the batch axis, one mask
value per channel, as PyTorch's."""

from __future__ import annotations

import numpy as np

from .._arguments import flag
from .._tensor import Tensor
from ._conv_layers import drop_channels
from ._layers import Dropout, _check_probability, _generator, _inplace

_AXES = {1: "L", 3: "D, H, W"}  # the axes after the channels


def dropout1d(
    input,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | None = None,
    *,
    inplace: bool = False,
) -> Tensor:
    """Channel dropout, as PyTorch's ``F.dropout1d``: each channel of an (N, C, L) input
    (all its L values), or of a (C, L) one, is zeroed with probability p and the rest
    scaled by 1/(1 − p); ``training=False`` returns the input. The mask comes from
    ``generator``, or the library's, as `dropout`'s; ``inplace`` changes nothing."""
    return _channel_dropout("dropout1d", 1, input, p, training, generator, inplace)


def dropout3d(
    input,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | None = None,
    *,
    inplace: bool = False,
) -> Tensor:
    """Channel dropout, as PyTorch's ``F.dropout3d``: each channel of an (N, C, D, H, W)
    input, or of a (C, D, H, W) one, is zeroed with probability p and the rest scaled by
    1/(1 − p), as `dropout1d`'s."""
    return _channel_dropout("dropout3d", 3, input, p, training, generator, inplace)


def _channel_dropout(who, dims, input, p, training, generator, inplace) -> Tensor:
    """`drop_channels` of an input with ``dims`` axes after the channels, batched or not."""
    _check_probability(p, who)
    _inplace(who, inplace)
    rng = _generator(who, generator)
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (dims + 1, dims + 2):
        axes = _AXES[dims]
        raise ValueError(f"{who}: input must be (N, C, {axes}) or (C, {axes}), got shape {x.shape}")
    if not flag(who, "training", training) or p == 0:
        return x
    return drop_channels(x, p, rng, batched=x.ndim == dims + 2)


class Dropout1d(Dropout):
    """Channel dropout of (N, C, L) or (C, L) inputs with probability ``p`` in training (see
    `dropout1d`); the identity in eval mode. Arguments as `Dropout`'s."""

    def forward(self, x) -> Tensor:
        return dropout1d(x, self.p, self.training, self.generator)


class Dropout3d(Dropout):
    """Channel dropout of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p`` in
    training (see `dropout3d`); the identity in eval mode. Arguments as `Dropout`'s."""

    def forward(self, x) -> Tensor:
        return dropout3d(x, self.p, self.training, self.generator)
