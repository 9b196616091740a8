"""The reductions, shape ops, matmul and softmax against independent truths: PyTorch
(values, dtypes, gradients and gradients of gradients for a random upstream gradient),
central finite differences in float64, NumPy, and values worked by hand at the edges
(ties, -0.0, axis=(), 0-d and empty tensors, integer inputs, bad arguments).

Every generated case comes from a NumPy generator seeded per test, so a run is
reproducible; a failure names the case. PyTorch's ``dim=()`` means every axis where
NumPy's ``axis=()`` means none: chainrule follows NumPy, checked against NumPy here.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

try:  # the comparisons with PyTorch need it; the other tests run without it
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

DTYPES = (np.float64, np.float32)
TOL = {np.float64: 1e-9, np.float32: 2e-4}
REDUCE_CASES = 200  # per reduction (sum, mean, max, min), both dtypes among them
SHAPE_CASES = 150  # per family of shape ops, matmul and softmax
FD_CASES = 40  # per op, in float64 against central differences


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """PyTorch's thread pool costs more than these small tensors' arithmetic."""
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----- random cases ----------------------------------------------------------------------
def random_shape(rng, lo: int = 0, hi: int = 4, empty: bool = False) -> tuple:
    sides = [0, 1, 2, 3] if empty else [1, 2, 3, 4]
    return tuple(int(rng.choice(sides)) for _ in range(int(rng.integers(lo, hi + 1))))


def random_axis(rng, ndim: int):
    """None, an int or a tuple of distinct axes, each at random negative or not."""
    kind = int(rng.integers(0, 3))
    if kind == 0 or ndim == 0:
        return None
    if kind == 1:
        return int(rng.integers(-ndim, ndim))
    picked = rng.choice(ndim, int(rng.integers(1, ndim + 1)), replace=False)
    return tuple(int(a) - ndim * int(rng.random() < 0.5) for a in picked)


def _array(t):
    """A gradient as an array (a Tensor under create_graph)."""
    return np.asarray(t.data if isinstance(t, cr.Tensor) else t)


def compare(ours, theirs, arrays, dtype, label, second: bool = True):
    """ours(*cr tensors) against theirs(*torch tensors): value, dtype, shape, the gradient
    for a random upstream gradient and, when ``second``, the gradient of <grad, v>."""
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    tol = TOL[dtype]
    xs = [cr.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ps = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    expected = theirs(*ps)
    out = ours(*xs)
    assert out.shape == tuple(expected.shape), label
    assert out.dtype == dtype, label
    np.testing.assert_allclose(out.data, expected.detach().numpy(), tol, tol, err_msg=label)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g, create_graph=second)
    pg = torch.autograd.grad(expected, ps, torch.tensor(g), create_graph=second)
    for x, q in zip(xs, pg):
        assert _array(x.grad).dtype == dtype, label
        np.testing.assert_allclose(_array(x.grad), q.detach().numpy(), tol, tol, err_msg=label)
    if not second:
        return
    vs = [rng.standard_normal(a.shape).astype(dtype) for a in arrays]
    inner = sum((x.grad * cr.tensor(v)).sum() for x, v in zip(xs, vs))
    theirs_inner = sum((q * torch.tensor(v)).sum() for q, v in zip(pg, vs))
    for x in xs:
        x.grad = None
    if theirs_inner.requires_grad:
        hv = torch.autograd.grad(theirs_inner, ps, allow_unused=True)
    else:
        hv = [None] * len(ps)
    if inner.requires_grad:
        inner.backward()
    for x, h, a in zip(xs, hv, arrays):
        want = np.zeros(a.shape) if h is None else h.numpy()
        got = np.zeros(a.shape) if x.grad is None else _array(x.grad)
        np.testing.assert_allclose(got, want, 10 * tol, 10 * tol, err_msg=f"{label}: 2nd order")


def _torch_reduce(name: str, axis, keepdims: bool, ndim: int):
    """PyTorch's reduction for chainrule's (axis, keepdims); None: every axis."""
    fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin}[name]

    def theirs(t):
        if axis is None or ndim == 0:
            r = fn(t)
            return r.reshape((1,) * ndim) if keepdims else r
        return fn(t, dim=axis, keepdim=keepdims)

    return theirs


# ----- reductions: generated against PyTorch ---------------------------------------------
@needs_torch
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions_match_pytorch_with_axis_and_keepdims(name):
    rng = np.random.default_rng([1, len(name), ord(name[1])])
    for i in range(REDUCE_CASES):
        dtype = DTYPES[i % 2]
        shp = random_shape(rng, empty=rng.random() < 0.15)
        axis, keepdims = random_axis(rng, len(shp)), bool(rng.integers(2))
        x = rng.standard_normal(shp)
        if rng.random() < 0.3 and x.size:  # ties: the gradient is shared among them
            x = np.round(x)
        label = f"{name} case {i}: shape {shp} axis {axis} keepdims {keepdims} {dtype.__name__}"
        _reduction_case(name, x, axis, keepdims, dtype, label)


def _reduction_case(name, x, axis, keepdims, dtype, label):
    theirs = _torch_reduce(name, axis, keepdims, x.ndim)
    method = getattr(cr.Tensor, name)
    try:
        theirs(torch.tensor(x))
    except (RuntimeError, IndexError):  # max of nothing: both refuse, ours naming the op
        with pytest.raises((ValueError, IndexError), match=name.capitalize()):
            method(cr.tensor(x), axis, keepdims)
        return
    compare(lambda t: method(t, axis, keepdims), theirs, [x], dtype, label)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("shp", [(2, 3), (0, 2), ()])
def test_axis_empty_tuple_reduces_nothing_as_numpy(name, shp):
    # PyTorch reads dim=() as every axis; NumPy's axis=() is the identity, and so is ours
    x = np.arange(float(np.prod(shp))).reshape(shp)
    t = cr.tensor(x, requires_grad=True)
    out = getattr(cr, name)(t, axis=())
    np.testing.assert_array_equal(out.data, getattr(np, name)(x, axis=()))
    out.backward(np.full(shp, 2.0))
    np.testing.assert_array_equal(t.grad, np.full(shp, 2.0))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [0, -1, (0,), (-1,), None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_a_0d_tensor_reduces_over_axis_0_or_minus_1_as_numpy(name, axis, keepdims):
    t = cr.tensor(np.float32(2.5), requires_grad=True)
    out = getattr(cr, name)(t, axis=axis, keepdims=keepdims)
    assert out.shape == ()
    assert out.dtype == np.float32
    assert out.item() == 2.5
    out.backward()
    assert t.grad == 1.0


@pytest.mark.parametrize(
    ("x", "grad"),
    [
        ([1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),  # ties share equally, as in PyTorch
        ([3.0, 3.0, 3.0, 3.0], [0.25] * 4),
        ([-0.0, 0.0], [0.5, 0.5]),  # -0.0 == 0.0: a tie
        ([np.inf, 1.0, np.inf], [0.5, 0.0, 0.5]),
        ([-np.inf, -np.inf], [0.5, 0.5]),
    ],
)
def test_max_shares_its_gradient_among_ties(x, grad):
    t = cr.tensor(np.array(x), requires_grad=True)
    t.max().backward()
    np.testing.assert_array_equal(t.grad, grad)


@needs_torch
def test_max_and_min_along_an_axis_with_ties_match_pytorch():
    x = np.array([[1.0, 5.0, 5.0], [2.0, 2.0, -1.0]])
    for ours, theirs in [("max", torch.amax), ("min", torch.amin)]:
        for axis in (0, 1, -1, (0, 1)):
            t = cr.tensor(x, requires_grad=True)
            p = torch.tensor(x, requires_grad=True)
            getattr(t, ours)(axis, keepdims=True).sum().backward()
            theirs(p, dim=axis, keepdim=True).sum().backward()
            np.testing.assert_array_equal(t.grad, p.grad.numpy())


def test_bad_reduction_arguments_name_the_op():
    t = cr.tensor(np.ones((2, 3)))
    with pytest.raises(np.exceptions.AxisError, match=r"Sum on shapes \(2, 3\).*axis 2"):
        t.sum(2)
    with pytest.raises(ValueError, match=r"Mean on shapes \(2, 3\).*duplicate"):
        t.mean((0, -2))
    with pytest.raises(TypeError, match="max: axis must be"):
        t.max(1.0)
    with pytest.raises(ValueError, match=r"Min on shapes \(0, 3\)"):
        cr.tensor(np.ones((0, 3))).min(0)


# ----- shape ops, matmul and softmax: generated against PyTorch --------------------------
def _shape_cases(seed: int):
    rng = np.random.default_rng(seed)
    for i in range(SHAPE_CASES):
        yield i, DTYPES[i % 2], rng, random_shape(rng, 1, 4, empty=rng.random() < 0.1)


@needs_torch
@pytest.mark.filterwarnings("ignore:transpose.*leaves it as it is:UserWarning")  # identity perms
def test_transpose_T_and_swapaxes_match_pytorch():
    for case in _shape_cases(11):
        _transpose_case(*case)


def _transpose_case(i, dtype, rng, shp):
    x, nd = rng.standard_normal(shp), len(shp)
    perm = tuple(int(a) for a in rng.permutation(nd))
    given = tuple(a - nd * int(rng.random() < 0.5) for a in perm)
    label = f"case {i}: shape {shp} axes {given} {dtype.__name__}"
    compare(lambda t: t.transpose(*given), lambda t: t.permute(*perm), [x], dtype, label)
    compare(lambda t: cr.transpose(t, given), lambda t: t.permute(*perm), [x], dtype, label)
    rev = tuple(range(nd))[::-1]
    compare(lambda t: t.T, lambda t: t.permute(*rev), [x], dtype, label)
    a, b = (int(v) for v in rng.integers(-nd, nd, 2))
    compare(lambda t: t.swapaxes(a, b), lambda t: t.transpose(a, b), [x], dtype, label)


@needs_torch
@pytest.mark.filterwarnings("ignore:transpose.*leaves it as it is:UserWarning")  # identity perms
def test_reshape_with_minus_one_and_of_a_transposed_view_matches_pytorch():
    for case in _shape_cases(12):
        _reshape_case(*case)


def _reshape_case(i, dtype, rng, shp):
    x = rng.standard_normal(shp)
    new = [int(n) for n in rng.permutation(list(shp))]
    if x.size and rng.random() < 0.5:
        new[int(rng.integers(len(new)))] = -1
    new.insert(int(rng.integers(len(new) + 1)), 1)
    perm = tuple(int(a) for a in rng.permutation(len(shp)))
    label = f"case {i}: {shp} -> {new} {dtype.__name__}"
    compare(lambda t: t.reshape(*new), lambda t: t.reshape(new), [x], dtype, label)
    compare(  # a transposed view is not contiguous: reshape copies in C order
        lambda t: t.transpose(*perm).reshape(new),
        lambda t: t.permute(*perm).reshape(new),
        [x],
        dtype,
        f"{label} after transpose {perm}",
    )


@needs_torch
def test_reshape_without_a_shape_is_a_type_error_as_in_numpy_and_pytorch():
    # it made a one-element tensor 0-d silently; NumPy and PyTorch both require the shape
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        np.ones(1).reshape()
    with pytest.raises(TypeError):
        torch.ones(1).reshape()
    x = cr.tensor([3.0])
    with pytest.raises(TypeError, match="reshape: a shape is required"):
        x.reshape()
    with pytest.raises(TypeError, match="reshape: a shape is required"):
        cr.reshape(x)
    assert x.reshape(()).shape == np.ones(1).reshape(()).shape == ()


@needs_torch
def test_broadcast_to_matches_pytorch():
    for case in _shape_cases(13):
        _broadcast_case(*case)


def _broadcast_case(i, dtype, rng, shp):
    x = rng.standard_normal(shp)
    lead = tuple(int(n) for n in rng.integers(1, 3, int(rng.integers(0, 3))))
    target = lead + tuple(int(rng.integers(1, 4)) if n == 1 else n for n in shp)
    label = f"case {i}: {shp} -> {target} {dtype.__name__}"
    compare(lambda t: t.broadcast_to(target), lambda t: t.expand(target), [x], dtype, label)


@needs_torch
def test_concatenate_and_stack_match_pytorch():
    for case in _shape_cases(14):
        _join_case(*case)


def _join_case(i, dtype, rng, shp):
    nd, k = len(shp), int(rng.integers(1, 4))
    axis = int(rng.integers(-nd, nd))
    parts = []
    for _ in range(k):
        s = list(shp)
        s[axis] = int(rng.integers(0, 3))
        parts.append(rng.standard_normal(s))
    label = f"case {i}: {[p.shape for p in parts]} axis {axis} {dtype.__name__}"
    compare(
        lambda *ts: cr.concatenate(list(ts), axis),
        lambda *ts: torch.cat(ts, axis),
        parts,
        dtype,
        label,
    )
    same = [rng.standard_normal(shp) for _ in range(k)]
    new_axis = int(rng.integers(-nd - 1, nd + 1))
    compare(
        lambda *ts: cr.stack(ts, new_axis),
        lambda *ts: torch.stack(ts, new_axis),
        same,
        dtype,
        f"stack {label} new axis {new_axis}",
    )
    compare(
        lambda *ts: cr.concatenate(ts, axis=None),
        lambda *ts: torch.cat([t.reshape(-1) for t in ts]),
        parts,
        dtype,
        f"flattened {label}",
    )


def _matmul_shapes(rng):
    """1-D, 2-D and batched operands, batch dims broadcast (size 1, or missing on one)."""
    k, m, p = int(rng.integers(0, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    batch = random_shape(rng, 0, 2)
    left = tuple(1 if rng.random() < 0.3 else n for n in batch)
    right = tuple(1 if rng.random() < 0.3 else n for n in batch)[int(rng.integers(0, 3)) :]
    kind = int(rng.integers(0, 6))
    xs = (k,) if kind in (0, 1) else (*left, m, k)
    ys = (k,) if kind in (0, 2) else (*right, k, p)
    return xs, ys


@needs_torch
def test_matmul_1d_2d_and_batched_with_broadcast_batches_matches_pytorch():
    rng = np.random.default_rng(15)
    for i in range(2 * SHAPE_CASES):
        dtype = DTYPES[i % 2]
        xs, ys = _matmul_shapes(rng)
        x, y = rng.standard_normal(xs), rng.standard_normal(ys)
        label = f"case {i}: {xs} @ {ys} {dtype.__name__}"
        compare(lambda a, b: a @ b, lambda a, b: a @ b, [x, y], dtype, label)


@needs_torch
def test_softmax_and_log_softmax_match_pytorch():
    for case in _shape_cases(16):
        _softmax_case(*case)


def _softmax_case(i, dtype, rng, shp):
    x = 4 * rng.standard_normal(shp)
    axis = int(rng.integers(-len(shp), len(shp)))
    label = f"case {i}: shape {shp} axis {axis} {dtype.__name__}"
    compare(lambda t: t.softmax(axis), lambda t: t.softmax(axis), [x], dtype, label)
    compare(lambda t: cr.softmax(t, axis), lambda t: t.softmax(axis), [x], dtype, label)
    compare(lambda t: t.log_softmax(axis), lambda t: t.log_softmax(axis), [x], dtype, label)
    compare(lambda t: cr.log_softmax(t, axis), lambda t: t.log_softmax(axis), [x], dtype, label)


@needs_torch
def test_softmax_over_several_axes_and_logsumexp_match_pytorch():
    rng = np.random.default_rng(17)
    for i in range(SHAPE_CASES):
        dtype = DTYPES[i % 2]
        shp = random_shape(rng, 1, 4)
        axis, keepdims = random_axis(rng, len(shp)), bool(rng.integers(2))
        label = f"case {i}: shape {shp} axis {axis} {dtype.__name__}"
        _several_axes_case(3 * rng.standard_normal(shp), axis, keepdims, dtype, label)


def _several_axes_case(x, axis, keepdims, dtype, label):
    dims = tuple(range(x.ndim)) if axis is None else axis

    def lse(t):
        return torch.logsumexp(t, dims, keepdim=True)

    compare(lambda t: cr.softmax(t, axis), lambda t: (t - lse(t)).exp(), [x], dtype, label)
    compare(lambda t: cr.log_softmax(t, axis), lambda t: t - lse(t), [x], dtype, label)
    compare(
        lambda t: F.logsumexp(t, axis, keepdims),
        lambda t: torch.logsumexp(t, dims, keepdim=keepdims),
        [x],
        dtype,
        label,
    )


# ----- central finite differences in float64 ---------------------------------------------
def central_differences(f, x: np.ndarray, g: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂<g, f(x)>/∂x by (f(x + h) − f(x − h)) / 2h, one element at a time."""
    grad = np.zeros_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = h
        up, down = f(cr.tensor(x + e)).data, f(cr.tensor(x - e)).data
        grad.flat[j] = np.sum(g * (up - down)) / (2 * h)
    return grad


