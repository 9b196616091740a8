"""How callbacks watch a logged value: the direction in which it improves, the checks that
it will be logged (a ``val_`` value needs validation data) and is a finite number, and the
checks of a saved callback state."""

from __future__ import annotations

import difflib
import re
from numbers import Real

import numpy as np


def better(mode: str, min_delta: float):
    if mode == "min":
        return lambda new, best: new < best - min_delta
    return lambda new, best: new > best + min_delta


_HIGHER_IS_BETTER = {"acc", "accuracy", "auc", "f1", "precision", "recall"}


_LOWER_IS_BETTER = {"loss", "error", "mse", "mae"}


def direction(owner: str, monitor: str, mode: str, needed: bool = True) -> str:
    """The direction, "min" or "max", in which ``monitor`` improves. "auto" reads the words
    of the name (``val_soft_f1_loss``: loss, error, mse, mae are minimised first; then acc,
    accuracy, auc, f1, precision, recall maximised); another name is an error, when the
    direction is ``needed``, rather than a silent guess (Keras 3 refuses one too)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    words = set(re.split(r"[^a-z0-9]+", str(monitor).lower()))
    if words & _LOWER_IS_BETTER:
        return "min"
    if words & _HIGHER_IS_BETTER:
        return "max"
    if not needed:
        return "min"  # never used: the callback does not compare values
    raise ValueError(
        f"{owner}: cannot tell whether {monitor!r} should go up or down; pass mode='min' "
        "or mode='max'"
    )


class NotValidatedError(ValueError, KeyError):
    """A ``val_`` value to watch in a run given no validation data: a ValueError, as
    training begins; a KeyError too, as the monitor missing from the logs was (and is,
    mid-run), so that code catching that goes on working (NumPy's AxisError is both a
    ValueError and an IndexError for the same reason)."""

    def __str__(self) -> str:  # the message as written (a KeyError's str() quotes it)
        return str(self.args[0])


def check_validated(owner: str, monitor, state) -> None:
    """A `NotValidatedError`, as training begins, for a ``val_`` value to watch in a run
    given no validation data: its logs will never hold it (a state that does not tell,
    as one of a test's own, is let be)."""
    if str(monitor).startswith("val_") and getattr(state, "validates", True) is False:
        raise NotValidatedError(
            f"{owner}: {monitor!r} is not among the logs of a run without validation "
            f"data{missing_hint(monitor)}"
        )


def missing_hint(monitor, logs=None) -> str:
    """How to get a ``val_`` value into the logs, or watch the training one instead; for
    ``logs`` that hold validation values (the run validates), or a training name, the
    closest name among them instead (a mistyped name)."""
    if logs is not None and (not str(monitor).startswith("val_") or _validated(logs)):
        close = difflib.get_close_matches(str(monitor), [str(k) for k in logs], n=1)
        return f": did you mean {close[0]!r}?" if close else ""
    if not str(monitor).startswith("val_"):
        return ""
    return (
        f": pass val_data=(X_val, y_val) (or validation_split=0.2) to fit, or "
        f"monitor={str(monitor)[len('val_') :]!r}"
    )


def _validated(logs: dict) -> bool:
    """Whether an epoch's logs hold validation values (``val_loss``, ...)."""
    return any(str(k).startswith("val_") for k in logs)


def finite_number(name: str, value, owner: str = "EarlyStopping") -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, np.ndarray)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    if np.ndim(value) != 0 or not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    return float(value)


def monitored(logs: dict, monitor: str) -> float:
    """``logs[monitor]`` as a Python float, as the history keeps it: a value a callback
    logged as a NumPy scalar or 0-d array is kept, and saved in a checkpoint, as a number."""
    return float(logs[monitor])


def check_keys(state_dict, keys: tuple[str, ...]) -> None:
    if not isinstance(state_dict, dict) or set(state_dict) != set(keys):
        got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
        raise ValueError(f"expected a dict with the keys {', '.join(keys)}, got {got}")


def optional_number(state_dict: dict, key: str) -> float | None:
    value = state_dict[key]
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{key} must be a number or None, got {value!r}")
    return value
