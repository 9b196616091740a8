"""ReduceLROnPlateau follows PyTorch's rule and MultiStepLR its closed form: worked by hand,
against PyTorch on random sequences, and across a state_dict round trip."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch not installed"
)


def optimizer(lrs=(1.0,)) -> optim.SGD:
    groups = [{"params": [cr.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0)


def rates(metrics, lrs=(1.0,), **settings) -> list:
    """Group 0's rate after each ``step(metric)`` (each group's when there are several)."""
    sched = optim.ReduceLROnPlateau(optimizer(lrs), **settings)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr() if len(lrs) > 1 else sched.get_last_lr()[0])
    return out


# ----- ReduceLROnPlateau by hand ---------------------------------------------------------------


def test_reduces_after_more_than_patience_epochs_without_improvement():
    # best 4 at epoch 2; epochs 3, 4, 5 do not improve: the third is more than patience=2
    lrs = rates([5, 4, 4, 4, 4, 3, 3, 3, 3], factor=0.5, patience=2, threshold=0)
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_cooldown_epochs_after_a_reduction_are_not_counted():
    # patience 0: every epoch without improvement reduces, but for the 2 after a reduction
    lrs = rates([1.0] * 8, factor=0.5, patience=0, cooldown=2)
    assert lrs == [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_min_lr_is_a_floor_and_eps_skips_small_changes():
    assert rates([1.0] * 4, factor=0.1, patience=0, min_lr=0.05) == pytest.approx(
        [1, 0.1, 0.05, 0.05]
    )
    # 1 -> 0.5 changes by more than eps = 0.3; 0.5 -> 0.25 does not, so it is skipped
    assert rates([1.0] * 4, factor=0.5, patience=0, eps=0.3) == [1, 0.5, 0.5, 0.5]


def test_min_lr_per_group():
    lrs = rates([1.0] * 3, lrs=(1.0, 0.1), factor=0.1, patience=0, min_lr=[0.5, 0.0])
    assert np.allclose(lrs, [[1.0, 0.1], [0.5, 0.01], [0.5, 0.001]], rtol=1e-15, atol=0)


def test_threshold_modes():
    # rel, min: 9.5 is not below 10 · (1 − 0.1) = 9, 8.9 is
    assert rates([10, 9.5, 8.9], factor=0.5, patience=0, threshold=0.1) == [1, 0.5, 0.5]
    # abs, max: an improvement must exceed the best by 0.5 (1.4 does not, 1.6 does)
    lrs = rates(
        [1, 1.4, 1.6, 2.2, 2.3, 2.4],
        mode="max",
        threshold_mode="abs",
        threshold=0.5,
        factor=0.5,
        patience=1,
    )
    assert lrs == [1, 1, 1, 1, 1, 0.5]


def test_nan_is_never_an_improvement():
    sched = optim.ReduceLROnPlateau(optimizer(), factor=0.5, patience=1)
    for m in (1.0, float("nan"), float("nan")):
        sched.step(m)
    assert sched.get_last_lr() == [0.5]  # the two NaN epochs counted as bad ones
    assert sched.best == 1.0
    first = optim.ReduceLROnPlateau(optimizer(), patience=5)
    first.step(float("nan"))
    assert (first.best, first.num_bad_epochs) == (None, 1)


def test_the_metric_may_be_a_numpy_scalar_or_a_tensor():
    sched = optim.ReduceLROnPlateau(optimizer())
    sched.step(np.float32(2.0))
    sched.step(cr.tensor(1.0))
    assert sched.best == 1.0


@pytest.mark.parametrize("metric", [np.array([0.5]), np.array([[0.5]]), cr.tensor([0.5])])
def test_the_metric_may_be_an_array_or_tensor_of_one_element(metric):
    # as the docstring says, and as PyTorch's takes a tensor of one element
    sched = optim.ReduceLROnPlateau(optimizer())
    sched.step(metric)
    assert sched.best == 0.5


@pytest.mark.parametrize("bad", ["1.0", None, True, np.True_, [1.0, 2.0], np.array([1.0, 2.0])])
def test_a_metric_that_is_not_a_number_is_refused(bad):
    with pytest.raises(ValueError, match="metric must be a number"):
        optim.ReduceLROnPlateau(optimizer()).step(bad)


def test_get_last_lr_before_any_step_is_the_groups_rates():
    assert optim.ReduceLROnPlateau(optimizer((0.3, 0.2))).get_last_lr() == [0.3, 0.2]


def test_a_rate_set_by_hand_is_reduced_from():
    opt = optimizer()
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    sched.step(1.0)
    opt.param_groups[0]["lr"] = 0.2
    sched.step(1.0)
    assert opt.param_groups[0]["lr"] == 0.1


# ----- settings and state ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"factor": 1.0}, "factor must be > 0 and < 1, got 1.0"),
        ({"factor": 0}, "factor must be > 0 and < 1, got 0.0"),
        ({"factor": -0.5}, "factor must be > 0 and < 1"),
        ({"factor": float("nan")}, "factor must be finite"),
        ({"patience": -1}, "patience must be an integer >= 0, got -1"),
        ({"patience": 2.5}, "patience must be an integer >= 0"),
        ({"cooldown": -1}, "cooldown must be an integer >= 0"),
        ({"threshold": -1e-4}, "threshold must be >= 0"),
        ({"threshold": 1.0}, "threshold must be < 1 with threshold_mode='rel'"),
        ({"mode": "auto"}, "mode must be 'min' or 'max', got 'auto'"),
        ({"threshold_mode": "relative"}, "threshold_mode must be 'rel' or 'abs'"),
        ({"min_lr": -0.1}, "min_lr must be >= 0"),
        ({"min_lr": [0.1]}, "min_lr: 1 values for 2 parameter groups"),
        ({"min_lr": "0"}, "min_lr must be a number"),
        ({"eps": -1}, "eps must be >= 0"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, match):
    with pytest.raises(ValueError, match=match):
        optim.ReduceLROnPlateau(optimizer((0.1, 0.1)), **settings)


def test_an_absolute_threshold_of_one_or_more_is_allowed():
    optim.ReduceLROnPlateau(optimizer(), threshold=2.0, threshold_mode="abs")


def test_it_needs_a_chainrule_optimizer():
    with pytest.raises(ValueError, match="expected a chainrule optimizer"):
        optim.ReduceLROnPlateau(object())


def test_a_group_added_after_a_schedule_with_a_list_of_min_lrs_is_an_error_at_reduction():
    opt = optimizer()
    sched = optim.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    opt.add_param_group({"params": [cr.tensor(np.zeros(1), requires_grad=True)]})
    sched.step(1.0)  # an improvement: nothing to reduce
    with pytest.raises(ValueError, match="2 parameter groups, min_lrs has 1"):
        sched.step(1.0)


SETTINGS = {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": [0.01, 0.0]}
METRICS = [3.0, 2.0, 2.5, 2.2, 2.1, 1.9, 2.0, 2.0, 2.0, 2.0, float("nan"), 1.0, 1.0, 1.2]


def test_state_dict_resumes_exactly_mid_sequence():
    opt = optimizer((0.1, 0.02))
    sched = optim.ReduceLROnPlateau(opt, **SETTINGS)
    for m in METRICS[:8]:  # stops inside a cooldown, with bad epochs counted
        sched.step(m)
    saved = json.loads(json.dumps([opt.state_dict(), sched.state_dict()]))
    later = []
    for m in METRICS[8:]:
        sched.step(m)
        later.append(sched.get_last_lr())
    opt2 = optimizer((0.7, 0.7))  # its rates and settings are replaced by the saved ones
    sched2 = optim.ReduceLROnPlateau(opt2, mode="max", factor=0.9, patience=0)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    assert sched2.state_dict() == saved[1]
    for m, want in zip(METRICS[8:], later):
        sched2.step(m)
        assert sched2.get_last_lr() == want
    assert sched2.state_dict() == sched.state_dict()


def test_state_dict_contents():
    sched = optim.ReduceLROnPlateau(optimizer(), patience=0, factor=0.5, cooldown=3)
    sched.step(2.0)
    sched.step(2.0)
    assert sched.state_dict() == {
        "mode": "min",
        "factor": 0.5,
        "patience": 0,
        "threshold": 1e-4,
        "threshold_mode": "rel",
        "cooldown": 3,
        "min_lrs": [0.0],
        "eps": 1e-8,
        "last_epoch": 2,
        "best": 2.0,
        "num_bad_epochs": 0,
        "cooldown_counter": 3,
        "last_lr": [0.5],
    }


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda sd: sd.pop("best"), "expected a dict with the keys"),
        (lambda sd: sd.update(best="low"), "best must be a number or None"),
        (lambda sd: sd.update(best=float("nan")), "best must be a number or None"),
        (lambda sd: sd.update(num_bad_epochs=-1), "num_bad_epochs must be an integer >= 0"),
        (lambda sd: sd.update(cooldown_counter=1.5), "cooldown_counter must be an integer"),
        (lambda sd: sd.update(last_epoch=None), "last_epoch must be an integer"),
        (lambda sd: sd.update(last_lr=[0.1, 0.1]), "last_lr: 2 values for 1 parameter groups"),
        (lambda sd: sd.update(min_lrs=[-1.0]), "min_lr must be >= 0"),
        # a bad setting after good progress: nothing of either is taken
        (lambda sd: sd.update(best=0.0, factor=2.0), "factor must be > 0 and < 1"),
        (lambda sd: sd.update(patience=9, mode="up"), "mode must be 'min' or 'max'"),
    ],
)
def test_load_state_dict_checks_everything_and_changes_nothing_on_error(corrupt, match):
    sched = optim.ReduceLROnPlateau(optimizer(), patience=1)
    sched.step(2.0)
    before = sched.state_dict()
    sd = sched.state_dict()
    corrupt(sd)
    with pytest.raises(ValueError, match=match):
        sched.load_state_dict(sd)
    assert sched.state_dict() == before


def test_state_dict_is_a_copy():
    sched = optim.ReduceLROnPlateau(optimizer(), min_lr=[0.1])
    sched.state_dict()["min_lrs"].append(1.0)
    sched.state_dict()["last_lr"][0] = 5.0
    assert sched.min_lrs == [0.1]
    assert sched.get_last_lr() == [1.0]


# ----- MultiStepLR -----------------------------------------------------------------------------


def test_multistep_known_values():
    opt = optimizer((1.0, 0.1))
    sched = optim.MultiStepLR(opt, milestones=[5, 2, 5], gamma=0.5)  # 5 twice: two factors
    assert sched.get_last_lr() == [1.0, 0.1]
    seen = []
    for _ in range(7):
        sched.step()
        seen.append(opt.param_groups[0]["lr"])
    assert seen == [1, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125]
    assert sched.get_last_lr() == [0.125, 0.0125]


def test_multistep_state_dict_resumes_the_same_rates():
    opt = optimizer((0.1, 0.02))
    sched = optim.MultiStepLR(opt, milestones=(3, 6), gamma=0.3)
    for _ in range(4):
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    assert saved == {"last_epoch": 4, "base_lrs": [0.1, 0.02], "milestones": [3, 6], "gamma": 0.3}
    later = []
    for _ in range(4):
        sched.step()
        later.append(sched.get_last_lr())
    again = optim.MultiStepLR(optimizer((0.5, 0.5)), milestones=[1], gamma=0.9)
    again.load_state_dict(saved)
    for want in later:
        again.step()
        assert again.get_last_lr() == want
    sched.state_dict()["milestones"].append(1)  # a copy: the schedule is unchanged
    assert sched.milestones == [3, 6]


@pytest.mark.parametrize(
    ("milestones", "gamma", "match"),
    [
        ([0, 3], 0.1, "milestones must be an integer >= 1, got 0"),
        ([2.5], 0.1, "milestones must be an integer >= 1, got 2.5"),
        (3, 0.1, "milestones must be a list of epoch counts, got 3"),
        ("3", 0.1, "milestones must be a list of epoch counts"),
        ([3], 0, "gamma must be > 0, got 0.0"),
    ],
)
def test_multistep_bad_settings_are_refused_by_name(milestones, gamma, match):
    opt = optimizer()
    with pytest.raises(ValueError, match=match):
        optim.MultiStepLR(opt, milestones=milestones, gamma=gamma)
    assert "initial_lr" not in opt.param_groups[0]  # refused before the groups changed


def test_multistep_load_state_dict_checks_milestones():
    sched = optim.MultiStepLR(optimizer(), milestones=[2])
    sd = sched.state_dict()
    sd["milestones"] = [-1]
    with pytest.raises(ValueError, match="milestones must be an integer >= 1"):
        sched.load_state_dict(sd)
    assert sched.milestones == [2]


# ----- against PyTorch -------------------------------------------------------------------------


def _random_settings(rng) -> dict:
    return {
        "mode": str(rng.choice(["min", "max"])),
        "factor": float(rng.choice([0.1, 0.5, 0.9])),
        "patience": int(rng.integers(0, 4)),
        "threshold": float(rng.choice([0.0, 1e-4, 0.05])),
        "threshold_mode": str(rng.choice(["rel", "abs"])),
        "cooldown": int(rng.integers(0, 3)),
        "min_lr": [float(rng.choice([0.0, 0.01])), 0.0],
        "eps": float(rng.choice([1e-8, 1e-3])),
    }


def _random_metrics(rng, n=30) -> list:
    # a walk rounded to one decimal, so that ties (no improvement) are common; some NaN
    walk = np.round(rng.normal(size=n).cumsum(), 1)
    walk[rng.random(n) < 0.1] = np.nan
    return [float(m) for m in walk]


@needs_torch
def test_plateau_matches_pytorch_on_random_sequences():
    import torch

    rng = np.random.default_rng(0)
    for _ in range(60):
        settings, metrics = _random_settings(rng), _random_metrics(rng)
        opt = optimizer((0.5, 0.05))
        ours = optim.ReduceLROnPlateau(opt, **settings)
        params = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.5, 0.05)]
        torch_opt = torch.optim.SGD(params, lr=1.0)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **settings)
        for m in metrics:
            torch_opt.step()
            ours.step(m)
            theirs.step(m)
            assert ours.get_last_lr() == theirs.get_last_lr(), (settings, metrics)
            assert ours.num_bad_epochs == theirs.num_bad_epochs
            assert ours.cooldown_counter == theirs.cooldown_counter


@needs_torch
def test_multistep_matches_pytorch():
    import torch

    rng = np.random.default_rng(1)
    for _ in range(20):
        milestones = [int(m) for m in rng.integers(1, 12, size=rng.integers(0, 4))]
        gamma = float(rng.uniform(0.05, 0.95))
        opt = optimizer((0.5, 0.05))
        ours = optim.MultiStepLR(opt, milestones, gamma)
        params = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.5, 0.05)]
        torch_opt = torch.optim.SGD(params, lr=1.0)
        theirs = torch.optim.lr_scheduler.MultiStepLR(torch_opt, milestones, gamma)
        for _ in range(15):
            torch_opt.step()
            ours.step()
            theirs.step()
            # PyTorch multiplies the running rate, we take the closed form: equal to rounding
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-13)
        assert math.isclose(opt.param_groups[1]["lr"], theirs.get_last_lr()[1], rel_tol=1e-13)


# ----- errors name the schedule; milestones from any iterable -----------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda o: optim.ReduceLROnPlateau(o, factor=2), r"ReduceLROnPlateau: factor must be"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=-1), r"ReduceLROnPlateau: patience must"),
        (lambda o: optim.StepLR(o, step_size=0), r"StepLR: step_size must be an integer >= 1"),
        (lambda o: optim.ExponentialLR(o, gamma=0), r"ExponentialLR: gamma must be"),
        (lambda o: optim.MultiStepLR(o, [0]), r"MultiStepLR: milestones must be an integer >= 1"),
        (lambda o: optim.MultiStepLR(o, "23"), r"MultiStepLR: milestones must be a list"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), r"CosineAnnealingLR: T_max must be"),
    ],
)
def test_a_bad_setting_names_the_schedule(make, message):
    with pytest.raises(ValueError, match=message):
        make(optimizer())


def test_a_metric_that_is_not_a_number_names_the_step():
    schedule = optim.ReduceLROnPlateau(optimizer())
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.step: metric must be a number"):
        schedule.step("0.5")


@pytest.mark.parametrize("milestones", [np.array([3, 1]), (m for m in (3, 1)), range(1, 4, 2)])
def test_multistep_milestones_may_come_from_any_iterable_of_integers(milestones):
    opt = optimizer()
    schedule = optim.MultiStepLR(opt, milestones, gamma=0.5)
    got = []
    for _ in range(4):
        schedule.step()
        got.append(opt.param_groups[0]["lr"])
    assert got == [0.5, 0.5, 0.25, 0.25]  # milestones 1 and 3: halved at epochs 1 and 3


def test_a_0_d_array_of_milestones_and_a_bad_loaded_setting_name_the_schedule():
    with pytest.raises(ValueError, match="MultiStepLR: milestones must be a list"):
        optim.MultiStepLR(optimizer(), np.array(3))
    schedule = optim.StepLR(optimizer(), step_size=2)
    state = {**schedule.state_dict(), "step_size": 0}
    with pytest.raises(ValueError, match="StepLR: step_size must be an integer >= 1"):
        schedule.load_state_dict(state)
    assert schedule.step_size == 2  # nothing changed
