"""cross_entropy's PyTorch options weight, ignore_index and label_smoothing: values and
gradients against formulas worked here in NumPy, finite differences (first and second
order) and PyTorch; the fused node; dtypes; the errors for bad options."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule._explain._rules import formula, sentence

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

F = nn.functional
C = 4
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
LABELS = np.array([0, 3, -100, 1, 3])  # one row left out by PyTorch's default ignore_index
REDUCTIONS = ["mean", "sum", "none"]

# each option alone, and combined (ignore_index=1 leaves out rows labelled 1)
LABEL_OPTIONS = [
    {},
    {"weight": WEIGHT},
    {"ignore_index": 1},
    {"label_smoothing": 0.2},
    {"weight": WEIGHT, "label_smoothing": 0.2},
    {"weight": WEIGHT, "ignore_index": 1, "label_smoothing": 0.3},
]
PROB_OPTIONS = [
    {},
    {"weight": WEIGHT},
    {"label_smoothing": 0.2},
    {"weight": WEIGHT, "label_smoothing": 0.3},
]


def _logits(dtype=np.float64):
    return np.random.default_rng(0).standard_normal((5, C)).astype(dtype)


def _labels(options):
    """The labels for the options: with ignore_index=1, the -100 row becomes class 2."""
    return np.where(LABELS == -100, 2, LABELS) if "ignore_index" in options else LABELS


def _probs():
    return np.random.default_rng(1).dirichlet(np.ones(C), size=5)


def _log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


# ----- the formulas, written out per sample in float64 -----------------------------------
def _reference(x, target, reduction, weight=None, ignore_index=-100, label_smoothing=0.0):
    """(loss, ∂(Σ loss·1)/∂x) from PyTorch's documented formulas, one sample at a time."""
    x = x.astype(np.float64)
    w = np.ones(C) if weight is None else weight
    eps = label_smoothing
    log_p = _log_softmax(x)
    p = np.exp(log_p)
    losses, grads, divisor = np.zeros(len(x)), np.zeros(x.shape), 0.0
    for n in range(len(x)):
        if target.ndim == 2:  # probabilities: smoothed, weighted per class, divided by N
            smooth = (1 - eps) * target[n] + eps / C
            losses[n] = -(w * smooth * log_p[n]).sum()
            grads[n] = sum(w[k] * smooth[k] * (p[n] - np.eye(C)[k]) for k in range(C))
            divisor += 1
        elif target[n] != ignore_index:  # a label: (1 − ε)·NLL + ε/C·Σ weighted NLL
            y = target[n]
            losses[n] = (1 - eps) * w[y] * -log_p[n, y] + eps / C * (w * -log_p[n]).sum()
            grads[n] = (1 - eps) * w[y] * (p[n] - np.eye(C)[y])
            grads[n] += eps / C * sum(w[k] * (p[n] - np.eye(C)[k]) for k in range(C))
            divisor += w[y]
    if reduction == "none":
        return losses, grads
    if reduction == "sum":
        return losses.sum(), grads
    return losses.sum() / divisor, grads / divisor


def _ours(x, target, reduction, **options):
    xt = cr.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, target, reduction, **options)
    loss.backward(np.ones(loss.shape, loss.dtype))
    return loss, xt.grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", LABEL_OPTIONS)
