"""Optimizers, gradient clipping and learning-rate schedules against ``torch.optim`` (float64).

Both libraries start from the same parameters and are fed the same 20 gradients; the
parameters must agree to 1e-12 after every step. Skipped when PyTorch is not installed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed")

import chainrule as cr  # noqa: E402
from chainrule import optim  # noqa: E402

STEPS = 20
SHAPES = [(3, 4), (5,)]
_rng = np.random.default_rng(20240611)
START = [_rng.standard_normal(s) for s in SHAPES]
GRADS = [[_rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
TOL = {"rtol": 0, "atol": 1e-12}

# (chainrule optimizer, the same in torch.optim) from a list of parameters
CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd-momentum": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    "sgd-dampening": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
    ),
    "sgd-nesterov": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "sgd-nesterov-decay": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.1),
    ),
    "sgd-momentum-decay": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.05),
    ),
    "momentum": (
        lambda p: optim.Momentum(p, lr=0.05, momentum=0.8, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.1),
    ),
    "nesterov": (
        lambda p: optim.Nesterov(p, lr=0.05, momentum=0.8, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
    ),
    "adagrad": (lambda p: optim.AdaGrad(p), lambda p: torch.optim.Adagrad(p)),
    "adagrad-decay": (
        lambda p: optim.AdaGrad(p, lr=0.1, eps=1e-3, weight_decay=0.1),
        lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-3, weight_decay=0.1),
    ),
    "rmsprop": (lambda p: optim.RMSProp(p), lambda p: torch.optim.RMSprop(p)),
    "rmsprop-alpha-eps": (
        lambda p: optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-2),
        lambda p: torch.optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-2),
    ),
    "rmsprop-momentum-decay": (
        lambda p: optim.RMSProp(p, lr=0.01, momentum=0.9, weight_decay=0.1, eps=1e-3),
        lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.9, weight_decay=0.1, eps=1e-3),
    ),
    "adam": (lambda p: optim.Adam(p), lambda p: torch.optim.Adam(p)),
    "adam-betas-eps": (
        lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-2),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-2),
    ),
    "adam-decay": (
        lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
    ),
    "adamw": (lambda p: optim.AdamW(p), lambda p: torch.optim.AdamW(p)),
    "adamw-strong-decay": (
        lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.5, eps=1e-3),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5, eps=1e-3),
    ),
}


def _params():
    """The starting parameters, in both libraries."""
    ours = [cr.tensor(w.copy(), requires_grad=True) for w in START]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in START]
    return ours, theirs


def _set_grads(ours, theirs, grads) -> None:
    """Give both the same gradients; None leaves a parameter without one."""
    for p, q, g in zip(ours, theirs, grads):
        p.grad = None if g is None else g.copy()
        q.grad = None if g is None else torch.tensor(g)


def _step_both(opt, topt, ours, theirs, grads) -> None:
    _set_grads(ours, theirs, grads)
    opt.step()
    topt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), **TOL)


def _with_gaps(k: int, grads: list) -> list:
    """The k-th gradients, with the second parameter's missing at every third step."""
    return [None if i == 1 and k % 3 == 0 else g for i, g in enumerate(grads)]


@pytest.mark.parametrize("name", CASES)
def test_trajectory(name):
    make, make_torch = CASES[name]
    ours, theirs = _params()
    opt, topt = make(ours), make_torch(theirs)
    for grads in GRADS:
        _step_both(opt, topt, ours, theirs, grads)


@pytest.mark.parametrize("name", CASES)
def test_a_parameter_without_a_gradient_is_skipped(name):
    make, make_torch = CASES[name]
    ours, theirs = _params()
    opt, topt = make(ours), make_torch(theirs)
    for k, grads in enumerate(GRADS):
        _step_both(opt, topt, ours, theirs, _with_gaps(k, grads))


@pytest.mark.parametrize("name", CASES)
def test_state_dict_round_trip_mid_trajectory(name):
    """Stop after 10 steps, with the second parameter not yet updated (no state); carry the
    state through its JSON + arrays form into a new optimizer on new parameters holding the
    same values, and go on: PyTorch, never stopped, agrees."""
    make, make_torch = CASES[name]
    ours, theirs = _params()
    opt, topt = make(ours), make_torch(theirs)
    for grads in GRADS[:10]:
        _step_both(opt, topt, ours, theirs, [grads[0], None])
    arrays, metadata = optim.flatten_state_dict(opt.state_dict())
    saved = optim.unflatten_state_dict(arrays, json.loads(json.dumps(metadata)))
    resumed = [cr.tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt2 = make(resumed)
    opt2.load_state_dict(saved)
    for grads in GRADS[10:]:
        _step_both(opt2, topt, resumed, theirs, grads)


@pytest.mark.parametrize("name", ["sgd-momentum", "sgd-nesterov", "rmsprop-momentum-decay"])
def test_changing_lr_each_step(name):
    """PyTorch's momentum form applies a new rate to the whole buffer; so does SGD's."""
    make, make_torch = CASES[name]
    ours, theirs = _params()
    opt, topt = make(ours), make_torch(theirs)
    for k, grads in enumerate(GRADS):
        opt.param_groups[0]["lr"] = topt.param_groups[0]["lr"] = 0.1 / (1 + k)
        _step_both(opt, topt, ours, theirs, grads)


def test_parameter_groups_with_their_own_hyper_parameters():
    ours, theirs = _params()
    opt = optim.Adam([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.1, "betas": (0.5, 0.9)}])
    topt = torch.optim.Adam(
        [{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.1, "betas": (0.5, 0.9)}]
    )
    for grads in GRADS:
        _step_both(opt, topt, ours, theirs, grads)


