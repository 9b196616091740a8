"""Edge inputs of nn/_similarity.py and nn/_probabilistic_losses.py: infinite norms and
variances (PyTorch's clamp_min leaves inf as it is), pairwise_distance with p = 0 in the
graph, and Unflatten of a 0-d tensor. Checked against values worked here and PyTorch's."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional
HUGE = np.array([[1e200, 2e200], [3.0, 4.0]])  # the first row's squared norm overflows
OTHER = np.array([[3e200, 1e200], [4.0, -3.0]])


def _leaf(a):
    return cr.tensor(a, dtype="float64", requires_grad=True)


def test_cosine_similarity_of_a_norm_that_overflows_is_zero_with_zero_gradient():
    # ‖x‖ = inf, clamped at eps: still inf, so x / ‖x‖ = 0 (clamp_min(inf, eps) = inf)
    x1, x2 = _leaf(HUGE), _leaf(OTHER)
    out = F.cosine_similarity(x1, x2)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0.0, 0.0])  # row 2: (3·4 + 4·(−3)) / 25
    np.testing.assert_array_equal(x1.grad[0], [0.0, 0.0])
    np.testing.assert_allclose(x1.grad[1], [4.0, -3.0] / np.float64(25.0), rtol=1e-12)


def test_cosine_similarity_of_a_float32_norm_that_overflows_equals_pytorchs():
    torch = pytest.importorskip("torch")
    scale = np.array([[1e25], [1.0]], dtype=np.float32)  # (1e25)² overflows float32
    a, b = HUGE / HUGE.max(1, keepdims=True) * scale, OTHER / OTHER.max(1, keepdims=True)
    ours = [cr.tensor(v.astype(np.float32), requires_grad=True) for v in (a, b)]
    mine = F.cosine_similarity(*ours)
    mine.sum().backward()
    theirs = [torch.tensor(v.astype(np.float32), requires_grad=True) for v in (a, b)]
    out = torch.nn.functional.cosine_similarity(*theirs)
    out.sum().backward()
    np.testing.assert_allclose(mine.data, out.detach().numpy(), rtol=1e-6)
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, y.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_gaussian_nll_with_an_infinite_variance_is_infinite_with_zero_gradients():
    # ½·(ln v + (x − t)²/v) at v = inf: inf, and d/dx = (x − t)/v = 0, d/dv = ½(1/v − d²/v²) = 0
    x, t, v = _leaf([1.0, 2.0]), np.array([0.5, -1.0]), _leaf([np.inf, 2.0])
    loss = F.gaussian_nll_loss(x, t, v, reduction="none")
    loss.sum().backward()
    assert loss.data[0] == np.inf
    np.testing.assert_allclose(loss.data[1], 0.5 * (np.log(2.0) + 9.0 / 2.0), rtol=1e-12)
    np.testing.assert_array_equal([x.grad[0], v.grad[0]], [0.0, 0.0])
    np.testing.assert_allclose([x.grad[1], v.grad[1]], [1.5, 0.5 * (0.5 - 9.0 / 4.0)])


def test_gaussian_nll_with_an_infinite_variance_equals_pytorchs():
    torch = pytest.importorskip("torch")
    x, t, v = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([np.inf, 1e-9])
    ours = [_leaf(x), _leaf(v)]
    F.gaussian_nll_loss(ours[0], t, ours[1]).backward()
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)]
    torch.nn.functional.gaussian_nll_loss(theirs[0], torch.tensor(t), theirs[1]).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)


def test_pairwise_distance_with_p_zero_counts_the_differing_elements_and_backward_runs():
    # ‖x₁ − x₂ + eps‖₀ with eps = 0: how many elements differ; its gradient is 0
    a, b = (
        np.array([[1.0, 2.0, 3.0], [0.0, 5.0, -1.0]]),
        np.array([[1.0, 0.0, 3.0], [2.0, 5.0, 4.0]]),
    )
    x1, x2 = _leaf(a), _leaf(b)
    out = F.pairwise_distance(x1, x2, p=0, eps=0.0)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, (a != b).sum(axis=1))
    np.testing.assert_array_equal(x1.grad, np.zeros_like(a))
    np.testing.assert_array_equal(x2.grad, np.zeros_like(b))


def test_pairwise_distance_with_p_zero_requires_grad_as_pytorchs():
    torch = pytest.importorskip("torch")
    a, b = (
        np.array([[1.0, 2.0, 3.0], [0.0, 5.0, -1.0]]),
        np.array([[1.0, 0.0, 3.0], [2.0, 5.0, 4.0]]),
    )
    ours = F.pairwise_distance(_leaf(a), _leaf(b), p=0)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    theirs = torch.nn.functional.pairwise_distance(ta, tb, p=0)
    assert ours.requires_grad is theirs.requires_grad is True
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())


def test_unflatten_of_a_0d_tensor_is_a_value_error_that_says_so():
    # PyTorch refuses it too ("Dimension specified as 0 but tensor has no dimensions")
    with pytest.raises(ValueError, match="0-d tensor has no dimension to unflatten"):
        nn.Unflatten(0, (1,))(cr.tensor(2.0))
