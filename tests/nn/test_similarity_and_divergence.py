"""normalize, cosine_similarity, pairwise_distance, softmin, glu, Unflatten, kl_div and the
cosine embedding, margin ranking, soft margin, Poisson and Gaussian NLL losses
(nn/_similarity.py, nn/_probabilistic_losses.py, nn/_embedding_losses.py,
nn/_class_margin_losses.py): values and gradients against PyTorch in float64, PyTorch's
edge cases (zero vectors, zero targets, variances below eps, reduction="none"), formulas
worked here in NumPy, finite differences, and the argument checks."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional
RTOL = 1e-10
REDUCTIONS = ["mean", "sum", "none"]


def _rng():
    return np.random.default_rng(7)


def _normal(*shape):
    return _rng().normal(size=shape)


def _pair():
    rng = _rng()
    return rng.normal(size=(4, 5)), rng.normal(size=(4, 5))


def _log_probs(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _probs_with_zeros():
    p = np.exp(_log_probs(_normal(4, 5) * 2))
    p[0, 1] = p[2, 4] = 0.0  # xlogy's 0·ln 0 = 0
    return p / p.sum(axis=1, keepdims=True)


def _signs(*shape):
    return np.where(_rng().random(shape) < 0.5, -1.0, 1.0)


def _counts():
    return _rng().poisson(2.0, size=(4, 5)).astype(np.float64)  # 0, 1 and > 1 (Stirling)


def _weighted_sum(out):
    """A scalar of any output: its elements weighted by 1, 2, 3, …"""
    out = out if isinstance(out, cr.Tensor) else cr.tensor(out)
    return (out * np.arange(1.0, out.data.size + 1).reshape(out.shape)).sum()


# ----- PyTorch's values and gradients, through the engine -------------------------------------
def _cases():
    """(id, function -- PyTorch's has its name --, keywords, differentiated inputs, constant
    inputs after them)."""
    a, b = _pair()
    lp, p, signs = _log_probs(a), _probs_with_zeros(), _signs(4, 5)
    var = np.abs(b) + 0.1
    return [
        ("normalize", F.normalize, {}, [a], []),
        ("normalize-p1-dim0", F.normalize, {"p": 1.0, "dim": 0}, [a], []),
        ("normalize-p3", F.normalize, {"p": 3.0}, [a], []),
        ("normalize-pinf", F.normalize, {"p": math.inf}, [a], []),
        ("cosine_similarity", F.cosine_similarity, {}, [a, b], []),
        ("cosine_dim0", F.cosine_similarity, {"dim": 0}, [a, b], []),
        ("cosine_broadcast", F.cosine_similarity, {}, [a, b[:1]], []),
        ("pairwise", F.pairwise_distance, {}, [a, b], []),
        ("pairwise-p1", F.pairwise_distance, {"p": 1.0}, [a, b], []),
        ("pairwise-keep", F.pairwise_distance, {"keepdim": True}, [a, b], []),
        ("softmin", F.softmin, {"dim": 1}, [a], []),
        ("glu", F.glu, {}, [_normal(3, 6)], []),
        ("glu-dim0", F.glu, {"dim": 0}, [_normal(4, 3)], []),
        ("kl_batchmean", F.kl_div, {"reduction": "batchmean"}, [lp], [p]),
        ("kl_sum_log", F.kl_div, {"reduction": "sum", "log_target": True}, [lp, lp[::-1]], []),
        ("kl_none", F.kl_div, {"reduction": "none"}, [lp, p + 0.1], []),
        ("cosine_embedding", F.cosine_embedding_loss, {"margin": 0.1}, [a, b], [_signs(4)]),
        ("cosine_embedding_1d", F.cosine_embedding_loss, {}, [a[0], b[0]], [np.array(-1.0)]),
        ("margin_ranking", F.margin_ranking_loss, {"margin": 0.3}, [a, b], [signs]),
        ("soft_margin", F.soft_margin_loss, {}, [a], [signs]),
        ("poisson_log", F.poisson_nll_loss, {"full": True}, [a], [_counts()]),
        ("poisson_rate", F.poisson_nll_loss, {"log_input": False}, [np.abs(a)], [_counts()]),
        ("gaussian", F.gaussian_nll_loss, {"full": True}, [a, b, var], []),
        ("gaussian_per_row", F.gaussian_nll_loss, {}, [a, b, var[:, 0]], []),
        ("gaussian_axis_of_one", F.gaussian_nll_loss, {}, [a, b, var[:, :1]], []),
    ]


CASES = _cases()


def _call(fn, inputs, constants, kwargs):
    """``fn(*inputs, *constants, **kwargs)``, the constants placed as the case lists them
    (kl_div's and the losses' targets after the differentiated inputs, gaussian's var last)."""
    return fn(*inputs, *constants, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_equal_pytorchs(case):
    torch = pytest.importorskip("torch")
    _, fn, kwargs, arrays, constants = case
    ours = [cr.tensor(x, requires_grad=True) for x in arrays]
    theirs = [torch.tensor(np.ascontiguousarray(x), requires_grad=True) for x in arrays]
    out = _call(fn, ours, constants, kwargs)
    expected = _call(
        getattr(torch.nn.functional, fn.__name__), theirs, map(torch.tensor, constants), kwargs
    )
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL, atol=1e-300)
    weights = np.arange(1.0, out.data.size + 1).reshape(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name", ["cosine_embedding", "margin_ranking", "soft_margin", "poisson_log", "gaussian"]
)
def test_every_reduction_and_the_none_shapes_equal_pytorchs(name, reduction):
    torch = pytest.importorskip("torch")
    _, fn, kwargs, arrays, constants = next(c for c in CASES if c[0] == name)
    kwargs = {**kwargs, "reduction": reduction}
    out = _call(fn, [cr.tensor(x) for x in arrays], constants, kwargs)
    tensors = [torch.tensor(x) for x in [*arrays, *constants]]
    expected = getattr(torch.nn.functional, fn.__name__)(*tensors, **kwargs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=RTOL)


def test_modules_equal_pytorchs():
    torch = pytest.importorskip("torch")
    a, b = _pair()
    ta, tb = torch.tensor(a), torch.tensor(b)
    pairs = [
        (nn.CosineSimilarity(0, 1e-6), torch.nn.CosineSimilarity(0, 1e-6), (a, b), (ta, tb)),
        (
            nn.PairwiseDistance(3.0, 1e-4, True),
            torch.nn.PairwiseDistance(3.0, 1e-4, True),
            (a, b),
            (ta, tb),
        ),
        (nn.Softmin(dim=0), torch.nn.Softmin(dim=0), (a,), (ta,)),
        (nn.GLU(0), torch.nn.GLU(0), (a,), (ta,)),
        (nn.Unflatten(1, (5, 1)), torch.nn.Unflatten(1, (5, 1)), (a,), (ta,)),
        (
            nn.SoftMarginLoss("sum"),
            torch.nn.SoftMarginLoss(reduction="sum"),
            (a, np.sign(b)),
            (ta, tb.sign()),
        ),
        (
            nn.KLDivLoss("batchmean", log_target=True),
            torch.nn.KLDivLoss(reduction="batchmean", log_target=True),
            (a, b),
            (ta, tb),
        ),
        (
            nn.PoissonNLLLoss(False, True, eps=0.5),
            torch.nn.PoissonNLLLoss(False, True, eps=0.5),
            (np.abs(a), 3 * np.abs(b)),
            (ta.abs(), 3 * tb.abs()),
        ),
        (
            nn.GaussianNLLLoss(eps=0.3),
            torch.nn.GaussianNLLLoss(eps=0.3),
            (a, b, np.abs(a)),
            (ta, tb, ta.abs()),
        ),
        (
            nn.MarginRankingLoss(0.5),
            torch.nn.MarginRankingLoss(0.5),
            (a[0], b[0], np.sign(a[1])),
            (ta[0], tb[0], ta[1].sign()),
        ),
        (
            nn.CosineEmbeddingLoss(-0.2, "none"),
            torch.nn.CosineEmbeddingLoss(-0.2, reduction="none"),
            (a, b, _signs(4)),
            (ta, tb, torch.tensor(_signs(4))),
        ),
    ]
    for ours, theirs, args, targs in pairs:
        np.testing.assert_allclose(ours(*args).data, theirs(*targs).numpy(), rtol=RTOL)


# ----- PyTorch's edge cases -------------------------------------------------------------------
def _zero_rows():
    """A zero row, a row of norm below the eps of normalize and cosine_similarity, and two
    ordinary rows."""
    x = _normal(4, 3)
    x[0] = 0.0
    x[1] = [1e-13, 0.0, -1e-13]
    return x


@pytest.mark.parametrize("p", [2.0, 1.0, math.inf])
def test_normalize_of_zero_and_tiny_vectors_equals_pytorchs(p):
    torch = pytest.importorskip("torch")
    x, w = _zero_rows(), _normal(4, 3)
    ours = cr.tensor(x, requires_grad=True)
    out = F.normalize(ours, p=p)
    (out * w).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.normalize(theirs, p=p)
    (expected * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=RTOL)
    np.testing.assert_array_equal(out.data[0], 0.0)
    np.testing.assert_allclose(ours.grad[0], w[0] / 1e-12, rtol=RTOL)  # x / eps


def test_cosine_similarity_of_zero_and_tiny_vectors_equals_pytorchs():
    torch = pytest.importorskip("torch")
    x1, x2 = _zero_rows() * 1e5, _normal(4, 3)  # row 1: norm 1.4e-8, near eps = 1e-8
    x2[3] = 0.0
    ours = [cr.tensor(x, requires_grad=True) for x in (x1, x2)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (x1, x2)]
    out = F.cosine_similarity(*ours)
    expected = torch.nn.functional.cosine_similarity(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=RTOL, atol=1e-300)
    _weighted_sum(out).backward()
    (expected * torch.arange(1.0, 5.0, dtype=torch.float64)).sum().backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=1e-14)
    assert out.data[0] == out.data[3] == 0.0


