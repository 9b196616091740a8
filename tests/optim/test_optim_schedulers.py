"""Learning-rate schedules follow their closed forms, per group, and resume exactly."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


def optimizer(lrs=(0.1, 0.02)) -> optim.SGD:
    groups = [{"params": [cr.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0)


def step_lr(lr0, e):
    return lr0 * 0.5 ** (e // 3)


def exponential(lr0, e):
    return lr0 * 0.9**e


def cosine(lr0, e):
    return 0.001 + (lr0 - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2


SCHEDULES = {
    "step": (lambda opt: optim.StepLR(opt, step_size=3, gamma=0.5), step_lr),
    "exponential": (lambda opt: optim.ExponentialLR(opt, gamma=0.9), exponential),
    "cosine": (lambda opt: optim.CosineAnnealingLR(opt, T_max=10, eta_min=0.001), cosine),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_closed_form_for_every_group(name):
    make, closed_form = SCHEDULES[name]
    opt = optimizer()
    sched = make(opt)
    assert sched.get_last_lr() == [0.1, 0.02]
    for e in range(1, 16):
        sched.step()
        want = [closed_form(0.1, e), closed_form(0.02, e)]
        assert sched.get_last_lr() == pytest.approx(want, rel=1e-15, abs=1e-18)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()


def test_known_values():
    opt = optimizer((1.0,))
    sched = optim.StepLR(opt, step_size=2)
    lrs = []
    for _ in range(5):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([1.0, 0.1, 0.1, 0.01, 0.01])
    cos = optim.CosineAnnealingLR(optimizer((1.0,)), T_max=4)
    values = []
    for _ in range(4):
        cos.step()
        values.extend(cos.get_last_lr())
    assert values == pytest.approx([(1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2, 0])


@pytest.mark.parametrize("name", SCHEDULES)
def test_state_dict_resumes_the_same_rates(name):
    make, _ = SCHEDULES[name]
    opt = optimizer()
    sched = make(opt)
    for _ in range(4):
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    later = []
    for _ in range(5):
        sched.step()
        later.append(sched.get_last_lr())

    opt2 = optimizer((0.7, 0.7))  # the rates it starts with do not matter after loading
    sched2 = make(opt2)
    sched2.load_state_dict(saved)
    assert sched2.last_epoch == 4
    for want in later:
        sched2.step()
        assert sched2.get_last_lr() == want


def test_state_dict_contents():
    sched = optim.StepLR(optimizer(), step_size=3, gamma=0.5)
    sched.step()
    assert sched.state_dict() == {
        "last_epoch": 1,
        "base_lrs": [0.1, 0.02],
        "step_size": 3,
        "gamma": 0.5,
    }


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda o: optim.StepLR(o, step_size=0), "step_size must be an integer >= 1, got 0"),
        (lambda o: optim.StepLR(o, step_size=2.5), "step_size must be an integer"),
        (lambda o: optim.StepLR(o, step_size=2, gamma=0), "gamma must be > 0, got 0.0"),
        (lambda o: optim.ExponentialLR(o, gamma=-0.5), "gamma must be > 0, got -0.5"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max must be an integer >= 1"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=-1), "eta_min must be >= 0"),
        (lambda o: optim.ExponentialLR(object(), gamma=0.5), "expected a chainrule optimizer"),
    ],
)
def test_validates_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make(optimizer())


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda sd: sd.pop("gamma"), "expected a dict with the keys"),
        (lambda sd: sd.update(last_epoch=-1), "last_epoch must be an integer >= 0"),
        (lambda sd: sd.update(base_lrs=[0.1]), "1 base_lrs for 2 parameter groups"),
        (lambda sd: sd.update(base_lrs=[0.1, -0.1]), "base_lrs must be >= 0"),
        (lambda sd: sd.update(base_lrs=0.1), "base_lrs must be a list, got 0.1"),
        (lambda sd: sd.update(base_lrs=None), "base_lrs must be a list, got None"),
        (lambda sd: sd.update(step_size=0, gamma=0.3), "step_size must be an integer >= 1"),
    ],
)
def test_load_state_dict_validates_and_changes_nothing_on_error(corrupt, match):
    sched = optim.StepLR(optimizer(), step_size=3, gamma=0.5)
    sched.step()
    sd = sched.state_dict()
    corrupt(sd)
    with pytest.raises(ValueError, match=match):
        sched.load_state_dict(sd)
    assert sched.state_dict() == {
        "last_epoch": 1,
        "base_lrs": [0.1, 0.02],
        "step_size": 3,
        "gamma": 0.5,
    }


def test_a_group_added_after_the_schedule_is_an_error():
    opt = optimizer()
    sched = optim.ExponentialLR(opt, gamma=0.5)
    opt.add_param_group({"params": [cr.tensor(np.zeros(1), requires_grad=True)]})
    with pytest.raises(ValueError, match="3 parameter groups, the schedule was made for 2"):
        sched.step()


@pytest.mark.parametrize("name", SCHEDULES)
def test_a_schedule_made_after_loading_the_optimizer_starts_from_the_first_rate(name):
    # the optimizer's state_dict carries each group's η₀ as "initial_lr" (PyTorch's key):
    # a schedule made again on a restored optimizer, moved on to epoch e, gives the rate
    # of the closed form from η₀, not from the rate the saved optimizer had decayed to
    make, formula = SCHEDULES[name]
    opt = optimizer()
    sched = make(opt)
    for _ in range(4):
        sched.step()
    saved = opt.state_dict()
    assert [g["initial_lr"] for g in saved["param_groups"]] == [0.1, 0.02]
    restored = optimizer(lrs=(0.7, 0.7))
    restored.load_state_dict(saved)
    again = make(restored)
    assert again.base_lrs == [0.1, 0.02]
    again.last_epoch = 4
    again.step()
    for group, lr0 in zip(restored.param_groups, (0.1, 0.02)):
        assert group["lr"] == pytest.approx(formula(lr0, 5), rel=1e-12)


def test_an_optimizer_state_without_initial_lr_still_loads():
    saved = optimizer().state_dict()  # no schedule was ever made
    assert all("initial_lr" not in g for g in saved["param_groups"])
    opt = optimizer(lrs=(0.5, 0.5))
    opt.load_state_dict(saved)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.02]


def test_a_negative_initial_lr_is_refused_by_name():
    opt = optimizer()
    optim.ExponentialLR(opt, gamma=0.5)
    saved = opt.state_dict()
    saved["param_groups"][1]["initial_lr"] = -1.0
    with pytest.raises(ValueError, match="initial_lr"):
        optimizer().load_state_dict(saved)


def test_loading_a_schedule_state_sets_the_groups_initial_lr():
    sched = optim.StepLR(optimizer(), step_size=3, gamma=0.5)
    sched.step()
    opt = optimizer(lrs=(0.3, 0.3))
    other = optim.StepLR(opt, step_size=3, gamma=0.5)
    other.load_state_dict(sched.state_dict())
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
