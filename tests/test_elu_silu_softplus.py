"""elu, silu and softplus: values against formulas worked here in float64 with NumPy and
math, gradients against finite differences, second derivatives (create_graph) against
finite differences of the first, float32 kept, the edges (0, ±1e4, ±inf) without NaN or
warnings, the modules' checks and reprs, and PyTorch where it is installed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
F = cr.nn.functional
X = np.array([-6.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.3, 4.0])  # away from 0 and thresholds


def _sigma(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def elu_ref(v: float, alpha: float = 1.0) -> float:
    return v if v > 0 else alpha * math.expm1(v)


def silu_ref(v: float) -> float:
    return v * _sigma(v)


def softplus_ref(v: float, beta: float = 1.0, threshold: float = 20.0) -> float:
    return v if beta * v > threshold else math.log1p(math.exp(beta * v)) / beta


def _map(f, xs, **kw) -> np.ndarray:
    return np.array([f(float(v), **kw) for v in np.ravel(xs)]).reshape(np.shape(xs))


def _strict_grad(fn, a, dtype=np.float64):
    x = cr.tensor(np.asarray(a, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.sum().backward()
    return y, x.grad


CALLS = {  # name -> (chainrule call, reference)
    "elu": (lambda x: cr.elu(x), elu_ref),
    "elu-0.5": (lambda x: x.elu(0.5), lambda v: elu_ref(v, 0.5)),
    "silu": (lambda x: cr.silu(x), silu_ref),
    "silu-method": (lambda x: x.silu(), silu_ref),
    "softplus": (lambda x: cr.softplus(x), softplus_ref),
    "softplus-2-3": (lambda x: x.softplus(2.0, 3.0), lambda v: softplus_ref(v, 2.0, 3.0)),
    "F.elu": (lambda x: F.elu(x, 2.0), lambda v: elu_ref(v, 2.0)),
    "F.silu": (F.silu, silu_ref),
    "F.softplus": (lambda x: F.softplus(x, beta=0.5), lambda v: softplus_ref(v, 0.5)),
    "nn.ELU": (cr.nn.ELU(0.3), lambda v: elu_ref(v, 0.3)),
    "nn.SiLU": (cr.nn.SiLU(), silu_ref),
    "nn.Softplus": (cr.nn.Softplus(3.0, 2.0), lambda v: softplus_ref(v, 3.0, 2.0)),
}


@pytest.mark.parametrize("name", CALLS)
def test_values_match_the_formula(name):
    fn, ref = CALLS[name]
    y, _ = _strict_grad(fn, X)
    np.testing.assert_allclose(y.data, _map(ref, X), rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", CALLS)
def test_gradients_match_finite_differences(name):
    fn, _ = CALLS[name]
    x = cr.tensor(X.reshape(2, 4), requires_grad=True)
    assert cr.gradcheck(fn, [x])


@pytest.mark.parametrize("name", CALLS)
def test_float32_stays_float32(name):
    fn, ref = CALLS[name]
    y, g = _strict_grad(fn, X, np.float32)
    assert y.dtype == np.float32
    assert g.dtype == np.float32
    np.testing.assert_allclose(y.data, _map(ref, X.astype(np.float32)), rtol=1e-6, atol=1e-7)


def test_the_derivatives_are_the_documented_formulas():
    s = 1 / (1 + np.exp(-X))
    _, g = _strict_grad(cr.elu, X)
    np.testing.assert_allclose(g, np.where(X > 0, 1.0, np.exp(X)), rtol=1e-14)
    _, g = _strict_grad(cr.silu, X)
    np.testing.assert_allclose(g, s * (1 + X * (1 - s)), rtol=1e-13)
    _, g = _strict_grad(lambda x: cr.softplus(x, 2.0, 3.0), X)
    np.testing.assert_allclose(g, np.where(2 * X > 3, 1.0, 1 / (1 + np.exp(-2 * X))), rtol=1e-14)


def test_the_conventions_at_zero_and_on_the_linear_branch():
    _, g = _strict_grad(lambda x: cr.elu(x, 0.5), [0.0, -0.0])
    assert g.tolist() == [0.5, 0.5]  # the x ≤ 0 branch, α·e⁰, as PyTorch
    _, g = _strict_grad(cr.silu, [0.0])
    assert g.tolist() == [0.5]
    y, g = _strict_grad(lambda x: cr.softplus(x, 2.0, 4.0), [2.0, 2.5])
    assert y.data[1] == 2.5
    assert g[1] == 1.0
    assert y.data[0] == pytest.approx(math.log1p(math.exp(4.0)) / 2, rel=1e-15)


def test_softplus_is_accurate_far_below_zero():
    y, g = _strict_grad(cr.softplus, [-40.0, -700.0])
    assert y.data[0] == pytest.approx(4.248354255291589e-18, rel=1e-14)
    assert y.data[1] == pytest.approx(math.exp(-700.0), rel=1e-13)
    assert g[0] == pytest.approx(math.exp(-40.0), rel=1e-14)


def test_elu_is_accurate_near_zero():
    y, _ = _strict_grad(cr.elu, [-1e-10])
    assert y.data[0] == pytest.approx(math.expm1(-1e-10), rel=1e-15)


EDGES = [1e4, -1e4, np.inf, -np.inf, 709.8, -709.8]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_edges_have_no_nan_and_no_warning(dtype):
    want = {
        cr.elu: ([1e4, -1, np.inf, -1, 709.8, -1], [1, 0, 1, 0, 1, 0]),
        cr.silu: ([1e4, 0, np.inf, 0, 709.8, 0], [1, 0, 1, 0, 1, 0]),
        cr.softplus: ([1e4, 0, np.inf, 0, 709.8, 0], [1, 0, 1, 0, 1, 0]),
    }
    for fn, (value, grad) in want.items():
        y, g = _strict_grad(fn, EDGES, dtype)
        assert not np.isnan(y.data).any(), fn
        assert not np.isnan(g).any(), fn
        np.testing.assert_allclose(y.data, np.array(value, dtype), rtol=1e-6, atol=1e-300)
        np.testing.assert_allclose(g, np.array(grad, dtype), rtol=0, atol=1e-300)  # e^−709.8


@pytest.mark.parametrize("fn", [cr.elu, cr.silu, cr.softplus])
def test_nan_propagates(fn):
    y, g = _strict_grad(fn, [np.nan])
    assert np.isnan(y.data[0])
    assert np.isnan(g[0])


SECOND = {
    "elu": lambda x: cr.elu(x, 0.7),
    "silu": cr.silu,
    "softplus": lambda x: cr.softplus(x, 2.0, 3.0),
}


def _first(fn, a, dtype=np.float64):
    """The first derivative as a Tensor (create_graph), and x."""
    x = cr.tensor(np.asarray(a, dtype), requires_grad=True)
    fn(x).sum().backward(create_graph=True)
    return x.grad, x


@pytest.mark.parametrize("name", SECOND)
def test_second_derivatives_against_differences_of_the_first(name):
    fn = SECOND[name]
    g, x = _first(fn, X)
    x.grad = None
    g.sum().backward()
    h = 1e-6
    up, _ = _first(fn, X + h)
    down, _ = _first(fn, X - h)
    np.testing.assert_allclose(x.grad, (up.data - down.data) / (2 * h), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", SECOND)
def test_create_graph_gives_the_plain_first_derivative(name):
    fn = SECOND[name]
    g, _ = _first(fn, [*X, *EDGES])
    _, plain = _strict_grad(fn, [*X, *EDGES])
    np.testing.assert_array_equal(g.data, plain)


@pytest.mark.parametrize("name", SECOND)
def test_second_derivative_in_float32_and_at_the_edges(name):
    g, x = _first(SECOND[name], EDGES, np.float32)
    x.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g.sum().backward()
    assert x.grad.dtype == np.float32
    assert not np.isnan(x.grad).any()


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda: cr.nn.ELU(0.5), "ELU(alpha=0.5)"),
        (cr.nn.SiLU, "SiLU()"),
        (lambda: cr.nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"),
        (cr.nn.Softplus, "Softplus(beta=1.0, threshold=20.0)"),
    ],
)
def test_module_repr(make, text):
    assert repr(make()) == text


@pytest.mark.parametrize(
    "bad",
    [
        lambda: cr.nn.ELU(math.inf),
        lambda: cr.nn.ELU(True),
        lambda: cr.nn.Softplus(0.0),
        lambda: cr.nn.Softplus(math.nan),
        lambda: cr.nn.Softplus(1.0, math.nan),
        lambda: cr.elu(cr.tensor([1.0]), "1"),
        lambda: cr.softplus(cr.tensor([1.0]), np.array([1.0, 2.0])),
    ],
)
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match=r"alpha|beta|threshold"):
        bad()


def test_exported_everywhere():
    for name in ("elu", "silu", "softplus"):
        assert name in cr.__all__
        assert name in cr.ops.__all__
        assert name in F.__all__
    for name in ("ELU", "SiLU", "Softplus"):
        assert name in cr.nn.__all__


def test_explain_states_each_rule_in_english_and_korean():
    x = cr.tensor([1.0, -2.0], requires_grad=True, name="x")
    for lang, words in [("en", ["α·eˣ", "σ(x)(1 + x(1 − σ(x)))", "σ(βx)"]),
                        ("ko", ["아니면 α·eˣ", "+∞에서 1", "threshold이면 1"])]:  # fmt: skip
        table = cr.explain(cr.softplus(cr.silu(cr.elu(x))).sum(), lang=lang).table()
        for w in words:
            assert w in table, (lang, w)
        for name in ("elu1", "silu1", "softplus1"):
            assert name in table


@pytest.mark.parametrize("activation", ["elu", "silu", "softplus", "SiLU", "Softplus"])
def test_train_takes_the_new_activations(activation):
    from chainrule._cli_arguments import _parser
    from chainrule._config import ACTIVATIONS

    args = _parser().parse_args(["train", "--activation", activation])
    assert ACTIVATIONS[args.activation] in (cr.nn.ELU, cr.nn.SiLU, cr.nn.Softplus)


def test_the_probe_names_the_new_activations():
    from chainrule.diagnostics._probe import activation_kind

    assert activation_kind(cr.nn.ELU()) == "elu"
    assert activation_kind(cr.nn.SiLU()) == "silu"
    assert activation_kind(cr.nn.Softplus()) == "softplus"


# ----- PyTorch ------------------------------------------------------------------------------
PAIRS = {
    "elu": (lambda x: cr.elu(x, 0.5), lambda t: torch.nn.functional.elu(t, 0.5)),
    "silu": (cr.silu, lambda t: torch.nn.functional.silu(t)),
    "softplus": (
        lambda x: cr.softplus(x, 2.0, 3.0),
        lambda t: torch.nn.functional.softplus(t, 2.0, 3.0),
    ),
}
POINTS = np.array([-30.0, -3.0, -0.5, 0.4, 1.4, 1.6, 2.0, 30.0, 0.0, -0.0, -1e4, 1e4])


@needs_torch
@pytest.mark.parametrize("name", PAIRS)
def test_values_and_gradients_as_pytorch(name):
    ours, theirs = PAIRS[name]
    y, g = _strict_grad(ours, POINTS)
    t = torch.tensor(POINTS, requires_grad=True)
    ty = theirs(t)
    ty.sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-14, atol=0)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-14, atol=0)


@needs_torch
@pytest.mark.parametrize("name", PAIRS)
def test_double_backward_as_pytorch(name):
    ours, theirs = PAIRS[name]
    # not at 0, where PyTorch's elu double backward gives 0 (not α), nor at |x| ≥ 30, where
    # its silu one loses digits to cancellation (3 of 12 at x = 30)
    points = POINTS[(np.abs(POINTS) > 0) & (np.abs(POINTS) < 30)]
    g, x = _first(ours, points)
    x.grad = None
    g.sum().backward()
    t = torch.tensor(points, requires_grad=True)
    (tg,) = torch.autograd.grad(theirs(t).sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    np.testing.assert_allclose(x.grad, tgg.numpy(), rtol=1e-12, atol=1e-300)


@needs_torch
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: cr.nn.ELU(0.5), lambda: torch.nn.ELU(0.5)),
        (cr.nn.SiLU, lambda: torch.nn.SiLU()),
        (lambda: cr.nn.Softplus(2, 10), lambda: torch.nn.Softplus(2, 10)),
    ],
)
def test_module_repr_as_pytorch(ours, theirs):
    assert repr(ours()) == repr(theirs())
