"""The ops against PyTorch: values, output dtypes and gradients for a random upstream
gradient, in float64 and float32, plus second derivatives and the conventions at
non-differentiable points where the two libraries agree.

Skipped without PyTorch (the suite needs none). Every case comes from a NumPy generator
seeded by the op's name, so a run is reproducible. Shapes are random and broadcastable,
rank 0 to 4, with size-1 dims and, where PyTorch accepts them, size-0 dims.

Where chainrule differs from PyTorch on purpose the case is left out here and the choice
is documented (docs/reliability.md, ops/README.md); `DELIBERATE` lists those differences
and checks chainrule's side of each.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

CASES_PER_OP = 12
SECOND_ORDER_CASES = 4
DTYPES = [np.float64, np.float32]
TOL = {np.float64: 1e-10, np.float32: 2e-4}


# ----- random inputs -------------------------------------------------------------------------
def shape(rng, min_dims: int = 0, max_dims: int = 4, empty: bool = True) -> tuple:
    """A shape with dims 1..4, size-1 dims common, and (when ``empty``) sometimes a 0."""
    rank = int(rng.integers(min_dims, max_dims + 1))
    sides = [0, 1, 2, 3] if empty and rng.random() < 0.15 else [1, 2, 3, 4]
    return tuple(int(rng.choice(sides)) for _ in range(rank))


def broadcast_pair(rng, empty: bool = True) -> tuple:
    """Two shapes that broadcast together: suffixes of one shape, some dims set to 1."""
    full = shape(rng, empty=empty)
    return tuple(_source_of(rng, full) for _ in range(2))


def _source_of(rng, full: tuple) -> tuple:
    suffix = full[len(full) - int(rng.integers(0, len(full) + 1)) :]
    return tuple(1 if rng.random() < 0.3 else n for n in suffix)


def uniform(rng, shp, lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    return rng.uniform(lo, hi, shp)


def away_from_zero(rng, shp) -> np.ndarray:
    return rng.uniform(0.5, 3.0, shp) * rng.choice([-1.0, 1.0], shp)


# ----- the pairs of functions ------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """chainrule's ``ours(*tensors, **kw)`` and PyTorch's ``theirs(*tensors, **kw)``; ``make``
    draws ``(arrays, kw)`` from a generator; ``grads`` says which arrays get gradients."""

    name: str
    ours: Callable
    theirs: Callable
    make: Callable
    grads: tuple[int, ...] | None = None  # None: every array


def unary(name: str, ours, theirs, lo: float = -3.0, hi: float = 3.0) -> Pair:
    return Pair(name, ours, theirs, lambda rng: ([uniform(rng, shape(rng), lo, hi)], {}))


UNARY = [
    unary("exp", cr.exp, torch.exp),
    unary("log", cr.log, torch.log, 0.1, 5.0),
    unary("sqrt", cr.sqrt, torch.sqrt, 0.1, 5.0),
    unary("abs", cr.ops.abs, torch.abs),
    unary("sin", cr.ops.sin, torch.sin, -4.0, 4.0),
    unary("cos", cr.ops.cos, torch.cos, -4.0, 4.0),
    unary("tanh", cr.tanh, torch.tanh),
    unary("sigmoid", cr.sigmoid, torch.sigmoid, -40.0, 40.0),
    unary("relu", cr.relu, torch.relu),
    unary("neg", lambda x: -x, lambda x: -x),
    unary("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    unary("elu", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
    unary("silu", F.silu, TF.silu, -40.0, 40.0),
    unary("softplus", F.softplus, TF.softplus, -30.0, 30.0),
    unary("softplus_beta", lambda x: x.softplus(2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    unary("gelu", F.gelu, TF.gelu, -6.0, 6.0),
    unary("gelu_tanh", lambda x: x.gelu(approximate="tanh"), partial(TF.gelu, approximate="tanh")),
    unary("clip", lambda x: x.clip(-1, 0.5), lambda x: x.clamp(-1, 0.5)),
    unary("clip_lo", lambda x: cr.ops.clip(x, 0.25), lambda x: x.clamp(min=0.25)),
    unary("pow_tensor_int", lambda x: x**3, lambda x: x**3),
    unary("pow_tensor_float", lambda x: x**-1.5, lambda x: x**-1.5, 0.2, 3.0),
    unary("rpow", lambda x: 2.5**x, lambda x: 2.5**x),
    unary("rsub", lambda x: 1 - x, lambda x: 1 - x),
    unary("rmul", lambda x: 2 * x, lambda x: 2 * x),
    unary("rdiv", lambda x: 10.0 / x, lambda x: 10.0 / x, 0.5, 3.0),
    unary("sub_number", lambda x: x - 0.5, lambda x: x - 0.5),
    unary("div_int", lambda x: x / 4, lambda x: x / 4),
    # log1p … trunc (ops/_exp_log.py, _trig.py, _gaussian.py, _piecewise.py), inside their
    # domains
    unary("log1p", cr.log1p, torch.log1p, -0.9, 4.0),
    unary("expm1", lambda x: x.expm1(), torch.expm1),
    unary("log2", cr.log2, torch.log2, 0.1, 5.0),
    unary("log10", lambda x: x.log10(), torch.log10, 0.1, 5.0),
    Pair(
        "reciprocal",
        cr.reciprocal,
        torch.reciprocal,
        lambda rng: ([away_from_zero(rng, shape(rng))], {}),
    ),
    unary("rsqrt", lambda x: x.rsqrt(), torch.rsqrt, 0.2, 5.0),
    unary("tan", cr.tan, torch.tan, -1.3, 1.3),
    unary("sinh", cr.sinh, torch.sinh),
    unary("cosh", lambda x: x.cosh(), torch.cosh),
    unary("arcsin", cr.arcsin, torch.asin, -0.9, 0.9),
    unary("asin_method", lambda x: x.asin(), torch.asin, -0.9, 0.9),
    unary("arccos", cr.acos, torch.arccos, -0.9, 0.9),
    unary("arctan", lambda x: x.atan(), torch.atan, -4.0, 4.0),
    unary("erf", cr.erf, torch.erf),
    unary("erfc", lambda x: x.erfc(), torch.erfc),
    unary("sign", cr.sign, torch.sign),
    unary("floor", cr.floor, torch.floor),
    unary("ceil", lambda x: x.ceil(), torch.ceil),
    unary("round", cr.round, torch.round),
    unary("trunc", lambda x: x.trunc(), torch.trunc),
]


def binary(name: str, ours, theirs=None, make_y=uniform, make_x=uniform) -> Pair:
    def make(rng):
        sx, sy = broadcast_pair(rng)
        return [make_x(rng, sx), make_y(rng, sy)], {}

    return Pair(name, ours, theirs or ours, make)


def with_array(name: str, op, left: bool) -> Pair:
    """``op(x, array)`` or ``op(array, x)``: the array is a constant of x's dtype."""

    def make(rng):
        sx, sa = broadcast_pair(rng)
        return [uniform(rng, sx)], {"a": rng.uniform(0.5, 2.0, sa)}

    def ours(x, a):
        a = a.astype(x.dtype)
        return op(a, x) if left else op(x, a)

    def theirs(x, a):
        a = torch.tensor(a, dtype=x.dtype)
        return op(a, x) if left else op(x, a)

    return Pair(name, ours, theirs, make)


