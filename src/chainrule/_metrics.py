"""What `fit` and `evaluate` log per batch and per epoch: `Meter` (the running loss and
accuracy of an epoch), `batch_metrics` (correct predictions and the weight of a batch's
loss), and the options of a loss function they read (``reduction``, ``weight``, …)."""

from __future__ import annotations

import functools
import inspect
import types
import weakref

import numpy as np

from ._tensor import Tensor


class Meter:
    """Running loss and accuracy over an epoch: the loss of the whole epoch as the loss
    function reduces a batch (a mean over the rows scored: batch means weighted by their
    rows not labelled ``ignore_index``, or by Σ w[y] over those rows for a loss with class
    weights, which divides by that, so that the batches give the loss of all the data at
    once and a batch whose labels are all ignored, NaN, counts for nothing; with
    ``reduction="sum"`` the sum of batch sums), whatever the batch size. With Keras's
    sample weights a batch's loss is Σ wᵢ·lᵢ over what its unweighted mean divides by, so
    the same weighting gives Keras's epoch loss, Σ wᵢ·lᵢ / N over the data, and the
    running sums (what a resume point saves) hold no weights of their own. Accuracy is
    logged only when every batch had one: targets whose rows look one-hot in some batches
    only (multi-label 0/1 targets) get none. It is over the rows scored: those labelled
    ``ignore_index`` (``ignored``) are left out."""

    def __init__(self, summed: bool = False):
        self.n, self.loss, self.correct, self.unscored = 0, 0.0, None, False
        self.ignored = 0
        self.weight = 0.0  # what the batch means are weighted by, summed
        self.summed = summed

    def add(self, loss: float, metrics: tuple | None, n: int) -> None:
        """One batch of ``n`` samples: its loss, and `batch_metrics`' (correct, ignored,
        rows, weight), whose rows (one per position of a (N, C, d₁, …) output) count
        instead of the samples, and whose weight is what the loss's mean divided by."""
        if metrics is not None:
            n = metrics[2]
        weight = n if metrics is None else metrics[3]
        self.n += n
        self.weight += weight
        if self.summed:
            self.loss += loss
        elif weight:  # a batch of ignored rows only: its mean is 0/0, and weighs nothing
            self.loss += loss * weight
        if metrics is None:
            self.unscored = True
        else:
            self.correct = (self.correct or 0) + metrics[0]
            self.ignored += metrics[1]

    def mean_loss(self) -> float:
        """The loss so far per row scored, or per unit of class weight (NaN when every row
        was ignored, as the loss of such data is); 0 before any batch."""
        if self.n == 0:
            return 0.0
        return self.loss / self.weight if self.weight else float("nan")

    def logs(self, prefix: str = "") -> dict[str, float]:
        """``{"loss", "accuracy"}`` with ``prefix`` before the keys (``val_``)."""
        logs = {f"{prefix}loss": self.loss if self.summed else self.mean_loss()}
        if self.correct is not None and not self.unscored:
            logs[f"{prefix}accuracy"] = self.correct / max(self.n - self.ignored, 1)
        return logs


def is_summed(loss_fn) -> bool:
    """Whether ``loss_fn`` sums over a batch (``reduction="sum"``) rather than averaging;
    one that keeps every element (``"none"``) cannot train or be evaluated."""
    reduction = loss_option(loss_fn, "reduction", "mean")
    if reduction == "none":
        raise ValueError(
            f"{type(loss_fn).__name__}(reduction='none') gives a loss per element; fit and "
            "evaluate need one number per batch: use reduction='mean' or 'sum'"
        )
    return reduction == "sum"


def loss_option(loss_fn, name: str, default):
    """A loss's option: a loss module's attribute, the keyword a `functools.partial` of a
    loss fixes (``partial(F.cross_entropy, weight=w)``), or a loss function's own default
    (``def my_loss(out, y, reduction="sum")``), as the loss will use it."""
    while isinstance(loss_fn, functools.partial):
        if name in loss_fn.keywords:
            return loss_fn.keywords[name]
        loss_fn = loss_fn.func
    if hasattr(loss_fn, name):
        return getattr(loss_fn, name)
    return own_default(loss_fn, name, default)


def own_default(fn, name: str, default):
    """The default ``fn`` gives its parameter ``name``; ``default`` when it has no such
    parameter with a default, or no signature to read (some built-ins)."""
    defaults = _DEFAULTS.get(fn) if _weakly_keyed(fn) else None
    if defaults is None:
        defaults = _signature_defaults(fn)
        if _weakly_keyed(fn):
            _DEFAULTS[fn] = defaults
    return defaults.get(name, default)


#: each loss function's parameter defaults, read once (`inspect.signature` costs ~10 µs,
#: and fit reads them every batch); an entry goes with its function
_DEFAULTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _weakly_keyed(fn) -> bool:
    return isinstance(fn, (types.FunctionType, types.MethodType))


