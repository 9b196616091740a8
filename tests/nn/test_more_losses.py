"""L1Loss, SmoothL1Loss, HuberLoss, NLLLoss and BCELoss (nn/_robust_losses.py,
nn/_nll_loss.py, nn/_bce_probabilities.py): values and gradients against formulas worked
here in float64, finite differences (first and second order, at p near 0 and 1 for BCE and
around |x| = β for smooth L1), weights and ignore_index, every reduction, errors, dtypes,
fit's accuracy, the weight buffers, explain, and PyTorch when it is installed (never the
only check)."""

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule._explain._rules import formula, sentence

F = nn.functional
REDUCTIONS = ["mean", "sum", "none"]
C = 4
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
LABELS = np.array([0, 3, -100, 1, 3])  # one row left out by the default ignore_index
EPS32 = float(np.float32(1e-12))  # PyTorch's floor of p·(1 − p), held as a float32


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def _scalar(out, reduction):
    """A scalar of the loss for gradcheck and backward: "none" weighted by 1, 2, 3, …"""
    if reduction != "none":
        return out
    return (out * np.arange(1.0, out.size + 1).reshape(out.shape)).sum()


# ----- the formulas, in float64, one element at a time -----------------------------------
def _l1(x, t):
    return np.abs(x - t)


def _smooth_l1(x, t, beta):
    z = np.abs(x - t)
    if beta == 0:
        return z
    return np.array([0.5 * v * v / beta if v < beta else v - 0.5 * beta for v in z.flat]).reshape(
        z.shape
    )


def _huber(x, t, delta):
    z = np.abs(x - t)
    return np.array(
        [0.5 * v * v if v < delta else delta * (v - 0.5 * delta) for v in z.flat]
    ).reshape(z.shape)


def _smooth_l1_grad(x, t, beta):
    d = x - t
    return np.where(np.abs(d) < beta, d / beta, np.sign(d))


def _huber_grad(x, t, delta):
    d = x - t
    return np.where(np.abs(d) < delta, d, delta * np.sign(d))


def _nll(logp, labels, weight=None, ignore_index=-100):
    """(losses per row, D) by a loop: −w[y]·logp[n, y], 0 for an ignored row."""
    losses, d = np.zeros(len(labels)), 0.0
    for n, y in enumerate(labels):
        if y == ignore_index:
            continue
        w = 1.0 if weight is None else weight[y]
        losses[n] = -w * logp[n, y]
        d += w
    return losses, d


def _nll_value(logp, labels, reduction, weight=None, ignore_index=-100):
    losses, d = _nll(logp, labels, weight, ignore_index)
    if reduction == "none":
        return losses
    return losses.sum() / d if reduction == "mean" else losses.sum()


def _bce(p, t, w=1.0):
    """PyTorch's: −w·(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)), log 0 = −inf."""
    with np.errstate(divide="ignore"):
        lp = np.maximum(np.log(p), -100.0)
        lq = np.maximum(np.log1p(-p), -100.0)
    return -w * (t * lp + (1 - t) * lq)


def _bce_grad(p, t, w=1.0):
    return w * (p - t) / np.maximum(p * (1 - p), EPS32)


def _data(shape=(5, 3), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


def _log_probs(dtype=np.float64):
    x = np.random.default_rng(2).standard_normal((5, C))
    z = x - x.max(axis=1, keepdims=True)
    return (z - np.log(np.exp(z).sum(axis=1, keepdims=True))).astype(dtype)


def _probs(shape=(5, 3), seed=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)


# ----- values and gradients against the formulas -------------------------------------------
REGRESSION = [
    ("l1", lambda x, t, r: F.l1_loss(x, t, r), _l1, lambda x, t: np.sign(x - t)),
    (
        "smooth_l1 β=0.7",
        lambda x, t, r: F.smooth_l1_loss(x, t, r, beta=0.7),
        lambda x, t: _smooth_l1(x, t, 0.7),
        lambda x, t: _smooth_l1_grad(x, t, 0.7),
    ),
    (
        "smooth_l1 β=1",
        lambda x, t, r: F.smooth_l1_loss(x, t, r),
        lambda x, t: _smooth_l1(x, t, 1.0),
        lambda x, t: _smooth_l1_grad(x, t, 1.0),
    ),
    (
        "huber δ=0.7",
        lambda x, t, r: F.huber_loss(x, t, r, delta=0.7),
        lambda x, t: _huber(x, t, 0.7),
        lambda x, t: _huber_grad(x, t, 0.7),
    ),
    (
        "huber δ=1",
        lambda x, t, r: F.huber_loss(x, t, r),
        lambda x, t: _huber(x, t, 1.0),
        lambda x, t: _huber_grad(x, t, 1.0),
    ),
]
REGRESSION_IDS = [r[0] for r in REGRESSION]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "loss", "value", "grad"), REGRESSION, ids=REGRESSION_IDS)
def test_regression_losses_match_the_formulas(name, loss, value, grad, reduction):
    x, t = _data()
    xt = cr.tensor(x, requires_grad=True)
    out = loss(xt, t, reduction)
    np.testing.assert_allclose(out.data, _reduce(value(x, t), reduction), rtol=1e-14)
    _scalar(out, reduction).backward()
    scale = np.arange(1.0, x.size + 1).reshape(x.shape) if reduction == "none" else 1.0
    expected = grad(x, t) * scale / (x.size if reduction == "mean" else 1)
    np.testing.assert_allclose(xt.grad, expected, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "loss", "value", "grad"), REGRESSION, ids=REGRESSION_IDS)
