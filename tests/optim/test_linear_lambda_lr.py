"""`optim.LinearLR` and `optim.LambdaLR`: PyTorch's rates over many random settings, the
closed forms worked out by hand, their checks, and their state across a save and load."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _opt(*lrs):
    groups = [{"params": [cr.Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return cr.optim.SGD(groups, lr=0.1)


def _rates(opt):
    return [g["lr"] for g in opt.param_groups]


def _torch_opt(*lrs):
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": lr}
        for lr in lrs
    ]
    return torch.optim.SGD(groups, lr=0.1)


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12)


def _run_against_torch(make_ours, make_theirs, lrs, steps):
    opt, topt = _opt(*lrs), _torch_opt(*lrs)
    ours, theirs = make_ours(opt), make_theirs(topt)
    for _ in range(steps):
        _same(_rates(opt), [g["lr"] for g in topt.param_groups])
        _same(ours.get_last_lr(), theirs.get_last_lr())
        topt.step()  # torch warns when its schedule steps before the optimizer
        ours.step()
        theirs.step()
    _same(_rates(opt), [g["lr"] for g in topt.param_groups])


@needs_torch
def test_linear_lr_matches_torch_over_random_settings():
    rng = np.random.default_rng(16)
    for _ in range(200):
        lrs = list(rng.uniform(1e-4, 1.0, size=rng.integers(1, 4)))
        start = float(rng.uniform(0.01, 1.0))
        end = float(rng.choice([rng.uniform(0.0, 1.0), 1.0, 0.0]))
        total = int(rng.integers(1, 12))
        settings = dict(start_factor=start, end_factor=end, total_iters=total)
        _run_against_torch(
            lambda o, s=settings: cr.optim.LinearLR(o, **s),
            lambda o, s=settings: torch.optim.lr_scheduler.LinearLR(o, **s),
            lrs,
            steps=total + 10,
        )


@needs_torch
def test_linear_lr_defaults_match_torch():
    _run_against_torch(cr.optim.LinearLR, torch.optim.lr_scheduler.LinearLR, [0.3, 0.01], steps=12)


@needs_torch
def test_lambda_lr_matches_torch_with_one_function_and_one_per_group():
    rng = np.random.default_rng(61)
    for _ in range(100):
        lrs = list(rng.uniform(1e-4, 1.0, size=2))
        a, b = rng.uniform(0.5, 0.99), int(rng.integers(1, 6))
        one = [lambda e, a=a: a**e]
        per_group = [lambda e, a=a: a**e, lambda e, b=b: min(1.0, (e + 1) / b)]
        for functions in (one[0], per_group):
            _run_against_torch(
                lambda o, f=functions: cr.optim.LambdaLR(o, f),
                lambda o, f=functions: torch.optim.lr_scheduler.LambdaLR(o, f),
                lrs,
                steps=25,
            )


def test_linear_lr_by_hand():
    # η₀ = 0.3, s = 1/4, f = 1, T = 3: factors 1/4, 1/2, 3/4, 1, 1, ...
    opt = _opt(0.3)
    sched = cr.optim.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=3)
    seen = [opt.param_groups[0]["lr"]]
    for _ in range(5):
        sched.step()
        seen.append(opt.param_groups[0]["lr"])
    assert seen == pytest.approx([0.075, 0.15, 0.225, 0.3, 0.3, 0.3], rel=1e-15)


def test_linear_lr_sets_the_first_rate_when_made_and_decays_too():
    opt = _opt(1.0)
    sched = cr.optim.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=4)
    assert _rates(opt) == [1.0]
    for expected in (0.75, 0.5, 0.25, 0.0, 0.0):
        sched.step()
        assert _rates(opt) == [pytest.approx(expected, abs=1e-15)]


def test_lambda_lr_by_hand_with_a_list_per_group():
    opt = _opt(0.2, 0.5)
    sched = cr.optim.LambdaLR(opt, [lambda e: 0.5**e, lambda e: e + 1])
    assert _rates(opt) == [0.2, 0.5]  # λ(0) = 1 and 1
    sched.step()
    sched.step()
    assert _rates(opt) == [pytest.approx(0.05), pytest.approx(1.5)]
    assert sched.get_last_lr() == _rates(opt)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        (dict(start_factor=0.0), "LinearLR: start_factor must be > 0 and <= 1"),
        (dict(start_factor=1.5), "LinearLR: start_factor must be > 0 and <= 1"),
        (dict(end_factor=-0.1), "LinearLR: end_factor must be >= 0 and <= 1"),
        (dict(end_factor=1.01), "LinearLR: end_factor must be >= 0 and <= 1"),
        (dict(total_iters=0), "LinearLR: total_iters must be an integer >= 1"),
        (dict(total_iters=2.5), "LinearLR: total_iters must be an integer >= 1"),
        (dict(start_factor=math.nan), "LinearLR: start_factor must be finite"),
        (dict(end_factor="1"), "LinearLR: end_factor must be a number"),
    ],
)
def test_linear_lr_refuses_bad_settings_and_changes_nothing(settings, match):
    opt = _opt(0.3)
    with pytest.raises(ValueError, match=match):
        cr.optim.LinearLR(opt, **settings)
    assert opt.param_groups[0] == {**opt.param_groups[0], "lr": 0.3}
    assert "initial_lr" not in opt.param_groups[0]


def test_lambda_lr_refuses_what_is_not_one_function_per_group():
    opt = _opt(0.3, 0.1)
    with pytest.raises(ValueError, match=r"LambdaLR: expected 2 lr_lambdas .* got 1"):
        cr.optim.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="LambdaLR: lr_lambda must be a function"):
        cr.optim.LambdaLR(opt, 0.5)
    with pytest.raises(TypeError, match="LambdaLR: lr_lambda must be a function"):
        cr.optim.LambdaLR(opt, [lambda e: 1.0, "0.5"])
    assert _rates(opt) == [0.3, 0.1]
    assert all("initial_lr" not in g for g in opt.param_groups)


def test_lambda_lr_names_the_epoch_of_a_bad_rate():
    opt = _opt(0.3)
    sched = cr.optim.LambdaLR(opt, lambda e: 1.0 - e)  # negative from epoch 2
    sched.step()
    with pytest.raises(ValueError, match=r"LambdaLR: lr_lambda returned -1\.0 for epoch 2"):
        sched.step()
    # the refused step leaves the schedule at epoch 1, with the rate it had (0.3·(1 − 1))
    assert sched.last_epoch == 1
    assert sched.get_last_lr() == [0.0] == _rates(opt)
    with pytest.raises(ValueError, match="LambdaLR: for epoch 0: lr_lambda must be"):
        cr.optim.LambdaLR(_opt(0.3), lambda e: None)
    with pytest.raises(ValueError, match="LambdaLR: for epoch 0: lr_lambda must be finite"):
        cr.optim.LambdaLR(_opt(0.3), lambda e: math.inf)


def test_linear_lr_state_round_trips_through_json_and_resumes_exactly():
    opt = _opt(0.4)
    sched = cr.optim.LinearLR(opt, start_factor=0.1, end_factor=0.7, total_iters=6)
    for _ in range(3):
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    assert saved == {
        "last_epoch": 3,
        "base_lrs": [0.4],
        "start_factor": 0.1,
        "end_factor": 0.7,
        "total_iters": 6,
    }
    opt2 = _opt(0.4)
    again = cr.optim.LinearLR(opt2)  # other settings: the state brings its own
    again.load_state_dict(saved)
    for _ in range(5):
        sched.step()
        again.step()
        assert _rates(opt2) == _rates(opt)
    bad = {**saved, "start_factor": 0.0}
    with pytest.raises(ValueError, match="LinearLR: start_factor must be > 0"):
        again.load_state_dict(bad)


def test_lambda_lr_state_holds_no_function_and_keeps_its_own():
    opt = _opt(0.4)
    sched = cr.optim.LambdaLR(opt, lambda e: 0.9**e)
    sched.step()
    sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    assert saved == {"last_epoch": 2, "base_lrs": [0.4]}
    opt2 = _opt(0.4)
    again = cr.optim.LambdaLR(opt2, lambda e: 0.9**e)
    again.load_state_dict(saved)
    sched.step()
    again.step()
    assert _rates(opt2) == _rates(opt) == [pytest.approx(0.4 * 0.9**3)]
    with pytest.raises(ValueError, match="expected a dict with the keys"):
        again.load_state_dict({**saved, "lr_lambdas": [None]})
