"""chainrule: reverse-mode automatic differentiation and neural networks on NumPy.

import chainrule as cr
x = cr.tensor(2.0, requires_grad=True)
y = x * x + 3 * x
y.backward()
x.grad  # 7.0
"""

# _tensor first: it imports the ops, which build on Function, which builds Tensors.
from ._tensor import Tensor, tensor  # isort: skip
from ._anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from ._dtypes import get_default_dtype, set_default_dtype
from ._function import Function
from ._functional import grad, value_and_grad
from ._generator import default_generator, manual_seed
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._gradcheck import GradcheckError, gradcheck, numerical_grad
from ._localize import check_graph
from ._strict import StrictModeWarning, is_strict, set_strict, strict
from .ops import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    cat,
    clip,
    clone,
    concatenate,
    cos,
    exp,
    flatten,
    floor_divide,
    leaky_relu,
    log,
    log_softmax,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    prod,
    relu,
    remainder,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,
    swapaxes,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .ops._create import (
    arange,
    eye,
    from_numpy,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from .ops._softmax import logsumexp

from . import callbacks, data, nn, optim  # isort: skip  (they build on the core above)
from ._checkpoint import CheckpointError, load, save
from ._history import History
from ._training import TrainState, evaluate, fit, predict

from . import diagnostics, examples, experiments  # isort: skip  (they build on nn and fit)
from ._explain import GraphvizNotFoundError, Trace, explain

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "CheckpointError",
    "Function",
    "GradcheckError",
    "GraphvizNotFoundError",
    "History",
    "StrictModeWarning",
    "Tensor",
    "Trace",
    "TrainState",
    "abs",
    "amax",
    "amin",
    "arange",
    "argmax",
    "argmin",
    "broadcast_to",
    "callbacks",
    "cat",
    "check_graph",
    "clip",
    "clone",
    "concatenate",
    "cos",
    "data",
    "default_generator",
    "detect_anomaly",
    "diagnostics",
    "enable_grad",
    "evaluate",
    "examples",
    "exp",
    "experiments",
    "explain",
    "eye",
    "fit",
    "flatten",
    "floor_divide",
    "from_numpy",
    "full",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_strict",
    "leaky_relu",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "logsumexp",
    "manual_seed",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "nn",
    "no_grad",
    "numerical_grad",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "predict",
    "prod",
    "rand",
    "randn",
    "relu",
    "remainder",
    "reshape",
    "save",
    "set_default_dtype",
    "set_detect_anomaly",
    "set_grad_enabled",
    "set_strict",
    "sigmoid",
    "sin",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "strict",
    "sum",
    "swapaxes",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "value_and_grad",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
