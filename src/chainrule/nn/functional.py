"""`chainrule.nn.functional`: the layers and losses as plain functions of tensors, and `norm`
(Euclidean; its gradient at 0 is 0, not NaN).

import chainrule.nn.functional as F
loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), labels)
"""

from ..ops import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from ..ops._reduce import norm
from ._layers import dropout, linear
from ._losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "norm",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