def test_labels_match_the_formula(reduction, options):
    x, labels = _logits(), _labels(options)
    loss, grad = _ours(x, labels, reduction, **options)
    want_loss, want_grad = _reference(x, labels, reduction, **options)
    np.testing.assert_allclose(loss.data, want_loss, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", PROB_OPTIONS)
def test_probabilities_match_the_formula(reduction, options):
    x, probs = _logits(), _probs()
    loss, grad = _ours(x, probs, reduction, **options)
    want_loss, want_grad = _reference(x, probs, reduction, **options)
    np.testing.assert_allclose(loss.data, want_loss, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-14)


def test_weighted_mean_divides_by_the_weights_of_the_labels_kept():
    x = np.zeros((3, 2))  # every sample costs log 2 before weighting
    loss = F.cross_entropy(x, np.array([0, 1, -100]), weight=np.array([1.0, 3.0]))
    np.testing.assert_allclose(loss.item(), (1 + 3) * np.log(2) / (1 + 3))  # not / 3, not / 2
    summed = F.cross_entropy(x, np.array([0, 1, -100]), "sum", weight=np.array([1.0, 3.0]))
    np.testing.assert_allclose(summed.item(), 4 * np.log(2))


def test_the_default_ignore_index_leaves_rows_out_without_options():
    x, labels = _logits(), LABELS
    loss, grad = _ours(x, labels, "mean")
    kept = LABELS != -100
    plain, plain_grad = _ours(x[kept], labels[kept], "mean")
    np.testing.assert_allclose(loss.data, plain.data, rtol=1e-14)
    np.testing.assert_allclose(grad[kept], plain_grad, rtol=1e-14)
    assert np.all(grad[~kept] == 0)
    assert type(loss.grad_fn).__name__ == "WeightedSoftmaxWithLoss"
    module = nn.CrossEntropyLoss()(cr.tensor(x), labels)
    np.testing.assert_allclose(module.data, plain.data, rtol=1e-14)


def test_without_options_the_plain_node_is_used():
    x = cr.tensor(_logits(), requires_grad=True)
    for reduction, name in zip(REDUCTIONS, ["", "Sum", "PerSample"]):
        loss = nn.CrossEntropyLoss(reduction)(x, np.array([0, 3, 1, 1, 2]))
        assert type(loss.grad_fn).__name__ == f"SoftmaxWithLoss{name}"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_a_batch_of_only_ignored_labels(reduction):
    # PyTorch: the mean is 0/0 = NaN; the sum 0; every gradient 0
    loss, grad = _ours(_logits(), np.full(5, 7), reduction, ignore_index=7, weight=WEIGHT)
    if reduction == "mean":
        assert np.isnan(loss.item())
    else:
        assert np.all(loss.data == 0)
    assert np.all(grad == 0)


def test_zero_weights_on_every_label_give_nan_for_the_mean():
    weight = np.array([0.0, 0.0, 1.0, 1.0])
    loss = F.cross_entropy(_logits(), np.array([0, 1, 1, 0, 0]), weight=weight)
    assert np.isnan(loss.item())


def test_full_smoothing_is_the_uniform_target():
    x = _logits()
    loss = F.cross_entropy(x, np.array([0, 3, 1, 1, 2]), label_smoothing=1.0)
    np.testing.assert_allclose(loss.item(), -_log_softmax(x).mean(axis=1).mean(), rtol=1e-14)


# ----- finite differences, first and second order ----------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", LABEL_OPTIONS)
def test_labels_gradcheck_with_second_order(reduction, options):
    labels = _labels(options)

    def loss(x):
        out = F.cross_entropy(x, labels, reduction, **options)
        return out if reduction != "none" else (out * np.arange(1.0, 6.0)).sum()

    assert cr.gradcheck(loss, [_logits()], check_second_order=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", PROB_OPTIONS)
def test_probabilities_gradcheck_in_both_inputs_with_second_order(reduction, options):
    def loss(x, t):
        out = F.cross_entropy(x, t, reduction, **options)
        return out if reduction != "none" else (out * np.arange(1.0, 6.0)).sum()

    assert cr.gradcheck(loss, [_logits(), _probs()], check_second_order=True)


def test_create_graph_gives_the_hessian_of_the_weighted_loss():
    # ∂²L/∂x² of a row is D⁻¹·(Σq)·(diag p − p pᵀ): q fixed, only softmax varies
    x = cr.tensor(_logits(), requires_grad=True)
    options = {"weight": WEIGHT, "label_smoothing": 0.2}
    loss = F.cross_entropy(x, np.array([0, 3, 1, 1, 2]), "sum", **options)
    loss.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g[0, 0].backward()
    p = np.exp(_log_softmax(_logits()))[0]
    total = 0.8 * WEIGHT[0] + 0.2 / C * WEIGHT.sum()
    want = total * (np.diag(p) - np.outer(p, p))[0]
    np.testing.assert_allclose(x.grad[0], want, rtol=1e-12)
    assert np.all(x.grad[1:] == 0)


# ----- PyTorch -----------------------------------------------------------------------------
def _torch(x, target, reduction, options):
    kw = {
        k: torch.tensor(v, dtype=torch.from_numpy(x).dtype) if k == "weight" else v
        for k, v in options.items()
    }
    xt = torch.tensor(x, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction, **kw)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), xt.grad.numpy()


def _check_against_torch(x, target, reduction, options):
    loss, grad = _ours(x, target, reduction, **options)
    want_loss, want_grad = _torch(x, target, reduction, options)
    tol = 1e-12 if x.dtype == np.float64 else 2e-5
    assert loss.dtype == grad.dtype == x.dtype
    np.testing.assert_allclose(loss.data, want_loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(grad, want_grad, rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", LABEL_OPTIONS)
def test_labels_match_pytorch(options, reduction, dtype):
    _check_against_torch(_logits(dtype), _labels(options), reduction, options)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", PROB_OPTIONS)
def test_probabilities_match_pytorch(options, reduction, dtype):
    _check_against_torch(_logits(dtype), _probs().astype(dtype), reduction, options)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_only_ignored_labels_match_pytorch(reduction):
    options = {"weight": WEIGHT, "label_smoothing": 0.1}
    loss, grad = _ours(_logits(), np.full(5, -100), reduction, **options)
    want_loss, want_grad = _torch(_logits(), np.full(5, -100), reduction, options)
    np.testing.assert_array_equal(loss.data, want_loss)  # NaN for the mean in both
    np.testing.assert_array_equal(grad, want_grad)


@needs_torch
def test_the_module_matches_pytorch_s_module():
    options = {"ignore_index": 3, "label_smoothing": 0.1}
    ours = nn.CrossEntropyLoss(weight=WEIGHT, **options)
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHT), **options)
    x, labels = _logits(), np.array([0, 3, 1, 1, 2])
    want = theirs(torch.tensor(x), torch.tensor(labels)).item()
    np.testing.assert_allclose(ours(x, labels).item(), want, rtol=1e-12)


# ----- dtypes ------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["labels", "probs"])
def test_float32_stays_float32(target):
    x = cr.tensor(_logits(np.float32), requires_grad=True)
    t = np.array([0, 3, 1, 1, 2]) if target == "labels" else _probs()  # float64 probabilities
    loss = F.cross_entropy(x, t, weight=WEIGHT, label_smoothing=0.1)  # a float64 weight
    loss.backward()
    assert loss.dtype == np.float32
    assert x.grad.dtype == np.float32


# ----- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"weight": np.ones(3)}, ValueError, r"weight has 3 values.*\(5, 4\) have 4 classes"),
        ({"weight": np.ones((2, 2))}, ValueError, r"one number per class.*shape \(2, 2\)"),
        (
            {"weight": np.array([1.0, -1.0, 1, 1])},
            ValueError,
            r"non-negative, got -1.0 for class 1",
        ),
        ({"weight": np.array([1.0, 1, np.nan, 1])}, ValueError, r"finite.*got nan for class 2"),
        ({"weight": np.array([1.0, 1, 1, np.inf])}, ValueError, r"got inf for class 3"),
        ({"weight": np.array(["a", "b", "c", "d"])}, TypeError, r"weight must be numbers"),
        ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must be in \[0, 1\], got 1.5"),
        ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must be in \[0, 1\], got -0.1"),
        ({"label_smoothing": float("nan")}, ValueError, r"label_smoothing .*got nan"),
        ({"label_smoothing": "0.1"}, TypeError, r"label_smoothing must be a number.*'0.1'"),
        ({"ignore_index": 0.5}, TypeError, r"ignore_index must be an int.*0.5 of type float"),
        ({"ignore_index": True}, TypeError, r"ignore_index must be an int.*True of type bool"),
    ],
)
def test_bad_options_are_refused_by_name(options, error, message):
    with pytest.raises(error, match=rf"cross_entropy: .*{message}"):
        F.cross_entropy(_logits(), np.array([0, 3, 1, 1, 2]), **options)
    if "weight" in options and options["weight"].shape == (3,):
        return  # the module checks the length when called, knowing C only then
    with pytest.raises(error, match=rf"SoftmaxCrossEntropy: .*{message}"):
        nn.CrossEntropyLoss(**options)


