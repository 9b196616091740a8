"""Connectionist temporal classification: `ctc_loss` and `CTCLoss`, PyTorch's, on
log-probabilities (T, N, C) (or unbatched (T, C)) and label sequences.

A target l of length S is aligned to the T frames through the extended sequence
l' = (b, l₁, b, l₂, …, b, l_S, b) of length 2S + 1 (b the blank): a path stays on its
symbol, steps to the next one, or skips a blank between two different labels ("aa" needs
a blank between the a's, so it needs three frames). With y the probabilities,

    αₜ(s) = yₜ(l'ₛ) · (αₜ₋₁(s) + αₜ₋₁(s − 1) + αₜ₋₁(s − 2) if l'ₛ ≠ b and l'ₛ ≠ l'ₛ₋₂)
    p(l|x) = α_{T−1}(2S) + α_{T−1}(2S − 1)                       loss = −ln p(l|x)

and βₜ(s) the same recursion run backwards from the last frame, both including yₜ(l'ₛ).
One fused node (`CTC`), its recursions in log space, vectorised over the batch and the
extended labels, with a Python loop over time only: composed from core ops the graph would
hold T·(2S + 1) nodes. Its gradient is PyTorch's, with respect to the log-probabilities as
given,

    d loss / d ln yₜ(k) = yₜ(k) − 1/(p(l|x)·yₜ(k)) · Σ_{s: l'ₛ = k} αₜ(s)·βₜ(s)

which is the derivative of the loss through a log_softmax (the yₜ(k) term is what the
log_softmax's own gradient adds), not of −ln p(l|x) in unnormalised log-probabilities.
Frames past a sample's input length get 0; an impossible alignment costs inf, with a NaN
gradient, or 0 and gradient 0 with ``zero_infinity``.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import whole_numbers
from .._tensor import Tensor
from ._ctc_nodes import CTC, _Extended
from ._loss_parts import _check_flag
from ._losses import _as_tensor, _check_reduction, _Loss


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """PyTorch's ``F.ctc_loss``: −ln p(l|x) for each sample (see the module's docstring).

    ``log_probs`` (T, N, C), or (T, C) unbatched, are log_softmax outputs; ``targets`` are
    padded (N, S) or concatenated (Σ target_lengths,), S at least the longest target
    (unbatched: (1, S), or 1-D as concatenated); the lengths are sequences, arrays or
    tensors of N integers (or one number). Labels are 0..C−1 and not ``blank``.
    ``reduction``: "mean" divides each loss by its target length (1 for an empty target)
    and averages over the batch, "sum", or "none" (shape (N,), () unbatched).
    ``zero_infinity`` makes the loss of an impossible alignment (a target longer than its
    input allows) 0, gradient 0."""
    _check_reduction(reduction, "ctc_loss")
    zero_infinity = _check_flag("ctc_loss", "zero_infinity", zero_infinity)
    x = _checked_log_probs(log_probs)
    batched = x.ndim == 3
    if not batched:
        x = ops.reshape(x, x.shape[0], 1, x.shape[1])  # a batch of one
    steps, n, classes = x.shape
    blank = _checked_blank(blank, classes)
    if reduction == "mean" and n == 0:
        raise ValueError(f"ctc_loss: empty batch (log_probs of shape {x.shape}): no mean")
    lengths = _checked_lengths("input_lengths", input_lengths, n, steps, "log_probs' T")
    labels, label_lengths = _padded_targets(targets, target_lengths, n)
    _check_labels(labels, label_lengths, blank, classes)
    ext = _Extended(labels, label_lengths, blank)
    losses = CTC(ext, lengths, zero_infinity)(x)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return (losses / np.maximum(label_lengths, 1).astype(losses.dtype)).mean()
    return losses if batched else ops.reshape(losses, ())


def _checked_log_probs(log_probs) -> Tensor:
    x = _as_tensor(log_probs)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"ctc_loss: log_probs must have shape (T, N, C), or (T, C) unbatched, got {x.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"ctc_loss: log_probs must be floating, got dtype {x.dtype}")
    return x


def _checked_blank(blank, classes: int, who: str = "ctc_loss") -> int:
    """``blank`` as an int in 0..classes − 1 (``classes`` inf: any non-negative one)."""
    if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"{who}: blank must be an int, got {blank!r}")
    if not 0 <= blank < classes:
        where = "non-negative" if classes == np.inf else f"in 0..{classes - 1}"
        raise ValueError(f"{who}: blank must be a class, {where}, got {blank}")
    return int(blank)


def _integers(name: str, value) -> np.ndarray:
    """``value`` (a Tensor, array, sequence or number) as an int64 array: whole floats are
    taken (chainrule's tensors of Python ints are floats), other values refused."""
    a = whole_numbers(value)
    if a is None:
        raise TypeError(f"ctc_loss: {name} must be integers, got {value!r}")
    return a


def _checked_lengths(name: str, value, n: int, bound: int | None, of: str = "") -> np.ndarray:
    """One length per sample, (N,), each in 0..bound (``of`` says what bounds it)."""
    a = _integers(name, value)
    if a.ndim > 1 or a.size != n:
        raise ValueError(f"ctc_loss: {name} must hold {n} lengths (one a sample), got {value!r}")
    a = a.reshape(n)
    bad = (a < 0) | (a > (np.inf if bound is None else bound))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        limit = "non-negative" if bound is None else f"in 0..{bound} ({of} is {bound})"
        raise ValueError(f"ctc_loss: {name} must be {limit}, got {a[i]} for sample {i}")
    return a


def _padded_targets(targets, target_lengths, n: int) -> tuple:
    """(labels (N, S), target lengths (N,)) from padded or concatenated targets."""
    t = _integers("targets", targets)
    if t.ndim == 2 and len(t) == n:
        width = "the padded targets' S"
        return t, _checked_lengths("target_lengths", target_lengths, n, t.shape[1], width)
    if t.ndim != 1:
        raise ValueError(
            f"ctc_loss: targets must be padded, ({n}, S), or concatenated (1-D), got shape "
            f"{t.shape}"
        )
    lengths = _checked_lengths("target_lengths", target_lengths, n, None)
    if lengths.sum() != len(t):
        raise ValueError(
            f"ctc_loss: concatenated targets hold {len(t)} labels, but target_lengths "
            f"{lengths.tolist()} sum to {lengths.sum()}"
        )
    labels = np.zeros((n, lengths.max(initial=0)), np.int64)
    labels[np.arange(labels.shape[1]) < lengths[:, None]] = t
    return labels, lengths


def _check_labels(labels: np.ndarray, lengths: np.ndarray, blank: int, classes: int) -> None:
    """Every label within its target's length in 0..C−1 and not blank."""
    inside = np.arange(labels.shape[1]) < lengths[:, None]
    bad = inside & ((labels < 0) | (labels >= classes) | (labels == blank))
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"ctc_loss: target label {labels[i, j]} (sample {i}, position {j}) must be in "
            f"0..{classes - 1} and not the blank ({blank})"
        )


class CTCLoss(_Loss):
    """Connectionist temporal classification ``loss(log_probs, targets, input_lengths,
    target_lengths)``: −ln of the probability of each target summed over its alignments,
    PyTorch's ``nn.CTCLoss``. See `ctc_loss`."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        self.blank = _checked_blank(blank, np.inf, "CTCLoss")  # C is checked when called
        self.zero_infinity = _check_flag("CTCLoss", "zero_infinity", zero_infinity)

    def forward(self, log_probs, targets, input_lengths, target_lengths) -> Tensor:
        return ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )

    def extra_repr(self) -> str:
        return self.settings(blank=self.blank or None, zero_infinity=self.zero_infinity or None)
