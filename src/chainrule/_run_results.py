"""A finished run's results: its test metrics, metrics.json, history.csv, curves.png and
the summary line it ends with."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from ._atomic_write import atomic_write
from ._evaluation import evaluate
from ._files import read_regular
from ._history import History
from ._position import plural
from ._run_files import shown
from ._run_setup import Splits


def in_target_units(loss: float, target_scaler) -> float:
    """A mean squared error of the standardised target in the target's units (× scale²)."""
    return loss * float(target_scaler.scale[0]) ** 2


def metrics_on_test(model, loss_fn, splits: Splits) -> dict:
    """The model's test accuracy (None, null in JSON, for a regression) and loss; for a
    regression also ``test_mse``, the mean squared error in the target's own units (the
    loss is that of the standardised target: ``test_mse`` = loss × scale²)."""
    test = evaluate(model, loss_fn, splits.test)
    metrics = {"test_accuracy": test.get("accuracy"), "test_loss": test["loss"]}
    if splits.target_scaler is not None:
        metrics["test_mse"] = in_target_units(test["loss"], splits.target_scaler)
    return metrics


def summary_line(metrics: dict, out: Path) -> str:
    """The last line of a run: its test metrics, epochs, time and directory."""
    acc, mse = metrics.get("test_accuracy"), metrics.get("test_mse")
    if acc is not None:
        head = f"test accuracy {acc:.2%}, test loss {metrics['test_loss']:.4f}"
    elif mse is None:
        head = f"test loss (mean squared error) {metrics['test_loss']:.4f}"
    else:
        head = (
            f"test loss (mean squared error of the standardised target) "
            f"{metrics['test_loss']:.4f} ({mse:.4f} in the target's units)"
        )
    return (
        f"{head} after {plural(metrics['epochs'], 'epoch')} in {metrics['seconds']:.1f} s; "
        f"run saved in {shown(out)}"
    )


def write_history(path: Path, history: History) -> None:
    """history.csv: one row per epoch with every logged value."""
    keys = list(history.history)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["epoch", *keys])
    for i, epoch in enumerate(history.epoch):
        writer.writerow([epoch + 1, *(repr(history.history[k][i]) for k in keys)])
    atomic_write(path, buf.getvalue().encode())


def plot_curves(path: Path, history: History) -> bool:
    """Loss and accuracy per epoch as a PNG, when matplotlib is installed (drawn on a
    ``Figure`` of its own: pyplot's global backend is left as the caller had it)."""
    from .diagnostics._plot import have_matplotlib, integer_ticks, new_figure, save_png

    if not have_matplotlib():
        return False
    h = history.history
    panels = [k for k in ("loss", "accuracy") if k in h]
    fig = new_figure(5 * len(panels), 3.5)
    epochs = np.asarray(history.epoch) + 1
    for ax, key in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        for name in (key, f"val_{key}"):
            if name in h:
                ax.plot(epochs, h[name], label=name)
        ax.set_xlabel("epoch")
        ax.set_title(key)
        integer_ticks(ax)
        ax.legend()
    save_png(fig, path)
    return True


def _finished(out: Path, log, epochs_done: int) -> dict | None:
    """The metrics of a run that has trained all its ``epochs_done`` epochs, as its
    metrics.json has them, summarised; None when the file is missing, does not read as a
    run's metrics, or is of another number of epochs (killed before it was written, or
    after the last checkpoint of a longer run but before it was rewritten, or damaged:
    the run is then finished again, which rewrites it)."""
    try:
        metrics = json.loads(read_regular(out / "metrics.json"))
        line = summary_line(metrics, out)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    if metrics["epochs"] != epochs_done:
        return None
    log(line)
    return metrics


def _finish(out: Path, model, loss_fn, splits: Splits, history: History, seconds, log) -> dict:
    metrics = {
        **metrics_on_test(model, loss_fn, splits),
        "epochs": len(history.epoch),
        "seconds": seconds,
    }
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    write_history(out / "history.csv", history)
    plot_curves(out / "curves.png", history)
    log(summary_line(metrics, out))
    return metrics