def test_cosine_similarity_of_a_tiny_vector_keeps_the_norms_gradient():
    # the clamp is outside the graph: d/dx1 of Σ x1·x2 / (max(‖x1‖, eps)·‖x2‖) with the
    # norm's own gradient, −(x1·x2)/(eps²·‖x2‖)·x1/‖x1‖, added to x2/(eps·‖x2‖)
    x1, x2, eps = np.array([[1e-9, 0.0, 0.0]]), np.array([[1.0, 2.0, 2.0]]), 1e-8
    ours = cr.tensor(x1, requires_grad=True)
    F.cosine_similarity(ours, x2).sum().backward()
    expected = x2 / (eps * 3.0) - (1e-9 / 3.0) / eps**2 * np.array([[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(ours.grad, expected, rtol=1e-12)


def test_kl_div_of_zero_targets_is_finite_in_value_and_gradient():
    lp, p = _log_probs(_normal(4, 5)), _probs_with_zeros()
    x, t = cr.tensor(lp, requires_grad=True), cr.tensor(p, requires_grad=True)
    out = F.kl_div(x, t, "none")
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(p > 0, p * (np.log(p) - lp), 0.0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=1e-300)
    assert out.data[0, 1] == 0.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, -p)
    safe = np.where(p > 0, p, 1.0)
    target_grad = np.where(p > 0, np.log(safe) + 1 - lp, -lp)  # d/dt of t ln t − t·x; 0·ln 0 = 0
    np.testing.assert_allclose(t.grad, target_grad, rtol=1e-13)


def test_kl_div_with_zero_targets_equals_pytorch_in_the_input_gradient():
    torch = pytest.importorskip("torch")
    lp, p = _log_probs(_normal(4, 5)), _probs_with_zeros()
    x, tx = cr.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
    out = F.kl_div(x, p, "sum")
    expected = torch.nn.functional.kl_div(tx, torch.tensor(p), reduction="sum")
    np.testing.assert_allclose(out.item(), expected.item(), rtol=RTOL)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=RTOL)


def test_kl_div_batchmean_is_the_mean_kl_divergence_per_sample():
    q_logits, p = _normal(4, 5), _probs_with_zeros()
    lq = _log_probs(q_logits)
    with np.errstate(divide="ignore"):
        kl_rows = [
            sum(pi * math.log(pi / math.exp(li)) for pi, li in zip(pr, lr) if pi > 0)
            for pr, lr in zip(p, lq)
        ]
    np.testing.assert_allclose(F.kl_div(lq, p, "batchmean").item(), np.mean(kl_rows), rtol=1e-13)
    np.testing.assert_allclose(nn.KLDivLoss("sum")(lq, p).item(), np.sum(kl_rows), rtol=1e-13)


def test_kl_div_mean_warns_as_pytorch_and_divides_by_every_element():
    lq, p = _log_probs(_normal(4, 5)), _probs_with_zeros()
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(lq, p)
    with pytest.warns(UserWarning, match="batchmean"):
        module_mean = nn.KLDivLoss()(lq, p)
    total = F.kl_div(lq, p, "sum").item()
    np.testing.assert_allclose([mean.item(), module_mean.item()], [total / 20] * 2, rtol=1e-14)


def test_kl_div_mean_equals_pytorchs():
    torch = pytest.importorskip("torch")
    lq, p = _log_probs(_normal(4, 5)), _probs_with_zeros()
    with pytest.warns(UserWarning, match="batchmean"):
        ours = F.kl_div(lq, p, "mean")
    with pytest.warns(UserWarning, match="batchmean"):
        theirs = torch.nn.functional.kl_div(torch.tensor(lq), torch.tensor(p), reduction="mean")
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=RTOL)