FD_OPS = {
    "sum": lambda t, a: t.sum(a, keepdims=True),
    "mean": lambda t, a: t.mean(a),
    "max": lambda t, a: t.max(a),
    "min": lambda t, a: t.min(a, keepdims=True),
    "softmax": lambda t, a: cr.softmax(t, a),
    "log_softmax": lambda t, a: cr.log_softmax(t, a),
    "logsumexp": lambda t, a: F.logsumexp(t, a),
    "transpose+reshape": lambda t, a: t.T.reshape(-1) * cr.tensor(np.arange(t.size)),
    "matmul": lambda t, a: t @ t.swapaxes(-1, -2) @ t,
    "concatenate": lambda t, a: cr.concatenate([t, t * t], 0 if a is None else a),
    "stack": lambda t, a: cr.stack([t, t.exp()], -1),
}


@pytest.mark.parametrize("name", list(FD_OPS))
def test_gradients_match_central_differences(name):
    rng = np.random.default_rng([18, len(name)])
    op = FD_OPS[name]
    for i in range(FD_CASES):
        shp = random_shape(rng, 2, 3) if name == "matmul" else random_shape(rng, 1, 3)
        if name == "matmul":
            shp = (*shp[:-2], shp[-1], shp[-1])
        x = rng.standard_normal(shp)  # continuous: no ties for max and min
        axis = random_axis(rng, len(shp))
        axis = axis if name not in ("concatenate",) or not isinstance(axis, tuple) else None
        t = cr.tensor(x, requires_grad=True)
        out = op(t, axis)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        numeric = central_differences(lambda u, op=op, axis=axis: op(u, axis), x, g)
        np.testing.assert_allclose(
            t.grad, numeric, 1e-6, 1e-7, err_msg=f"{name} case {i}: {shp} axis {axis}"
        )


