"""What the Monitor keeps per recorded epoch, and how it becomes JSON and CSV rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._stats import ActivationStats


class Alert(NamedTuple):
    """One warning: the epoch (1-based), its kind and the one-line message."""

    epoch: int
    kind: str
    message: str


@dataclass
class EpochRecord:
    """The statistics of one recorded epoch (``epoch`` counts from 1, as in history.csv).

    ``grad_norms`` maps each parameter's name to its gradient norm, and ``layer_grad_norms``
    each layer (the module owning parameters) to the norm of all its gradients; both are
    averaged over the epoch's batches (over those that gave the parameter a gradient).
    """

    epoch: int
    logs: dict[str, float]
    activations: list[ActivationStats]
    grad_norms: dict[str, float] = field(default_factory=dict)
    layer_grad_norms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-able dict; non-finite numbers become None."""
        return {
            "epoch": self.epoch,
            "logs": {k: _finite(v) for k, v in self.logs.items()},
            "activations": [_stats_json(s) for s in self.activations],
            "grad_norms": {k: _finite(v) for k, v in self.grad_norms.items()},
            "layer_grad_norms": {k: _finite(v) for k, v in self.layer_grad_norms.items()},
        }

    @classmethod
    def from_json(cls, d: dict) -> EpochRecord:
        """The record `to_json` wrote (None read back as NaN where a number was not finite)."""
        return cls(
            epoch=int(d["epoch"]),
            logs={k: _number(v) for k, v in d["logs"].items()},
            activations=[_stats_from_json(s) for s in d["activations"]],
            grad_norms={k: _number(v) for k, v in d["grad_norms"].items()},
            layer_grad_norms={k: _number(v) for k, v in d["layer_grad_norms"].items()},
        )

    def activation_rows(self) -> list[dict]:
        """One CSV row per layer: epoch, layer, kind, mean, std, saturated, dead."""
        return [{"epoch": self.epoch, **s.row()} for s in self.activations]

    def gradient_rows(self) -> list[dict]:
        """One CSV row per parameter: epoch, parameter, layer, grad_norm."""
        return [
            {"epoch": self.epoch, "parameter": n, "layer": layer_of(n), "grad_norm": g}
            for n, g in self.grad_norms.items()
        ]


def layer_of(parameter: str) -> str:
    """The layer owning a parameter: its dotted name without the last part ("0.weight" → "0";
    "weight" → "", the model itself, as `named_modules` names it: one layer, not one per
    parameter)."""
    return parameter.rpartition(".")[0]


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _number(v) -> float:
    return math.nan if v is None else float(v)


def _stats_from_json(d: dict) -> ActivationStats:
    optional = {k: None if d[k] is None else float(d[k]) for k in ("saturated", "dead")}
    return ActivationStats(
        layer=d["layer"],
        kind=d["kind"],
        mean=_number(d["mean"]),
        std=_number(d["std"]),
        **optional,
        counts=np.asarray(d["counts"]),
        edges=np.asarray(d["edges"], dtype=np.float64),
    )


def _stats_json(s: ActivationStats) -> dict:
    return {
        **{k: _finite(v) if isinstance(v, float) else v for k, v in s.row().items()},
        "counts": s.counts.tolist(),
        "edges": [float(e) for e in s.edges],
    }
