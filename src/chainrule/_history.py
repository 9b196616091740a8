"""What training logs: `History` (what `fit` returns, one row per epoch) and the running
loss and accuracy of an epoch (`Meter`), with the accuracy of one batch."""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from dataclasses import dataclass, field

import numpy as np

from ._tensor import Tensor


@dataclass
class History:
    """What `fit` returns: per-epoch ``history["loss"]``, ``["accuracy"]`` (classification),
    ``["val_loss"]``, ``["val_accuracy"]``, like Keras' History.

    Made from a checkpoint's ``"history"`` (``History(**state["history"])``), whose
    columns may be 1-D arrays (see `checkpoint_form`): they become lists again."""

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)

    def __post_init__(self):
        if isinstance(self.history, dict):
            self.history = {k: _as_list(k, v) for k, v in self.history.items()}
        self.epoch = _as_list("epoch", self.epoch)

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Add one epoch's logs as a new row (a new column gets NaN for earlier epochs)."""
        rows = len(self.epoch)
        self.epoch.append(epoch)
        for k, v in logs.items():
            column = self.history.setdefault(k, [])
            column.extend([float("nan")] * (rows - len(column)))
            column.append(_number(k, v))

    def fill(self) -> None:
        """Give every column a value for every epoch: NaN where an epoch logged none."""
        for column in self.history.values():
            column.extend([float("nan")] * (len(self.epoch) - len(column)))

    def update_last(self, logs: dict[str, float]) -> None:
        """Make the last row hold ``logs`` as a callback left them: keys it added (such as
        the learning rate a schedule just set) and values it changed, as Keras's History
        records the logs after every other callback."""
        row = len(self.epoch)
        for k, v in logs.items():
            column = self.history.setdefault(k, [])
            if len(column) < row:
                column.extend([float("nan")] * (row - 1 - len(column)))
                column.append(_number(k, v))
            else:
                column[row - 1] = _number(k, v)


def checkpoint_form(history: History) -> dict:
    """``asdict(history)`` as a checkpoint stores it cheaply: a column of Python floats as
    a float64 array, the epochs (Python ints in int64's range) as an int64 array. In the
    file each is one tensor of 8 bytes a value, where a JSON list was text to write, parse
    and hash again at every epoch's checkpoint (and ``asdict`` deep-copied every value);
    bits go through unchanged (NaN, -0.0), and `History` makes lists of them again. A
    column holding anything else (an int a user's own history kept) stays a list."""
    return {
        "history": {k: _packed(v, np.float64, float) for k, v in history.history.items()},
        "epoch": _packed(history.epoch, np.int64, int),
    }


def _packed(values, dtype, kind: type):
    """``values`` as a 1-D array of ``dtype`` when every one is exactly of type ``kind``
    (a bool is no int, a NumPy float64 no float: each would come back as another type)
    and fits it; else ``values`` unchanged."""
    if not isinstance(values, list) or set(map(type, values)) != {kind}:
        return values
    try:
        return np.array(values, dtype=dtype)
    except OverflowError:  # an int beyond int64
        return values


def restored(saved) -> History:
    """The `History` a checkpoint's ``"history"`` holds, checked as a file's content must
    be: a dict of columns, epochs as a list or an integer 1-D array, no column longer
    than the epochs (one shorter, saved before an epoch's `History.fill`, gets its NaN).
    Anything else is a ValueError (or TypeError) naming the field, which the callers turn
    into their own error, not a crash when the run is resumed or finished."""
    if not isinstance(saved, dict):
        raise ValueError(f"the history is not an object, got {type(saved).__name__}")
    history = History(**saved)
    if not isinstance(history.history, dict) or not isinstance(history.epoch, list):
        raise ValueError(
            "the history's 'history' must be an object of columns and its 'epoch' a list"
        )
    epoch = saved.get("epoch")
    if isinstance(epoch, np.ndarray) and epoch.dtype.kind not in "iu":
        raise ValueError(f"the history's 'epoch' must hold integers, got {epoch.dtype}")
    for k, column in history.history.items():
        if not isinstance(column, list) or len(column) > len(history.epoch):
            size = len(column) if isinstance(column, list) else type(column).__name__
            raise ValueError(
                f"the history's column {k!r} ({size}) does not fit its {len(history.epoch)} epochs"
            )
    history.fill()
    return history


def _as_list(key: str, values):
    """A column as the History keeps it: a list (a 1-D array of numbers becomes one)."""
    if not isinstance(values, np.ndarray):
        return values
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        raise ValueError(
            f"History: {key!r} must be a list or a 1-D array of numbers, got an array of "
            f"shape {values.shape} and dtype {values.dtype}"
        )
    return values.tolist()


def _number(key: str, value) -> float:
    """A logged value as the float the history (and history.csv) keeps: a number, a NumPy
    scalar or a one-element array; anything else is a TypeError naming the key."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"History: the logs' {key!r} must be a number to be kept per epoch, got "
            f"{type(value).__name__} {value!r:.40}"
        ) from None


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
    reduction = _option(loss_fn, "reduction", "mean")
    if reduction == "none":
        raise ValueError(
            f"{type(loss_fn).__name__}(reduction='none') gives a loss per element; fit and "
            "evaluate need one number per batch: use reduction='mean' or 'sum'"
        )
    return reduction == "sum"


def _option(loss_fn, name: str, default):
    """A loss's option: a loss module's attribute, the keyword a `functools.partial` of a
    loss fixes (``partial(F.cross_entropy, weight=w)``), or a loss function's own default
    (``def my_loss(out, y, reduction="sum")``), as the loss will use it."""
    while isinstance(loss_fn, functools.partial):
        if name in loss_fn.keywords:
            return loss_fn.keywords[name]
        loss_fn = loss_fn.func
    if hasattr(loss_fn, name):
        return getattr(loss_fn, name)
    return _own_default(loss_fn, name, default)


def _own_default(fn, name: str, default):
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


def _unwrapped(loss_fn):
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
        from .nn._losses import IGNORE_INDEX

        left_out = y == _option(loss_fn, "ignore_index", IGNORE_INDEX)
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
    w = _option(loss_fn, "weight", None)
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

    loss_fn = _unwrapped(loss_fn)
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
