"""prod: values, and the gradient Π_{j≠i} xⱼ also where factors are 0 (no 0/0), against
the product of the others worked out here, finite differences and PyTorch."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import chainrule as cr

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch not installed"
)


def _others(x: np.ndarray) -> np.ndarray:
    """Π_{j≠i} xⱼ along the last axis, by leaving each factor out in turn (no division)."""
    n = x.shape[-1]
    return np.stack([np.delete(x, i, axis=-1).prod(axis=-1) for i in range(n)], axis=-1)


ROWS = np.array(
    [
        [2.0, -3.0, 0.5, 4.0],  # no zero: Π/xᵢ
        [2.0, 0.0, 0.5, 4.0],  # one zero: it gets 2·0.5·4 = 4, the rest 0
        [0.0, -3.0, 0.0, 4.0],  # two zeros: all 0
        [0.0, 0.0, 0.0, 0.0],
    ]
)


def test_the_gradient_is_the_product_of_the_others_with_zeros_among_them():
    x = cr.tensor(ROWS, requires_grad=True, dtype="float64")
    out = x.prod(axis=1)
    np.testing.assert_array_equal(out.data, ROWS.prod(axis=1))
    w = np.array([1.0, -2.0, 3.0, 0.5])
    (out * w).sum().backward()
    np.testing.assert_allclose(x.grad, _others(ROWS) * w[:, None], rtol=1e-15)
    assert np.array_equal(x.grad[1], [0.0, 4.0 * -2.0, 0.0, 0.0])
    assert not np.any(np.isnan(x.grad))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod_matches_numpy_and_finite_differences(axis, keepdims):
    x = ROWS * 0.9 + 0.1  # zeros shifted off 0 in some rows, kept near it
    got = cr.prod(cr.tensor(x, dtype="float64"), axis, keepdims)
    np.testing.assert_allclose(got.data, np.prod(x, axis=axis, keepdims=keepdims), rtol=1e-15)
    assert cr.gradcheck(lambda t: cr.prod(t, axis, keepdims), [cr.tensor(x, dtype="float64")])


def test_finite_differences_agree_at_exact_zeros():
    # prod is a polynomial in each factor: central differences are exact up to rounding
    for row in ROWS:
        assert cr.gradcheck(lambda t: t.prod(), [cr.tensor(row, dtype="float64")])


@pytest.mark.parametrize("row", [[2.0, -3.0, 0.5], [0.0, -3.0, 0.5], [0.0, 0.0, 0.5]])
@pytest.mark.parametrize("i", [0, 1, 2])
def test_second_derivatives_with_zeros(row, i):
    # ∂²(abc)/∂xᵢ∂xₖ is the third factor for k ≠ i and 0 for k = i, zeros or not; with
    # create_graph the rule's own ops are differentiated, and must keep every factor
    x = cr.tensor(row, dtype="float64", requires_grad=True)
    x.prod().backward(create_graph=True)
    g, x.grad = x.grad, None  # g: the gradient as a Tensor, differentiable again
    np.testing.assert_array_equal(g.data, _others(np.array(row)))
    g[i].backward()
    want = [0.0 if k == i else row[3 - i - k] for k in range(3)]
    np.testing.assert_array_equal(x.grad, want)


def test_second_derivatives_over_several_axes_match_finite_differences():
    rng = np.random.default_rng(1)
    data = rng.uniform(-2, 2, (2, 3, 2))
    data[0, 1, :] = 0.0  # slices with one zero and with two
    data[1, 0, 1] = 0.0
    w = rng.standard_normal(3)
    gradient = cr.grad(lambda u: (cr.prod(u, (0, 2)) * w).sum())  # composable: a Tensor
    assert cr.gradcheck(gradient, [cr.tensor(data, dtype="float64")])


def test_dim_keepdim_float32_and_an_empty_slice():
    x = cr.tensor(np.arange(1.0, 7.0).reshape(2, 3), dtype="float32", requires_grad=True)
    out = x.prod(dim=0, keepdim=True)
    assert out.dtype == np.float32
    assert out.shape == (1, 3)
    out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]])
    empty = cr.tensor(np.zeros((0, 3)), requires_grad=True)
    np.testing.assert_array_equal(empty.prod(axis=0).data, [1.0, 1.0, 1.0])  # Π of nothing
    empty.prod(axis=0).sum().backward()
    assert empty.grad.shape == (0, 3)


def test_a_product_that_overflows_is_inf_without_a_warning():
    x = cr.tensor([1e200, 1e200], dtype="float64", requires_grad=True)
    out = x.prod()
    assert out.item() == np.inf
    out.backward()
    assert np.all(x.grad == np.inf)  # Π/xᵢ, as PyTorch's


@needs_torch
@pytest.mark.parametrize("dim", [0, 1])
def test_values_and_gradients_match_pytorch(dim):
    import torch

    rng = np.random.default_rng(0)
    data = np.concatenate([ROWS, rng.uniform(-2, 2, (3, 4))])
    w = rng.standard_normal(data.shape[1 - dim])
    x = cr.tensor(data, dtype="float64", requires_grad=True)
    (x.prod(dim=dim) * w).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    (t.prod(dim=dim) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-13, atol=1e-300)


NONFINITE_ROWS = [
    [np.inf, 0.0, 3.0],  # the zero gets ∞·3; 3 gets ∞·0 = NaN; ∞ gets 0·3 = 0
    [np.nan, 0.0, 3.0],
    [np.nan, 0.0, 0.0],  # each zero's others hold NaN and a 0: NaN
    [-np.inf, 0.0, 0.0],
    [2.0, 0.0, 0.0],  # finite: zeros everywhere, as before
]


@pytest.mark.parametrize("row", NONFINITE_ROWS)
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_zero_times_a_nonfinite_factor_among_the_others_is_nan(row, create_graph):
    # Π_{j≠i} xⱼ left out in turn (no division, no selection), IEEE's 0·∞ = NaN; the
    # plain and the create_graph backward must both give it
    with np.errstate(invalid="ignore"):
        want = _others(np.array(row))
    x = cr.tensor(row, dtype="float64", requires_grad=True)
    x.prod().backward(create_graph=create_graph)
    got = x.grad.data if create_graph else x.grad
    np.testing.assert_array_equal(got, want)


@needs_torch
@pytest.mark.parametrize("row", NONFINITE_ROWS)
def test_nonfinite_factors_with_zeros_match_pytorch_along_a_dim(row):
    import torch

    x = cr.tensor([row], dtype="float64", requires_grad=True)
    x.prod(dim=1).sum().backward()
    t = torch.tensor([row], requires_grad=True)
    t.prod(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
