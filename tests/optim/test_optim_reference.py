"""Each optimizer's first 10 steps equal the published update rule, written out here in
plain NumPy (never calling the library), to 1e-12 on float64 parameters.

Sources of the formulas: PyTorch's documentation of SGD, Adagrad, RMSprop, Adam and AdamW
(the pseudo-code in each class's docs), and the tutorials' Momentum and Nesterov
(deep-learning-from-scratch, common/optimizer.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

STEPS = 10
_rng = np.random.default_rng(20240501)
W0 = _rng.standard_normal((3, 4))
GRADS = _rng.standard_normal((STEPS, 3, 4))


# ----- the textbook updates ------------------------------------------------------------------
def ref_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    w, b, out = W0.copy(), None, []
    for g in GRADS:
        d = g + weight_decay * w
        if momentum != 0:
            b = d.copy() if b is None else momentum * b + (1 - dampening) * d
            d = d + momentum * b if nesterov else b
        w = w - lr * d
        out.append(w)
    return out


def ref_momentum(lr, momentum, weight_decay=0.0):
    w, v, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = g + weight_decay * w
        v = momentum * v - lr * g
        w = w + v
        out.append(w)
    return out


def ref_nesterov(lr, momentum, weight_decay=0.0):
    """The tutorials' form: the parameter moves first, using the old velocity."""
    w, v, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = g + weight_decay * w
        w = w + momentum * momentum * v - (1 + momentum) * lr * g
        v = momentum * v - lr * g
        out.append(w)
    return out


def ref_adagrad(lr, eps=1e-10, weight_decay=0.0):
    w, h, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        d = g + weight_decay * w
        h = h + d * d
        w = w - lr * d / (np.sqrt(h) + eps)
        out.append(w)
    return out


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0):
    w, v, b, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for g in GRADS:
        d = g + weight_decay * w
        v = alpha * v + (1 - alpha) * d * d
        u = d / (np.sqrt(v) + eps)
        if momentum > 0:
            b = momentum * b + u
            w = w - lr * b
        else:
            w = w - lr * u
        out.append(w)
    return out


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas
    w, m, v, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            w = w - lr * weight_decay * w
            d = g
        else:
            d = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


# ----- the cases: (library optimizer, textbook sequence) --------------------------------------
CASES = {
    "gd": (lambda p: optim.SGD(p, lr=0.1), lambda: ref_sgd(0.1)),
    "sgd-momentum": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
        lambda: ref_sgd(0.05, momentum=0.9),
    ),
    "sgd-momentum-dampening": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
        lambda: ref_sgd(0.05, momentum=0.8, dampening=0.3),
    ),
    "sgd-nesterov": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda: ref_sgd(0.05, momentum=0.9, nesterov=True),
    ),
    "sgd-weight-decay": (
        lambda p: optim.SGD(p, lr=0.1, weight_decay=0.05),
        lambda: ref_sgd(0.1, weight_decay=0.05),
    ),
    "sgd-momentum-weight-decay": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.05),
        lambda: ref_sgd(0.05, momentum=0.9, weight_decay=0.05),
    ),
    "sgd-nesterov-weight-decay": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.1),
        lambda: ref_sgd(0.05, momentum=0.7, nesterov=True, weight_decay=0.1),
    ),
    "momentum": (lambda p: optim.Momentum(p, lr=0.05), lambda: ref_momentum(0.05, 0.9)),
    "momentum-0.5": (
        lambda p: optim.Momentum(p, lr=0.2, momentum=0.5),
        lambda: ref_momentum(0.2, 0.5),
    ),
    "momentum-decay": (
        lambda p: optim.Momentum(p, lr=0.05, weight_decay=0.1),
        lambda: ref_momentum(0.05, 0.9, weight_decay=0.1),
    ),
    "nesterov": (lambda p: optim.Nesterov(p, lr=0.05), lambda: ref_nesterov(0.05, 0.9)),
    "nesterov-decay": (
        lambda p: optim.Nesterov(p, lr=0.05, weight_decay=0.1),
        lambda: ref_nesterov(0.05, 0.9, weight_decay=0.1),
    ),
    "nesterov-0.5": (
        lambda p: optim.Nesterov(p, lr=0.2, momentum=0.5),
        lambda: ref_nesterov(0.2, 0.5),
    ),
    "adagrad": (lambda p: optim.AdaGrad(p, lr=0.1), lambda: ref_adagrad(0.1)),
    "adagrad-weight-decay": (
        lambda p: optim.AdaGrad(p, lr=0.1, eps=1e-6, weight_decay=0.1),
        lambda: ref_adagrad(0.1, eps=1e-6, weight_decay=0.1),
    ),
    "rmsprop": (lambda p: optim.RMSProp(p, lr=0.01), lambda: ref_rmsprop(0.01)),
    "rmsprop-alpha": (
        lambda p: optim.RMSProp(p, lr=0.01, alpha=0.9, eps=1e-6),
        lambda: ref_rmsprop(0.01, alpha=0.9, eps=1e-6),
    ),
    "rmsprop-momentum": (
        lambda p: optim.RMSProp(p, lr=0.01, momentum=0.9),
        lambda: ref_rmsprop(0.01, momentum=0.9),
    ),
    "rmsprop-weight-decay-momentum": (
        lambda p: optim.RMSProp(p, lr=0.01, weight_decay=0.1, momentum=0.5),
        lambda: ref_rmsprop(0.01, weight_decay=0.1, momentum=0.5),
    ),
    "adam": (lambda p: optim.Adam(p, lr=0.01), lambda: ref_adam(0.01)),
    "adam-betas": (
        lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6),
        lambda: ref_adam(0.01, betas=(0.8, 0.99), eps=1e-6),
    ),
    "adam-weight-decay": (
        lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
        lambda: ref_adam(0.01, weight_decay=0.1),
    ),
    "adamw": (
        lambda p: optim.AdamW(p, lr=0.01),
        lambda: ref_adam(0.01, weight_decay=0.01, decoupled=True),
    ),
    "adamw-strong-decay": (
        lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.5),
        lambda: ref_adam(0.01, weight_decay=0.5, decoupled=True),
    ),
}