def test_gaussian_nll_with_tiny_variances_equals_pytorchs():
    torch = pytest.importorskip("torch")
    a, b = _pair()
    var = np.abs(b) + 0.1
    var[0, :3] = [0.0, 1e-9, 1e-7]  # below eps = 1e-6: clamped, the gradient still flows
    ours = [cr.tensor(x, requires_grad=True) for x in (a, var)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (a, var)]
    out = F.gaussian_nll_loss(ours[0], b, ours[1], reduction="sum")
    expected = torch.nn.functional.gaussian_nll_loss(
        theirs[0], torch.tensor(b), theirs[1], reduction="sum"
    )
    np.testing.assert_allclose(out.item(), expected.item(), rtol=RTOL)
    out.backward()
    expected.backward()
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL)


def test_gaussian_nll_clamps_the_variance_at_eps_by_hand():
    x, t, var = np.array([0.0, 1.0]), np.array([1.0, 3.0]), np.array([0.0, 4.0])
    v = cr.tensor(var, requires_grad=True)
    out = F.gaussian_nll_loss(x, t, v, eps=0.5, reduction="none")
    np.testing.assert_allclose(out.data, [0.5 * (math.log(0.5) + 1 / 0.5), 0.5 * (math.log(4) + 1)])
    out.sum().backward()  # d/dv ½(ln v + d²/v) = ½(1/v − d²/v²) at the clamped v
    np.testing.assert_allclose(v.grad, [0.5 * (2 - 4), 0.5 * (0.25 - 4 / 16)], atol=1e-15)


