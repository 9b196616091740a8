"""The multi-class and multi-label margin, multi-label soft margin, hinge embedding and
triplet losses (nn/_class_margin_losses.py, nn/_embedding_losses.py,
nn/_triplet_losses.py): values and gradients against formulas worked here in NumPy
(margins exactly met, -1 padding), finite differences in float64, PyTorch's values and
gradients in every reduction and option, and the argument checks."""

import functools
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def _reduce(losses, reduction):
    losses = np.asarray(losses, dtype=np.float64)
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def _leaf(a):
    return cr.tensor(np.array(a, dtype=np.float64), requires_grad=True)


def _grad_of_sum(fn, *arrays):
    """(value, gradients) of ``fn`` at ``arrays``, differentiated through its sum."""
    leaves = [_leaf(a) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out.data, [leaf.grad for leaf in leaves]


# ----- formulas worked here ---------------------------------------------------------------------
def _multi_margin(x, y, p=1, margin=1.0, w=None):
    """Per-row losses and the gradient of their sum, one term at a time."""
    x = np.atleast_2d(x)
    n, c = x.shape
    losses, grad = np.zeros(n), np.zeros_like(x)
    for row in range(n):
        wy = 1.0 if w is None else w[y[row]]
        for i in range(c):
            z = margin - x[row, y[row]] + x[row, i]
            if i == y[row] or z <= 0:  # PyTorch counts a term only where z > 0
                continue
            losses[row] += wy * z**p / c
            grad[row, i] += wy * p * z ** (p - 1) / c
            grad[row, y[row]] -= wy * p * z ** (p - 1) / c
    return losses, grad


def _multilabel_margin(x, t):
    x, t = np.atleast_2d(x), np.atleast_2d(t)
    n, c = x.shape
    losses, grad = np.zeros(n), np.zeros_like(x)
    for row in range(n):
        labels = []
        for label in t[row]:
            if label == -1:
                break
            labels.append(label)
        for j in labels:
            for i in set(range(c)) - set(labels):
                z = 1 - (x[row, j] - x[row, i])
                if z > 0:
                    losses[row] += z / c
                    grad[row, i] += 1 / c
                    grad[row, j] -= 1 / c
    return losses, grad


def _log_sigmoid(x):
    return -np.logaddexp(0, -x)


def _multilabel_soft_margin(x, t, w=1.0):
    terms = -(t * _log_sigmoid(x) + (1 - t) * _log_sigmoid(-x)) * w
    return terms.sum(-1) / x.shape[-1]


def _p_distance(a, b, p, eps):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


def _triplet(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False):
    d_an = _p_distance(a, neg, p, eps)
    if swap:
        d_an = np.minimum(d_an, _p_distance(pos, neg, p, eps))
    return np.maximum(margin + _p_distance(a, pos, p, eps) - d_an, 0)


# ----- values and gradients against the formulas ------------------------------------------------
# row 0: margin − x[0] + x[1] = 1 − 1 + 0 = 0, the margin exactly met
MM_X = np.array([[1.0, 0.0, 0.5], [0.2, 0.5, 0.9], [-0.3, 0.4, 0.1]])
MM_Y = np.array([0, 1, 2])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weight", [None, [2.0, 3.0, 5.0]])
def test_multi_margin_matches_the_formula(reduction, p, weight):
    w = None if weight is None else np.array(weight)
    losses, grad = _multi_margin(MM_X, MM_Y, p, 1.0, w)
    x = _leaf(MM_X)
    out = F.multi_margin_loss(x, MM_Y, p=p, weight=weight, reduction=reduction)
    np.testing.assert_allclose(out.data, _reduce(losses, reduction), rtol=1e-14)
    out.sum().backward()
    scale = 1 / len(MM_Y) if reduction == "mean" else 1
    np.testing.assert_allclose(x.grad, grad * scale, rtol=1e-14, atol=1e-16)


def test_multi_margin_at_the_margin_exactly_met_has_gradient_zero():
    _, (grad,) = _grad_of_sum(lambda x: F.multi_margin_loss(x, MM_Y[:1], reduction="sum"), MM_X[:1])
    # only class 2 (z = 0.5) counts; class 1 (z = 0) does not, as in PyTorch
    np.testing.assert_array_equal(grad, [[-1 / 3, 0.0, 1 / 3]])


def test_multi_margin_of_a_vector_takes_one_label():
    out = F.multi_margin_loss(MM_X[1], np.int64(1), margin=0.5, reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.data, _multi_margin(MM_X[1], [1], 1, 0.5)[0][0], rtol=1e-14)
    assert F.multi_margin_loss(MM_X[1], np.array([1]), reduction="none").shape == (1,)


# the first row lists 3 and 0, then -1: the 1 after the padding is not a label
ML_X = np.array([[0.1, 0.2, 0.4, 0.8], [1.5, 0.5, 0.8, 0.9], [0.3, -0.2, 0.6, 0.1]])
ML_T = np.array([[3, 0, -1, 1], [0, -1, -1, -1], [2, 2, -1, 0]])  # row 1: 1 − 1.5 + 0.5 = 0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_matches_the_formula(reduction):
    losses, grad = _multilabel_margin(ML_X, ML_T)
    x = _leaf(ML_X)
    out = F.multilabel_margin_loss(x, ML_T, reduction=reduction)
    np.testing.assert_allclose(out.data, _reduce(losses, reduction), rtol=1e-14)
    out.sum().backward()
    scale = 1 / len(ML_T) if reduction == "mean" else 1
    np.testing.assert_allclose(x.grad, grad * scale, rtol=1e-14, atol=1e-16)


def test_multilabel_margin_padding_margin_met_and_repeated_labels_by_hand():
    value, (grad,) = _grad_of_sum(
        lambda x: F.multilabel_margin_loss(x, ML_T, reduction="none"), ML_X
    )
    # row 0: labels {3, 0} against classes {1, 2}: 1 − x[j] + x[i], over 4 classes
    np.testing.assert_allclose(value[0], (0.4 + 0.6 + 1.1 + 1.3) / 4, rtol=1e-14)
    # row 1: the margin of label 0 over class 1 is exactly met: no gradient from it
    np.testing.assert_allclose(grad[1], [-0.5, 0.0, 0.25, 0.25], rtol=1e-14)
    # row 2: label 2 listed twice counts twice, the 0 after the padding not at all
    z = 1 - 0.6 + np.array([0.3, -0.2, 0.1])
    np.testing.assert_allclose(value[2], 2 * z.sum() / 4, rtol=1e-14)


def test_multilabel_margin_of_a_vector():
    out = F.multilabel_margin_loss(ML_X[0], ML_T[0], reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.data, _multilabel_margin(ML_X[0], ML_T[0])[0][0], rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, [0.5, 1.0, 2.0, 0.0]])
