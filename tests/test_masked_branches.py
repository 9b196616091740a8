"""A branch that `where` masks out, or a term weighted by 0, adds nothing to the gradient,
however its own local gradient behaves there (0·∞ taken as 0 for mul, exp, log, sqrt, div
and pow). The truth is the derivative worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

BRANCHES = {  # f, and f' at x = 4 by hand
    "sqrt": (cr.ops.sqrt, 0.25),  # 1/(2√4)
    "log": (cr.ops.log, 0.25),  # 1/4
    "reciprocal": (lambda x: 1.0 / x, -1 / 16),  # −1/x²
    "exp": (lambda x: cr.ops.exp(0.5 * x), 0.5 * np.exp(2.0)),  # ½·e^(x/2)
    "pow": (lambda x: x**0.5, 0.25),  # ½·x^(−½)
    "x·log x": (lambda x: x * cr.ops.log(x), np.log(4.0) + 1),  # the entropy term: ln x + 1
    "log x · log x": (lambda x: cr.ops.log(x) * cr.ops.log(x), np.log(4.0) / 2),  # 2·ln x / x
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(BRANCHES))
def test_a_branch_masked_by_where_adds_no_nan_to_the_gradient(name, dtype):
    f, slope = BRANCHES[name]
    x = cr.tensor([-1.0, 0.0, 4.0], dtype=dtype, requires_grad=True)
    cr.ops.where(x > 0, f(x), 0.0).sum().backward()
    assert x.grad[0] == 0.0
    assert x.grad[1] == 0.0
    assert x.grad[2] == pytest.approx(slope, rel=1e-6 if dtype == "float32" else 1e-15)


def test_a_term_weighted_by_zero_adds_no_nan_but_a_live_one_still_does():
    x = cr.tensor([0.0, 2.0], dtype="float64", requires_grad=True)
    (0.0 * cr.ops.log(x)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    x.grad = None
    (0.0 * (cr.ops.log(x) * cr.ops.log(x))).sum().backward()  # mul's local gradient is −∞
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    x.grad = None
    cr.ops.log(x).sum().backward()  # upstream 1 at x = 0: 1/0 = inf, as IEEE and PyTorch
    np.testing.assert_array_equal(x.grad, [np.inf, 0.5])


def test_the_rule_holds_for_gradients_of_gradients():
    # h(x) = where(x > 0, x^{3/2}, 0): h' = 1.5·√x, h'' = 0.75/√x for x > 0, 0 elsewhere
    def h(x):
        return cr.ops.where(x > 0, x**1.5, 0.0).sum()

    second = cr.grad(lambda x: cr.grad(h)(x).sum())(np.array([-1.0, 0.0, 4.0]))
    np.testing.assert_allclose(second.data, [0.0, 0.0, 0.75 / 2.0], rtol=1e-15)


def test_index_and_mask_arrays_changed_after_the_forward_pass_do_not_move_the_gradient():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    idx = np.array([0, 0])
    y = x[idx].sum()
    idx[1] = 2  # after the forward pass
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 0.0])  # as the forward selected
    x.grad = None
    mask = np.array([True, False, False])
    y = cr.ops.where(mask, x, 0.0).sum()
    mask[:] = [False, False, True]
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0])


def test_numbers_beyond_float32_become_inf_without_a_warning():
    # run with warnings as errors (the suite's setting): a RuntimeWarning would fail here
    x = cr.tensor([1.0, 2.0])  # float32
    assert cr.tensor([1e300]).data[0] == np.inf
    np.testing.assert_array_equal((x + 1e300).data, [np.inf, np.inf])
    np.testing.assert_array_equal((np.float64(-1e300) * x).data, [-np.inf, -np.inf])


def test_a_zero_upstream_keeps_second_derivatives_where_the_local_gradient_is_finite():
    # f = (eˣ − 2)²: f'' = 2e²ˣ + 2eˣ(eˣ − 2) = 8 at x = ln 2, where the upstream into exp
    # is 2(eˣ − 2) = 0 exactly; g = (x − 1)·√x: g'' = 1/√x − (x − 1)/(4x^{3/2}) = 1 at x = 1
    f = lambda x: ((cr.ops.exp(x) - 2.0) ** 2).sum()  # noqa: E731
    g = lambda x: ((x - 1.0) * cr.ops.sqrt(x)).sum()  # noqa: E731
    assert cr.grad(cr.grad(f))(np.array([np.log(2.0)])).data[0] == pytest.approx(8.0, rel=1e-14)
    assert cr.grad(cr.grad(g))(np.array([1.0])).data[0] == pytest.approx(1.0, rel=1e-14)
