"""Every schedule's ``last_epoch`` argument, PyTorch's: -1 starts afresh, k >= 0 resumes.

The off-by-one, as in PyTorch: a schedule made afresh has ``last_epoch == 0``, and each
``step()`` adds one, so a run stopped after k steps has ``last_epoch == k`` and its groups
train at the rate of epoch k. Rebuilt from the optimizer's state_dict, the schedule is made
again with ``last_epoch=k - 1`` (the last epoch it finished): it then has ``last_epoch ==
k``, sets the rate of epoch k, and every later step gives the uninterrupted run's rate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

EPOCHS = 14
LRS = (0.4, 0.02)


def _sgd(lrs=LRS):
    groups = [{"params": [cr.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _sequential(L, o, last_epoch, parts_epoch=-1):
    parts = [
        L.LinearLR(o, start_factor=0.2, total_iters=3, last_epoch=parts_epoch),
        L.CosineAnnealingLR(o, T_max=5, eta_min=0.01, last_epoch=parts_epoch),
        L.StepLR(o, step_size=2, gamma=0.5, last_epoch=parts_epoch),
    ]
    return L.SequentialLR(o, parts, milestones=[3, 8], last_epoch=last_epoch)


# each builds a schedule from a module of schedules (chainrule's, or torch's), an optimizer
# and last_epoch; the settings put a milestone, a restart or a phase end inside EPOCHS
MAKERS = {
    "StepLR": lambda L, o, k: L.StepLR(o, step_size=3, gamma=0.5, last_epoch=k),
    "MultiStepLR": lambda L, o, k: L.MultiStepLR(o, [2, 5, 9], gamma=0.3, last_epoch=k),
    "ExponentialLR": lambda L, o, k: L.ExponentialLR(o, gamma=0.8, last_epoch=k),
    "CosineAnnealingLR": lambda L, o, k: L.CosineAnnealingLR(o, 7, eta_min=0.01, last_epoch=k),
    "LinearLR": lambda L, o, k: L.LinearLR(o, 0.2, 0.9, total_iters=6, last_epoch=k),
    "LambdaLR": lambda L, o, k: L.LambdaLR(o, lambda e: 1 / (1 + e), last_epoch=k),
    "OneCycleLR": lambda L, o, k: L.OneCycleLR(o, 0.5, total_steps=EPOCHS + 1, last_epoch=k),
    "MultiplicativeLR": lambda L, o, k: L.MultiplicativeLR(
        o, lambda e: 0.9 if e % 2 else 1.1, last_epoch=k
    ),
    "ConstantLR": lambda L, o, k: L.ConstantLR(o, factor=0.25, total_iters=4, last_epoch=k),
    "PolynomialLR": lambda L, o, k: L.PolynomialLR(o, total_iters=8, power=2.0, last_epoch=k),
    "CosineAnnealingWarmRestarts": lambda L, o, k: L.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01, last_epoch=k
    ),
    "CyclicLR": lambda L, o, k: L.CyclicLR(o, 0.01, 0.3, step_size_up=3, last_epoch=k),
    "SequentialLR": _sequential,
    "SequentialLR-resumed-parts": lambda L, o, k: _sequential(L, o, k, parts_epoch=k),
    # a chain has no last_epoch of its own: it goes on from its schedules' epoch
    "ChainedScheduler-resumed-parts": lambda L, o, k: L.ChainedScheduler(
        [L.StepLR(o, 3, gamma=0.5, last_epoch=k), L.LinearLR(o, 0.2, total_iters=4, last_epoch=k)]
    ),
}
#: the schedule that refuses a bad last_epoch first: the first part given it
FIRST_PART = {"SequentialLR-resumed-parts": "LinearLR", "ChainedScheduler-resumed-parts": "StepLR"}
TORCH_CHECKED = (
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LambdaLR",
    "OneCycleLR",
)


def _settings(opt):
    """Each group's rate and momentum (`OneCycleLR` and `CyclicLR` set it too)."""
    return [(float(g["lr"]), float(g["momentum"])) for g in opt.param_groups]


def _run(make, opt, last_epoch, steps):
    """``make(optim, opt, last_epoch)``, and the settings when made and after each of
    ``steps`` steps."""
    sched = make(optim, opt, last_epoch)
    seen = [_settings(opt)]
    for _ in range(steps):
        sched.step()
        seen.append(_settings(opt))
    return sched, seen


def _restored(opt, name=""):
    """A new optimizer on new parameters, loaded from ``opt``'s state_dict, its rates (and
    the momenta a schedule sets) scrambled: the schedule made again must set them itself."""
    again = _sgd(lrs=(7.0, 7.0))
    again.load_state_dict(opt.state_dict())
    for group in again.param_groups:
        group["lr"] = 3.0
        if name in ("OneCycleLR", "CyclicLR"):
            group["momentum"] = 0.5
    return again


