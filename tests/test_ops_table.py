"""One table drives every differentiable op.

Each entry names an op, the chainrule call (public API: ``cr.*``, ``cr.ops.*``, Tensor
methods and operators), its NumPy reference, and a Hypothesis strategy for inputs inside
the op's valid domain (ranks 0–4, dims 1–4 with size-1 dims, broadcasting pairs; values away
from kinks, ties and singularities). For every generated case `test_op` checks:

* the float64 forward against NumPy;
* ``cr.gradcheck`` in float64 (the whole Jacobian against central differences);
* the analytic gradient for a random upstream gradient against ``cr.numerical_grad`` of the
  scalarised function, whose relative error is recorded;
* each gradient is an ndarray of its input's shape and dtype (float64, and float32 for a
  float32 input, whose forward and gradients must also be close to float64's);
* backward twice (``retain_graph=True``, grads zeroed in between) gives identical gradients,
  and leaves the upstream gradient and the inputs unchanged;
* with several inputs, each input alone requiring gradients gets the same gradient;
* an all-zero upstream gradient gives all-zero gradients.

`test_table_summary`, defined last, prints ops × cases, failures and the worst relative
error, and fails if any op failed or ran no case. Exact conventions (ties, kinks, dtype
promotion rules) are tested elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
from _strategies import (
    MAX_SIDE,
    arrays,
    away_from,
    broadcast_shapes,
    broadcast_source_shape,
    distinct_arrays,
    floats,
    grid_arrays,
    nonzero_arrays,
    shapes,
)

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)

EXAMPLES_PER_OP = 50
SETTINGS = settings(
    max_examples=EXAMPLES_PER_OP,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: bound on the relative error (∞-norm) of an analytic gradient against central differences
#: of the scalarised op; inputs stay in well-conditioned domains, so the only error is the
#: finite differences' own (roughly 1e-10 · |output| / |gradient|).
REL_TOL = 1e-6


# ----- the table ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """Differentiable float64 inputs, and the op's other (static) arguments."""

    arrays: tuple[np.ndarray, ...]
    kw: dict = field(default_factory=dict)


def _case(*arrays: np.ndarray, **kw) -> Case:
    return Case(tuple(arrays), kw)


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable  # fn(*tensors, **case.kw) -> Tensor
    ref: Callable  # ref(*arrays, **case.kw) -> ndarray (float64)
    cases: st.SearchStrategy  # -> Case
    covers: tuple[str, ...]  # the cr.ops functions this entry exercises
    out_dtype32: np.dtype = F32  # output dtype for float32 inputs


# ----- elementwise unary ---------------------------------------------------------------------
def _unary_cases(lo: float, hi: float, kinks=()) -> st.SearchStrategy:
    @st.composite
    def cases(draw):
        x = draw(arrays(draw(shapes()), lo, hi))
        return _case(away_from(x, kinks), method=draw(st.booleans()))

    return cases()


def _unary(name: str, ref: Callable, lo: float, hi: float, kinks=()) -> Op:
    """``cr.<name>(x)`` or ``x.<name>()``."""
    function = getattr(cr, name)

    def fn(x, method):
        return getattr(x, name)() if method else function(x)

    return Op(name, fn, lambda x, method: ref(x), _unary_cases(lo, hi, kinks), (name,))


def _neg(x, method):
    return -x if method else cr.ops.neg(x)


def _cast(x, method):
    return x.astype("float64") if method else cr.ops.cast(x, np.float64)


@st.composite
def _leaky_relu_cases(draw):
    x = away_from(draw(arrays(draw(shapes()))), [0.0])
    slope = draw(st.sampled_from([None, 0.01, 0.2, 0.5, 1.5]))
    return _case(x, slope=slope, method=draw(st.booleans()))


def _leaky_relu(x, slope, method):
    args = () if slope is None else (slope,)
    return x.leaky_relu(*args) if method else cr.leaky_relu(x, *args)


def _leaky_relu_ref(x, slope, method):
    return np.where(x > 0, x, (0.01 if slope is None else slope) * x)


@st.composite
def _clip_cases(draw):
    lo = draw(floats(-2.0, 0.5))
    hi = draw(floats(lo + 0.1, 2.5))
    which = draw(st.sampled_from(["both", "lo", "hi"]))
    lo = None if which == "hi" else lo
    hi = None if which == "lo" else hi
    x = away_from(draw(arrays(draw(shapes()))), [p for p in (lo, hi) if p is not None])
    return _case(x, lo=lo, hi=hi, method=draw(st.booleans()))


def _clip(x, lo, hi, method):
    return x.clip(lo, hi) if method else cr.clip(x, lo, hi)


def _sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


@st.composite
def _elu_cases(draw):
    x = away_from(draw(arrays(draw(shapes()))), [0.0])
    alpha = draw(st.sampled_from([None, 0.5, 1.0, 2.0]))
    return _case(x, alpha=alpha, method=draw(st.booleans()))


def _elu(x, alpha, method):
    args = () if alpha is None else (alpha,)
    return x.elu(*args) if method else cr.elu(x, *args)


def _elu_ref(x, alpha, method):
    return np.where(x > 0, x, (1.0 if alpha is None else alpha) * (np.exp(np.minimum(x, 0)) - 1))


@st.composite
def _softplus_cases(draw):
    beta, threshold = draw(st.sampled_from([(None, None), (2.0, 20.0), (0.5, 1.0), (1.0, 2.0)]))
    x = draw(arrays(draw(shapes()), -4.0, 4.0))
    if threshold is not None:  # away from the switch to x at βx = threshold
        x = away_from(x, [threshold / beta])
    return _case(x, beta=beta, threshold=threshold, method=draw(st.booleans()))


def _softplus(x, beta, threshold, method):
    args = () if beta is None else (beta, threshold)
    return x.softplus(*args) if method else cr.softplus(x, *args)


def _softplus_ref(x, beta, threshold, method):
    beta, threshold = (1.0, 20.0) if beta is None else (beta, threshold)
    return np.where(beta * x > threshold, x, np.log(1 + np.exp(beta * x)) / beta)


@st.composite
def _gelu_cases(draw):
    x = draw(arrays(draw(shapes()), -6.0, 6.0))
    approximate = draw(st.sampled_from([None, "none", "tanh"]))
    return _case(x, approximate=approximate, method=draw(st.booleans()))


def _gelu(x, approximate, method):
    kw = {} if approximate is None else {"approximate": approximate}
    return x.gelu(**kw) if method else cr.gelu(x, **kw)