def _where_make(rng):
    sx, sy = broadcast_pair(rng)
    cond = rng.random(broadcast_pair(rng)[0]) < 0.5
    return [uniform(rng, sx), uniform(rng, sy)], {"cond": cond}


def _quotient_pair(rng):
    """x and y with x/y at least 0.1 from every integer (where remainder and floor_divide
    jump), whatever the broadcasting: y = ±c for one magnitude c, x = c·(k + f)."""
    sx, sy = broadcast_pair(rng)
    c = float(rng.choice([0.5, 1.25, 3.0]))
    x = c * (rng.integers(-4, 4, sx) + rng.uniform(0.1, 0.9, sx))
    return [x, c * rng.choice([-1.0, 1.0], sy)], {}


BINARY = [
    binary("add", lambda x, y: x + y),
    binary("sub", lambda x, y: x - y),
    binary("mul", lambda x, y: x * y),
    binary("div", lambda x, y: x / y, make_y=away_from_zero),
    binary("pow", lambda x, y: x**y, make_x=lambda rng, s: uniform(rng, s, 0.5, 3.0)),
    Pair("remainder", lambda x, y: x % y, lambda x, y: x % y, _quotient_pair),
    Pair("remainder_function", cr.remainder, torch.remainder, _quotient_pair),
    # PyTorch's own ``//`` (floor_divide) has no backward ("derivative not implemented"):
    # its gradient is that of div with rounding_mode="floor", 0
    Pair(
        "floor_divide",
        lambda x, y: x // y,
        lambda x, y: torch.div(x, y, rounding_mode="floor"),
        _quotient_pair,
    ),
    binary("maximum", cr.maximum, torch.maximum),
    binary("arctan2", cr.arctan2, torch.atan2, make_y=away_from_zero),
    binary("atan2_method", lambda y, x: y.atan2(x), torch.atan2),
    binary("minimum", cr.minimum, torch.minimum),
    Pair(
        "where",
        lambda x, y, cond: cr.where(cond, x, y),
        lambda x, y, cond: torch.where(torch.tensor(cond), x, y),
        _where_make,
    ),
    with_array("array_plus", lambda x, y: x + y, left=True),
    with_array("times_array", lambda x, y: x * y, left=False),
    with_array("array_over", lambda x, y: x / y, left=True),
    with_array("pow_array", lambda x, y: x**y, left=False),
]


