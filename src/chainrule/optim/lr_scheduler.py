"""`chainrule.optim.lr_scheduler`: the learning-rate schedules under PyTorch's module name,
so ``from chainrule.optim.lr_scheduler import StepLR`` works as
``torch.optim.lr_scheduler`` does. They are the same classes as ``cr.optim.StepLR`` and the
rest; this module only makes the PyTorch spelling work."""

from ._common_schedulers import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)
from ._cyclic_lr import CyclicLR
from ._more_schedulers import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    MultiplicativeLR,
    PolynomialLR,
)
from ._one_cycle import OneCycleLR
from ._plateau import ReduceLROnPlateau
from ._schedulers import LRScheduler
from ._sequential import SequentialLR

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