def test_gaussian_nll_takes_a_number_as_the_variance():
    a, b = _pair()
    out = F.gaussian_nll_loss(a, b, 2.0, full=True, reduction="sum")
    expected = 0.5 * (math.log(2.0) + (a - b) ** 2 / 2.0 + math.log(2 * math.pi))
    np.testing.assert_allclose(out.item(), expected.sum(), rtol=1e-13)


def test_margin_ranking_passes_the_gradient_at_the_clamp_as_pytorch():
    x1, x2, y = np.array([1.0, 2.0, 0.0]), np.array([1.0, 0.0, 2.0]), np.array([1.0, 1.0, 1.0])
    a = cr.tensor(x1, requires_grad=True)
    F.margin_ranking_loss(a, x2, y, reduction="sum").backward()  # z = 0, −2, 2
    np.testing.assert_array_equal(a.grad, [-1.0, 0.0, -1.0])


def test_formulas_by_hand():
    a, b = _pair()
    cos = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    np.testing.assert_allclose(F.cosine_similarity(a, b).data, cos, rtol=1e-13)
    np.testing.assert_allclose(
        F.pairwise_distance(a, b).data, np.sqrt(((a - b + 1e-6) ** 2).sum(1)), rtol=1e-13
    )
    np.testing.assert_allclose(
        F.normalize(a, p=1.0).data, a / np.abs(a).sum(1, keepdims=True), rtol=1e-13
    )
    np.testing.assert_allclose(
        F.softmin(a, 1).data, np.exp(-a) / np.exp(-a).sum(1, keepdims=True), rtol=1e-13
    )
    np.testing.assert_allclose(
        F.glu(a[:, :4]).data, a[:, :2] / (1 + np.exp(-a[:, 2:4])), rtol=1e-13
    )
    y = _signs(4, 5)
    np.testing.assert_allclose(
        F.soft_margin_loss(a, y).item(), np.log1p(np.exp(-y * a)).mean(), rtol=1e-13
    )
    hinge = np.maximum(0, -y * (a - b) + 0.5)
    np.testing.assert_allclose(F.margin_ranking_loss(a, b, y, 0.5, "none").data, hinge, rtol=1e-13)
    n = _counts()
    stirling = np.where(
        n > 1, n * np.log(np.maximum(n, 1)) - n + 0.5 * np.log(2 * np.pi * np.maximum(n, 1)), 0
    )
    np.testing.assert_allclose(
        F.poisson_nll_loss(a, n, full=True, reduction="none").data,
        np.exp(a) - n * a + stirling,
        rtol=1e-13,
    )
    t = _signs(4)
    cos_loss = np.where(t == 1, 1 - cos, np.maximum(0, cos - 0.2))
    np.testing.assert_allclose(
        F.cosine_embedding_loss(a, b, t, 0.2, "none").data, cos_loss, rtol=1e-10
    )


