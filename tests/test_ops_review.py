"""Edge cases of the ops checked against gradients worked out by hand: selections with an
inf or NaN upstream gradient, integer outputs outside the graph, a forward with several
outputs, the dtype that NumPy scalars and integer arrays give, and concatenate / clip /
reduction arguments.

Every expected value below is written literally or computed with plain NumPy from the
derivative formula, so the module runs without PyTorch. When PyTorch is installed, the two
``*_agree_with_pytorch`` tests check the hand-worked tables against it as well."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

INF, NAN = np.inf, np.nan
X = [-1.0, 0.0, 2.0, 3.0]
R2, R3 = np.sqrt(2.0), np.sqrt(3.0)


# ----- selections: exactly 0 where the mask is 0, whatever the upstream -----------------------
# name -> (fn, x.grad of fn(x).sum() at x = X).  The outer derivative is inf at an input of 0
# (log'(0) = 1/0, sqrt'(0) = 1/(2*0)); a masked-out element must still get exactly 0, and a
# tie of maximum / minimum gets half of the upstream (inf / 2 = inf).
SELECTIONS = {
    # relu(x) = [0, 0, 2, 3]; log' = [inf, inf, 1/2, 1/3]; relu' = [0, 0, 1, 1]
    "relu.log": (lambda x: x.relu().log(), [0.0, 0.0, 1 / 2, 1 / 3]),
    # sqrt'(r) = 1 / (2 sqrt r) = [inf, inf, 1/(2√2), 1/(2√3)]; relu' = [0, 0, 1, 1]
    "relu.sqrt": (lambda x: x.relu().sqrt(), [0.0, 0.0, 0.5 / R2, 0.5 / R3]),
    # maximum(x, 0)' = [0, 1/2 (tie), 1, 1]; sqrt' = [inf, inf, 1/(2√2), 1/(2√3)]
    "maximum.sqrt": (lambda x: cr.maximum(x, 0.0).sqrt(), [0.0, INF, 0.5 / R2, 0.5 / R3]),
    # -minimum(x, 0) = [1, -0.0, -0.0, -0.0] (0 - 0 negated is -0.0, and sqrt(-0.0) = -0.0),
    # so sqrt' = 1 / (2 sqrt) = [1/2, -inf, -inf, -inf]; neg' = -1 gives [-1/2, inf, inf, inf];
    # minimum(x, 0)' = [1, 1/2 (tie), 0, 0]
    "minimum.neg.sqrt": (lambda x: (-cr.minimum(x, 0.0)).sqrt(), [-0.5, INF, 0.0, 0.0]),
    # clip(x, 0) = [0, 0, 2, 3]; log' = [inf, inf, 1/2, 1/3]; clip' = 1 on lo <= x: [0, 1, 1, 1]
    "clip.log": (lambda x: x.clip(0, None).log(), [0.0, INF, 1 / 2, 1 / 3]),
    # 2 - clip(x, None, 2) = [3, 2, 0, 0]; d/dclip log = -1/(2 - c) = [-1/3, -1/2, -inf, -inf];
    # clip' = 1 on x <= hi: [1, 1, 1, 0]
    "clip_hi.sub.log": (lambda x: (2 - x.clip(None, 2)).log(), [-1 / 3, -1 / 2, -INF, 0.0]),
    # where(x > 0, x, 0) = [0, 0, 2, 3]; log' = [inf, inf, 1/2, 1/3]; mask = [0, 0, 1, 1]
    "where.log": (lambda x: cr.where(x > 0, x, 0.0).log(), [0.0, 0.0, 1 / 2, 1 / 3]),
}


def _grad(fn, xs, dtype, upstream=None, create_graph=False):
    """x.grad of fn(x).sum() (or of fn(x) with ``upstream``) in chainrule."""
    x = cr.tensor(np.array(xs, dtype=dtype), requires_grad=True)
    y = fn(x)
    if upstream is None:
        y.sum().backward(create_graph=create_graph)
    else:
        y.backward(np.array(upstream, dtype=dtype), create_graph=create_graph)
    return x.grad.data if create_graph else x.grad


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(SELECTIONS))
def test_a_masked_out_element_gets_zero_from_an_inf_upstream(name, dtype):
    fn, expected = SELECTIONS[name]
    grad = _grad(fn, X, dtype)
    np.testing.assert_allclose(grad, expected, rtol=1e-6 if dtype == "float32" else 1e-15)
    assert grad.dtype == np.dtype(dtype)


# name -> (fn, x.grad for the upstream [nan, inf, -inf, nan] at x = [-1, 0, 2, 3]): the
# upstream is passed through where the op selects x (halved at a tie) and is exactly 0
# elsewhere, never multiplied by a 0 (which would give NaN).
UPSTREAM = [NAN, INF, -INF, NAN]
PASS_THROUGH = {
    # relu' = [0, 0, 1, 1]
    "relu": (lambda x: x.relu(), [0.0, 0.0, -INF, NAN]),
    # clip(x, 0, 2)' = 1 on 0 <= x <= 2: [0, 1, 1, 0]
    "clip": (lambda x: x.clip(0, 2), [0.0, INF, -INF, 0.0]),
    # maximum(x, 0)' = [0, 1/2 (tie), 1, 1]
    "maximum": (lambda x: cr.maximum(x, 0.0), [0.0, INF, -INF, NAN]),
    # minimum(x, 0)' = [1, 1/2 (tie), 0, 0]
    "minimum": (lambda x: cr.minimum(x, 0.0), [NAN, INF, 0.0, 0.0]),
    # where(x > 0, x, 0)' = [0, 0, 1, 1]
    "where": (lambda x: cr.where(x > 0, x, 0.0), [0.0, 0.0, -INF, NAN]),
}


@pytest.mark.parametrize("name", list(PASS_THROUGH))
def test_the_user_s_inf_and_nan_upstream_is_selected_not_multiplied(name):
    fn, expected = PASS_THROUGH[name]
    grad = _grad(fn, X, "float64", UPSTREAM)
    np.testing.assert_array_equal(grad, expected)


def test_maximum_ties_share_an_inf_upstream_and_the_loser_gets_zero():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    y = cr.tensor([1.0, 5.0, 0.0], dtype="float64", requires_grad=True)
    cr.maximum(x, y).backward(np.array([INF, INF, INF]))
    # x wins at 3, y at 5, a tie at 1: the tie gets inf / 2 = inf on both sides
    np.testing.assert_array_equal(x.grad, [INF, 0.0, INF])
    np.testing.assert_array_equal(y.grad, [INF, INF, 0.0])


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
    fn, expected = SELECTIONS[name]
    grad = _grad(fn, X, "float64", create_graph=True)
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
CAST_OF_1_5_AND_2_5 = {  # NumPy's astype truncates toward zero; any nonzero float is True
    "int64": [1, 2],
    "int32": [1, 2],
    "bool": [True, True],
    "uint8": [1, 2],
}


@pytest.mark.parametrize("dtype", list(CAST_OF_1_5_AND_2_5))
def test_a_cast_to_integers_or_bool_ends_the_graph(dtype):
    x = cr.tensor([1.5, 2.5], dtype="float64", requires_grad=True)
    n = x.astype(dtype)
    assert (n.requires_grad, n.grad_fn) == (False, None)
    np.testing.assert_array_equal(n.data, CAST_OF_1_5_AND_2_5[dtype])
    assert n.data.dtype == np.dtype(dtype)
    (n * 2.0 + x).sum().backward()
    # d/dx (2 n + x) with n a constant is 1, not 3
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_a_graph_holding_only_an_integer_cast_has_nothing_to_differentiate():
    x = cr.tensor([1.5, 2.5], dtype="float64", requires_grad=True)
    y = (x.astype("int64") * 2.0).sum()
    assert not y.requires_grad
    with pytest.raises(RuntimeError, match=r"^backward: this tensor does not require gradients"):
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
# A float32 tensor combined with a NumPy scalar (of any kind) or an integer / bool array stays
# float32, as in PyTorch.  name -> (fn, y, x.grad of y.sum()) at x = [1, 2, 3] (float32).
X32 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
LN2 = np.log(2.0)
OPERANDS = {
    "int64 - x": (lambda x: np.int64(2) - x, [1.0, 0.0, -1.0], [-1.0, -1.0, -1.0]),
    "x - int32": (lambda x: x - np.int32(2), [-1.0, 0.0, 1.0], [1.0, 1.0, 1.0]),
    # d/dx x^2 = 2x
    "x ** int64": (lambda x: x ** np.int64(2), [1.0, 4.0, 9.0], [2.0, 4.0, 6.0]),
    # d/dx 2^x = 2^x ln 2
    "int64 ** x": (lambda x: np.int64(2) ** x, [2.0, 4.0, 8.0], [2 * LN2, 4 * LN2, 8 * LN2]),
    "x / uint8": (lambda x: x / np.uint8(4), [0.25, 0.5, 0.75], [0.25, 0.25, 0.25]),
    "x * bool_": (lambda x: x * np.bool_(True), [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]),
    "float64 * x": (lambda x: np.float64(0.1) * x, [0.1, 0.2, 0.3], [0.1, 0.1, 0.1]),
    "x + float16": (lambda x: x + np.float16(0.5), [1.5, 2.5, 3.5], [1.0, 1.0, 1.0]),
    "x * int array": (lambda x: x * np.array([1, 2, 3]), [1.0, 4.0, 9.0], [1.0, 2.0, 3.0]),
    "int array - x": (lambda x: np.array([1, 2, 3]) - x, [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]),
    "x * bool array": (
        lambda x: x * np.array([True, False, True]),
        [1.0, 0.0, 3.0],
        [1.0, 0.0, 1.0],
    ),
    # maximum(x, 2)' = [0 (2 wins), 1/2 (tie), 1 (x wins)]
    "maximum int64": (lambda x: cr.maximum(x, np.int64(2)), [2.0, 2.0, 3.0], [0.0, 0.5, 1.0]),
    "where int array": (
        lambda x: cr.where(np.array([True, False, True]), x, np.array([7, 8, 9])),
        [1.0, 8.0, 3.0],
        [1.0, 0.0, 1.0],
    ),
}


@pytest.mark.parametrize("name", list(OPERANDS))
def test_numpy_scalars_and_integer_arrays_keep_float32_as_pytorch_does(name):
    fn, expected_y, expected_grad = OPERANDS[name]
    x = cr.tensor(X32, requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, expected_y, rtol=1e-6)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-6)


def test_a_float64_array_with_a_float32_tensor_follows_numpy_promotion():
    x = cr.tensor(X32, requires_grad=True)
    y = x * np.array([1.0, 2.0, 3.0])  # documented: NumPy's rule, float64
    assert y.dtype == (X32 * np.array([1.0, 2.0, 3.0])).dtype == np.float64


LISTS = {
    "mul": (lambda x, c: x * c, lambda a, c: a * c),
    "rsub": (lambda x, c: c - x, lambda a, c: c - a),
    "rdiv": (lambda x, c: c / x, lambda a, c: c / a),
    "pow": (lambda x, c: x**c, lambda a, c: a**c),
    "maximum": (cr.maximum, np.maximum),
    "where": (
        lambda x, c: cr.where([True, False], x, c),
        lambda a, c: np.where([True, False], a, c),
    ),
    "equal": (lambda x, c: x * 0.1 == c, lambda a, c: a * 0.1 == c),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_of_python_numbers_takes_a_float64_tensor_s_dtype_without_rounding(name):
    fn, reference = LISTS[name]
    data, c = np.array([1.0, 1.5]), [0.1, 1.7]
    y = fn(cr.tensor(data, requires_grad=True), c)
    expected = reference(data, np.array(c))  # NumPy: the list as float64
    assert y.dtype == expected.dtype
    np.testing.assert_array_equal(y.data, expected)


def test_the_gradient_through_a_list_operand_is_the_list_in_float64():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x * [0.1, 0.2]).sum().backward()
    np.testing.assert_array_equal(x.grad, np.array([0.1, 0.2]))


@pytest.mark.parametrize(
    ("fn", "reference"),
    [(lambda x, c: x @ c, lambda d, c: d @ c),
     (lambda x, c: cr.concatenate([x, c]), lambda d, c: np.concatenate([d, c])),
     (lambda x, c: cr.stack([c, x]), lambda d, c: np.stack([c, d]))],
)  # fmt: skip
def test_list_operands_of_matmul_concatenate_and_stack_take_the_tensor_dtype(fn, reference):
    data, c = np.array([1.0, 1.5]), [0.1, 1.7]
    y = fn(cr.tensor(data, dtype="float64", requires_grad=True), c)
    expected = reference(data, np.array(c))  # NumPy: the list as float64, not rounded
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, expected)
    y32 = fn(cr.tensor(data, dtype="float32"), c)
    assert y32.dtype == np.float32  # a float32 tensor keeps the list in float32


def test_a_0_d_integer_tensor_is_an_index_as_in_pytorch():
    x = cr.tensor(np.arange(6.0), dtype="float64", requires_grad=True)
    i, j = cr.tensor(1, dtype="int64"), cr.tensor(4, dtype="int64")
    x[i:j].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1, 0, 0])
    assert list(range(j)) == [0, 1, 2, 3]
    with pytest.raises(TypeError, match=r"only a 0-d integer tensor .* dtype float32"):
        x[cr.tensor(1.0) :]


def test_comparisons_with_numpy_scalars_compare_in_the_tensor_dtype():
    x = cr.tensor(np.array([0.1], dtype=np.float32))
    np.testing.assert_array_equal((x == np.float64(0.1)).data, [True])  # as x == 0.1


def test_numpy_scalars_between_non_tensors_keep_their_dtype():
    assert cr.ops.add(np.float64(1.0), np.float64(2.0)).dtype == np.float64


# ----- concatenate, clip, reductions ----------------------------------------------------------
def test_concatenate_with_axis_none_flattens_then_joins_as_numpy_does():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(4,)), rng.normal(size=())
    ts = [cr.tensor(v, requires_grad=True) for v in (a, b, c)]
    y = cr.concatenate(ts, axis=None)
    np.testing.assert_array_equal(y.data, np.concatenate([a, b, c], axis=None))
    assert y.shape == (6 + 4 + 1,)
    w = rng.normal(size=y.shape)
    y.backward(w)
    # each input gets its slice of the upstream, reshaped back to its own shape
    np.testing.assert_array_equal(ts[0].grad, w[:6].reshape(2, 3))
    np.testing.assert_array_equal(ts[1].grad, w[6:10])
    np.testing.assert_array_equal(ts[2].grad, w[10].reshape(()))
    for t in ts:
        assert t.grad.shape == t.shape


@pytest.mark.parametrize(
    ("call", "lo", "hi"),
    [
        (lambda x: x.clip(min=0.0), 0.0, None),
        (lambda x: x.clip(max=1.0), None, 1.0),
        (lambda x: x.clip(0.0, max=1.0), 0.0, 1.0),
        (lambda x: cr.ops.clip(x, min=0.0, max=1.0), 0.0, 1.0),
    ],
)
def test_clip_takes_min_and_max_by_name_as_pytorch_and_numpy_2(call, lo, hi):
    values = np.array([-1.0, 0.5, 2.0])
    x = cr.tensor(values, dtype="float64", requires_grad=True)
    y = call(x)
    np.testing.assert_array_equal(y.data, np.clip(values, lo, hi))
    y.sum().backward()
    inside = (lo is None or values > lo) & (hi is None or values < hi)
    np.testing.assert_array_equal(x.grad, inside.astype(float))


def test_clip_refuses_a_bound_given_twice():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"clip: the bound lo was given twice, as lo and as min="):
        x.clip(0.0, min=0.0)
    with pytest.raises(TypeError, match=r"bound hi was given twice"):
        x.clip(hi=1.0, max=1.0)


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


def test_clip_bounds_that_broadcast_x_give_numpy_s_shape_and_a_summed_gradient():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    lo = np.array([[0.0], [2.5]])  # (2, 1) with x (3,): the output is (2, 3)
    y = x.clip(lo, None)
    np.testing.assert_array_equal(y.data, np.clip(x.data, lo, None))
    y.sum().backward()
    # row 0 keeps every x (x >= 0), row 1 only x = 3 (x >= 2.5): summed over the rows
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 2.0])


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


@pytest.mark.parametrize("idx", [[], ([],), (slice(None), []), ([[]],), ([], 1)])
def test_an_empty_list_index_selects_nothing_as_numpy_does(idx):
    data = np.arange(6.0).reshape(2, 3)
    x = cr.tensor(data, requires_grad=True)
    y = x[idx]
    np.testing.assert_array_equal(y.data, data[idx])
    assert y.shape == data[idx].shape
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_broadcast_to_takes_an_int_shape_as_numpy_does():
    x = cr.tensor(np.array([2.0]), requires_grad=True)
    y = x.broadcast_to(3)
    np.testing.assert_array_equal(y.data, np.broadcast_to(np.array([2.0]), 3))
    y.backward(np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [7.0])  # the three upstream values, summed


# ----- optional cross-check: the hand-worked tables above against PyTorch ---------------------
def test_the_hand_worked_selection_gradients_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    zero = torch.zeros(4, dtype=torch.float64)
    selections = {
        "relu.log": lambda x: x.relu().log(),
        "relu.sqrt": lambda x: x.relu().sqrt(),
        "maximum.sqrt": lambda x: torch.maximum(x, zero).sqrt(),
        "minimum.neg.sqrt": lambda x: (-torch.minimum(x, zero)).sqrt(),
        "clip.log": lambda x: x.clamp(0, None).log(),
        "clip_hi.sub.log": lambda x: (2 - x.clamp(None, 2)).log(),
        "where.log": lambda x: torch.where(x > 0, x, zero).log(),
    }
    pass_through = {
        "relu": lambda x: x.relu(),
        "clip": lambda x: x.clamp(0, 2),
        "maximum": lambda x: torch.maximum(x, zero),
        "minimum": lambda x: torch.minimum(x, zero),
        "where": lambda x: torch.where(x > 0, x, zero),
    }
    assert selections.keys() == SELECTIONS.keys()
    assert pass_through.keys() == PASS_THROUGH.keys()
    for table, fns, upstream in [
        (SELECTIONS, selections, [1.0] * 4),
        (PASS_THROUGH, pass_through, UPSTREAM),
    ]:
        for name, fn in fns.items():
            xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
            fn(xt).backward(torch.tensor(upstream, dtype=torch.float64))
            np.testing.assert_allclose(xt.grad.numpy(), table[name][1], rtol=1e-15, err_msg=name)


def test_the_hand_worked_dtype_results_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    operands = {
        "int64 - x": lambda x: 2 - x,
        "x - int32": lambda x: x - 2,
        "x ** int64": lambda x: x**2,
        "int64 ** x": lambda x: 2**x,
        "x / uint8": lambda x: x / 4,
        "x * bool_": lambda x: x * True,
        "float64 * x": lambda x: 0.1 * x,
        "x + float16": lambda x: x + 0.5,
        "x * int array": lambda x: x * torch.tensor([1, 2, 3]),
        "int array - x": lambda x: torch.tensor([1, 2, 3]) - x,
        "x * bool array": lambda x: x * torch.tensor([True, False, True]),
        "maximum int64": lambda x: torch.maximum(x, torch.tensor(2.0)),
        "where int array": lambda x: torch.where(
            torch.tensor([True, False, True]), x, torch.tensor([7, 8, 9])
        ),
    }
    assert operands.keys() == OPERANDS.keys()
    for name, fn in operands.items():
        _, expected_y, expected_grad = OPERANDS[name]
        xt = torch.tensor(X32, requires_grad=True)
        yt = fn(xt)
        assert yt.dtype == torch.float32, name
        np.testing.assert_allclose(yt.detach().numpy(), expected_y, rtol=1e-6, err_msg=name)
        yt.sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), expected_grad, rtol=1e-6, err_msg=name)


def test_leaky_relu_of_an_integer_tensor_keeps_its_slope():
    # the slope was cast to the integer dtype, 0.01 -> 0: a plain relu
    y = cr.tensor([-2, 3], dtype="int64").leaky_relu()
    np.testing.assert_allclose(y.data, [-0.02, 3.0], rtol=1e-15)  # -2·0.01, 3·1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda y: y.sum(axis=1.5), r"^sum: axis must be None, an int or a tuple of ints"),
        (lambda y: y.softmax(axis=[0, 1]), r"^Softmax on shapes \(3,\): "),
    ],
)
def test_a_bad_argument_type_names_the_op(call, message):
    with pytest.raises(TypeError, match=message):
        call(cr.tensor([1.0, 2.0, 3.0]))