def _matmul_make(rng):
    n, k, m = (int(rng.integers(0 if rng.random() < 0.1 else 1, 4)) for _ in range(3))
    bx, by = (s[-2:] for s in broadcast_pair(rng, empty=False))
    form = rng.integers(6)
    sx = [(k,), (k,), (n, k), (*bx, n, k), (k,), (*bx, n, k)][form]
    sy = [(k,), (k, m), (k,), (*by, k, m), (*by, k, m), (k,)][form]
    return [uniform(rng, sx), uniform(rng, sy)], {}


def _axis_make(rng):
    """An array and a reduction's ``axis`` (None, an int or a tuple, negatives too)."""
    shp = shape(rng)
    nd = len(shp)
    axis = None
    if nd and rng.random() < 0.4:
        axis = int(rng.integers(-nd, nd))
    elif nd and rng.random() < 0.6:
        picked = sorted({int(a) for a in rng.integers(0, nd, int(rng.integers(1, nd + 1)))})
        axis = tuple(a - nd if rng.random() < 0.5 else a for a in picked)
    return shp, axis, bool(rng.random() < 0.5)


def reduction(name: str, theirs_name: str, ties: bool = False, empty: bool = True) -> Pair:
    def make(rng):
        shp, axis, keepdims = _axis_make(rng)
        while not empty and 0 in shp:
            shp, axis, keepdims = _axis_make(rng)
        x = np.round(uniform(rng, shp)) if ties else uniform(rng, shp)  # ties: shared equally
        return [x], {"axis": axis, "keepdims": keepdims}

    def theirs(x, axis, keepdims):
        dim = tuple(range(x.ndim)) if axis is None else axis
        return getattr(torch, theirs_name)(x, dim=dim, keepdim=keepdims)

    ours = getattr(cr, name, None) or getattr(F, name)
    return Pair(name, lambda x, axis, keepdims: ours(x, axis, keepdims), theirs, make)


def along_axis(name: str, ours, theirs) -> Pair:
    def make(rng):
        shp = shape(rng, min_dims=1)
        return [uniform(rng, shp, -5.0, 5.0)], {"axis": int(rng.integers(-len(shp), len(shp)))}

    return Pair(name, ours, theirs, make)


REDUCE = [
    Pair("matmul", lambda x, y: x @ y, lambda x, y: x @ y, _matmul_make),
    reduction("sum", "sum"),
    reduction("mean", "mean"),
    reduction("max", "amax", ties=True, empty=False),
    reduction("min", "amin", ties=True, empty=False),
    reduction("logsumexp", "logsumexp"),
    along_axis("softmax", lambda x, axis: F.softmax(x, axis), torch.softmax),
    along_axis("log_softmax", lambda x, axis: F.log_softmax(x, axis), torch.log_softmax),
]


def _permutation_make(rng):
    shp = shape(rng)
    perm = tuple(int(a) for a in rng.permutation(len(shp)))
    return [uniform(rng, shp)], {"perm": perm if rng.random() < 0.7 else None}


def _reshape_make(rng):
    shp = shape(rng)
    target = [int(n) for n in rng.permutation(list(shp) + [1] * int(rng.integers(0, 2)))]
    if target and 0 not in shp:
        target[int(rng.integers(len(target)))] = -1
    return [uniform(rng, shp)], {"target": tuple(target)}


def _broadcast_make(rng):
    full = shape(rng)
    return [uniform(rng, _source_of(rng, full))], {"target": full}


def _join_make(rng, new_axis: bool):
    shp = shape(rng, min_dims=0 if new_axis else 1)
    nd = len(shp)
    axis = int(rng.integers(-nd - 1, nd + 1) if new_axis else rng.integers(-nd, nd))
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        part = list(shp)
        if not new_axis:
            part[axis] = int(rng.integers(0, 4))
        parts.append(uniform(rng, tuple(part)))
    return parts, {"axis": axis}


SHAPE = [
    Pair(
        "transpose",
        lambda x, perm: x.transpose(*(perm or ())),
        lambda x, perm: x.permute(perm or tuple(reversed(range(x.ndim)))),
        _permutation_make,
    ),
    Pair(
        "reshape",
        lambda x, target: x.reshape(target),
        lambda x, target: x.reshape(target),
        _reshape_make,
    ),
    Pair(
        "broadcast_to",
        lambda x, target: cr.broadcast_to(x, target),
        lambda x, target: torch.broadcast_to(x, target),
        _broadcast_make,
    ),
    Pair(
        "concatenate",
        lambda *xs, axis: cr.concatenate(xs, axis=axis),
        lambda *xs, axis: torch.cat(xs, dim=axis),
        lambda rng: _join_make(rng, new_axis=False),
    ),
    Pair(
        "stack",
        lambda *xs, axis: cr.stack(xs, axis=axis),
        lambda *xs, axis: torch.stack(xs, dim=axis),
        lambda rng: _join_make(rng, new_axis=True),
    ),
]


