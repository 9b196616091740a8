"""Checking what a `Monitor` is given: the model, the directory it writes into, the probe
batch (run once to see that the model takes it) and the thresholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._tensor import Tensor
from . import _checks
from ._probe import layer_calls


def check_model(model) -> None:
    """``model``: a Module, or None for the one `fit` trains; the probe data, or anything
    else, given in its place is a TypeError that says where it goes."""
    from ..nn import Module

    if model is None or isinstance(model, Module):
        return
    hint = " (probe data goes in probe=)" if isinstance(model, (np.ndarray, Tensor)) else ""
    raise TypeError(
        f"Monitor: model must be an nn.Module, or None for the model fit trains, got "
        f"{type(model).__name__}{hint}"
    )


def check_out_dir(out_dir: Path) -> None:
    """``out_dir`` is a directory, or can be made one: its nearest existing part is one."""
    for part in (out_dir, *out_dir.parents):
        if part.exists():
            if not part.is_dir():
                raise ValueError(f"Monitor: out_dir {out_dir}: {part} is not a directory")
            return


def check_probe(model, probe) -> None:
    """Run the probe once (eval mode, no graph: nothing changes); an error names it."""
    shape = np.shape(probe)
    if len(shape) == 0 or shape[0] == 0:
        raise ValueError(f"Monitor: probe must hold at least one sample, got shape {shape}")
    try:
        layer_calls(model, probe)
    except (ValueError, TypeError) as e:
        raise ValueError(f"Monitor: the model cannot take the probe of shape {shape}: {e}") from e


def checked_thresholds(thresholds) -> _checks.Thresholds:
    """``thresholds``, or the default ones for None; anything else is refused."""
    if thresholds is None:
        return _checks.Thresholds()
    if not isinstance(thresholds, _checks.Thresholds):
        raise TypeError(
            "Monitor: thresholds must be a chainrule.diagnostics.Thresholds, e.g. "
            f"Thresholds(vanish=1e-4), got {thresholds!r}"
        )
    return thresholds
