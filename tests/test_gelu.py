"""gelu (exact and tanh forms): the erf behind it against math.erf and math.erfc, values
against formulas worked here in float64 with math, gradients against finite differences,
second and third derivatives (create_graph) against finite differences and their formulas,
float32 kept, the edges (0, ±1e4, ±inf, NaN) without warnings, the module's checks and repr,
explain, the CLI and the probe, and PyTorch where it is installed."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import _special

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
F = cr.nn.functional
X = np.array([-6.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.3, 4.0])
SQRT2 = math.sqrt(2.0)
K = math.sqrt(2.0 / math.pi)


# ----- references, in float64 with math --------------------------------------------------
def gelu_ref(v: float) -> float:
    return v * 0.5 * math.erfc(-v / SQRT2)


def gelu_grad_ref(v: float) -> float:
    """Φ(x) + x·φ(x)."""
    return 0.5 * math.erfc(-v / SQRT2) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)


def gelu_tanh_ref(v: float) -> float:
    """½x(1 + tanh u) with ½(1 + tanh u) = 1/(1 + e^(−2u)), the same number without the
    cancellation of 1 + tanh u for u ≪ 0 (PyTorch's form keeps 3 digits at x = −6)."""
    return v / (1 + math.exp(-2 * K * (v + 0.044715 * v**3)))


def gelu_tanh_grad_ref(v: float) -> float:
    """The chain rule on ½x(1 + tanh u): ½(1 + tanh u) + ½x(1 − tanh²u)·u′, with ½(1 + tanh u)
    = s = 1/(1 + e^(−2u)) and ½(1 − tanh²u) = 2s(1 − s), 1 − s = 1/(1 + e^(2u))."""
    u = K * (v + 0.044715 * v**3)
    du = K * (1 + 3 * 0.044715 * v * v)
    s, r = 1 / (1 + math.exp(-2 * u)), 1 / (1 + math.exp(2 * u))
    return s + 2 * v * s * r * du


def _map(f, xs) -> np.ndarray:
    return np.array([f(float(v)) for v in np.ravel(xs)]).reshape(np.shape(xs))


def _strict_grad(fn, a, dtype=np.float64):
    x = cr.tensor(np.asarray(a, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.sum().backward()
    return y, x.grad


# ----- erf and erfc ----------------------------------------------------------------------
DENSE = np.concatenate(
    [
        np.linspace(-30.0, 30.0, 240_001),
        np.geomspace(1e-300, 30.0, 4001),
        -np.geomspace(1e-300, 30.0, 4001),
        [0.5, -0.5, 4.0, -4.0, np.nextafter(0.5, 1), np.nextafter(4.0, 5), 26.5, 27.2],
    ]
)


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got − want| in units of want's last place, where want is a normal number."""
    normal = np.abs(want) >= np.finfo(np.float64).tiny
    return np.abs(got[normal] - want[normal]) / np.spacing(np.abs(want[normal]))


@pytest.mark.parametrize(
    ("ours", "truth", "bound"),
    # measured: erf within 3 ulp (relative 4.5e-16), erfc within 7 ulp (8.9e-16)
    [(_special.erf, math.erf, 4), (_special.erfc, math.erfc, 8)],
)
def test_erf_and_erfc_are_within_a_few_ulp_of_math(ours, truth, bound):
    want = _map(truth, DENSE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ours(DENSE)
    assert _ulps(got, want).max() <= bound
    normal = np.abs(want) >= np.finfo(np.float64).tiny
    np.testing.assert_allclose(got[normal], want[normal], rtol=1e-15, atol=0)
    # below the normal range (erfc beyond x ≈ 26.5) a few units of the smallest subnormal
    np.testing.assert_allclose(got[~normal], want[~normal], rtol=0, atol=1e-322)


def test_erf_and_erfc_at_their_edges():
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300, 1e-300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e, c = _special.erf(edges), _special.erfc(edges)
    assert e[:2].tolist() == [0.0, -0.0]
    assert math.copysign(1, e[1]) == -1
    assert e[2:4].tolist() == [1.0, -1.0]
    assert math.isnan(e[4])
    assert e[5:7].tolist() == [1.0, -1.0]
    assert e[7] == pytest.approx(2 / math.sqrt(math.pi) * 1e-300, rel=1e-15)
    assert c[:4].tolist() == [1.0, 1.0, 0.0, 2.0]
    assert math.isnan(c[4])
    assert c[5:7].tolist() == [0.0, 2.0]


def test_normal_cdf_keeps_its_digits_in_the_tails():
    # Φ(x) = ½erfc(−x/√2): from math.erfc where the rounding of x/√2 costs less than an ulp
    # or two (|x| ≤ 3), and against mpmath (if installed) out to x = ±38
    xs = np.linspace(-3.0, 3.0, 6001)
    np.testing.assert_allclose(
        _special.ndtr(xs), _map(lambda v: 0.5 * math.erfc(-v / SQRT2), xs), rtol=3e-15, atol=0
    )
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    xs = np.linspace(-38.0, 38.0, 3041)
    want = np.array([float(mpmath.ncdf(mpmath.mpf(float(v)))) for v in xs])
    # measured 8e-16 where Φ is normal (from x ≈ −37.5 it is subnormal: a few units of 5e-324)
    np.testing.assert_allclose(_special.ndtr(xs), want, rtol=1e-15, atol=2e-323)
    want = np.array([float(mpmath.npdf(mpmath.mpf(float(v)))) for v in xs])
    np.testing.assert_allclose(_special.normal_pdf(xs), want, rtol=1e-15, atol=0)


def test_the_blocks_give_what_one_piece_gives():
    rng = np.random.default_rng(17)
    x = rng.standard_normal((70, 130)) * 4  # 9,100 elements: two whole blocks and a part
    whole = _special._ndtr_block(x.ravel()).reshape(x.shape)
    np.testing.assert_array_equal(_special.ndtr(x), whole)
    assert _special.ndtr(np.array(0.5)).shape == ()


# ----- values, gradients, dtypes ------------------------------------------------------------
CALLS = {  # name -> (chainrule call, reference, its derivative)
    "gelu": (cr.gelu, gelu_ref, gelu_grad_ref),
    "gelu-none": (lambda x: cr.gelu(x, approximate="none"), gelu_ref, gelu_grad_ref),
    "gelu-tanh": (lambda x: cr.gelu(x, approximate="tanh"), gelu_tanh_ref, gelu_tanh_grad_ref),
    "method": (lambda x: x.gelu(), gelu_ref, gelu_grad_ref),
    "method-tanh": (lambda x: x.gelu(approximate="tanh"), gelu_tanh_ref, gelu_tanh_grad_ref),
    "F.gelu": (F.gelu, gelu_ref, gelu_grad_ref),
    "F.gelu-tanh": (lambda x: F.gelu(x, approximate="tanh"), gelu_tanh_ref, gelu_tanh_grad_ref),
    "nn.GELU": (cr.nn.GELU(), gelu_ref, gelu_grad_ref),
    "nn.GELU-tanh": (cr.nn.GELU("tanh"), gelu_tanh_ref, gelu_tanh_grad_ref),
}


@pytest.mark.parametrize("name", CALLS)
def test_values_and_derivatives_match_the_formulas(name):
    fn, ref, grad = CALLS[name]
    y, g = _strict_grad(fn, X)
    np.testing.assert_allclose(y.data, _map(ref, X), rtol=1e-14, atol=0)
    np.testing.assert_allclose(g, _map(grad, X), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", CALLS)
def test_gradients_match_finite_differences(name):
    fn = CALLS[name][0]
    x = cr.tensor(X.reshape(2, 4), requires_grad=True)
    assert cr.gradcheck(fn, [x], check_second_order=True)


@pytest.mark.parametrize("name", CALLS)
def test_float32_stays_float32(name):
    fn, ref, grad = CALLS[name]
    y, g = _strict_grad(fn, X, np.float32)
    assert y.dtype == np.float32
    assert g.dtype == np.float32
    x32 = X.astype(np.float32)
    np.testing.assert_allclose(y.data, _map(ref, x32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g, _map(grad, x32), rtol=1e-5, atol=1e-6)


def test_integer_input_takes_a_float_dtype():
    y = cr.gelu(cr.tensor(np.array([-1, 0, 2], dtype=np.int32)))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, _map(gelu_ref, [-1.0, 0.0, 2.0]), rtol=1e-15)


def test_the_negative_tail_keeps_its_digits():
    # ½(1 + erf(x/√2)) cancels to 0 below x ≈ −8.3 (PyTorch gives −0 there); Φ = ½erfc(−x/√2)
    # does not, and neither does the tanh form written x·σ(2u)
    pts = [-10.0, -20.0, -30.0]
    y, g = _strict_grad(cr.gelu, pts)
    # the reference's own x/√2 is rounded: its erfc carries that error times 2y² (1e-13 at
    # x = −30); mpmath's 40 digits give −30·Φ(−30) = −1.472014178144456e-196
    np.testing.assert_allclose(y.data, _map(gelu_ref, pts), rtol=3e-13)
    np.testing.assert_allclose(g, _map(gelu_grad_ref, pts), rtol=3e-13)
    assert y.data[2] == pytest.approx(-1.472014178144456e-196, rel=2e-15)
    assert y.data[0] == pytest.approx(-7.619853024160526e-23, rel=2e-15)
    y, g = _strict_grad(lambda x: cr.gelu(x, approximate="tanh"), [-10.0, -15.0])
    want = [v / (1 + math.exp(-2 * K * (v + 0.044715 * v**3))) for v in (-10.0, -15.0)]
    np.testing.assert_allclose(y.data, want, rtol=1e-13)
    assert (y.data < 0).all()
    assert (g < 0).all()


EDGES = [0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 88.7, -88.7, 709.8, -709.8, 1e4, -1e4]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_edges_without_a_warning(approximate, dtype):
    fn = lambda x: cr.gelu(x, approximate=approximate)  # noqa: E731
    pts = [*EDGES, np.inf, -np.inf, np.nan]
    y, g = _strict_grad(fn, pts, dtype)
    x = np.array(EDGES, dtype)
    want = np.where(x > 1, x, np.where(x < -1, 0.0, x / 2))  # x·Φ(x): x, 0, or x/2 near 0
    np.testing.assert_allclose(y.data[:12], want, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(g[:12], np.where(x > 1, 1.0, np.where(x < -1, 0.0, 0.5)),
                               rtol=1e-6, atol=0)  # fmt: skip
    # +inf gives +inf, −inf NaN (−∞·0), NaN NaN; the gradient ∞·0 = NaN at both infinities,
    # as PyTorch (docs/reliability.md)
    assert y.data[12] == np.inf
    assert np.isnan(y.data[13:]).all()
    assert np.isnan(g[12:]).all()


# ----- higher derivatives -------------------------------------------------------------------
SECOND = {"none": lambda x: cr.gelu(x), "tanh": lambda x: cr.gelu(x, approximate="tanh")}


def _first(fn, a, dtype=np.float64):
    """The first derivative as a Tensor (create_graph), and x."""
    x = cr.tensor(np.asarray(a, dtype), requires_grad=True)
    (g,) = cr.autograd.grad(fn(x).sum(), x, create_graph=True)
    return g, x


@pytest.mark.parametrize("name", SECOND)
def test_second_derivatives_against_differences_of_the_first(name):
    fn = SECOND[name]
    g, x = _first(fn, X)
    g.sum().backward()
    h = 1e-6
    up, _ = _first(fn, X + h)
    down, _ = _first(fn, X - h)
    np.testing.assert_allclose(x.grad, (up.data - down.data) / (2 * h), rtol=1e-6, atol=1e-9)


def test_second_and_third_derivatives_of_the_exact_form_are_their_formulas():
    g, x = _first(cr.gelu, X)
    (g2,) = cr.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = cr.autograd.grad(g2.sum(), x)
    phi = np.exp(-X * X / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(g2.data, phi * (2 - X * X), rtol=1e-13)  # φ(x)(2 − x²)
    np.testing.assert_allclose(g3, phi * (X**3 - 4 * X), rtol=1e-12)  # φ(x)(x³ − 4x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", SECOND)
def test_create_graph_gives_the_plain_first_derivative(name, dtype):
    fn = SECOND[name]
    pts = [*X, *EDGES, np.inf, -np.inf, np.nan]
    g, _ = _first(fn, pts, dtype)
    _, plain = _strict_grad(fn, pts, dtype)
    np.testing.assert_array_equal(g.data, plain)  # NaN where NaN
    assert g.dtype == plain.dtype == dtype


@pytest.mark.parametrize("name", SECOND)
def test_second_derivative_in_float32_and_at_the_edges(name):
    g, x = _first(SECOND[name], EDGES, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g.sum().backward()
    assert x.grad.dtype == np.float32
    assert not np.isnan(x.grad).any()


# ----- the module, errors, and the rest of the library ---------------------------------------
@pytest.mark.parametrize(
    ("make", "text"),
    [
        (cr.nn.GELU, "GELU(approximate='none')"),
        (lambda: cr.nn.GELU("tanh"), "GELU(approximate='tanh')"),
        (lambda: cr.nn.GELU(approximate="none"), "GELU(approximate='none')"),
    ],
)
def test_module_repr(make, text):
    assert repr(make()) == text


@pytest.mark.parametrize(
    "bad",
    [
        lambda: cr.nn.GELU("Tanh"),
        lambda: cr.nn.GELU(None),
        lambda: cr.nn.GELU(True),
        lambda: cr.gelu(cr.tensor([1.0]), approximate="erf"),
        lambda: cr.tensor([1.0]).gelu(approximate=""),
        lambda: F.gelu(cr.tensor([1.0]), approximate=1),
    ],
)
def test_a_bad_approximate_is_refused_naming_the_allowed_values(bad):
    with pytest.raises(ValueError, match=r"approximate argument must be either none or tanh"):
        bad()


def test_approximate_is_keyword_only_as_in_pytorch():
    with pytest.raises(TypeError):
        cr.gelu(cr.tensor([1.0]), "tanh")
    with pytest.raises(TypeError):
        cr.tensor([1.0]).gelu("tanh")


def test_exported_everywhere():
    assert "gelu" in cr.__all__
    assert "gelu" in cr.ops.__all__
    assert "gelu" in F.__all__
    assert "GELU" in cr.nn.__all__
    for public in (cr.gelu, cr.Tensor.gelu, cr.nn.GELU, _special.erf, _special.erfc):
        assert public.__doc__


def test_explain_states_the_rule_in_english_and_korean():
    x = cr.tensor([1.0, -2.0], requires_grad=True, name="x")
    for lang, words in [("en", ["Φ(x) + x·φ(x)", "tanh form"]), ("ko", ["Φ(x) + x·φ(x)", "근사"])]:
        table = cr.explain(cr.gelu(x).sum(), lang=lang).table()
        for w in words:
            assert w in table, (lang, w)
        assert "gelu1" in table


def test_explain_of_a_second_derivative_names_the_normal_nodes():
    x = cr.tensor([0.5, -1.0], requires_grad=True, name="x")
    (g,) = cr.autograd.grad(cr.gelu(x).sum(), x, create_graph=True)
    table = cr.explain(g.sum(), lang="ko").table()
    assert "normal_cdf: d/dx Φ(x) = φ(x)" in table
    assert "normal_pdf: d/dx φ(x) = −x·φ(x)" in table


@pytest.mark.parametrize("activation", ["gelu", "GELU"])
def test_train_takes_gelu(activation):
    from chainrule._cli_arguments import _parser
    from chainrule._config import ACTIVATIONS

    args = _parser().parse_args(["train", "--activation", activation])
    assert ACTIVATIONS[args.activation] is cr.nn.GELU


def test_the_probe_names_gelu_and_gives_it_no_saturation():
    import chainrule.diagnostics as diag
    from chainrule.diagnostics._probe import activation_kind

    assert activation_kind(cr.nn.GELU()) == "gelu"
    assert activation_kind(cr.nn.GELU("tanh")) == "gelu"
    model = cr.nn.Sequential(cr.nn.Linear(1, 4, dtype="float64"), cr.nn.GELU())
    [s] = diag.Monitor(model, probe=np.array([[0.0], [1.0]]), warn=False).record(1).activations
    assert (s.kind, s.saturated, s.dead) == ("gelu", None, None)


# ----- PyTorch --------------------------------------------------------------------------------
POINTS = np.array([-5.0, -3.0, -0.75, -0.5, 0.4, 1.4, 2.0, 5.0, 0.0, -0.0, 1e4, -1e4])


@needs_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_values_and_gradients_as_pytorch(approximate):
    y, g = _strict_grad(lambda x: cr.gelu(x, approximate=approximate), POINTS)
    t = torch.tensor(POINTS, requires_grad=True)
    ty = torch.nn.functional.gelu(t, approximate=approximate)
    ty.sum().backward()
    # PyTorch's ½(1 + erf) and ½(1 + tanh) lose digits in the negative tail (3e-10 relative
    # at −5): there an absolute tolerance, the size of its cancellation, 1e-15
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-14, atol=1e-15)


@needs_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_double_backward_as_pytorch(approximate):
    points = POINTS[np.abs(POINTS) < 5]
    g, x = _first(lambda v: cr.gelu(v, approximate=approximate), points)
    g.sum().backward()
    t = torch.tensor(points, requires_grad=True)
    tf = torch.nn.functional.gelu(t, approximate=approximate)
    (tg,) = torch.autograd.grad(tf.sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    np.testing.assert_allclose(x.grad, tgg.numpy(), rtol=1e-12, atol=1e-15)


@needs_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_the_edges_as_pytorch_in_float64(approximate):
    pts = np.array([np.inf, -np.inf, np.nan])
    y, g = _strict_grad(lambda x: cr.gelu(x, approximate=approximate), pts)
    t = torch.tensor(pts, requires_grad=True)
    tv = torch.nn.functional.gelu(t, approximate=approximate)
    tv.sum().backward()
    np.testing.assert_array_equal(y.data, tv.detach().numpy())  # inf, NaN, NaN
    np.testing.assert_array_equal(g, t.grad.numpy())  # NaN, NaN, NaN


@needs_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_module_repr_as_pytorch(approximate):
    assert repr(cr.nn.GELU(approximate)) == repr(torch.nn.GELU(approximate))


@needs_torch
def test_the_error_says_what_pytorch_says():
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.gelu(torch.ones(1), approximate="erf")
    with pytest.raises(ValueError, match="approximate") as ours:
        cr.gelu(cr.tensor([1.0]), approximate="erf")
    assert str(theirs.value).rstrip(".") in str(ours.value)
