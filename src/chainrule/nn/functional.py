"""`chainrule.nn.functional`: the layers and losses as plain functions of tensors, `norm`
(Euclidean; its gradient at 0 is 0, not NaN) and `logsumexp` (−inf with gradient 0 over a
slice of all −inf, not NaN).

import chainrule.nn.functional as F
loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), labels)
"""

import numpy as np

from .. import ops
from .._tensor import Tensor
from ..data._preprocessing import one_hot as _one_hot
from ..ops import (
    gelu,
    log_softmax,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from ..ops._reduce import norm
from ..ops._softmax import logsumexp
from ._activations import celu, logsigmoid, mish, selu, softsign, tanhshrink
from ._adaptive_pool import adaptive_avg_pool2d, adaptive_max_pool2d
from ._attention import scaled_dot_product_attention
from ._avg_pool import avg_pool2d
from ._batch_norm import batch_norm
from ._bce_probabilities import binary_cross_entropy
from ._bce_with_logits import binary_cross_entropy_with_logits
from ._channel_dropout import dropout1d, dropout3d
from ._class_margin_losses import (
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from ._conv import conv2d
from ._conv1d import conv1d
from ._conv_layers import dropout2d, group_norm
from ._conv_transpose import conv_transpose1d, conv_transpose2d
from ._cross_entropy import cross_entropy
from ._ctc import ctc_loss
from ._embedding import embedding
from ._embedding_losses import cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss
from ._instance_norm import instance_norm
from ._layers import _inplace, dropout, linear
from ._local_response_norm import local_response_norm
from ._losses import mse_loss
from ._lp_pool import lp_pool1d, lp_pool2d
from ._max_pool import max_pool2d
from ._more_layers import alpha_dropout, bilinear, rms_norm
from ._nll_loss import nll_loss
from ._norm import layer_norm
from ._padding import pad
from ._piecewise_activations import (
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    prelu,
    relu6,
    softshrink,
    threshold,
)
from ._pool1d import adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, max_pool1d
from ._probabilistic_losses import gaussian_nll_loss, kl_div, poisson_nll_loss
from ._robust_losses import huber_loss, l1_loss, smooth_l1_loss
from ._similarity import (
    cosine_similarity,
    glu,
    normalize,
    pairwise_distance,
    softmin,
)
from ._triplet_losses import triplet_margin_loss, triplet_margin_with_distance_loss
from ._upsample import interpolate, pixel_shuffle, pixel_unshuffle

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "alpha_dropout",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "ctc_loss",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "embedding",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "group_norm",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "local_response_norm",
    "log_softmax",
    "logsigmoid",
    "logsumexp",
    "lp_pool1d",
    "lp_pool2d",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool2d",
    "mish",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "norm",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "rms_norm",
    "scaled_dot_product_attention",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """PyTorch's ``F.one_hot``: int64 rows of the identity, of shape ``tensor.shape +
    (num_classes,)``, not recorded (labels have no gradient). ``num_classes=-1`` takes
    the largest label + 1, as PyTorch's; give it for batches, which may lack the last
    class. For float rows ready for a loss, `chainrule.data.one_hot` takes the dtype."""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if isinstance(num_classes, (int, np.integer)) and num_classes == -1:
        if labels.size == 0:
            raise ValueError(
                "one_hot: cannot infer num_classes from an empty tensor; give num_classes"
            )
        num_classes = int(labels.max()) + 1 if labels.dtype.kind in "iu" else num_classes
    return Tensor(_one_hot(labels, num_classes, dtype=np.int64))


# PyTorch's functions with ``inplace=``: the op, with the flag checked and changing nothing
# (chainrule never writes into an op's input; see `nn.ReLU`)
def relu(input, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise: `chainrule.relu`, with PyTorch's ``inplace`` accepted (the
    output is a new tensor either way)."""
    _inplace("relu", inplace)
    return ops.relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope · x otherwise: `chainrule.leaky_relu`, with PyTorch's
    ``inplace`` accepted (the output is a new tensor either way)."""
    _inplace("leaky_relu", inplace)
    return ops.leaky_relu(input, negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α·(eˣ − 1) otherwise: `chainrule.elu`, with PyTorch's ``inplace``
    accepted (the output is a new tensor either way)."""
    _inplace("elu", inplace)
    return ops.elu(input, alpha)


def silu(input, inplace: bool = False) -> Tensor:
    """x·σ(x) elementwise: `chainrule.silu`, with PyTorch's ``inplace`` accepted (the output
    is a new tensor either way)."""
    _inplace("silu", inplace)
    return ops.silu(input)
