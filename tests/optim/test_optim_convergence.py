"""Each optimizer drives a convex quadratic f(w) = ½ wᵀAw − bᵀw (A symmetric positive
definite) to its minimum w* = A⁻¹b, with gradients from chainrule's own backward."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

_rng = np.random.default_rng(7)
_M = _rng.standard_normal((5, 5))
A = _M @ _M.T + 2 * np.eye(5)  # eigenvalues in about [2, 11.3]
B = _rng.standard_normal(5)
L = np.linalg.eigvalsh(A).max()  # the gradient's Lipschitz constant


def f(w: cr.Tensor) -> cr.Tensor:
    return 0.5 * (w @ (cr.tensor(A) @ w)) - cr.tensor(B) @ w


def minimise(make_optimizer, steps: int, schedule=None) -> np.ndarray:
    w = cr.tensor(np.zeros(5), requires_grad=True)
    opt = make_optimizer([w])
    scheduler = schedule(opt) if schedule else None
    for _ in range(steps):
        opt.zero_grad()
        f(w).backward()
        opt.step()
        if scheduler:
            scheduler.step()
    return w.data


def minimiser(weight_decay: float = 0.0) -> np.ndarray:
    """The minimum of f(w) + ½λ‖w‖² (L2 weight decay shifts it): (A + λI)⁻¹ b."""
    return np.linalg.solve(A + weight_decay * np.eye(5), B)


TOL = 1e-5
CASES = {
    "gd": (lambda p: optim.SGD(p, lr=1 / L), 300, 0.0),
    "sgd-momentum": (lambda p: optim.SGD(p, lr=0.5 / L, momentum=0.9), 300, 0.0),
    "sgd-nesterov": (lambda p: optim.SGD(p, lr=0.5 / L, momentum=0.9, nesterov=True), 300, 0.0),
    "sgd-weight-decay": (lambda p: optim.SGD(p, lr=1 / L, weight_decay=0.5), 300, 0.5),
    "momentum": (lambda p: optim.Momentum(p, lr=0.5 / L), 300, 0.0),
    "nesterov": (lambda p: optim.Nesterov(p, lr=0.5 / L), 300, 0.0),
    "adagrad": (lambda p: optim.AdaGrad(p, lr=0.5), 300, 0.0),
    "rmsprop-momentum": (lambda p: optim.RMSProp(p, lr=0.01, momentum=0.5), 600, 0.0),
    "adam": (lambda p: optim.Adam(p, lr=0.05), 300, 0.0),
    "adam-weight-decay": (lambda p: optim.Adam(p, lr=0.05, weight_decay=0.5), 300, 0.5),
    "adamw-no-decay": (lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.0), 300, 0.0),
}


@pytest.mark.parametrize("name", CASES)
def test_reaches_the_minimum(name):
    make, steps, weight_decay = CASES[name]
    w = minimise(make, steps)
    np.testing.assert_allclose(w, minimiser(weight_decay), rtol=0, atol=TOL)


def test_rmsprop_reaches_the_minimum_within_its_step_size():
    """With a constant rate, plain RMSProp ends in a small cycle around w*: near the
    minimum g/√v stays of size ~1 however small g is, so each step stays ~η (a schedule
    settles it, see below)."""
    w = minimise(lambda p: optim.RMSProp(p, lr=0.003), 600)
    np.testing.assert_allclose(w, minimiser(), rtol=0, atol=0.003)


def test_adamw_decay_pulls_towards_zero():
    """Decoupled decay has no closed-form minimiser, but it must shrink the solution."""
    plain = minimise(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.0), 300)
    decayed = minimise(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.5), 300)
    assert np.linalg.norm(decayed) < np.linalg.norm(plain)


@pytest.mark.parametrize(
    "schedule",
    [
        lambda opt: optim.ExponentialLR(opt, gamma=0.99),
        lambda opt: optim.StepLR(opt, step_size=100, gamma=0.3),
        lambda opt: optim.CosineAnnealingLR(opt, T_max=600),
    ],
    ids=["exponential", "step", "cosine"],
)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_decaying_schedule_settles_rmsprop(schedule, momentum):
    w = minimise(lambda p: optim.RMSProp(p, lr=0.01, momentum=momentum), 600, schedule)
    np.testing.assert_allclose(w, minimiser(), rtol=0, atol=TOL)