@pytest.mark.parametrize("name", MAKERS)
def test_a_schedule_resumed_with_last_epoch_k_minus_1_goes_on_as_if_never_stopped(name):
    make = MAKERS[name]
    _, whole = _run(make, _sgd(), -1, EPOCHS)
    for k in range(1, EPOCHS + 1):
        opt = _sgd()
        first, _ = _run(make, opt, -1, k)
        opt2 = _restored(opt, name)
        second, rest = _run(make, opt2, k - 1, EPOCHS - k)
        assert rest == whole[k:], f"stopped after {k} steps"  # exactly
        if EPOCHS - k == 0:
            assert second.last_epoch == k
            assert second.state_dict() == first.state_dict()  # its parts' too
            assert [g["initial_lr"] for g in opt2.param_groups] == [
                g["initial_lr"] for g in opt.param_groups
            ]


def test_resumed_epoch_0_is_the_rate_after_one_step():
    # StepLR(2, γ = 1/2) from η₀ = 0.4: afresh, last_epoch 0 and the rate left as it is;
    # last_epoch=0 resumes after epoch 0: last_epoch 1, rate 0.4 (epoch 2 halves it)
    opt = _sgd()
    opt.param_groups[0]["initial_lr"], opt.param_groups[1]["initial_lr"] = 0.4, 0.02
    opt.param_groups[0]["lr"] = 5.0
    sched = optim.StepLR(opt, step_size=2, gamma=0.5, last_epoch=0)
    assert sched.last_epoch == 1
    assert opt.param_groups[0]["lr"] == 0.4
    sched.step()
    assert (sched.last_epoch, opt.param_groups[0]["lr"]) == (2, 0.2)
    fresh = optim.StepLR(_sgd((5.0, 0.02)), step_size=2, gamma=0.5)
    assert fresh.last_epoch == 0
    assert fresh.optimizer.param_groups[0]["lr"] == 5.0


def test_integer_types_numpy_too():
    opt = _sgd()
    optim.ExponentialLR(opt, gamma=0.5)
    sched = optim.ExponentialLR(opt, gamma=0.5, last_epoch=np.int64(2))
    assert sched.last_epoch == 3
    assert type(sched.last_epoch) is int
    assert opt.param_groups[0]["lr"] == 0.4 * 0.125


# ----- errors ------------------------------------------------------------------------------


def _without_initial_lr(opt, index):
    del opt.param_groups[index]["initial_lr"]
    return opt


def _groups(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


@pytest.mark.parametrize("name", MAKERS)
def test_resuming_without_initial_lr_is_a_key_error_naming_the_schedule_and_group(name):
    opt = _sgd()
    optim.StepLR(opt, step_size=1)  # every group has its initial_lr ...
    if name.startswith("SequentialLR"):
        parts = [optim.LinearLR(opt), optim.ExponentialLR(opt, 0.9)]
        _without_initial_lr(opt, 1)  # ... but the second, after the parts were made
        before = _groups(opt)
        with pytest.raises(KeyError, match=r"SequentialLR: param 'initial_lr' .*\[1\]"):
            optim.SequentialLR(opt, parts, milestones=[2], last_epoch=3)
    else:
        _without_initial_lr(opt, 1)  # ... but the second
        before = _groups(opt)
        owner = FIRST_PART.get(name, name)
        with pytest.raises(KeyError, match=rf"{owner}: param 'initial_lr' .*param_groups\[1\]"):
            MAKERS[name](optim, opt, 3)
    assert _groups(opt) == before  # nothing changed
    MAKERS[name](optim, opt, -1)  # afresh, it takes the group's lr


@pytest.mark.parametrize("value", [-2, -10])
@pytest.mark.parametrize("name", MAKERS)
def test_last_epoch_below_minus_1_is_a_value_error(name, value):
    opt = _sgd()
    optim.StepLR(opt, step_size=1)
    before = _groups(opt)
    owner = FIRST_PART.get(name, name)
    with pytest.raises(ValueError, match=rf"^{owner}: last_epoch must be -1 .*got {value}$"):
        MAKERS[name](optim, opt, value)
    if not name.startswith("SequentialLR"):  # whose parts, made first, set their rates
        assert _groups(opt) == before


@pytest.mark.parametrize("value", [1.0, 2.5, "3", None, True, np.float64(2.0)])
@pytest.mark.parametrize("name", ["StepLR", "LambdaLR", "OneCycleLR", "CyclicLR", "SequentialLR"])
def test_last_epoch_not_an_integer_is_a_type_error(name, value):
    opt = _sgd()
    optim.StepLR(opt, step_size=1)
    with pytest.raises(TypeError, match=rf"{name}: last_epoch must be an integer, got"):
        MAKERS[name](optim, opt, value)


def test_one_cycle_resumed_past_its_cycle_is_a_value_error():
    opt = _sgd()
    optim.OneCycleLR(opt, 0.5, total_steps=10)
    sched = optim.OneCycleLR(opt, 0.5, total_steps=10, last_epoch=9)  # the 10th step: allowed
    assert sched.last_epoch == 10
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 / 25 / 1e4, rel=1e-12)  # η_end
    before = _groups(opt)
    with pytest.raises(ValueError, match="OneCycleLR: step 11 is past the cycle"):
        optim.OneCycleLR(opt, 1.0, total_steps=10, last_epoch=10)
    assert _groups(opt) == before  # neither its rates, momenta nor initial_lr (1/25)


