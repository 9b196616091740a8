"""`chainrule.experiments`: the tutorials' experiments, measured and drawn.

``chainrule experiment init``        activations of a deep network under four weight inits
``chainrule experiment optimizers``  optimizer paths on x²/20 + y², loss curves on digits

The same from Python::

    result = cr.experiments.init_experiment()          # then result.table(), result.rows()
    result = cr.experiments.optimizer_experiment(epochs=5)
"""

from ._command import add_arguments, main
from ._initialisation import INITS, InitResult, init_experiment, init_network, write_init_outputs
from ._optimizers import (
    NETWORK_OPTIMIZERS,
    ROSENBROCK_OPTIMIZERS,
    TRAJECTORY_OPTIMIZERS,
    OptimizerResult,
    optimizer_experiment,
    write_optimizer_outputs,
)

__all__ = [
    "INITS",
    "NETWORK_OPTIMIZERS",
    "ROSENBROCK_OPTIMIZERS",
    "TRAJECTORY_OPTIMIZERS",
    "InitResult",
    "OptimizerResult",
    "add_arguments",
    "init_experiment",
    "init_network",
    "main",
    "optimizer_experiment",
    "write_init_outputs",
    "write_optimizer_outputs",
]
