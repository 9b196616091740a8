"""cross_entropy and nll_loss on inputs (N, C, d₁, …) -- one sample per position, the classes
on axis 1, as in PyTorch: values and gradients against PyTorch for a grid of shapes, options,
reductions and dtypes, against finite differences (first and second order) and against a
case worked by hand; the shapes of "none"; fit and evaluate; the errors for targets that fit
neither way."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional
C = 4
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(3, C, 5), (2, C, 3, 2)]

LABEL_OPTIONS = [
    {},
    {"weight": WEIGHT},
    {"ignore_index": 1},
    {"label_smoothing": 0.2},
    {"weight": WEIGHT, "ignore_index": 1},
    {"weight": WEIGHT, "ignore_index": 1, "label_smoothing": 0.3},
]
PROB_OPTIONS = [
    {},
    {"weight": WEIGHT},
    {"label_smoothing": 0.2},
    {"weight": WEIGHT, "label_smoothing": 0.3},
]
NLL_OPTIONS = [{}, {"weight": WEIGHT}, {"ignore_index": 1}, {"weight": WEIGHT, "ignore_index": 2}]


def _logits(shape, dtype=np.float64):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


def _labels(shape, options):
    """Labels (N, d₁, …) with one position at -100 (the default ignore_index) unless
    another ignore_index is given, and then some positions labelled with it."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, C, (shape[0], *shape[2:]))
    if "ignore_index" not in options:
        labels.flat[1] = -100
    return labels


def _probs(shape):
    rows = np.random.default_rng(2).dirichlet(np.ones(C), size=(shape[0], *shape[2:]))
    return np.moveaxis(rows, -1, 1)  # (N, d₁, …, C) → (N, C, d₁, …)


def _scalar(out, reduction):
    """A scalar of the loss for backward and gradcheck: "none" weighted by 1, 2, 3, …"""
    if reduction != "none":
        return out
    return (out * np.arange(1.0, out.size + 1).reshape(out.shape)).sum()


def _log_softmax(x, axis=1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# ----- PyTorch, for a grid of shapes, options, reductions and dtypes ----------------------
def _torch_loss(fn, x, t, reduction, options, t_grad=False):
    """PyTorch's loss and gradients, from float64 copies of the inputs."""
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    is_labels = t.dtype.kind in "iu"
    tt = torch.tensor(t) if is_labels else torch.tensor(t, requires_grad=t_grad)
    kw = {k: torch.tensor(v) if k == "weight" else v for k, v in options.items()}
    out = getattr(torch.nn.functional, fn)(tx, tt, reduction=reduction, **kw)
    _scalar_torch(out, reduction).backward()
    grad_t = tt.grad.numpy() if t_grad else None
    return out.detach().numpy(), tx.grad, grad_t


def _scalar_torch(out, reduction):
    import torch

    if reduction != "none":
        return out
    return (out * torch.arange(1.0, out.numel() + 1, dtype=out.dtype).reshape(out.shape)).sum()


def _ours(fn, x, t, reduction, options, t_grad=False):
    xt = cr.tensor(x, requires_grad=True)
    tt = cr.tensor(t, requires_grad=True) if t_grad else t
    if fn == "cross_entropy":
        out = F.cross_entropy(xt, tt, reduction, **options)
    else:
        weight = options.get("weight")
        ignore = options.get("ignore_index", -100)
        out = F.nll_loss(xt, tt, weight, ignore_index=ignore, reduction=reduction)
    _scalar(out, reduction).backward()
    return out, xt.grad, tt.grad if t_grad else None


def _tolerance(dtype):
    return {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 2e-5, "atol": 1e-6}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", LABEL_OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_with_labels_matches_pytorch(shape, options, reduction, dtype):
    x, y = _logits(shape, dtype), _labels(shape, options)
    want, want_grad, _ = _torch_loss("cross_entropy", x, y, reduction, options)
    out, grad, _ = _ours("cross_entropy", x, y, reduction, options)
    assert out.dtype == dtype
    assert out.shape == want.shape
    assert grad.dtype == dtype
    assert grad.shape == shape
    np.testing.assert_allclose(out.numpy(), want, **_tolerance(dtype))
    np.testing.assert_allclose(grad, want_grad, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", PROB_OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_with_probabilities_matches_pytorch_in_both_inputs(
    shape, options, reduction, dtype
):
    x, p = _logits(shape, dtype), _probs(shape).astype(dtype)
    want, want_grad, want_grad_t = _torch_loss("cross_entropy", x, p, reduction, options, True)
    out, grad, grad_t = _ours("cross_entropy", x, p, reduction, options, True)
    assert out.dtype == dtype
    assert out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want, **_tolerance(dtype))
    np.testing.assert_allclose(grad, want_grad, **_tolerance(dtype))
    np.testing.assert_allclose(grad_t, want_grad_t, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", NLL_OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_nll_loss_matches_pytorch(shape, options, reduction, dtype):
    x = _log_softmax(_logits(shape)).astype(dtype)
    y = _labels(shape, options)
    want, want_grad, _ = _torch_loss("nll_loss", x, y, reduction, options)
    out, grad, _ = _ours("nll_loss", x, y, reduction, options)
    assert out.dtype == dtype
    assert out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want, **_tolerance(dtype))
    np.testing.assert_allclose(grad, want_grad, **_tolerance(dtype))