def test_regression_losses_gradcheck_in_both_inputs(name, loss, value, grad, reduction):
    x, t = _data(seed=1)  # no difference within eps of 0 or of β, δ

    def f(x, t):
        return _scalar(loss(x, t, reduction), reduction)

    assert cr.gradcheck(f, [x, t], check_second_order=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_smooth_l1_gradcheck_around_beta(beta, reduction):
    # differences just inside and outside |x − t| = β, on both sides of 0: the gradient is
    # continuous there (x/β meets sign x), so the first derivative checks at 1e-6 away
    d = beta * np.array([0.99, 1.01, -0.99, -1.01, 0.999, -1.001])
    t = np.linspace(-1, 1, d.size)

    def f(x):
        return _scalar(F.smooth_l1_loss(x, t, reduction, beta), reduction)

    assert cr.gradcheck(f, [t + d], eps=1e-7)

    def g(x):
        return _scalar(F.huber_loss(x, t, reduction, beta), reduction)

    assert cr.gradcheck(g, [t + d], eps=1e-7)


def test_at_the_kinks_the_gradients_are_pytorchs():
    # |x − t| = β exactly: the linear piece (z < β is false), gradient ±1; x = t: 0
    t = np.zeros(4)
    x = cr.tensor(np.array([0.5, -0.5, 0.0, 0.25]), requires_grad=True)
    F.smooth_l1_loss(x, t, "sum", beta=0.5).backward()
    np.testing.assert_array_equal(x.grad, [1.0, -1.0, 0.0, 0.5])
    x.grad = None
    F.huber_loss(x, t, "sum", delta=0.5).backward()
    np.testing.assert_array_equal(x.grad, [0.5, -0.5, 0.0, 0.25])
    x.grad = None
    F.l1_loss(x, np.array([0.5, 0.0, 0.0, 1.0]), "sum").backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0, 0.0, -1.0])  # 0 at equality


