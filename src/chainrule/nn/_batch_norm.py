"""Batch normalisation: the function `batch_norm`, and `_BatchNorm`, the base `BatchNorm1d`
and `BatchNorm2d` share (PyTorch's arguments, parameters, buffers, count of batches and
repr), and `BatchNorm1d`; `check_momentum`. `BatchNorm2d` is in ``_conv_layers.py``."""

from __future__ import annotations

import numbers

import numpy as np

from .._arguments import check_counts, flag
from .._tensor import Tensor
from ..ops._common import as_float
from ._layers import _parameter_dtype, check_eps
from ._module import Module, Parameter
from ._norm import _array, _as_input, _float_dtype


def check_momentum(who: str, momentum, allow_none: bool = False) -> None:
    """A batch normalisation's momentum: a number in [0, 1], or, for a layer
    (``allow_none``), PyTorch's None for a cumulative average."""
    if momentum is None and allow_none:
        return
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        also = " or None (a cumulative average)" if allow_none else ""
        raise TypeError(f"{who}: momentum must be a number in [0, 1]{also}, got {momentum!r}")
    if not 0 <= momentum <= 1:
        raise ValueError(f"{who}: momentum must be in [0, 1], got {momentum}")


class _BatchNorm(Module):
    """What `BatchNorm1d` and `BatchNorm2d` share, as PyTorch's ``_BatchNorm``: the
    arguments, parameters, buffers, counting of batches and repr; the normalisation itself
    is `batch_norm`'s. A subclass names the input shapes it takes (`_check_input`).

    ``weight`` (ones) and ``bias`` (zeros) have shape (C,), none with ``affine=False`` and
    no bias with ``bias=False`` (PyTorch's keyword). With ``track_running_stats`` the
    buffers ``running_mean`` (zeros) and ``running_var`` (ones), (C,), are updated in
    training and used in eval mode, and ``num_batches_tracked`` (an int64 0-d array)
    counts the training batches; each batch weighs ``momentum`` in the running statistics,
    or 1/num_batches_tracked with ``momentum=None`` (a cumulative average). Without it the
    three buffers are None and the batch's statistics are used in both modes. A state saved
    without ``num_batches_tracked`` (older chainrule) still loads: the count is left as it
    is, as PyTorch does for its older states. An integer or bool input is computed in the
    layer's dtype.
    """

    _optional_buffers = ("num_batches_tracked",)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
        dtype=None,
    ):
        who = type(self).__name__
        check_counts(who, num_features=num_features)
        check_momentum(who, momentum, allow_none=True)
        check_eps(who, eps, "a channel that is constant over the batch")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine = flag(who, "affine", affine)
        self.track_running_stats = track = flag(who, "track_running_stats", track_running_stats)
        self._dtype = dtype = _parameter_dtype(who, dtype)
        self.weight = Parameter(np.ones(num_features, dtype)) if self.affine else None
        with_bias = flag(who, "bias", bias) and self.affine
        self.bias = Parameter(np.zeros(num_features, dtype)) if with_bias else None
        self.register_buffer("running_mean", np.zeros(num_features, dtype) if track else None)
        self.register_buffer("running_var", np.ones(num_features, dtype) if track else None)
        count = np.zeros((), np.int64) if track else None
        self.register_buffer("num_batches_tracked", count)

    def forward(self, x) -> Tensor:

        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.dtype.kind in "biu":  # as in Linear: an integer input takes the layer's dtype
            x = as_float(x, self._dtype if self.weight is None else self.weight.dtype)
        self._check_input(x)
        batch = self.training or self.running_mean is None
        if batch:
            self._check_batch(x)
        stats = (self.running_mean, self.running_var, self.weight, self.bias)
        return batch_norm(x, *stats, batch, self._factor(), self.eps)

    def _check_input(self, x: Tensor) -> None:
        """A ValueError unless ``x`` has a shape the layer takes; subclasses name them."""
        raise NotImplementedError

    def _check_batch(self, x: Tensor) -> None:
        """Training needs a variance: more than one value per channel."""
        if x.size // x.shape[1] < 2:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) in training mode needs more "
                f"than one value per channel to compute a variance, got an input of shape "
                f"{x.shape} (use eval())"
            )

    def _factor(self) -> float:
        """This batch's weight in the running statistics (PyTorch's
        ``exponential_average_factor``), counting it when they are updated."""
        if not (self.training and self.track_running_stats):
            return 0.0
        self.num_batches_tracked += 1  # in place: plain NumPy, nothing recorded
        if self.momentum is None:
            return 1.0 / int(self.num_batches_tracked)
        return self.momentum

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs per channel C, as PyTorch's
    ``nn.BatchNorm1d`` (see `batch_norm`): y = (x − μ) / √(σ² + eps) · weight + bias, with
    μ and σ² the batch's mean and biased variance over N (and L) in training, the running
    statistics (unbiased variance) in eval mode. Arguments, parameters and buffers as
    `_BatchNorm`'s. Composed from core ops, so its gradient needs no rule of its own.
    """

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            c = self.num_features
            raise ValueError(
                f"BatchNorm1d({c}) expects inputs of shape (N, {c}) or (N, {c}, L), got {x.shape}"
            )


def _column(p, ndim: int):
    """A per-channel vector (C,) as (C, 1, …) to broadcast over the ``ndim - 2`` axes after
    the channels."""
    p = p if isinstance(p, Tensor) else np.asarray(p)
    return p.reshape((p.shape[0],) + (1,) * (ndim - 2))


def _affine(out: Tensor, weight, bias) -> Tensor:
    """out · weight + bias per channel (either may be None)."""
    if weight is not None:
        out = out * _column(weight, out.ndim)
    if bias is not None:
        out = out + _column(bias, out.ndim)
    return out


def _check_channels(who: str, x: Tensor, **vectors) -> None:
    """``x`` is (N, C, …) and each given per-channel vector has shape (C,)."""
    if x.ndim < 2:
        raise ValueError(f"{who}: input must be (N, C, …), got shape {x.shape}")
    for name, v in vectors.items():
        if v is not None and _array(v).shape != (x.shape[1],):
            raise ValueError(
                f"{who}: {name} must have one value per channel, shape ({x.shape[1]},), "
                f"got {_array(v).shape}"
            )


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of an (N, C, …) input per channel, as PyTorch's
    ``F.batch_norm``: y = (x − μ) / √(σ² + eps) · weight + bias.

    With ``training``, μ and σ² are the batch's mean and biased variance over every axis
    but the channels, and the running statistics (arrays of shape (C,), or None) are
    updated in place: running ← (1 − momentum)·running + momentum·batch, with the unbiased
    variance (σ²·n/(n − 1)), as PyTorch's. Otherwise μ and σ² are the running statistics.
    An integer or bool input is computed in ``weight``'s dtype, or the default one."""
    who = "batch_norm"
    training = flag(who, "training", training)
    check_momentum(who, momentum)
    check_eps(who, eps, "a channel that is constant over the batch")
    x = _as_input(input, _float_dtype(weight))
    stats = {"running_mean": running_mean, "running_var": running_var}
    _check_channels(who, x, **stats, weight=weight, bias=bias)
    if training:
        return _affine(_batch_normalise(x, running_mean, running_var, momentum, eps), weight, bias)
    if running_mean is None or running_var is None:
        raise ValueError(f"{who}: running_mean and running_var are needed when not training")
    inv_std = 1.0 / np.sqrt(_array(running_var) + eps)
    out = (x - _column(_array(running_mean), x.ndim)) * _column(inv_std, x.ndim)
    return _affine(out, weight, bias)


def _batch_normalise(x: Tensor, running_mean, running_var, momentum: float, eps: float):
    """(x − μ) / √(σ² + eps) with the batch's statistics per channel, which update the
    running ones when they are given."""
    axes = (0, *range(2, x.ndim))
    n = x.size // x.shape[1]
    if n < 2:
        raise ValueError(
            f"batch_norm: training needs more than one value per channel to compute a "
            f"variance, got an input of shape {x.shape} (use eval())"
        )
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)  # biased, as in the output
    if running_mean is not None:
        _update(_array(running_mean), mean.data.reshape(-1), momentum)
    if running_var is not None:
        _update(_array(running_var), var.data.reshape(-1) * (n / (n - 1)), momentum)
    return centred / (var + eps).sqrt()


def _update(running: np.ndarray, batch: np.ndarray, momentum: float) -> None:
    """running ← (1 − momentum)·running + momentum·batch, in place (nothing recorded)."""
    running *= 1 - momentum
    running += momentum * batch