# ----- integer and bool inputs to softmax, log_softmax and logsumexp ---------------------
INTEGER_LOGITS = [
    np.array([0, 200], np.uint8),  # 0 − 200 wraps around to 56 in uint8
    np.array([-128, 127], np.int8),  # −128 − 127 wraps around to 1 in int8
    np.array([[3, 1], [0, 65535]], np.uint16),
    np.array([True, False, True]),  # bool has no subtraction in NumPy
    np.array([5, -3, 2], np.int32),
]


def _float64_log_softmax(x: np.ndarray) -> np.ndarray:
    """log_softmax along the last axis, in float64: z − m − log Σ exp(z − m)."""
    z = x.astype(np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("x", INTEGER_LOGITS, ids=lambda x: x.dtype.name)
def test_softmax_of_an_integer_or_bool_tensor_is_computed_in_exps_float_dtype(x):
    dtype = np.exp(np.zeros(1, x.dtype)).dtype  # int8, uint8, bool: float16; int32: float64
    rtol = 1e-3 if dtype == np.float16 else 1e-6
    want = _float64_log_softmax(x)
    out = cr.softmax(cr.tensor(x))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, np.exp(want), rtol, 1e-4)
    out = cr.log_softmax(cr.tensor(x))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, want, rtol, 1e-2)
    out = F.logsumexp(cr.tensor(x), axis=-1)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, (x - want)[..., 0], rtol)  # x − log_softmax x


