"""Optimizers, gradient clipping and learning-rate schedules (PyTorch's names and API).

A training loop::

    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in loader:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
"""

from . import lr_scheduler
from ._adam import Adam, AdamW
from ._adaptive import AdaGrad, RMSProp
from ._clip import clip_grad_norm_, clip_grad_value_
from ._lbfgs import LBFGS
from ._more_adaptive import Adamax, NAdam, RAdam
from ._more_optimizers import ASGD, Adadelta, Rprop
from ._optimizer import Optimizer
from ._playground import playground
from ._sgd import SGD, Momentum, Nesterov
from ._state import flatten_state_dict, unflatten_state_dict
from .lr_scheduler import (  # the schedules, gathered there under PyTorch's module name
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

Adagrad = AdaGrad  # PyTorch's spelling
RMSprop = RMSProp  # PyTorch's spelling

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "AdaGrad",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "Momentum",
    "MultiStepLR",
    "MultiplicativeLR",
    "NAdam",
    "Nesterov",
    "OneCycleLR",
    "Optimizer",
    "PolynomialLR",
    "RAdam",
    "RMSProp",
    "RMSprop",
    "ReduceLROnPlateau",
    "Rprop",
    "SequentialLR",
    "StepLR",
    "clip_grad_norm_",
    "clip_grad_value_",
    "flatten_state_dict",
    "lr_scheduler",
    "playground",
    "unflatten_state_dict",
]