def _gelu_ref(x, approximate, method):
    """½x(1 + erf(x/√2)) with math.erf, or PyTorch's tanh formula, in float64."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + np.vectorize(math.erf, otypes=[np.float64])(x / np.sqrt(2)))


def _aliased(numpy_name: str, torch_name: str, ref: Callable, lo: float, hi: float) -> Op:
    """``cr.<numpy_name>``, ``cr.<torch_name>`` (the same function), or either method."""

    @st.composite
    def cases(draw):
        x = draw(arrays(draw(shapes()), lo, hi))
        name = draw(st.sampled_from([numpy_name, torch_name]))
        return _case(x, name=name, method=draw(st.booleans()))

    def fn(x, name, method):
        return getattr(x, name)() if method else getattr(cr, name)(x)

    return Op(numpy_name, fn, lambda x, name, method: ref(x), cases(), (numpy_name, torch_name))


@st.composite
def _reciprocal_cases(draw):
    return _case(draw(nonzero_arrays(draw(shapes()), 0.3, 3.0)), method=draw(st.booleans()))


def _reciprocal(x, method):
    return x.reciprocal() if method else cr.reciprocal(x)


_INTEGERS = [float(k) for k in range(-4, 5)]  # where floor, ceil and trunc jump
_HALVES = [k + 0.5 for k in range(-4, 4)]  # where round jumps


def _erf_ref(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _logit_eps(x, method):
    return x.logit(eps=0.2) if method else cr.logit(x, 0.2)


def _logit_eps_ref(x, method):
    p = np.clip(x, 0.2, 0.8)
    return np.log(p / (1 - p))


UNARY = [
    _unary("exp", np.exp, -3.0, 3.0),
    _unary("log", np.log, 0.1, 5.0),
    _unary("sqrt", np.sqrt, 0.1, 5.0),
    _unary("abs", np.abs, -3.0, 3.0, kinks=[0.0]),
    _unary("sin", np.sin, -4.0, 4.0),
    _unary("cos", np.cos, -4.0, 4.0),
    _unary("tanh", np.tanh, -3.0, 3.0),
    _unary("sigmoid", _sigmoid_ref, -8.0, 8.0),
    _unary("relu", lambda x: np.maximum(x, 0.0), -3.0, 3.0, kinks=[0.0]),
    Op("neg", _neg, lambda x, method: -x, _unary_cases(-3.0, 3.0), ("neg",)),
    Op(
        "cast",
        _cast,
        lambda x, method: x.astype(np.float64),
        _unary_cases(-3.0, 3.0),
        ("cast",),
        out_dtype32=F64,
    ),
    Op("leaky_relu", _leaky_relu, _leaky_relu_ref, _leaky_relu_cases(), ("leaky_relu",)),
    Op("elu", _elu, _elu_ref, _elu_cases(), ("elu",)),
    _unary("silu", lambda x: x / (1.0 + np.exp(-x)), -6.0, 6.0),
    Op("softplus", _softplus, _softplus_ref, _softplus_cases(), ("softplus",)),
    Op("gelu", _gelu, _gelu_ref, _gelu_cases(), ("gelu",)),
    Op("clip", _clip, lambda x, lo, hi, method: np.clip(x, lo, hi), _clip_cases(), ("clip",)),
    # log1p … trunc: inside their domains, away from poles and jumps
    _unary("log1p", np.log1p, -0.9, 4.0),
    _unary("expm1", np.expm1, -3.0, 3.0),
    _unary("log2", np.log2, 0.1, 5.0),
    _unary("log10", np.log10, 0.1, 5.0),
    Op("reciprocal", _reciprocal, lambda x, method: 1.0 / x, _reciprocal_cases(), ("reciprocal",)),
    _unary("rsqrt", lambda x: 1.0 / np.sqrt(x), 0.2, 5.0),
    _unary("tan", np.tan, -1.3, 1.3),
    _unary("sinh", np.sinh, -3.0, 3.0),
    _unary("cosh", np.cosh, -3.0, 3.0),
    _aliased("arcsin", "asin", np.arcsin, -0.9, 0.9),
    _aliased("arccos", "acos", np.arccos, -0.9, 0.9),
    _aliased("arctan", "atan", np.arctan, -4.0, 4.0),
    _unary("erf", _erf_ref, -3.0, 3.0),
    _unary("erfc", lambda x: 1.0 - _erf_ref(x), -3.0, 3.0),
    _unary("sign", np.sign, -3.0, 3.0, kinks=[0.0]),
    _unary("floor", np.floor, -3.5, 3.5, kinks=_INTEGERS),
    _unary("ceil", np.ceil, -3.5, 3.5, kinks=_INTEGERS),
    _unary("round", np.round, -3.5, 3.5, kinks=_HALVES),
    _unary("trunc", np.trunc, -3.5, 3.5, kinks=_INTEGERS),
    # PyTorch's functions (ops/_torch_elementwise.py): logit inside (0, 1), also clamped at eps
    _unary("logit", lambda x: np.log(x / (1 - x)), 0.05, 0.95),
    Op("logit_eps", _logit_eps, _logit_eps_ref, _unary_cases(0.05, 0.95, [0.2, 0.8]), ("logit",)),
    _unary("nan_to_num", np.nan_to_num, -3.0, 3.0),
]


# ----- elementwise binary, with broadcasting -------------------------------------------------
def _binary_cases(make_x: Callable, make_y: Callable) -> st.SearchStrategy:
    @st.composite
    def cases(draw):
        sx, sy = draw(broadcast_shapes(2))
        return _case(draw(make_x(sx)), draw(make_y(sy)), operator=draw(st.booleans()))

    return cases()


def _binary(name: str, op_fn: Callable, ref: Callable, make_x, make_y) -> Op:
    """``x <op> y`` (operator) or ``cr.ops.<name>(x, y)``."""
    function = getattr(cr.ops, name)

    def fn(x, y, operator):
        return op_fn(x, y) if operator else function(x, y)

    return Op(name, fn, lambda x, y, operator: ref(x, y), _binary_cases(make_x, make_y), (name,))


def _positive(shape):
    return arrays(shape, 0.5, 3.0)


def _exponent(shape):
    return arrays(shape, -2.0, 2.0)


@st.composite
def _extreme_pair_cases(draw):
    sx, sy = draw(broadcast_shapes(2))
    # x on the grid 0.01·k, y on 0.01·k + 0.005: never within 0.005 of each other
    return _case(draw(grid_arrays(sx)), draw(grid_arrays(sy, offset=0.005)))


@st.composite
def _where_cases(draw):
    sc, sx, sy = draw(broadcast_shapes(3))
    cond = draw(hnp.arrays(np.bool_, sc))
    return _case(draw(arrays(sx)), draw(arrays(sy)), cond=cond, as_tensor=draw(st.booleans()))


def _where(x, y, cond, as_tensor):
    return cr.where(cr.tensor(cond) if as_tensor else cond, x, y)


@st.composite
def _quotients(draw, shape, lo: int = -4, hi: int = 3):
    """Quotients k + f (k an integer in [lo, hi], f in [0.1, 0.9]): at least 0.1 from the
    integers, where floor, floor_divide and remainder jump."""
    k = draw(hnp.arrays(np.int64, shape, elements=st.integers(lo, hi)))
    return np.asarray(k + draw(arrays(shape, 0.1, 0.9)))


@st.composite
def _floor_pair_cases(draw):
    """x and y with x/y ≥ 0.1 from every integer, whatever the broadcasting: y = ±c for one
    magnitude c, x = c·(k + f), so that x/y = ±(k + f)."""
    sx, sy = draw(broadcast_shapes(2))
    c = draw(st.sampled_from([0.5, 1.25, 3.0]))
    signs = np.where(draw(hnp.arrays(np.bool_, sy)), -1.0, 1.0)
    x, y = np.asarray(c * draw(_quotients(sx))), np.asarray(c * signs)
    return _case(x, y, operator=draw(st.booleans()))


@st.composite
def _arctan2_cases(draw):
    """y away from 0 (where arctan2 jumps from π to −π for x < 0), x anywhere: away from the
    origin and the cut; the function under both names, or either method."""
    sy, sx = draw(broadcast_shapes(2))
    y, x = draw(nonzero_arrays(sy, 0.3, 3.0)), draw(arrays(sx))
    form = draw(st.sampled_from(["arctan2", "atan2", "method", "torch_method"]))
    return _case(y, x, form=form)


def _arctan2(y, x, form):
    if form == "method":
        return y.arctan2(x)
    return y.atan2(x) if form == "torch_method" else getattr(cr, form)(y, x)


BINARY = [
    _binary("add", lambda x, y: x + y, np.add, arrays, arrays),
    _binary("sub", lambda x, y: x - y, np.subtract, arrays, arrays),
    _binary("mul", lambda x, y: x * y, np.multiply, arrays, arrays),
    _binary("div", lambda x, y: x / y, np.divide, arrays, nonzero_arrays),
    Op(
        "pow_tensor_tensor",
        lambda x, y, operator: x**y if operator else cr.ops.pow(x, y),
        lambda x, y, operator: np.power(x, y),
        _binary_cases(_positive, _exponent),
        ("pow",),
    ),
    Op(
        "remainder",
        lambda x, y, operator: x % y if operator else cr.remainder(x, y),
        lambda x, y, operator: np.remainder(x, y),
        _floor_pair_cases(),
        ("remainder",),
    ),
    Op(
        "floor_divide",
        lambda x, y, operator: x // y if operator else cr.floor_divide(x, y),
        lambda x, y, operator: np.floor_divide(x, y),
        _floor_pair_cases(),
        ("floor_divide",),
    ),
    Op(
        "fmod",
        lambda x, y, operator: x.fmod(y) if operator else cr.fmod(x, y),
        lambda x, y, operator: np.fmod(x, y),
        _floor_pair_cases(),
        ("fmod",),
    ),
    Op(
        "maximum",
        cr.maximum,
        np.maximum,
        _extreme_pair_cases(),
        ("maximum",),
    ),
    Op(
        "minimum",
        cr.minimum,
        np.minimum,
        _extreme_pair_cases(),
        ("minimum",),
    ),
    Op(
        "arctan2",
        _arctan2,
        lambda y, x, form: np.arctan2(y, x),
        _arctan2_cases(),
        ("arctan2", "atan2"),
    ),
    Op(
        "where",
        _where,
        lambda x, y, cond, as_tensor: np.where(cond, x, y),
        _where_cases(),
        ("where",),
    ),
    # PyTorch's (ops/_torch_elementwise.py); "operator" is the Tensor method here. xlogy for y > 0,
    # hypot away from the origin
    _binary("xlogy", lambda x, y: x.xlogy(y), lambda x, y: x * np.log(y), arrays, _positive),
    _binary("hypot", lambda x, y: x.hypot(y), np.hypot, arrays, nonzero_arrays),
]


# ----- a tensor and a Python scalar ------------------------------------------------------------
def _scalar_cases(make_x: Callable, constants) -> st.SearchStrategy:
    @st.composite
    def cases(draw):
        x = draw(make_x(draw(shapes())))
        return _case(x, c=draw(st.sampled_from(constants)))

    return cases()


def _with_scalar(name: str, expr: Callable, covers: str, make_x, constants) -> Op:
    """``expr(x, c)`` with a Python int or float ``c``: the same expression computes the
    reference on the float64 array."""
    return Op(name, expr, expr, _scalar_cases(make_x, constants), (covers,))


_CONSTANTS = [2, -1, 0.5, 3.25]
_NONZERO_CONSTANTS = [2, -4, 0.5, -1.25]

SCALAR = [
    _with_scalar("add_scalar", lambda x, c: x + c, "add", arrays, _CONSTANTS),
    _with_scalar("sub_scalar", lambda x, c: x - c, "sub", arrays, _CONSTANTS),
    _with_scalar("mul_scalar", lambda x, c: x * c, "mul", arrays, _CONSTANTS),
    _with_scalar("div_scalar", lambda x, c: x / c, "div", arrays, _NONZERO_CONSTANTS),
    # reflected forms: the Python number is on the left
    _with_scalar("radd", lambda x, c: c + x, "add", arrays, [1.5, 2, -3]),
    _with_scalar("rsub", lambda x, c: c - x, "sub", arrays, [1, 0.25, -2]),
    _with_scalar("rmul", lambda x, c: c * x, "mul", arrays, [2, -0.5, 3.0]),
    _with_scalar("rdiv", lambda x, c: c / x, "div", nonzero_arrays, [10.0, 1, -2.5]),
    _with_scalar("rpow", lambda x, c: c**x, "pow", arrays, [2, 0.5, 10.0, math.e]),
    # pow: tensor ** number (base > 0 for real exponents, any nonzero base for integers)
    # and number ** tensor through cr.ops.pow
    Op(
        "pow_tensor_scalar",
        lambda x, c: x**c,
        lambda x, c: np.power(x, c),
        _scalar_cases(_positive, [2, 3, 0.5, -1.5, 2.7, -2, 1, 0]),
        ("pow",),
    ),
    Op(
        "pow_tensor_int",
        lambda x, c: x**c,
        lambda x, c: np.power(x, c),
        _scalar_cases(nonzero_arrays, [-2, -1, 1, 2, 3]),
        ("pow",),
    ),
    Op(
        "pow_scalar_tensor",
        lambda x, c: cr.ops.pow(c, x),
        lambda x, c: np.power(c, x),
        _scalar_cases(arrays, [2, 0.5, 3.0, math.e]),
        ("pow",),
    ),
]


@st.composite
def _number_over_cases(draw):
    """x with c/x ≥ 0.1 from every integer (c % x and c // x jump where c/x ∈ ℤ)."""
    c = draw(st.sampled_from([10.0, -3, 2.5]))
    shape = draw(shapes())
    signs = np.where(draw(hnp.arrays(np.bool_, shape)), -1.0, 1.0)
    return _case(np.asarray(c / (signs * draw(_quotients(shape, 1, 4)))), c=c)


@st.composite
def _over_number_cases(draw):
    """x with x/c ≥ 0.1 from every integer (x % c and x // c jump where x/c ∈ ℤ)."""
    c = draw(st.sampled_from([2, -1.5, 0.75]))
    return _case(np.asarray(c * draw(_quotients(draw(shapes())))), c=c)


SCALAR += [
    Op("mod_scalar", lambda x, c: x % c, lambda x, c: np.remainder(x, c), _over_number_cases(),
       ("remainder",)),
    Op("rmod", lambda x, c: c % x, lambda x, c: np.remainder(c, x), _number_over_cases(),
       ("remainder",)),
    Op("floordiv_scalar", lambda x, c: x // c, lambda x, c: np.floor_divide(x, c),
       _over_number_cases(),
       ("floor_divide",)),
    Op("rfloordiv", lambda x, c: c // x, lambda x, c: np.floor_divide(c, x),
       _number_over_cases(), ("floor_divide",)),
]  # fmt: skip


@st.composite
def _extreme_scalar_cases(draw):
    c = draw(st.sampled_from([0.0, 0, 0.5, -1, 2.25]))
    x = away_from(draw(arrays(draw(shapes()))), [c])
    return _case(x, c=c, scalar_first=draw(st.booleans()))


def _extreme_scalar(function: Callable) -> Callable:
    def fn(x, c, scalar_first):
        return function(c, x) if scalar_first else function(x, c)

    return fn


@st.composite
def _where_scalar_cases(draw):
    sc, sx = draw(broadcast_shapes(2))
    cond = draw(hnp.arrays(np.bool_, sc))
    c = draw(st.sampled_from([0.0, 0, -1.5, 2]))
    return _case(draw(arrays(sx)), cond=cond, c=c, scalar_first=draw(st.booleans()))


def _where_scalar(x, cond, c, scalar_first):
    return cr.where(cond, c, x) if scalar_first else cr.where(cond, x, c)


def _where_scalar_ref(x, cond, c, scalar_first):
    return np.where(cond, c, x) if scalar_first else np.where(cond, x, c)


SCALAR += [
    # maximum(x, 0) is ReLU; values are kept away from the scalar (the kink)
    Op(
        "maximum_scalar",
        _extreme_scalar(cr.maximum),
        lambda x, c, scalar_first: np.maximum(x, c),
        _extreme_scalar_cases(),
        ("maximum",),
    ),
    Op(
        "minimum_scalar",
        _extreme_scalar(cr.minimum),
        lambda x, c, scalar_first: np.minimum(x, c),
        _extreme_scalar_cases(),
        ("minimum",),
    ),
    Op("where_scalar", _where_scalar, _where_scalar_ref, _where_scalar_cases(), ("where",)),
]


# ----- matmul -----------------------------------------------------------------------------
@st.composite
def _matmul_cases(draw, kind: str):
    n, k, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    if kind == "batched":
        bx, by = draw(broadcast_shapes(2, max_dims=2))
        vector = draw(st.sampled_from([None, "x", "y"]))  # a 1-D operand against a batch
        if vector == "x":
            bx, by = (), by or (draw(st.integers(1, MAX_SIDE)),)
        elif vector == "y":
            bx, by = bx or (draw(st.integers(1, MAX_SIDE)),), ()
        elif not bx and not by:
            bx = (draw(st.integers(1, MAX_SIDE)),)
        sx = (k,) if vector == "x" else (*bx, n, k)
        sy = (k,) if vector == "y" else (*by, k, m)
    else:
        sx = {"1d": (k,), "2d": (n, k)}[kind[:2]]
        sy = {"1d": (k,), "2d": (k, m)}[kind[-2:]]
    x, y = draw(arrays(sx, -2.0, 2.0)), draw(arrays(sy, -2.0, 2.0))
    return _case(x, y, operator=draw(st.booleans()))


def _matmul(x, y, operator):
    return x @ y if operator else cr.matmul(x, y)


MATMUL = [
    Op(
        f"matmul_{kind}",
        _matmul,
        lambda x, y, operator: np.matmul(x, y),
        _matmul_cases(kind),
        ("matmul",),
    )
    for kind in ("1d_1d", "1d_2d", "2d_1d", "2d_2d", "batched")
]


@st.composite
def _addmm_cases(draw):
    """x (broadcasting to (n, p)), mat1 (n, m), mat2 (m, p); beta and alpha."""
    n, m, p = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    x = draw(arrays(broadcast_source_shape(draw, (n, p))))
    m1, m2 = draw(arrays((n, m), -2.0, 2.0)), draw(arrays((m, p), -2.0, 2.0))
    beta, alpha = (draw(st.sampled_from([1, 0.5, -2.0])) for _ in range(2))
    return _case(x, m1, m2, beta=beta, alpha=alpha, method=draw(st.booleans()))


def _addmm(x, m1, m2, beta, alpha, method):
    if method:
        return x.addmm(m1, m2, beta=beta, alpha=alpha)
    return cr.addmm(x, m1, m2, beta=beta, alpha=alpha)


@st.composite
def _bmm_cases(draw):
    b, n, m, p = (draw(st.integers(1, MAX_SIDE)) for _ in range(4))
    x, y = draw(arrays((b, n, m), -2.0, 2.0)), draw(arrays((b, m, p), -2.0, 2.0))
    return _case(x, y, method=draw(st.booleans()))


MATMUL += [
    Op(
        "addmm",
        _addmm,
        lambda x, m1, m2, beta, alpha, method: beta * x + alpha * (m1 @ m2),
        _addmm_cases(),
        ("addmm",),
    ),
    Op(
        "bmm",
        lambda x, y, method: x.bmm(y) if method else cr.bmm(x, y),
        lambda x, y, method: np.matmul(x, y),
        _bmm_cases(),
        ("bmm",),
    ),
]


# ----- reductions --------------------------------------------------------------------------
@st.composite
def _reduce_cases(draw, distinct: bool, bound: float = 3.0):
    shape = draw(shapes())
    x = draw(distinct_arrays(shape) if distinct else arrays(shape, -bound, bound))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int" and ndim:
        axis = draw(st.integers(-ndim, ndim - 1))
    else:  # includes () and negative axes
        axis = draw(hnp.valid_tuple_axes(ndim))
    return _case(x, axis=axis, keepdims=draw(st.booleans()), method=draw(st.booleans()))


def _reduction(name: str, distinct: bool, bound: float = 3.0) -> Op:
    """``cr.<name>(x, axis, keepdims)`` or ``x.<name>(axis=..., keepdims=...)``, on values
    in [-bound, bound]."""
    function, reference = getattr(cr, name), getattr(np, name)

    def fn(x, axis, keepdims, method):
        if method:
            return getattr(x, name)(axis=axis, keepdims=keepdims)
        return function(x, axis, keepdims)

    def ref(x, axis, keepdims, method):
        return reference(x, axis=axis, keepdims=keepdims)

    return Op(name, fn, ref, _reduce_cases(distinct, bound), (name,))


REDUCE = [
    _reduction("sum", distinct=False),
    _reduction("mean", distinct=False),
    _reduction("prod", distinct=False, bound=1.3),  # 1.3²⁵⁶ < float32's largest number
    _reduction("max", distinct=True),  # all values ≥ 0.05 apart: no ties
    _reduction("min", distinct=True),
]


# ----- shape ops --------------------------------------------------------------------------------
@st.composite
def _reshape_cases(draw):
    shape = draw(shapes())
    x = draw(arrays(shape))
    dims = draw(st.permutations([n for n in shape if n != 1]))
    target: list[int] = []
    for n in dims:  # merge some neighbours
        if target and draw(st.booleans()):
            target[-1] *= n
        else:
            target.append(n)
    for _ in range(draw(st.integers(0, 4 - len(target)))):  # insert size-1 dims
        target.insert(draw(st.integers(0, len(target))), 1)
    if target and draw(st.booleans()):  # let one dimension be inferred
        target[draw(st.integers(0, len(target) - 1))] = -1
    form = draw(st.sampled_from(["method_varargs", "method_tuple", "function_tuple", "list"]))
    return _case(x, shape=tuple(target), form=form)


def _reshape(x, shape, form):
    if form == "method_varargs" and shape:  # reshape() with no shape is a TypeError, as in NumPy
        return x.reshape(*shape)
    if form == "method_tuple":
        return x.reshape(shape)
    if form == "function_tuple":
        return cr.reshape(x, shape)
    return cr.reshape(x, list(shape))


@st.composite
def _transpose_cases(draw, negative: bool):
    shape = draw(shapes(min_dims=2 if negative else 0))
    x = draw(arrays(shape))
    ndim = len(shape)
    if not negative and draw(st.booleans()):  # no axes: reverse them
        return _case(x, axes=None, form=draw(st.sampled_from(["T", "function", "method"])))
    axes = list(draw(st.permutations(range(ndim))))
    if negative:  # NumPy accepts axes counted from the end; mix them with the others
        positions = st.integers(0, ndim - 1)
        chosen = draw(st.lists(positions, min_size=1, max_size=ndim - 1, unique=True))
        axes = [a - ndim if i in chosen else a for i, a in enumerate(axes)]
    form = draw(st.sampled_from(["function", "method", "function_tuple", "method_tuple"]))
    return _case(x, axes=tuple(axes), form=form)


def _transpose(x, axes, form):
    if axes is None:  # reverse the axes
        if form == "T":
            return x.T
        return cr.transpose(x) if form == "function" else x.transpose()
    if form in ("function", "method") and x.ndim == 2 and [a % 2 for a in axes] == [0, 1]:
        # the order kept, given as two axes: warned of as PyTorch's swap (tested elsewhere)
        with pytest.warns(UserWarning, match="leaves it as it is"):
            return cr.transpose(x, *axes) if form == "function" else x.transpose(*axes)
    if form == "function":
        return cr.transpose(x, *axes)
    if form == "function_tuple":
        return cr.transpose(x, axes)
    return x.transpose(*axes) if form == "method" else x.transpose(axes)


@st.composite
def _swapaxes_cases(draw):
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    a, b = (draw(st.integers(-ndim, ndim - 1)) for _ in range(2))  # negative ones too
    return _case(draw(arrays(shape)), a=a, b=b, method=draw(st.booleans()))


def _swapaxes(x, a, b, method):
    return x.swapaxes(a, b) if method else cr.swapaxes(x, a, b)


@st.composite
def _broadcast_to_cases(draw):
    target = draw(shapes())
    x = draw(arrays(broadcast_source_shape(draw, target)))
    return _case(x, shape=target, method=draw(st.booleans()))


def _broadcast_to(x, shape, method):
    return x.broadcast_to(shape) if method else cr.broadcast_to(x, shape)


@st.composite
def _index_basic_cases(draw):
    shape = draw(shapes())
    x = draw(arrays(shape))
    idx = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True, max_dims=4))
    return _case(x, idx=idx)


