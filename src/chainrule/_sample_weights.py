"""Keras's ``sample_weight`` and ``class_weight`` in `fit` and `evaluate`: the loader whose
batches carry weights, the checks of the weights, and the weighted loss of a batch (each
sample's loss times its weight, over what the loss's mean divides by)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping

import numpy as np

from ._metrics import batch_metrics, is_summed, loss_option, own_default, unwrapped_loss
from ._tensor import Tensor
from .data import DataLoader


class WeightedLoader(DataLoader):
    """A `DataLoader` over an `ArrayDataset` whose batches are ``(x, y, w)``: with each
    batch the sample weights ``w`` (float64) of the samples drawn, in the loader's order.
    The weights are data, as the arrays are: a resume point or checkpoint holds none."""

    def __init__(self, dataset, sample_weight: np.ndarray, batch_size: int, **options):
        super().__init__(dataset, batch_size, **options)
        self.sample_weight = sample_weight  # (N,), checked by `checked_sample_weight`

    def _batch(self, idx: np.ndarray) -> tuple:
        return (*super()._batch(idx), self.sample_weight[idx])


def checked_sample_weight(w, n: int, owner: str) -> np.ndarray:
    """Keras's ``sample_weight`` as a float64 array (N,): one finite, non-negative number
    a sample (shape (N,) or (N, 1)); anything else is an error naming the argument."""
    w = np.asarray(w.data if isinstance(w, Tensor) else w)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: sample_weight must hold numbers, got dtype {w.dtype}")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1:
        raise ValueError(
            f"{owner}: sample_weight must be one weight a sample, shape ({n},), got shape "
            f"{w.shape} (Keras's temporal weights, one a time step, are not supported)"
        )
    if len(w) != n:
        raise ValueError(f"{owner}: sample_weight has {len(w)} weights for {n} samples")
    w = w.astype(np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        bad = w[~(np.isfinite(w) & (w >= 0))][0]
        raise ValueError(f"{owner}: sample_weight must be finite and >= 0, got {bad}")
    return w


def check_class_weight(class_weight, classes: int | None = None) -> None:
    """``class_weight`` must be a dict of class indices (ints in [0, ``classes``)) to
    finite, non-negative numbers; ``classes`` None checks the keys' type and sign only."""
    if not isinstance(class_weight, Mapping):
        raise TypeError(
            "fit: class_weight must be a dict {class index: weight}, got "
            f"{type(class_weight).__name__}"
        )
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise TypeError(f"fit: class_weight's keys must be class indices (ints), got {key!r}")
        if key < 0 or (classes is not None and key >= classes):
            among = "the classes" if classes is None else f"the model's {classes} classes"
            raise ValueError(f"fit: class_weight's key {key} is not one of {among}")
        _check_class_weight_value(key, weight)


def _check_class_weight_value(key, weight) -> None:
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
        raise TypeError(f"fit: class_weight[{key}] must be a number, got {weight!r}")
    if not (np.isfinite(weight) and weight >= 0):
        raise ValueError(f"fit: class_weight[{key}] must be finite and >= 0, got {weight}")


def is_weighted(loader) -> bool:
    """Whether ``loader``'s batches carry sample weights."""
    return isinstance(loader, WeightedLoader)


def per_element(loss_fn, owner: str = "fit"):
    """``loss_fn`` giving the loss of every element, ``reduction="none"``: a copy of a loss
    module, or a loss function (or a `functools.partial` of one) with that keyword. A loss
    with no reduction to set (a lambda) is a TypeError: weights need each sample's loss."""
    if not isinstance(loss_fn, functools.partial) and hasattr(loss_fn, "reduction"):
        each = copy.copy(loss_fn)  # the caller's module keeps its reduction
        try:
            each.reduction = "none"
            return each
        except AttributeError:  # a fused loss node (nn.SoftmaxWithLoss): its mean is fixed
            pass
    elif _takes_reduction(unwrapped_loss(loss_fn)):
        return functools.partial(loss_fn, reduction="none")
    raise TypeError(
        f"{owner}: sample_weight and class_weight weigh each sample's loss, which "
        f"{getattr(loss_fn, '__name__', type(loss_fn).__name__)} cannot give: use a loss "
        "module (cr.nn.CrossEntropyLoss()) or a loss function with a reduction keyword "
        "(cr.nn.functional.cross_entropy)"
    )


def _takes_reduction(fn) -> bool:
    """Whether loss function ``fn`` has a ``reduction`` keyword (its signature read once
    per function, as `loss_option` reads it: this runs every weighted batch)."""
    return own_default(fn, "reduction", None) is not None


def batch_loss(loss_fn, out: Tensor, y: np.ndarray, w: np.ndarray | None) -> Tensor:
    """The loss of a batch; with sample weights ``w`` (N,) Keras's weighted loss: each
    element's loss times its sample's weight, summed, over what the loss's mean divides by
    (the number of elements: Keras's "sum_over_batch_size", Σ wᵢ·lᵢ / N for one loss a
    sample; for labels of class scores the rows scored, or Σ weight[y] for a loss with
    class weights, as in `batch_metrics`; the samples for ``kl_div``'s "batchmean"). With
    ``reduction="sum"``: Σ wᵢ·lᵢ."""
    if w is None:
        return loss_fn(out, y)
    losses = per_element(loss_fn)(out, y)  # (N, ...): a loss a sample or a position
    total = (losses * w.astype(losses.dtype).reshape((-1,) + (1,) * (losses.ndim - 1))).sum()
    if is_summed(loss_fn):
        return total
    return total / _divisor(losses, out, y, loss_fn)


def _divisor(losses: Tensor, out: Tensor, y: np.ndarray, loss_fn) -> float:
    """What the loss's own mean of ``losses`` divides by (the batch size for ``kl_div``'s
    "batchmean", whose sum over a sample's elements is its KL divergence)."""
    if loss_option(loss_fn, "reduction", "mean") == "batchmean":
        return float(len(losses)) if losses.ndim else 1.0
    if losses.shape == y.shape != out.shape:  # labels of class scores (cross-entropy, NLL)
        metrics = batch_metrics(out, y, loss_fn)
        if metrics is not None:
            return metrics[3]
    return float(np.prod(losses.shape))