def test_soft_margin_is_finite_where_its_exponent_overflows():
    x = cr.tensor(np.array([-800.0, 800.0]), requires_grad=True)
    out = F.soft_margin_loss(x, np.array([1.0, 1.0]), "sum")
    np.testing.assert_allclose(out.item(), 800.0)
    out.backward()
    np.testing.assert_allclose(x.grad, [-1.0, 0.0])


# ----- finite differences (no PyTorch needed) ---------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    _, fn, kwargs, arrays, constants = case
    if fn is F.kl_div and kwargs.get("reduction") == "mean":
        pytest.skip("the cases use other reductions")

    def f(*inputs):
        return _weighted_sum(_call(fn, list(inputs), constants, kwargs))

    assert cr.gradcheck(f, [np.array(x) for x in arrays])


@pytest.mark.parametrize(
    "name", ["normalize", "cosine_similarity", "glu", "gaussian", "poisson_log"]
)
def test_gradcheck_second_order(name):
    _, fn, kwargs, arrays, constants = next(c for c in CASES if c[0] == name)

    def f(*inputs):
        return _weighted_sum(_call(fn, list(inputs), constants, kwargs))

    assert cr.gradcheck(f, [np.array(x) for x in arrays], check_second_order=True)


def test_unflatten_reshapes_and_its_gradient_flows_back():
    x = cr.tensor(_normal(2, 12, 3), requires_grad=True)
    out = nn.Unflatten(-2, [3, -1, 2])(x)
    assert out.shape == (2, 3, 2, 2, 3)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 3, 2, 2, 3))
    assert cr.gradcheck(lambda v: _weighted_sum(nn.Unflatten(1, (4, 3))(v)), [x.data])


# ----- argument checks --------------------------------------------------------------------------
def test_glu_refuses_an_odd_size_naming_it():
    with pytest.raises(ValueError, match="dimension 1 is size 5"):
        F.glu(_normal(2, 5), 1)
    with pytest.raises(ValueError, match="dimension -1 is size 3"):
        nn.GLU()(_normal(3))
    with pytest.raises(ValueError, match="scalars"):
        F.glu(np.array(1.0))


def test_unflatten_checks():
    with pytest.raises(TypeError, match="found type int"):
        nn.Unflatten(1, 6)
    with pytest.raises(TypeError, match="element of type float at pos 1"):
        nn.Unflatten(1, (2, 3.0))
    with pytest.raises(ValueError, match=r"don't multiply up to the size of dim 1 \(7\)"):
        nn.Unflatten(1, (2, 3))(_normal(2, 7))
    with pytest.raises(ValueError, match="one -1"):
        nn.Unflatten(1, (-1, -1))(_normal(2, 6))
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"


def test_loss_checks():
    a, b = _pair()
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.kl_div(a, b, "average")
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.KLDivLoss("batch")
    with pytest.raises(ValueError, match="nothing is broadcast"):
        F.kl_div(a, b[:1], "sum")
    with pytest.raises(ValueError, match="nothing is broadcast"):
        F.margin_ranking_loss(a, b[:1], _signs(4, 5))
    with pytest.raises(ValueError, match="nothing is broadcast"):
        F.soft_margin_loss(a, b[:, :1])
    with pytest.raises(ValueError, match="1D target tensor expects 2D input tensors"):
        F.cosine_embedding_loss(a[0], b[0], _signs(4))
    with pytest.raises(ValueError, match=r"must hold 1 or -1, got 0\.0"):
        F.cosine_embedding_loss(a, b, np.array([1.0, 0.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(a, b, -np.abs(b))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(a, b, -1.0)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(a, b, np.ones((4, 2)))
    with pytest.raises(ValueError, match="target has shape"):
        F.gaussian_nll_loss(a, b[:, :2], np.ones((4, 5)))
    with pytest.raises(TypeError, match="log_input must be True or False"):
        nn.PoissonNLLLoss(log_input="yes")
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keywords, as PyTorch's


def test_gaussian_target_may_have_one_axis_of_one():
    a, b = _pair()
    out = F.gaussian_nll_loss(a, b[:, :1], np.ones((4, 5)), reduction="none")
    np.testing.assert_allclose(out.data, 0.5 * (a - b[:, :1]) ** 2, rtol=1e-13)


def test_reprs():
    assert (
        repr(nn.KLDivLoss("batchmean", True)) == "KLDivLoss(reduction='batchmean', log_target=True)"
    )
    assert repr(nn.GaussianNLLLoss(full=True)) == "GaussianNLLLoss(full=True)"
    assert repr(nn.PoissonNLLLoss()) == "PoissonNLLLoss()"
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity(dim=1, eps=1e-08)"
    assert repr(nn.GLU()) == "GLU(dim=-1)"
