"""check_graph / gradcheck(localize=True): the first node with a wrong backward is named."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import chainrule as cr


class WrongSquare(cr.Function):
    """d/dx x² = 2x — but backward deliberately returns 3x."""

    def forward(self, x):
        self.saved = (x,)
        return x * x

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * 3 * x


class RightSquare(WrongSquare):
    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * 2 * x


def _x():
    return cr.tensor(np.array([0.5, -1.2, 2.0]), requires_grad=True)


def test_a_correct_graph_passes_and_every_node_is_checked():
    x = _x()
    w = cr.tensor(np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]]), requires_grad=True)
    out = (RightSquare()(x.tanh()) @ w).softmax().log().sum()
    # nodes: tanh, square, matmul, softmax, log, sum
    assert cr.check_graph(out) == 6


def test_the_wrong_node_is_named_even_with_correct_nodes_around_it():
    x = _x()
    out = (cr.tensor([1.0, 2.0, 3.0]) @ WrongSquare()(x.tanh())).sigmoid()
    # forward order: tanh, WrongSquare, matmul, sigmoid -- the square is the 2nd of 4
    where = r"WrongSquare \(node 2 of 4 in forward order, counting from 1\)"
    wrong = where + r" has a wrong backward for its input 1 \(counting from 1\)"
    with pytest.raises(cr.GradcheckError, match=wrong):
        cr.check_graph(out)


def test_the_error_gives_analytic_and_numeric_values():
    x = cr.tensor(np.array([2.0]), requires_grad=True)
    with pytest.raises(cr.GradcheckError) as info:
        cr.check_graph(WrongSquare()(x).sum())
    # analytic 3x = 6 (times a random upstream), numeric 2x = 4 (same upstream): ratio 1.5
    values = [float(v) for v in re.findall(r"(?:analytic|numeric) (-?[\d.]+)", str(info.value))]
    assert values[0] / values[1] == pytest.approx(1.5, rel=1e-6)
    # the numbers are products with a random upstream gradient, not the local gradient 2x
    assert "product with a random upstream gradient" in str(info.value)
    assert "local gradient" not in str(info.value)


def test_check_graph_needs_the_graph_before_backward():
    out = (_x() * 2).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="before"):
        cr.check_graph(out)


def test_gradcheck_localize_names_the_node():
    def f(x):
        return WrongSquare()(x.exp()).sum()

    with pytest.raises(cr.GradcheckError, match=r"WrongSquare"):
        cr.gradcheck(f, [np.array([0.1, 0.2])], localize=True)
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(f, [np.array([0.1, 0.2])])
    assert "WrongSquare" not in str(info.value)


def test_a_point_where_finite_differences_are_undefined_is_named_not_blamed():
    # log at 1e-9 with a step of 1e-6: the probe log(1e-9 − 1e-6) is NaN. The backward is
    # right; check_graph must say the point cannot be checked, without a RuntimeWarning.
    x = cr.tensor([1e-9, 1.0], dtype="float64", requires_grad=True)
    y = cr.log(x).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            cr.GradcheckError,
            match=r"Log \(node 1 of 2 in forward order, counting from 1\), input 1 \(counting "
            r"from 1\), index \(0,\): the finite difference is nan",
        ):
            cr.check_graph(y, eps=1e-6)


class WrongHalf(cr.Function):
    """d/dx x/2 = 1/2 — but backward deliberately returns 1."""

    def forward(self, x):
        return 0.5 * x

    def backward(self, grad_out):
        return grad_out


@pytest.mark.parametrize(
    ("f", "position"),
    [
        # 30,000² beside 0.01²: the sum of v·forward rounds away the step of the small entry
        (lambda t: WrongHalf()(t**2), "node 2 of 2"),
        # a cast to float32: its rounding swamps a step of 1e-6 (Cast's backward is right)
        (lambda t: WrongHalf()(t.astype("float32") * 3.0), "node 3 of 3"),
    ],
)
def test_rounding_in_a_correct_node_does_not_take_the_blame(f, position):
    x = np.array([1e-2, 3e4, 0.5])
    with pytest.raises(cr.GradcheckError, match=rf"WrongHalf \({position} in forward order"):
        cr.gradcheck(f, [x], localize=True)
    t = cr.tensor(x, requires_grad=True)  # the same nodes, without the wrong one
    assert cr.check_graph(t**2) == 1
    assert cr.check_graph(t.astype("float32") * 3.0) == 2


@pytest.mark.parametrize("magnitude", [1e8, 1e10])
def test_correct_nodes_at_large_magnitudes_pass(magnitude):
    """A fixed step of 1e-6 is lost in the rounding of x ± 1e-6 at 1e8 (and is x itself at
    1e10): a correct Mul was blamed. The step is relative to |x| beyond 1, as in gradcheck."""
    x = cr.tensor([magnitude, -2 * magnitude], dtype="float64", requires_grad=True)
    assert cr.check_graph(((x * 2.0) ** 2).sum()) == 3
    y = WrongHalf()(x * 2.0)  # and a wrong node there is still named
    with pytest.raises(cr.GradcheckError, match=r"WrongHalf \(node 2 of 2"):
        cr.check_graph(y)


class SquareSlightlyOffAndWrong(cr.Function):
    """d/dx x² = 2x — backward is off by 0.01 % at index 0 (within rtol), 50 % at index 1."""

    def forward(self, x):
        self.saved = (x,)
        return x * x

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * 2 * x * np.array([1.0001, 1.5])


def test_the_entry_named_is_one_that_fails_not_the_largest_error_within_tolerance():
    # at x = [1000, 0.1] the error at index 0 (0.2·|v₀|) is larger in absolute terms but
    # within 1e-3 of 2000·v₀; index 1 (0.1·|v₁| against 0.2·v₁) is the wrong one
    x = cr.tensor(np.array([1000.0, 0.1]), requires_grad=True)
    with pytest.raises(cr.GradcheckError, match=r"at index \(1,\)"):
        cr.check_graph(SquareSlightlyOffAndWrong()(x))


class GradientOfAnotherShape(cr.Function):
    def forward(self, x):
        return 2.0 * x

    def backward(self, grad_out):
        return np.ones(3)


def test_a_backward_returning_another_shape_is_named():
    x = cr.tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(cr.GradcheckError, match=r"returned shape \(3,\) for an input of shape"):
        cr.check_graph(GradientOfAnotherShape()(x))
