"""Numerical stability at the extremes (docs/reliability.md, "Numerical stability at the
extremes"). Every test runs chainrule under ``warnings.simplefilter("error")``: a
RuntimeWarning from NumPy fails it.

- Every elementwise op at every point of the grid (binary ops at every pair), float64 and
  float32, as 0-d tensors: the forward equals NumPy's, the gradient for an upstream 1
  equals the derivative written by hand in `_numerics_grid` (the documented convention where
  it is not finite) and, at normal points, its textbook form. Then each op on the whole grid
  at once, binary ops broadcast (17, 1) × (17,), so that the gradients are summed back.
- Reductions, matmul, softmax and the losses on inputs holding inf and NaN: NumPy's result.
- softmax, log_softmax, sigmoid, tanh, SoftmaxCrossEntropy and BCEWithLogitsLoss on logits up
  to |1e4|: finite values and gradients, equal to formulas evaluated in extended precision.
- The conventions table of the docs, one test per row; empty batches.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _numerics_grid import BINARY, GRID, INF, NAN, UNARY, expected, mismatch
from reliability_conftest import note

import chainrule as cr

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"
DTYPES = pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
F = cr.nn.functional


def strict(fn, *args, **kwargs):
    """``fn(*args)`` with every warning an error (pytest does the same; this says it here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def forward_backward(fn, *xs, upstream=None):
    out = fn(*xs)
    out.backward(np.ones(out.shape, out.dtype) if upstream is None else upstream)
    return out


def leaf(v, dtype=F64) -> cr.Tensor:
    return cr.tensor(np.array(v, dtype=dtype), requires_grad=True)


def check_op(op, arrays: list[np.ndarray], dtype, textbook_rtol: float = 1e-12) -> None:
    """The op's forward and gradients (upstream 1) against NumPy and its hand derivative."""
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = strict(forward_backward, op.fn, *xs)
    want = expected(op.ref, *arrays)
    assert out.dtype == want.dtype
    assert not mismatch(out.data, want, dtype).any(), f"{op}{tuple(arrays)}: {out.data} != {want}"
    full = np.broadcast_shapes(*(a.shape for a in arrays))
    grads = expected(op.grad, *arrays)
    for i, (x, a, g) in enumerate(zip(xs, arrays, grads)):
        g = expected(lambda g=g, a=a: _summed(g, full, a.shape))
        assert x.grad.dtype == a.dtype
        assert x.grad.shape == a.shape
        bad = mismatch(x.grad, g, dtype)
        assert not bad.any(), f"{op}{tuple(arrays)}: gradient {i}: {x.grad} != {g}"
    if op.textbook is None or dtype != F64 or full != ():
        return
    if not all(np.isfinite(a) for a in arrays):
        return
    for x, g in zip(xs, expected(op.textbook, *arrays)):  # at normal points: both finite
        if np.isfinite(g) and np.isfinite(x.grad):
            tol = textbook_rtol * abs(g) + op.textbook_atol
            assert abs(x.grad - g) <= tol, f"{op}{tuple(arrays)}: {x.grad} != {g}"


def _summed(g, full, shape):
    """What unbroadcast must give: ``g`` over the broadcast shape, summed back to ``shape``."""
    g = np.ones(full) * g
    axes = tuple(range(len(full) - len(shape)))
    g = g.sum(axis=axes) if axes else g
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=kept, keepdims=True) if kept else g


# ----- every elementwise op on the grid --------------------------------------------------------
@DTYPES
@pytest.mark.parametrize("v", GRID, ids=repr)
@pytest.mark.parametrize("op", UNARY, ids=repr)
def test_unary_op_at_a_grid_point(op, v, dtype):
    check_op(op, [np.array(v, dtype)], dtype)
    note("numerics: elementwise op × grid point", **{f"unary {dtype}": 1})


@DTYPES
@pytest.mark.parametrize("y", GRID, ids=repr)
@pytest.mark.parametrize("x", GRID, ids=repr)
@pytest.mark.parametrize("op", BINARY, ids=repr)
def test_binary_op_at_a_grid_pair(op, x, y, dtype):
    check_op(op, [np.array(x, dtype), np.array(y, dtype)], dtype)
    note("numerics: elementwise op × grid point", **{f"binary {dtype}": 1})