def test_the_module_checks_the_weight_s_length_when_called():
    loss = nn.CrossEntropyLoss(weight=np.ones(3))
    with pytest.raises(ValueError, match=r"weight has 3 values.*4 classes"):
        loss(_logits(), np.array([0, 3, 1, 1, 2]))


def test_ignore_index_with_probability_targets_is_refused():
    with pytest.raises(ValueError, match=r"ignore_index=2 applies to class labels \(N,\) only"):
        F.cross_entropy(_logits(), _probs(), ignore_index=2)
    F.cross_entropy(_logits(), _probs(), ignore_index=-100)  # the default is accepted


def test_a_label_out_of_range_that_is_not_ignore_index_is_refused():
    with pytest.raises(ValueError, match=r"label -100 \(at position 2\) is out of range"):
        F.cross_entropy(_logits(), LABELS, ignore_index=0)
    with pytest.raises(ValueError, match=r"label 9 \(at position 1\).*ignore_index \(-100\)"):
        F.cross_entropy(_logits(), np.array([0, 9, -100, 1, 1]))


def test_pytorch_s_positional_weight_is_pointed_to_the_keyword():
    with pytest.raises(TypeError, match=r"PyTorch's first argument is weight.*weight=\.\.\."):
        nn.CrossEntropyLoss(WEIGHT)
    with pytest.raises(TypeError, match=r"cross_entropy: reduction .*got a ndarray"):
        F.cross_entropy(_logits(), LABELS, WEIGHT)


