"""Losses: gradient checks (first and second order), the closed-form gradients, stability
for huge logits, and the target checks."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    probs = rng.dirichlet(np.ones(4), size=5)
    return logits, labels, probs


# ----- SoftmaxCrossEntropy -----------------------------------------------------------------
def test_cross_entropy_gradcheck_with_second_order(data):
    logits, labels, probs = data
    assert cr.gradcheck(lambda x: F.cross_entropy(x, labels), [logits], check_second_order=True)
    assert cr.gradcheck(F.cross_entropy, [logits, probs], check_second_order=True)


def test_cross_entropy_with_target_rows_that_do_not_sum_to_one(data):
    # L = −Σ t·log softmax(x) / N gives ∂L/∂x = (softmax(x)·Σₖ tₖ − t) / N: unnormalised
    # weights and a zero row (a masked sample) too, checked against finite differences
    logits, _, probs = data
    t = probs * np.array([[1.0], [0.0], [2.5], [0.4], [1.0]])  # row sums 1, 0, 2.5, 0.4, 1
    x = cr.tensor(logits, requires_grad=True)
    F.cross_entropy(x, t).backward()
    expected = (_softmax(logits) * t.sum(axis=1, keepdims=True) - t) / len(t)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-15)
    assert cr.gradcheck(F.cross_entropy, [logits, t], check_second_order=True)


def test_cross_entropy_mixed_second_derivative_in_the_target():
    # ∂L/∂x₀₀ = (p₀₀·Σₖ t₀ₖ − t₀₀) / N, so ∂/∂t₀ₖ of it is (p₀₀ − [k = 0]) / N (N = 1)
    x = cr.tensor([[1.0, 2.0, 0.5]], dtype="float64", requires_grad=True)
    t = cr.tensor([[0.2, 0.3, 0.5]], dtype="float64", requires_grad=True)
    F.cross_entropy(x, t).backward(create_graph=True)
    g = x.grad
    x.grad = t.grad = None
    g[0, 0].backward()
    p00 = _softmax(x.data)[0, 0]
    np.testing.assert_allclose(t.grad, [[p00 - 1, p00, p00]], rtol=1e-12)


def test_cross_entropy_value_is_the_mean_negative_log_softmax(data):
    logits, labels, probs = data
    log_p = np.log(_softmax(logits))
    loss = nn.SoftmaxCrossEntropy()(logits, labels)
    np.testing.assert_allclose(loss.item(), -log_p[np.arange(5), labels].mean(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(logits, probs).item(), -(probs * log_p).sum() / 5)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(data):
    logits, labels, _ = data
    x = cr.tensor(logits, requires_grad=True)
    loss = nn.SoftmaxCrossEntropy()(x, labels)
    assert type(loss.grad_fn).__name__ == "SoftmaxWithLoss"  # one fused node
    assert loss.grad_fn.inputs[0] is x
    loss.backward(np.array(3.0))  # upstream 3
    expected = (_softmax(logits) - np.eye(4)[labels]) / 5 * 3.0
    np.testing.assert_allclose(x.grad, expected, rtol=0, atol=1e-12)


def test_labels_and_onehot_give_the_same_loss_and_gradient(data):
    logits, labels, _ = data
    results = []
    for target in (labels, np.eye(4)[labels], labels.tolist(), cr.tensor(labels)):
        x = cr.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, target)
        loss.backward()
        results.append((loss.item(), x.grad))
    for value, grad in results[1:]:
        assert value == pytest.approx(results[0][0], rel=1e-14)
        np.testing.assert_allclose(grad, results[0][1], rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype)
    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 0]))  # right once, wrong by 2e4 once
    loss.backward()
    assert loss.dtype == dtype
    assert x.grad.dtype == dtype
    assert loss.item() == pytest.approx(1e4, rel=1e-6)
    np.testing.assert_allclose(x.grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-6)


def test_cross_entropy_keeps_float32_with_a_float64_onehot(data):
    logits, labels, _ = data
    x = cr.tensor(logits.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, np.eye(4)[labels])
    loss.backward()
    assert loss.dtype == np.float32
    assert x.grad.dtype == np.float32


def test_cross_entropy_backward_twice_with_retain_graph(data):
    logits, labels, _ = data
    x = cr.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, labels)
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-15)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            np.array([0, 1, 4, 1, 2]),
            r"label 4 \(at position 2\).*4 classes \(labels must be in 0..3\)",
        ),
        (np.array([0, -1, 0, 1, 2]), r"label -1 \(at position 1\).*4 classes"),
        (np.array([0.0, 1.0, 2.0, 1.0, 2.0]), "must be integers, got dtype float64"),
        (  # a tensor made from a list is float32: the message names that dtype, not the logits'
            cr.tensor([0, 1, 2, 1, 2]),
            r"must be integers, got dtype float32; .*cr.tensor\(labels, dtype='int64'\)",
        ),
        (np.array([0, 1, 2]), r"shape \(3,\) fits neither.*\(5,\)"),
    ],
)
def test_cross_entropy_rejects_bad_labels(data, target, message):
    with pytest.raises(ValueError, match=message):
        F.cross_entropy(data[0], target)


def test_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        F.cross_entropy(np.zeros(4), np.array([1]))


def test_cross_entropy_loss_is_the_same_class():
    assert nn.CrossEntropyLoss is nn.SoftmaxCrossEntropy


# ----- MSELoss ----------------------------------------------------------------------------
def test_mse_matches_the_formula_for_each_reduction():
    rng = np.random.default_rng(1)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    sq = (pred - target) ** 2
    assert nn.MSELoss()(pred, target).item() == pytest.approx(sq.mean(), rel=1e-14)
    assert nn.MSELoss("sum")(pred, target).item() == pytest.approx(sq.sum(), rel=1e-14)
    np.testing.assert_allclose(nn.MSELoss("none")(pred, target).data, sq, rtol=1e-14)
    x = cr.tensor(pred, requires_grad=True)
    F.mse_loss(x, target).backward()
    np.testing.assert_allclose(x.grad, 2 * (pred - target) / pred.size, rtol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_gradcheck_with_second_order(reduction):
    rng = np.random.default_rng(2)
    pred, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    f = lambda p, t: F.mse_loss(p, t, reduction)  # noqa: E731
    assert cr.gradcheck(f, [pred, target], check_second_order=True)


def test_mse_shape_mismatch_is_an_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"target has shape \(4,\).*prediction has shape \(4, 1\)"):
        nn.MSELoss()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss("average")


def test_mse_keeps_float32_with_a_float64_target():
    pred = cr.tensor(np.ones(3, np.float32), requires_grad=True)
    assert F.mse_loss(pred, np.zeros(3)).dtype == np.float32


# ----- BCEWithLogitsLoss ------------------------------------------------------------------
def test_bce_matches_the_direct_formula_and_its_gradient():
    rng = np.random.default_rng(3)
    x_np, t = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
    s = 1 / (1 + np.exp(-x_np))
    x = cr.tensor(x_np, requires_grad=True)
    loss = nn.BCEWithLogitsLoss()(x, t)
    expected = -(t * np.log(s) + (1 - t) * np.log(1 - s)).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad, (s - t) / t.size, rtol=1e-12)


def test_bce_gradcheck_with_second_order():
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((3, 2)), rng.random((3, 2))
    assert cr.gradcheck(F.binary_cross_entropy_with_logits, [x, t], check_second_order=True)


def test_bce_is_stable_and_exact_at_zero():
    x = cr.tensor(np.array([1e4, -1e4, 0.0], np.float32), requires_grad=True)
    t = np.array([0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t)
    loss.backward()
    assert loss.dtype == np.float32
    assert loss.item() == pytest.approx((2e4 + np.log(2)) / 3, rel=1e-6)
    np.testing.assert_allclose(x.grad, [1 / 3, -1 / 3, -0.5 / 3], rtol=1e-6)  # σ(0) − 1 = −½


def test_bce_shape_mismatch():
    with pytest.raises(ValueError, match=r"target has shape \(3,\).*logits have shape \(3, 1\)"):
        F.binary_cross_entropy_with_logits(np.zeros((3, 1)), np.zeros(3))


# ----- reduction="sum" and "none" for the fused losses -------------------------------------
def _per_sample_cross_entropy(logits, target):
    log_p = np.log(_softmax(logits))
    if target.ndim == 1:
        return -log_p[np.arange(len(target)), target]
    return -(target * log_p).sum(axis=1)


@pytest.mark.parametrize("which", ["labels", "probs"])
def test_cross_entropy_reductions_match_the_per_sample_formula(data, which):
    logits, labels, probs = data
    target = labels if which == "labels" else probs
    rows = _per_sample_cross_entropy(logits, target)
    onehot = np.eye(4)[labels] if which == "labels" else probs
    upstream = np.array([0.5, -1.0, 2.0, 0.0, 3.0])
    cases = [("mean", rows.mean(), None, 1 / 5), ("sum", rows.sum(), None, 1.0)]
    cases.append(("none", rows, upstream, upstream[:, None]))
    for reduction, value, grad, scale in cases:
        x = cr.tensor(logits, requires_grad=True)
        loss = nn.SoftmaxCrossEntropy(reduction=reduction)(x, target)
        np.testing.assert_allclose(loss.data, value, rtol=1e-12)
        loss.backward(grad)
        np.testing.assert_allclose(x.grad, (_softmax(logits) - onehot) * scale, atol=1e-15)


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_reductions_gradcheck_with_second_order(data, reduction):
    logits, labels, probs = data
    weights = np.arange(1.0, 6.0)  # a different weight per sample, so "none" is not a sum

    def loss(x, t=labels):
        out = F.cross_entropy(x, t, reduction=reduction)
        return (out * weights).sum() if reduction == "none" else out

    assert cr.gradcheck(loss, [logits], check_second_order=True)
    assert cr.gradcheck(loss, [logits, probs], check_second_order=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_reductions_match_the_direct_formula(reduction):
    rng = np.random.default_rng(5)
    x_np, t = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
    s = 1 / (1 + np.exp(-x_np))
    each = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    value = {"mean": each.mean(), "sum": each.sum(), "none": each}[reduction]
    upstream = rng.standard_normal((4, 3)) if reduction == "none" else None
    scale = {"mean": 1 / 12, "sum": 1.0, "none": upstream}[reduction]
    x = cr.tensor(x_np, requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction=reduction)(x, t)
    np.testing.assert_allclose(loss.data, value, rtol=1e-12)
    loss.backward(upstream)
    np.testing.assert_allclose(x.grad, (s - t) * scale, rtol=1e-12, atol=1e-15)
    weights = rng.random((4, 3))

    def weighted(x, t):
        out = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
        return (out * weights).sum() if reduction == "none" else out

    assert cr.gradcheck(weighted, [x_np, t], check_second_order=True)


def test_an_empty_batch_sums_to_zero_and_keeps_no_rows():
    # a mean over nothing is an error; a sum over nothing is 0, and "none" keeps no rows
    x = cr.tensor(np.zeros((0, 3)), requires_grad=True)
    labels = np.zeros(0, np.int64)
    total = F.cross_entropy(x, labels, reduction="sum")
    assert total.item() == 0.0
    total.backward()
    assert x.grad.shape == (0, 3)
    assert F.cross_entropy(x, labels, reduction="none").shape == (0,)
    assert F.binary_cross_entropy_with_logits(x, np.zeros((0, 3)), reduction="sum").item() == 0
    with pytest.raises(ValueError, match="empty batch"):
        F.cross_entropy(x, labels)


@pytest.mark.parametrize(
    "loss",
    [nn.SoftmaxCrossEntropy, nn.BCEWithLogitsLoss, nn.MSELoss, nn.L1Loss, nn.HingeEmbeddingLoss],
)
def test_an_unknown_reduction_is_refused_by_name(loss):
    with pytest.raises(ValueError, match=rf"^{loss.__name__}: reduction must be one of .*'avg'"):
        loss(reduction="avg")
    with pytest.raises(ValueError, match=rf"^{loss.__name__}: reduction must be .*got 2$"):
        loss(reduction=2)  # not a string


_X, _Y, _ROWS = np.full((2, 3), 0.5), np.full((2, 3), 0.25), np.ones(2)
_FUNCTIONAL = {
    "mse_loss": (_X, _Y),
    "l1_loss": (_X, _Y),
    "smooth_l1_loss": (_X, _Y),
    "huber_loss": (_X, _Y),
    "soft_margin_loss": (_X, -np.ones((2, 3))),
    "poisson_nll_loss": (_X, _Y),
    "gaussian_nll_loss": (_X, _Y, np.ones((2, 3))),
    "binary_cross_entropy": (_X, _Y),
    "binary_cross_entropy_with_logits": (_X, _Y),
    "nll_loss": (_X, np.zeros(2, np.int64)),
    "cross_entropy": (_X, np.zeros(2, np.int64)),
    "cosine_embedding_loss": (_X, _Y, _ROWS),
    "margin_ranking_loss": (_ROWS, _ROWS, _ROWS),
}


@pytest.mark.parametrize("name", _FUNCTIONAL)
def test_an_unknown_reduction_of_a_function_is_refused_by_its_name(name):
    with pytest.raises(ValueError, match=rf"^{name}: reduction must be one of .*got 'avg'$"):
        getattr(F, name)(*_FUNCTIONAL[name], reduction="avg")


def test_a_summed_cross_entropy_trains_and_evaluates_as_the_mean_does():
    # a summed loss with the learning rate divided by the batch's size takes the same steps
    # as the mean; fit logs it summed over the data (20 samples), and "none" is refused
    X, y = np.random.default_rng(6).standard_normal((20, 4)), np.arange(20) % 3
    for reduction in ("mean", "sum"):
        cr.manual_seed(0)
        model = nn.Linear(4, 3)
        loss_fn = nn.SoftmaxCrossEntropy(reduction=reduction)
        opt = cr.optim.SGD(model.parameters(), lr=0.1 if reduction == "mean" else 0.1 / 20)
        history = cr.fit(model, loss_fn, opt, (X, y), epochs=2, batch_size=20, progress=False)
        if reduction == "mean":
            expected = history.history["loss"]
        else:
            np.testing.assert_allclose(
                history.history["loss"], np.multiply(expected, 20), rtol=1e-5
            )
    with pytest.raises(ValueError, match="reduction='none'"):
        cr.evaluate(model, nn.SoftmaxCrossEntropy(reduction="none"), (X, y))


@pytest.mark.parametrize("loss", ["cross_entropy", "bce"])
def test_a_target_of_another_dtype_keeps_its_mixed_second_derivative(loss):
    # ∂/∂t of ∂L/∂x: for cross-entropy (N = 1, upstream ones) Σₖ ∂²L/∂tⱼ∂xₖ = (Σₖ pₖ) − 1 = 0
    # would hide a missing term, so take ∂/∂t of ∂L/∂x₀₀ alone; for BCE ∂²L/∂t∂x = −1/n
    x = cr.tensor([[1.0, 2.0, 0.5]], dtype="float64", requires_grad=True)
    t = cr.tensor([[0.2, 0.3, 0.5]], dtype="float32", requires_grad=True)
    fn = F.cross_entropy if loss == "cross_entropy" else F.binary_cross_entropy_with_logits
    fn(x, t).backward(create_graph=True)
    g = x.grad
    x.grad = t.grad = None
    g[0, 0].backward()
    assert t.grad is not None
    assert t.grad.dtype == np.float32
    if loss == "cross_entropy":
        p00 = _softmax(x.data)[0, 0]
        np.testing.assert_allclose(t.grad, [[p00 - 1, p00, p00]], rtol=1e-6)
    else:
        np.testing.assert_allclose(t.grad, [[-1 / 3, 0, 0]], rtol=1e-6)


def test_bce_at_infinite_logits_is_the_limit_of_the_loss():
    # L(x, t) = max(x, 0) − x·t + log(1 + e^−|x|) tends to (1 − t)·x as x → +∞ and to −t·x
    # as x → −∞: 0 for a certain, correct prediction, +∞ for a wrong one (not ∞ − ∞ = NaN);
    # the gradient σ(x) − t is 0 or ±1 there
    x = cr.tensor(np.array([-np.inf, np.inf, np.inf, -np.inf, np.inf]), requires_grad=True)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_array_equal(loss.data, [0.0, 0.0, np.inf, np.inf, np.inf])
    loss.backward(np.ones(5))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0, -1.0, 0.5])
    assert F.binary_cross_entropy_with_logits(x[:2], t[:2]).item() == 0.0