@DTYPES
@pytest.mark.parametrize("op", UNARY + BINARY, ids=repr)
def test_op_on_the_whole_grid_broadcast(op, dtype):
    grid = np.array(GRID, dtype)
    arrays = [grid] if op in UNARY else [grid.reshape(-1, 1), grid]
    check_op(op, arrays, dtype)


@pytest.mark.parametrize(
    "ufunc", [np.less, np.less_equal, np.equal, np.not_equal, np.greater, np.greater_equal]
)
def test_comparisons_on_the_grid(ufunc):
    grid = np.array(GRID)
    got = strict(cr.ops.compare, ufunc, leaf(grid.reshape(-1, 1)), leaf(grid))
    assert np.array_equal(got.data, ufunc(grid.reshape(-1, 1), grid))


# ----- the other ops, with inf and NaN among ordinary values ------------------------------------
SPECIAL = np.array([[1.0, INF, -2.0], [-INF, INF, 0.5], [NAN, 1.0, 3.0], [1e308, 1e308, 0.0]])


@pytest.mark.parametrize(
    ("name", "fn", "ref"),
    [
        ("sum", lambda x: x.sum(axis=1), lambda a: a.sum(axis=1)),
        ("mean", lambda x: x.mean(axis=0), lambda a: a.mean(axis=0)),
        ("max", lambda x: x.max(axis=1), lambda a: a.max(axis=1)),
        ("min", lambda x: x.min(axis=1), lambda a: a.min(axis=1)),
        ("matmul", lambda x: x @ x.T, lambda a: a @ a.T),
        ("norm", lambda x: F.norm(x, axis=1), lambda a: np.linalg.norm(a, axis=1)),
        ("index", lambda x: x[np.array([0, 0, 1])], lambda a: a[np.array([0, 0, 1])]),
        ("softmax", lambda x: x.softmax(axis=1), None),
        ("log_softmax", lambda x: x.log_softmax(axis=1), None),
    ],
)
def test_other_ops_on_inf_and_nan(name, fn, ref):
    x = leaf(SPECIAL)
    out = strict(forward_backward, fn, x)
    if ref is not None:
        assert not mismatch(out.data, expected(ref, SPECIAL), F64).any()
    assert x.grad.shape == SPECIAL.shape


def test_losses_on_inf_and_nan():
    x = leaf(SPECIAL)
    strict(forward_backward, cr.nn.SoftmaxCrossEntropy(), x, np.array([0, 1, 2, 0]))
    strict(forward_backward, cr.nn.BCEWithLogitsLoss(), x, np.full(SPECIAL.shape, 0.5))
    strict(forward_backward, cr.nn.MSELoss(), x, np.zeros(SPECIAL.shape))


# ----- logits up to |1e4| ----------------------------------------------------------------------
def big_logits(dtype) -> np.ndarray:
    """(8, 10) logits: extremes, ties, one-sided rows, and random values up to ±1e4."""
    rng = np.random.default_rng(6)
    rows = [
        [1e4, -1e4, 0, 1, -1, 5e3, -5e3, 1e4 - 1, 88.7, -709.8],
        [1e4] * 10,
        [-1e4] * 10,
        [-1e4] * 9 + [1e4],
        [1e4, 1e4, -1e4, -1e4, 0, 0, 1e-8, -1e-8, 709.8, -88.7],
        rng.uniform(-1e4, 1e4, 10),
        rng.normal(0, 1e3, 10),
        rng.normal(0, 1, 10),
    ]
    return np.array(rows, dtype=dtype)


def softmax_ld(x: np.ndarray) -> np.ndarray:
    """softmax by a plain shifted exp in extended precision: the independent truth."""
    z = x.astype(np.longdouble)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float64)


TOL = {F64: 1e-12, F32: 1e-6}  # absolute, on values in [0, 1]


def finite_value_and_gradient(fn, x: cr.Tensor, upstream: np.ndarray | None = None):
    out = strict(forward_backward, fn, x, upstream=upstream)
    assert np.isfinite(out.data).all()
    assert np.isfinite(x.grad).all()
    assert out.dtype == x.dtype
    assert x.grad.dtype == x.dtype
    return out