@st.composite
def _index_int_cases(draw):
    shape = draw(shapes(min_dims=1))
    x = draw(arrays(shape))
    ndim = len(shape)
    forms = ["first_axis", "list", "last_axis", "all_axes"]
    forms += ["second_axis", "int_and_array", "mask_and_array"] if ndim >= 2 else []
    forms += ["split_arrays"] if ndim >= 3 else []
    form = draw(st.sampled_from(forms))
    result = draw(shapes(min_dims=1, max_dims=1 if form == "list" else 2, max_side=3))

    def ints(axis: int, shape=result) -> np.ndarray:
        n = x.shape[axis]
        arr = draw(hnp.arrays(np.int64, shape, elements=st.integers(-n, n - 1)))
        if arr.size >= 2 and draw(st.booleans()):
            arr.flat[-1] = arr.flat[0]  # a repeated index: its gradients must add up
        return arr

    if form == "all_axes":
        idx = draw(hnp.integer_array_indices(shape, result_shape=st.just(result)))
    elif form == "mask_and_array":  # x[mask, arr]: the mask's k True entries pair with arr
        mask = draw(hnp.arrays(np.bool_, shape[:1]))
        k = int(mask.sum())
        idx = (mask, ints(1, (k,) if k and draw(st.booleans()) else (1,)))
    elif form == "split_arrays":  # x[a, :, b]: the indexed axes move to the front
        idx = (ints(0), slice(None), ints(2))
    else:
        axis = {"first_axis": 0, "list": 0, "last_axis": -1}.get(form, 1)
        arr = ints(axis)
        idx = {
            "first_axis": arr,
            "list": arr.tolist(),
            "last_axis": (Ellipsis, arr),
            "second_axis": (slice(None), arr),
            "int_and_array": (draw(st.integers(-shape[0], shape[0] - 1)), arr),
        }[form]
    as_tensor = form != "list" and draw(st.booleans())  # index arrays given as Tensors
    return _case(x, idx=idx, as_tensor=as_tensor)