def test_softmax_of_uint8_logits_by_hand():
    # e^−200 / (e^−200 + 1) is 0 and 1 / (e^−200 + 1) is 1 to float16's precision
    np.testing.assert_array_equal(cr.softmax(cr.tensor(np.array([0, 200], np.uint8))).data, [0, 1])
    np.testing.assert_array_equal(
        cr.log_softmax(cr.tensor(np.array([0, 200], np.uint8))).data, [-200, 0]
    )


# ----- concatenate with axis=None: constants as with an axis ------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("axis", [0, None])
@pytest.mark.parametrize("first", [True, False])
def test_concatenate_takes_a_list_of_numbers_in_the_tensors_dtype_with_or_without_an_axis(
    dtype, axis, first
):
    # with axis=None the list was flattened on its own first, into an array of the default
    # dtype: beside a float64 tensor 0.1 was rounded through float32, and a float16 tensor
    # gave a float32 result
    t = cr.tensor(np.array([1.0, 2.0], dtype), requires_grad=True)
    numbers = [0.1, 0.3]
    out = cr.concatenate([t, numbers] if first else [numbers, t], axis=axis)
    assert out.dtype == dtype
    want = np.concatenate([[1.0, 2.0], numbers] if first else [numbers, [1.0, 2.0]])
    np.testing.assert_array_equal(out.data, want.astype(dtype))
    out.backward(np.arange(4.0, dtype=dtype))
    np.testing.assert_array_equal(t.grad, [0.0, 1.0] if first else [2.0, 3.0])


