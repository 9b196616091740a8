"""The optimizer experiment: the same six optimizers on a 2-D surface and on a network.

First `chainrule.optim.playground` runs each optimizer on f = x²/20 + y² from (−7, 2) (or
another built-in surface) and the paths are drawn over the contour lines, one panel per
optimizer. Then the same optimizer classes train the same 64-100-10 ReLU network on the
bundled digits — same initial weights, same batches — and the loss curves share a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import data, nn, optim
from .._arguments import check_counts, check_names
from .._evaluation import evaluate
from .._generator import check_seed
from .._grad_mode import no_grad
from .._tensor import Tensor
from .._training import fit
from ..diagnostics import _plot
from ..diagnostics._report import write_csv
from ..optim._playground import FUNCTIONS, playground
from ._text import format_table

#: the tutorials' learning rates for f = x²/20 + y² from (−7, 2): SGD 0.95, Momentum 0.1,
#: AdaGrad 1.5, Adam 0.3; Nesterov takes Momentum's, RMSProp one that reaches the minimum
TRAJECTORY_OPTIMIZERS: dict[str, tuple[type, dict]] = {
    "SGD": (optim.SGD, {"lr": 0.95}),
    "Momentum": (optim.Momentum, {"lr": 0.1, "momentum": 0.9}),
    "Nesterov": (optim.Nesterov, {"lr": 0.1, "momentum": 0.9}),
    "AdaGrad": (optim.AdaGrad, {"lr": 1.5}),
    "RMSProp": (optim.RMSProp, {"lr": 0.3, "alpha": 0.9}),
    "Adam": (optim.Adam, {"lr": 0.3}),
}
#: on the Rosenbrock valley, whose curvature reaches ~2000 where the bowl's is 2, the bowl's
#: rates for SGD, Momentum and Nesterov diverge (nan in a few steps): rates that converge to
#: (1, 1) over some thousand steps, the valley's lesson (fast down, slow along it)
_ROSENBROCK_RATES = {"SGD": 0.001, "Momentum": 0.001, "Nesterov": 0.001, "AdaGrad": 1.5,
                     "RMSProp": 0.01, "Adam": 0.1}  # fmt: skip
ROSENBROCK_OPTIMIZERS: dict[str, tuple[type, dict]] = {
    name: (cls, {**options, "lr": _ROSENBROCK_RATES[name]})
    for name, (cls, options) in TRAJECTORY_OPTIMIZERS.items()
}
#: the same classes on the digits network, with `chainrule train`'s default rates
NETWORK_OPTIMIZERS: dict[str, tuple[type, dict]] = {
    "SGD": (optim.SGD, {"lr": 0.1}),
    "Momentum": (optim.Momentum, {"lr": 0.05}),
    "Nesterov": (optim.Nesterov, {"lr": 0.05}),
    "AdaGrad": (optim.AdaGrad, {"lr": 0.05}),
    "RMSProp": (optim.RMSProp, {"lr": 0.001}),
    "Adam": (optim.Adam, {"lr": 0.01}),
}

#: every file `write_optimizer_outputs` may write (losses without epochs, PNGs without
#: matplotlib are not written)
OPTIMIZER_FILES = ("trajectories.csv", "losses.csv", "trajectories.png", "losses.png")
_SURFACE_OPTIMIZERS = {"rosenbrock": ROSENBROCK_OPTIMIZERS}


@dataclass
class OptimizerResult:
    """The paths on the surface (name → (steps + 1, 2) array), and per network optimizer
    the training loss of each epoch and the final test accuracy."""

    function: str
    trajectories: dict[str, np.ndarray]
    losses: dict[str, list[float]]
    test_accuracy: dict[str, float]
    trajectory_lrs: dict[str, float | None]
    network_lrs: dict[str, float | None]

    def trajectory_rows(self) -> list[dict]:
        """Per optimizer: its learning rate, end point, distance to the minimum, f there."""
        surface = FUNCTIONS[self.function]
        rows = []
        for name, path in self.trajectories.items():
            end = path[-1]
            target = surface.minimum
            rows.append(
                {
                    "optimizer": name,
                    "lr": self.trajectory_lrs[name],
                    "x": float(end[0]),
                    "y": float(end[1]),
                    "distance": None if target is None else float(np.hypot(*(end - target))),
                    "f": _value(surface.f, end),
                }
            )
        return rows

    def network_rows(self) -> list[dict]:
        """Per optimizer: its learning rate, last training loss and test accuracy."""
        return [
            {
                "optimizer": name,
                "lr": self.network_lrs[name],
                "final_loss": losses[-1] if losses else None,
                "test_accuracy": self.test_accuracy[name],
            }
            for name, losses in self.losses.items()
        ]


def _value(f, point: np.ndarray) -> float:
    with no_grad():
        return float(f(Tensor(point[0]), Tensor(point[1])).item())


def _lr(spec) -> float | None:
    return spec[1].get("lr") if isinstance(spec, tuple) else None


def optimizer_experiment(
    function: str = "x2/20+y2",
    steps: int = 30,
    epochs: int = 20,
    seed: int = 0,
    batch_size: int = 100,
    trajectory_optimizers: Mapping | None = None,
    network_optimizers: Mapping = NETWORK_OPTIMIZERS,
) -> OptimizerResult:
    """Run both halves of the experiment (``epochs=0`` skips the network half). Without
    ``trajectory_optimizers``, the surface's own rates: `ROSENBROCK_OPTIMIZERS` on
    "rosenbrock", `TRAJECTORY_OPTIMIZERS` (the tutorials') on the others."""
    check_names("optimizer_experiment", "function", [function], FUNCTIONS)
    check_counts("optimizer_experiment", 0, steps=steps, epochs=epochs)
    check_seed(seed, "optimizer_experiment", none_ok=False)
    check_counts("optimizer_experiment", 1, batch_size=batch_size)
    if trajectory_optimizers is None:
        trajectory_optimizers = _SURFACE_OPTIMIZERS.get(function, TRAJECTORY_OPTIMIZERS)
    paths = playground(function, trajectory_optimizers, steps)
    losses, accuracy = train_digits(network_optimizers, epochs, seed, batch_size)
    return OptimizerResult(
        function,
        paths,
        losses,
        accuracy,
        {k: _lr(v) for k, v in trajectory_optimizers.items()},
        {k: _lr(v) for k, v in network_optimizers.items()},
    )


def train_digits(
    optimizers: Mapping, epochs: int, seed: int = 0, batch_size: int = 100
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Train a fresh copy of the same network with each optimizer; return the per-epoch
    training losses and the test accuracies."""
    if epochs <= 0:
        return {}, {}
    digits = data.load_digits()
    X_tr, X_te, y_tr, y_te = data.train_test_split(
        digits.X / 16.0, digits.y, test_size=0.2, seed=seed, stratify=True
    )
    losses, accuracy = {}, {}
    for name, (cls, kwargs) in optimizers.items():
        model = digits_network(seed)
        loader = data.DataLoader(
            data.ArrayDataset(X_tr, y_tr), batch_size=batch_size, shuffle=True, seed=seed
        )
        loss_fn = nn.SoftmaxCrossEntropy()
        history = fit(
            model, loss_fn, cls(model.parameters(), **kwargs), loader, epochs, progress=False
        )
        losses[name] = history.history["loss"]
        accuracy[name] = evaluate(model, loss_fn, (X_te, y_te))["accuracy"]
    return losses, accuracy


def digits_network(seed: int) -> nn.Sequential:
    """64-100-10, ReLU, He then Xavier init; the same weights for the same seed."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(64, 100, init="he", generator=rng),
        nn.ReLU(),
        nn.Linear(100, 10, init="xavier", generator=rng),
    )


# ----- files and pictures ------------------------------------------------------------------
def write_optimizer_outputs(result: OptimizerResult, out_dir: Path) -> list[Path]:
    """``trajectories.csv``, ``losses.csv`` and, with matplotlib, ``trajectories.png`` and
    ``losses.png`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        write_csv(out_dir / "trajectories.csv", ("optimizer", "step", "x", "y"), _steps(result))
    ]
    if result.losses:
        columns = ("epoch", *result.losses)
        paths.append(write_csv(out_dir / "losses.csv", columns, _epochs(result)))
    if not _plot.have_matplotlib():
        return paths
    paths.append(plot_trajectories(result, out_dir / "trajectories.png"))
    if result.losses:
        paths.append(plot_losses(result, out_dir / "losses.png"))
    return paths


def _steps(result: OptimizerResult) -> list[dict]:
    return [
        {"optimizer": name, "step": i, "x": float(p[0]), "y": float(p[1])}
        for name, path in result.trajectories.items()
        for i, p in enumerate(path)
    ]


def _epochs(result: OptimizerResult) -> list[dict]:
    n = max(len(v) for v in result.losses.values())
    return [
        {"epoch": e + 1, **{k: v[e] if e < len(v) else None for k, v in result.losses.items()}}
        for e in range(n)
    ]


def plot_trajectories(result: OptimizerResult, path: Path, columns: int = 3) -> Path:
    """One panel per optimizer: its path over the contour lines of the surface."""
    surface = FUNCTIONS[result.function]
    grid = _grid(surface)
    rows = -(-len(result.trajectories) // columns)
    fig = _plot.new_figure(4.2 * columns, 3.0 * rows + 0.4)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, points) in zip(axes, result.trajectories.items()):
        _draw_path(ax, grid, surface, points, _title(name, result.trajectory_lrs[name]))
    for ax in axes[len(result.trajectories) :]:
        ax.set_axis_off()
    steps = len(next(iter(result.trajectories.values()))) - 1
    fig.suptitle(f"{steps} steps on f = {_FORMULAS.get(result.function, result.function)}")
    return _plot.save_png(fig, path)


_FORMULAS = {"x2/20+y2": "x²/20 + y²", "rosenbrock": "(1 − x)² + 100(y − x²)²", "saddle": "x² − y²"}


def _title(name: str, lr: float | None) -> str:
    return name if lr is None else f"{name} (lr {lr:g})"


def _grid(surface, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, Y = np.meshgrid(np.linspace(*surface.xlim, n), np.linspace(*surface.ylim, n))
    with no_grad():
        Z = surface.f(Tensor(X), Tensor(Y)).data  # the built-ins are elementwise
    return X, Y, Z


def _draw_path(ax, grid, surface, points: np.ndarray, title: str) -> None:
    X, Y, Z = grid
    levels = np.unique(np.quantile(Z, np.linspace(0.01, 0.95, 14)))
    ax.contour(X, Y, Z, levels=levels, colors="0.6", linewidths=0.7)
    ax.plot(points[:, 0], points[:, 1], "o-", color="tab:red", ms=3, lw=1.2)
    ax.plot(*points[0], "s", color="black", ms=5)
    if surface.minimum is not None:
        ax.plot(*surface.minimum, "+", color="black", ms=12, mew=2)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, title=title, xlabel="x", ylabel="y")


def plot_losses(result: OptimizerResult, path: Path) -> Path:
    """The training loss per epoch of every optimizer, in one figure (log scale)."""
    fig = _plot.new_figure(6.5, 4.2)
    ax = fig.subplots()
    for name, losses in result.losses.items():
        epochs = np.arange(1, len(losses) + 1)
        ax.plot(epochs, losses, marker="o", ms=3, label=_title(name, result.network_lrs[name]))
    ax.set_yscale("log")
    _plot.integer_ticks(ax)
    ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)")
    ax.set_title("64-100-10 ReLU network on digits, same start and batches")
    ax.legend(fontsize=8)
    return _plot.save_png(fig, path)


def summary(result: OptimizerResult) -> str:
    """The two tables as text."""
    text = format_table(result.trajectory_rows(), ("optimizer", "lr", "x", "y", "distance", "f"))
    diverged = [name for name, path in result.trajectories.items() if np.isnan(path[-1]).any()]
    if diverged:
        text += (
            f"\nnote: {', '.join(diverged)} diverged on {result.function} at the rate shown "
            "(nan from there on): fewer --steps shows the path before that, and "
            "chainrule.optim.playground takes other rates"
        )
    if result.losses:
        columns = ("optimizer", "lr", "final_loss", "test_accuracy")
        text += "\n\n" + format_table(result.network_rows(), columns)
    return text
