"""The differentiable ops. Each op is a `Function` subclass with its forward and local
gradient side by side, plus a lowercase function that applies it."""

from ._activations import elu, leaky_relu, relu, sigmoid, silu, softplus, tanh
from ._arithmetic import add, div, floor_divide, mul, neg, pow, remainder, sub
from ._casts import cast
from ._compare import argmax, argmin, compare
from ._elementwise import maximum, minimum, where
from ._exp_log import exp, expm1, log, log1p, log2, log10, reciprocal, rsqrt, sqrt
from ._gaussian import erf, erfc, gelu
from ._linalg import matmul
from ._piecewise import abs, ceil, clip, floor, round, sign, trunc
from ._reduce import max, mean, min, prod, sum
from ._shape import broadcast_to, concatenate, index, reshape, stack, swapaxes, transpose
from ._softmax import log_softmax, softmax
from ._trig import (
    acos,
    arccos,
    arcsin,
    arctan,
    arctan2,
    asin,
    atan,
    atan2,
    cos,
    cosh,
    sin,
    sinh,
    tan,
)

# composed of the ops above, with no Function of their own: re-exported by name (``x as
# x``), not in __all__, which lists the primitives (each has a row in the op table)
from ._composed_reductions import amax as amax  # isort: skip
from ._composed_reductions import amin as amin  # isort: skip
from ._casts import clone as clone  # isort: skip
from ._reshapes import expand as expand  # isort: skip
from ._reshapes import flatten as flatten  # isort: skip
from ._indexing import masked_fill as masked_fill  # isort: skip
from ._reshapes import permute as permute  # isort: skip
from ._exp_log import square as square  # isort: skip
from ._reshapes import squeeze as squeeze  # isort: skip
from ._composed_reductions import std as std  # isort: skip
from ._casts import to as to  # isort: skip
from ._reshapes import unsqueeze as unsqueeze  # isort: skip
from ._composed_reductions import var as var  # isort: skip
from ._shape import cat as cat  # isort: skip  (concatenate under PyTorch's name)

# array ops (primitives in __all__; compositions and the ops outside the graph re-exported
# by name)
from ._arrays import cumsum, diag, flip, roll  # isort: skip
from ._einsum import einsum  # isort: skip
from ._compare import all as all  # isort: skip
from ._compare import any as any  # isort: skip
from ._compare import argsort as argsort  # isort: skip
from ._compare import isfinite as isfinite  # isort: skip
from ._compare import isinf as isinf  # isort: skip
from ._compare import isnan as isnan  # isort: skip
from ._indexing import TopK as TopK  # isort: skip
from ._reshapes import chunk as chunk  # isort: skip
from ._indexing import gather as gather  # isort: skip
from ._matrices import outer as outer  # isort: skip
from ._reshapes import repeat_interleave as repeat_interleave  # isort: skip
from ._indexing import sort as sort  # isort: skip
from ._indexing import take_along_axis as take_along_axis  # isort: skip
from ._reshapes import tile as tile  # isort: skip
from ._indexing import topk as topk  # isort: skip
from ._matrices import trace as trace  # isort: skip
from ._matrices import tril as tril  # isort: skip
from ._matrices import triu as triu  # isort: skip
from ._reshapes import unbind as unbind  # isort: skip
from ._running import cumprod, logcumsumexp  # isort: skip
from ._running import ValuesIndices as ValuesIndices  # isort: skip
from ._running import cummax as cummax  # isort: skip
from ._running import cummin as cummin  # isort: skip
from ._running import diff as diff  # isort: skip
from ._select_scatter import index_add as index_add  # isort: skip
from ._select_scatter import index_select as index_select  # isort: skip
from ._select_scatter import masked_select as masked_select  # isort: skip
from ._select_scatter import scatter_add as scatter_add  # isort: skip
from ._statistics import kthvalue as kthvalue  # isort: skip
from ._statistics import median as median  # isort: skip
from ._statistics import nanmean as nanmean  # isort: skip
from ._statistics import nansum as nansum  # isort: skip
from ._index_valued import nonzero as nonzero  # isort: skip
from ._index_valued import unique as unique  # isort: skip

# PyTorch's functions: xlogy, hypot and fmod are primitives (in __all__), the others
# compositions or outside the graph
from ._torch_elementwise import fmod, hypot, xlogy  # isort: skip
from ._torch_elementwise import contiguous as contiguous  # isort: skip
from ._torch_elementwise import logit as logit  # isort: skip
from ._torch_elementwise import nan_to_num as nan_to_num  # isort: skip
from ._torch_products import addcdiv as addcdiv  # isort: skip
from ._torch_products import addcmul as addcmul  # isort: skip
from ._torch_products import addmm as addmm  # isort: skip
from ._torch_products import bmm as bmm  # isort: skip
from ._torch_axes import moveaxis as moveaxis  # isort: skip
from ._torch_axes import movedim as movedim  # isort: skip
from ._torch_axes import narrow as narrow  # isort: skip
from ._torch_logical import allclose as allclose  # isort: skip
from ._torch_logical import count_nonzero as count_nonzero  # isort: skip
from ._torch_logical import equal as equal  # isort: skip
from ._torch_logical import isclose as isclose  # isort: skip
from ._torch_logical import logical_and as logical_and  # isort: skip
from ._torch_logical import logical_not as logical_not  # isort: skip
from ._torch_logical import logical_or as logical_or  # isort: skip
from ._torch_logical import logical_xor as logical_xor  # isort: skip

__all__ = [
    "abs",
    "acos",
    "add",
    "arccos",
    "arcsin",
    "arctan",
    "arctan2",
    "argmax",
    "argmin",
    "asin",
    "atan",
    "atan2",
    "broadcast_to",
    "cast",
    "ceil",
    "clip",
    "compare",
    "concatenate",
    "cos",
    "cosh",
    "cumprod",
    "cumsum",
    "diag",
    "div",
    "einsum",
    "elu",
    "erf",
    "erfc",
    "exp",
    "expm1",
    "flip",
    "floor",
    "floor_divide",
    "fmod",
    "gelu",
    "hypot",
    "index",
    "leaky_relu",
    "log",
    "log1p",
    "log2",
    "log10",
    "log_softmax",
    "logcumsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "pow",
    "prod",
    "reciprocal",
    "relu",
    "remainder",
    "reshape",
    "roll",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "sinh",
    "softmax",
    "softplus",
    "sqrt",
    "stack",
    "sub",
    "sum",
    "swapaxes",
    "tan",
    "tanh",
    "transpose",
    "trunc",
    "where",
    "xlogy",
]