def run(make_optimizer, lrs=None) -> list[np.ndarray]:
    """The parameter after each of the 10 steps, fed the fixed gradients."""
    w = cr.tensor(W0.copy(), requires_grad=True)
    opt = make_optimizer([w])
    out = []
    for k, g in enumerate(GRADS):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[k]
        w.grad = g.copy()
        opt.step()
        out.append(w.data.copy())
    return out


def test_the_parameters_are_float64():
    assert W0.dtype == GRADS.dtype == np.float64


@pytest.mark.parametrize("name", CASES)
def test_first_ten_steps_match_the_textbook(name):
    make, reference = CASES[name]
    got, want = run(make), reference()
    assert len(got) == len(want) == STEPS
    for step, (w_got, w_want) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(w_got, w_want, rtol=0, atol=1e-12, err_msg=f"step {step}")
    assert not np.allclose(got[-1], W0)  # the steps did move the parameter


def test_reference_check_count():
    """The number reported for the issue: optimizer variants × steps, each a full array."""
    assert len(CASES) * STEPS == 240


@pytest.mark.parametrize(
    ("tutorial", "pytorch"),
    [
        (lambda p: optim.Momentum(p, lr=0.05), lambda p: optim.SGD(p, lr=0.05, momentum=0.9)),
        (
            lambda p: optim.Nesterov(p, lr=0.05),
            lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        ),
        (
            lambda p: optim.Momentum(p, lr=0.05, weight_decay=0.1),
            lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1),
        ),
        (
            lambda p: optim.Nesterov(p, lr=0.05, weight_decay=0.1),
            lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
        ),
    ],
    ids=["momentum", "nesterov", "momentum-decay", "nesterov-decay"],
)
def test_tutorial_and_pytorch_momentum_agree_at_constant_lr(tutorial, pytorch):
    for a, b in zip(run(tutorial), run(pytorch)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_tutorial_and_pytorch_momentum_differ_when_lr_changes():
    """As documented: the tutorials' velocity keeps the old η, PyTorch's buffer does not."""
    lrs = [0.1] * 5 + [0.01] * 5
    tutorial = run(lambda p: optim.Momentum(p, lr=0.1), lrs)
    pytorch = run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lrs)
    np.testing.assert_allclose(tutorial[4], pytorch[4], rtol=0, atol=1e-12)
    assert np.abs(tutorial[5] - pytorch[5]).max() > 1e-3
    v = np.zeros_like(W0)  # the tutorials' form with the changing η
    w = W0.copy()
    for lr, g in zip(lrs, GRADS):
        v = 0.9 * v - lr * g
        w = w + v
    np.testing.assert_allclose(tutorial[-1], w, rtol=0, atol=1e-12)


def test_parameter_groups_use_their_own_hyper_parameters():
    a = cr.tensor(W0.copy(), requires_grad=True)
    b = cr.tensor(W0.copy(), requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.05, "weight_decay": 0.1}], lr=0.01)
    for g in GRADS:
        a.grad, b.grad = g.copy(), g.copy()
        opt.step()
    np.testing.assert_allclose(a.data, ref_adam(0.01)[-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.data, ref_adam(0.05, weight_decay=0.1)[-1], rtol=0, atol=1e-12)
