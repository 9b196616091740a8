"""The weight-initialisation experiment of the tutorials, measured.

1000 random inputs (standard normal, seeded) go through a 5-layer, 100-unit network of
sigmoid, tanh or ReLU layers (by default; any of `chainrule train`'s activations can be
asked for) whose weights are drawn with std 1, std 0.01, Xavier or He.
Each layer's activations are summarised with the Monitor's own statistics, so the
experiment shows what the Monitor would flag: std 1 drives sigmoid into saturation
(outputs piled at 0 and 1), std 0.01 collapses every activation towards one value (0.5 for
sigmoid, 0 for tanh and ReLU), and Xavier (sigmoid, tanh) or He (ReLU) keeps the spread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import nn
from .._arguments import check_counts, check_names
from .._config import ACTIVATIONS
from .._generator import check_seed
from ..diagnostics import ActivationStats, _plot, activation_stats, layer_outputs
from ..diagnostics._report import write_csv
from ._text import format_table

#: the tutorial's three, run by default: Xavier is made for sigmoid and tanh, He for ReLU
#: (any of `chainrule train --activation`'s names, `ACTIVATIONS`, can be asked for)
TUTORIAL_ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: column label → `nn.Linear`'s ``init`` (a number is the std of a normal distribution)
INITS: dict[str, float | str] = {"std 1": 1.0, "std 0.01": 0.01, "Xavier": "xavier", "He": "he"}
#: every file `write_init_outputs` may write (the PNG only with matplotlib)
INIT_FILES = ("init_stats.csv", "init_histograms.png")
COLUMNS = ("activation", "init", "layer", "mean", "std", "saturated", "dead")


@dataclass
class InitResult:
    """Per (activation, init) label, the statistics of each layer's activations (layer 1
    first)."""

    stats: dict[tuple[str, str], list[ActivationStats]]
    samples: int = 1000  # the number of random inputs the statistics are taken over

    def rows(self) -> list[dict]:
        """One row per activation, init and layer: mean, std, saturated and dead share."""
        return [
            {"activation": act, "init": init, **s.row()}
            for (act, init), layers in self.stats.items()
            for s in layers
        ]

    def column(self, activation: str, init: str, key: str) -> np.ndarray:
        """One statistic (``"mean"``, ``"std"``, ...) for layers 1, 2, ... as an array."""
        return np.array([getattr(s, key) for s in self.stats[(activation, init)]], dtype=float)

    def table(self) -> str:
        """The rows as a plain-text table."""
        return format_table(self.rows(), COLUMNS)


def init_network(activation: str, init, layers: int, units: int, seed: int) -> nn.Sequential:
    """``layers`` × (Linear(units, units, init) → activation), float64, weights from ``seed``."""
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(layers):
        blocks += [nn.Linear(units, units, init=init, dtype="float64", generator=rng)]
        blocks += [ACTIVATIONS[activation]()]
    return nn.Sequential(*blocks)


def init_experiment(
    activations: Sequence[str] = TUTORIAL_ACTIVATIONS,
    inits: Mapping[str, float | str] = INITS,
    layers: int = 5,
    units: int = 100,
    samples: int = 1000,
    seed: int = 0,
    bins: int = 30,
) -> InitResult:
    """Run the experiment; every (activation, init) pair sees the same inputs, and every
    activation the same weights for a given init."""
    where = "init_experiment"
    check_counts(where, 1, layers=layers, units=units, samples=samples, bins=bins)
    check_seed(seed, where, none_ok=False)
    check_names(where, "activation", activations, ACTIVATIONS)
    x = np.random.default_rng(seed).standard_normal((samples, units))
    stats = {}
    for act in activations:
        for label, init in inits.items():
            outs = layer_outputs(init_network(act, init, layers, units, seed + 1), x)
            stats[(act, label)] = _layer_stats([y for _, _, y in outs], act, bins)
    return InitResult(stats, samples)


def _layer_stats(outs: list[np.ndarray], kind: str, bins: int) -> list[ActivationStats]:
    """Statistics of layers 1, 2, ...; ReLU histograms share one range (0 to the largest
    output of any layer), so growth and collapse from layer to layer stay visible."""
    span = (0.0, max(float(y.max()) for y in outs) or 1.0) if kind == "relu" else None
    return [activation_stats(str(i), kind, y, bins, span) for i, y in enumerate(outs, 1)]


def write_init_outputs(result: InitResult, out_dir: Path) -> list[Path]:
    """``init_stats.csv`` and, with matplotlib, ``init_histograms.png`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_name, png_name = INIT_FILES
    paths = [write_csv(out_dir / csv_name, COLUMNS, result.rows())]
    if _plot.have_matplotlib():
        paths.append(plot_init_histograms(result, out_dir / png_name))
    return paths


def plot_init_histograms(result: InitResult, path: Path) -> Path:
    """One figure: a row per activation, a column per init, each with per-layer histograms."""
    acts = list(dict.fromkeys(a for a, _ in result.stats))
    inits = list(dict.fromkeys(i for _, i in result.stats))
    layers = max(len(v) for v in result.stats.values())
    fig = _plot.new_figure(1.3 * layers * len(inits), 2.1 * len(acts) + 0.3)
    cells = fig.subfigures(len(acts), len(inits), squeeze=False)
    for r, act in enumerate(acts):
        for c, init in enumerate(inits):
            _draw_cell(cells[r][c], f"{act} · {init}", result.stats[(act, init)])
    title = f"activations per layer (1 → last), {result.samples} random inputs"
    fig.suptitle(title, fontsize=10)
    return _plot.save_png(fig, path, dpi=80)


def _draw_cell(subfig, title: str, layers: list[ActivationStats]) -> None:
    axes = subfig.subplots(1, len(layers), squeeze=False)[0]
    for ax, s in zip(axes, layers):
        _plot.draw_histogram(ax, s, f"layer {s.layer}")
        if s.kind == "relu":  # the spike of zeros would flatten everything else: clip it
            rest = np.sort(s.counts)[-2] if len(s.counts) > 1 else s.counts.max()
            ax.set_ylim(0, max(rest, 1) * 1.3)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
    subfig.suptitle(title, fontsize=9, fontweight="bold")