def _index_int(x, idx, as_tensor):
    if as_tensor:
        parts = idx if isinstance(idx, tuple) else (idx,)
        parts = tuple(cr.tensor(p) if isinstance(p, np.ndarray) else p for p in parts)
        idx = parts if isinstance(idx, tuple) else parts[0]
    return x[idx]


@st.composite
def _index_bool_cases(draw):
    shape = draw(shapes())
    x = draw(arrays(shape))
    ndim = len(shape)
    after_slice = ndim >= 2 and draw(st.booleans())
    start = 1 if after_slice else 0
    stop = draw(st.integers(min(start + 1, ndim), ndim))  # a 0-d mask only for a 0-d x
    mask = draw(hnp.arrays(np.bool_, shape[start:stop]))
    return _case(x, mask=mask, after_slice=after_slice, as_tensor=draw(st.booleans()))


def _mask_index(mask, after_slice, as_tensor, tensor_ok=True):
    m = cr.tensor(mask) if as_tensor and tensor_ok else mask
    return (slice(None), m) if after_slice else m


@st.composite
def _concatenate_cases(draw):
    base = draw(shapes(min_dims=1))
    ndim = len(base)
    axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))  # None: the default (0)
    xs = []
    for _ in range(draw(st.integers(1, 3))):
        shape = list(base)
        shape[0 if axis is None else axis] = draw(st.integers(1, MAX_SIDE))
        xs.append(draw(arrays(tuple(shape))))
    return _case(*xs, axis=axis, as_list=draw(st.booleans()))


