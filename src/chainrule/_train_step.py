"""One training step, `train_step`: forward, loss, backward and the optimizer's step."""

from __future__ import annotations

import contextlib

import numpy as np

from ._fit_data import as_input
from ._metrics import batch_metrics, is_summed
from ._sample_weights import batch_loss
from ._tensor import Tensor

__all__ = ["train_step"]


def _nothing_scored(value: float, out: Tensor, y: np.ndarray, loss_fn) -> bool:
    """Whether a NaN loss is the 0/0 mean of a batch whose rows all weigh nothing."""
    if not np.isnan(value) or is_summed(loss_fn):
        return False
    metrics = batch_metrics(out, y, loss_fn)
    return metrics is not None and metrics[3] == 0


def train_step(
    model, loss_fn, optimizer, x: np.ndarray, y: np.ndarray, dtype=None, *, sample_weight=None
):
    """One mini-batch: forward, loss, backward, optimizer step. Returns (loss, output).

    ``dtype``: the float dtype floating inputs are cast to (see `input_dtype`).
    ``sample_weight``: the batch's weights (N,), as Keras weighs a batch's loss: Σ wᵢ·lᵢ / N
    (see `fit`); the loss must be able to give each sample's loss. A loss that
    is NaN or infinite raises `FloatingPointError` before the optimizer steps (after the
    forward pass: layers that keep running statistics have seen the batch), except the NaN
    mean of a batch with nothing to score (every label the loss's ``ignore_index``, or of
    class weight 0): that batch is skipped, no backward and no step, as there is nothing
    to learn from it (its gradients would be zeros, on which Adam's momentum still moves).

    An optimizer that evaluates the loss itself, several times a step (`optim.LBFGS`),
    is given a closure doing the forward pass, loss and backward; the loss and output
    returned are those of its first evaluation, before any move, as PyTorch's step
    returns."""
    x = as_input(x, dtype)
    if getattr(optimizer, "needs_closure", False):
        return _closure_step(model, loss_fn, optimizer, x, y, sample_weight)
    optimizer.zero_grad()  # first: the old gradients are freed before the new graph is built
    out = model(x)
    loss = batch_loss(loss_fn, out, y, sample_weight)
    value = loss.item()
    if not np.isfinite(value):
        if _nothing_scored(value, out, y, loss_fn):
            return value, out
        raise FloatingPointError(f"the loss became {value}")
    loss.backward()
    optimizer.step()
    return value, out


class _NothingScoredError(Exception):
    """Raised by `_closure_step`'s closure at a first loss with nothing to score, so that
    the optimizer does not step."""


def _closure_step(model, loss_fn, optimizer, x, y, sample_weight):
    """`train_step` for an optimizer whose step calls a closure: the same checks on the
    first loss, made inside the closure before anything moves."""
    first = []

    def closure():
        optimizer.zero_grad()
        out = model(x)
        loss = batch_loss(loss_fn, out, y, sample_weight)
        if not first:
            value = loss.item()
            first.append((value, out))
            if not np.isfinite(value):
                if _nothing_scored(value, out, y, loss_fn):
                    raise _NothingScoredError
                raise FloatingPointError(f"the loss became {value}")
        loss.backward()
        return loss

    with contextlib.suppress(_NothingScoredError):
        optimizer.step(closure)
    return first[0]
