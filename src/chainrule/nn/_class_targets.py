"""The targets of the classification losses (`cross_entropy`, `nll_loss`): class labels
checked against the classes, PyTorch's options ``weight``, ``ignore_index`` and
``label_smoothing`` and the target they give, and inputs (N, C, d₁, …) taken as rows."""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..ops._common import divided, is_tensor
from ._losses import _check_nonempty, _checked_weight

IGNORE_INDEX = -100  # PyTorch's default ignore_index: a label that leaves its row out


class _IgnoredLabelError(ValueError):
    """Raised by the plain `SoftmaxWithLoss` node for labels equal to -100, which
    `cross_entropy` then computes with `WeightedSoftmaxWithLoss` (rows left out)."""


def label_shape(shape: tuple) -> tuple:
    """The class labels' shape for an input of ``shape``: (N, d₁, …) for (N, C, d₁, …)."""
    return (shape[0], *shape[2:])


def is_label_shaped(t: np.ndarray, shape: tuple) -> bool:
    """Whether ``t`` is meant as class labels for an input of ``shape``: any (K,) for
    (N, C) (the shape check names a wrong K), (N, d₁, …) exactly for (N, C, d₁, …)."""
    if len(shape) > 2:
        return t.shape == label_shape(shape)
    return t.ndim == 1 and len(shape) == 2


def _checked_smoothing(loss: str, label_smoothing) -> float:
    if isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(
        label_smoothing, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"{loss}: label_smoothing must be a number in [0, 1], got {label_smoothing!r} "
            f"of type {type(label_smoothing).__name__}"
        )
    if not 0 <= label_smoothing <= 1:  # NaN fails too
        raise ValueError(f"{loss}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    return float(label_smoothing)


def _checked_options(loss: str, weight, ignore_index, label_smoothing) -> tuple:
    """(weight as a float64 array or None, ignore_index, label_smoothing), each checked."""
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(
        ignore_index, (int, np.integer)
    ):
        raise TypeError(
            f"{loss}: ignore_index must be an int (a class label whose rows are left out), "
            f"got {ignore_index!r} of type {type(ignore_index).__name__}"
        )
    return (
        _checked_weight(loss, weight),
        int(ignore_index),
        _checked_smoothing(loss, label_smoothing),
    )


def _check_weight_length(
    loss: str, weight: np.ndarray | None, shape: tuple, inputs: str = "logits"
) -> None:
    """One weight per class: ``inputs`` names the (N, C, …) input (logits,
    log-probabilities)."""
    if weight is not None and len(shape) >= 2 and len(weight) != shape[1]:
        raise ValueError(
            f"{loss}: weight has {len(weight)} values, but the {inputs} of shape {shape} have "
            f"{shape[1]} classes: give one weight per class"
        )


def _check_no_ignore_index(ignore_index: int, shape: tuple) -> None:
    """ignore_index names a class label; probability targets have none (PyTorch refuses
    it too). The default, -100, is accepted: it is there without being asked for."""
    if ignore_index != IGNORE_INDEX:
        labels = "(N,)" if len(shape) == 2 else "(N, d₁, …)"
        raise ValueError(
            f"cross_entropy: ignore_index={ignore_index} applies to class labels {labels} only, "
            f"not to probability targets of shape {shape}; leave it at its default "
            f"({IGNORE_INDEX}) or give a zero row to leave a sample out"
        )


def _check_out_of_range(
    t: np.ndarray, c: int, ignore_index: int | None, loss: str = "cross_entropy"
) -> None:
    """Refuse a label outside 0..C−1 that is not ``ignore_index``. ``None`` is the plain
    node's: it takes no option, so a label equal to PyTorch's default ignore_index (−100)
    raises `_IgnoredLabelError`, for `cross_entropy` to leave those rows out."""
    ignored = IGNORE_INDEX if ignore_index is None else ignore_index
    bad = ((t < 0) | (t >= c)) & (t != ignored)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        where = i if t.ndim == 1 else tuple(int(k) for k in np.unravel_index(i, t.shape))
        raise ValueError(
            f"{loss}: label {t.flat[i]} (at position {where}) is out of range for {c} classes "
            f"(labels must be in 0..{c - 1}); ignore_index ({ignored}) marks a row to leave out"
        )
    if ignore_index is None:
        i = np.flatnonzero(t == ignored)[0]
        raise _IgnoredLabelError(
            f"cross_entropy: label {ignored} (at position {i}) is ignore_index; the "
            "SoftmaxWithLoss node takes every row: cross_entropy leaves such rows out"
        )


def _checked_target(
    x: np.ndarray, t: np.ndarray, ignore_index: int | None = None, loss: str = "cross_entropy"
) -> np.ndarray:
    """Class labels (N,) checked for dtype and range (``ignore_index`` allowed, see
    `_check_out_of_range`), or probabilities (N, C) in x's dtype; ``loss`` names the loss
    in the messages (`nll_loss` checks its shapes first, then reuses the label checks)."""
    if x.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {x.shape}")
    n, c = x.shape
    if c == 0 and n > 0:  # no class for any label to name, nor a distribution over none
        raise ValueError(f"cross_entropy: logits of shape {x.shape} have no classes")
    if t.shape == x.shape:
        return t.astype(x.dtype, copy=False)
    if t.shape != (n,):
        column = t.shape == (n, 1)  # Keras's habit: labels as a DataFrame column gives them
        raise ValueError(
            f"cross_entropy: a target of shape {t.shape} fits neither class labels of shape "
            f"({n},) nor probabilities of shape {x.shape} for logits of shape {x.shape}"
            + (" (labels in a column: target.reshape(-1) flattens them)" if column else "")
        )
    if t.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: class labels must be integers, got dtype {t.dtype} "
            f"(probability or one-hot targets have the logits' shape {x.shape})"
        )
    if t.size and (t.min() < 0 or t.max() >= c):
        _check_out_of_range(t, c, ignore_index, loss)
    return t