def _concatenate(*xs, axis, as_list):
    seq = list(xs) if as_list else xs
    return cr.concatenate(seq) if axis is None else cr.concatenate(seq, axis=axis)


@st.composite
def _stack_cases(draw):
    shape = draw(shapes(max_dims=3))
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-ndim - 1, ndim)))  # None: the default (0)
    xs = [draw(arrays(shape)) for _ in range(draw(st.integers(1, 3)))]
    return _case(*xs, axis=axis, as_list=draw(st.booleans()))


def _stack(*xs, axis, as_list):
    seq = list(xs) if as_list else xs
    return cr.stack(seq) if axis is None else cr.stack(seq, axis=axis)


SHAPE = [
    Op(
        "reshape",
        _reshape,
        lambda x, shape, form: np.reshape(x, shape),
        _reshape_cases(),
        ("reshape",),
    ),
    Op(
        "transpose",
        _transpose,
        lambda x, axes, form: np.transpose(x, axes),
        _transpose_cases(negative=False),
        ("transpose",),
    ),
    Op(
        "transpose_negative_axes",
        _transpose,
        lambda x, axes, form: np.transpose(x, axes),
        _transpose_cases(negative=True),
        ("transpose",),
    ),
    Op(
        "swapaxes",
        _swapaxes,
        lambda x, a, b, method: np.swapaxes(x, a, b),
        _swapaxes_cases(),
        ("swapaxes",),
    ),
    Op(
        "broadcast_to",
        _broadcast_to,
        lambda x, shape, method: np.broadcast_to(x, shape),
        _broadcast_to_cases(),
        ("broadcast_to",),
    ),
    Op(
        "index_basic",
        lambda x, idx: x[idx],
        lambda x, idx: x[idx],
        _index_basic_cases(),
        ("index",),
    ),
    Op(
        "index_int",
        _index_int,
        lambda x, idx, as_tensor: x[idx],
        _index_int_cases(),
        ("index",),
    ),
    Op(
        "index_bool",
        lambda x, **kw: x[_mask_index(**kw)],
        lambda x, **kw: x[_mask_index(**kw, tensor_ok=False)],
        _index_bool_cases(),
        ("index",),
    ),
    Op(
        "concatenate",
        _concatenate,
        lambda *xs, axis, as_list: np.concatenate(xs, axis=0 if axis is None else axis),
        _concatenate_cases(),
        ("concatenate",),
    ),
    Op(
        "stack",
        _stack,
        lambda *xs, axis, as_list: np.stack(xs, axis=0 if axis is None else axis),
        _stack_cases(),
        ("stack",),
    ),
]


# ----- softmax ------------------------------------------------------------------------------------
@st.composite
def _softmax_cases(draw):
    shape = draw(shapes())
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1))) if ndim else None
    return _case(draw(arrays(shape, -5.0, 5.0)), axis=axis, method=draw(st.booleans()))


def _softmax_op(name: str) -> Op:
    """``cr.<name>(x[, axis])`` or ``x.<name>([axis])``; axis None means the default (-1)."""
    function = getattr(cr, name)

    def fn(x, axis, method):
        args = () if axis is None else (axis,)
        return getattr(x, name)(*args) if method else function(x, *args)

    def ref(x, axis, method):
        axis = -1 if axis is None else axis
        z = x - np.max(x, axis=axis, keepdims=True)
        if name == "softmax":
            e = np.exp(z)
            return e / np.sum(e, axis=axis, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))

    return Op(name, fn, ref, _softmax_cases(), (name,))


SOFTMAX = [_softmax_op("softmax"), _softmax_op("log_softmax")]

TABLE: list[Op] = UNARY + BINARY + SCALAR + MATMUL + REDUCE + SHAPE + SOFTMAX


# ----- array ops: running sums, flips, tiles, gathers, sorts, diagonals, einsum -----------
@st.composite
def _axis_cases(draw, allow_none: bool = True, min_dims: int = 0, distinct: bool = False):
    """x, and an axis (None, or -ndim..ndim-1), for the ops that take one axis."""
    shape = draw(shapes(min_dims=min_dims))
    x = draw(distinct_arrays(shape) if distinct else arrays(shape))
    ndim = len(shape)
    choices = [st.none()] if allow_none or not ndim else []
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    return _case(x, axis=draw(st.one_of(*choices)), method=draw(st.booleans()))


def _cumsum(x, axis, method):
    if method:
        return x.cumsum() if axis is None else x.cumsum(dim=axis)
    return cr.cumsum(x, axis)


def _cumsum_ref(x, axis, method):
    return np.cumsum(x.reshape(-1) if x.ndim == 0 else x, axis=axis).reshape(
        (-1,) if axis is None else x.shape
    )


@st.composite
def _flip_cases(draw):
    shape = draw(shapes())
    ndim = len(shape)
    axis = draw(
        st.one_of(
            st.none(), hnp.valid_tuple_axes(ndim), *([st.integers(-ndim, ndim - 1)] if ndim else [])
        )
    )
    return _case(draw(arrays(shape)), axis=axis, method=draw(st.booleans()))


def _flip(x, axis, method):
    if method:
        return x.flip() if axis is None else x.flip(axis)
    return cr.flip(x, axis) if _numpy_axis(axis) else cr.flip(x, dims=axis)


def _numpy_axis(axis) -> bool:
    """Whether to pass the axis as NumPy's ``axis`` (else as PyTorch's ``dims=``)."""
    return axis is None or isinstance(axis, int)


@st.composite
def _roll_cases(draw):
    shape = draw(shapes())
    ndim = len(shape)
    if ndim and draw(st.booleans()):
        axes = draw(hnp.valid_tuple_axes(ndim, min_size=1))
        shift = tuple(draw(st.integers(-5, 5)) for _ in axes)
        axis = axes if len(axes) > 1 or draw(st.booleans()) else axes[0]
        shift = shift if isinstance(axis, tuple) else shift[0]
    else:
        axis, shift = None, draw(st.integers(-7, 7))
    return _case(draw(arrays(shape)), shift=shift, axis=axis, method=draw(st.booleans()))


def _roll(x, shift, axis, method):
    return x.roll(shift, axis) if method else cr.roll(x, shift, axis)


@st.composite
def _tile_cases(draw):
    shape = draw(shapes(max_dims=3, max_side=3))
    reps = tuple(draw(st.lists(st.integers(1, 3), max_size=4)))
    return _case(draw(arrays(shape)), reps=reps, method=draw(st.booleans()))


def _tile(x, reps, method):
    return x.tile(*reps) if method and reps else cr.tile(x, reps)


@st.composite
def _repeat_interleave_cases(draw):
    shape = draw(shapes(max_dims=3))
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), *([st.integers(-ndim, ndim - 1)] if ndim else [])))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    repeats = draw(
        st.one_of(
            st.integers(0, 3),
            st.lists(st.integers(0, 3), min_size=n, max_size=n).map(np.array),
        )
    )
    return _case(draw(arrays(shape)), repeats=repeats, axis=axis, method=draw(st.booleans()))


def _repeat_interleave(x, repeats, axis, method):
    if method:
        return x.repeat_interleave(repeats, dim=axis)
    return cr.repeat_interleave(x, repeats, axis)


