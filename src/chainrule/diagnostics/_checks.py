"""The rules behind the Monitor's warnings; each returns a one-line message or None.

Layer gradient norms are given in the order the forward pass calls the layers (first
layer first): a layer is the module owning the parameters, and its norm is that of all its
parameters' gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Thresholds:
    """When the Monitor warns.

    ``vanish``: the first layer's gradient norm is below this share of the last layer's.
    ``explode``: a layer's gradient norm is above this value, or ``growth`` times larger
    than at the previous recorded epoch (than ``vanish`` times that record's largest layer
    norm, if it was smaller: a vanished layer coming back is not exploding).
    ``inf`` switches a rule off.
    """

    vanish: float = 1e-3
    explode: float = 1e3
    growth: float = 100.0

    def __post_init__(self) -> None:
        """Refuse a limit that is not a positive number (inf switches a rule off)."""
        for name in ("vanish", "explode", "growth"):
            v = getattr(self, name)
            if not _positive_number(v):
                raise ValueError(f"Thresholds: {name} must be a positive number, got {v!r}")


def _positive_number(v) -> bool:
    real = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    return real and v > 0  # NaN is not > 0


def vanishing(norms: dict[str, float], t: Thresholds) -> str | None:
    """The first layer's gradient is tiny next to the last layer's (the sigmoid lesson)."""
    if len(norms) < 2 or t.vanish == math.inf:  # inf switches the rule off
        return None
    (first, g_first), (last, g_last) = next(iter(norms.items())), list(norms.items())[-1]
    if not 0 < g_last < math.inf or not math.isfinite(g_first) or g_first >= t.vanish * g_last:
        return None
    return (
        f"vanishing gradients: the first layer's gradient norm ({first}: {g_first:.2e}) "
        f"is {g_first / g_last:.1e} of the last layer's ({last}: {g_last:.2e}), "
        f"below {t.vanish:g}"
    )


def exploding(norms: dict[str, float], before: dict[str, float], t: Thresholds) -> str | None:
    """A layer's gradient norm is huge, or grew ``t.growth``-fold since the last record.

    Growth is measured from no less than ``t.vanish`` times the largest layer norm of the
    last record: a layer whose gradient had vanished and comes back to the size of the
    others is recovering, not exploding."""
    finite = [g for g in before.values() if math.isfinite(g)]
    floor = t.vanish * max(finite) if finite and t.vanish < math.inf else 0.0
    for layer, g in norms.items():
        if math.isfinite(g) and g > t.explode:
            return f"exploding gradients: layer {layer} has gradient norm {g:.2e} > {t.explode:g}"
        g0 = before.get(layer)
        if g0 and math.isfinite(g) and g > t.growth * max(g0, floor):
            return (
                f"exploding gradients: layer {layer}'s gradient norm grew {g / g0:.0f}× "
                f"since the last record ({g0:.2e} -> {g:.2e})"
            )
    return None


def nonfinite_gradients(norms: dict[str, float]) -> str | None:
    """Some parameter's gradient holds inf or nan: the next step spoils the weights."""
    bad = [name for name, g in norms.items() if not math.isfinite(g)]
    if not bad:
        return None
    return f"non-finite gradients in {', '.join(bad)}: the weights will become nan"


def nonfinite_loss(logs: dict[str, float]) -> str | None:
    """A logged loss (``loss``, ``val_loss``, ...) is inf or nan."""
    bad = [f"{k} = {v}" for k, v in logs.items() if "loss" in k and not math.isfinite(v)]
    return f"non-finite loss: {', '.join(bad)}" if bad else None