def label_weights(t: np.ndarray, c: int, dtype, w, ignore_index: int, smoothing: float = 0.0):
    """For class labels t (N,) and C classes: the target q (N, C) in ``dtype`` --
    (1 − ε)·w[yₙ] at each label plus ε/C·w in its row, 0 in a row whose label is
    ``ignore_index`` (w is 1 when None) --, the mask of the rows kept, and the mean's
    divisor D = Σ w[yₙ] over them (their number without weights). Shared by
    `WeightedSoftmaxWithLoss` and `nll_loss` (ε = 0)."""
    keep = t != ignore_index
    rows, labels = np.flatnonzero(keep), t[keep]
    q = np.zeros((len(t), c), dtype)
    if smoothing:
        q[rows] = (smoothing / c) * (np.ones(c, dtype) if w is None else w)
    q[rows, labels] += (1 - smoothing) * (1 if w is None else w[labels])
    d = len(rows) if w is None else w[labels].sum(dtype=dtype)
    return q, keep, d


def _over(total, d):
    """``total / d`` for the mean's divisor: a count (see `divided`) or a sum of weights;
    NaN when there is none (every label ignored, or all their weights 0), as in PyTorch."""
    if isinstance(d, int):
        return divided(total, d)
    return total / d if d.ndim == 0 else total.dtype.type(np.nan)


def _classes_last(a):
    """(N, C, d₁, …) → (N, d₁, …, C), for a Tensor or an array."""
    axes = (0, *range(2, a.ndim), 1)
    return a.permute(*axes) if is_tensor(a) else a.transpose(axes)


def positions_as_rows(x: Tensor, t) -> tuple:
    """An input (N, C, d₁, …) as rows (M, C), M = N·d₁·…, the class axis moved last, and
    its target as labels (M,) or probability rows (M, C) in the same order; permute and
    reshape are recorded ops, so gradients flow back in the input's own shape."""
    c = x.shape[1]
    m = math.prod(label_shape(x.shape))  # not −1: (M, 0) has no size to divide
    rows = _classes_last(x).reshape(m, c)
    return rows, _classes_last(t).reshape(m, c) if t.shape == x.shape else t.reshape(m)


def per_position(out: Tensor, shape: tuple, reduction: str) -> Tensor:
    """The rows' loss for an input of ``shape``: per row (M,) back to (N, d₁, …) for
    "none"; a mean or a sum as it is."""
    return out.reshape(label_shape(shape)) if reduction == "none" else out


def _positions_mismatch(loss: str, shape: tuple, t_shape: tuple, inputs: str) -> str:
    """The message for a target that fits an input (N, C, d₁, …) neither way, with a hint
    when the classes are last (Keras's layout) rather than on axis 1."""
    labels = label_shape(shape)
    if loss == "cross_entropy":
        text = (
            f"cross_entropy: a target of shape {t_shape} fits neither class labels of shape "
            f"{labels} nor probabilities of shape {shape} for logits of shape {shape}"
        )
    else:
        text = (
            f"{loss}: the target has shape {t_shape}, but {inputs} of shape {shape} take "
            f"class labels of shape {labels}"
        )
    last, hint = len(shape) - 1, " (the classes are on axis 1, as in PyTorch: for"
    if t_shape == shape[:-1]:
        order = (0, last, *range(1, last))
        return f"{text}{hint} {inputs} with the classes last, call .permute{order} first)"
    if loss == "cross_entropy" and t_shape == (*labels, shape[1]):
        return f"{text}{hint} a target with the classes last, np.moveaxis(target, -1, 1))"
    return text


def check_positions(
    loss: str, x: Tensor, t, ignore_index: int, reduction: str, inputs: str = "logits"
) -> None:
    """The target of an input (N, C, d₁, …) -- ``inputs`` words it --, checked against the
    input's own shapes before `positions_as_rows` flattens both: labels (N, d₁, …) in
    0..C−1 or ``ignore_index`` (their position named in the shape given), or, for
    cross_entropy, probabilities of the input's shape; a mean over at least one position.
    """
    labels = label_shape(x.shape)
    if loss == "cross_entropy" and t.shape == x.shape:
        _check_no_ignore_index(ignore_index, t.shape)
    elif t.shape != labels:
        raise ValueError(_positions_mismatch(loss, x.shape, t.shape, inputs))
    if reduction == "mean":
        _check_nonempty(loss, math.prod(labels), x, t)
    c = x.shape[1]
    if c == 0 and math.prod(labels):
        raise ValueError(f"{loss}: {inputs} of shape {x.shape} have no classes")
    if t.shape == labels and t.size and (t.min() < 0 or t.max() >= c):
        _check_out_of_range(t, c, ignore_index, loss)