def test_concatenate_with_axis_none_flattens_0d_and_nd_tensors_and_numbers():
    a = cr.tensor(np.float32(5.0), requires_grad=True)
    b = cr.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    out = cr.concatenate([a, b, 7.5], axis=None)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [5, 0, 1, 2, 3, 4, 5, 7.5])
    (out * cr.tensor(np.arange(8.0, dtype=np.float32))).sum().backward(create_graph=True)
    assert a.grad.shape == ()
    assert a.grad.item() == 0.0
    np.testing.assert_array_equal(b.grad.data, [[1, 2, 3], [4, 5, 6]])


# ----- bad arguments to the shape ops: errors that name the op ----------------------------
@pytest.mark.parametrize("shape", [2.5, None])
def test_broadcast_to_a_shape_that_is_no_shape_names_the_op(shape):
    t = cr.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"BroadcastTo on shapes \(2, 3\)"):
        t.broadcast_to(shape)


@pytest.mark.parametrize("shape", [3, np.int64(3), np.array(3), [3], (3,), np.array([3])])
def test_broadcast_to_takes_a_shape_as_numpy_does(shape):
    t = cr.tensor(np.array([2.0]), requires_grad=True)
    out = cr.broadcast_to(t, shape)
    assert out.shape == np.broadcast_to(np.array([2.0]), shape).shape == (3,)
    out.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(t.grad, [6.0])


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda t: t.reshape(4, 2), ValueError, r"Reshape on shapes \(2, 3\)"),
        (lambda t: t.reshape(-1, -1), ValueError, r"Reshape on shapes \(2, 3\)"),
        (lambda t: t.transpose(0, 0), ValueError, r"Transpose on shapes \(2, 3\)"),
        (lambda t: t.transpose(0), ValueError, r"Transpose on shapes \(2, 3\)"),
        (lambda t: t.broadcast_to((3, 3)), ValueError, r"BroadcastTo on shapes \(2, 3\)"),
        (lambda t: t.swapaxes(0, 2), np.exceptions.AxisError, "swapaxes: axes 0 and 2"),
        (lambda t: cr.concatenate([t, t.T]), ValueError, r"\(2, 3\) and \(3, 2\)"),
        (lambda t: cr.concatenate([t, t], 2), np.exceptions.AxisError, "Concatenate"),
        (lambda t: cr.stack([t, t.T]), ValueError, r"Stack on shapes \(2, 3\) and \(3, 2\)"),
        (lambda t: cr.stack([t, t], -4), np.exceptions.AxisError, "Stack"),
        (lambda t: t @ t, ValueError, r"MatMul on shapes \(2, 3\) and \(2, 3\)"),
        (lambda t: t @ t.sum(), ValueError, r"MatMul on shapes \(2, 3\) and \(\)"),
        (lambda t: t.softmax(2), np.exceptions.AxisError, r"Softmax on shapes \(2, 3\)"),
        (lambda t: t.log_softmax(-3), np.exceptions.AxisError, "LogSoftmax"),
    ],
)
def test_bad_shape_arguments_name_the_op_and_the_shapes(call, error, words):
    with pytest.raises(error, match=words):
        call(cr.tensor(np.ones((2, 3))))


@pytest.mark.parametrize("axis", ["0", 1.0, True, cr.tensor(1)])
def test_logsumexp_refuses_an_axis_that_is_no_axis_as_the_reductions_do(axis):
    # it compared the axis with ints inside its forward: "'<=' not supported between ..."
    t = cr.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="logsumexp: axis must be None, an int or a tuple"):
        F.logsumexp(t, axis)
    with pytest.raises(TypeError, match="sum: axis must be None, an int or a tuple"):
        t.sum(axis)