# ----- the module, explain, fit ----------------------------------------------------------
def test_the_module_shows_its_options():
    loss = nn.CrossEntropyLoss("sum", weight=[1, 2], ignore_index=0, label_smoothing=0.1)
    assert repr(loss) == (
        "SoftmaxCrossEntropy(reduction='sum', weight=[1.0, 2.0], ignore_index=0, "
        "label_smoothing=0.1)"
    )
    assert repr(nn.CrossEntropyLoss()) == "SoftmaxCrossEntropy()"


def test_explain_shows_the_rule_with_the_options():
    x = cr.tensor(_logits(), requires_grad=True, name="x")
    loss = F.cross_entropy(x, LABELS, weight=WEIGHT, label_smoothing=0.1)
    node = loss.grad_fn
    assert "(softmax(x)·Σₖ qₖ − q) / D" in sentence(node)
    assert "qₙ = (1 − ε)·w[yₙ]·onehot(yₙ) + ε/C·w (0 if yₙ is ignore_index)" in sentence(node)
    assert "D = Σ w[yₙ] over the labels kept" in sentence(node)
    assert formula(node, "ko").startswith("weighted_softmax_loss: dX = (softmax(x)·Σq − q) / D")
    table = cr.explain(loss).table()
    assert "(softmax − t) / N" not in table
    assert "(softmax(x)·Σₖ qₖ − q) / D" in table


def test_fit_trains_with_the_options():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    y[::8] = -100  # left out
    model = nn.Sequential(nn.Linear(3, 2))
    loss_fn = nn.CrossEntropyLoss(weight=[1.0, 2.0], label_smoothing=0.1)
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    history = cr.fit(model, loss_fn, opt, (X, y), epochs=5, batch_size=8, progress=False)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("reduction", [None, 3, 1.5])
def test_a_reduction_that_is_not_numbers_is_not_taken_for_a_weight(reduction):
    with pytest.raises(ValueError, match=f"reduction must be one of .* got {reduction!r}"):
        F.cross_entropy(_logits(), LABELS, reduction)


def test_the_weight_is_a_buffer_in_the_state_as_pytorchs():
    class Model(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(3, 3)
            self.loss_fn = nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0])

    state = Model().state_dict()
    assert list(state) == ["fc.weight", "fc.bias", "loss_fn.weight"]
    np.testing.assert_array_equal(state["loss_fn.weight"], [1.0, 2.0, 3.0])
    other = Model()
    other.load_state_dict({**state, "loss_fn.weight": np.array([3.0, 2.0, 1.0])})
    np.testing.assert_array_equal(other.loss_fn.weight, [3.0, 2.0, 1.0])
    assert list(nn.CrossEntropyLoss().state_dict()) == []  # no weight, no entry
