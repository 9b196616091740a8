"""Numerical stability, continued: log-sum-exp at the extremes, and a guard that the extreme
grid of test_rel_numerics.py covers every elementwise op chainrule defines.

The expected values are computed here: log-sum-exp in long double by its textbook formula
log Σ exp(x) (exp(1e4) fits in a long double where it has the range), its gradient as
exp(xᵢ) / Σ exp(x) the same way, and the conventions by hand.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from _numerics_grid import BINARY, UNARY

import chainrule as cr
import chainrule.ops._activations as activations
import chainrule.ops._arithmetic as arithmetic
import chainrule.ops._casts as casts
import chainrule.ops._elementwise as elementwise
import chainrule.ops._exp_log as exp_log
import chainrule.ops._gaussian as gaussian
import chainrule.ops._piecewise as piecewise
import chainrule.ops._special as special
import chainrule.ops._trig as trig

F = cr.nn.functional
INF, NAN = np.inf, np.nan
LONG_RANGE = np.finfo(np.longdouble).maxexp > 1024  # exp(1e4) is finite in a long double


def value_and_grad(x, dtype="float64", **kwargs):
    """logsumexp and its gradient for an upstream of ones, with every warning an error."""
    t = cr.tensor(np.array(x, dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.logsumexp(t, **kwargs)
        out.backward(np.ones(out.shape, out.dtype))
    return out.data, t.grad


def textbook(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """log Σ exp(x) and exp(x)/Σ exp(x), unshifted, in long double."""
    e = np.exp(x.astype(np.longdouble))
    total = e.sum(axis=axis, keepdims=True)
    return np.log(total).squeeze(axis), e / total


# ----- the conventions ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logsumexp_of_all_minus_inf_is_minus_inf_with_gradient_zero(dtype):
    out, grad = value_and_grad([[-INF, -INF, -INF], [0.0, 0.0, 0.0]], dtype, axis=1)
    assert out[0] == -INF
    assert out[1] == pytest.approx(np.log(3.0), rel=1e-6)  # log(e⁰ + e⁰ + e⁰)
    np.testing.assert_array_equal(grad[0], [0.0, 0.0, 0.0])  # no mass: no gradient, not NaN
    np.testing.assert_allclose(grad[1], [1 / 3] * 3, rtol=1e-6)
    assert out.dtype == grad.dtype == np.dtype(dtype)


def test_a_single_minus_inf_entry_gets_no_gradient():
    out, grad = value_and_grad([-INF, 0.0, np.log(3.0)])
    assert out == pytest.approx(np.log(1.0 + 3.0), rel=1e-15)  # e⁰ + 3
    np.testing.assert_allclose(grad, [0.0, 0.25, 0.75], rtol=1e-15)


def test_plus_inf_gives_plus_inf_and_nan_gives_nan():
    out, grad = value_and_grad([[INF, 1.0], [NAN, 1.0], [INF, NAN]], axis=1)
    assert out[0] == INF  # log Σ exp is +inf, as NumPy's unshifted formula gives it
    assert np.isnan(out[1])
    assert np.isnan(out[2])
    assert np.isnan(grad).all()  # softmax is NaN there (∞/∞), as the softmax convention


def test_over_nothing_is_minus_inf():
    # a sum of no terms is 0, and log 0 = −inf: NumPy's np.log(np.exp([]).sum())
    out, grad = value_and_grad(np.zeros((2, 0)), axis=1)
    np.testing.assert_array_equal(out, [-INF, -INF])
    assert grad.shape == (2, 0)


# ----- large logits against long double --------------------------------------------------------
ROWS = {
    "±1e4": [1e4, -1e4, 0.0, 5.0],
    "all 1e4": [1e4] * 4,
    "all −1e4": [-1e4] * 4,
    "709.8 and −709.8": [709.8, -709.8, 709.8, 1.0],
    "one large": [1e4, 1.0, 2.0, 3.0],
}


@pytest.mark.skipif(not LONG_RANGE, reason="long double has no wider range than double here")
@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_logsumexp_of_large_logits_equals_the_long_double_formula(row):
    x = np.array([row, [0.1, 0.2, 0.3, 0.4]])
    out, grad = value_and_grad(x, axis=1)
    want, want_grad = textbook(x, axis=1)
    assert np.isfinite(out).all()
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(out, want.astype(np.float64), rtol=1e-15)
    np.testing.assert_allclose(grad, want_grad.astype(np.float64), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(grad.sum(axis=1), 1.0, rtol=1e-12)


def test_float32_logits_of_1e4_stay_finite():
    out, grad = value_and_grad([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], "float32", axis=1)
    np.testing.assert_allclose(out, [1e4, -1e4 + np.log(3.0)], rtol=1e-6)
    np.testing.assert_allclose(grad, [[1, 0, 0], [1 / 3] * 3], rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_against_numpy_and_finite_differences(axis, keepdims):
    rng = np.random.default_rng(7)
    x = cr.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    fn = lambda v: F.logsumexp(v, axis, keepdims)  # noqa: E731
    want = np.log(np.exp(x.data).sum(axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(fn(x).data, want, rtol=1e-14)
    assert cr.gradcheck(fn, [x], check_second_order=True)


def test_explain_shows_softmax_as_the_local_gradient():
    z = cr.tensor([0.1, 0.2, 0.7], dtype="float64", requires_grad=True, name="z")
    (step,) = cr.explain(F.logsumexp(z)).steps
    e = np.exp([0.1, 0.2, 0.7])
    np.testing.assert_allclose(step.inputs[0].local, e / e.sum(), rtol=1e-15)
    assert step.inputs[0].check == "exact"


# ----- the grid covers every elementwise op --------------------------------------------------
def _elementwise_classes() -> set[type]:
    """Every concrete elementwise op class in chainrule.ops (not the shared base classes)."""
    bases = {elementwise.Elementwise, elementwise.Selection, elementwise.Unbounded}
    found = set()
    modules = (arithmetic, elementwise, exp_log, trig, activations, gaussian, piecewise, casts)
    for module in (*modules, special):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, elementwise.Elementwise) and cls not in bases:
                found.add(cls)
    return found


def _class_of(op, arity: int) -> type:
    xs = [cr.tensor(0.5, dtype="float64", requires_grad=True) for _ in range(arity)]
    return type(op.fn(*xs)._node)


def test_the_extreme_grid_covers_every_elementwise_op():
    covered = {_class_of(op, 1) for op in UNARY} | {_class_of(op, 2) for op in BINARY}
    missing = _elementwise_classes() - covered
    assert len(_elementwise_classes()) >= 20
    assert not missing, f"add these ops to tests/reliability/_numerics_grid.py: {missing}"
