"""Review of the new activations, Embedding and containers, and the new math ops: the
defects found, each pinned by a test that failed before its fix."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


def _second_derivative(fn, x):
    t = cr.Tensor(np.asarray(x), requires_grad=True)
    (g,) = cr.autograd.grad(fn(t).sum(), t, create_graph=True)
    (gg,) = cr.autograd.grad(g.sum(), t)
    return np.asarray(gg.data)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_arcsin_second_derivative_near_zero_is_accurate(dtype):
    # arcsin'' = x / (1 − x²)^(3/2) ≈ x for small x; 1/√((1 − x)(1 + x)) differentiated
    # gives −(1 + x) + (1 − x), which cancels to a few digits (0 below x ≈ 1e-8 in float32)
    x = np.array([1e-8, -1e-8, 1e-5, 3e-3], dtype)
    expected = x.astype(np.float64) / (1 - x.astype(np.float64) ** 2) ** 1.5
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(_second_derivative(cr.arcsin, x), expected, rtol=rtol)
    np.testing.assert_allclose(_second_derivative(cr.arccos, x), -expected, rtol=rtol)


def test_arcsin_first_derivative_still_accurate_near_one():
    x = np.array([1 - 2.0**-40, -(1 - 2.0**-40), 0.75, 0.5, 0.4999999])
    t = cr.Tensor(x, requires_grad=True)
    cr.arcsin(t).sum().backward()
    one_minus = np.array([2.0**-40, 2.0**-40, 0.25, 0.5, 0.5000001])
    expected = 1 / np.sqrt(one_minus * (2 - one_minus))
    np.testing.assert_allclose(t.grad.data, expected, rtol=2e-16 * 4)


def test_parameter_containers_repr_lists_their_members():
    pl = nn.ParameterList([np.ones(2, np.float32), np.zeros((2, 3))])
    assert repr(pl) == (
        "ParameterList(\n"
        "  (0): Parameter containing: [float32 of size 2]\n"
        "  (1): Parameter containing: [float64 of size 2x3]\n"
        ")"
    )
    pd = nn.ParameterDict({"a": np.ones(1, np.float32)})
    assert repr(pd) == "ParameterDict(\n  (a): Parameter containing: [float32 of size 1]\n)"
    assert repr(nn.ParameterList()) == "ParameterList()"
    assert repr(nn.ParameterDict()) == "ParameterDict()"
