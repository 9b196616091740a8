"""Gradients of gradients: create_graph, cr.grad composition, mixed partials, Newton's
method and second-order gradcheck. Expected values are closed-form derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F64 = "float64"
POINTS = np.array([-1.7, -0.6, -0.05, 0.3, 0.9, 2.1])
POSITIVE = np.array([0.2, 0.75, 1.0, 2.5, 7.0])


def leaf(value):
    return cr.tensor(value, dtype=F64, requires_grad=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _elementwise_derivative(fn, order, xs):
    """The ``order``-th derivative of an elementwise ``fn`` at every point of ``xs``,
    by nesting cr.grad over the sum (the Jacobian of an elementwise map is diagonal)."""
    g = fn
    for _ in range(order):
        g = _grad_of_sum(g)
    return np.asarray(g(cr.tensor(np.asarray(xs, dtype=np.float64))).data)


def _grad_of_sum(fn):
    return cr.grad(lambda t: fn(t).sum())


# ----- create_graph on Tensor.backward ------------------------------------------------------
def test_backward_create_graph_gives_differentiable_grad_for_polynomial():
    # y = x³: dy/dx = 3x² (a Tensor), d²y/dx² = 6x
    x = leaf(1.5)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, cr.Tensor)
    assert g.requires_grad
    assert g.item() == pytest.approx(3 * 1.5**2, rel=1e-15)
    x.grad = None
    g.backward()
    assert x.grad == pytest.approx(6 * 1.5, rel=1e-15)


def test_backward_create_graph_then_backward_again_through_tanh():
    # y = tanh x: y' = 1 − tanh², y'' = −2 tanh (1 − tanh²).  The second backward goes
    # through the graph recorded by the first, which uses tanh's output.
    x = leaf(0.5)
    y = cr.tanh(x)
    y.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    t = np.tanh(0.5)
    assert x.grad == pytest.approx(-2 * t * (1 - t**2), rel=1e-13)


def test_backward_create_graph_with_retain_graph_through_exp_and_sin():
    # y = eˣ·sin x: y' = eˣ(sin x + cos x), y'' = 2eˣ cos x
    x = leaf(0.8)
    y = cr.exp(x) * cr.sin(x)
    y.backward(create_graph=True, retain_graph=True)
    g = x.grad
    assert g.item() == pytest.approx(np.exp(0.8) * (np.sin(0.8) + np.cos(0.8)), rel=1e-14)
    x.grad = None
    g.backward()
    assert x.grad == pytest.approx(2 * np.exp(0.8) * np.cos(0.8), rel=1e-13)


def test_create_graph_accumulates_as_tensor():
    # two create_graph backwards of x² at x = 3: .grad = 2x + 2x = 12, still differentiable
    x = leaf(3.0)
    (x * x).backward(create_graph=True)
    (x * x).backward(create_graph=True)
    g = x.grad
    assert isinstance(g, cr.Tensor)
    assert g.item() == pytest.approx(12.0, abs=0)
    x.grad = None
    g.backward()
    assert x.grad == pytest.approx(4.0, abs=0)


# ----- second derivatives against closed forms ------------------------------------------------
SECOND = [
    ("tanh", cr.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), POINTS),
    (
        "sigmoid",
        cr.sigmoid,
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
        POINTS,
    ),
    ("cube", lambda t: t**3, lambda x: 6 * x, POINTS),
    ("cube_by_mul", lambda t: t * t * t, lambda x: 6 * x, POINTS),
    ("exp", cr.exp, np.exp, POINTS),
    ("log", cr.log, lambda x: -1 / x**2, POSITIVE),
    ("sin", cr.sin, lambda x: -np.sin(x), POINTS),
    ("cos", cr.cos, lambda x: -np.cos(x), POINTS),
    ("sqrt", cr.sqrt, lambda x: -0.25 * x**-1.5, POSITIVE),
    ("reciprocal", lambda t: 1.0 / t, lambda x: 2 / x**3, POSITIVE),
    ("sin_times_exp", lambda t: cr.sin(t) * cr.exp(t), lambda x: 2 * np.exp(x) * np.cos(x), POINTS),
    (
        "tanh_of_square",
        lambda t: cr.tanh(t * t),
        # f' = 2x(1 − T²), f'' = 2(1 − T²)(1 − 4x²T) with T = tanh(x²)
        lambda x: 2 * (1 - np.tanh(x**2) ** 2) * (1 - 4 * x**2 * np.tanh(x**2)),
        POINTS,
    ),
    (
        "log_of_sigmoid",
        lambda t: cr.log(cr.sigmoid(t)),
        lambda x: -_sigmoid(x) * (1 - _sigmoid(x)),
        POINTS,
    ),
]


@pytest.mark.parametrize(("name", "fn", "d2", "xs"), SECOND, ids=[s[0] for s in SECOND])
def test_second_derivative_with_nested_grad(name, fn, d2, xs):
    got = _elementwise_derivative(fn, 2, xs)
    np.testing.assert_allclose(got, d2(xs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "fn", "d2", "xs"), SECOND, ids=[s[0] for s in SECOND])
def test_second_derivative_with_backward_twice(name, fn, d2, xs):
    x = leaf(xs)
    fn(x).sum().backward(create_graph=True, retain_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, d2(xs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("name", "fn", "d3", "xs"),
    [
        ("cube", lambda t: t**3, lambda x: np.full_like(x, 6.0), POINTS),
        ("sin", cr.sin, lambda x: -np.cos(x), POINTS),
        ("exp", cr.exp, np.exp, POINTS),
        ("log", cr.log, lambda x: 2 / x**3, POSITIVE),
        # tanh''' = (1 − T²)(6T² − 2)
        ("tanh", cr.tanh, lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2), POINTS),
    ],
)
def test_third_derivative(name, fn, d3, xs):
    got = _elementwise_derivative(fn, 3, xs)
    np.testing.assert_allclose(got, d3(xs), rtol=1e-11, atol=1e-13)


def test_fourth_derivative_of_x_to_the_fifth():
    # d⁴/dx⁴ x⁵ = 120x
    got = _elementwise_derivative(lambda t: t**5, 4, POINTS)
    np.testing.assert_allclose(got, 120 * POINTS, rtol=1e-12)


# ----- mixed partials ---------------------------------------------------------------------------
def _x2y3(x, y):
    return x**2 * y**3


MIXED_POINTS = [(1.5, -0.7), (-2.0, 0.5), (0.3, 1.9)]


@pytest.mark.parametrize(("xv", "yv"), MIXED_POINTS)
def test_mixed_partial_with_nested_grad(xv, yv):
    # f = x²y³: ∂f/∂x = 2xy³, ∂²f/∂y∂x = 6xy²
    x, y = np.float64(xv), np.float64(yv)
    d_xy = cr.grad(cr.grad(_x2y3, 0), 1)(x, y)
    assert d_xy.item() == pytest.approx(6 * xv * yv**2, rel=1e-13)
    d_yx = cr.grad(cr.grad(_x2y3, 1), 0)(x, y)
    assert d_yx.item() == pytest.approx(6 * xv * yv**2, rel=1e-13)


@pytest.mark.parametrize(("xv", "yv"), MIXED_POINTS)
def test_mixed_partial_with_nested_grad_on_tensor_inputs(xv, yv):
    x, y = leaf(xv), leaf(yv)
    d_xy = cr.grad(cr.grad(_x2y3, 0), 1)(x, y)
    assert d_xy.item() == pytest.approx(6 * xv * yv**2, rel=1e-13)


@pytest.mark.parametrize(("xv", "yv"), MIXED_POINTS)
def test_mixed_partial_with_backward_twice(xv, yv):
    x, y = leaf(xv), leaf(yv)
    f = _x2y3(x, y)
    f.backward(create_graph=True, retain_graph=True)
    gx = x.grad
    assert gx.item() == pytest.approx(2 * xv * yv**3, rel=1e-14)
    assert y.grad.item() == pytest.approx(3 * xv**2 * yv**2, rel=1e-14)
    x.grad = y.grad = None
    gx.backward()
    assert y.grad == pytest.approx(6 * xv * yv**2, rel=1e-13)  # ∂²f/∂y∂x = 6xy²
    assert x.grad == pytest.approx(2 * yv**3, rel=1e-13)  # ∂²f/∂x² = 2y³


def test_mixed_partial_of_pow_at_a_zero_exponent():
    # f = xʸ: ∂f/∂x = y·xʸ⁻¹ and ∂f/∂y = xʸ·ln x, so ∂²f/∂y∂x = xʸ⁻¹ + y·xʸ⁻¹·ln x and
    # ∂²f/∂x∂y = y·xʸ⁻¹·ln x + xʸ⁻¹: both 1/x at y = 0, where ∂f/∂x itself is 0
    xs = np.array([2.0, 0.5, -4.0])
    x, y = leaf(xs), leaf(np.zeros(3))
    (x**y).sum().backward(create_graph=True)
    gx, gy = x.grad, y.grad
    np.testing.assert_array_equal(gx.data, [0.0, 0.0, 0.0])
    x.grad = y.grad = None
    gx.sum().backward(retain_graph=True)
    np.testing.assert_allclose(y.grad, 1 / xs, rtol=1e-15)
    x.grad = y.grad = None
    gy[:2].sum().backward()  # ln x is NaN for x < 0
    np.testing.assert_allclose(x.grad[:2], 1 / xs[:2], rtol=1e-15)


def test_mixed_partial_of_pow_at_a_zero_exponent_when_the_first_gradient_is_in_x_only():
    # the same ∂²f/∂y∂x = 1/x at y = 0 when the first gradient is taken in x alone (cr.grad
    # of one argument): y, not differentiated then, is still in the recorded gradient
    xs = np.array([2.0, 0.5, -4.0])
    d2 = cr.grad(lambda y, x: cr.grad(lambda x, y: (x**y).sum(), 0)(x, y).sum(), 0)
    np.testing.assert_allclose(d2(np.zeros(3), xs).data, 1 / xs, rtol=1e-15)


def test_hessian_of_two_variable_function():
    # f = x²y³: H = [[2y³, 6xy²], [6xy², 6x²y]]
    xv, yv = 1.5, -0.7
    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            hessian[i, j] = cr.grad(cr.grad(_x2y3, i), j)(leaf(xv), leaf(yv)).item()
    expected = np.array([[2 * yv**3, 6 * xv * yv**2], [6 * xv * yv**2, 6 * xv**2 * yv]])
    np.testing.assert_allclose(hessian, expected, rtol=1e-13)


# ----- cr.grad and cr.value_and_grad --------------------------------------------------------------
def test_grad_with_int_argnums():
    # f = x²y³ at (2, 3): ∂f/∂x = 2xy³ = 108, ∂f/∂y = 3x²y² = 108
    x, y = np.float64(2.0), np.float64(3.0)
    gx = cr.grad(_x2y3)(x, y)
    assert isinstance(gx, cr.Tensor)
    assert gx.item() == pytest.approx(108.0, abs=0)
    assert cr.grad(_x2y3, 1)(x, y).item() == pytest.approx(108.0, abs=0)
    # at (1.5, −0.5): 2·1.5·(−0.125) = −0.375, 3·2.25·0.25 = 1.6875
    assert cr.grad(_x2y3, 0)(np.float64(1.5), np.float64(-0.5)).item() == -0.375
    assert cr.grad(_x2y3, 1)(np.float64(1.5), np.float64(-0.5)).item() == 1.6875


def test_grad_with_tuple_argnums():
    gx, gy = cr.grad(_x2y3, (0, 1))(np.float64(1.5), np.float64(-0.5))
    assert gx.item() == -0.375
    assert gy.item() == 1.6875
    (only_y,) = cr.grad(_x2y3, (1,))(np.float64(1.5), np.float64(-0.5))
    assert only_y.item() == 1.6875


def test_value_and_grad_int_and_tuple_argnums():
    # f(1.5, −0.5) = 2.25 · (−0.125) = −0.28125
    value, gx = cr.value_and_grad(_x2y3)(np.float64(1.5), np.float64(-0.5))
    assert value.item() == -0.28125
    assert gx.item() == -0.375
    value, (gx, gy) = cr.value_and_grad(_x2y3, (0, 1))(np.float64(1.5), np.float64(-0.5))
    assert value.item() == -0.28125
    assert (gx.item(), gy.item()) == (-0.375, 1.6875)


def test_grad_of_array_argument_and_kwargs():
    # f(w; scale) = scale · Σ w²: ∇f = 2·scale·w
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = cr.grad(lambda w, scale: scale * (w * w).sum())(w, scale=0.5)
    np.testing.assert_array_equal(g.data, w)


def test_grad_does_not_touch_dot_grad():
    x = leaf(2.0)
    g = cr.grad(lambda t: t * t)(x)
    assert g.item() == 4.0
    assert x.grad is None


def test_grad_leaves_the_graph_outside_the_function_alone():
    # h = w² is computed before; cr.grad of Σ x·h in x is h = [1, 4]. h's branch leads to no
    # argument: it is not released, its hook not called, its retained .grad not set, so
    # h's own backward still works afterwards: ∂Σh/∂w = 2w = [2, 4]
    w = leaf([1.0, 2.0])
    h = w * w
    h.retain_grad()
    seen = []
    h.register_hook(seen.append)
    g = cr.grad(lambda x: (x * h).sum())(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(g.data, [1.0, 4.0])
    assert h.grad is None
    assert seen == []
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    assert len(seen) == 1


def test_grad_works_inside_no_grad_and_returns_plain_values():
    with cr.no_grad():
        g = cr.grad(lambda t: t**3)(2.0)
        value, (gx, gy) = cr.value_and_grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
            np.array([1.0, 2.0]), np.array([3.0, 4.0])
        )
    assert g.item() == 12.0
    assert not g.requires_grad
    assert value.item() == 11.0
    assert not value.requires_grad
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gy.data, [1.0, 2.0])


def test_gradcheck_of_a_function_that_takes_a_gradient():
    # gradcheck evaluates f under no_grad for finite differences; f's own grad still works.
    # d/dt Σ ∂(u³)/∂u at t = Σ 6t
    f = lambda t: cr.grad(lambda u: (u**3).sum())(t).sum()  # noqa: E731
    assert cr.gradcheck(f, [np.array([1.2, -2.3])])
    numeric = cr.numerical_grad(f, [np.array([1.2, -2.3])])[0]
    np.testing.assert_allclose(numeric, [7.2, -13.8], rtol=1e-6)


def test_grad_of_grad():
    # f = x⁴: f'' = 12x²; f''' = 24x
    f = lambda t: t**4  # noqa: E731
    for xv in (-1.5, 0.5, 2.0):
        x = np.float64(xv)
        assert cr.grad(cr.grad(f))(x).item() == pytest.approx(12 * xv**2, rel=1e-14)
        assert cr.grad(cr.grad(cr.grad(f)))(x).item() == pytest.approx(24 * xv, rel=1e-14)


def test_grad_of_grad_of_linear_function_is_zero():
    # f = 3x: f' = 3 (a constant), f'' = 0
    f = lambda t: 3.0 * t  # noqa: E731
    assert cr.grad(f)(np.float64(2.0)).item() == 3.0
    assert cr.grad(cr.grad(f))(np.float64(2.0)).item() == 0.0


def test_grad_rejects_non_scalar_output():
    with pytest.raises(ValueError, match="one-element"):
        cr.grad(lambda t: t * 2.0)(np.array([1.0, 2.0]))


def test_grad_argnums_out_of_range():
    with pytest.raises(ValueError, match="argnums"):
        cr.grad(lambda t: t.sum(), 1)(np.array([1.0]))


def test_an_argument_named_twice_in_argnums_gets_its_gradient_each_time():
    # f = x²y³ at (1.5, −0.5): ∂f/∂x = −0.375, ∂f/∂y = 1.6875; -2 names x as 0 does
    x, y = np.float64(1.5), np.float64(-0.5)
    grads = cr.grad(_x2y3, (0, -2, 1, 0))(x, y)
    assert [g.item() for g in grads] == [-0.375, -0.375, 1.6875, -0.375]


def test_argnums_may_be_numpy_integers_and_anything_else_is_named():
    x, y = np.float64(1.5), np.float64(-0.5)
    assert cr.grad(_x2y3, np.int64(1))(x, y).item() == 1.6875
    (gy,) = cr.grad(_x2y3, [np.int64(1)])(x, y)
    assert gy.item() == 1.6875
    with pytest.raises(TypeError, match=r"argnums .*1\.0"):
        cr.grad(_x2y3, 1.0)


def test_grad_stays_differentiable_for_a_keyword_argument_that_requires_grad():
    # f = x²y³: ∂f/∂x = 2xy³ and its derivative in y is 6xy² = 6·1.5·0.25 = 2.25
    y = leaf(-0.5)
    gx = cr.grad(_x2y3)(np.float64(1.5), y=y)
    assert gx.item() == -0.375
    gx.backward()
    assert y.grad == 2.25


# ----- Newton's method ------------------------------------------------------------------------
def test_newtons_method_on_quartic_converges_to_one():
    # y = x⁴ − 2x²: y' = 4x³ − 4x, y'' = 12x² − 4; from x = 2 Newton converges to the minimum 1
    def f(x):
        return x**4 - 2 * x**2

    df = cr.grad(f)
    d2f = cr.grad(cr.grad(f))
    x = np.float64(2.0)
    for _ in range(50):
        step = df(x).item() / d2f(x).item()
        x = x - step
        if abs(step) < 1e-15:
            break
    assert abs(x - 1.0) < 1e-10


def test_newtons_method_with_backward_and_create_graph():
    x = leaf(2.0)
    for _ in range(50):
        y = x**4 - 2 * x**2
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.backward()
        with cr.no_grad():
            x = x - g / x.grad
        x.requires_grad = True
    assert abs(x.item() - 1.0) < 1e-10


# ----- gradcheck with second order ----------------------------------------------------------
def test_gradcheck_second_order_tanh_of_matmul():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3)) * 0.5
    w = rng.standard_normal((3, 4)) * 0.5
    assert cr.gradcheck(lambda x, w: cr.tanh(x @ w), [x, w], check_second_order=True)


def test_gradcheck_second_order_softmax():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4))
    assert cr.gradcheck(lambda x: cr.softmax(x, axis=-1), [x], check_second_order=True)
    assert cr.gradcheck(lambda x: cr.softmax(x, axis=0), [x], check_second_order=True)


def test_gradcheck_second_order_log_softmax():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4))
    assert cr.gradcheck(lambda x: cr.log_softmax(x), [x], check_second_order=True)


def test_gradcheck_second_order_mixed_elementwise():
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 2.0, size=(3,))
    y = rng.uniform(-1.0, 1.0, size=(3,))
    assert cr.gradcheck(
        lambda x, y: cr.log(x) * cr.sigmoid(y) + cr.sqrt(x) / (1.0 + y * y) + cr.exp(x * y),
        [x, y],
        check_second_order=True,
    )


def test_gradcheck_second_order_catches_a_wrong_second_derivative():
    # A custom op whose backward is right at first order but saves a non-input value, so its
    # second derivative is wrong: for x³ it saves 3x² (treated as a constant), giving
    # d²/dx² = 0 instead of 6x.
    class CubeSavingSlope(cr.Function):
        def forward(self, x):
            self.saved = (3 * x**2,)
            return x**3

        def backward(self, grad_out):
            (slope,) = self.saved
            return grad_out * slope

    x = np.array([0.5, -1.2, 2.0])
    assert cr.gradcheck(lambda t: CubeSavingSlope()(t), [x])
    with pytest.raises(cr.GradcheckError, match=r"^second-order check"):
        cr.gradcheck(lambda t: CubeSavingSlope()(t), [x], check_second_order=True)


def test_gradcheck_second_order_of_a_function_that_ignores_its_input():
    # f(x) = 3 (a constant): every derivative is 0, which both orders confirm
    x = np.array([0.5, -1.2])
    const = lambda t: cr.tensor(3.0, dtype=F64)  # noqa: E731
    assert cr.gradcheck(const, [x], check_second_order=True)


def test_gradcheck_says_when_values_are_not_finite_and_how_to_localize():
    # d/dx sqrt(x) at 0: analytic inf, numeric NaN (sqrt of −ε)
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(cr.sqrt, [np.array([0.0, 4.0])])
    message = str(info.value)
    assert "of 4 entries not finite on one side" in message  # the 2×2 Jacobian
    assert "largest finite absolute error" in message
    assert "localize=True" in message


# ----- detached values are constants in higher derivatives -------------------------------------
@pytest.mark.parametrize(
    "stop",
    [lambda t: t.detach(), lambda t: cr.tensor(t)],
    ids=["detach", "tensor_copy"],
)
def test_value_sharing_data_with_input_is_constant_in_second_derivative(stop):
    # f(a) = stop(a)·a + a³: f' = a + 3a², f'' = 6a (stop(a) is a constant)
    av = 1.5
    for f in (lambda t: stop(t) * t + t**3, lambda t: t * stop(t) + t**3):
        assert cr.grad(f)(leaf(av)).item() == pytest.approx(av + 3 * av**2, rel=1e-15)
        assert cr.grad(cr.grad(f))(leaf(av)).item() == pytest.approx(6 * av, rel=1e-15)


def test_grad_differentiates_the_argument_not_other_uses_of_the_same_tensor():
    # by hand: d/dy (x·y) = x = 3. Nested: the inner derivative d/dy (x·y²) = 2xy, at y = x
    # it is 2x², whose derivative is 4x = 12 at x = 3 (torch.func.grad agrees)
    x = cr.tensor(3.0, dtype="float64", requires_grad=True)
    assert cr.grad(lambda y: x * y)(x).item() == 3.0
    inner = cr.grad(lambda x: cr.grad(lambda y: x * y * y)(x))
    assert inner(3.0).item() == 12.0
    # the same tensor passed twice: ∂(a·b²)/∂a = b² = 4, ∂(a·b²)/∂b = 2ab = 8
    t = cr.tensor(2.0, dtype="float64", requires_grad=True)
    da, db = cr.grad(lambda a, b: a * b * b, (0, 1))(t, t)
    assert (da.item(), db.item()) == (4.0, 8.0)
    assert t.grad is None


def test_a_custom_backward_using_numpy_functions_names_itself_under_create_graph():
    class NpSin(cr.Function):
        """d/dx sin x = cos x, but written with NumPy."""

        def forward(self, x):
            self.saved = (x,)
            return np.sin(x)

        def backward(self, grad_out):
            (x,) = self.saved
            return grad_out * np.cos(x)

    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    NpSin()(x).backward()  # first order: arrays, fine
    assert x.grad == pytest.approx(np.cos(0.5), rel=1e-15)
    with pytest.raises(
        TypeError,
        match=r"NpSin\.backward failed with create_graph=True: .*"
        r"chainrule ops",
    ):
        cr.grad(cr.grad(lambda t: NpSin()(t)))(0.5)


def test_a_plain_bug_in_a_custom_backward_is_not_blamed_on_numpy_under_create_graph():
    class Buggy(cr.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return grad_out * len(3)  # a bug of its own, not a NumPy function on a Tensor

    with pytest.raises(TypeError, match=r"^object of type 'int' has no len\(\)$"):
        cr.grad(cr.grad(lambda t: Buggy()(t) ** 2))(0.5)
