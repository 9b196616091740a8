"""log1p expm1 log2 log10 reciprocal rsqrt tan sinh cosh arcsin/asin arccos/acos arctan/atan
erf erfc, and the step functions sign floor ceil round trunc: values and derivatives
against formulas worked here with the math module, gradients against finite differences,
second derivatives (create_graph) against gradcheck and their own formulas, float32 kept,
integer inputs promoted as exp promotes them, the edges without warnings, the aliases,
explain's rules, and PyTorch where it is installed."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest

import chainrule as cr

X = [-2.5, -1.0, -0.3, 0.2, 0.7, 1.3, 3.0]  # inside every domain below but the restricted ones
POSITIVE = [0.05, 0.3, 1.0, 2.0, 7.5]
UNIT = [-0.95, -0.5, -0.1, 0.0, 0.4, 0.9]  # inside (−1, 1)
TAN = [-1.4, -0.8, 0.0, 0.5, 1.2]  # inside (−π/2, π/2)
ABOVE_MINUS_ONE = [-0.9, -0.5, 1e-12, 0.5, 4.0]

# name -> (domain, value, first derivative, second derivative), each worked with math
FORMULAS = {
    "log1p": (
        ABOVE_MINUS_ONE,
        math.log1p,
        lambda v: 1 / (1 + v),
        lambda v: -1 / (1 + v) ** 2,
    ),
    "expm1": (X, math.expm1, math.exp, math.exp),
    "log2": (
        POSITIVE,
        math.log2,
        lambda v: 1 / (v * math.log(2)),
        lambda v: -1 / (v * v * math.log(2)),
    ),
    "log10": (
        POSITIVE,
        math.log10,
        lambda v: 1 / (v * math.log(10)),
        lambda v: -1 / (v * v * math.log(10)),
    ),
    "reciprocal": (
        [-2.5, -0.3, 0.2, 1.3, 3.0],
        lambda v: 1 / v,
        lambda v: -1 / v**2,
        lambda v: 2 / v**3,
    ),
    "rsqrt": (
        POSITIVE,
        lambda v: 1 / math.sqrt(v),
        lambda v: -0.5 * v**-1.5,
        lambda v: 0.75 * v**-2.5,
    ),
    "tan": (
        TAN,
        math.tan,
        lambda v: 1 / math.cos(v) ** 2,
        lambda v: 2 * math.sin(v) / math.cos(v) ** 3,
    ),
    "sinh": (X, math.sinh, math.cosh, math.sinh),
    "cosh": (X, math.cosh, math.sinh, math.cosh),
    "arcsin": (
        UNIT,
        math.asin,
        lambda v: 1 / math.sqrt(1 - v * v),
        lambda v: v / (1 - v * v) ** 1.5,
    ),
    "arccos": (
        UNIT,
        math.acos,
        lambda v: -1 / math.sqrt(1 - v * v),
        lambda v: -v / (1 - v * v) ** 1.5,
    ),
    "arctan": (
        X,
        math.atan,
        lambda v: 1 / (1 + v * v),
        lambda v: -2 * v / (1 + v * v) ** 2,
    ),
    "erf": (
        X,
        math.erf,
        lambda v: 2 / math.sqrt(math.pi) * math.exp(-v * v),
        lambda v: -4 * v / math.sqrt(math.pi) * math.exp(-v * v),
    ),
    "erfc": (
        X,
        math.erfc,
        lambda v: -2 / math.sqrt(math.pi) * math.exp(-v * v),
        lambda v: 4 * v / math.sqrt(math.pi) * math.exp(-v * v),
    ),
}
SMOOTH = list(FORMULAS)
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}
STEPS = {  # name -> the same function of a Python float
    "sign": lambda v: math.copysign(1.0, v) if v else 0.0,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,  # Python's round, as NumPy's, takes halves to the even neighbour
    "trunc": math.trunc,
}
STEP_POINTS = [-2.5, -1.5, -1.0, -0.5, -0.3, 0.0, 0.5, 0.7, 1.0, 1.5, 2.5, 3.2]


def _map(f, xs) -> np.ndarray:
    return np.array([float(f(float(v))) for v in xs])


def _value_and_grad(name, xs, dtype=np.float64, upstream=None):
    x = cr.tensor(np.array(xs, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(cr, name)(x)
        out.backward(np.ones(out.shape, dtype) if upstream is None else upstream)
    return out, x.grad


# ----- values and first derivatives, float64 ------------------------------------------------
@pytest.mark.parametrize("name", SMOOTH)
def test_values_and_derivatives_against_math(name):
    xs, f, df, _ = FORMULAS[name]
    out, g = _value_and_grad(name, xs)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, _map(f, xs), rtol=4e-15, atol=1e-300)
    np.testing.assert_allclose(g, _map(df, xs), rtol=1e-13)


@pytest.mark.parametrize("name", SMOOTH)
def test_tensor_method_and_function_give_the_same(name):
    xs = FORMULAS[name][0]
    x = cr.tensor(np.array(xs), requires_grad=True)
    a, b = getattr(cr, name)(x), getattr(x, name)()
    np.testing.assert_array_equal(a.data, b.data)
    assert type(a._node) is type(b._node)


@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_against_finite_differences(name):
    xs = np.array(FORMULAS[name][0])
    fn = getattr(cr, name)
    assert cr.gradcheck(fn, [xs])
    w = np.linspace(-1.0, 1.5, xs.size)
    x = cr.tensor(xs, requires_grad=True)
    (fn(x) * w).sum().backward()
    numeric = cr.numerical_grad(lambda t: float(np.sum(fn(t).data * w)), [xs])[0]
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-6, atol=1e-8)


# ----- second derivatives -------------------------------------------------------------------
@pytest.mark.parametrize("name", SMOOTH)
def test_second_order_gradcheck(name):
    xs = np.array(FORMULAS[name][0])
    assert cr.gradcheck(getattr(cr, name), [xs], check_second_order=True)


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivatives_against_their_formulas(name):
    xs, _, df, d2f = FORMULAS[name]
    x = cr.tensor(np.array(xs), requires_grad=True)
    (g,) = cr.autograd.grad(getattr(cr, name)(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, _map(df, xs), rtol=1e-13)  # the same first derivative
    (h,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(np.asarray(h), _map(d2f, xs), rtol=1e-12, atol=1e-300)


def test_third_derivative_of_tan():
    """tan''' = 2(1 + tan²)(1 + 3tan²), through two recorded backward passes."""
    v = 0.6
    x = cr.tensor(v, dtype=np.float64, requires_grad=True)
    (g,) = cr.autograd.grad(cr.tan(x), x, create_graph=True)
    (h,) = cr.autograd.grad(g, x, create_graph=True)
    (k,) = cr.autograd.grad(h, x)
    t = math.tan(v)
    assert float(k) == pytest.approx(2 * (1 + t * t) * (1 + 3 * t * t), rel=1e-13)


# ----- float32, integers, aliases -----------------------------------------------------------
@pytest.mark.parametrize("name", SMOOTH + list(STEPS))
def test_float32_stays_float32(name):
    xs = FORMULAS[name][0] if name in FORMULAS else STEP_POINTS
    out, g = _value_and_grad(name, xs, np.float32)
    assert out.dtype == np.float32
    assert g.dtype == np.float32
    ref, ref_g = _value_and_grad(name, xs)
    np.testing.assert_allclose(out.data, ref.data, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(g, ref_g, rtol=2e-5, atol=1e-6)


def test_a_0d_float32_stays_float32():
    for name in SMOOTH:
        x = cr.tensor(np.float32(0.5), requires_grad=True)
        out = getattr(cr, name)(x)
        out.backward()
        assert out.dtype == np.float32, name
        assert np.asarray(x.grad).dtype == np.float32, name


@pytest.mark.parametrize("name", SMOOTH)
def test_integer_inputs_take_exps_float_dtype(name):
    for ints, want in [(np.array([1, 2]), np.float64), (np.array([1, 2], np.int8), np.float16)]:
        out = getattr(cr, name)(cr.tensor(ints))
        assert out.dtype == np.exp(ints).dtype == want, (name, ints.dtype)
        assert not out.requires_grad
    np.testing.assert_array_equal(cr.reciprocal(cr.tensor(np.array([2, 4]))).data, [0.5, 0.25])


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
def test_step_functions_keep_an_integer_tensor_as_it_is(name):
    ints = np.array([-3, 0, 7])
    out = getattr(cr, name)(cr.tensor(ints))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, np.sign(ints) if name == "sign" else ints)
    flags = cr.tensor(np.array([True, False]))
    assert getattr(cr, name)(flags).dtype == np.bool_


def test_the_pytorch_names_are_the_same_functions():
    for numpy_name, torch_name in ALIASES.items():
        assert getattr(cr, numpy_name) is getattr(cr, torch_name)
        assert getattr(cr.ops, numpy_name) is getattr(cr.ops, torch_name)
        assert getattr(cr.Tensor, numpy_name) is getattr(cr.Tensor, torch_name)
        assert numpy_name in cr.__all__
        assert torch_name in cr.__all__
        assert numpy_name in cr.ops.__all__
        assert torch_name in cr.ops.__all__


# ----- the step functions -------------------------------------------------------------------
@pytest.mark.parametrize("name", list(STEPS))
def test_step_function_values_and_gradient_zero(name):
    out, g = _value_and_grad(name, STEP_POINTS)
    np.testing.assert_array_equal(out.data, _map(STEPS[name], STEP_POINTS))
    np.testing.assert_array_equal(g, np.zeros(len(STEP_POINTS)))
    assert not np.signbit(g).any()


@pytest.mark.parametrize("name", list(STEPS))
def test_step_function_gradient_is_zero_for_an_inf_or_nan_upstream(name):
    xs = [0.0, 1.0, 2.5, np.inf, np.nan]
    _, g = _value_and_grad(name, xs, upstream=np.array([np.nan, np.inf, -np.inf, np.nan, 1.0]))
    np.testing.assert_array_equal(g, np.zeros(5))


@pytest.mark.parametrize("name", list(STEPS))
def test_step_function_in_a_graph_adds_nothing(name):
    x = cr.tensor(np.array([0.3, 1.7, -2.2]), requires_grad=True)
    (x * x + getattr(cr, name)(x) * x).sum().backward()
    want = 2 * np.array([0.3, 1.7, -2.2]) + _map(STEPS[name], [0.3, 1.7, -2.2])
    np.testing.assert_allclose(x.grad, want, rtol=1e-15)


def test_sign_of_nan_is_nan_and_of_zeros_keeps_zero():
    out, g = _value_and_grad("sign", [np.nan, 0.0, -0.0, -np.inf])
    assert np.isnan(out.data[0])
    np.testing.assert_array_equal(out.data[1:], [0.0, 0.0, -1.0])
    np.testing.assert_array_equal(g, np.zeros(4))


def test_round_halves_to_even_and_takes_decimals():
    x = cr.tensor(np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.25, 1.2345]), requires_grad=True)
    np.testing.assert_array_equal(cr.round(x).data, [0.0, 2.0, 2.0, -0.0, -2.0, 1.0, 1.0])
    assert np.signbit(cr.round(x).data[3])
    out = x.round(2)
    np.testing.assert_array_equal(out.data, np.round(x.data, 2))
    assert out.data[5] == 1.25
    assert out.data[6] == 1.23
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(7))
    hundreds = cr.round(cr.tensor(np.array([1234, 1250])), -2)
    np.testing.assert_array_equal(hundreds.data, [1200, 1200])


@pytest.mark.parametrize("bad", [1.5, "2", True, None])
def test_round_refuses_decimals_that_are_not_integers(bad):
    with pytest.raises(TypeError, match="decimals must be an integer"):
        cr.round(cr.tensor([1.0]), bad)


def test_round_with_decimals_does_not_warn_on_overflow():
    xs = np.array([1e308, -np.inf, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cr.round(cr.tensor(xs), 5)
    with np.errstate(all="ignore"):
        want = np.round(xs, 5)  # x·10⁵ overflows to inf: NumPy's inf
    np.testing.assert_array_equal(out.data, want)


# ----- edges ----------------------------------------------------------------------------------
EDGES = [0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 1.0, -1.0, 88.7, -88.7, 709.8, -709.8, 1e4,
         -1e4, np.inf, -np.inf, np.nan]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", SMOOTH + list(STEPS))
def test_no_warning_on_the_extreme_grid_and_nan_where_numpy_gives_nan(name, dtype):
    xs = np.array(EDGES, dtype)
    out, g = _value_and_grad(name, xs, dtype)  # warnings are errors there
    numpy_name = {"rsqrt": None, "reciprocal": None, "erf": None, "erfc": None}.get(name, name)
    if numpy_name:
        with np.errstate(all="ignore"):
            want = getattr(np, numpy_name)(xs)
        np.testing.assert_array_equal(np.isnan(out.data), np.isnan(want))
    assert g.dtype == dtype


def test_edges_worked_by_hand():
    out, g = _value_and_grad("log1p", [-1.0, 1e-20])
    assert out.data[0] == -np.inf
    assert g[0] == np.inf
    assert out.data[1] == 1e-20  # log(1 + x) would give 0
    out, g = _value_and_grad("expm1", [1e-20, -88.7, -np.inf])
    assert out.data[0] == 1e-20
    assert g[1] == pytest.approx(math.exp(-88.7), rel=1e-15)  # out + 1 would be 0
    assert out.data[2] == -1.0
    assert g[2] == 0.0
    out, g = _value_and_grad("arcsin", [1.0, -1.0, 1.5, 1 - 1e-10])
    assert list(g[:2]) == [np.inf, np.inf]
    assert np.isnan(out.data[2])
    assert np.isnan(g[2])
    # (1 − x)(1 + x) keeps the digits 1 − x² loses: against 1/√(1 − x²) in 50 digits
    with localcontext() as context:
        context.prec = 50
        truth = float(1 / (1 - Decimal(1 - 1e-10) ** 2).sqrt())
    assert g[3] == pytest.approx(truth, rel=1e-15)
    assert 1 / math.sqrt(1 - (1 - 1e-10) ** 2) != pytest.approx(truth, rel=1e-12)
    out, g = _value_and_grad("rsqrt", [0.0, -0.0, np.inf])
    np.testing.assert_array_equal(out.data, [np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(g, [-np.inf, np.inf, -0.0])
    out, g = _value_and_grad("erfc", [10.0, 27.0])
    assert out.data[0] == pytest.approx(math.erfc(10.0), rel=1e-14)  # 1 − erf gives 0
    assert out.data[1] == pytest.approx(math.erfc(27.0), rel=1e-13)
    out, g = _value_and_grad("tan", [math.pi / 2])
    assert abs(out.data[0]) > 1e15
    assert np.isfinite(g[0])


def test_a_zero_upstream_masks_an_infinite_local_gradient():
    """The Unbounded rule: where(x > -1, log1p(x), 0) has gradient 0 at x = −1."""
    x = cr.tensor(np.array([-1.0, 0.0]), requires_grad=True)
    cr.where(x > -1, cr.log1p(x), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
    x = cr.tensor(np.array([1.0, 0.0]), requires_grad=True)
    cr.where(x < 1, cr.arcsin(x), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


# ----- explain ------------------------------------------------------------------------------
RULES = {  # name -> (a point in its domain, words of the English rule, of the Korean rule)
    "log1p": (0.5, "1/(1 + x)", "x = −1에서 +inf"),
    "expm1": (0.5, "= eˣ", "exp x로 계산"),
    "reciprocal": (0.5, "−1/x²", "x = ±0에서 −inf"),
    "rsqrt": (0.5, "−½·out³", "x = 0에서 −inf"),
    "arcsin": (0.5, "1/√(1 − x²)", "밖에서 NaN"),
    "arctan": (0.5, "1/(1 + x²)", "±inf에서 0"),
    "erf": (0.5, "2/√π·e^(−x²)", "2/√π·e^(−x²)"),
    "floor": (0.5, "everywhere", "어디서나"),
    "sign": (0.5, "also at 0", "어디서나"),
    "round": (0.5, "halfway", "불연속인 점에서도"),
}


@pytest.mark.parametrize("name", list(RULES))
def test_explain_states_the_rule_in_english_and_korean(name):
    point, en, ko = RULES[name]
    x = cr.tensor([point, point / 2], requires_grad=True, name="x")
    for lang, words in [("en", en), ("ko", ko)]:
        table = cr.explain(getattr(cr, name)(x).sum(), lang=lang).table()
        assert words in table, (name, lang, table)
        assert f"{name}1" in table


def test_every_new_op_has_a_korean_rule():
    from chainrule._explain._rules import _KO

    for name in SMOOTH + list(STEPS):
        node = getattr(cr, name)(cr.tensor([0.5], requires_grad=True))._node
        assert type(node).__name__ in _KO, name
        assert type(node).__doc__.startswith(f"{name}: "), name


# ----- PyTorch ------------------------------------------------------------------------------
TORCH_NAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}


@pytest.mark.parametrize("name", SMOOTH + list(STEPS))
def test_against_pytorch_at_the_points_above(name):
    torch = pytest.importorskip("torch")
    xs = FORMULAS[name][0] if name in FORMULAS else STEP_POINTS
    out, g = _value_and_grad(name, xs)
    xt = torch.tensor(np.array(xs), requires_grad=True)
    ref = getattr(torch, TORCH_NAMES.get(name, name))(xt)
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-13)


# ----- arctan2 ------------------------------------------------------------------------------
QUADRANTS = [(1.0, 2.0), (1.5, -0.5), (-0.7, -2.0), (-2.0, 0.3), (0.0, 1.0), (3.0, 0.0)]


def _atan2_by_hand(ys, xs):
    angle = np.array([math.atan2(y, x) for y, x in zip(ys, xs)])
    r2 = np.array([x * x + y * y for y, x in zip(ys, xs)])
    return angle, np.array(xs) / r2, -np.array(ys) / r2


def test_arctan2_values_and_gradients_in_every_quadrant():
    ys, xs = zip(*QUADRANTS)
    y = cr.tensor(np.array(ys), requires_grad=True)
    x = cr.tensor(np.array(xs), requires_grad=True)
    out = cr.arctan2(y, x)
    out.sum().backward()
    angle, dy, dx = _atan2_by_hand(ys, xs)
    np.testing.assert_allclose(out.data, angle, rtol=4e-16)
    np.testing.assert_allclose(y.grad, dy, rtol=1e-15)
    np.testing.assert_allclose(x.grad, dx, rtol=1e-15)


def test_arctan2_names_methods_numbers_and_broadcasting():
    assert cr.atan2 is cr.arctan2
    assert cr.ops.atan2 is cr.ops.arctan2
    assert cr.Tensor.atan2 is cr.Tensor.arctan2
    y = cr.tensor(np.array([[1.0], [-2.0]]), requires_grad=True)
    x = cr.tensor(np.array([0.5, -1.0, 3.0]), requires_grad=True)
    out = y.atan2(x)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out.data, np.arctan2(y.data, x.data))
    out.sum().backward()
    assert y.grad.shape == (2, 1)
    assert x.grad.shape == (3,)
    r2 = x.data**2 + y.data**2
    np.testing.assert_allclose(y.grad, (x.data / r2).sum(axis=1, keepdims=True), rtol=1e-15)
    np.testing.assert_allclose(x.grad, (-y.data / r2).sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(cr.arctan2(1.0, x).data, np.arctan2(1.0, x.data))
    np.testing.assert_allclose(cr.arctan2(y, 2).data, np.arctan2(y.data, 2.0))


def test_arctan2_finite_differences_and_second_order():
    ys, xs = (np.array(v) for v in zip(*QUADRANTS[:4]))
    assert cr.gradcheck(cr.arctan2, [ys, xs], check_second_order=True)
    assert cr.gradcheck(cr.arctan2, [np.array([[0.4], [-1.1]]), np.array([0.9, -0.6, 2.0])])


def test_arctan2_second_derivatives_by_hand():
    """∂²/∂y² = −2xy/r⁴, ∂²/∂x∂y = (y² − x²)/r⁴, ∂²/∂x² = 2xy/r⁴."""
    yv, xv = 0.8, -1.7
    y = cr.tensor(yv, dtype=np.float64, requires_grad=True)
    x = cr.tensor(xv, dtype=np.float64, requires_grad=True)
    gy, gx = cr.autograd.grad(cr.arctan2(y, x), [y, x], create_graph=True)
    r4 = (xv * xv + yv * yv) ** 2
    hyy, hyx = cr.autograd.grad(gy, [y, x], retain_graph=True)
    (hxx,) = cr.autograd.grad(gx, x)
    assert float(hyy) == pytest.approx(-2 * xv * yv / r4, rel=1e-14)
    assert float(hyx) == pytest.approx((yv * yv - xv * xv) / r4, rel=1e-14)
    assert float(hxx) == pytest.approx(2 * xv * yv / r4, rel=1e-14)


def test_arctan2_float32_and_integers():
    y = cr.tensor(np.float32([1.0, -2.0]), requires_grad=True)
    x = cr.tensor(np.float32([0.5, 3.0]), requires_grad=True)
    out = cr.arctan2(y, x)
    out.sum().backward()
    assert out.dtype == y.grad.dtype == x.grad.dtype == np.float32
    assert cr.arctan2(y, 2).dtype == np.float32
    ints = cr.arctan2(cr.tensor(np.array([1, 2])), cr.tensor(np.array([3, 4])))
    assert ints.dtype == np.float64
    assert not ints.requires_grad


def test_arctan2_edges():
    y = cr.tensor(np.array([0.0, 2.0**-600, 1e300, np.inf, 1.0]), requires_grad=True)
    x = cr.tensor(np.array([0.0, 2.0**-600, 1e300, np.inf, -np.inf]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cr.arctan2(y, x)
        out.sum().backward()
    np.testing.assert_array_equal(out.data, np.arctan2(y.data, x.data))
    assert y.grad[0] == 0.0  # the origin: 0, as PyTorch
    assert x.grad[0] == 0.0
    assert y.grad[1] == 2.0**599  # 1/(2x): x² + y² would underflow to 0
    assert x.grad[1] == -(2.0**599)
    assert y.grad[2] == pytest.approx(0.5e-300, rel=1e-15)  # x² + y² would overflow
    assert np.isnan(y.grad[3])  # inf/inf, as PyTorch
    assert np.isnan(y.grad[4])  # −inf/inf, as PyTorch
    assert x.grad[4] == -0.0  # −1/inf


def test_arctan2_explain():
    y = cr.tensor([1.0, 2.0], requires_grad=True, name="y")
    x = cr.tensor([3.0, -1.0], requires_grad=True, name="x")
    en = cr.explain(cr.arctan2(y, x).sum(), lang="en").table()
    assert "x/(x² + y²)" in en
    assert "arctan21" in en
    ko = cr.explain(cr.arctan2(y, x).sum(), lang="ko").table()
    assert "원점에서 0" in ko


def test_arctan2_against_pytorch():
    torch = pytest.importorskip("torch")
    ys, xs = zip(*QUADRANTS)
    y = cr.tensor(np.array(ys), requires_grad=True)
    x = cr.tensor(np.array(xs), requires_grad=True)
    cr.arctan2(y, x).sum().backward()
    yt = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    torch.atan2(yt, xt).sum().backward()
    np.testing.assert_allclose(y.grad, yt.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-15)