def test_a_resumed_rate_refused_changes_nothing():
    opt = _sgd()
    optim.StepLR(opt, step_size=1)
    before = _groups(opt)
    with pytest.raises(ValueError, match="LambdaLR: lr_lambda returned -1 for epoch 4"):
        optim.LambdaLR(opt, lambda e: 1 if e < 4 else -1, last_epoch=3)
    assert _groups(opt) == before


# ----- PyTorch ---------------------------------------------------------------------------


def _torch_sgd():
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": lr}
        for lr in LRS
    ]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def _torch_run(make, opt, last_epoch, steps):
    sched = make(torch.optim.lr_scheduler, opt, last_epoch)
    seen = [_settings(opt)]
    for _ in range(steps):
        opt.step()  # PyTorch warns of a schedule stepped before its optimizer
        sched.step()
        seen.append(_settings(opt))
    return sched, seen


def _close(ours, theirs):
    assert np.allclose(ours, theirs, rtol=1e-12, atol=1e-15), (ours, theirs)


@needs_torch
@pytest.mark.parametrize("name", TORCH_CHECKED)
def test_resumed_rates_are_torchs_uninterrupted_ones(name):
    """Ours resumed at every k against PyTorch's run that never stopped; and against
    PyTorch's own resumed run, with the same last_epoch, where that run is right: PyTorch's
    StepLR and MultiStepLR multiply the restored rate, so they apply a milestone that falls
    on epoch k a second time."""
    make = MAKERS[name]
    _, whole = _torch_run(make, _torch_sgd(), -1, EPOCHS)
    for k in range(1, EPOCHS + 1):
        opt = _sgd()
        _run(make, opt, -1, k)
        ours, rest = _run(make, _restored(opt, name), k - 1, EPOCHS - k)
        _close(rest, whole[k:])
        if name in ("StepLR", "MultiStepLR"):
            continue
        topt = _torch_sgd()
        _torch_run(make, topt, -1, k)
        topt2 = _torch_sgd()
        topt2.load_state_dict(topt.state_dict())
        theirs, their_rest = _torch_run(make, topt2, k - 1, EPOCHS - k)
        assert (theirs.last_epoch, ours.last_epoch) == (EPOCHS, EPOCHS)
        _close(rest, their_rest)


@needs_torch
def test_torch_takes_the_same_keywords():
    import inspect

    for name in MAKERS:
        cls = name.split("-")[0]
        if cls == "ChainedScheduler":
            continue
        theirs = inspect.signature(getattr(torch.optim.lr_scheduler, cls)).parameters
        ours = inspect.signature(getattr(optim, cls)).parameters
        assert list(ours) == list(theirs), cls
        assert ours["last_epoch"].default == theirs["last_epoch"].default == -1


def test_the_closed_forms_written_out():
    """Two schedules resumed on groups with only their initial_lr: the formulas by hand."""
    opt = _sgd()
    for group in opt.param_groups:
        group["initial_lr"], group["lr"] = group["lr"], 9.0
    optim.CosineAnnealingLR(opt, T_max=8, last_epoch=3)  # epoch 4 of 8: half way
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.2, 0.01], rel=1e-15)
    optim.MultiStepLR(opt, [2, 4, 4], gamma=0.5, last_epoch=3)  # 3 milestones <= 4
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.0025]
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, last_epoch=4)
    # epoch 5: the cycles are [0, 2) and [2, 8); 3 epochs into the second, of 6
    assert sched.get_last_lr() == pytest.approx([0.4 * (1 + math.cos(math.pi / 2)) / 2, 0.01])
