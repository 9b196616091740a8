"""`InstanceNorm1d`, `InstanceNorm2d` and the function `instance_norm`, with PyTorch's
arguments, defaults, parameters, buffers, state keys and reprs.

Instance normalisation is group normalisation with one channel per group: each sample's
channel is normalised by its own mean and biased variance over the axes after the
channels, so the output is `group_norm`'s with C groups (composed from core ops; its
gradient needs no rule of its own). With running statistics, training updates them from
the batch's mean of the instances' means and unbiased variances, and eval mode uses them
through `batch_norm`'s eval path, as PyTorch's ``torch.instance_norm`` does.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import flag
from .._tensor import Tensor
from ._batch_norm import _BatchNorm, _update, batch_norm, check_momentum
from ._conv_layers import _check_channels, group_norm
from ._layers import check_eps
from ._norm import _array, _as_input, _float_dtype


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation of an (N, C, …) input, as PyTorch's ``F.instance_norm``:
    y = (x − μ) / √(σ² + eps) · weight + bias, with μ and σ² each sample's channel's mean
    and biased variance over the axes after the channels.

    With ``use_input_stats`` (the default) the running statistics (arrays (C,), or None)
    are updated in place: running ← (1 − momentum)·running + momentum·batch, the batch's
    value being the mean over N of the instances' means and unbiased variances. Without
    it, μ and σ² are the running statistics. An integer or bool input is computed in
    ``weight``'s dtype, or the default one."""
    args = (running_mean, running_var, weight, bias, use_input_stats, momentum, eps)
    return _instance_norm("instance_norm", input, *args)


def _instance_norm(who, input, running_mean, running_var, weight, bias, use_input, momentum, eps):
    use_input = flag(who, "use_input_stats", use_input)
    check_momentum(who, momentum)
    check_eps(who, eps, "a channel of one sample whose values are all equal")
    x = _as_input(input, _float_dtype(weight))
    stats = {"running_mean": running_mean, "running_var": running_var}
    _check_channels(who, x, **stats, weight=weight, bias=bias)
    if x.ndim < 3:
        raise ValueError(f"{who}: input must be (N, C, …) with a spatial axis, got {x.shape}")
    if not use_input:
        if running_mean is None or running_var is None:
            raise ValueError(f"{who}: running_mean and running_var are needed without input stats")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    _check_spatial(who, x.shape)
    _update_running(x.data.reshape(x.shape[0], x.shape[1], -1), running_mean, running_var, momentum)
    return group_norm(x, x.shape[1], weight, bias, eps)


def _check_spatial(who: str, shape) -> None:
    """The instance statistics need more than one value per sample and channel."""
    if int(np.prod(shape[2:])) < 2:
        raise ValueError(
            f"{who}: expected more than 1 spatial element when training, got input size "
            f"{tuple(shape)}"
        )


def _update_running(planes: np.ndarray, running_mean, running_var, momentum: float) -> None:
    """planes (N, C, L): the running statistics moved towards the mean over N of each
    instance's mean and unbiased variance (nothing recorded)."""
    if running_mean is not None:
        _update(_array(running_mean), planes.mean(axis=2).mean(axis=0), momentum)
    if running_var is not None:
        _update(_array(running_var), planes.var(axis=2, ddof=1).mean(axis=0), momentum)


class _InstanceNorm(_BatchNorm):
    """What `InstanceNorm1d` and `InstanceNorm2d` share, as PyTorch's ``_InstanceNorm``:
    `_BatchNorm`'s arguments, parameters, buffers (and so state keys) and repr, with
    PyTorch's defaults ``affine=False`` and ``track_running_stats=False``. The statistics
    are the instance's in training, and in eval mode too unless the running ones are
    tracked; ``momentum=None`` leaves them as they are (PyTorch passes 0), and
    ``num_batches_tracked`` stays 0, as PyTorch's. A subclass gives its number of spatial
    axes (``_spatial``, named ``_axes``); an input without the batch axis is normalised as a
    batch of one. Unlike PyTorch's, an input whose channels are not ``num_features`` is a
    ValueError even without ``affine`` (PyTorch then warns and normalises it, unless it
    tracks running statistics)."""

    _spatial, _axes = 1, "L"

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        bias: bool = True,
        dtype=None,
    ):
        settings = (num_features, eps, momentum, affine, track_running_stats)
        super().__init__(*settings, bias=bias, dtype=dtype)

    def forward(self, x) -> Tensor:
        # as in BatchNorm: an integer input takes the layer's dtype
        x = _as_input(x, self._dtype if self.weight is None else self.weight.dtype)
        self._check_input(x)
        unbatched = x.ndim == self._spatial + 1
        if unbatched:
            x = ops.reshape(x, 1, *x.shape)
        use_input = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        stats = (self.running_mean, self.running_var, self.weight, self.bias)
        who = f"{type(self).__name__}({self.num_features})"
        out = _instance_norm(who, x, *stats, use_input, momentum, self.eps)
        return ops.reshape(out, *out.shape[1:]) if unbatched else out

    def _check_input(self, x: Tensor) -> None:
        c, name, axes = self.num_features, type(self).__name__, self._axes
        ok = x.ndim - self._spatial in (1, 2) and x.shape[-self._spatial - 1] == c
        if not ok:
            raise ValueError(
                f"{name}({c}) expects inputs of shape (N, {c}, {axes}) or ({c}, {axes}), "
                f"got {x.shape}"
            )


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) inputs, as PyTorch's
    ``nn.InstanceNorm1d`` (see `instance_norm` and `_InstanceNorm`): each sample's channel
    normalised over L."""


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) inputs, as PyTorch's
    ``nn.InstanceNorm2d`` (see `instance_norm` and `_InstanceNorm`): each sample's channel
    normalised over H and W."""

    _spatial, _axes = 2, "H, W"