def _signature_defaults(fn) -> dict:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def unwrapped_loss(loss_fn):
    """The loss a `functools.partial` (or a partial of one) calls."""
    while isinstance(loss_fn, functools.partial):
        loss_fn = loss_fn.func
    return loss_fn


def batch_metrics(out: Tensor, y: np.ndarray, loss_fn=None) -> tuple[float, int, int, float] | None:
    """(Number of correct predictions, number of rows left out, number of rows, the
    weight of the batch's mean loss) in a batch, or None when accuracy does not apply.
    The weight is the number of rows kept, or Σ w[y] over them for a loss with class
    weights ``w`` on integer labels (what its mean divides by, as PyTorch's).

    Class scores (N, C) against integer labels (N,) or one-hot rows (N, C) of any dtype:
    the arg-max must hit the label (log-probabilities for NLLLoss alike); a row labelled
    the loss's ``ignore_index`` (-100 without one, as the functional losses' default) is
    left out, as the loss leaves it out. Scores (N, C, d₁, …), as cross-entropy takes
    them, are a row per position (labels (N, d₁, …), or one-hot targets of their shape).
    With a binary cross-entropy loss, outputs against 0/1 targets of the same shape: a
    logit > 0 (BCEWithLogitsLoss) or a probability > 0.5 (BCELoss) predicts 1, and a
    sample scores the fraction of its outputs predicted right (Keras' binary accuracy).
    The loss's options (``ignore_index``, ``weight``, ``reduction``) are a loss module's
    attributes, the keywords a `functools.partial` of a loss function fixes, or a loss
    function's own defaults."""
    pred = out.data
    threshold = _binary_threshold(loss_fn)
    if threshold is not None:
        correct = _binary_correct(pred, y, threshold)
        return None if correct is None else (correct, 0, len(pred), len(pred))
    if pred.ndim > 2 and y.shape in (pred.shape, pred.shape[:1] + pred.shape[2:]):
        pred, y = _positions_as_rows(pred, y)
    if pred.ndim != 2 or pred.shape[1] < 2 or y.dtype.kind not in "iuf":
        return None
    if y.ndim == 1 and y.dtype.kind in "iu" and len(y) == len(pred):
        from .nn._class_targets import IGNORE_INDEX

        left_out = y == loss_option(loss_fn, "ignore_index", IGNORE_INDEX)
        hits = (pred.argmax(axis=1) == y) & ~left_out
        kept = len(pred) - int(left_out.sum())
        return (
            int(hits.sum()),
            len(pred) - kept,
            len(pred),
            _label_weight(loss_fn, y, left_out, kept),
        )
    if y.shape == pred.shape and np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
        return int((pred.argmax(axis=1) == y.argmax(axis=1)).sum()), 0, len(pred), len(pred)
    return None


def _label_weight(loss_fn, y: np.ndarray, left_out: np.ndarray, kept: int) -> float:
    """Σ w[y] over the labels kept, for a loss with class weights ``w``; else ``kept``."""
    w = loss_option(loss_fn, "weight", None)
    if w is None or np.ndim(w) != 1:
        return kept
    w = np.asarray(w.data if isinstance(w, Tensor) else w, dtype=np.float64)
    labels = y[~left_out]
    if labels.size and (labels.min() < 0 or labels.max() >= len(w)):
        return kept  # the loss has refused these labels already; nothing to weigh
    return float(w[labels].sum())


def _positions_as_rows(pred: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores (N, C, d₁, …) as rows (N·d₁·…, C), and their labels (N, d₁, …) as (N·d₁·…,)
    or their one-hot targets (N, C, d₁, …) as rows alike."""
    rows = np.moveaxis(pred, 1, -1).reshape(-1, pred.shape[1])
    if y.shape == pred.shape:
        return rows, np.moveaxis(y, 1, -1).reshape(rows.shape)
    return rows, y.reshape(-1)


def _binary_threshold(loss_fn) -> float | None:
    """The output above which a binary cross-entropy loss predicts 1: 0 for one on logits,
    0.5 for one on probabilities; None for any other loss."""
    from .nn import BCELoss, BCEWithLogitsLoss, functional

    loss_fn = unwrapped_loss(loss_fn)
    if isinstance(loss_fn, BCEWithLogitsLoss) or (
        loss_fn is functional.binary_cross_entropy_with_logits
    ):
        return 0.0
    if isinstance(loss_fn, BCELoss) or loss_fn is functional.binary_cross_entropy:
        return 0.5
    return None


def _binary_correct(pred: np.ndarray, y: np.ndarray, threshold: float) -> float | None:
    if pred.ndim == 0 or y.shape != pred.shape or not np.all((y == 0) | (y == 1)):
        return None  # soft targets (or a shape the loss refuses): no accuracy
    right = (pred > threshold) == (y == 1)
    if right.ndim == 1:
        return int(right.sum())
    return float(right.reshape(len(right), -1).mean(axis=1).sum())