@DTYPES
def test_softmax_and_log_softmax_for_logits_up_to_1e4(dtype):
    x = big_logits(dtype)
    p = softmax_ld(x)
    g = np.random.default_rng(1).normal(size=x.shape).astype(dtype)  # a random upstream
    t = leaf(x, dtype)
    y = finite_value_and_gradient(lambda v: v.softmax(axis=1), t, g)
    assert np.abs(y.data.sum(axis=1) - 1).max() <= TOL[dtype]
    assert np.abs(y.data - p).max() <= TOL[dtype]
    want = p * (g - (g * p).sum(axis=1, keepdims=True))
    assert np.abs(t.grad - want).max() <= 10 * TOL[dtype] * np.abs(g).max()
    t = leaf(x, dtype)
    y = finite_value_and_gradient(lambda v: v.log_softmax(axis=1), t, g)
    assert np.abs(np.exp(y.data.astype(np.float64)) - p).max() <= TOL[dtype]
    want = g - p * g.sum(axis=1, keepdims=True)
    assert np.abs(t.grad - want).max() <= 10 * TOL[dtype] * np.abs(g).max()


@DTYPES
def test_sigmoid_and_tanh_for_logits_up_to_1e4(dtype):
    x = big_logits(dtype)
    for fn, ref in [(cr.ops.sigmoid, lambda a: softmax_ld(np.stack([0 * a, a], 1))[:, 1]),
                    (cr.ops.tanh, np.tanh)]:  # fmt: skip
        t = leaf(x, dtype)
        y = finite_value_and_gradient(fn, t)
        want = np.array([ref(row.astype(np.float64)) for row in x])
        assert np.abs(y.data - want).max() <= TOL[dtype]


@DTYPES
def test_softmax_cross_entropy_for_logits_up_to_1e4(dtype):
    x = big_logits(dtype)
    n, c = x.shape
    labels = np.arange(n) % c
    onehot = np.eye(c)[labels]
    p = softmax_ld(x)
    for target in (labels, onehot, np.full((n, c), 1 / c)):
        t = leaf(x, dtype)
        loss = strict(forward_backward, cr.nn.SoftmaxCrossEntropy(), t, target)
        assert np.isfinite(loss.data)
        assert np.isfinite(t.grad).all()
        probs = onehot if target.ndim == 1 else target
        assert np.abs(t.grad - (p - probs) / n).max() <= TOL[dtype]  # (softmax − target) / N
        zl = x.astype(np.longdouble)
        lse = zl.max(axis=1) + np.log(np.exp(zl - zl.max(axis=1, keepdims=True)).sum(axis=1))
        want = float(-(probs * (zl - lse[:, None])).sum() / n)
        assert abs(float(loss.data) - want) <= TOL[dtype] * max(1.0, abs(want))


@DTYPES
def test_bce_with_logits_for_logits_up_to_1e4(dtype):
    x = big_logits(dtype)
    target = np.random.default_rng(2).choice([0.0, 1.0, 0.3], size=x.shape)
    sigma = softmax_ld(np.stack([np.zeros(x.size), x.ravel().astype(np.float64)], 1))[:, 1]
    t = leaf(x, dtype)
    loss = strict(forward_backward, cr.nn.BCEWithLogitsLoss(), t, target)
    assert np.isfinite(loss.data)
    assert np.isfinite(t.grad).all()
    want = (sigma.reshape(x.shape) - target) / x.size  # (σ(x) − t) / n
    assert np.abs(t.grad - want).max() <= TOL[dtype] / x.size


# ----- the conventions table (docs/reliability.md), one test per row ----------------------------
def value_and_grad(fn, *values, upstream=None):
    xs = [leaf(v) for v in values]
    out = strict(forward_backward, fn, *xs, upstream=upstream)
    return out.data, *(x.grad for x in xs)


