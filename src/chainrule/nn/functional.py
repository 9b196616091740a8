"""`chainrule.nn.functional`: the layers and losses as plain functions of tensors, `norm`
(Euclidean; its gradient at 0 is 0, not NaN) and `logsumexp` (−inf with gradient 0 over a
slice of all −inf, not NaN).

import chainrule.nn.functional as F
loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), labels)
"""

from ..ops import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from ..ops._reduce import norm
from ..ops._softmax import logsumexp
from ._layers import dropout, linear
from ._losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from ._more_losses import (
    binary_cross_entropy,
    huber_loss,
    l1_loss,
    nll_loss,
    smooth_l1_loss,
)
from ._norm import layer_norm

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsumexp",
    "mse_loss",
    "nll_loss",
    "norm",
    "relu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
