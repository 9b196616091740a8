"""Gradient clipping against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


def with_grads(*grads) -> list[cr.Tensor]:
    params = []
    for g in grads:
        p = cr.tensor(np.zeros(np.shape(g)), requires_grad=True)
        p.grad = None if g is None else np.array(g, dtype=np.float64)
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together():
    a, b = with_grads([3.0, 0.0], [[0.0], [4.0]])  # total 2-norm √(9 + 16) = 5
    total = optim.clip_grad_norm_([a, b], max_norm=1.0)
    assert total == 5.0
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3 * coef, 0.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad, [[0.0], [4 * coef]], rtol=1e-15)
    new_total = math.sqrt(np.sum(a.grad**2) + np.sum(b.grad**2))
    assert new_total == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_matches_a_hand_computation_on_random_gradients():
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(s) for s in [(4, 5), (5,), (2, 3, 2)]]
    params = with_grads(*grads)
    by_hand = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    total = optim.clip_grad_norm_(params, max_norm=0.5)
    assert total == pytest.approx(by_hand, rel=1e-14)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad, g * 0.5 / (by_hand + 1e-6), rtol=1e-14)


def test_small_gradients_are_left_alone():
    (a,) = with_grads([0.3, 0.4])
    grad = a.grad
    assert optim.clip_grad_norm_(a, max_norm=1.0) == pytest.approx(0.5)
    assert a.grad is grad
    np.testing.assert_array_equal(a.grad, [0.3, 0.4])


@pytest.mark.parametrize(
    ("norm_type", "total"),
    [(1.0, 3 + 4 + 1), (math.inf, 4.0), (3.0, (27 + 64 + 1) ** (1 / 3))],
    ids=["l1", "inf", "l3"],
)
def test_other_norms(norm_type, total):
    a, b = with_grads([3.0, -4.0], [1.0])
    got = optim.clip_grad_norm_([a, b], max_norm=1.0, norm_type=norm_type)
    assert got == pytest.approx(total, rel=1e-14)
    np.testing.assert_allclose(b.grad, [1.0 / (total + 1e-6)], rtol=1e-14)


def test_skips_missing_gradients_and_keeps_dtype():
    a, b = with_grads([6.0, 8.0], None)
    c = cr.tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    c.grad = np.array([0.0, 0.0], dtype=np.float32)
    assert optim.clip_grad_norm_([a, b, c], max_norm=5.0) == pytest.approx(10.0)
    np.testing.assert_allclose(a.grad, np.array([6.0, 8.0]) * 5.0 / (10.0 + 1e-6), rtol=1e-15)
    np.testing.assert_array_equal(c.grad, [0.0, 0.0])
    assert b.grad is None
    assert c.grad.dtype == np.float32
    assert optim.clip_grad_norm_([b], max_norm=1.0) == 0.0


def test_tensor_gradients_are_scaled_without_overwriting_their_array():
    w = cr.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    (0.5 * (w * w).sum()).backward(create_graph=True)  # grad = w, a Tensor
    old = w.grad.data
    optim.clip_grad_norm_([w], max_norm=1.0)
    np.testing.assert_allclose(w.grad.data, [0.6, 0.8], rtol=1e-5)
    np.testing.assert_array_equal(old, [3.0, 4.0])


def test_non_finite_norms():
    (a,) = with_grads([np.inf, 1.0])
    with pytest.raises(ValueError, match="total norm of the gradients is inf"):
        optim.clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    assert optim.clip_grad_norm_([a], 1.0) == math.inf
    np.testing.assert_array_equal(a.grad, [np.inf, 1.0])  # left for the caller to skip


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_norm": -1.0}, r"max_norm must be a number >= 0 \(math.inf for no limit\), got -1.0"),
        ({"max_norm": 1.0, "norm_type": 0}, "norm_type must be > 0"),
        ({"max_norm": 1.0, "norm_type": -2}, "norm_type must be > 0"),
        (
            {"max_norm": 1.0, "norm_type": "fro"},
            r"norm_type must be > 0 \(or math.inf\), got 'fro'",
        ),
        ({"max_norm": 1.0, "norm_type": None}, r"norm_type must be > 0 \(or math.inf\), got None"),
    ],
)
def test_clip_grad_norm_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.clip_grad_norm_(with_grads([1.0]), **kwargs)


def test_an_infinite_bound_measures_without_clipping():
    # the norm of (3, 4) is 5; max_norm = inf is PyTorch's way to read it, changing nothing
    (a,) = with_grads([3.0, 4.0])
    assert optim.clip_grad_norm_([a], math.inf) == pytest.approx(5.0)
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    optim.clip_grad_value_([a], math.inf)
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    with pytest.raises(ValueError, match=r"max_norm must be a number >= 0 .*, got -inf"):
        optim.clip_grad_norm_([a], -math.inf)
    with pytest.raises(ValueError, match=r"max_norm must be a number >= 0 .*, got nan"):
        optim.clip_grad_norm_([a], math.nan)


def test_clip_grad_value():
    a, b = with_grads([-3.0, 0.5, 2.0], None)
    grad = a.grad
    optim.clip_grad_value_([a, b], 1.0)
    assert a.grad is grad
    np.testing.assert_array_equal(a.grad, [-1.0, 0.5, 1.0])
    assert b.grad is None
    with pytest.raises(ValueError, match=r"clip_value must be a number >= 0 .*, got -1"):
        optim.clip_grad_value_([a], -1)


def test_clipping_before_a_step():
    (w,) = with_grads([30.0, 40.0])
    opt = optim.SGD([w], lr=1.0)
    optim.clip_grad_norm_([w], max_norm=5.0)
    opt.step()
    np.testing.assert_allclose(w.data, [-3.0, -4.0], rtol=1e-6)


def test_clip_grad_norm_of_large_float32_gradients_is_computed_in_float64():
    # 3e19 squared overflows float32 (max 3.4e38); the true total is √2·3e19 ≈ 4.24e19
    p = cr.tensor(np.zeros(2, np.float32), requires_grad=True)
    p.grad = np.full(2, 3e19, np.float32)
    total = optim.clip_grad_norm_([p], max_norm=1.0)
    assert total == pytest.approx(math.sqrt(2) * float(np.float32(3e19)), rel=1e-6)
    np.testing.assert_allclose(p.grad, [1 / math.sqrt(2)] * 2, rtol=1e-5)
