"""Pictures, when matplotlib is installed: the Monitor's histograms and gradient norms.

Figures are made with ``matplotlib.figure.Figure`` directly, never through pyplot, so no
global backend is switched, no window opens and no figure outlives its function.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np

from .._atomic_write import atomic_write
from ._records import EpochRecord
from ._stats import ActivationStats

MISSING = "matplotlib is not installed, so no PNG was drawn (pip install 'chainrule[plot]')"


def have_matplotlib() -> bool:
    """True when matplotlib can be imported."""
    return importlib.util.find_spec("matplotlib") is not None


def new_figure(width: float, height: float):
    """A matplotlib ``Figure`` with constrained layout (call only if `have_matplotlib`)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_png(fig, path: Path, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` as a PNG, atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return atomic_write(path, buf.getvalue())


def integer_ticks(ax) -> None:
    """Whole numbers only on the x axis (epochs)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def draw_histogram(ax, s: ActivationStats, title: str) -> None:
    """One layer's activation histogram, titled with its mean, std and saturated/dead share."""
    ax.stairs(s.counts, s.edges, fill=True, color="tab:blue")
    share = _share_text(s)
    ax.set_title(f"{title}\nμ {s.mean:.2g}  σ {s.std:.2g}{share}", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.set_yticks([])


def _share_text(s: ActivationStats) -> str:
    if s.saturated is not None:
        return f"\nsaturated {s.saturated:.0%}"
    if s.dead is not None:
        return f"\ndead {s.dead:.0%}"
    return ""


def plot_activations(records: list[EpochRecord], path: Path, max_rows: int = 4) -> Path:
    """Histograms: one column per layer, one row per epoch (the first, the last and up to
    ``max_rows`` − 2 evenly spaced between)."""
    rows = [records[i] for i in _spread(len(records), max_rows)]
    cols = max(len(r.activations) for r in rows)
    fig = new_figure(1.9 * cols + 0.6, 1.7 * len(rows) + 0.4)
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, record in zip(axes, rows):
        for ax, s in zip(r, record.activations):
            draw_histogram(ax, s, f"epoch {record.epoch} · {s.layer} ({s.kind})")
        for ax in r[len(record.activations) :]:
            ax.set_axis_off()
    fig.suptitle("activation histograms per layer (probe batch)", fontsize=9)
    return save_png(fig, path)


def _spread(n: int, k: int) -> list[int]:
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int)).tolist()


def plot_gradients(records: list[EpochRecord], path: Path) -> Path:
    """Each layer's gradient norm per epoch (log scale), and per layer at the last epoch."""
    fig = new_figure(10, 3.6)
    ax_time, ax_last = fig.subplots(1, 2)
    epochs = [r.epoch for r in records]
    layers = list(records[-1].layer_grad_norms)
    for layer in layers:
        values = [r.layer_grad_norms.get(layer, np.nan) for r in records]
        ax_time.plot(epochs, _positive(values), marker="o", ms=3, label=f"layer {layer}")
    last = _positive([records[-1].layer_grad_norms[k] for k in layers])
    ax_last.bar(range(len(layers)), np.nan_to_num(last), color="tab:red")
    ax_last.set_xticks(range(len(layers)), [f"layer {k}" for k in layers], fontsize=7)
    integer_ticks(ax_time)
    _log_if_positive(ax_time, records)
    _log_if_positive(ax_last, records[-1:])
    ax_time.set(xlabel="epoch", ylabel="gradient norm", title="gradient norm per layer")
    ax_time.legend(fontsize=7)
    ax_last.set_title(f"gradient norm per layer, epoch {records[-1].epoch}")
    return save_png(fig, path)


def _positive(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def _log_if_positive(ax, records: list[EpochRecord]) -> None:
    """Log scale, unless there is no positive value to show (matplotlib would warn)."""
    values = _positive([g for r in records for g in r.layer_grad_norms.values()])
    if np.any(np.isfinite(values)):
        ax.set_yscale("log")
