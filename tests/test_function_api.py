"""The user-defined op API, `cr.Function`, without PyTorch: what comparing it with
`torch.autograd.Function` found wrong (each now fixed), and how `explain` shows a user's op.
The side-by-side programs are in test_function_vs_pytorch.py, which needs PyTorch."""

from __future__ import annotations

import traceback

import numpy as np
import pytest

import chainrule as cr


def leaf(value):
    return cr.tensor(np.asarray(value, dtype=np.float64), requires_grad=True)


# ----- a forward that returns its input unchanged ----------------------------------------------
class ScaledIdentity(cr.Function):
    """y = x, with the gradient scaled by x²: a custom gradient, not the true derivative."""

    def forward(self, x):
        self.saved = (x,)
        return x

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * x * x


def test_an_identity_forward_keeps_its_saved_input_an_input_for_second_derivatives():
    # backward computes g·x² from the saved *input* x, so the second derivative is
    # d/dx (x²) = 2x = 3 at x = 1.5 (PyTorch gives 3 too); taking the saved x for the
    # node's own output differentiated it through this same rule instead: 6.75
    x = cr.tensor(1.5, dtype="float64")
    assert cr.grad(lambda t: ScaledIdentity()(t))(x).item() == 2.25
    assert cr.grad(cr.grad(lambda t: ScaledIdentity()(t)))(x).item() == 3.0


def test_an_identity_forward_gives_an_output_of_its_own():
    x = leaf([1.0, 2.0])
    y = ScaledIdentity()(x)
    assert y.data is not x.data
    assert y.grad_fn.saved[0] is x.data  # the input, by identity
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 4.0])


# ----- an error raised inside a user's forward -------------------------------------------------
class PickFifth(cr.Function):
    def forward(self, x):
        return x[[5]]  # out of bounds for a short x

    def backward(self, grad_out):
        return grad_out


def test_an_error_in_a_users_forward_names_the_op_and_keeps_the_line_at_fault():
    with pytest.raises(IndexError, match=r"^PickFifth on shapes \(2,\): index 5 ") as info:
        PickFifth()(leaf([1.0, 2.0]))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "forward"
    assert frames[-1].line == "return x[[5]]  # out of bounds for a short x"


def test_an_error_in_chainrules_own_op_still_ends_at_the_call():
    with pytest.raises(ValueError, match=r"^Reshape on shapes \(3,\): ") as info:
        leaf([1.0, 2.0, 3.0]).reshape(4)
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "__call__"


# ----- what a forward returns ------------------------------------------------------------------
class MissingReturn(cr.Function):
    def forward(self, x):
        self.saved = (x,)
        y = x * 2  # noqa: F841 (the mistake under test: no return)

    def backward(self, grad_out):
        return grad_out * 2


class ReturnsText(cr.Function):
    def forward(self, x):
        return "done"

    def backward(self, grad_out):
        return grad_out


def test_a_forward_without_a_return_is_an_error_naming_the_op():
    # it gave a tensor holding None (dtype object) that failed later, in another op
    with pytest.raises(TypeError, match=r"^MissingReturn\.forward returned None \(is its return"):
        MissingReturn()(leaf([1.0, 2.0]))


def test_a_forward_returning_text_is_an_error_naming_the_op():
    with pytest.raises(TypeError, match=r"^ReturnsText\.forward returned a str; .* an array$"):
        ReturnsText()(leaf([1.0, 2.0]))


def test_a_forward_may_return_a_number_a_numpy_scalar_or_a_tensor():
    class Total(cr.Function):
        def __init__(self, convert):
            self.convert = convert

        def forward(self, x):
            return self.convert(x.sum())

        def backward(self, grad_out):
            return np.full(2, grad_out)

    for convert in (float, np.float64, cr.tensor):
        x = leaf([1.0, 2.0])
        y = Total(convert)(x)
        assert (y.shape, y.item(), y.requires_grad) == ((), 3.0, True)
        y.backward()
        np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_a_python_float_from_forward_takes_the_inputs_float_dtype(dtype):
    """NumPy would make float64 of it, and a float32 graph would go on in float64."""

    class Mean(cr.Function):
        def forward(self, x, k):
            self.saved = (x,)
            return float(x.mean()) * float(k)

        def backward(self, grad_out):
            (x,) = self.saved
            return np.full(x.shape, grad_out / x.size, x.dtype), None

    x = cr.tensor([1.0, 2.0, 4.0], dtype=dtype, requires_grad=True)
    y = Mean()(x, np.int64(3))  # an integer constant does not decide the dtype
    assert y.dtype == np.dtype(dtype)
    assert y.item() == pytest.approx(7.0)
    y.backward()
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(x.grad, [1 / 3] * 3, rtol=1e-3)


