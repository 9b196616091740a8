"""Statistics of one layer's activations, on plain NumPy arrays.

A unit is *saturated* when its local gradient is below 1% of the activation's largest
local gradient, the gradient read from the output y: sigmoid′ = y(1 − y) < 0.01 · 0.25,
tanh′ = 1 − y² < 0.01 · 1, ELU′ = y + α < 0.01 · max(1, α) (y ≤ 0, the flat end at −α),
SELU′ = y + λα < 0.01 · λα (likewise, at −λα), CELU′ = 1 + y/α < 0.01 (at −α),
softplus′ = σ(βx) = 1 − e^(−βy) < 0.01 · 1 (the flat end at 0), logsigmoid′ = 1 − eʸ
< 0.01 (at 0), softsign′ = (1 − |y|)² < 0.01 (both ends), and hardtanh, relu6 and
hardsigmoid at their bounds (gradient 0 there, PyTorch's convention). A ReLU unit is
*dead* when it is never positive over the whole probe batch: its gradient is then 0 for
every sample, so its incoming weights stop learning. Neither applies to the other
activations (None): see the package's README for the rule of each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a local gradient below this share of its maximum counts as saturated
SATURATION = 0.01

#: the local gradient of each squashing activation, as a function of its output y, and its
#: largest value
_LOCAL_GRADIENT = {
    "sigmoid": (lambda y: y * (1.0 - y), 0.25),
    "tanh": (lambda y: 1.0 - y * y, 1.0),
}
#: the settings of the activations with one (the layer's attributes), and their defaults
SETTINGS = {
    "elu": {"alpha": 1.0},
    "celu": {"alpha": 1.0},
    "softplus": {"beta": 1.0, "threshold": 20.0},
    "hardtanh": {"min_val": -1.0, "max_val": 1.0},
}
#: SELU's λ and α (`nn.SELU`'s constants); λα, its largest local gradient, is at 0⁻
_SELU_SCALE, _SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
#: the outputs at which a clipping activation's gradient is 0: its bounds
_BOUNDS = {"relu6": (0.0, 6.0), "hardsigmoid": (0.0, 1.0)}
_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass
class ActivationStats:
    """One layer's activations over a batch: summary numbers and a histogram.

    ``saturated`` is None for activations without a flat end that y tells (see
    `local_gradient`),
    ``dead`` None for activations other than ReLU: not applicable, not 0. ``counts`` /
    ``edges`` are ``np.histogram``'s outputs.
    """

    layer: str
    kind: str
    mean: float
    std: float
    saturated: float | None
    dead: float | None
    counts: np.ndarray
    edges: np.ndarray

    def row(self) -> dict[str, object]:
        """The summary numbers as a flat dict (a CSV row)."""
        keys = ("layer", "kind", "mean", "std", "saturated", "dead")
        return {k: getattr(self, k) for k in keys}


def saturated_share(kind: str, y: np.ndarray, **settings) -> float | None:
    """Share of the values of ``y`` (an output of an activation with a flat end) whose local
    gradient is below ``SATURATION`` of its maximum; None for other activations, and where
    the outputs cannot tell it (see `local_gradient`). ``settings`` are the layer's (ELU's
    ``alpha``, softplus's ``beta`` and ``threshold``, ...; by default the layers' defaults)."""
    gradient = local_gradient(kind, **settings)
    if gradient is None:
        return None
    local, peak = gradient
    y = np.asarray(y, dtype=np.float64)
    y = y[~np.isnan(y)]  # NaN is neither saturated nor not: left out, as from mean and std
    return float(np.mean(local(y) < SATURATION * peak)) if y.size else 0.0


def local_gradient(kind: str, **settings):
    """(the local gradient as a function of the output, its largest value) of a saturating
    activation, or None: the other activations have no flat end (or one the output cannot
    tell from the rest), and some settings make the gradient no function of the output
    (ELU or CELU with ``alpha`` ≤ 0, softplus whose linear part starts below its saturated
    outputs)."""
    unknown = set(settings) - set(SETTINGS.get(kind, ()))
    if unknown:
        raise TypeError(f"saturated_share: {kind} has no setting {', '.join(sorted(unknown))}")
    if kind in _LOCAL_GRADIENT:
        return _LOCAL_GRADIENT[kind]
    given = {**SETTINGS.get(kind, {}), **settings}
    if kind == "elu" and given["alpha"] > 0:  # α(eˣ − 1) for x ≤ 0: gradient αeˣ = y + α
        alpha = given["alpha"]
        return (lambda y: np.where(y > 0, 1.0, y + alpha)), max(1.0, alpha)
    if kind == "selu":  # λα(eˣ − 1) for x ≤ 0: gradient λαeˣ = y + λα; λ for x > 0
        peak = _SELU_SCALE * _SELU_ALPHA
        return (lambda y: np.where(y > 0, _SELU_SCALE, y + peak)), peak
    if kind == "celu" and given["alpha"] > 0:  # α(e^(x/α) − 1): gradient e^(x/α) = 1 + y/α
        alpha = given["alpha"]
        return (lambda y: np.where(y > 0, 1.0, 1.0 + y / alpha)), 1.0
    if kind == "logsigmoid":  # ln σ(x): gradient σ(−x) = 1 − eʸ, the flat end at y = 0
        return (lambda y: -np.expm1(y)), 1.0
    if kind == "softsign":  # x/(1 + |x|): gradient 1/(1 + |x|)² = (1 − |y|)²
        return (lambda y: (1.0 - np.abs(y)) ** 2), 1.0
    if kind == "hardtanh" or kind in _BOUNDS:  # gradient 0 at (and beyond) the bounds
        lo, hi = _BOUNDS.get(kind) or (given["min_val"], given["max_val"])
        peak = 1 / 6 if kind == "hardsigmoid" else 1.0
        return (lambda y: np.where((y <= lo) | (y >= hi), 0.0, peak)), peak
    if kind == "softplus":  # σ(βx) = 1 − e^(−βy); βy > threshold on the linear part
        beta = given["beta"]
        if given["threshold"] < -np.log1p(-SATURATION):  # a linear output could pass for one
            return None
        return (lambda y: -np.expm1(-beta * y)), 1.0
    return None


def dead_share(y: np.ndarray) -> float:
    """Share of units (columns of ``y``, shape (N, units...)) never positive over the batch;
    a unit whose outputs are all NaN is broken, not dead, and is not counted as dead."""
    y = np.asarray(y)
    if y.size == 0:
        return 0.0
    units = y.reshape(len(y), -1)  # (N, units): every non-batch axis is a unit
    dead = ~np.any(units > 0, axis=0) & ~np.all(np.isnan(units), axis=0)
    return float(np.mean(dead))


def histogram_range(kind: str, y: np.ndarray, bins: int = 30) -> tuple[float, float]:
    """The histogram's range: the activation's own range for sigmoid / tanh (so epochs and
    layers compare), the data's range otherwise, widened about its middle where it is too
    narrow for ``bins`` distinct bin edges (a single value gets a unit-wide range, or one
    ``bins`` float spacings wide where the floats are sparser than that)."""
    if kind in _RANGES:
        return _RANGES[kind]
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        return (0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if _distinct_edges(lo, hi, bins):
        return (lo, hi)
    mid = lo / 2 + hi / 2
    half = max(0.5, float(bins * np.spacing(abs(mid))), hi / 2 - lo / 2)
    return (mid - half, mid + half)


def _distinct_edges(lo: float, hi: float, bins: int) -> bool:
    """Whether ``bins`` equal bins from ``lo`` to ``hi`` have finite, increasing edges."""
    with np.errstate(over="ignore", invalid="ignore"):
        edges = np.linspace(lo, hi, bins + 1)
    return bool(np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0))


def activation_stats(
    layer: str,
    kind: str,
    y: np.ndarray,
    bins: int = 30,
    hist_range: tuple[float, float] | None = None,
    **settings,
) -> ActivationStats:
    """Mean, std, saturated / dead share and a ``bins``-bin histogram of ``y`` (over
    ``hist_range``, by default `histogram_range`); non-finite values are left out. The std
    is NumPy's population std (ddof 0): the probe is all there is to describe, not a
    sample of something larger. ``settings``: the layer's, for `saturated_share`."""
    y = np.asarray(y, dtype=np.float64)
    finite = y[np.isfinite(y)]
    span = histogram_range(kind, y, bins) if hist_range is None else hist_range
    counts, edges = np.histogram(finite, bins=bins, range=span)
    return ActivationStats(
        layer=layer,
        kind=kind,
        mean=float(finite.mean()) if finite.size else float("nan"),
        std=float(finite.std()) if finite.size else float("nan"),
        saturated=saturated_share(kind, y, **settings),
        dead=dead_share(y) if kind == "relu" else None,
        counts=counts,
        edges=edges,
    )