@st.composite
def _chunk_cases(draw):
    shape = draw(shapes(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    chunks = draw(st.integers(1, 5))
    return _case(draw(arrays(shape)), chunks=chunks, dim=dim, method=draw(st.booleans()))


def _chunk(x, chunks, dim, method):
    pieces = x.chunk(chunks, dim) if method else cr.chunk(x, chunks, dim=dim)
    return cr.concatenate([c * (i + 1) for i, c in enumerate(pieces)], axis=dim)


def _chunk_ref(x, chunks, dim, method):
    n = x.shape[dim]
    size = -(-n // chunks)
    pieces = [np.take(x, np.arange(i, min(i + size, n)), axis=dim) for i in range(0, n, size)]
    return np.concatenate([c * (i + 1) for i, c in enumerate(pieces)], axis=dim)


def _unbind(x, dim, method):
    pieces = x.unbind(dim) if method else cr.unbind(x, dim)
    return cr.stack([c * (i + 1) for i, c in enumerate(pieces)], axis=dim)


def _unbind_ref(x, dim, method):
    weights = np.arange(1, x.shape[dim] + 1).reshape(
        [-1 if d == dim % x.ndim else 1 for d in range(x.ndim)]
    )
    return x * weights


@st.composite
def _unbind_cases(draw):
    shape = draw(shapes(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return _case(draw(arrays(shape)), dim=dim, method=draw(st.booleans()))


@st.composite
def _take_cases(draw, torch_order: bool):
    """x and an integer index of x's rank (repeats included), along one axis; for
    take_along_axis some other axes are 1 in the index and broadcast, for gather the index
    may be shorter than x along them."""
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    n = shape[axis]
    ishape = []
    for d, size in enumerate(shape):
        if d == axis % ndim:
            ishape.append(draw(st.integers(0, 4)))
        elif torch_order:
            ishape.append(draw(st.integers(1, size)))
        else:
            ishape.append(draw(st.sampled_from([size, 1])))
    low = 0 if torch_order else -n
    idx = draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(low, n - 1)))
    return _case(draw(arrays(shape)), idx=idx, axis=axis, method=draw(st.booleans()))


def _take_along_axis(x, idx, axis, method):
    return x.take_along_axis(idx, axis) if method else cr.take_along_axis(x, idx, axis)


def _gather(x, idx, axis, method):
    return x.gather(axis, cr.tensor(idx)) if method else cr.gather(x, axis, idx)


def _gather_ref(x, idx, axis, method):
    grids = np.ix_(*(np.arange(n) for n in idx.shape))
    parts = tuple(idx if d == axis % x.ndim else g for d, g in enumerate(grids))
    return x[parts]


def _sort(x, axis, method):
    if method and axis is None:
        return x.sort(None)  # flattened, as NumPy's
    if method:
        return x.sort() if axis == -1 else x.sort(dim=axis)
    return cr.sort(x, axis)


@st.composite
def _sort_cases(draw):
    shape = draw(shapes())
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), *([st.integers(-ndim, ndim - 1)] if ndim else [])))
    axis = -1 if axis is None and ndim and draw(st.booleans()) else axis
    desc = draw(st.booleans())
    return _case(draw(distinct_arrays(shape)), axis=axis, method=draw(st.booleans()), desc=desc)


def _sort_op(x, axis, method, desc):
    if desc:
        return cr.sort(x, axis, descending=True)
    return _sort(x, axis, method)


def _sort_ref(x, axis, method, desc):
    out = np.sort(x.reshape(1) if x.ndim == 0 and axis is not None else x, axis=axis)
    out = np.flip(out, -1 if axis is None else axis) if desc else out
    return out.reshape(()) if x.ndim == 0 and axis is not None else out


@st.composite
def _topk_cases(draw):
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    dim = draw(st.integers(-ndim, ndim - 1))
    k = draw(st.integers(0, shape[dim]))
    largest = draw(st.booleans())
    return _case(
        draw(distinct_arrays(shape)), k=k, dim=dim, largest=largest, method=draw(st.booleans())
    )


def _topk(x, k, dim, largest, method):
    out = x.topk(k, dim, largest) if method else cr.topk(x, k, dim=dim, largest=largest)
    values, indices = out
    assert indices.dtype == np.int64
    assert not indices.requires_grad
    return values


def _topk_ref(x, k, dim, largest, method):
    s = np.sort(x, axis=dim)
    s = np.flip(s, dim) if largest else s
    return np.take(s, np.arange(k), axis=dim)


@st.composite
def _outer_cases(draw):
    a = draw(arrays((draw(st.integers(1, MAX_SIDE)),)))
    b = draw(arrays((draw(st.integers(1, MAX_SIDE)),)))
    return _case(a, b, method=draw(st.booleans()))


@st.composite
def _diag_cases(draw, ndim: int):
    shape = tuple(draw(st.integers(1, MAX_SIDE)) for _ in range(ndim))
    k = draw(st.integers(-MAX_SIDE, MAX_SIDE))
    return _case(draw(arrays(shape)), k=k, method=draw(st.booleans()))


def _diag(x, k, method):
    return x.diag(k) if method else cr.diag(x, k)


@st.composite
def _trace_cases(draw):
    shape = tuple(draw(st.integers(1, MAX_SIDE)) for _ in range(2))
    return _case(draw(arrays(shape)), offset=draw(st.integers(-2, 2)), method=draw(st.booleans()))


def _trace(x, offset, method):
    return x.trace(offset) if method else cr.trace(x, offset)


@st.composite
def _triangle_cases(draw):
    shape = draw(shapes(min_dims=2))
    k = draw(st.integers(-3, 3))
    return _case(draw(arrays(shape)), k=k, form=draw(st.sampled_from(["f", "method", "kw"])))


def _triangle(name: str):
    function = getattr(cr, name)

    def fn(x, k, form):
        if form == "method":
            return getattr(x, name)(k)
        return function(x, diagonal=k) if form == "kw" else function(x, k)

    return fn


@st.composite
def _einsum_cases(draw):
    """Two operands over letters drawn from a few sizes, with an explicit output (some
    letters summed) or the implicit one; b's axes are now and then of size 1."""
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    pa = "".join(draw(st.permutations(letters))[: draw(st.integers(0, 3))])
    pb = "".join(draw(st.permutations(letters))[: draw(st.integers(0, 3))])
    seen = sorted(set(pa + pb))
    out = None
    if draw(st.booleans()):
        out = "".join(draw(st.permutations(seen))[: draw(st.integers(0, len(seen)))])
    spec = f"{pa},{pb}" + ("" if out is None else f"->{out}")
    a = draw(arrays(tuple(sizes[c] for c in pa)))
    # an axis of size 1 now and then, which einsum broadcasts against the other operand's
    b = draw(arrays(tuple(1 if draw(st.integers(0, 4)) == 0 else sizes[c] for c in pb)))
    return _case(a, b, spec=spec)


# ----- more array ops: running products, maxima and log-sum-exps, selections and scatters
# by index, NaN-ignoring reductions, order statistics
@st.composite
def _cumprod_cases(draw):
    """x with factors near 1 (long products stay in range) and now and then an exact 0,
    where the gradient is each element's product of the others."""
    shape = draw(shapes())
    x = draw(nonzero_arrays(shape, 0.7, 1.3))
    zeros = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 5))) == 0
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), *([st.integers(-ndim, ndim - 1)] if ndim else [])))
    return _case(np.where(zeros, 0.0, x), axis=axis, method=draw(st.booleans()))


def _cumprod(x, axis, method):
    if method:
        return x.cumprod() if axis is None else x.cumprod(dim=axis)
    return cr.cumprod(x, axis)


def _cumprod_ref(x, axis, method):
    return np.cumprod(x.reshape(-1) if x.ndim == 0 else x, axis=axis).reshape(
        (-1,) if axis is None else x.shape
    )


def _logcumsumexp(x, axis, method):
    axis = 0 if axis is None else axis  # a 0-d tensor: its one axis
    return x.logcumsumexp(dim=axis) if method else cr.logcumsumexp(x, axis)


def _logcumsumexp_ref(x, axis, method):
    axis = 0 if axis is None else axis
    return np.logaddexp.accumulate(x.reshape(-1) if x.ndim == 0 else x, axis=axis).reshape(x.shape)


def _running(name: str):
    def fn(x, axis, method):
        axis = 0 if axis is None else axis
        out = getattr(x, name)(axis) if method else getattr(cr, name)(x, dim=axis)
        assert out.indices.dtype == np.int64
        assert not out.indices.requires_grad
        return out.values

    return fn


def _running_ref(ufunc):
    def ref(x, axis, method):
        axis = 0 if axis is None else axis
        return ufunc.accumulate(x.reshape(-1) if x.ndim == 0 else x, axis=axis).reshape(x.shape)

    return ref


@st.composite
def _diff_cases(draw):
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    n = draw(st.integers(1, 3))
    prepend = draw(st.sampled_from([None, 0.5]))
    return _case(draw(arrays(shape)), n=n, axis=axis, prepend=prepend, method=draw(st.booleans()))


def _diff(x, n, axis, prepend, method):
    if method:
        return x.diff(n, dim=axis, prepend=prepend)
    return cr.diff(x, n, axis, prepend)


@st.composite
def _index_select_cases(draw):
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.integers(0, 5))
    idx = np.array(draw(st.lists(st.integers(0, shape[axis] - 1), min_size=k, max_size=k)))
    return _case(
        draw(arrays(shape)), idx=idx.astype(np.int64), axis=axis, method=draw(st.booleans())
    )


def _index_select(x, idx, axis, method):
    return (
        x.index_select(axis, cr.tensor(idx)) if method else cr.index_select(x, dim=axis, index=idx)
    )


@st.composite
def _masked_select_cases(draw):
    sx, sm = draw(broadcast_shapes())
    mask = draw(hnp.arrays(np.bool_, sm))
    return _case(draw(arrays(sx)), mask=mask, method=draw(st.booleans()))


def _masked_select_ref(x, mask, method):
    wide = np.broadcast_shapes(x.shape, mask.shape)
    return np.broadcast_to(x, wide)[np.broadcast_to(mask, wide)]


