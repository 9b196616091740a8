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
from .._function import Function
from .._tensor import Tensor
from ._loss_parts import _check_flag
from ._losses import _as_tensor, _check_reduction, _Loss

_NEG_INF = -np.inf


# ----- the recursions (float64 arrays; e: the log-probabilities of l', (T, N, 2S + 1)) -----
def _shifted(a: np.ndarray, k: int) -> np.ndarray:
    """a moved k places along the last axis, −inf (log 0) coming in: k > 0 gives a[s − k]
    at s, k < 0 gives a[s − k] = a[s + |k|]."""
    out = np.full(a.shape, _NEG_INF)
    n = a.shape[-1] - abs(k)
    if n > 0:
        out[..., max(k, 0) : max(k, 0) + n] = a[..., max(-k, 0) : max(-k, 0) + n]
    return out


def _step(prev: np.ndarray, k: int, skip: np.ndarray) -> np.ndarray:
    """ln(Σ of prev over the symbols one transition away): stay, move by k, and move by 2k
    where ``skip`` allows it."""
    two = np.where(skip, _shifted(prev, 2 * k), _NEG_INF)
    return np.logaddexp(np.logaddexp(prev, _shifted(prev, k)), two)


def _alpha(e: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """ln αₜ(s), (T, N, L): a path starts on the first blank or the first label."""
    alpha = np.full(e.shape, _NEG_INF)
    if len(e):
        alpha[0, :, :2] = e[0, :, :2]
    for t in range(1, len(e)):
        alpha[t] = e[t] + _step(alpha[t - 1], 1, skip)
    return alpha


def _beta(e: np.ndarray, skip: np.ndarray, ends: np.ndarray, lengths: np.ndarray):
    """ln βₜ(s), (T, N, L): from each sample's last frame (input length − 1), where a path
    ends on the last label or the last blank (``ends``: 0 there, −inf elsewhere, (N, L)),
    back to the first; −inf past the last frame."""
    beta = np.full(e.shape, _NEG_INF)
    later = np.full(e.shape[1:], _NEG_INF)
    skip_back = np.zeros_like(skip)  # may s step to s + 2?
    skip_back[:, :-2] = skip[:, 2:]
    for t in range(len(e) - 1, -1, -1):
        summed = _step(later, -1, skip_back)
        summed = np.where((lengths == t + 1)[:, None], ends, summed)
        beta[t] = later = e[t] + summed
    return beta


def _log_likelihood(alpha: np.ndarray, ends: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """ln p(l|x) per sample, (N,): ln Σ α over the end states at the last frame (ln 1 = 0
    for an empty input and an empty target, −inf for an empty input and a label)."""
    if not len(alpha):  # no frames: every input length is 0
        return np.where(ends[:, 0] == 0, 0.0, _NEG_INF)
    last = alpha[np.maximum(lengths - 1, 0), np.arange(len(lengths))]
    at_ends = np.logaddexp.reduce(last + ends, axis=1)
    empty = ends[:, 0] == 0  # an empty target: its one state is the first blank
    return np.where(lengths == 0, np.where(empty, 0.0, _NEG_INF), at_ends)


def _gradient(x, e, alpha, log_p, ext, lengths, zero_infinity: bool) -> np.ndarray:
    """PyTorch's d(−ln p)/d x per frame, (T, N, C): exp(x) − Σ_{s: l'ₛ = k} αβ/(p·y),
    0 past each input length; NaN for an impossible alignment, 0 with ``zero_infinity``."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        beta = _beta(e, ext.skip, ext.ends, lengths)
        both = alpha + beta
        gamma = np.where(both == _NEG_INF, 0.0, np.exp(both - e - log_p[:, None]))
    occupied = np.einsum("tnl,nlc->tnc", gamma, ext.one_hot(x.shape[2]))
    grad = np.exp(x.astype(np.float64)) - occupied
    impossible = np.isinf(log_p)
    grad[:, impossible] = 0.0 if zero_infinity else np.nan
    grad[np.arange(len(x))[:, None] >= lengths] = 0.0  # (T, N): frames past each length
    return grad


# ----- the fused nodes ---------------------------------------------------------------------
class _Extended:
    """The extended label sequences l' (N, 2S + 1) with what the recursions read off them:
    ``skip`` (may s − 2 step to s, past a blank between different labels) and ``ends``
    (0 at each sample's two end states, −inf elsewhere)."""

    def __init__(self, labels: np.ndarray, target_lengths: np.ndarray, blank: int):
        n, s = labels.shape
        inside = np.arange(s) < target_lengths[:, None]
        self.symbols = np.full((n, 2 * s + 1), blank, np.int64)
        self.symbols[:, 1::2] = np.where(inside, labels, blank)  # padding read as blanks
        self.valid = np.arange(2 * s + 1) <= 2 * target_lengths[:, None]
        sym = self.symbols
        self.skip = np.zeros(sym.shape, bool)
        self.skip[:, 2:] = (sym[:, 2:] != blank) & (sym[:, 2:] != sym[:, :-2])
        self.ends = np.full(sym.shape, _NEG_INF)
        rows = np.arange(n)
        self.ends[rows, 2 * target_lengths] = 0.0
        self.ends[rows[target_lengths > 0], 2 * target_lengths[target_lengths > 0] - 1] = 0.0

    def emissions(self, x: np.ndarray) -> np.ndarray:
        """ln yₜ(l'ₛ), (T, N, 2S + 1) in float64; −inf past each sample's sequence."""
        e = np.take_along_axis(x.astype(np.float64), self.symbols[None], axis=2)
        return np.where(self.valid, e, _NEG_INF)

    def one_hot(self, classes: int) -> np.ndarray:
        """(N, 2S + 1, C): 1 where l'ₛ = k, 0 past the sequence."""
        return (self.symbols[..., None] == np.arange(classes)) & self.valid[..., None]


class CTC(Function):
    """CTC loss per sample: L = −ln Σ_paths Πₜ yₜ gives dX = (exp(x) − Σ_{s: l'ₛ = k}
    αₜ(s)βₜ(s)/(p·yₜ(k))) · dL (PyTorch's gradient; 0 past each input length).

    Fused: the α recursion in log space over the extended labels, one NumPy step per frame,
    and the β recursion run in backward. Second derivatives are not offered: under
    ``create_graph=True`` the gradient is a `CTCGradient` node, whose own backward raises.
    """

    __slots__ = ("ext", "lengths", "zero_infinity")
    derivative = "dX = (exp(x) − Σ_{s: l'ₛ = k} αβ/(p·y)) · dL"
    quiet = True  # −inf log-probabilities and impossible alignments: IEEE results

    def __init__(self, ext: _Extended, lengths: np.ndarray, zero_infinity: bool):
        self.ext, self.lengths, self.zero_infinity = ext, lengths, zero_infinity

    def forward(self, x):
        e = self.ext.emissions(x)
        alpha = _alpha(e, self.ext.skip)
        log_p = _log_likelihood(alpha, self.ext.ends, self.lengths)
        self.saved = (x, e, alpha, log_p)
        losses = -log_p
        if self.zero_infinity:
            losses = np.where(np.isinf(losses), 0.0, losses)
        return losses.astype(x.dtype)

    def backward(self, grad_out):
        x, e, alpha, log_p = self.saved
        if isinstance(x, Tensor):  # create_graph: a node, so that first derivatives work
            return CTCGradient(self, e, alpha, log_p)(x, grad_out)
        grad = _gradient(x, e, alpha, log_p, self.ext, self.lengths, self.zero_infinity)
        return (grad * grad_out[:, None]).astype(x.dtype)


class CTCGradient(Function):
    """ctc_loss's gradient as a node of the graph (``create_graph=True``): its forward is
    `CTC`'s backward; its own backward, the second derivative, raises."""

    __slots__ = ("ctc", "parts")
    derivative = "not differentiable: ctc_loss has no second derivative"

    def __init__(self, ctc: CTC, *parts):
        self.ctc, self.parts = ctc, parts

    def forward(self, x, grad_out):
        c = self.ctc
        grad = _gradient(x, *self.parts, c.ext, c.lengths, c.zero_infinity)
        return (grad * grad_out[:, None]).astype(x.dtype)

    def backward(self, grad_out):
        raise RuntimeError(
            "ctc_loss: second derivatives (a gradient of its gradient) are not implemented, "
            "as in PyTorch; the first derivative with create_graph=True works"
        )


# ----- the function and the module ---------------------------------------------------------
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
