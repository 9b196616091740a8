"""What training logs: `History` (what `fit` returns, one row per epoch), and its form in a
checkpoint (`checkpoint_form`, `restored`). The per-batch figures are in ``_metrics.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
