"""The small computational graphs of the backpropagation tutorials, worked by hand.

Every expected number below is derived on paper (or from a closed-form formula evaluated
with NumPy), never by running chainrule. All tensors are float64 so the tolerances can be
tight.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F64 = "float64"


def leaf(value):
    return cr.tensor(value, dtype=F64, requires_grad=True)


# ----- add and mul nodes -------------------------------------------------------------------
def test_add_node_passes_upstream_gradient_unchanged():
    # z = x + y: ∂z/∂x = ∂z/∂y = 1, so each input receives the upstream gradient as is.
    x, y = leaf(2.0), leaf(-5.0)
    z = x + y
    assert z.item() == -3.0
    z.backward(np.float64(1.3))
    assert x.grad == pytest.approx(1.3, abs=0)
    assert y.grad == pytest.approx(1.3, abs=0)


def test_add_node_routes_an_array_upstream_gradient_to_both_inputs():
    x, y = leaf([1.0, 2.0, 3.0]), leaf([10.0, 20.0, 30.0])
    upstream = np.array([0.5, -1.0, 2.0])
    (x + y).backward(upstream)
    np.testing.assert_array_equal(x.grad, [0.5, -1.0, 2.0])
    np.testing.assert_array_equal(y.grad, [0.5, -1.0, 2.0])


def test_mul_node_sends_each_input_the_other_input_times_upstream():
    # z = x·y: ∂z/∂x = y, ∂z/∂y = x.  With x = 3, y = −4 and upstream 1.5:
    # dx = −4 · 1.5 = −6, dy = 3 · 1.5 = 4.5
    x, y = leaf(3.0), leaf(-4.0)
    z = x * y
    assert z.item() == -12.0
    z.backward(np.float64(1.5))
    assert x.grad == pytest.approx(-6.0, abs=0)
    assert y.grad == pytest.approx(4.5, abs=0)


def test_mul_node_elementwise_with_array_upstream():
    x, y = leaf([1.0, -2.0]), leaf([5.0, 0.25])
    (x * y).backward(np.array([2.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [5.0 * 2.0, 0.25 * 4.0])
    np.testing.assert_array_equal(y.grad, [1.0 * 2.0, -2.0 * 4.0])


# ----- z = (x + y)² through an intermediate t = x + y ----------------------------------------
@pytest.mark.parametrize(("xv", "yv"), [(-2.0, 5.0), (0.5, 0.25), (3.0, -3.0)])
def test_square_of_sum_through_intermediate(xv, yv):
    # t = x + y, z = t²: dz/dt = 2t, dt/dx = dt/dy = 1, so dz/dx = dz/dy = 2(x + y)
    x, y = leaf(xv), leaf(yv)
    t = x + y
    z = t * t
    z.backward()
    expected = 2.0 * (xv + yv)
    assert x.grad == pytest.approx(expected, rel=1e-15, abs=1e-15)
    assert y.grad == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_square_of_sum_with_pow_node():
    # same graph, with z = t ** 2: x = −2, y = 5 -> t = 3, dz/dx = dz/dy = 6, z = 9
    x, y = leaf(-2.0), leaf(5.0)
    t = x + y
    t.retain_grad()
    z = t**2
    z.backward()
    assert z.item() == 9.0
    assert t.grad == pytest.approx(6.0)
    assert x.grad == pytest.approx(6.0)
    assert y.grad == pytest.approx(6.0)


# ----- sigmoid from primitive nodes -----------------------------------------------------------
POINTS = np.array([-4.0, -1.5, -0.3, 0.0, 0.7, 2.0, 5.0])


def _sigmoid_reference(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_sigmoid_from_neg_exp_add_reciprocal_matches_closed_form():
    # σ(x) = 1 / (1 + e^(−x)) as four nodes: neg, exp, add 1, reciprocal (1 / ·).
    x = leaf(POINTS)
    a = -x
    b = cr.exp(a)
    c = b + 1.0
    y = 1.0 / c
    y.sum().backward()
    s = _sigmoid_reference(POINTS)
    np.testing.assert_allclose(y.data, s, rtol=1e-15)
    np.testing.assert_allclose(x.grad, s * (1.0 - s), rtol=1e-13, atol=1e-16)


def test_sigmoid_composed_gradient_equals_sigmoid_op_gradient():
    x1, x2 = leaf(POINTS), leaf(POINTS)
    composed = 1.0 / (1.0 + cr.exp(-x1))
    fused = cr.sigmoid(x2)
    upstream = np.linspace(-1.0, 2.0, POINTS.size)
    composed.backward(upstream)
    fused.backward(upstream)
    np.testing.assert_allclose(composed.data, fused.data, rtol=1e-14)
    np.testing.assert_allclose(x1.grad, x2.grad, rtol=1e-12, atol=1e-16)
    s = _sigmoid_reference(POINTS)
    np.testing.assert_allclose(x2.grad, upstream * s * (1.0 - s), rtol=1e-13, atol=1e-16)


def test_sigmoid_node_by_node_gradients():
    # At x = 0: a = 0, b = e⁰ = 1, c = 2, y = ½.
    # dy/dc = −1/c² = −¼; dc/db = 1; db/da = e^a = 1; da/dx = −1 -> dy/dx = ¼ = σ(1 − σ).
    x = leaf(0.0)
    a = -x
    b = cr.exp(a)
    c = b + 1.0
    y = 1.0 / c
    for t in (a, b, c):
        t.retain_grad()
    y.backward()
    assert y.item() == 0.5
    assert c.grad == pytest.approx(-0.25, abs=0)
    assert b.grad == pytest.approx(-0.25, abs=0)
    assert a.grad == pytest.approx(-0.25, abs=0)
    assert x.grad == pytest.approx(0.25, abs=0)


# ----- the apple-shopping graph ---------------------------------------------------------------
def test_apple_shopping_graph():
    # price = apple · count · tax = 100 · 2 · 1.1 = 220
    # ∂price/∂apple = count · tax = 2.2
    # ∂price/∂count = apple · tax = 110
    # ∂price/∂tax   = apple · count = 200
    apple, count, tax = leaf(100.0), leaf(2.0), leaf(1.1)
    apple_price = apple * count
    apple_price.retain_grad()
    price = apple_price * tax
    price.backward()
    assert price.item() == pytest.approx(220.0, rel=1e-15)
    assert apple.grad == pytest.approx(2.2, rel=1e-15)
    assert count.grad == pytest.approx(110.0, rel=1e-15)
    assert tax.grad == pytest.approx(200.0, rel=1e-15)
    # the intermediate "apple price" node (200) receives ∂price/∂(apple·count) = tax = 1.1
    assert apple_price.item() == 200.0
    assert apple_price.grad == pytest.approx(1.1, rel=1e-15)


def test_apple_and_orange_shopping_graph():
    # The tutorial's second graph: 2 apples at 100, 3 oranges at 150, tax 1.1.
    # total = (100·2 + 150·3) · 1.1 = 650 · 1.1 = 715
    # ∂/∂apple = 2·1.1 = 2.2, ∂/∂apple_count = 100·1.1 = 110,
    # ∂/∂orange = 3·1.1 = 3.3, ∂/∂orange_count = 150·1.1 = 165, ∂/∂tax = 650
    apple, n_apple, orange, n_orange, tax = (leaf(v) for v in (100.0, 2.0, 150.0, 3.0, 1.1))
    total = (apple * n_apple + orange * n_orange) * tax
    total.backward()
    assert total.item() == pytest.approx(715.0, rel=1e-15)
    assert apple.grad == pytest.approx(2.2, rel=1e-15)
    assert n_apple.grad == pytest.approx(110.0, rel=1e-15)
    assert orange.grad == pytest.approx(3.3, rel=1e-15)
    assert n_orange.grad == pytest.approx(165.0, rel=1e-15)
    assert tax.grad == pytest.approx(650.0, rel=1e-15)
