"""Bad input must fail loudly, with a message that says which op and which shapes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr


def _flat(msg: str) -> str:
    """The message with spaces removed, so "(2, 3)" and "(2,3)" both match "(2,3)"."""
    return re.sub(r"\s+", "", msg)


def leaf(value):
    return cr.tensor(value, dtype="float64", requires_grad=True)


# ----- shape errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5, 2, 3), (5, 4, 2))],
)
def test_matmul_shape_mismatch_names_op_and_both_shapes(a_shape, b_shape):
    a, b = leaf(np.ones(a_shape)), leaf(np.ones(b_shape))
    with pytest.raises(ValueError, match=r"\(") as info:
        a @ b
    msg = _flat(str(info.value))
    assert "matmul" in msg.lower()
    assert _flat(str(a_shape)) in msg
    assert _flat(str(b_shape)) in msg


def test_matmul_of_a_scalar_is_rejected():
    with pytest.raises(ValueError, match=r"(?i)matmul"):
        cr.matmul(leaf(2.0), leaf(np.ones(3)))


@pytest.mark.parametrize(
    ("op_name", "op"),
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
    ],
)
def test_broadcasting_mismatch_names_op_and_both_shapes(op_name, op):
    a, b = leaf(np.ones((2, 3))), leaf(np.ones(4))
    with pytest.raises(ValueError, match=r"\(") as info:
        op(a, b)
    msg = _flat(str(info.value))
    assert "(2,3)" in msg
    assert "(4,)" in msg
    assert op_name in msg.lower(), f"the message does not name the op: {info.value}"


def test_broadcast_to_impossible_shape_raises():
    with pytest.raises(ValueError, match=r"\(") as info:
        cr.broadcast_to(leaf(np.ones(3)), (2, 4))
    msg = _flat(str(info.value))
    assert "(3,)" in msg
    assert "(2,4)" in msg


@pytest.mark.parametrize(
    ("shape", "target"),
    [((2, 3), (4, 2)), ((2, 3), (5,)), ((2, 2), (3, 3)), ((2, 3, 4), (5, 5))],
)
def test_reshape_impossible_shape_names_both_shapes(shape, target):
    x = leaf(np.ones(shape))
    with pytest.raises(ValueError, match=r"\(") as info:
        x.reshape(target)
    msg = _flat(str(info.value))
    assert "reshape" in msg.lower()
    assert _flat(str(shape)) in msg
    assert _flat(str(target)) in msg


def test_reshape_with_inferred_dimension_names_both_shapes():
    with pytest.raises(ValueError, match=r"(?i)reshape") as info:
        leaf(np.ones(6)).reshape(4, -1)
    msg = _flat(str(info.value))
    assert "(6,)" in msg
    # NumPy spells the -1 of the requested shape as "newaxis"
    assert "(4,-1)" in msg or "(4,newaxis)" in msg


def test_reshape_with_varargs_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(") as info:
        leaf(np.ones((2, 3))).reshape(4, 2)
    msg = _flat(str(info.value))
    assert "(2,3)" in msg
    assert "(4,2)" in msg


def test_concatenate_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"\(") as info:
        cr.concatenate([leaf(np.ones((2, 3))), leaf(np.ones((2, 4)))], axis=0)
    msg = _flat(str(info.value))
    assert "concatenate" in msg.lower()
    assert "(2,3)" in msg
    assert "(2,4)" in msg


def test_stack_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"\(") as info:
        cr.stack([leaf(np.ones(3)), leaf(np.ones(4))])
    msg = _flat(str(info.value))
    assert "stack" in msg.lower()
    assert "(3,)" in msg
    assert "(4,)" in msg


def test_sum_over_missing_axis_raises():
    with pytest.raises(np.exceptions.AxisError, match="axis 2"):
        leaf(np.ones((2, 3))).sum(axis=2)


# ----- dtype errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_integer_or_bool_tensor_cannot_require_grad(dtype):
    with pytest.raises(TypeError) as info:
        cr.tensor(np.zeros(3, dtype=dtype), requires_grad=True)
    msg = str(info.value)
    assert np.dtype(dtype).name in msg
    assert "float" in msg


def test_integer_tensor_via_dtype_argument_cannot_require_grad():
    with pytest.raises(TypeError, match="float"):
        cr.tensor([1, 2, 3], dtype="int64", requires_grad=True)


@pytest.mark.parametrize(
    "make", [lambda: cr.tensor(None), lambda: leaf([1.0, 2.0]) + None, lambda: None * leaf(1.0)]
)
def test_none_is_not_data_rather_than_nan(make):
    with pytest.raises(TypeError, match="None"):
        make()


def test_comparing_with_none_or_a_string_is_a_plain_bool_as_in_pytorch():
    x = leaf([1.0, 2.0])
    assert (x == None) is False  # noqa: E711 (the operator itself is under test)
    assert (x != None) is True  # noqa: E711
    assert (x == "auto") is False
    assert (x != "auto") is True
    assert x not in [None, "auto"]  # a membership test compares with ==


def test_an_assigned_grad_must_match_the_tensor_as_in_pytorch():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"shape \(2,\) and dtype float64 to a tensor of shape"):
        x.grad = np.ones(2)  # would broadcast into (2, 2) at the next backward
    with pytest.raises(ValueError, match=r"dtype float32 to a tensor of shape \(2, 2\)"):
        x.grad = np.ones((2, 2), np.float32)
    with pytest.raises(TypeError, match=r"grad: assigned a list"):
        x.grad = [[1.0, 1.0], [1.0, 1.0]]
    assert x.grad is None  # nothing was assigned
    x.grad = cr.tensor(np.ones((2, 2)), dtype="float64")
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), 2.0))


def test_requires_grad_cannot_be_turned_off_on_non_leaf():
    y = leaf(1.0) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False


# ----- backward errors -------------------------------------------------------------------------
def test_backward_on_non_scalar_names_the_shape():
    y = leaf(np.ones((3, 2))) * 2.0
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "(3, 2)" in msg
    assert "backward" in msg


def test_backward_on_tensor_without_grad_explains_why():
    with pytest.raises(RuntimeError, match="requires_grad"):
        (cr.tensor([1.0, 2.0]) * 2.0).sum().backward()


def test_backward_with_wrongly_shaped_upstream():
    y = leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"\(") as info:
        y.backward(np.ones((3, 2)))
    msg = _flat(str(info.value))
    assert "(3,2)" in msg
    assert "(2,3)" in msg


def test_second_backward_on_released_graph():
    x = leaf(2.0)
    y = cr.exp(x) * x
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "retain_graph" in msg
    assert "Mul" in msg  # names the node where the released graph was found


def test_item_of_multi_element_tensor_names_shape():
    with pytest.raises(ValueError, match=re.escape("(2,)")):
        cr.tensor([1.0, 2.0]).item()


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_float_and_int_take_any_one_element_tensor(shape):
    t = cr.tensor(np.full(shape, -2.75))
    assert float(t) == -2.75
    assert int(t) == -2  # towards zero, as int(-2.75)


def test_float_of_multi_element_tensor_names_shape():
    with pytest.raises(ValueError, match=re.escape("(2,)")):
        float(cr.tensor([1.0, 2.0]))


def test_iterating_a_0d_tensor_raises_instead_of_yielding_nothing():
    with pytest.raises(TypeError, match="0-d"):
        list(cr.tensor(3.0))
    rows = list(cr.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]


# ----- errors raised inside an op's forward -------------------------------------------------
class ShapeProblemError(ValueError):
    """A ValueError subclass whose constructor takes more than a message."""

    def __init__(self, expected, got):
        super().__init__(f"expected {expected}, got {got}")
        self.expected, self.got = expected, got


class RaisesCustomError(cr.Function):
    def forward(self, x):
        raise ShapeProblemError((3,), x.shape)


def test_forward_error_keeps_its_type_and_attributes():
    with pytest.raises(ShapeProblemError) as info:
        RaisesCustomError()(leaf(np.ones(2)))
    assert info.value.expected == (3,)
    assert info.value.got == (2,)
    assert "expected (3,), got (2,)" in str(info.value)


# ----- custom Functions ------------------------------------------------------------------------
class TooFewGrads(cr.Function):
    def forward(self, x, y):
        return x * y

    def backward(self, grad_out):
        return (grad_out,)  # two inputs, one gradient


class TooManyGrads(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        return grad_out * 2, grad_out


class NoBackward(cr.Function):
    def forward(self, x):
        return x + 1


def test_custom_function_returning_too_few_gradients():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    out = TooFewGrads()(x, y)
    with pytest.raises(RuntimeError) as info:
        out.sum().backward()
    msg = str(info.value)
    assert "TooFewGrads" in msg
    assert "1" in msg
    assert "2" in msg


def test_custom_function_returning_too_many_gradients():
    out = TooManyGrads()(leaf([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="TooManyGrads"):
        out.sum().backward()


class ListOfGrads(cr.Function):
    def forward(self, x, y):
        return x * y

    def backward(self, grad_out):
        return [grad_out, grad_out]  # two gradients, but in a list


def test_custom_function_returning_a_list_of_gradients_is_told_to_return_a_tuple():
    out = ListOfGrads()(leaf([1.0, 2.0]), leaf([3.0, 4.0]))
    with pytest.raises(RuntimeError, match=r"ListOfGrads\.backward returned a list .* tuple"):
        out.sum().backward()


def test_custom_function_without_backward():
    out = NoBackward()(leaf([1.0]))
    with pytest.raises(NotImplementedError, match="NoBackward"):
        out.sum().backward()


def test_base_function_forward_not_implemented():
    with pytest.raises(NotImplementedError, match="forward"):
        cr.Function()(leaf([1.0]))


# ----- functional API ---------------------------------------------------------------------------
def test_grad_of_non_scalar_function_names_the_shape():
    with pytest.raises(ValueError, match=r"\(") as info:
        cr.grad(lambda t: t * 2.0)(np.ones((2, 2)))
    assert "(2, 2)" in str(info.value)


def test_grad_of_function_returning_non_tensor():
    with pytest.raises(ValueError, match="float"):
        cr.grad(lambda t: 1.0)(np.ones(2))


def test_grad_of_integer_argument():
    with pytest.raises(TypeError, match="float"):
        cr.grad(lambda t: t.sum())(np.array([1, 2]))


def test_gradcheck_on_non_tensor_output():
    with pytest.raises(TypeError, match="Tensor"):
        cr.gradcheck(lambda t: 1.0, [np.ones(2)])


@pytest.mark.parametrize("settings", [{"eps": 0.0}, {"eps": np.nan}, {"atol": -1e-5}])
def test_a_step_of_zero_or_a_negative_tolerance_is_refused_not_blamed_on_backward(settings):
    # f = Σ x², whose backward is right: a zero step (0/0) or a negative tolerance would
    # report it as wrong
    def f(t):
        return (t * t).sum()

    with pytest.raises(ValueError, match=r"gradcheck: (eps|atol)"):
        cr.gradcheck(f, [np.array([1.0, 2.0])], **settings)
    with pytest.raises(ValueError, match=r"check_graph: (eps|atol)"):
        cr.check_graph(f(cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)), **settings)
    if "eps" in settings:
        with pytest.raises(ValueError, match="numerical_grad: eps"):
            cr.numerical_grad(f, [np.array([1.0, 2.0])], **settings)


def test_numerical_grad_of_non_scalar():
    with pytest.raises(ValueError, match="single value"):
        cr.numerical_grad(lambda t: t * 2.0, [np.ones(2)])
