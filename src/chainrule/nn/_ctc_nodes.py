"""The recursions and fused nodes behind `ctc_loss`: ln α and ln β over the extended
labels l', one NumPy step per frame, and the nodes `CTC` and `CTCGradient` (the maths is
in `_ctc.py`'s docstring)."""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor

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