def test_a_python_int_from_forward_stays_an_integer_output_without_a_gradient():
    class Count(cr.Function):
        def forward(self, x):
            return int((x > 0).sum())

    y = Count()(leaf([1.0, -2.0, 3.0]))
    assert (y.dtype.kind, y.item(), y.requires_grad) == ("i", 2, False)


def test_none_as_an_input_is_an_error_naming_the_op_and_the_input():
    class Scale(cr.Function):
        def forward(self, x, k):
            return x * k

    with pytest.raises(TypeError, match=r"^Scale: input 2 \(counting from 1\) is None.*__init__"):
        Scale()(leaf([1.0]), None)


# ----- NumPy's warnings in a user's backward ---------------------------------------------------
class SafeDivide(cr.Function):
    """d/dx x/c = 1/c, with 1 for c = 0 (x/c taken as x there)"""

    quiet = True  # the forward runs without NumPy's warnings; the backward has no such flag

    def __init__(self, c):
        self.c = np.asarray(c, dtype=np.float64)

    def forward(self, x):
        return x * self.scale()

    def backward(self, grad_out):
        return grad_out * self.scale()

    def scale(self):
        return np.where(self.c == 0, 1.0, 1.0 / self.c)  # 1/0 is computed: NumPy warns


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_users_backward_warns_as_outside_chainrule_with_or_without_create_graph(create_graph):
    # create_graph=True gives backward Tensors, but its NumPy code on its own arrays warned
    # only without it
    x = leaf([1.0, 2.0])
    y = SafeDivide([0.0, 4.0])(x).sum()
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        y.backward(create_graph=create_graph)
    np.testing.assert_allclose(np.asarray(x.grad.data if create_graph else x.grad), [1.0, 0.25])


def test_a_users_backward_obeys_an_error_state_set_to_raise_with_create_graph():
    y = SafeDivide([0.0, 4.0])(leaf([1.0, 2.0])).sum()
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError, match="divide by zero"):
        y.backward(create_graph=True)


# ----- a backward that writes into its upstream gradient ---------------------------------------
class DoublesInPlace(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        grad_out *= 2  # the mistake under test
        return grad_out


@pytest.mark.parametrize("anomaly", [False, True])
def test_a_backward_cannot_change_the_gradient_it_shares_with_another_tensor(anomaly):
    # add hands the same upstream array to both of its inputs: doubling it in place doubled
    # z's gradient too, silently, when z's turn came after the op's (z + f(x), not f(x) + z)
    x, z = leaf([1.0, 2.0]), leaf([1.0, 2.0])
    loss = ((z + DoublesInPlace()(x)) * np.array([1.0, 1.0])).sum()
    with (
        cr.detect_anomaly() if anomaly else cr.enable_grad(),
        pytest.raises(ValueError, match=r"^DoublesInPlace\.backward: .*read-only: .* grad_out \*="),
    ):
        loss.backward()
    assert z.grad is None or np.array_equal(z.grad, [1.0, 1.0])


def test_a_backward_may_return_its_upstream_gradient_unchanged():
    class PassThrough(cr.Function):
        def forward(self, x):
            return x.copy()

        def backward(self, grad_out):
            return grad_out

    x, z = leaf([1.0, 2.0]), leaf([1.0, 2.0])
    ((z + PassThrough()(x)) * np.array([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    np.testing.assert_array_equal(z.grad, [3.0, 4.0])
    x.grad += 1.0  # a .grad of its own, writable
    np.testing.assert_array_equal(z.grad, [3.0, 4.0])


# ----- explain ------------------------------------------------------------------------------
class Product(cr.Function):
    derivative = "dX = dY·y, dY = dY·x"  # one rule per input; no docstring

    def forward(self, x, y):
        self.saved = (x, y)
        return x * y

    def backward(self, grad_out):
        x, y = self.saved
        return grad_out * y, grad_out * x


def test_explain_shows_a_users_op_by_name_with_its_derivative_attribute():
    x = cr.tensor([2.0, 3.0], dtype="float64", requires_grad=True, name="x")
    w = cr.tensor([5.0, 7.0], dtype="float64", requires_grad=True, name="w")
    trace = cr.explain(Product()(x, w).sum())
    (step,) = [s for s in trace.steps if s.op == "Product"]
    assert step.rule == "dX = dY·y, dY = dY·x"
    assert [e.rule.split(":")[0] for e in step.inputs] == ["dX = dY·y", "dY = dY·x"]
    assert [e.downstream.tolist() for e in step.inputs] == [[5.0, 7.0], [2.0, 3.0]]
    assert "Product" in trace.table()
