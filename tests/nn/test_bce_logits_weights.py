"""BCE on logits with PyTorch's ``weight`` and ``pos_weight``: against the formula written
out in NumPy, finite differences and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

X = seeded(1).normal(size=(4, 3)) * 3
T = seeded(2).random((4, 3))
W = seeded(3).random((4, 1))  # per sample
P = np.array([0.5, 2.0, 3.0])  # per class


def _by_hand(x, t, w, p):
    """w·(p·t·log(1 + e^−x) + (1 − t)·log(1 + e^x)), each element on its own."""
    return w * (p * t * np.log1p(np.exp(-x)) + (1 - t) * np.log1p(np.exp(x)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("w", "p"), [(W, None), (None, P), (W, P)])
def test_the_loss_is_the_formula_worked_in_numpy(reduction, w, p):
    out = F.binary_cross_entropy_with_logits(X, T, reduction, weight=w, pos_weight=p)
    each = _by_hand(X, T, 1.0 if w is None else w, 1.0 if p is None else p)
    expected = {"mean": each.mean(), "sum": each.sum(), "none": each}[reduction]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_gradients_agree_with_finite_differences():
    def f(x, t):
        return F.binary_cross_entropy_with_logits(x, t, "sum", weight=W, pos_weight=P)

    assert cr.gradcheck(f, [X, T])
    assert cr.gradcheck(nn.BCEWithLogitsLoss(pos_weight=P), [X, T], check_second_order=True)


def test_the_gradient_of_the_logits_is_the_closed_form():
    x = cr.tensor(X, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, T, "sum", weight=W, pos_weight=P).backward()
    sigma = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(x.grad, W * ((1 - T + P * T) * sigma - P * T), rtol=1e-12)


def test_extreme_logits_stay_finite_and_float32_stays_float32():
    x = cr.tensor(np.array([1e4, -1e4], np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0]), pos_weight=np.full(2, 2.0))
    loss.backward()
    assert loss.dtype == x.grad.dtype == np.float32
    assert loss.item() == 15000.0  # (1e4 + 2·1e4) / 2, worked by hand
    np.testing.assert_array_equal(x.grad, [0.5, -1.0])  # (σ(x) − 0)/2 and −2·(1 − σ(x))/2


def test_without_weights_it_is_the_fused_node():
    out = F.binary_cross_entropy_with_logits(cr.tensor(X, requires_grad=True), T)
    assert type(out._node).__name__ == "BCEWithLogits"


def test_the_module_keeps_them_as_buffers_in_its_state():
    loss = nn.BCEWithLogitsLoss(pos_weight=[2.0, 1.0, 1.0])
    assert list(loss.state_dict()) == ["pos_weight"]
    assert repr(loss) == "BCEWithLogitsLoss(pos_weight=[2.0, 1.0, 1.0])"
    loss.load_state_dict({"pos_weight": P})
    np.testing.assert_allclose(loss(X, T).data, _by_hand(X, T, 1.0, P).mean(), rtol=1e-12)
    assert list(nn.BCEWithLogitsLoss().state_dict()) == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.BCEWithLogitsLoss([1.0, 2.0]), TypeError, "weight=..., pos_weight=..."),
        (
            lambda: F.binary_cross_entropy_with_logits(X, T, pos_weight=np.ones(4)),
            ValueError,
            r"pos_weight of shape \(4,\) does not broadcast to the logits' shape \(4, 3\)",
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(X, T, weight=np.ones((2, 4, 3))),
            ValueError,
            r"weight of shape \(2, 4, 3\) does not broadcast",
        ),
        (
            lambda: nn.BCEWithLogitsLoss(pos_weight=[-1.0]),
            ValueError,
            r"^BCEWithLogitsLoss: pos_weight must be finite and non-negative, got -1\.0",
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(X, T, pos_weight=[np.nan]),
            ValueError,
            r"^binary_cross_entropy_with_logits: pos_weight must be finite and non-negative",
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(X, T, pos_weight="a"),
            TypeError,
            r"^binary_cross_entropy_with_logits: pos_weight must be numbers",
        ),
        (
            lambda: nn.BCEWithLogitsLoss(weight=[np.inf]),
            ValueError,
            r"^BCEWithLogitsLoss: weight must be finite and non-negative, got inf",
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(X, T[:2], weight=W),
            ValueError,
            "the target has shape",
        ),
    ],
)
def test_bad_weights_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_as_pytorch(reduction):
    torch = torch_or_skip()
    x, t = cr.tensor(X, requires_grad=True), cr.tensor(T, requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction, weight=W, pos_weight=P)(x, t)
    loss.sum().backward()
    tx, tt = torch.tensor(X, requires_grad=True), torch.tensor(T, requires_grad=True)
    ref = torch.nn.BCEWithLogitsLoss(
        weight=torch.tensor(W), pos_weight=torch.tensor(P), reduction=reduction
    )(tx, tt)
    ref.sum().backward()
    np.testing.assert_allclose(loss.data, ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12, atol=1e-15)
