"""`chainrule.nn.functional`: the layers and losses as plain functions of tensors.

import chainrule.nn.functional as F
loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), labels)
"""

from ..ops import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
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
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