# ----- indexing ---------------------------------------------------------------------------------
def _int_index(rng, n: int, size: int) -> np.ndarray:
    """Indices into an axis of ``n``, negatives included, the first one repeated at the end
    (its gradients must add up)."""
    idx = rng.integers(-n, n, size) if n else np.zeros(0, np.int64)
    return np.append(idx, idx[:1]) if idx.size else idx


def _slice(rng, n: int, negative: bool) -> slice:
    step = int(rng.choice([-2, -1, 1, 2] if negative else [1, 2, 3]))
    return slice(int(rng.integers(-n - 1, n + 2)), None, step)


def _index_make(rng):
    shp = shape(rng, min_dims=1)
    form = str(rng.choice(["slices", "negative", "none", "ints", "mask", "mask_ints", "mixed"]))
    n0 = shp[0]
    if form in ("slices", "negative"):
        idx = tuple(_slice(rng, n, form == "negative") for n in shp)
    elif form == "none":
        idx = (None, Ellipsis, int(rng.integers(-shp[-1], shp[-1])) if shp[-1] else slice(1))
    elif form == "ints":
        idx = _int_index(rng, n0, int(rng.integers(0, 4)))
    elif form == "mask":
        idx = rng.random(shp[: int(rng.integers(1, len(shp) + 1))]) < 0.5
    elif form == "mask_ints" and len(shp) >= 2:
        mask = rng.random(shp[:1]) < 0.5
        idx = (mask, _int_index(rng, shp[1], max(int(mask.sum()), 1))[: max(int(mask.sum()), 1)])
    elif len(shp) >= 2:  # a slice before an integer array
        idx = (slice(None, None, 2), _int_index(rng, shp[1], 2))
    else:
        idx = slice(None)
    return [uniform(rng, shp)], {"idx": idx}