@st.composite
def _index_add_cases(draw):
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.integers(0, 5))
    idx = np.array(draw(st.lists(st.integers(0, shape[axis] - 1), min_size=k, max_size=k)))
    source = draw(arrays(tuple(k if d == axis % len(shape) else n for d, n in enumerate(shape))))
    alpha = draw(st.sampled_from([1, 2.5, -0.5]))
    return _case(draw(arrays(shape)), source, idx=idx.astype(np.int64), axis=axis, alpha=alpha)


def _index_add(x, source, idx, axis, alpha):
    if alpha == 1:
        return x.index_add(axis, idx, source)
    return cr.index_add(x, axis, idx, source, alpha=alpha)


def _index_add_ref(x, source, idx, axis, alpha):
    out = x.copy()
    np.add.at(out, (slice(None),) * (axis % x.ndim) + (idx,), alpha * source)
    return out


@st.composite
def _scatter_add_cases(draw):
    """x, an index no larger than x off the axis, and src at least as large as the index."""
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    ishape = tuple(
        draw(st.integers(0, 4)) if d == axis % ndim else draw(st.integers(1, n))
        for d, n in enumerate(shape)
    )
    idx = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[axis] - 1)))
    sshape = tuple(n + draw(st.integers(0, 1)) for n in ishape)
    return _case(
        draw(arrays(shape)), draw(arrays(sshape)), idx=idx, axis=axis, method=draw(st.booleans())
    )


def _scatter_add(x, src, idx, axis, method):
    return x.scatter_add(axis, cr.tensor(idx), src) if method else cr.scatter_add(x, axis, idx, src)


def _scatter_add_ref(x, src, idx, axis, method):
    grids = np.ix_(*(np.arange(n) for n in idx.shape))
    parts = tuple(idx if d == axis % x.ndim else g for d, g in enumerate(grids))
    out = x.copy()
    np.add.at(out, parts, src[tuple(slice(0, n) for n in idx.shape)])
    return out


@st.composite
def _nan_cases(draw):
    """x with NaNs, never at the first position along the axis (flat index 0 for None):
    no slice is NaN alone, whose nanmean is NaN and has no finite differences."""
    shape = draw(shapes())
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), *([st.integers(-ndim, ndim - 1)] if ndim else [])))
    x = draw(arrays(shape))
    nan = np.array(draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 3))) == 0)
    if axis is None:
        nan.flat[0] = False
    else:
        nan[(slice(None),) * (axis % ndim) + (0,)] = False
    keepdims = draw(st.booleans())
    return _case(np.where(nan, np.nan, x), axis=axis, keepdims=keepdims, method=draw(st.booleans()))


def _nan_reduction(name: str):
    def fn(x, axis, keepdims, method):
        if method:
            return getattr(x, name)(dim=axis, keepdim=keepdims)
        return getattr(cr, name)(x, axis, keepdims)

    return fn


@st.composite
def _median_cases(draw):
    shape = draw(shapes())
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), *([st.integers(-ndim, ndim - 1)] if ndim else [])))
    x = draw(distinct_arrays(shape))
    return _case(x, axis=axis, keepdims=draw(st.booleans()), method=draw(st.booleans()))


def _median(x, axis, keepdims, method):
    if method:
        return (
            x.median(dim=axis, keepdim=keepdims) if axis is not None else x.median(None, keepdims)
        )
    return cr.median(x, axis, keepdims)