def test_multilabel_soft_margin_matches_the_formula(reduction, weight):
    x = np.array([[0.5, -1.0, 2.0, 40.0], [-3.0, 0.0, 0.25, -40.0]])
    t = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.5, 0.0]])
    w = 1.0 if weight is None else np.array(weight)
    out = F.multilabel_soft_margin_loss(x, t, weight=weight, reduction=reduction)
    np.testing.assert_allclose(out.data, _reduce(_multilabel_soft_margin(x, t, w), reduction))
    _, (grad,) = _grad_of_sum(lambda a: F.multilabel_soft_margin_loss(a, t, weight), x)
    # σ(x) − t, written with σ(−x) so that σ(40) − 1 keeps its digits
    expected = w * ((1 - t) / (1 + np.exp(-x)) - t / (1 + np.exp(x))) / 4 / len(x)
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_matches_the_formula_and_passes_the_gradient_at_the_margin(reduction):
    x = np.array([[1.0, 0.5, 2.0], [-0.5, 3.0, 0.25]])  # x = margin = 1 at [0, 0]
    y = np.array([[-1, -1, 1], [1, -1, -1]])
    losses = np.where(y == 1, x, np.maximum(0, 1 - x))
    grad = np.where(y == 1, 1.0, -1.0 * (1 - x >= 0))  # clamp_min: −1 at the margin too
    xt = _leaf(x)
    out = F.hinge_embedding_loss(xt, y, reduction=reduction)
    np.testing.assert_allclose(out.data, _reduce(losses, reduction), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(xt.grad, grad / (x.size if reduction == "mean" else 1))
    assert xt.grad[0, 0] != 0


def test_hinge_embedding_margin():
    x, y = np.array([0.5, 2.5, 3.5]), np.array([-1.0, -1.0, 1.0])
    out = F.hinge_embedding_loss(x, y, margin=3.0, reduction="none")
    np.testing.assert_allclose(out.data, [2.5, 0.5, 3.5], rtol=1e-15)


# anchors, positives, negatives (3, 2): in row 0, with p = 1 and eps = 0, the margin is met
A = np.array([[0.0, 0.0], [0.5, -1.0], [1.0, 2.0]])
P = np.array([[1.0, 0.0], [0.0, 1.0], [1.5, 2.0]])
N = np.array([[2.0, 0.0], [2.0, 0.5], [0.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize(("p", "eps"), [(2.0, 1e-6), (1.0, 0.0), (3.0, 1e-3)])
def test_triplet_margin_matches_the_formula(reduction, swap, p, eps):
    out = F.triplet_margin_loss(A, P, N, margin=1.0, p=p, eps=eps, swap=swap, reduction=reduction)
    expected = _triplet(A, P, N, 1.0, p, eps, swap)
    np.testing.assert_allclose(out.data, _reduce(expected, reduction), rtol=1e-14)


def test_triplet_margin_at_the_margin_exactly_met_passes_the_gradient():
    fn = lambda a, p, n: F.triplet_margin_loss(a, p, n, p=1, eps=0.0, reduction="sum")  # noqa: E731
    value, grads = _grad_of_sum(fn, A[:1], P[:1], N[:1])
    assert value == 0.0  # 1 + d(a, p) − d(a, n) = 1 + 1 − 2
    # clamp_min's gradient 1 at 0: d(a, p) pulls p towards a, d(a, n) pushes n away
    np.testing.assert_array_equal(grads[0], [[0.0, 0.0]])
    np.testing.assert_array_equal(grads[1], [[1.0, 0.0]])
    np.testing.assert_array_equal(grads[2], [[-1.0, 0.0]])


def test_triplet_swap_shares_the_gradient_at_a_tie():
    a, p, n = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([[1.0, 0.0]])
    fn = lambda *xs: F.triplet_margin_loss(*xs, p=1, eps=0.0, swap=True, reduction="sum")  # noqa: E731
    value, grads = _grad_of_sum(fn, a, p, n)
    assert value == 2.0  # 1 + 2 − min(1, 1)
    # d(a, n) = d(p, n): each distance gets half of the upstream gradient, as torch.min's
    np.testing.assert_array_equal(grads[0], [[-0.5, 0.0]])
    np.testing.assert_array_equal(grads[1], [[0.5, 0.0]])
    np.testing.assert_array_equal(grads[2], [[0.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_with_distance_matches_the_formula(reduction, swap):
    def cosine_distance(x1, x2):
        return 1 - F.cosine_similarity(x1, x2, dim=-1)

    def numpy_cosine_distance(x1, x2):
        return 1 - (x1 * x2).sum(-1) / np.linalg.norm(x1, axis=-1) / np.linalg.norm(x2, axis=-1)

    # no zero vector, whose cosine is another matter
    a, n = A + np.array([0.5, 0.25]), N + np.array([0.25, -0.5])
    d_ap, d_an = numpy_cosine_distance(a, P), numpy_cosine_distance(a, n)
    if swap:
        d_an = np.minimum(d_an, numpy_cosine_distance(P, n))
    expected = np.maximum(0.5 + d_ap - d_an, 0)
    out = F.triplet_margin_with_distance_loss(
        a, P, n, distance_function=cosine_distance, margin=0.5, swap=swap, reduction=reduction
    )
    np.testing.assert_allclose(out.data, _reduce(expected, reduction), rtol=1e-14)
    default = F.triplet_margin_with_distance_loss(A, P, N, swap=swap, reduction=reduction)
    np.testing.assert_allclose(default.data, _reduce(_triplet(A, P, N, swap=swap), reduction))


# ----- finite differences -----------------------------------------------------------------------
def _rng():
    return np.random.default_rng(11)


def _gradcheck_cases():
    rng = _rng()
    x, a, p, n = rng.normal(size=(4, 4, 5))
    labels = rng.integers(0, 5, size=4)
    lists = np.array([[1, 3, -1, 0, 2], [4, -1, 0, 0, 0], [0, 1, 2, 3, 4], [-1, 1, 1, 1, 1]])
    targets, signs = rng.random((4, 5)), np.where(rng.random((4, 5)) < 0.5, -1.0, 1.0)
    w = rng.random(5) + 0.5
    return [
        ("multi_margin", lambda x: F.multi_margin_loss(x, labels, margin=2.0), [x]),
        ("multi_margin_p2_w", lambda x: F.multi_margin_loss(x, labels, 2, 2.0, w), [x]),
        ("multilabel_margin", lambda x: F.multilabel_margin_loss(x, lists), [x * 3]),
        ("multilabel_soft", lambda x, t: F.multilabel_soft_margin_loss(x, t, w), [x, targets]),
        ("hinge", lambda x: F.hinge_embedding_loss(x, signs, 1.5, "sum"), [x]),
        ("triplet", lambda *xs: F.triplet_margin_loss(*xs, margin=3.0), [a, p, n]),
        ("triplet_p1_swap", lambda *xs: F.triplet_margin_loss(*xs, 3.0, 1, swap=True), [a, p, n]),
        ("triplet_p3", lambda *xs: F.triplet_margin_loss(*xs, 3.0, 3, reduction="none"), [a, p, n]),
        (
            "triplet_distance",
            lambda *xs: F.triplet_margin_with_distance_loss(*xs, margin=3.0, swap=True),
            [a, p, n],
        ),
    ]


@pytest.mark.parametrize(("name", "fn", "inputs"), _gradcheck_cases(), ids=lambda c: c)
def test_gradients_match_finite_differences(name, fn, inputs):
    assert cr.gradcheck(fn, inputs)


# ----- PyTorch ----------------------------------------------------------------------------------
def _torch_cases():
    """(id, chainrule function, torch function's name, differentiated, constants, keywords)."""
    rng = np.random.default_rng(5)
    x, a, p, n = rng.normal(size=(4, 6, 5))
    labels = rng.integers(0, 5, size=6)
    lists = np.where(rng.random((6, 5)) < 0.3, -1, rng.integers(0, 5, size=(6, 5)))
    targets, signs = rng.random((6, 5)), np.where(rng.random((6, 5)) < 0.5, -1.0, 1.0)
    w = rng.random(5)
    cases = [
        ("multi_margin", "multi_margin_loss", [x], [labels], {}),
        ("multi_margin_p2", "multi_margin_loss", [x], [labels], {"p": 2, "margin": 0.7}),
        ("multi_margin_w", "multi_margin_loss", [x], [labels], {"weight": w, "margin": 1.3}),
        ("multi_margin_vector", "multi_margin_loss", [x[0]], [labels[0]], {"p": 2}),
        ("multilabel_margin", "multilabel_margin_loss", [x], [lists], {}),
        ("multilabel_margin_vector", "multilabel_margin_loss", [x[1]], [lists[1]], {}),
        ("multilabel_soft", "multilabel_soft_margin_loss", [x, targets], [], {}),
        ("multilabel_soft_w", "multilabel_soft_margin_loss", [x], [targets], {"weight": w}),
        (
            "multilabel_soft_3d",
            "multilabel_soft_margin_loss",
            [x.reshape(2, 3, 5)],
            [targets.reshape(2, 3, 5)],
            {},
        ),
        ("hinge", "hinge_embedding_loss", [x], [signs], {}),
        ("hinge_margin", "hinge_embedding_loss", [x * 2], [signs], {"margin": 0.5}),
        ("triplet_vector", "triplet_margin_loss", [a[0], p[0], n[0]], [], {}),
        ("triplet_broadcast", "triplet_margin_loss", [a, p[:1], n], [], {"swap": True}),
        (
            "triplet_3d",
            "triplet_margin_loss",
            [a.reshape(2, 3, 5), p.reshape(2, 3, 5), n.reshape(2, 3, 5)],
            [],
            {},
        ),
        ("triplet_distance", "triplet_margin_with_distance_loss", [a, p, n], [], {"margin": 2.0}),
        (
            "triplet_distance_swap",
            "triplet_margin_with_distance_loss",
            [a, p, n],
            [],
            {"swap": True},
        ),
    ]
    for power in (2.0, 1.0, 3.0, 0.5, math.inf):
        for swap in (False, True):
            options = {"p": power, "swap": swap, "margin": 1.5, "eps": 1e-4}
            cases.append(
                (f"triplet_p{power}_swap{swap}", "triplet_margin_loss", [a, p, n], [], options)
            )
    return cases


def _case_id(value):
    return value if isinstance(value, str) else ""


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("name", "torch_name", "inputs", "constants", "options"), _torch_cases(), ids=_case_id
)
def test_values_and_gradients_match_pytorch(
    name, torch_name, inputs, constants, options, reduction
):
    torch = pytest.importorskip("torch")
    ours = [_leaf(a) for a in inputs]
    out = getattr(F, torch_name)(*ours, *constants, **options, reduction=reduction)
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    as_torch = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    constants = [torch.tensor(c) for c in constants]
    expected = getattr(torch.nn.functional, torch_name)(
        *theirs, *constants, **as_torch, reduction=reduction
    )
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    upstream = np.arange(1.0, out.data.size + 1).reshape(out.shape)
    (out * upstream).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    for leaf, t in zip(ours, theirs):
        np.testing.assert_allclose(leaf.grad, t.grad.numpy(), rtol=1e-11, atol=1e-14)


def _call(fn, constants, options, *inputs):
    return fn(*inputs, *constants, **options)


def test_kinks_match_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    cases = [
        (F.multi_margin_loss, tf.multi_margin_loss, [MM_X], [MM_Y], {}),
        (F.multilabel_margin_loss, tf.multilabel_margin_loss, [ML_X], [ML_T], {}),
        (
            F.hinge_embedding_loss,
            tf.hinge_embedding_loss,
            [MM_X],
            [np.where(MM_X > 0.4, -1.0, 1.0)],
            {},
        ),
        (F.triplet_margin_loss, tf.triplet_margin_loss, [A, P, N], [], {"p": 1, "eps": 0.0}),
        (
            F.triplet_margin_loss,
            tf.triplet_margin_loss,
            [A[:1], P[:1] * 2, P[:1]],
            [],
            {"p": 1, "eps": 0.0, "swap": True},
        ),
    ]
    for ours_fn, torch_fn, inputs, constants, options in cases:
        _, grads = _grad_of_sum(functools.partial(_call, ours_fn, constants, options), *inputs)
        theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
        torch_fn(*theirs, *[torch.tensor(c) for c in constants], **options).sum().backward()
        for g, t in zip(grads, theirs):  # zero exactly where PyTorch's is, else to rounding
            np.testing.assert_array_equal(g == 0, t.grad.numpy() == 0)
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-15, atol=0)


def test_modules_match_pytorchs_and_keep_the_weight_as_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, a, p, n = rng.normal(size=(4, 3, 4))
    labels, w = np.array([0, 3, 1]), rng.random(4)
    targets = rng.random((3, 4))
    pairs = [
        (
            nn.MultiMarginLoss(2, 0.5, w, "sum"),
            torch.nn.MultiMarginLoss(2, 0.5, torch.tensor(w), reduction="sum"),
            (x, labels),
        ),
        (
            nn.MultiLabelMarginLoss("none"),
            torch.nn.MultiLabelMarginLoss(reduction="none"),
            (x, np.array([[1, -1, 2, 0]] * 3)),
        ),
        (
            nn.MultiLabelSoftMarginLoss(w),
            torch.nn.MultiLabelSoftMarginLoss(torch.tensor(w)),
            (x, targets),
        ),
        (nn.HingeEmbeddingLoss(0.3), torch.nn.HingeEmbeddingLoss(0.3), (x, np.sign(targets - 0.5))),
        (
            nn.TripletMarginLoss(2.0, 1.0, swap=True),
            torch.nn.TripletMarginLoss(2.0, 1.0, swap=True),
            (a, p, n),
        ),
        (
            nn.TripletMarginWithDistanceLoss(margin=2.0),
            torch.nn.TripletMarginWithDistanceLoss(margin=2.0),
            (a, p, n),
        ),
    ]
    for ours, theirs, args in pairs:
        expected = theirs(*(torch.tensor(arg) for arg in args))
        np.testing.assert_allclose(ours(*args).data, expected.numpy(), rtol=1e-12)
        assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    np.testing.assert_array_equal(pairs[0][0].state_dict()["weight"], w)


# ----- reprs and checks -------------------------------------------------------------------------
def test_reprs_show_what_is_not_a_default():
    assert repr(nn.MultiMarginLoss()) == "MultiMarginLoss()"
    assert repr(nn.MultiMarginLoss(p=2, weight=[1, 2])) == "MultiMarginLoss(p=2, weight=[1.0, 2.0])"
    assert (
        repr(nn.HingeEmbeddingLoss(2.0, "sum")) == "HingeEmbeddingLoss(reduction='sum', margin=2.0)"
    )
    assert repr(nn.TripletMarginLoss(swap=True)) == "TripletMarginLoss(swap=True)"
    assert "PairwiseDistance" in repr(nn.TripletMarginWithDistanceLoss())


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (
            lambda: F.multi_margin_loss(MM_X, MM_Y, p=3),
            ValueError,
            "multi_margin_loss: only p == 1 and p == 2",
        ),
        (lambda: F.multi_margin_loss(MM_X, MM_Y, p=True), ValueError, "p=True"),
        (lambda: nn.MultiMarginLoss(p=0), ValueError, "only p == 1 and p == 2"),
        (
            lambda: F.multi_margin_loss(MM_X, np.array([0, 3, 1])),
            ValueError,
            "label 3 (at flat position 1) is out of range",
        ),
        (lambda: F.multi_margin_loss(MM_X, np.array([0, -1, 1])), ValueError, "out of range"),
        (
            lambda: F.multi_margin_loss(MM_X, np.array([0, 1])),
            ValueError,
            "shape (2,), expected (3,)",
        ),
        (
            lambda: F.multi_margin_loss(MM_X, MM_Y.astype(float)),
            ValueError,
            "integer class labels, got dtype float64",
        ),
        (
            lambda: F.multi_margin_loss(np.zeros((2, 3, 4)), MM_Y),
            ValueError,
            "multi_margin_loss: expected an input of shape (C,) or (N, C), got shape (2, 3, 4)",
        ),
        (
            lambda: F.multi_margin_loss(MM_X, MM_Y, weight=[1.0, 2.0]),
            ValueError,
            "weight has 2 values for 3 classes",
        ),
        (
            lambda: F.multi_margin_loss(MM_X, MM_Y, reduction="avg"),
            ValueError,
            "multi_margin_loss: reduction must be one of",
        ),
        (
            lambda: F.multi_margin_loss(np.zeros((0, 3)), np.zeros(0, int)),
            ValueError,
            "empty batch",
        ),
        (
            lambda: F.multilabel_margin_loss(ML_X, ML_T[:, :3]),
            ValueError,
            "multilabel_margin_loss: the target has shape (3, 3), expected (3, 4)",
        ),
        (
            lambda: F.multilabel_margin_loss(ML_X, ML_T - 1),
            ValueError,
            "label -2 (at flat position 2) is out of range for 4 classes (labels must be in -1..3)",
        ),
        (lambda: F.multilabel_margin_loss(ML_X, np.full_like(ML_T, 4)), ValueError, "label 4"),
        (
            lambda: nn.MultiLabelMarginLoss(reduction=None),
            ValueError,
            "MultiLabelMarginLoss: reduction",
        ),
        (
            lambda: F.multilabel_soft_margin_loss(ML_X, np.ones(4)),
            ValueError,
            "multilabel_soft_margin_loss: the target has shape (4,), but the prediction has "
            "shape (3, 4)",
        ),
        (
            lambda: F.multilabel_soft_margin_loss(ML_X, np.ones((3, 4)), weight=np.ones(3)),
            ValueError,
            "weight has 3 values for 4 classes",
        ),
        (lambda: F.multilabel_soft_margin_loss(1.0, 1.0), ValueError, "got shape ()"),
        (lambda: nn.MultiLabelSoftMarginLoss(weight=[[1.0]]), ValueError, "shape (C,)"),
        (
            lambda: F.hinge_embedding_loss(MM_X, MM_Y),
            ValueError,
            "hinge_embedding_loss: the target has shape (3,), but the prediction has shape (3, 3)",
        ),
        (
            lambda: F.hinge_embedding_loss(MM_X, np.zeros((3, 3))),
            ValueError,
            "hinge_embedding_loss: the target must hold 1 or -1, got 0.0",
        ),
        (
            lambda: F.hinge_embedding_loss(MM_X, np.ones((3, 3)), margin="1"),
            TypeError,
            "margin must be a number",
        ),
        (
            lambda: F.triplet_margin_loss(A, P[0], N),
            ValueError,
            "triplet_margin_loss: the anchor, positive and negative must have one number of "
            "dimensions (at least 1), got anchor (3, 2), positive (2,), negative (3, 2)",
        ),
        (
            lambda: F.triplet_margin_loss(A, np.zeros((3, 3)), N),
            ValueError,
            "the shapes must broadcast together, got anchor (3, 2), positive (3, 3)",
        ),
        (lambda: F.triplet_margin_loss(1.0, 2.0, 3.0), ValueError, "at least 1"),
        (
            lambda: F.triplet_margin_loss(A, P, N, margin=0.0),
            ValueError,
            "triplet_margin_loss: margin must be greater than 0, got 0.0",
        ),
        (lambda: F.triplet_margin_loss(A, P, N, p="2"), TypeError, "p must be a number"),
        (lambda: F.triplet_margin_loss(A, P, N, swap=1), TypeError, "swap must be True or False"),
        (
            lambda: F.triplet_margin_loss(A, P, N, reduction="batchmean"),
            ValueError,
            "triplet_margin_loss: reduction",
        ),
        (lambda: F.triplet_margin_loss(A[:0], P[:0], N[:0]), ValueError, "empty batch"),
        (
            lambda: nn.TripletMarginLoss(margin=-1),
            ValueError,
            "TripletMarginLoss: margin must be greater than 0",
        ),
        (
            lambda: F.triplet_margin_with_distance_loss(A, P, N, distance_function=3),
            TypeError,
            "distance_function must be callable",
        ),
        (
            lambda: F.triplet_margin_with_distance_loss(A, P[0], N),
            ValueError,
            "triplet_margin_with_distance_loss: the anchor, positive and negative",
        ),
        (
            lambda: nn.TripletMarginWithDistanceLoss(margin=0),
            ValueError,
            "TripletMarginWithDistanceLoss: margin must be greater than 0",
        ),
        (
            lambda: nn.TripletMarginWithDistanceLoss(distance_function="l2"),
            TypeError,
            "must be callable",
        ),
    ],
)
def test_bad_inputs_are_refused_with_the_loss_and_the_shapes(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