def test_the_modules_match_pytorchs():
    torch = pytest.importorskip("torch")
    shape = (2, C, 3, 2)
    x, y = _logits(shape), _labels(shape, {"ignore_index": 1})
    ce = nn.CrossEntropyLoss("none", weight=WEIGHT, ignore_index=1, label_smoothing=0.1)
    want = torch.nn.CrossEntropyLoss(
        torch.tensor(WEIGHT), ignore_index=1, reduction="none", label_smoothing=0.1
    )(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(ce(x, y).numpy(), want.numpy(), rtol=1e-12)
    nll = nn.NLLLoss(WEIGHT, ignore_index=1)
    want = torch.nn.NLLLoss(torch.tensor(WEIGHT), ignore_index=1)(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(nll(x, y).item(), want.item(), rtol=1e-12)


# ----- formulas worked here, without PyTorch ---------------------------------------------
def test_a_case_worked_by_hand():
    # one sample, two classes, two positions: logits (0, ln 3) at the first, (0, 0) at the
    # second, so softmax is (1/4, 3/4) and (1/2, 1/2); labels 1 and 0
    x = cr.tensor(np.array([[[0.0, 0.0], [math.log(3), 0.0]]]), requires_grad=True)
    y = np.array([[1, 0]])
    loss = F.cross_entropy(x, y)
    assert loss.item() == pytest.approx((math.log(4 / 3) + math.log(2)) / 2, rel=1e-15)
    loss.backward()  # (softmax − onehot) / 2 at each position, the classes on axis 1
    np.testing.assert_allclose(x.grad, [[[1 / 8, -1 / 4], [-1 / 8, 1 / 4]]], atol=1e-16)
    each = F.cross_entropy(x, y, "none")
    np.testing.assert_allclose(each.numpy(), [[math.log(4 / 3), math.log(2)]], rtol=1e-15)
    weighted = F.cross_entropy(x, y, weight=[1.0, 3.0])  # w[1] = 3 at the first position
    want = (3 * math.log(4 / 3) + 1 * math.log(2)) / 4
    assert weighted.item() == pytest.approx(want, rel=1e-15)
    ignored = F.cross_entropy(x, np.array([[1, -100]]))  # the second position left out
    assert ignored.item() == pytest.approx(math.log(4 / 3), rel=1e-15)
    smoothed = F.cross_entropy(x, y, label_smoothing=0.5)  # target (1/4, 3/4), (3/4, 1/4)
    first = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert smoothed.item() == pytest.approx((first + math.log(2)) / 2, rel=1e-14)


def test_nll_loss_worked_by_hand():
    # log-probabilities (1, 3, 2): position 0 picks class 2, position 1 class 0
    x = cr.tensor(np.array([[[-1.0, -2.0], [-3.0, -4.0], [-5.0, -6.0]]]), requires_grad=True)
    loss = F.nll_loss(x, np.array([[2, 0]]), [1.0, 1.0, 3.0])
    assert loss.item() == pytest.approx((3 * 5 + 1 * 2) / 4, rel=1e-15)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[[0, -1 / 4], [0, 0], [-3 / 4, 0]]])
    each = F.nll_loss(x, np.array([[2, -100]]), reduction="none")
    np.testing.assert_array_equal(each.numpy(), [[5.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_labels_match_the_formula_written_per_position(shape, reduction):
    x, y = _logits(shape), _labels(shape, {})
    log_p = _log_softmax(x)
    kept = y != -100
    picked = np.take_along_axis(log_p, np.where(kept, y, 0)[:, None], axis=1)[:, 0]
    losses = np.where(kept, -picked, 0.0)  # (N, d₁, …)
    want = {"mean": losses.sum() / kept.sum(), "sum": losses.sum(), "none": losses}[reduction]
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction).numpy(), want, rtol=1e-13)
    np.testing.assert_allclose(F.nll_loss(log_p, y, reduction=reduction).numpy(), want, rtol=1e-13)


def test_probabilities_average_over_every_position():
    shape = (2, C, 3)
    x, p = _logits(shape), _probs(shape)
    losses = -(p * _log_softmax(x)).sum(axis=1)  # (N, d₁)
    np.testing.assert_allclose(F.cross_entropy(x, p).item(), losses.mean(), rtol=1e-13)
    np.testing.assert_allclose(F.cross_entropy(x, p, "none").numpy(), losses, rtol=1e-13)


# ----- finite differences, first and second order ----------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", LABEL_OPTIONS)
def test_cross_entropy_labels_gradcheck(options, reduction):
    shape = (2, C, 3, 2)
    y = _labels(shape, options)

    def loss(x):
        return _scalar(F.cross_entropy(x, y, reduction, **options), reduction)

    assert cr.gradcheck(loss, [_logits(shape)], check_second_order=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", PROB_OPTIONS)
def test_cross_entropy_probabilities_gradcheck_in_both_inputs(options, reduction):
    shape = (2, C, 3)

    def loss(x, t):
        return _scalar(F.cross_entropy(x, t, reduction, **options), reduction)

    assert cr.gradcheck(loss, [_logits(shape), _probs(shape)], check_second_order=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", NLL_OPTIONS)
def test_nll_loss_gradcheck(options, reduction):
    shape = (3, C, 2, 2)
    y = _labels(shape, options)
    weight, ignore = options.get("weight"), options.get("ignore_index", -100)

    def loss(x):
        out = F.nll_loss(x, y, weight, ignore_index=ignore, reduction=reduction)
        return _scalar(out, reduction)

    assert cr.gradcheck(loss, [_log_softmax(_logits(shape))], check_second_order=True)


# ----- shapes, training --------------------------------------------------------------------
def test_none_keeps_the_positions_and_a_2d_input_is_unchanged():
    x = _logits((2, C, 3, 5))
    y = _labels(x.shape, {})
    assert F.cross_entropy(x, y, "none").shape == (2, 3, 5)
    assert F.nll_loss(x, y, reduction="none").shape == (2, 3, 5)
    assert F.cross_entropy(x, _probs(x.shape), "none").shape == (2, 3, 5)
    rows = _logits((6, C))
    assert F.cross_entropy(rows, np.arange(6) % C, "none").shape == (6,)


def test_empty_positions_sum_to_zero():
    x, y = np.zeros((2, C, 0)), np.zeros((2, 0), np.int64)
    assert F.cross_entropy(x, y, "none").shape == (2, 0)
    assert F.cross_entropy(x, y, "sum").item() == 0
    assert F.nll_loss(x, y, reduction="sum").item() == 0


class _PerToken(nn.Module):
    """Features (N, L, 3) → class scores (N, C, L), the classes on axis 1."""

    def __init__(self):
        self.linear = nn.Linear(3, C)

    def forward(self, x):
        return self.linear(x).permute(0, 2, 1)


def test_fit_and_evaluate_report_the_loss_over_every_position():
    cr.manual_seed(0)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((16, 5, 3)).astype(np.float32)
    y = rng.integers(0, C, (16, 5))
    model = _PerToken()
    history = cr.fit(
        model,
        nn.CrossEntropyLoss(),
        cr.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=2,
        batch_size=16,
        verbose=0,
    )
    assert len(history.history["loss"]) == 2
    scores = model(X).numpy().astype(np.float64)
    picked = np.take_along_axis(_log_softmax(scores), y[:, None], axis=1)
    result = cr.evaluate(model, nn.CrossEntropyLoss(), (X, y))
    assert result["loss"] == pytest.approx(-picked.mean(), rel=1e-5)


# ----- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (  # labels (N, d₁) for logits (N, C, d₂): the positions do not match
            lambda: F.cross_entropy(_logits((2, C, 3)), np.zeros((2, 5), np.int64)),
            r"cross_entropy: a target of shape \(2, 5\) fits neither class labels of shape "
            r"\(2, 3\) nor probabilities of shape \(2, 4, 3\) for logits of shape \(2, 4, 3\)",
        ),
        (
            lambda: F.cross_entropy(_logits((2, C, 3, 5)), np.zeros((2, 3), np.int64)),
            r"a target of shape \(2, 3\) fits neither class labels of shape \(2, 3, 5\)",
        ),
        (  # Keras's layout: the classes last
            lambda: F.cross_entropy(_logits((2, 3, 5, C)), np.zeros((2, 3, 5), np.int64)),
            r"classes are on axis 1, as in PyTorch: for logits with the classes last, call "
            r"\.permute\(0, 3, 1, 2\) first",
        ),
        (
            lambda: F.cross_entropy(_logits((2, C, 3)), np.moveaxis(_probs((2, C, 3)), 1, -1)),
            r"a target of shape \(2, 3, 4\) fits neither.*np\.moveaxis\(target, -1, 1\)",
        ),
        (
            lambda: F.nll_loss(_logits((2, C, 3)), np.zeros((2, 4), np.int64)),
            r"nll_loss: the target has shape \(2, 4\), but log-probabilities of shape "
            r"\(2, 4, 3\) take class labels of shape \(2, 3\)",
        ),
        (  # nll_loss takes no probabilities
            lambda: F.nll_loss(_logits((2, C, 3)), _probs((2, C, 3))),
            r"nll_loss: the target has shape \(2, 4, 3\), but log-probabilities",
        ),
        (
            lambda: F.cross_entropy(_logits((2, C, 3)), np.zeros((2, 3))),
            r"cross_entropy: class labels must be integers, got dtype float64",
        ),
        (
            lambda: F.nll_loss(_logits((2, C, 3)), np.zeros((2, 3))),
            r"nll_loss: class labels must be integers, got dtype float64",
        ),
        (
            lambda: F.cross_entropy(_logits((2, C, 3)), np.array([[0, 1, 4], [0, 0, 0]])),
            r"cross_entropy: label 4 \(at position \(0, 2\)\) is out of range for 4 classes",
        ),
        (
            lambda: F.nll_loss(_logits((2, C, 3)), np.array([[0, 1, 1], [0, -1, 0]])),
            r"nll_loss: label -1 \(at position \(1, 1\)\) is out of range for 4 classes",
        ),
        (
            lambda: F.cross_entropy(_logits((2, C, 3)), _labels((2, C, 3), {}), weight=[1, 2]),
            r"weight has 2 values, but the logits of shape \(2, 4, 3\) have 4 classes",
        ),
        (
            lambda: F.nll_loss(_logits((2, C, 3)), _labels((2, C, 3), {}), [1.0, 2.0]),
            r"weight has 2 values, but the log-probabilities of shape \(2, 4, 3\) have 4",
        ),
        (
            lambda: F.cross_entropy(_logits((2, C, 3)), _probs((2, C, 3)), ignore_index=1),
            r"ignore_index=1 applies to class labels \(N, d₁, …\) only, not to probability "
            r"targets of shape \(2, 4, 3\)",
        ),
        (
            lambda: F.cross_entropy(np.zeros((2, C, 0)), np.zeros((2, 0), np.int64)),
            r"cross_entropy: empty batch \(input shape \(2, 4, 0\), target shape \(2, 0\)\)",
        ),
        (
            lambda: F.cross_entropy(np.zeros((2, 0, 3)), np.zeros((2, 3), np.int64)),
            r"cross_entropy: logits of shape \(2, 0, 3\) have no classes",
        ),
    ],
)
def test_targets_that_fit_neither_way_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