@st.composite
def _kthvalue_cases(draw):
    shape = draw(shapes(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.integers(1, shape[dim]))
    x = draw(distinct_arrays(shape))
    return _case(x, k=k, dim=dim, keepdim=draw(st.booleans()), method=draw(st.booleans()))


def _kthvalue(x, k, dim, keepdim, method):
    out = x.kthvalue(k, dim, keepdim) if method else cr.kthvalue(x, k, dim=dim, keepdim=keepdim)
    assert out.indices.dtype == np.int64
    assert out.indices.shape == out.values.shape
    return out.values


def _kthvalue_ref(x, k, dim, keepdim, method):
    return np.take(np.sort(x, axis=dim), [k - 1] if keepdim else k - 1, axis=dim)


ARRAYS = [
    Op("cumsum", _cumsum, _cumsum_ref, _axis_cases(), ("cumsum",)),
    Op("flip", _flip, lambda x, axis, method: np.flip(x, axis), _flip_cases(), ("flip",)),
    Op(
        "roll",
        _roll,
        lambda x, shift, axis, method: np.roll(x, shift, axis),
        _roll_cases(),
        ("roll",),
    ),
    Op("tile", _tile, lambda x, reps, method: np.tile(x, reps), _tile_cases(), ("tile",)),
    Op(
        "repeat_interleave",
        _repeat_interleave,
        lambda x, repeats, axis, method: np.repeat(x, repeats, axis),
        _repeat_interleave_cases(),
        ("repeat_interleave",),
    ),
    Op("chunk", _chunk, _chunk_ref, _chunk_cases(), ("chunk",)),
    Op("unbind", _unbind, _unbind_ref, _unbind_cases(), ("unbind",)),
    Op(
        "take_along_axis",
        _take_along_axis,
        lambda x, idx, axis, method: np.take_along_axis(x, idx, axis),
        _take_cases(torch_order=False),
        ("take_along_axis",),
    ),
    Op("gather", _gather, _gather_ref, _take_cases(torch_order=True), ("gather",)),
    Op("sort", _sort_op, _sort_ref, _sort_cases(), ("sort",)),
    Op("topk", _topk, _topk_ref, _topk_cases(), ("topk",)),
    Op(
        "outer",
        lambda a, b, method: a.outer(b) if method else cr.outer(a, b),
        lambda a, b, method: np.outer(a, b),
        _outer_cases(),
        ("outer",),
    ),
    Op("diag_vector", _diag, lambda x, k, method: np.diag(x, k), _diag_cases(1), ("diag",)),
    Op("diag_matrix", _diag, lambda x, k, method: np.diag(x, k), _diag_cases(2), ("diag",)),
    Op(
        "trace",
        _trace,
        lambda x, offset, method: np.trace(x, offset),
        _trace_cases(),
        ("trace",),
    ),
    Op("triu", _triangle("triu"), lambda x, k, form: np.triu(x, k), _triangle_cases(), ("triu",)),
    Op("tril", _triangle("tril"), lambda x, k, form: np.tril(x, k), _triangle_cases(), ("tril",)),
    Op(
        "einsum",
        lambda a, b, spec: cr.einsum(spec, a, b),
        lambda a, b, spec: np.einsum(spec, a, b),
        _einsum_cases(),
        ("einsum",),
    ),
    Op("cumprod", _cumprod, _cumprod_ref, _cumprod_cases(), ("cumprod",)),
    Op(
        "logcumsumexp",
        _logcumsumexp,
        _logcumsumexp_ref,
        _axis_cases(allow_none=False),
        ("logcumsumexp",),
    ),
    Op(
        "cummax",
        _running("cummax"),
        _running_ref(np.maximum),
        _axis_cases(allow_none=False, distinct=True),
        ("cummax",),
    ),
    Op(
        "cummin",
        _running("cummin"),
        _running_ref(np.minimum),
        _axis_cases(allow_none=False, distinct=True),
        ("cummin",),
    ),
    Op(
        "diff",
        _diff,
        lambda x, n, axis, prepend, method: (
            np.diff(x, n, axis, prepend=prepend) if prepend is not None else np.diff(x, n, axis)
        ),
        _diff_cases(),
        ("diff",),
    ),
    Op(
        "index_select",
        _index_select,
        lambda x, idx, axis, method: np.take(x, idx, axis),
        _index_select_cases(),
        ("index_select",),
    ),
    Op(
        "masked_select",
        lambda x, mask, method: x.masked_select(mask) if method else cr.masked_select(x, mask),
        _masked_select_ref,
        _masked_select_cases(),
        ("masked_select",),
    ),
    Op("index_add", _index_add, _index_add_ref, _index_add_cases(), ("index_add",)),
    Op("scatter_add", _scatter_add, _scatter_add_ref, _scatter_add_cases(), ("scatter_add",)),
    Op(
        "nansum",
        _nan_reduction("nansum"),
        lambda x, axis, keepdims, method: np.nansum(x, axis, keepdims=keepdims),
        _nan_cases(),
        ("nansum",),
    ),
    Op(
        "nanmean",
        _nan_reduction("nanmean"),
        lambda x, axis, keepdims, method: np.nanmean(x, axis, keepdims=keepdims),
        _nan_cases(),
        ("nanmean",),
    ),
    Op(
        "median",
        _median,
        lambda x, axis, keepdims, method: np.median(x, axis, keepdims=keepdims),
        _median_cases(),
        ("median",),
    ),
    Op("kthvalue", _kthvalue, _kthvalue_ref, _kthvalue_cases(), ("kthvalue",)),
]
TABLE += ARRAYS


# ----- PyTorch's x + value·t1·t2 and x + value·t1/t2 (ops/_torch_products.py) --------------
def _addc_cases(divide: bool) -> st.SearchStrategy:
    @st.composite
    def cases(draw):
        sx, s1, s2 = draw(broadcast_shapes(3))
        t2 = draw(nonzero_arrays(s2) if divide else arrays(s2))
        value = draw(st.sampled_from([1, -0.5, 2.0]))
        return _case(
            draw(arrays(sx)), draw(arrays(s1)), t2, value=value, method=draw(st.booleans())
        )

    return cases()


def _addc(name: str):
    def fn(x, t1, t2, value, method):
        if method:
            return getattr(x, name)(t1, t2, value=value)
        return getattr(cr, name)(x, t1, t2, value=value)

    return fn


TABLE += [
    Op(
        "addcmul",
        _addc("addcmul"),
        lambda x, t1, t2, value, method: x + value * t1 * t2,
        _addc_cases(divide=False),
        ("addcmul",),
    ),
    Op(
        "addcdiv",
        _addc("addcdiv"),
        lambda x, t1, t2, value, method: x + value * t1 / t2,
        _addc_cases(divide=True),
        ("addcdiv",),
    ),
]


# ----- the checks -------------------------------------------------------------------------------
@dataclass
class OpStats:
    cases: int = 0
    worst_rel_err: float = 0.0
    passed: bool = False


STATS: dict[str, OpStats] = {}


def _leaves(arrays, dtype) -> list[cr.Tensor]:
    return [cr.tensor(a.astype(dtype), requires_grad=True) for a in arrays]


def _grad_of(leaf: cr.Tensor, dtype) -> np.ndarray:
    """``leaf.grad``, checked to be an ndarray of the leaf's shape and of ``dtype``."""
    g = leaf.grad
    assert isinstance(g, np.ndarray), f"grad is {type(g).__name__}, not an ndarray"
    assert g.shape == leaf.shape, f"grad shape {g.shape} != input shape {leaf.shape}"
    assert g.dtype == dtype, f"grad dtype {g.dtype} != input dtype {dtype}"
    return g


#: gradients smaller than this (∞-norm) have their error measured relative to it instead:
#: near a zero gradient (cos at 0) a relative error only measures finite-difference noise.
REL_FLOOR = 1e-3


def _rel_err(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖analytic − numeric‖∞ / max(‖analytic‖∞, ‖numeric‖∞, REL_FLOOR)."""
    if analytic.size == 0:
        return 0.0
    err = np.max(np.abs(analytic - numeric))
    scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)), REL_FLOOR)
    return float(err / scale)


def check_case(op: Op, case: Case) -> float:
    """Run every check on one case; return the relative error of the analytic gradient."""
    arrays, kw = case.arrays, case.kw

    def f(*tensors):
        return op.fn(*tensors, **kw)

    # forward, float64, against NumPy
    leaves = _leaves(arrays, F64)
    out = f(*leaves)
    expected = np.asarray(op.ref(*arrays, **kw), dtype=F64)
    assert isinstance(out, cr.Tensor)
    assert out.requires_grad
    assert out.shape == expected.shape
    assert out.dtype == F64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)

    # backward twice with a random upstream gradient: the same gradients both times
    w = np.asarray(np.random.default_rng(0).standard_normal(out.shape))
    w_before = w.copy()
    out.backward(w, retain_graph=True)
    first = [_grad_of(leaf, F64).copy() for leaf in leaves]
    for leaf in leaves:
        leaf.zero_grad()
    out.backward(w)
    for leaf, g in zip(leaves, first):
        np.testing.assert_array_equal(_grad_of(leaf, F64), g)
    np.testing.assert_array_equal(w, w_before)  # the upstream gradient is left alone
    for leaf, a in zip(leaves, arrays):
        np.testing.assert_array_equal(leaf.data, a)  # and so are the inputs

    # with several inputs, each one alone requiring gradients gets the same gradient
    if len(arrays) > 1:
        for i, g in enumerate(first):
            ts = [cr.tensor(a.copy(), requires_grad=j == i) for j, a in enumerate(arrays)]
            f(*ts).backward(w)
            np.testing.assert_allclose(_grad_of(ts[i], F64), g, rtol=1e-12, atol=0)
            assert all(t.grad is None for j, t in enumerate(ts) if j != i)

    # an all-zero upstream gradient gives all-zero gradients
    leaves = _leaves(arrays, F64)
    out = f(*leaves)
    out.backward(np.zeros(out.shape))
    for leaf in leaves:
        g = _grad_of(leaf, F64)
        assert np.all(g == 0), f"zero upstream gradient gave {g}"

    # the whole Jacobian against central differences
    assert cr.gradcheck(f, arrays)

    # the analytic gradient for upstream w against central differences of Σ w·(f − f(x₀));
    # subtracting the constant f(x₀) keeps the rounding error of the difference small
    def scalarised(*tensors):
        return np.sum((f(*tensors).data - expected) * w)

    numeric = cr.numerical_grad(scalarised, arrays)
    rel = max(_rel_err(a, n) for a, n in zip(first, numeric))
    assert rel <= REL_TOL, f"relative error {rel:.3g} > {REL_TOL}"

    # float32 inputs: float32 gradients (and values close to float64's)
    leaves32 = _leaves(arrays, F32)
    out32 = f(*leaves32)
    assert out32.dtype == op.out_dtype32
    np.testing.assert_allclose(out32.data, expected, rtol=1e-4, atol=1e-4)
    out32.backward(w.astype(F32))
    for leaf, g64 in zip(leaves32, first):
        scale = max(1.0, float(np.max(np.abs(g64), initial=0.0)))
        np.testing.assert_allclose(_grad_of(leaf, F32), g64, rtol=1e-3, atol=1e-4 * scale)
    return rel


# ----- the tests ------------------------------------------------------------------------------
REQUIRED = {
    # the forms the table must contain, beyond one entry per cr.ops function
    "pow_tensor_scalar",
    "pow_scalar_tensor",
    "pow_tensor_tensor",
    "matmul_1d_1d",
    "matmul_1d_2d",
    "matmul_2d_1d",
    "matmul_2d_2d",
    "matmul_batched",
    "index_basic",
    "index_int",
    "index_bool",
    "rmul",
    "rdiv",
    "rsub",
    "rpow",
    "rmod",
    "rfloordiv",
}


def test_table_covers_every_op():
    names = [op.name for op in TABLE]
    assert len(names) == len(set(names)), "duplicate names in the table"
    covered = {c for op in TABLE for c in op.covers}
    # compare, argmax and argmin return boolean or integer tensors outside the graph
    differentiable = set(cr.ops.__all__) - {"compare", "argmax", "argmin"}
    assert differentiable <= covered, f"ops missing from the table: {differentiable - covered}"
    assert set(names) >= REQUIRED, f"forms missing from the table: {REQUIRED - set(names)}"


@pytest.mark.parametrize("op", TABLE, ids=lambda op: op.name)
def test_op(op: Op):
    stats = STATS[op.name] = OpStats()

    @SETTINGS
    @given(case=op.cases)
    def run(case: Case):
        rel = check_case(op, case)
        stats.cases += 1
        stats.worst_rel_err = max(stats.worst_rel_err, rel)

    run()
    stats.passed = True


def test_table_summary(request, capsys):
    """Defined last, so it runs after the `test_op` cases it reports on (in this process)."""
    if hasattr(request.config, "workerinput"):
        pytest.skip("under pytest-xdist each worker sees only its own ops")
    here = Path(__file__).resolve()
    selected = [
        item.callspec.params["op"].name
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_op" and item.path.resolve() == here
    ]
    if not selected:
        pytest.skip("no op of the table was selected")
    not_run = [name for name in selected if name not in STATS]
    failed = [name for name in selected if name in STATS and not STATS[name].passed]
    ran = {name: STATS[name] for name in selected if name in STATS}
    cases = sum(s.cases for s in ran.values())
    worst_op = max(ran, key=lambda name: ran[name].worst_rel_err, default=None)
    worst = ran[worst_op].worst_rel_err if worst_op else float("nan")
    with capsys.disabled():
        print(
            f"\nops table: ops={len(selected)}, cases={cases} ({EXAMPLES_PER_OP} per op), "
            f"failures={len(failed)}, worst relative error={worst:.3g} ({worst_op})"
        )
        if failed:
            print(f"ops table: failed: {', '.join(failed)}")
    assert not not_run, f"the summary ran before these ops: {not_run}"
    assert not failed, f"ops that failed: {failed}"
    empty = [name for name, s in ran.items() if s.cases == 0]
    assert not empty, f"ops that ran no case: {empty}"