# ----- gradient clipping --------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    """Several parameters, one without a gradient; the total norm before clipping and the
    clipped gradients agree, whether clipping happens or not."""
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal((4, 3)) * 2, None, rng.standard_normal(7), rng.standard_normal(1)]
    ours = [cr.tensor(np.zeros(g.shape if g is not None else 2)) for g in grads]
    theirs = [torch.zeros(p.shape, dtype=torch.float64) for p in ours]
    _set_grads(ours, theirs, grads)
    total = optim.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total == pytest.approx(ttotal.item(), rel=1e-13)
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-13, atol=0)


# ----- learning-rate schedules --------------------------------------------------------------
EPOCHS = 30
SCHEDULES = {
    "step": (
        lambda o: optim.StepLR(o, step_size=4, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
    ),
    "exponential": (
        lambda o: optim.ExponentialLR(o, gamma=0.9),
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    ),
    "cosine": (
        lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    ),
    "cosine-to-zero": (
        lambda o: optim.CosineAnnealingLR(o, T_max=7),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7),
    ),
}
LRS = (0.1, 0.03)


def _schedule_optimizers():
    """SGD with two parameter groups of different rates, in both libraries."""
    ours, theirs = _params()
    opt = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ours, LRS)], lr=1.0)
    topt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(theirs, LRS)], lr=1.0)
    return opt, topt


def _epoch(opt, topt, sched, tsched) -> None:
    """An (empty) epoch of optimizer steps, then the schedule's step, in both."""
    opt.step()
    topt.step()
    sched.step()
    tsched.step()
    theirs = tsched.get_last_lr()
    np.testing.assert_allclose(sched.get_last_lr(), theirs, rtol=1e-12, atol=1e-15)
    ours = [g["lr"] for g in opt.param_groups]
    np.testing.assert_allclose(ours, [g["lr"] for g in topt.param_groups], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule(name):
    make, make_torch = SCHEDULES[name]
    opt, topt = _schedule_optimizers()
    sched, tsched = make(opt), make_torch(topt)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
    for _ in range(EPOCHS):
        _epoch(opt, topt, sched, tsched)


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_state_dict_round_trip(name):
    """Stop after 12 epochs; a new optimizer and schedule loaded from the state dicts go on
    as PyTorch's, never stopped."""
    make, make_torch = SCHEDULES[name]
    opt, topt = _schedule_optimizers()
    sched, tsched = make(opt), make_torch(topt)
    for _ in range(12):
        _epoch(opt, topt, sched, tsched)
    opt2, _ = _schedule_optimizers()
    opt2.load_state_dict(opt.state_dict())
    sched2 = make(opt2)
    sched2.load_state_dict(sched.state_dict())
    for _ in range(EPOCHS - 12):
        _epoch(opt2, topt, sched2, tsched)


@pytest.mark.parametrize("name", SCHEDULES)
def test_a_new_schedule_on_a_decayed_optimizer_restarts_from_the_first_rate(name):
    """The documented difference: PyTorch's schedules chain from the group's current rate,
    chainrule's closed form restarts from η₀ (initial_lr). Neither changes the rate when
    the schedule is made."""
    make, make_torch = SCHEDULES[name]
    opt, topt = _schedule_optimizers()
    sched, tsched = make(opt), make_torch(topt)
    for _ in range(5):
        _epoch(opt, topt, sched, tsched)
    decayed = [group["lr"] for group in opt.param_groups]
    sched, tsched = make(opt), make_torch(topt)
    assert [group["lr"] for group in opt.param_groups] == decayed
    np.testing.assert_allclose(tsched.get_last_lr(), decayed, rtol=1e-12)
    fresh = make(_schedule_optimizers()[0])
    for _ in range(3):
        sched.step()
        tsched.step()
        fresh.step()
        assert sched.get_last_lr() == fresh.get_last_lr()
        assert [group["lr"] for group in opt.param_groups] == fresh.get_last_lr()