def same(a, b) -> bool:
    """Equal as IEEE values, NaN equal to NaN, and the sign of a zero too."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(
        np.all((a == b) & (np.signbit(a) == np.signbit(b)) | (np.isnan(a) & np.isnan(b)))
    )


def log_where(x):
    return cr.ops.where(x > 0, cr.ops.log(x), 0.0)


def log_double_where(x):
    return cr.ops.where(x > 0, cr.ops.log(cr.ops.where(x > 0, x, 1.0)), 0.0)


def sqrt_where(x):
    return cr.ops.where(x > 0, cr.ops.sqrt(x), 0.0)


def sqrt_double_where(x):
    return cr.ops.where(x > 0, cr.ops.sqrt(cr.ops.where(x > 0, x, 1.0)), 0.0)


def composed_norm(x):
    return cr.ops.sqrt((x * x).sum())


CONVENTIONS = [  # (function, point, value, gradient)
    ("sqrt", cr.ops.sqrt, 0.0, 0.0, INF),
    ("sqrt", cr.ops.sqrt, -0.0, -0.0, -INF),
    ("sqrt", cr.ops.sqrt, -1.0, NAN, NAN),
    ("sqrt", cr.ops.sqrt, INF, INF, 0.0),
    ("log", cr.ops.log, 0.0, -INF, INF),
    ("log", cr.ops.log, -0.0, -INF, -INF),
    ("log", cr.ops.log, -2.0, NAN, -0.5),
    ("log", cr.ops.log, INF, INF, 0.0),
    ("abs", cr.ops.abs, 0.0, 0.0, 0.0),
    ("relu", cr.ops.relu, 0.0, 0.0, 0.0),
    ("relu", cr.ops.relu, NAN, NAN, 0.0),
    ("leaky_relu", cr.ops.leaky_relu, 0.0, 0.0, 0.01),
    ("elu(α = 0.5)", lambda x: cr.ops.elu(x, 0.5), 0.0, 0.0, 0.5),
    ("silu", cr.ops.silu, -INF, -0.0, 0.0),
    ("silu", cr.ops.silu, INF, INF, 1.0),
    ("gelu", cr.ops.gelu, -INF, NAN, NAN),  # −∞·Φ(−∞) = −∞·0, as PyTorch
    ("gelu", cr.ops.gelu, INF, INF, NAN),  # Φ(∞) + ∞·φ(∞) = 1 + ∞·0, as PyTorch
    ("gelu(approximate='tanh')", lambda x: cr.ops.gelu(x, approximate="tanh"), -INF, NAN, NAN),
    ("gelu(approximate='tanh')", lambda x: cr.ops.gelu(x, approximate="tanh"), INF, INF, NAN),
    ("softplus(β = 2, threshold = 4)", lambda x: cr.ops.softplus(x, 2.0, 4.0), 2.0,
     np.log1p(np.exp(4.0)) / 2, 1 / (1 + np.exp(-4.0))),
    ("clip(-1, 1)", lambda x: cr.ops.clip(x, -1.0, 1.0), 1.0, 1.0, 1.0),
    ("log1p", cr.ops.log1p, -1.0, -INF, INF),
    ("log1p", cr.ops.log1p, -2.0, NAN, -1.0),  # 1/(1 + x) does not look at the value
    ("expm1", cr.ops.expm1, -INF, -1.0, 0.0),
    ("expm1", cr.ops.expm1, 709.8, INF, INF),
    ("expm1", cr.ops.expm1, -88.7, np.expm1(-88.7), np.exp(-88.7)),  # exp x, not out + 1 = 0
    ("log2", cr.ops.log2, 0.0, -INF, INF),
    ("log10", cr.ops.log10, -0.0, -INF, -INF),
    ("reciprocal", cr.ops.reciprocal, 0.0, INF, -INF),
    ("reciprocal", cr.ops.reciprocal, -0.0, -INF, -INF),
    ("rsqrt", cr.ops.rsqrt, 0.0, INF, -INF),
    ("rsqrt", cr.ops.rsqrt, -0.0, -INF, INF),  # −½·(−inf)³, as PyTorch
    ("rsqrt", cr.ops.rsqrt, INF, 0.0, -0.0),
    ("rsqrt", cr.ops.rsqrt, -1.0, NAN, NAN),
    ("tan", cr.ops.tan, INF, NAN, NAN),
    ("arcsin", cr.ops.arcsin, 1.0, np.pi / 2, INF),
    ("arcsin", cr.ops.arcsin, -1.0, -np.pi / 2, INF),
    ("arcsin", cr.ops.arcsin, 2.0, NAN, NAN),
    ("arccos", cr.ops.arccos, 1.0, 0.0, -INF),
    ("arccos", cr.ops.arccos, -1.0, np.pi, -INF),
    ("arctan", cr.ops.arctan, INF, np.pi / 2, 0.0),
    ("erf", cr.ops.erf, INF, 1.0, 0.0),
    ("erfc", cr.ops.erfc, -INF, 2.0, -0.0),
    ("sign", cr.ops.sign, 0.0, 0.0, 0.0),
    ("sign", cr.ops.sign, NAN, NAN, 0.0),  # NumPy's NaN (PyTorch: 0)
    ("floor", cr.ops.floor, 2.0, 2.0, 0.0),
    ("floor", cr.ops.floor, INF, INF, 0.0),
    ("ceil", cr.ops.ceil, -2.0, -2.0, 0.0),
    ("round", cr.ops.round, 2.5, 2.0, 0.0),  # halves to even
    ("round", cr.ops.round, -0.5, -0.0, 0.0),
    ("trunc", cr.ops.trunc, NAN, NAN, 0.0),
    ("arctan2(y, 1)", lambda y: cr.ops.arctan2(y, 1.0), INF, np.pi / 2, 0.0),
    ("arctan2(y, 0)", lambda y: cr.ops.arctan2(y, 0.0), 0.0, 0.0, 0.0),  # as PyTorch
    ("arctan2(y, y)", lambda y: cr.ops.arctan2(y, y), 1e-200, np.pi / 4, 0.0),  # 1/(2y) − 1/(2y)
    ("arctan2(y, -1)", lambda y: cr.ops.arctan2(y, -1.0), -0.0, -np.pi, -1.0),  # the cut
    ("arctan2(1, x)", lambda x: cr.ops.arctan2(1.0, x), -INF, np.pi, -0.0),  # −1/inf
    ("exp", cr.ops.exp, 709.8, INF, INF),
    ("exp", cr.ops.exp, -INF, 0.0, 0.0),
    ("tanh", cr.ops.tanh, 20.0, np.tanh(20.0), 0.0),  # true 1.7e-17: 1 − y² rounds to 0
    ("sigmoid", cr.ops.sigmoid, 40.0, 1.0, 0.0),  # true 4.2e-18: y(1 − y) rounds to 0
    ("sigmoid", cr.ops.sigmoid, -1e4, 0.0, 0.0),
    ("norm (F.norm)", cr.nn.functional.norm, [0.0, 0.0], 0.0, [0.0, 0.0]),
    ("sqrt(sum(x²))", composed_norm, [0.0, 0.0], 0.0, [NAN, NAN]),
    ("where(x > 0, log x, 0)", log_where, [0.0, -1.0, 2.0, NAN], [0.0, 0.0, np.log(2), 0.0],
     [0.0, -0.0, 0.5, 0.0]),  # 0·(1/0) and 0·NaN taken as 0; 0·(1/−1) = −0 as IEEE
    ("where(x > 0, log(where(x > 0, x, 1)), 0)", log_double_where, [0.0, -1.0, 2.0, NAN],
     [0.0, 0.0, np.log(2), 0.0], [0.0, 0.0, 0.5, 0.0]),
    ("where(x > 0, √x, 0)", sqrt_where, [0.0, -1.0, 4.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.25]),
    ("where(x != 0, 1/x, 0)", lambda x: cr.ops.where(x != 0, 1.0 / x, 0.0), [0.0, 2.0],
     [0.0, 0.5], [0.0, -0.25]),
    ("0 · log x", lambda x: 0.0 * cr.ops.log(x), 0.0, NAN, 0.0),  # 0 · (−∞) = NaN, as IEEE
    ("where(x > 0, √(where(x > 0, x, 1)), 0)", sqrt_double_where, [0.0, -1.0, 4.0],
     [0.0, 0.0, 2.0], [0.0, 0.0, 0.25]),
    ("softmax, all −inf", lambda x: x.softmax(), [-INF, -INF], [0.0, 0.0], [0.0, 0.0]),
    ("softmax, +inf", lambda x: x.softmax(), [INF, 1.0], [NAN, NAN], [NAN, NAN]),
    ("log_softmax, all −inf", lambda x: x.log_softmax(), [-INF, -INF], [-INF, -INF],
     [1.0, 1.0]),
    ("log_softmax, one −inf", lambda x: x.log_softmax(), [0.0, -INF], [0.0, -INF],
     [-1.0, 1.0]),
    ("cross_entropy, all −inf", lambda x: F.cross_entropy(x, np.array([0])), [[-INF, -INF]],
     INF, [[-1.0, 0.0]]),
    ("cross_entropy, one-hot, masked class", lambda x: F.cross_entropy(x, [[1.0, 0.0]]),
     [[0.0, -INF]], -0.0, [[0.0, 0.0]]),  # −0: minus a sum of +0
    ("max, NaN in the slice", lambda x: x.max(), [1.0, NAN], NAN, [NAN, NAN]),
    ("maximum, tie", lambda x: cr.ops.maximum(x, 1.0), 1.0, 1.0, 0.5),
    ("maximum, NaN", lambda x: cr.ops.maximum(x, 1.0), NAN, NAN, 1.0),
    ("maximum, NaN other", lambda x: cr.ops.maximum(x, NAN), 1.0, NAN, 0.0),
    ("where(x > 0, x·log x, 0)", lambda x: cr.ops.where(x > 0, x * cr.ops.log(x), 0.0),
     [0.0, 0.5], [0.0, 0.5 * np.log(0.5)], [0.0, np.log(0.5) + 1.0]),  # mul: 0·(−∞) taken as 0
    ("BCE, logit +inf, target 1", lambda x: F.binary_cross_entropy_with_logits(x, [1.0]),
     [INF], 0.0, [0.0]),  # the limit (1 − t)·x = 0, not ∞ − ∞
    ("BCE, logit −inf, target 0", lambda x: F.binary_cross_entropy_with_logits(x, [0.0]),
     [-INF], 0.0, [0.0]),
    ("BCE, logit +inf, target 0", lambda x: F.binary_cross_entropy_with_logits(x, [0.0]),
     [INF], INF, [1.0]),
    ("l1_loss, pred = target", lambda x: F.l1_loss(x, [1.0]), [1.0], 0.0, [0.0]),
    ("smooth_l1_loss(β = 0.5), |x − t| = β", lambda x: F.smooth_l1_loss(x, [0.0], beta=0.5),
     [0.5], 0.25, [1.0]),  # the linear piece: sign, which the quadratic's x/β meets there
    ("binary_cross_entropy, p = 0, target 1", lambda x: F.binary_cross_entropy(x, [1.0]),
     [0.0], 100.0, [-1 / float(np.float32(1e-12))]),  # log clamped at −100; p(1 − p) at ε
    ("binary_cross_entropy, p = 1, target 1", lambda x: F.binary_cross_entropy(x, [1.0]),
     [1.0], 0.0, [0.0]),
    ("nll_loss, every label ignored", lambda x: F.nll_loss(x, np.array([-100])),
     [[0.0, -1.0]], NAN, [[0.0, 0.0]]),  # 0/0, as PyTorch; no label, no gradient
    ("x ** 0", lambda x: x**0.0, 0.0, 1.0, 0.0),
    ("x ** 0.5", lambda x: x**0.5, 0.0, 0.0, INF),
    ("0 ** y at y = 1", lambda y: 0.0**y, 1.0, 0.0, 0.0),
    ("0 ** y at y = −1", lambda y: 0.0**y, -1.0, INF, NAN),
    ("1 / x", lambda x: 1.0 / x, 0.0, INF, -INF),
    ("0 / x", lambda x: 0.0 / x, 0.0, NAN, NAN),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "fn", "point", "value", "grad"),
    CONVENTIONS,
    ids=[f"{row[0]} at {row[2]}" for row in CONVENTIONS],
)
def test_convention(name, fn, point, value, grad):
    out, g = value_and_grad(fn, point)
    assert same(out, value), f"{name} at {point}: value {out}, documented {value}"
    assert same(g, grad), f"{name} at {point}: gradient {g}, documented {grad}"
    note("numerics: conventions", rows=1)


@pytest.mark.parametrize(("shape", "axis"), [((3,), None), ((2, 3), 1), ((2, 3, 2), (0, 2))])
def test_norm_gradcheck(shape, axis):
    rng = np.random.default_rng(len(shape))
    for keepdims in (False, True):
        x = cr.tensor(rng.normal(size=shape), requires_grad=True)
        fn = lambda v, keepdims=keepdims: F.norm(v, axis, keepdims)  # noqa: E731
        assert strict(cr.gradcheck, fn, [x], check_second_order=True)
        want = np.linalg.norm(x.data, axis=axis, keepdims=keepdims)
        assert np.allclose(fn(x).data, want, rtol=1e-15, atol=0)


def test_norm_is_zero_with_gradient_zero_where_a_row_is_zero():
    x = leaf([[0.0, 0.0], [3.0, 4.0]])
    out = strict(forward_backward, lambda v: F.norm(v, axis=1), x)
    assert same(out.data, [0.0, 5.0])
    assert same(x.grad, [[0.0, 0.0], [0.6, 0.8]])


def test_a_numpy_error_state_set_by_the_user_is_obeyed():
    """Only NumPy's default state is overridden: np.errstate(all="raise") stops at the op."""
    x = leaf([0.0, 1.0])
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        cr.ops.log(x)
    with np.errstate(divide="warn", invalid="raise"), pytest.warns(RuntimeWarning, match="divide"):
        cr.ops.log(x)
    if NUMPY2:  # NumPy 1.x cannot tell a state equal to the default from it (chainrule._quiet)
        with np.errstate(divide="warn"), pytest.warns(RuntimeWarning, match="divide by zero"):
            cr.ops.log(x)
    with np.errstate(all="ignore"):
        strict(cr.ops.log, x)
    strict(cr.ops.log, x)  # and the default state is back


