"""Edge cases of the ops checked against PyTorch and NumPy: selections with an inf or NaN
upstream gradient, integer outputs outside the graph, a forward with several outputs, the
dtype that NumPy scalars and integer arrays give, and concatenate / clip / reduction
arguments."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

INF, NAN = np.inf, np.nan
X = [-1.0, 0.0, 2.0, 3.0]


def _grads(fn, xs, dtype, upstream=None, create_graph=False):
    """x.grad of fn(x).sum() (or of fn(x) with ``upstream``) in chainrule and in PyTorch."""
    x = cr.tensor(np.array(xs, dtype=dtype), requires_grad=True)
    xt = torch.tensor(np.array(xs, dtype=dtype), requires_grad=True)
    y, yt = fn(x, cr), fn(xt, torch)
    if upstream is None:
        y.sum().backward(create_graph=create_graph)
        yt.sum().backward()
    else:
        up = np.array(upstream, dtype=dtype)
        y.backward(up, create_graph=create_graph)
        yt.backward(torch.tensor(up))
    grad = x.grad.data if create_graph else x.grad
    return grad, xt.grad.numpy()


# ----- selections: exactly 0 where the mask is 0, whatever the upstream -----------------------
SELECTIONS = {
    "relu.log": lambda x, m: x.relu().log(),
    "relu.sqrt": lambda x, m: x.relu().sqrt(),
    "maximum.sqrt": lambda x, m: m.maximum(x, m.zeros_like(x) if m is torch else 0.0).sqrt(),
    "minimum.neg.sqrt": lambda x, m: (-m.minimum(x, m.zeros_like(x) if m is torch else 0.0)).sqrt(),
    "clip.log": lambda x, m: (x.clamp(0, None) if m is torch else x.clip(0, None)).log(),
    "clip_hi.sub.log": lambda x, m: (
        2 - (x.clamp(None, 2) if m is torch else x.clip(None, 2))
    ).log(),
    "where.log": lambda x, m: m.where(x > 0, x, m.zeros_like(x) if m is torch else 0.0).log(),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(SELECTIONS))
def test_a_masked_out_element_gets_zero_from_an_inf_upstream(name, dtype):
    grad, expected = _grads(SELECTIONS[name], X, dtype)
    np.testing.assert_allclose(grad, expected, rtol=1e-6 if dtype == "float32" else 1e-15)
    assert grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, m: x.relu(),
        lambda x, m: x.clamp(0, 2) if m is torch else x.clip(0, 2),
        lambda x, m: m.maximum(x, m.zeros_like(x) if m is torch else 0.0),
        lambda x, m: m.minimum(x, m.zeros_like(x) if m is torch else 0.0),
        lambda x, m: m.where(x > 0, x, m.zeros_like(x) if m is torch else 0.0),
    ],
)
def test_the_user_s_inf_and_nan_upstream_is_selected_not_multiplied(fn):
    upstream = [NAN, INF, -INF, NAN]  # at x = -1, 0, 2, 3
    grad, expected = _grads(fn, X, "float64", upstream)
    np.testing.assert_array_equal(grad, expected)


def test_maximum_ties_share_an_inf_upstream_and_the_loser_gets_zero():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    y = cr.tensor([1.0, 5.0, 0.0], dtype="float64", requires_grad=True)
    cr.maximum(x, y).backward(np.array([INF, INF, INF]))
    xt = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    yt = torch.tensor([1.0, 5.0, 0.0], dtype=torch.float64, requires_grad=True)
    torch.maximum(xt, yt).backward(torch.full((3,), INF, dtype=torch.float64))
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())  # [inf, 0, inf]
    np.testing.assert_array_equal(y.grad, yt.grad.numpy())  # [inf, inf, 0]


def test_where_with_broadcast_branches_sums_only_the_chosen_elements():
    cond = np.array([[True, False], [False, True]])
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)  # broadcast over rows
    y = cr.tensor([[3.0], [4.0]], dtype="float64", requires_grad=True)  # over columns
    up = np.array([[INF, NAN], [NAN, 5.0]])
    cr.where(cond, x, y).backward(up)
    np.testing.assert_array_equal(x.grad, [INF, 5.0])
    np.testing.assert_array_equal(y.grad, [[NAN], [NAN]])


@pytest.mark.parametrize("name", ["relu.log", "clip.log", "maximum.sqrt", "where.log"])
def test_create_graph_selects_as_the_plain_backward_does(name):
    grad, expected = _grads(SELECTIONS[name], X, "float64", create_graph=True)
    np.testing.assert_allclose(grad, expected, rtol=1e-15)


def test_relu_gradient_is_unchanged_for_finite_upstream_and_zero_at_nan_input():
    x = cr.tensor([-2.0, 0.0, NAN, 1.5], dtype="float64", requires_grad=True)
    (x.relu() * np.array([3.0, 3.0, 3.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 3.0])  # relu'(NaN) = 0 (tabled)


def test_explain_checks_a_selection_with_an_inf_upstream_as_exact():
    x = cr.tensor([-1.0, 2.0], dtype="float64", requires_grad=True, name="x")
    trace = cr.explain(x.relu().log().sum())
    (relu,) = [s for s in trace.steps if s.op == "ReLU"]
    (edge,) = relu.inputs
    assert np.isinf(relu.upstream[0])
    np.testing.assert_array_equal(edge.local, [0.0, 1.0])
    np.testing.assert_array_equal(edge.downstream, [0.0, 0.5])
    assert edge.check == "exact"


# ----- integer outputs are outside the graph --------------------------------------------------
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_a_cast_to_integers_or_bool_ends_the_graph(dtype):
    x = cr.tensor([1.5, 2.5], dtype="float64", requires_grad=True)
    xt = torch.tensor([1.5, 2.5], dtype=torch.float64, requires_grad=True)
    n, nt = x.astype(dtype), xt.to(getattr(torch, dtype))
    assert (n.requires_grad, n.grad_fn) == (nt.requires_grad, nt.grad_fn) == (False, None)
    np.testing.assert_array_equal(n.data, nt.numpy())
    (n * 2.0 + x).sum().backward()
    (nt * 2.0 + xt).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())  # [1, 1], not [3, 3]


def test_a_graph_holding_only_an_integer_cast_has_nothing_to_differentiate():
    x = cr.tensor([1.5, 2.5], dtype="float64", requires_grad=True)
    y = (x.astype("int64") * 2.0).sum()
    assert not y.requires_grad
    with pytest.raises(RuntimeError):
        y.backward()
    assert x.grad is None


def test_a_cast_between_floats_stays_differentiable():
    x = cr.tensor([1.5, 2.5], dtype="float64", requires_grad=True)
    y = x.astype("float32")
    assert y.requires_grad
    assert y.dtype == np.float32
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert x.grad.dtype == np.float64


def test_a_user_function_with_an_integer_output_is_outside_the_graph():
    class ArgMax(cr.Function):
        """no derivative: an index"""

        def forward(self, x):
            return np.argmax(x)

        def backward(self, grad_out):
            raise AssertionError("never called")

    class Double(cr.Function):
        """d/dx 2x = 2"""

        def forward(self, x):
            return 2 * x

        def backward(self, grad_out):
            return 2 * grad_out

    x = cr.tensor([1.0, 3.0, 2.0], dtype="float64", requires_grad=True)
    i = ArgMax()(x)
    assert (i.requires_grad, i.grad_fn, i.item()) == (False, None, 1)
    d = Double()(x)  # a floating output of a user's Function still records
    assert d.requires_grad
    assert d.grad_fn is not None


# ----- a forward returns one array ------------------------------------------------------------
@pytest.mark.parametrize("kind", [tuple, list])
def test_a_forward_returning_several_arrays_is_an_error_naming_the_function(kind):
    class Halves(cr.Function):
        """splits x"""

        def forward(self, x):
            return kind((x[:1], x[1:]))

        def backward(self, grad_out):
            return grad_out

    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    with pytest.raises(TypeError, match=rf"Halves\.forward returned a {kind.__name__}.*one array"):
        Halves()(x)


# ----- dtypes: NumPy scalars and integer arrays keep a float tensor's dtype -------------------
X32 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
OPERANDS = {
    "int64 - x": (lambda x: np.int64(2) - x, lambda x: 2 - x),
    "x - int32": (lambda x: x - np.int32(2), lambda x: x - 2),
    "x ** int64": (lambda x: x ** np.int64(2), lambda x: x**2),
    "int64 ** x": (lambda x: np.int64(2) ** x, lambda x: 2**x),
    "x / uint8": (lambda x: x / np.uint8(4), lambda x: x / 4),
    "x * bool_": (lambda x: x * np.bool_(True), lambda x: x * True),
    "float64 * x": (lambda x: np.float64(0.1) * x, lambda x: 0.1 * x),
    "x + float16": (lambda x: x + np.float16(0.5), lambda x: x + 0.5),
    "x * int array": (lambda x: x * np.array([1, 2, 3]), lambda x: x * torch.tensor([1, 2, 3])),
    "int array - x": (lambda x: np.array([1, 2, 3]) - x, lambda x: torch.tensor([1, 2, 3]) - x),
    "x * bool array": (
        lambda x: x * np.array([True, False, True]),
        lambda x: x * torch.tensor([True, False, True]),
    ),
    "maximum int64": (
        lambda x: cr.maximum(x, np.int64(2)),
        lambda x: torch.maximum(x, torch.tensor(2.0)),
    ),
    "where int array": (
        lambda x: cr.where(np.array([True, False, True]), x, np.array([7, 8, 9])),
        lambda x: torch.where(torch.tensor([True, False, True]), x, torch.tensor([7, 8, 9])),
    ),
}


@pytest.mark.parametrize("name", list(OPERANDS))
def test_numpy_scalars_and_integer_arrays_keep_float32_as_pytorch_does(name):
    ours, theirs = OPERANDS[name]
    x = cr.tensor(X32, requires_grad=True)
    xt = torch.tensor(X32, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    assert yt.dtype == torch.float32
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-6)
    y.sum().backward()
    yt.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6)


def test_a_float64_array_with_a_float32_tensor_follows_numpy_promotion():
    x = cr.tensor(X32, requires_grad=True)
    y = x * np.array([1.0, 2.0, 3.0])  # documented: NumPy's rule, float64
    assert y.dtype == (X32 * np.array([1.0, 2.0, 3.0])).dtype == np.float64


def test_comparisons_with_numpy_scalars_compare_in_the_tensor_dtype():
    x = cr.tensor(np.array([0.1], dtype=np.float32))
    np.testing.assert_array_equal((x == np.float64(0.1)).data, [True])  # as x == 0.1


def test_numpy_scalars_between_non_tensors_keep_their_dtype():
    assert cr.ops.add(np.float64(1.0), np.float64(2.0)).dtype == np.float64


# ----- concatenate, clip, reductions ----------------------------------------------------------
def test_concatenate_with_axis_none_flattens_then_joins_as_numpy_and_pytorch():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(4,)), rng.normal(size=())
    ts = [cr.tensor(v, requires_grad=True) for v in (a, b, c)]
    tts = [torch.tensor(v, requires_grad=True) for v in (a, b, c)]
    y = cr.concatenate(ts, axis=None)
    yt = torch.cat([t.reshape(-1) for t in tts])
    np.testing.assert_array_equal(y.data, np.concatenate([a, b, c], axis=None))
    w = rng.normal(size=y.shape)
    y.backward(w)
    yt.backward(torch.tensor(w))
    for t, tt in zip(ts, tts):
        np.testing.assert_array_equal(t.grad, tt.grad.numpy())
        assert t.grad.shape == t.shape


def test_clip_takes_zero_d_tensors_as_constant_bounds():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float32", requires_grad=True)
    y = x.clip(cr.tensor(1.5, dtype="float64"), cr.tensor(2.5))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, np.clip(X32, 1.5, 2.5))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_clip_keeps_float32_with_numpy_scalar_bounds():
    x = cr.tensor(X32)
    assert x.clip(np.int64(2), np.float64(2.5)).dtype == np.float32


def test_clip_refuses_a_bound_that_requires_grad_and_says_what_to_use():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    lo = cr.tensor(1.5, dtype="float64", requires_grad=True)
    with pytest.raises(TypeError, match=r"clip.*lo.*cr\.maximum"):
        x.clip(lo, None)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [(0, 0), (0, -2), (1, 0, 1)])
def test_a_duplicate_reduction_axis_raises_as_numpy_does_naming_the_op(op, axis):
    data = np.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match="duplicate") as numpy_error:
        getattr(np, op)(data, axis=axis)
    x = cr.tensor(data, requires_grad=True)
    with pytest.raises(type(numpy_error.value), match=rf"(?i){op}.*duplicate"):
        getattr(x, op)(axis=axis)


def test_distinct_axes_still_reduce():
    data = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(cr.tensor(data).sum(axis=(1, 0)).data, data.sum())
