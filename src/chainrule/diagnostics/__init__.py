"""`chainrule.diagnostics`: the vanishing-gradient lesson, measured while a network trains.

monitor = cr.diagnostics.Monitor(model, out_dir="runs/diag")
cr.fit(model, loss_fn, opt, (X, y), epochs=10, callbacks=[monitor])
monitor.records[-1].activations   # per layer: mean, std, histogram, saturated/dead share
monitor.records[-1].grad_norms    # per parameter: mean gradient norm over the batches that gave one
monitor.alerts                    # vanishing / exploding gradients, non-finite gradients or losses
"""

from ._checks import Thresholds
from ._monitor import Monitor, grad_norms, layer_norms, monitor_for_run, probe_batch
from ._probe import activation_kind, layer_outputs
from ._records import Alert, EpochRecord
from ._stats import (
    SATURATION,
    ActivationStats,
    activation_stats,
    dead_share,
    saturated_share,
)

__all__ = [
    "SATURATION",
    "ActivationStats",
    "Alert",
    "EpochRecord",
    "Monitor",
    "Thresholds",
    "activation_kind",
    "activation_stats",
    "dead_share",
    "grad_norms",
    "layer_norms",
    "layer_outputs",
    "monitor_for_run",
    "probe_batch",
    "saturated_share",
]