def test_the_numpy1_fallback_of_quiet_behaves_the_same():
    """NumPy 1.x has no error-state context variable: `quietly` falls back to np.errstate."""
    from chainrule._quiet import _quietly_numpy1

    assert strict(_quietly_numpy1, np.log, (np.array(0.0),)) == -INF
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        _quietly_numpy1(np.log, (np.array(0.0),))


def test_the_numpy1_fallback_gives_a_users_code_the_users_state(monkeypatch):
    """NumPy 1.x: inside a `silenced` backward pass (np.errstate there), a user's backward or
    hook, run through `as_user`, warns as it would outside chainrule."""
    from chainrule import _quiet

    monkeypatch.setattr(_quiet, "_STATE", None)  # as on NumPy 1.x
    zero = np.array(0.0)
    with _quiet.silenced():
        assert strict(np.log, zero) == -INF
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            _quiet.as_user(np.log, (zero,))
        assert strict(np.log, zero) == -INF  # silenced again after the user's code
    with np.errstate(all="ignore"), _quiet.silenced():  # the user's own state: kept
        assert strict(_quiet.as_user, np.log, (zero,)) == -INF


# ----- empty batches --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: cr.nn.SoftmaxCrossEntropy()(leaf(np.zeros((0, 10))), np.zeros(0, np.int64)),
         r"cross_entropy: empty batch \(input shape \(0, 10\), target shape \(0,\)\)"),
        (lambda: cr.nn.CrossEntropyLoss()(leaf(np.zeros((0, 3))), np.zeros((0, 3))),
         r"cross_entropy: empty batch \(input shape \(0, 3\), target shape \(0, 3\)\)"),
        (lambda: cr.nn.MSELoss()(leaf(np.zeros((0, 3))), np.zeros((0, 3))),
         r"mse_loss: empty batch \(input shape \(0, 3\), target shape \(0, 3\)\)"),
        (lambda: cr.nn.BCEWithLogitsLoss()(leaf(np.zeros((0, 1))), np.zeros((0, 1))),
         r"binary_cross_entropy_with_logits: empty batch \(input shape \(0, 1\)"),
        (lambda: F.mse_loss(leaf(np.zeros((4, 0))), np.zeros((4, 0))), r"mse_loss: empty"),
    ],
    ids=["cross-entropy, labels", "cross-entropy, one-hot", "MSE", "BCE", "MSE, no columns"],
)  # fmt: skip
def test_empty_batches_raise(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        strict(call)


def test_empty_batch_sum_and_none_reductions_are_defined():
    pred = leaf(np.zeros((0, 3)))
    assert strict(F.mse_loss, pred, np.zeros((0, 3)), "sum").item() == 0.0
    assert strict(F.mse_loss, pred, np.zeros((0, 3)), "none").shape == (0, 3)


# ----- reductions and softmax over nothing ----------------------------------------------------
@DTYPES
@pytest.mark.parametrize(
    ("shape", "axis"), [((0, 3), None), ((0, 3), 0), ((0, 3), 1), ((3, 0), 1), ((0,), None)]
)
def test_mean_of_nothing_is_nan_without_a_warning(dtype, shape, axis):
    x = leaf(np.zeros(shape), dtype)
    out = strict(x.mean, axis=axis)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's own mean warns "Mean of empty slice"
        want = np.mean(np.zeros(shape, dtype), axis=axis)
    assert out.shape == want.shape
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, want)  # NaN where it averages nothing
    strict(out.sum().backward)
    assert x.grad.shape == shape
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_along_or_across_an_empty_axis_is_empty(name, axis):
    x = leaf(np.zeros((0, 3)))
    out = strict(getattr(x, name), axis=axis)
    assert out.shape == (0, 3)
    strict(out.sum().backward)
    assert x.grad.shape == (0, 3)
