"""clip_grad_norm_ on gradients whose squares overflow float64: the norm is measured (by
hand here with math.hypot and exact Python sums, which do not overflow) and the gradients
are clipped to max_norm, where a plain Σg² would be inf and leave them as they were."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _with_grads(*grads) -> list[cr.Tensor]:
    params = []
    for g in grads:
        g = np.asarray(g)
        p = cr.tensor(np.zeros(g.shape, g.dtype), requires_grad=True)
        p.grad = g.copy()
        params.append(p)
    return params


def _values(params) -> list[float]:
    return [float(v) for p in params for v in np.asarray(p.grad).reshape(-1)]


def test_float64_gradients_of_1e200_are_clipped_to_max_norm():
    grads = [np.array([1e200, -2e200]), np.array([[2e200], [4e200]])]
    params = _with_grads(*grads)
    by_hand = math.hypot(1e200, 2e200, 2e200, 4e200)  # 5e200
    total = optim.clip_grad_norm_(params, max_norm=2.0)
    assert total == pytest.approx(by_hand, rel=1e-14)
    assert total == pytest.approx(5e200, rel=1e-14)
    assert math.hypot(*_values(params)) == pytest.approx(2.0, rel=1e-12)
    np.testing.assert_allclose(params[0].grad, [0.4, -0.8], rtol=1e-12)
    np.testing.assert_allclose(params[1].grad, [[0.8], [1.6]], rtol=1e-12)


def test_a_huge_float64_gradient_beside_float32_ones_is_measured_in_one_norm():
    small = np.array([3.0, 4.0], np.float32)
    params = _with_grads(small, np.array([1e160]))
    total = optim.clip_grad_norm_(params, max_norm=1.0)
    assert total == pytest.approx(math.hypot(3.0, 4.0, 1e160), rel=1e-14)
    assert params[0].grad.dtype == np.float32  # scaled in place, in its own dtype
    np.testing.assert_allclose(params[1].grad, [1.0], rtol=1e-12)
    assert math.hypot(*_values(params)) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize(
    ("q", "by_hand"),
    [
        (3.0, 1e200 * (1 + 8 + 8) ** (1 / 3)),  # m · (Σ |g/m|³)^(1/3), m = 2e200 or 1e200
        (4.0, 1e200 * (1 + 16 + 16) ** (1 / 4)),
    ],
    ids=["q=3", "q=4"],
)
def test_other_norm_types_of_huge_gradients(q, by_hand):
    # (1e200)³ overflows float64 (q <= 1 and inf never overflow before the norm does)
    params = _with_grads(np.array([1e200, -2e200, 2e200]))
    before = np.array(params[0].grad)
    total = optim.clip_grad_norm_(params, max_norm=1.0, norm_type=q)
    assert total == pytest.approx(by_hand, rel=1e-13)
    np.testing.assert_allclose(params[0].grad, before * (1.0 / (by_hand + 1e-6)), rtol=1e-12)


def test_only_a_norm_beyond_float64s_range_or_an_inf_gradient_leaves_them_unclipped():
    # ‖(1e308, 1e308, 1e308)‖ = 1.7e308 fits; four of them make 2e308, which does not
    params = _with_grads(np.full(4, 1e308))
    total = optim.clip_grad_norm_(params, max_norm=1.0)
    assert total == math.inf
    np.testing.assert_array_equal(params[0].grad, np.full(4, 1e308))
    fits = _with_grads(np.full(3, 1e308))
    assert optim.clip_grad_norm_(fits, max_norm=1.0) == pytest.approx(math.sqrt(3) * 1e308)
    assert math.hypot(*_values(fits)) == pytest.approx(1.0, rel=1e-12)
    with_inf = _with_grads(np.array([1e200, math.inf]))  # no scale makes inf finite
    assert optim.clip_grad_norm_(with_inf, max_norm=1.0) == math.inf
    np.testing.assert_array_equal(with_inf[0].grad, [1e200, math.inf])
    with pytest.raises(ValueError, match="total norm of the gradients is inf"):
        optim.clip_grad_norm_(with_inf, max_norm=1.0, error_if_nonfinite=True)


@needs_torch
def test_where_pytorchs_norm_is_finite_the_totals_and_gradients_agree():
    # float64 gradients of 1e150: their squares (1e300) still fit, so PyTorch's plain sum is
    # right, and it must agree with the path chainrule takes for larger ones
    grads = [np.array([1e150, -2e150]), np.array([3e150])]
    ours = _with_grads(*grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads, strict=True):
        t.grad = torch.tensor(g)
    expected = float(torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.0))
    assert optim.clip_grad_norm_(ours, max_norm=1.0) == pytest.approx(expected, rel=1e-14)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-13)
    # 1e10 times larger, PyTorch's squares overflow (its total is inf); chainrule's total
    # is 1e10 times its previous one and the clipped gradients are the same
    big = _with_grads(*(g * 1e10 for g in grads))
    assert optim.clip_grad_norm_(big, max_norm=1.0) == pytest.approx(expected * 1e10, rel=1e-14)
    for p, t in zip(big, theirs, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