def test_l1_gradient_is_zero_at_equality_also_for_the_target():
    x = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    t = cr.tensor(np.array([1.0, 1.0, 5.0]), requires_grad=True)
    F.l1_loss(x, t).backward()
    np.testing.assert_array_equal(x.grad, np.array([0.0, 1.0, -1.0]) / 3)
    np.testing.assert_array_equal(t.grad, np.array([0.0, -1.0, 1.0]) / 3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_beta_zero_is_l1_and_huber_is_beta_times_smooth_l1(reduction):
    x, t = _data(seed=4)
    a = cr.tensor(x, requires_grad=True)
    b = cr.tensor(x, requires_grad=True)
    _scalar(F.smooth_l1_loss(a, t, reduction, beta=0.0), reduction).backward()
    _scalar(F.l1_loss(b, t, reduction), reduction).backward()
    np.testing.assert_array_equal(a.grad, b.grad)
    np.testing.assert_array_equal(
        F.smooth_l1_loss(x, t, reduction, beta=0.0).data, F.l1_loss(x, t, reduction).data
    )
    for beta in (0.3, 1.5):
        np.testing.assert_allclose(
            F.huber_loss(x, t, reduction, delta=beta).data,
            beta * F.smooth_l1_loss(x, t, reduction, beta=beta).data,
            rtol=1e-14,
        )


# ----- NLL ----------------------------------------------------------------------------------
def _labels(options):
    """The labels for the options: with another ignore_index, the -100 row becomes class 0."""
    return LABELS if options.get("ignore_index", -100) == -100 else np.abs(LABELS) % C


NLL_OPTIONS = [
    {},
    {"weight": WEIGHT},
    {"ignore_index": 1},
    {"weight": WEIGHT, "ignore_index": 3},
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", NLL_OPTIONS)
def test_nll_matches_the_formula(options, reduction):
    logp = _log_probs()
    x = cr.tensor(logp, requires_grad=True)
    labels = _labels(options)
    out = F.nll_loss(x, labels, reduction=reduction, **options)
    ignore = options.get("ignore_index", -100)
    w = options.get("weight")
    expected = _nll_value(logp, labels, reduction, w, ignore)
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)
    _scalar(out, reduction).backward()
    # −w[y]/D at each kept label (times the row's upstream for "none"), 0 elsewhere
    _, d = _nll(logp, labels, w, ignore)
    grad = np.zeros_like(logp)
    for n, y in enumerate(labels):
        if y != ignore:
            scale = n + 1.0 if reduction == "none" else 1 / d if reduction == "mean" else 1.0
            grad[n, y] = -(1.0 if w is None else w[y]) * scale
    np.testing.assert_allclose(x.grad, grad, rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", NLL_OPTIONS)
def test_nll_gradcheck_with_second_order(options, reduction):
    labels = _labels(options)

    def f(x):
        return _scalar(F.nll_loss(x, labels, reduction=reduction, **options), reduction)

    assert cr.gradcheck(f, [_log_probs()], check_second_order=True)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("options", NLL_OPTIONS)
def test_nll_after_log_softmax_is_cross_entropy(options, reduction):
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((5, C))
    labels = _labels(options)
    a = cr.tensor(logits, requires_grad=True)
    b = cr.tensor(logits, requires_grad=True)
    nll = F.nll_loss(F.log_softmax(a, axis=1), labels, reduction=reduction, **options)
    ce = F.cross_entropy(b, labels, reduction, **options)
    np.testing.assert_allclose(nll.item(), ce.item(), rtol=1e-13)
    nll.backward()
    ce.backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)


def test_nll_never_reads_an_ignored_row():
    logp = _log_probs()
    logp[2] = -np.inf  # the row labelled -100
    x = cr.tensor(logp, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = F.nll_loss(x, LABELS, reduction="none")
        loss = F.nll_loss(x, LABELS)
    assert losses.data[2] == 0
    assert np.isfinite(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad[2], 0)


def test_nll_with_every_label_ignored_or_weightless_is_nan_as_pytorch():
    logp = _log_probs()
    x = cr.tensor(logp, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.nll_loss(x, np.full(5, -100))
        assert np.isnan(loss.item())
        loss.backward()
    np.testing.assert_array_equal(x.grad, 0)  # no label kept: gradient 0 everywhere
    x.grad = None
    labels = np.array([1, 2, -100, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.nll_loss(x, labels, weight=np.zeros(C))
        assert np.isnan(loss.item())
        loss.backward()
    expected = np.zeros_like(logp)
    expected[[0, 1, 3, 4], [1, 2, 1, 2]] = np.nan  # NaN at the kept labels, 0 elsewhere
    np.testing.assert_array_equal(x.grad, expected)


def test_nll_second_derivative_is_zero_and_flows_through_the_upstream():
    # g = ∂(v·L)/∂x = −v·w[y]/D at the labels: linear in v (∂Σg/∂v = −Σ w[yₙ]/D = −1) and
    # constant in x (the Hessian is 0)
    x = cr.tensor(_log_probs(), requires_grad=True)
    v = cr.tensor(np.array(2.0), requires_grad=True)
    (g,) = cr.autograd.grad(v * F.nll_loss(x, LABELS, WEIGHT), [x], create_graph=True)
    dv, dx = cr.autograd.grad(g.sum(), [v, x], allow_unused=True)
    np.testing.assert_allclose(dv.data, -1.0, rtol=1e-14)
    assert dx is None or np.all(dx.data == 0)
    # through log_softmax the Hessian is the softmax's: checked by finite differences
    assert cr.gradcheck(
        lambda z: F.nll_loss(F.log_softmax(z, axis=1), LABELS, WEIGHT),
        [_log_probs()],
        check_second_order=True,
    )


# ----- BCE on probabilities -----------------------------------------------------------------
BCE_WEIGHTS = [None, np.array([[0.5], [1.0], [2.0], [0.0], [1.5]]), np.array([1.0, 0.2, 3.0])]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", BCE_WEIGHTS, ids=["none", "per sample", "per output"])
def test_bce_matches_the_formula(weight, reduction):
    p, t = _probs()
    p[0, 0], p[1, 1], p[2, 2] = 0.0, 1.0, 1e-50  # clamped logs, a finite gradient
    w = 1.0 if weight is None else weight
    pt = cr.tensor(p, requires_grad=True)
    tt = cr.tensor(t, requires_grad=True)
    out = F.binary_cross_entropy(pt, tt, weight, reduction=reduction)
    np.testing.assert_allclose(out.data, _reduce(_bce(p, t, w), reduction), rtol=1e-14)
    _scalar(out, reduction).backward()
    scale = np.arange(1.0, p.size + 1).reshape(p.shape) if reduction == "none" else 1.0
    n = p.size if reduction == "mean" else 1
    np.testing.assert_allclose(pt.grad, _bce_grad(p, t, w) * scale / n, rtol=1e-14)
    with np.errstate(divide="ignore"):
        dt = np.maximum(np.log1p(-p), -100) - np.maximum(np.log(p), -100)
    np.testing.assert_allclose(tt.grad, w * dt * scale / n, rtol=1e-14, atol=1e-300)
    assert np.all(np.isfinite(pt.grad))
    assert np.all(np.isfinite(tt.grad))


def test_bce_at_zero_and_one_is_finite_as_pytorchs():
    p = cr.tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = F.binary_cross_entropy(p, t, reduction="none")
        losses.sum().backward()
    np.testing.assert_array_equal(losses.data, [100.0, 100.0, 0.0, 0.0])
    np.testing.assert_array_equal(p.grad, [-1 / EPS32, 1 / EPS32, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", BCE_WEIGHTS, ids=["none", "per sample", "per output"])
def test_bce_gradcheck_in_both_inputs_near_zero_and_one(weight, reduction):
    p, t = _probs()
    p[0] = [1e-3, 0.999, 2e-3]
    p[1] = [0.9995, 5e-4, 0.5]

    def f(p, t):
        return _scalar(F.binary_cross_entropy(p, t, weight, reduction=reduction), reduction)

    assert cr.gradcheck(f, [p, t], eps=1e-8, check_second_order=True)


@pytest.mark.parametrize("p", [-0.1, 1.5, -np.inf, np.inf])
def test_bce_refuses_an_input_outside_zero_one(p):
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: the input must be probabilities in \[0, 1\], got "
        rf"{p} at position \(1,\) of shape \(3,\) \(for logits use "
        "binary_cross_entropy_with_logits",
    ):
        F.binary_cross_entropy(np.array([0.5, p, 0.2]), np.zeros(3))


def test_bce_gives_nan_for_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(np.array([0.5, np.nan]), np.array([1.0, 0.0]))
    assert np.isnan(loss.item())


def test_bce_mean_divides_by_the_elements_not_the_weights():
    p, t = _probs()
    w = BCE_WEIGHTS[1]
    loss = F.binary_cross_entropy(p, t, w)
    np.testing.assert_allclose(loss.item(), (_bce(p, t, w)).sum() / p.size, rtol=1e-14)


# ----- errors -----------------------------------------------------------------------------
def _x(shape=(4, 3), dtype="float32"):
    return cr.tensor(np.full(shape, 0.5, dtype), requires_grad=True)


ERRORS = [
    (
        lambda: nn.L1Loss()(_x(), np.zeros((4, 1))),
        ValueError,
        r"l1_loss: the target has shape \(4, 1\), but the prediction has shape \(4, 3\); "
        "they must match, nothing is broadcast",
    ),
    (
        lambda: nn.SmoothL1Loss()(_x((4, 1)), np.zeros(4)),
        ValueError,
        r"smooth_l1_loss: the target has shape \(4,\), but the prediction has shape \(4, 1\)"
        r".*target\.reshape\(-1, 1\)",
    ),
    (
        lambda: nn.HuberLoss()(_x(), np.zeros(3)),
        ValueError,
        r"huber_loss: the target has shape \(3,\), but the prediction has shape \(4, 3\)",
    ),
    (
        lambda: nn.BCELoss()(_x(), np.zeros((4, 1))),
        ValueError,
        r"binary_cross_entropy: the target has shape \(4, 1\), but the input has shape \(4, 3\)",
    ),
    (
        lambda: nn.NLLLoss()(_x(), np.zeros((4, 3), np.int64)),
        ValueError,
        r"nll_loss: the target has shape \(4, 3\), but log-probabilities of shape \(4, 3\) take "
        r"class labels of shape \(4,\)",
    ),
    (
        lambda: nn.NLLLoss()(_x(), np.zeros((4, 1), np.int64)),
        ValueError,
        r"target\.reshape\(-1\) flattens them",
    ),
    (
        lambda: nn.NLLLoss()(_x((4,)), np.zeros(4, np.int64)),
        ValueError,
        r"nll_loss: the input must be log-probabilities of shape \(N, C\), got shape \(4,\)",
    ),
    (
        lambda: nn.NLLLoss()(_x(), np.array([0, 1, 3, 2])),
        ValueError,
        r"nll_loss: label 3 \(at position 2\) is out of range for 3 classes \(labels must be "
        r"in 0\.\.2\)",
    ),
    (
        lambda: nn.NLLLoss()(_x(), np.array([0, -1, 2, 2])),
        ValueError,
        r"nll_loss: label -1 \(at position 1\) is out of range for 3 classes",
    ),
    (
        lambda: nn.NLLLoss(ignore_index=1)(_x(), np.array([0, -100, 2, 2])),
        ValueError,
        r"nll_loss: label -100 \(at position 1\) is out of range for 3 classes",
    ),
    (
        lambda: nn.NLLLoss()(_x(), np.array([0.0, 1.0, 2.0, 1.0])),
        ValueError,
        r"nll_loss: class labels must be integers, got dtype float64",
    ),
    (
        lambda: nn.NLLLoss(weight=[1.0, 2.0])(_x(), np.array([0, 1, 0, 1])),
        ValueError,
        r"NLLLoss|nll_loss: weight has 2 values, but the log-probabilities of shape \(4, 3\) have "
        "3 classes",
    ),
    (
        lambda: nn.NLLLoss(weight=[1.0, -2.0]),
        ValueError,
        r"NLLLoss: weight must be finite and non-negative, got -2\.0 for class 1",
    ),
    (lambda: nn.NLLLoss(ignore_index=1.5), TypeError, r"NLLLoss: ignore_index must be an int"),
    (
        lambda: F.nll_loss(_x(), np.array([0, 1, 0, 1]), "sum"),
        TypeError,
        r"nll_loss: weight must be numbers, got the string 'sum'.*reduction='sum'",
    ),
    (lambda: nn.BCELoss("sum"), TypeError, r"BCELoss: weight must be numbers.*reduction='sum'"),
    (
        lambda: nn.BCELoss(weight=np.ones(2))(_x(), np.zeros((4, 3))),
        ValueError,
        r"binary_cross_entropy: a weight of shape \(2,\) does not broadcast to the input's shape "
        r"\(4, 3\)",
    ),
    (
        lambda: nn.BCELoss(weight=np.ones((2, 4, 3)))(_x(), np.zeros((4, 3))),
        ValueError,
        r"does not broadcast to the input's shape \(4, 3\)",
    ),
    (
        lambda: nn.BCELoss(weight=[[1.0, np.nan]]),
        ValueError,
        r"BCELoss: weight must be finite and non-negative, got nan for position \(0, 1\)",
    ),
    (
        lambda: nn.SmoothL1Loss(beta=-1.0),
        ValueError,
        r"SmoothL1Loss: beta must be finite and non-negative, got -1\.0",
    ),
    (
        lambda: F.smooth_l1_loss(_x(), np.zeros((4, 3)), beta=np.nan),
        ValueError,
        r"smooth_l1_loss: beta must be finite and non-negative, got nan",
    ),
    (
        lambda: nn.HuberLoss(delta=0.0),
        ValueError,
        r"HuberLoss: delta must be finite and positive, got 0\.0",
    ),
    (
        lambda: F.huber_loss(_x(), np.zeros((4, 3)), delta=-2),
        ValueError,
        r"huber_loss: delta must be finite and positive, got -2\.0",
    ),
    (lambda: nn.HuberLoss(delta=True), TypeError, r"HuberLoss: delta must be a number"),
    (lambda: nn.L1Loss("avg"), ValueError, r"reduction must be one of"),
    (
        lambda: F.binary_cross_entropy(_x(), np.zeros((4, 3)), reduction="avg"),
        ValueError,
        r"reduction must be one of",
    ),
    (lambda: nn.L1Loss()(_x((0, 3)), np.zeros((0, 3))), ValueError, r"l1_loss: empty batch"),
    (lambda: nn.NLLLoss()(_x((0, 3)), np.zeros(0, np.int64)), ValueError, r"nll_loss: empty batch"),
    (
        lambda: nn.BCELoss()(_x((0, 3)), np.zeros((0, 3))),
        ValueError,
        r"binary_cross_entropy: empty batch",
    ),
]


@pytest.mark.parametrize(("call", "exc", "pattern"), ERRORS)
def test_errors_name_the_loss_and_the_shapes(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_empty_batches_are_fine_unless_averaged(reduction):
    assert F.l1_loss(np.zeros((0, 3)), np.zeros((0, 3)), reduction).data.size in (0, 1)
    out = F.nll_loss(np.zeros((0, 3)), np.zeros(0, np.int64), reduction=reduction)
    assert out.data.size in (0, 1)


# ----- dtypes -------------------------------------------------------------------------------
LOSS_CALLS = {
    "l1": lambda x, r: F.l1_loss(x, np.full(x.shape, 0.25), r),
    "smooth_l1": lambda x, r: F.smooth_l1_loss(x, np.full(x.shape, 0.25), r, beta=0.1),
    "huber": lambda x, r: F.huber_loss(x, np.full(x.shape, 0.25), r, delta=0.1),
    "nll": lambda x, r: F.nll_loss(x, np.array([0, 1, 2, -100]), WEIGHT[:3], reduction=r),
    "bce": lambda x, r: F.binary_cross_entropy(x, np.ones(x.shape), WEIGHT[:3], reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(LOSS_CALLS))
def test_float32_stays_float32(name, reduction):
    x = cr.tensor(
        np.random.default_rng(0).uniform(0.1, 0.9, (4, 3)).astype(np.float32), requires_grad=True
    )
    out = LOSS_CALLS[name](x, reduction)
    assert out.dtype == np.float32
    _scalar(out, reduction).backward()
    assert x.grad.dtype == np.float32


def test_integer_predictions_and_targets_are_cast_as_mse_loss_does():
    # an integer prediction takes the target's float dtype; an integer target the prediction's
    assert F.l1_loss([1, 2], np.array([0.5, 0.0])).item() == 1.25
    assert F.l1_loss(np.array([1, 2]), np.array([0.5, 0.0], np.float32)).dtype == np.float32
    out = F.huber_loss(cr.tensor([0.5, 3.0], dtype="float32"), np.array([0, 1]))
    assert out.dtype == np.float32
    assert out.item() == pytest.approx((0.125 + 1.5) / 2)
    out = F.smooth_l1_loss(np.array([1, 4]), np.array([1, 1]))
    assert out.dtype == np.float64
    assert out.item() == 1.25
    out = F.binary_cross_entropy(cr.tensor([0.5, 0.25], dtype="float32"), np.array([1, 0]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), (np.log(2) - np.log(0.75)) / 2, rtol=1e-6)


# ----- the modules ------------------------------------------------------------------------
def test_modules_are_their_functions_and_show_their_options():
    x, t = _data()
    for module, function in [
        (nn.L1Loss("sum"), F.l1_loss(x, t, "sum")),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(x, t, beta=0.5)),
        (nn.HuberLoss("none", 2.0), F.huber_loss(x, t, "none", 2.0)),
    ]:
        np.testing.assert_array_equal(module(x, t).data, function.data)
    logp = _log_probs()
    np.testing.assert_array_equal(
        nn.NLLLoss(WEIGHT, ignore_index=3)(logp, np.abs(LABELS) % C).data,
        F.nll_loss(logp, np.abs(LABELS) % C, WEIGHT, ignore_index=3).data,
    )
    p, pt = _probs()
    np.testing.assert_array_equal(
        nn.BCELoss(reduction="sum")(p, pt).data, F.binary_cross_entropy(p, pt, reduction="sum").data
    )
    assert repr(nn.L1Loss()) == "L1Loss()"
    assert repr(nn.SmoothL1Loss("sum", beta=0.5)) == "SmoothL1Loss(reduction='sum', beta=0.5)"
    assert repr(nn.HuberLoss(delta=2)) == "HuberLoss(delta=2.0)"
    assert repr(nn.NLLLoss([1, 2], ignore_index=0)) == "NLLLoss(weight=[1.0, 2.0], ignore_index=0)"
    assert repr(nn.BCELoss(reduction="none")) == "BCELoss(reduction='none')"


@pytest.mark.parametrize(
    ("make", "weight"),
    [
        (lambda w: nn.NLLLoss(weight=w), [1.0, 2.0, 3.0]),
        (lambda w: nn.BCELoss(w), [[1.0, 2.0, 3.0]]),
    ],
    ids=["NLLLoss", "BCELoss"],
)
def test_the_weight_is_a_buffer_in_the_state_as_pytorchs(make, weight):
    class Model(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(3, 3)
            self.loss_fn = make(weight)

    state = Model().state_dict()
    assert list(state) == ["fc.weight", "fc.bias", "loss_fn.weight"]
    np.testing.assert_array_equal(state["loss_fn.weight"], weight)
    other = Model()
    changed = np.asarray(weight)[..., ::-1].copy()
    other.load_state_dict({**state, "loss_fn.weight": changed})
    np.testing.assert_array_equal(other.loss_fn.weight, changed)
    assert list(make(None).state_dict()) == []  # no weight, no entry


# ----- fit's accuracy ---------------------------------------------------------------------
class _LogSoftmaxNet(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return F.log_softmax(self.fc(x), axis=1)


def _classes(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    return X, X.argmax(axis=1).astype(np.int64)


def test_fit_reports_accuracy_for_nll_as_for_cross_entropy():
    X, y = _classes()
    cr.manual_seed(0)
    model = _LogSoftmaxNet()
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    history = cr.fit(model, nn.NLLLoss(), opt, (X, y), 3, batch_size=8, progress=False)
    assert set(history.history) == {"loss", "accuracy"}
    scores = cr.evaluate(model, F.nll_loss, (X, y))
    with cr.no_grad():
        logp = model(X).data
    assert scores["accuracy"] == pytest.approx(np.mean(logp.argmax(axis=1) == y))
    assert scores["loss"] == pytest.approx(_nll_value(logp.astype(np.float64), y, "mean"), 1e-6)


@pytest.mark.parametrize("loss_fn", [nn.BCELoss(), F.binary_cross_entropy], ids=["module", "F"])
def test_fit_reports_binary_accuracy_for_bce_at_one_half(loss_fn):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 3)).astype(np.float32)
    y = (X[:, :1] + 0.3 * X[:, 1:2] > 0.2).astype(np.float32)  # (N, 1) of 0 and 1
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    history = cr.fit(model, loss_fn, opt, (X, y), 3, batch_size=8, progress=False)
    assert set(history.history) == {"loss", "accuracy"}
    scores = cr.evaluate(model, loss_fn, (X, y))
    with cr.no_grad():
        p = model(X).data
    assert scores["accuracy"] == pytest.approx(np.mean((p > 0.5) == (y == 1)))
    assert scores["accuracy"] != pytest.approx(np.mean((p > 0) == (y == 1)))  # not logits'


@pytest.mark.parametrize("loss_fn", [nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss(delta=0.5)])
def test_regression_losses_report_no_accuracy(loss_fn):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((24, 3)).astype(np.float32)
    y = X @ np.array([[1.0], [-1.0], [0.5]], np.float32)
    cr.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = cr.fit(model, loss_fn, opt, (X, y), 3, batch_size=8, progress=False)
    assert set(history.history) == {"loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]


# ----- explain ------------------------------------------------------------------------------
def test_explain_shows_the_fused_rules_and_the_composed_ops():
    x = cr.tensor(_log_probs(), requires_grad=True, name="x")
    loss = F.nll_loss(x, LABELS, WEIGHT)
    node = loss.grad_fn
    assert "dX[n, yₙ] = −w[yₙ] / D · dL" in sentence(node)
    assert formula(node, "ko") == "nll_loss: dX[n, yₙ] = −w[yₙ] / D · dL"
    assert "dX[n, yₙ] = −w[yₙ] / D · dL" in cr.explain(loss, retain_graph=True).table()
    assert "nll_loss: dX[n, yₙ] = −w[yₙ] / D · dL" in cr.explain(loss, lang="ko").table()
    p = cr.tensor(_probs()[0], requires_grad=True, name="p")
    loss = F.binary_cross_entropy(p, _probs()[1], reduction="sum")
    assert formula(loss.grad_fn, "ko").startswith("binary_cross_entropy_sum: dP = w·(p − t)")
    assert "binary_cross_entropy_sum: dP" in cr.explain(loss, lang="ko").table()
    x = cr.tensor(_data()[0], requires_grad=True, name="x")
    table = cr.explain(F.smooth_l1_loss(x, _data()[1]), lang="ko").table()
    assert "abs: d/dx |x| = sign(x), abs'(0) = 0" in table  # composed: the core ops' rules
    assert "where: ∂/∂x = cond" in table


# ----- PyTorch ------------------------------------------------------------------------------
def _torch_pairs():
    """(name, our call, PyTorch's call, inputs) for every loss; inputs in float64."""
    x, t = _data(seed=7)
    t[0, 0] = x[0, 0]  # one equality
    t[1, 0] = x[1, 0] + 0.5  # |x − t| = β exactly
    p, pt = _probs(seed=8)
    p[0, 0], p[0, 1], p[1, 0] = 0.0, 1.0, 1e-5
    wb = np.array([[0.5], [1.0], [2.0], [0.0], [1.5]])
    logp = _log_probs()
    logp[2] = -np.inf
    return [
        (
            "l1",
            lambda a, r: F.l1_loss(a, t, r),
            lambda tf, a, r: tf.l1_loss(a, _t(t, a), reduction=r),
            x,
        ),
        (
            "smooth_l1",
            lambda a, r: F.smooth_l1_loss(a, t, r, 0.5),
            lambda tf, a, r: tf.smooth_l1_loss(a, _t(t, a), reduction=r, beta=0.5),
            x,
        ),
        (
            "smooth_l1 β=0",
            lambda a, r: F.smooth_l1_loss(a, t, r, 0.0),
            lambda tf, a, r: tf.smooth_l1_loss(a, _t(t, a), reduction=r, beta=0.0),
            x,
        ),
        (
            "huber",
            lambda a, r: F.huber_loss(a, t, r, 0.5),
            lambda tf, a, r: tf.huber_loss(a, _t(t, a), reduction=r, delta=0.5),
            x,
        ),
        (
            "nll",
            lambda a, r: F.nll_loss(a, LABELS, WEIGHT, reduction=r),
            lambda tf, a, r: tf.nll_loss(a, _t(LABELS), _t(WEIGHT, a), reduction=r),
            logp,
        ),
        (
            "nll ignore_index",
            lambda a, r: F.nll_loss(a, np.abs(LABELS) % C, ignore_index=3, reduction=r),
            lambda tf, a, r: tf.nll_loss(a, _t(np.abs(LABELS) % C), ignore_index=3, reduction=r),
            _log_probs(),
        ),
        (
            "bce",
            lambda a, r: F.binary_cross_entropy(a, pt, wb, reduction=r),
            lambda tf, a, r: tf.binary_cross_entropy(a, _t(pt, a), _t(wb, a), reduction=r),
            p,
        ),
    ]


def _t(a, like=None):
    import torch

    out = torch.tensor(a)
    return out if like is None else out.to(like.dtype)


PAIRS = _torch_pairs()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "ours", "theirs", "data"), PAIRS, ids=[p[0] for p in PAIRS])
def test_against_pytorch(name, ours, theirs, data, reduction, dtype):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    tol = 1e-12 if dtype == np.float64 else 1e-6
    a = cr.tensor(data.astype(dtype), requires_grad=True)
    b = torch.tensor(data.astype(dtype), requires_grad=True)
    out, ref = ours(a, reduction), theirs(tf, b, reduction)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=tol, atol=tol)
    upstream = np.arange(1.0, out.size + 1).reshape(out.shape).astype(dtype)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    assert a.grad.dtype == dtype
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["smooth_l1", "huber", "bce"])
def test_second_derivatives_against_pytorch(name):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    _, ours, theirs, data = next(p for p in PAIRS if p[0] == name)
    data = data.copy()
    if name == "bce":  # PyTorch's double backward uses 1/(p + ε)²(1 − p + ε)²: away from 0, 1
        data = _probs(seed=9)[0]
    a = cr.tensor(data, requires_grad=True)
    b = torch.tensor(data, requires_grad=True)
    (ga,) = cr.autograd.grad(ours(a, "mean"), [a], create_graph=True)
    (gb,) = torch.autograd.grad(theirs(tf, b, "mean"), [b], create_graph=True)
    (ha,) = cr.autograd.grad((ga * ga).sum(), [a])
    (hb,) = torch.autograd.grad((gb * gb).sum(), [b])
    np.testing.assert_allclose(ha.data, hb.numpy(), rtol=1e-9, atol=1e-12)
