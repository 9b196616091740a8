"""`chainrule.nn`: modules, layers, losses and initialisers for neural networks.

import numpy as np
import chainrule as cr
x = np.random.default_rng(0).random((32, 784), dtype=np.float32)  # a batch of 32 inputs
labels = np.arange(32) % 10  # and their classes
model = cr.nn.Sequential(cr.nn.Linear(784, 100), cr.nn.ReLU(), cr.nn.Linear(100, 10))
loss = cr.nn.SoftmaxCrossEntropy()(model(x), labels)
loss.backward()
"""

from . import functional, init, utils
from ._activations import CELU, SELU, LogSigmoid, LogSoftmax, Mish, Softsign, Tanhshrink
from ._adaptive_pool import AdaptiveAvgPool2d, AdaptiveMaxPool2d
from ._avg_pool import AvgPool2d
from ._batch_norm import BatchNorm1d
from ._bce_probabilities import BCELoss
from ._bce_with_logits import BCEWithLogits, BCEWithLogitsLoss
from ._channel_dropout import Dropout1d, Dropout3d
from ._class_margin_losses import (
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
)
from ._containers import ModuleDict, ParameterDict, ParameterList
from ._conv import Conv2d
from ._conv1d import Conv1d
from ._conv_layers import BatchNorm2d, Dropout2d, GroupNorm
from ._conv_transpose import ConvTranspose1d, ConvTranspose2d
from ._core_activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from ._cross_entropy import CrossEntropyLoss, SoftmaxCrossEntropy
from ._ctc import CTCLoss
from ._embedding import Embedding
from ._embedding_losses import CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss
from ._instance_norm import InstanceNorm1d, InstanceNorm2d
from ._layers import Affine, Dropout, Flatten, Identity, Linear
from ._local_response_norm import LocalResponseNorm
from ._losses import MSELoss
from ._lp_pool import LPPool1d, LPPool2d
from ._max_pool import MaxPool2d
from ._module import Module, Parameter
from ._more_layers import AlphaDropout, Bilinear, RMSNorm
from ._multihead_attention import MultiheadAttention
from ._nll_loss import NLLLoss
from ._norm import LayerNorm
from ._padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from ._piecewise_activations import (
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    PReLU,
    ReLU6,
    Softshrink,
    Threshold,
)
from ._pool1d import AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, MaxPool1d
from ._probabilistic_losses import GaussianNLLLoss, KLDivLoss, PoissonNLLLoss
from ._recurrent import GRUCell, LSTMCell, RNNCell
from ._recurrent_layers import GRU, LSTM, RNN
from ._robust_losses import HuberLoss, L1Loss, SmoothL1Loss
from ._sequential import ModuleList, Sequential
from ._similarity import GLU, CosineSimilarity, PairwiseDistance, Softmin, Unflatten
from ._softmax_with_loss import SoftmaxWithLoss
from ._state_dict import LoadResult
from ._transformer import Transformer, TransformerDecoder, TransformerEncoder
from ._transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer
from ._triplet_losses import TripletMarginLoss, TripletMarginWithDistanceLoss
from ._upsample import PixelShuffle, PixelUnshuffle, Upsample

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "GRU",
    "LSTM",
    "RNN",
    "SELU",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "Affine",
    "AlphaDropout",
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogits",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Bilinear",
    "CTCLoss",
    "CircularPad1d",
    "CircularPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "CosineEmbeddingLoss",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GaussianNLLLoss",
    "GroupNorm",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "Identity",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "KLDivLoss",
    "L1Loss",
    "LPPool1d",
    "LPPool2d",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LoadResult",
    "LocalResponseNorm",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MarginRankingLoss",
    "MaxPool1d",
    "MaxPool2d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "MultiheadAttention",
    "NLLLoss",
    "PReLU",
    "PairwiseDistance",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "PixelShuffle",
    "PixelUnshuffle",
    "PoissonNLLLoss",
    "RMSNorm",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "Softmax",
    "SoftmaxCrossEntropy",
    "SoftmaxWithLoss",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "Unflatten",
    "Upsample",
    "ZeroPad1d",
    "ZeroPad2d",
    "functional",
    "init",
    "utils",
]