def _torch_index(x, idx):
    """PyTorch's ``x[idx]``; a slice with a negative step (PyTorch has none) through the
    flat positions NumPy selects, so PyTorch still scatters the gradient back."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    if any(isinstance(p, slice) and (p.step or 1) < 0 for p in parts):
        flat = np.arange(x.numel()).reshape(tuple(x.shape))[idx].copy()
        return x.reshape(-1)[torch.from_numpy(flat)]
    parts = tuple(torch.from_numpy(p) if isinstance(p, np.ndarray) else p for p in parts)
    return x[parts if isinstance(idx, tuple) else parts[0]]


INDEX = [Pair("index", lambda x, idx: x[idx], _torch_index, _index_make)]


# ----- nn.functional ----------------------------------------------------------------------------
def _logits_make(rng, target: str):
    n, c = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    reduction = str(rng.choice(["mean", "sum", "none"]))
    kw = {"reduction": reduction}
    if target == "labels":
        return [uniform(rng, (n, c))], {**kw, "labels": rng.integers(0, c, n)}
    probs = rng.dirichlet(np.ones(c), n) if target == "probs" else rng.random((n, c))
    return [uniform(rng, (n, c)), probs], kw


def _same_shape_make(rng, target: Callable):
    shp = shape(rng, empty=False)
    return [uniform(rng, shp), target(rng, shp)], {"reduction": str(rng.choice(["mean", "sum"]))}


def _linear_make(rng):
    fan_in, fan_out = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    x = uniform(rng, (*shape(rng, max_dims=2, empty=False), fan_in))
    return [x, uniform(rng, (fan_in, fan_out)), uniform(rng, (fan_out,))], {}


NN = [
    Pair(
        "cross_entropy_labels",
        lambda x, labels, reduction: F.cross_entropy(x, labels, reduction=reduction),
        lambda x, labels, reduction: TF.cross_entropy(x, torch.tensor(labels), reduction=reduction),
        lambda rng: _logits_make(rng, "labels"),
    ),
    Pair(
        "cross_entropy_probs",
        lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction),
        lambda x, t, reduction: TF.cross_entropy(x, t, reduction=reduction),
        lambda rng: _logits_make(rng, "probs"),
    ),
    Pair(  # target rows that do not sum to 1, and a gradient for the target too
        "cross_entropy_weights",
        lambda x, t, reduction: F.cross_entropy(x, t, reduction=reduction),
        lambda x, t, reduction: TF.cross_entropy(x, t, reduction=reduction),
        lambda rng: _logits_make(rng, "weights"),
    ),
    Pair(
        "mse_loss",
        lambda x, t, reduction: F.mse_loss(x, t, reduction=reduction),
        lambda x, t, reduction: TF.mse_loss(x, t, reduction=reduction),
        lambda rng: _same_shape_make(rng, uniform),
    ),
    Pair(
        "binary_cross_entropy_with_logits",
        lambda x, t, reduction: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        lambda x, t, reduction: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        lambda rng: _same_shape_make(rng, lambda rng, s: rng.random(s)),
    ),
    Pair(  # chainrule's weight is (in, out), PyTorch's (out, in)
        "linear",
        F.linear,
        lambda x, w, b: TF.linear(x, w.T, b),
        _linear_make,
    ),
]

PAIRS = UNARY + BINARY + REDUCE + SHAPE + INDEX + NN


# ----- the checks -----------------------------------------------------------------------------
def _seeded(name: str, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{name}/{salt}".encode()))


def _leaves(arrays, dtype, grads, make):
    """Each array as ``dtype``, a leaf of ``make`` (cr.tensor or torch.tensor)."""
    wanted = range(len(arrays)) if grads is None else grads
    return [make(a.astype(dtype), requires_grad=i in wanted) for i, a in enumerate(arrays)]


def _close(ours, theirs, dtype, what: str) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != PyTorch's {theirs.shape}"
    tol = TOL[dtype]
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def check_first_order(pair: Pair, arrays, kw, dtype, rng) -> None:
    """Values, output dtype, and each gradient (with its dtype) for a random upstream."""
    ours = _leaves(arrays, dtype, pair.grads, cr.tensor)
    theirs = _leaves(arrays, dtype, pair.grads, torch.tensor)
    out, ref = pair.ours(*ours, **kw), pair.theirs(*theirs, **kw)
    assert str(out.dtype) == str(ref.dtype).removeprefix("torch."), "output dtype"
    _close(out.data, ref.detach().numpy(), dtype, "value")
    w = rng.standard_normal(out.shape).astype(dtype)
    out.backward(w)
    needed = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad]
    expected = torch.autograd.grad(ref, [t for _, t in needed], torch.tensor(w), allow_unused=True)
    for (o, t), g in zip(needed, expected):
        g = torch.zeros_like(t) if g is None else g
        assert o.grad.dtype == dtype, f"gradient dtype {o.grad.dtype}"
        _close(o.grad, g.numpy(), dtype, "gradient")


def check_second_order(pair: Pair, arrays, kw, rng) -> None:
    """The gradient of Σ v·∂(w·f)/∂x in float64: a Hessian-vector product (mixed partials
    included), through ``create_graph=True``."""
    ours = _leaves(arrays, np.float64, pair.grads, cr.tensor)
    theirs = _leaves(arrays, np.float64, pair.grads, torch.tensor)
    out, ref = pair.ours(*ours, **kw), pair.theirs(*theirs, **kw)
    w = rng.standard_normal(out.shape)
    out.backward(cr.tensor(w), create_graph=True)
    pairs = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad]
    firsts = torch.autograd.grad(ref, [t for _, t in pairs], torch.tensor(w), create_graph=True)
    vs = [rng.standard_normal(o.shape) for o, _ in pairs]
    ours_total = sum(((o.grad * v).sum() for (o, _), v in zip(pairs, vs)), cr.tensor(0.0))
    theirs_total = sum((g * torch.tensor(v)).sum() for g, v in zip(firsts, vs))
    for o, _ in pairs:
        o.grad = None
    if ours_total.requires_grad:  # else a gradient constant in x (abs, relu): Hessian 0
        ours_total.backward()
    seconds = _torch_grads(theirs_total, [t for _, t in pairs])
    for (o, _), g in zip(pairs, seconds):
        _close(np.zeros(o.shape) if o.grad is None else o.grad, g, np.float64, "second")


def _torch_grads(total, inputs) -> list[np.ndarray]:
    """Gradients of ``total`` (zeros where it does not depend on an input)."""
    if not getattr(total, "requires_grad", False):
        return [np.zeros(tuple(t.shape)) for t in inputs]
    grads = torch.autograd.grad(total, inputs, allow_unused=True)
    return [
        np.zeros(tuple(t.shape)) if g is None else g.numpy(force=True)
        for t, g in zip(inputs, grads)
    ]


@pytest.mark.filterwarnings("ignore:transpose.*leaves it as it is:UserWarning")  # identity perms
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_values_dtypes_and_gradients_agree_with_pytorch(pair: Pair, dtype):
    rng = _seeded(pair.name, np.dtype(dtype).name)
    for _ in range(CASES_PER_OP):
        arrays, kw = pair.make(rng)
        check_first_order(pair, arrays, kw, dtype, rng)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_second_derivatives_agree_with_pytorch(pair: Pair):
    rng = _seeded(pair.name, "second")
    for _ in range(SECOND_ORDER_CASES):
        arrays, kw = pair.make(rng)
        check_second_order(pair, arrays, kw, rng)


# ----- conventions at points where a function is not differentiable -------------------------------
NAN, INF = np.nan, np.inf

#: name -> (chainrule's f, PyTorch's f, x): value and gradient (upstream 1) must be the same
CONVENTIONS = {
    "relu at 0": (cr.relu, torch.relu, [-1.0, 0.0, 1.0]),
    "abs at ±0": (cr.ops.abs, torch.abs, [-1.0, -0.0, 0.0, 1.0]),
    "leaky_relu at 0": (
        lambda x: F.leaky_relu(x, 0.1),
        lambda x: TF.leaky_relu(x, 0.1),
        [-1.0, 0.0, 1.0],
    ),
    # −∞·Φ(−∞) = NaN and the gradient ∞·0 = NaN at ±∞, as PyTorch (+inf is left out of the
    # exact form: PyTorch's float32 kernel gives NaN there, its float64 one +inf, as here)
    "gelu at −inf, NaN, 0": (F.gelu, TF.gelu, [-INF, NAN, 0.0, -0.0, -1.0]),
    "gelu (tanh) at ±inf, NaN, 0": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
        [-INF, INF, NAN, 0.0, -0.0, 1.0],
    ),
    "elu at 0": (lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5), [-1.0, 0.0, -0.0, 1.0]),
    "softplus at its threshold": (
        lambda x: F.softplus(x, 2.0, 4.0),
        lambda x: TF.softplus(x, 2.0, 4.0),
        [2.0, 2.0000001, 1.9999999],
    ),
    "sqrt at ±0": (cr.sqrt, torch.sqrt, [0.0, -0.0, 1.0]),
    # log1p … trunc at the points of the extreme grid (and the edges of their domains)
    "log1p at −1, below, ±inf": (cr.log1p, torch.log1p, [-1.0, -2.0, 0.0, -0.0, INF, -INF, NAN]),
    "expm1 at ±inf, ±709.8": (cr.expm1, torch.expm1, [-INF, INF, 709.8, -709.8, 1e-8, 0.0]),
    "log2 at ±0, −1, inf": (cr.log2, torch.log2, [0.0, -0.0, -1.0, INF, 1e-300, NAN]),
    "log10 at ±0, −1, inf": (cr.log10, torch.log10, [0.0, -0.0, -1.0, INF, 1e-300, NAN]),
    "reciprocal at ±0, ±inf": (cr.reciprocal, torch.reciprocal, [0.0, -0.0, INF, -INF, NAN]),
    "rsqrt at ±0, inf, −1": (cr.rsqrt, torch.rsqrt, [0.0, -0.0, INF, -1.0, 1e-8, NAN]),
    "tan at ±inf, 1e4": (cr.tan, torch.tan, [INF, -INF, NAN, 0.0, 1e4, -88.7]),
    "sinh at ±709.8, ±inf": (cr.sinh, torch.sinh, [709.8, -709.8, 1e4, INF, -INF, NAN, 0.0]),
    "cosh at ±709.8, ±inf": (cr.cosh, torch.cosh, [709.8, -709.8, 1e4, INF, -INF, NAN, 0.0]),
    "arcsin at ±1, outside": (cr.arcsin, torch.asin, [1.0, -1.0, 2.0, -2.0, INF, NAN, 0.0]),
    "arccos at ±1, outside": (cr.arccos, torch.acos, [1.0, -1.0, 2.0, -1e4, -INF, NAN, 0.0]),
    "arctan at ±inf": (cr.arctan, torch.atan, [INF, -INF, NAN, 0.0, 1e4, -709.8]),
    "erf at ±inf": (cr.erf, torch.erf, [INF, -INF, NAN, 0.0, 1e-8, 88.7, -1.0]),
    "erfc at ±inf": (cr.erfc, torch.erfc, [INF, -INF, NAN, 0.0, 1e-8, -88.7, 1.0]),
    "arctan2 at the origin, the cut and ±inf": (
        lambda y: cr.arctan2(y, y[::-1]),
        lambda y: torch.atan2(y, y.flip(0)),
        [0.0, -0.0, INF, 1.0, -INF, -1.0, 1e4, 0.0],
    ),
    "step functions at their jumps": (
        lambda x: cr.sign(x) + cr.floor(x) + cr.ceil(x) + cr.round(x) + cr.trunc(x),
        lambda x: torch.sign(x) + torch.floor(x) + torch.ceil(x) + torch.round(x) + x.trunc(),
        [0.0, -0.0, 1.0, -2.0, 0.5, -0.5, 1.5, 2.5, INF, -INF, 1e4],
    ),
    "log at ±0": (cr.log, torch.log, [0.0, -0.0, 2.0]),
    "clip at its bounds": (lambda x: x.clip(0, 1), lambda x: x.clamp(0, 1), [-1, 0, 0.5, 1, 2]),
    "maximum(x, x)": (lambda x: cr.maximum(x, x), lambda x: torch.maximum(x, x), [1.0, -2.0]),
    "maximum ties": (
        lambda x: cr.maximum(x, x[::-1]),
        lambda x: torch.maximum(x, x.flip(0)),
        [1.0, 2.0, 1.0],
    ),
    "max ties share": (lambda x: x.max(), torch.amax, [1.0, 3.0, 3.0, 2.0]),
    "min ties along an axis": (lambda x: x.min(0), lambda x: x.amin(0), [1.0, 1.0, 3.0]),
    "x ** 0 at 0": (lambda x: x**0, lambda x: x**0, [0.0, 2.0]),
    "x ** 2 at 0": (lambda x: x**2, lambda x: x**2, [0.0, -2.0]),
    "where(x > 0, x, 0)": (
        lambda x: cr.where(x > 0, x, 0.0),
        lambda x: torch.where(x > 0, x, 0.0),
        [-1.0, 0.0, 1.0],
    ),
    "x / 0": (lambda x: x / 0.0, lambda x: x / 0.0, [1.0, -1.0]),
    "sigmoid, tanh far out": (
        lambda x: cr.sigmoid(x) + cr.tanh(x),
        lambda x: torch.sigmoid(x) + torch.tanh(x),
        [-800.0, 800.0],
    ),
    "softmax with a −inf": (F.softmax, lambda x: torch.softmax(x, -1), [-INF, 0.0, 1.0]),
    "log_softmax with a −inf": (
        F.log_softmax,
        lambda x: torch.log_softmax(x, -1),
        [-INF, 0.0, 1.0],
    ),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_conventions_at_kinks_agree_with_pytorch(name, dtype):
    ours_fn, theirs_fn, values = CONVENTIONS[name]
    x = cr.tensor(np.array(values, dtype), requires_grad=True)
    xt = torch.tensor(np.array(values, dtype), requires_grad=True)
    out, ref = ours_fn(x), theirs_fn(xt)
    out.sum().backward()
    ref.sum().backward()
    _close(out.data, ref.detach().numpy(), dtype, "value")  # infs and NaNs in place
    _close(x.grad, xt.grad.numpy(), dtype, "gradient")


#: name -> (f, x, chainrule's value of f's gradient): documented choices (docs/reliability.md)
#: where PyTorch gives something else, named after each; only chainrule's side is checked
DELIBERATE = {
    # PyTorch: [1, 1] — both operands get the gradient; here the NaN operand, whose value
    # the output is
    "maximum with NaN": (lambda x: cr.maximum(x[0], x[1]), [NAN, 1.0], [1.0, 0.0]),
    # PyTorch: 1 (its rule is "0 where the output ≤ 0"); here "1 where x > 0"
    "relu at NaN": (cr.relu, [NAN], [0.0]),
    # PyTorch: NaN — 0·∞ from the branch where does not select
    "where over sqrt at 0": (lambda x: cr.where(x > 0, cr.sqrt(x), 0.0), [0.0, 4.0], [0.0, 0.25]),
    # PyTorch: NaN (no probability mass)
    "softmax of all −inf": (F.softmax, [-INF, -INF], [0.0, 0.0]),
    "logsumexp of all −inf": (F.logsumexp, [-INF, -INF], [0.0, 0.0]),
    # PyTorch: −inf (0ʸ·ln 0 taken as ∞·(−∞)); here ln 0 is taken as 0 and ∞·0 = NaN
    "0 ** x at x < 0": (lambda x: 0.0**x, [-1.0], [NAN]),
    # PyTorch's max() of all elements sends it to the NaN; amax (as here) gives NaN
    "max with NaN": (lambda x: x.max(), [1.0, NAN], [NAN, NAN]),
    # PyTorch: 0 (sign(NaN) = 0 there); here sign(NaN) = NaN
    "abs at NaN": (cr.ops.abs, [NAN], [NAN]),
    # PyTorch: 0 (its out + 1 rounds to 0 below x ≈ −37); here exp(x)
    "expm1 far below 0": (cr.expm1, [-88.7, -40.0], [np.exp(-88.7), np.exp(-40.0)]),
    # PyTorch: 0, 0 (its x² + y² underflows to 0 and is masked as the origin); here
    # 1/(2x) = 2⁵⁹⁹ and −2⁵⁹⁹, from x and y scaled by a power of two
    "arctan2 of tiny operands": (
        lambda v: cr.arctan2(v[0], v[1]),
        [2.0**-600, 2.0**-600],
        [2.0**599, -(2.0**599)],
    ),
}


@pytest.mark.parametrize("name", list(DELIBERATE))
def test_documented_differences_from_pytorch_hold(name):
    fn, values, expected = DELIBERATE[name]
    x = cr.tensor(np.array(values), requires_grad=True)
    fn(x).sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


# ----- dtypes -----------------------------------------------------------------------------------
def _ints(t):
    return t(np.array([0, 2, 5]))


def _floats(t, dtype=np.float32):
    return t(np.array([0.5, 2.0, 4.0], dtype))


#: name -> f(make), with make = cr.tensor or torch.tensor: the result's dtype must be
#: PyTorch's
DTYPE_CASES = {
    "float32 + Python float": lambda t: _floats(t) + 1.5,
    "Python int * float32": lambda t: 2 * _floats(t),
    "float32 ** Python float": lambda t: _floats(t) ** 0.5,
    "Python float ** float32": lambda t: 2.0 ** _floats(t),
    "float32 / int64": lambda t: _floats(t) / _ints(t),
    "int64 - float32": lambda t: _ints(t) - _floats(t),
    "int64 + Python float": lambda t: _ints(t) + 1.5,
    "int64 * Python int": lambda t: _ints(t) * 2,
    "int64 ** Python float": lambda t: _ints(t) ** 0.5,
    "float32 + float64": lambda t: _floats(t) + _floats(t, np.float64),
    "float32 with NumPy scalar": lambda t: _floats(t) * np.float64(0.5),
    "maximum(int64, float32)": lambda t: _maximum(t)(_ints(t), _floats(t)),
    "maximum(float32, Python float)": lambda t: _maximum(t)(_floats(t), t(np.float32(1.0))),
    "clip(float32, ints)": lambda t: _floats(t).clip(1, 3),
    "clip(int64, ints)": lambda t: _ints(t).clip(1, 3),
    "clip(int64, Python float)": lambda t: _ints(t).clip(1.5, 3),
    "clip(int64, float32 array)": lambda t: _ints(t).clip(_floats(t), None),
    "where(c, float32, 0.0)": lambda t: _where(t)(t(np.array([True, False, True])), _floats(t)),
    "stack(float32, int64)": lambda t: _stack(t)([_floats(t), _ints(t)]),
    "concatenate(float32, float64)": lambda t: _cat(t)([_floats(t), _floats(t, np.float64)]),
    "sum(int64)": lambda t: _ints(t).sum(),
    "relu(int64)": lambda t: _relu(t)(_ints(t)),
    "floor(int64)": lambda t: _ints(t).floor(),
    "round(int64)": lambda t: _ints(t).round(),
    "sign(int64)": lambda t: _ints(t).sign(),
    "trunc(float32)": lambda t: _floats(t).trunc(),
    "erf(float32)": lambda t: _floats(t).erf(),
}


def _maximum(t):
    return cr.maximum if t is cr.tensor else torch.maximum


def _where(t):
    if t is cr.tensor:
        return lambda c, x: cr.where(c, x, 0.0)
    return lambda c, x: torch.where(c, x, 0.0)


def _stack(t):
    return cr.stack if t is cr.tensor else torch.stack


def _cat(t):
    return cr.concatenate if t is cr.tensor else torch.cat


def _relu(t):
    return cr.relu if t is cr.tensor else torch.relu


@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_result_dtypes_agree_with_pytorch(name):
    fn = DTYPE_CASES[name]
    ours, theirs = fn(cr.tensor), fn(torch.tensor)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


#: name -> (f(make), chainrule's dtype, PyTorch's): NumPy's rules, kept on purpose (a float
#: operand's precision is the caller's choice; integer-only maths is NumPy's)
DTYPE_DIFFERENCES = {
    "float32 + 0-d float64 tensor": (
        lambda t: _floats(t) + t(np.float64(1.5)),
        "float64",
        "float32",
    ),
    "int64 / int64": (lambda t: _ints(t) / (_ints(t) + 1), "float64", "float32"),
    # an integer tensor takes exp's float dtype, as NumPy's log1p of an integer array does
    "reciprocal(int64)": (lambda t: (_ints(t) + 1).reciprocal(), "float64", "float32"),
    "log1p(int64)": (lambda t: _ints(t).log1p(), "float64", "float32"),
}


@pytest.mark.parametrize("name", list(DTYPE_DIFFERENCES))
def test_dtypes_that_follow_numpy_on_purpose(name):
    fn, ours, theirs = DTYPE_DIFFERENCES[name]
    assert str(fn(cr.tensor).dtype) == ours
    assert str(fn(torch.tensor).dtype).removeprefix("torch.") == theirs
