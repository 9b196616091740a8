"""`optim.SequentialLR` and `optim.OneCycleLR`: PyTorch's rates (and OneCycleLR's momenta)
over many random settings, small cases worked out by hand, their checks, and their state
across JSON and a checkpoint file."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _groups(lrs):
    return [{"params": [cr.Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]


def _sgd(*lrs, **options):
    return cr.optim.SGD(_groups(lrs), lr=0.1, **options)


def _torch_groups(lrs):
    return [
        {"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": lr}
        for lr in lrs
    ]


def _rates(opt):
    return [g["lr"] for g in opt.param_groups]


def _close(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)


def _torch_step(*schedules):
    """Step torch's schedules, quietly: its SequentialLR steps a schedule with an epoch
    (deprecated, with a warning), and a schedule stepped before its optimizer warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sched in schedules:
            sched.step()


# ----- SequentialLR ------------------------------------------------------------------------

KINDS = ("StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "MultiStepLR", "LambdaLR")


def _random_part(rng, kind):
    """The arguments of one schedule of ``kind`` (positional, the same for both libraries)."""
    if kind == "StepLR":
        return dict(step_size=int(rng.integers(1, 8)), gamma=float(rng.uniform(0.3, 0.99)))
    if kind == "ExponentialLR":
        return dict(gamma=float(rng.uniform(0.8, 0.99)))
    if kind == "CosineAnnealingLR":
        eta_min = float(rng.choice([0.0, rng.uniform(0, 0.01), rng.uniform(0, 1.5)]))
        return dict(T_max=int(rng.integers(1, 15)), eta_min=eta_min)
    if kind == "LinearLR":
        return dict(
            start_factor=float(rng.uniform(0.01, 1.0)),
            end_factor=float(rng.choice([1.0, rng.uniform(0, 1)])),
            total_iters=int(rng.integers(1, 10)),
        )
    if kind == "MultiStepLR":
        milestones = sorted(int(m) for m in rng.integers(1, 25, size=int(rng.integers(1, 4))))
        return dict(milestones=milestones, gamma=float(rng.uniform(0.3, 0.99)))
    a, b = float(rng.uniform(0.7, 0.99)), int(rng.integers(1, 5))
    return dict(lr_lambda=lambda e, a=a, b=b: a ** (e // b))


def _build(module, opt, parts, milestones):
    made = [getattr(module, kind)(opt, **settings) for kind, settings in parts]
    return module.SequentialLR(opt, made, milestones=milestones)


@needs_torch
def test_sequential_lr_matches_torch_over_random_combinations():
    rng = np.random.default_rng(16)
    for _ in range(300):
        n = int(rng.integers(2, 4))
        parts = [(str(k), _random_part(rng, k)) for k in rng.choice(KINDS, size=n)]
        milestones = sorted(int(m) for m in rng.choice(np.arange(1, 45), n - 1, replace=False))
        lrs = list(rng.uniform(1e-4, 1.0, size=rng.integers(1, 3)))
        opt = _sgd(*lrs)
        topt = torch.optim.SGD(_torch_groups(lrs), lr=0.1)
        ours = _build(cr.optim, opt, parts, milestones)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _build(torch.optim.lr_scheduler, topt, parts, milestones)
        for _ in range(65):
            _close(_rates(opt), [g["lr"] for g in topt.param_groups])
            _close(ours.get_last_lr(), theirs.get_last_lr())
            ours.step()
            _torch_step(theirs)


@needs_torch
@pytest.mark.parametrize("kind", KINDS)
def test_sequential_lr_epoch_0_rate_is_torchs_whichever_schedule_is_first(kind):
    # the schedules set rates when made (LinearLR, LambdaLR its first); SequentialLR then
    # sets the first one's epoch-0 rate, as PyTorch's
    rng = np.random.default_rng(3)
    parts = [(kind, _random_part(rng, kind)), ("LinearLR", dict(start_factor=0.3))]
    opt, topt = _sgd(0.4, 0.02), torch.optim.SGD(_torch_groups([0.4, 0.02]), lr=0.1)
    _build(cr.optim, opt, parts, [4])
    _build(torch.optim.lr_scheduler, topt, parts, [4])
    _close(_rates(opt), [g["lr"] for g in topt.param_groups])


def test_warm_up_then_cosine_worked_out_by_hand():
    # η₀ = 1; LinearLR(s = 0.1, T = 5): 0.1 + 0.9·e/5 = 0.1, 0.28, 0.46, 0.64, 0.82 for
    # epochs 0–4; then the cosine over T_max = 4 from its own epoch 0 at epoch 5:
    # (1 + cos(π·k/4)) / 2 = 1, 0.853553…, 0.5, 0.146446…, 0 for k = 0–4 (epochs 5–9)
    opt = _sgd(1.0)
    warm = cr.optim.LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = cr.optim.CosineAnnealingLR(opt, T_max=4)
    assert _rates(opt) == [pytest.approx(0.1)]  # what the warm-up set; the cosine left it
    sched = cr.optim.SequentialLR(opt, [warm, cosine], milestones=[5])
    seen = [opt.param_groups[0]["lr"]]
    for _ in range(9):
        sched.step()
        seen.append(opt.param_groups[0]["lr"])
    half = 0.5 + 0.5 * 0.7071067811865476  # (1 + cos(π/4)) / 2, cos(π/4) = √2/2
    expected = [0.1, 0.28, 0.46, 0.64, 0.82, 1.0, half, 0.5, 1 - half, 0.0]
    assert seen == pytest.approx(expected, rel=1e-14, abs=1e-15)
    assert (warm.last_epoch, cosine.last_epoch) == (4, 4)  # each counts its own epochs


def test_three_schedules_worked_out_by_hand():
    # η₀ = 2 and 0.5; LinearLR(s = 1/2, T = 2) for epochs 0–1: η₀·(1/2, 3/4); StepLR(2,
    # γ = 1/10) from epoch 2 (its epochs 0–2): η₀·(1, 1, 1/10); ExponentialLR(γ = 1/2)
    # from epoch 5: η₀·(1, 1/2, 1/4)
    opt = _sgd(2.0, 0.5)
    sched = cr.optim.SequentialLR(
        opt,
        [
            cr.optim.LinearLR(opt, start_factor=0.5, total_iters=2),
            cr.optim.StepLR(opt, step_size=2, gamma=0.1),
            cr.optim.ExponentialLR(opt, gamma=0.5),
        ],
        milestones=[2, 5],
    )
    factors = [0.5, 0.75, 1.0, 1.0, 0.1, 1.0, 0.5, 0.25]
    for e, factor in enumerate(factors):
        assert sched.last_epoch == e
        assert _rates(opt) == pytest.approx([2.0 * factor, 0.5 * factor], rel=1e-15)
        assert sched.get_last_lr() == _rates(opt)
        sched.step()


def _seq(opt):
    return cr.optim.SequentialLR(
        opt,
        [
            cr.optim.LinearLR(opt, start_factor=0.2, total_iters=3),
            cr.optim.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
            cr.optim.MultiStepLR(opt, milestones=[2, 3], gamma=0.5),
        ],
        milestones=[3, 9],
    )


def test_sequential_lr_state_round_trips_through_json_and_resumes_exactly():
    opt = _sgd(0.3, 0.05)
    sched = _seq(opt)
    for _ in range(7):
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))
    assert saved["last_epoch"] == 7
    assert saved["milestones"] == [3, 9]
    assert [s["last_epoch"] for s in saved["schedulers"]] == [2, 4, 0]
    opt2 = _sgd(0.3, 0.05)
    again = _seq(opt2)
    again.load_state_dict(saved)
    again._set_rates()  # as LearningRateScheduler does for a resumed run
    assert [s.last_epoch for s in again.schedulers] == [2, 4, 0]
    for _ in range(10):
        assert _rates(opt2) == _rates(opt)  # exactly
        sched.step()
        again.step()


def test_sequential_lr_state_round_trips_through_a_checkpoint(tmp_path):
    model = cr.nn.Linear(2, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.2)
    sched = _seq(opt)
    for _ in range(4):
        sched.step()
    cr.save(tmp_path / "c.safetensors", model, opt, schedule=sched.state_dict())
    model2 = cr.nn.Linear(2, 1)
    opt2 = cr.optim.SGD(model2.parameters(), lr=0.2)
    again = _seq(opt2)
    state = cr.load(tmp_path / "c.safetensors", model2, opt2)
    again.load_state_dict(state["schedule"])
    assert again.state_dict() == sched.state_dict()
    for _ in range(12):
        sched.step()
        again.step()
        assert _rates(opt2) == _rates(opt)


def test_sequential_lr_load_checks_everything_and_changes_nothing_when_refused():
    opt = _sgd(0.3)
    sched = _seq(opt)
    sched.step()
    good = sched.state_dict()
    bad_inner = json.loads(json.dumps(good))
    bad_inner["schedulers"][2]["gamma"] = -1.0
    bad_inner["schedulers"][0]["last_epoch"] = 9  # loaded before the refused one
    cases = [
        ({**good, "extra": 1}, "expected a dict with the keys"),
        ({**good, "milestones": [9, 3]}, "milestones must be increasing"),
        ({**good, "milestones": [3]}, "expected 2 milestones"),
        ({**good, "schedulers": good["schedulers"][:2]}, "schedulers must be a list of 3"),
        ({**good, "last_epoch": -1}, "last_epoch must be an integer >= 0"),
        (bad_inner, r"schedulers\[2\]: MultiStepLR: gamma must be > 0"),
    ]
    for state, match in cases:
        with pytest.raises(ValueError, match=match):
            sched.load_state_dict(state)
        assert sched.state_dict() == good


def test_sequential_lr_refuses_bad_arguments():
    opt, other = _sgd(0.1), _sgd(0.1)
    a, b = cr.optim.StepLR(opt, 2), cr.optim.ExponentialLR(opt, 0.9)
    cases = [
        (dict(schedulers=[], milestones=[]), "schedulers must be a non-empty list"),
        (dict(schedulers=[a, b], milestones=[]), "expected 1 milestones"),
        (dict(schedulers=[a, b], milestones=[2, 4]), "expected 1 milestones"),
        (dict(schedulers=[a, b], milestones=[0]), "milestones must be an integer >= 1"),
        (dict(schedulers=[a, b], milestones=[2.5]), "milestones must be an integer >= 1"),
        (dict(schedulers=[a, b], milestones=3), "milestones must be a list"),
        (dict(schedulers=[a, b, a], milestones=[2, 4]), r"schedulers\[2\] is given twice"),
        (dict(schedulers=[a, cr.optim.StepLR(other, 2)], milestones=[2]), "another optimizer"),
        (
            dict(schedulers=[a, cr.optim.ReduceLROnPlateau(opt)], milestones=[2]),
            r"schedulers\[1\] is a ReduceLROnPlateau",
        ),
        (dict(schedulers=[a, "cosine"], milestones=[2]), "must be a chainrule LRScheduler"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            cr.optim.SequentialLR(opt, **kwargs)
    with pytest.raises(ValueError, match="milestones must be increasing"):
        cr.optim.SequentialLR(opt, [a, b, cr.optim.StepLR(opt, 3)], [4, 4])
    with pytest.raises(ValueError, match="expected a chainrule optimizer"):
        cr.optim.SequentialLR("opt", [a], [])


def test_sequential_lr_of_one_schedule_is_that_schedule():
    opt, alone = _sgd(0.5), _sgd(0.5)
    sched = cr.optim.SequentialLR(opt, [cr.optim.StepLR(opt, 2, 0.5)], [])
    step = cr.optim.StepLR(alone, 2, 0.5)
    for _ in range(6):
        sched.step()
        step.step()
        assert _rates(opt) == _rates(alone)


# ----- OneCycleLR --------------------------------------------------------------------------


def _momentum(opt):
    key = "betas" if "betas" in opt.defaults else "momentum"
    return [g[key][0] if key == "betas" else g[key] for g in opt.param_groups]


def _torch_momentum(opt):
    key = "betas" if "betas" in opt.defaults else "momentum"
    return [g[key][0] if key == "betas" else g[key] for g in opt.param_groups]


def _random_one_cycle(rng, groups):
    total = int(rng.integers(3, 120))
    three = bool(rng.integers(2))
    highest = 0.5 + 1 / (2 * total) if three else 1.0
    pct = float(rng.uniform(1 / total, highest))
    while not 1 < pct * total:  # every phase lasts more than 0 steps
        pct = float(rng.uniform(1 / total, highest))
    base = [float(rng.uniform(0.5, 0.9)) for _ in range(groups)]
    return dict(
        max_lr=[float(rng.uniform(1e-3, 3)) for _ in range(groups)],
        total_steps=total,
        pct_start=pct,
        anneal_strategy=str(rng.choice(["cos", "linear"])),
        base_momentum=base,
        max_momentum=[b + float(rng.uniform(0, 0.09)) for b in base],
        div_factor=float(rng.uniform(1.5, 100)),
        final_div_factor=float(rng.uniform(2, 1e5)),
        three_phase=three,
    )


@needs_torch
@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_one_cycle_matches_torch_rates_and_momenta_over_random_settings(optimizer):
    rng = np.random.default_rng(len(optimizer))
    for _ in range(150):
        n = int(rng.integers(1, 3))
        settings = _random_one_cycle(rng, n)
        opt = getattr(cr.optim, optimizer)(_groups([0.1] * n), lr=0.1)
        topt = getattr(torch.optim, optimizer)(_torch_groups([0.1] * n), lr=0.1)
        ours = cr.optim.OneCycleLR(opt, **settings)
        theirs = torch.optim.lr_scheduler.OneCycleLR(topt, **settings)
        for _ in range(settings["total_steps"]):  # steps 0 to T − 1
            _close(_rates(opt), [g["lr"] for g in topt.param_groups])
            _close(_momentum(opt), _torch_momentum(topt))
            _close([g["initial_lr"] for g in opt.param_groups], theirs.base_lrs)
            _close(ours.get_last_lr(), theirs.get_last_lr())
            ours.step()
            _torch_step(theirs)


@needs_torch
def test_one_cycle_defaults_and_epochs_match_torch():
    opt = cr.optim.Momentum(_groups([0.1]), lr=0.1)
    topt = torch.optim.SGD(_torch_groups([0.1]), lr=0.1, momentum=0.9)
    ours = cr.optim.OneCycleLR(opt, max_lr=0.5, epochs=4, steps_per_epoch=25)
    theirs = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.5, epochs=4, steps_per_epoch=25)
    assert ours.total_steps == theirs.total_steps == 100
    for _ in range(100):
        _close(_rates(opt), [g["lr"] for g in topt.param_groups])
        _close(_momentum(opt), _torch_momentum(topt))
        ours.step()
        _torch_step(theirs)


@needs_torch
@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_the_step_after_the_cycle_holds_the_last_rate_where_torch_extends_the_curve(strategy):
    opt = _sgd(0.1, momentum=0.9)
    topt = torch.optim.SGD(_torch_groups([0.1]), lr=0.1, momentum=0.9)
    settings = dict(max_lr=1.0, total_steps=10, anneal_strategy=strategy)
    ours = cr.optim.OneCycleLR(opt, **settings)
    theirs = torch.optim.lr_scheduler.OneCycleLR(topt, **settings)
    for _ in range(9):
        ours.step()
        _torch_step(theirs)
    last, last_momentum = _rates(opt), _momentum(opt)  # step 9 = T − 1: 1/25/1e4 = 4e-6
    assert last == pytest.approx([4e-6], rel=1e-12)
    assert last_momentum == [0.95]
    ours.step()
    _torch_step(theirs)
    assert _rates(opt) == last
    assert _momentum(opt) == last_momentum
    # torch's step 10: x = (10 − 2)/(9 − 2) = 8/7 along the fall from 1 to 4e-6
    x = 8 / 7
    expected = {
        "cos": 4e-6 + (1 - 4e-6) * (1 + np.cos(np.pi * x)) / 2,
        "linear": 1 + (4e-6 - 1) * x,  # below 0: no optimizer here takes that rate
    }[strategy]
    assert topt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)


def test_one_cycle_worked_out_by_hand_in_two_phases():
    # max_lr = 1, div_factor = 4: η_start = 0.25; final_div_factor = 5: η_end = 0.05.
    # T = 5, p = 0.6: phase ends e₁ = 0.6·5 − 1 = 2, e₂ = 4.
    # linear: steps 0–2 go 0.25 → 1 at x = t/2: 0.25, 0.625, 1; steps 3–4 go 1 → 0.05 at
    # x = (t − 2)/2: 0.525, 0.05. Momentum 0.95 → 0.85 → 0.95: 0.95, 0.9, 0.85, 0.9, 0.95.
    opt = _sgd(0.1, momentum=0.5)
    settings = dict(total_steps=5, pct_start=0.6, div_factor=4.0, final_div_factor=5.0)
    sched = cr.optim.OneCycleLR(opt, 1.0, anneal_strategy="linear", **settings)
    assert opt.param_groups[0]["initial_lr"] == 0.25
    rates, momenta = [], []
    for t in range(6):
        rates.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        if t < 5:
            sched.step()
    # step 5, the T-th step(), holds step 4's rate and momentum
    assert rates == pytest.approx([0.25, 0.625, 1.0, 0.525, 0.05, 0.05], rel=1e-15)
    assert momenta == pytest.approx([0.95, 0.9, 0.85, 0.9, 0.95, 0.95], rel=1e-15)
    with pytest.raises(ValueError, match="tried to step 6 times; the cycle has total_steps=5"):
        sched.step()
    assert sched.last_epoch == 5
    assert _rates(opt) == [pytest.approx(0.05)]
    # cos: the same ends; halfway (x = 1/2) the cosine is halfway too, (1 + cos(π/2))/2 = 1/2
    opt = _sgd(0.1, momentum=0.5)
    sched = cr.optim.OneCycleLR(opt, 1.0, **settings)
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(4):
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    assert rates == pytest.approx([0.25, 0.625, 1.0, 0.525, 0.05], rel=1e-15)


def test_one_cycle_worked_out_by_hand_in_three_phases():
    # max_lr = 1, η_start = 0.25, η_end = 0.05 (as above); T = 10, p = 0.3: e₁ = 2,
    # e₂ = 2·0.3·10 − 2 = 4, e₃ = 9. linear: 0.25, 0.625, 1 (x = t/2); 0.625, 0.25
    # (x = (t − 2)/2, back down); then 0.25 → 0.05 at x = (t − 4)/5: 0.21, 0.17, 0.13,
    # 0.09, 0.05. Momentum (Adam's β₁): 0.95, 0.9, 0.85, 0.9, 0.95, then 0.95 throughout.
    opt = cr.optim.Adam(_groups([0.1]), betas=(0.5, 0.99))
    sched = cr.optim.OneCycleLR(
        opt, 1.0, total_steps=10, anneal_strategy="linear", div_factor=4.0,
        final_div_factor=5.0, three_phase=True,
    )  # fmt: skip
    rates, betas = [], []
    for _ in range(10):
        rates.append(opt.param_groups[0]["lr"])
        betas.append(opt.param_groups[0]["betas"])
        sched.step()
    assert rates == pytest.approx(
        [0.25, 0.625, 1.0, 0.625, 0.25, 0.21, 0.17, 0.13, 0.09, 0.05], rel=1e-14
    )
    assert [b[0] for b in betas] == pytest.approx([0.95, 0.9, 0.85, 0.9] + [0.95] * 6)
    assert all(b[1] == 0.99 for b in betas)  # β₂ is left alone


def test_one_cycle_without_momentum_cycling_leaves_it_and_takes_adagrad():
    opt = _sgd(0.1, momentum=0.5)
    cr.optim.OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=False).step()
    assert opt.param_groups[0]["momentum"] == 0.5
    ada = cr.optim.AdaGrad(_groups([0.1]))
    with pytest.raises(ValueError, match="AdaGrad has no momentum or betas to cycle; pass "):
        cr.optim.OneCycleLR(ada, 1.0, total_steps=10)
    cr.optim.OneCycleLR(ada, 1.0, total_steps=10, cycle_momentum=False).step()
    assert ada.param_groups[0]["lr"] > 1 / 25


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        (dict(), "give total_steps, or both epochs and steps_per_epoch"),
        (dict(epochs=3), "give total_steps, or both epochs and steps_per_epoch"),
        (dict(total_steps=0), "total_steps must be an integer >= 1"),
        (dict(epochs=0, steps_per_epoch=3), "epochs must be an integer >= 1"),
        (dict(total_steps=10, pct_start=1.5), "pct_start must be >= 0 and <= 1"),
        (dict(total_steps=10, pct_start=0.1), r"pct_start \* total_steps = 1.0 must be > 1"),
        (dict(total_steps=10, pct_start=1.0), "pct_start must be < 1, got 1.0"),
        (dict(total_steps=10, pct_start=0.6, three_phase=True), "< 1/2 \\+ 1/\\(2 total"),
        (dict(total_steps=10, anneal_strategy="cosine"), "anneal_strategy must be 'cos'"),
        (dict(total_steps=10, div_factor=0), "div_factor must be > 0"),
        (dict(total_steps=10, final_div_factor=-1), "final_div_factor must be > 0"),
        (dict(total_steps=10, max_momentum=1.0), r"max_momentum must be in \[0, 1\)"),
        (dict(total_steps=10, base_momentum=[0.8, 0.8]), "base_momentum: 2 values for 1"),
        (dict(total_steps=10, three_phase=1), "three_phase must be True or False"),
    ],
)
def test_one_cycle_refuses_bad_settings_and_changes_nothing(settings, match):
    opt = _sgd(0.3, momentum=0.5)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match=match) as refused:
        cr.optim.OneCycleLR(opt, 1.0, **settings)
    assert str(refused.value).startswith("OneCycleLR: ")
    assert opt.param_groups == before


def test_one_cycle_keeps_nesterov_momentum_above_0():
    opt = _sgd(0.1, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match=r"group 0 with momentum 0\.0: nesterov=True needs"):
        cr.optim.OneCycleLR(opt, 1.0, total_steps=10, base_momentum=0.0)


def _hyper(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def _one_cycle(opt):
    return cr.optim.OneCycleLR(opt, [0.4, 2.0], total_steps=30, three_phase=True)


@pytest.mark.parametrize("through", ["json", "checkpoint"])
def test_one_cycle_state_round_trips_and_resumes_exactly(tmp_path, through):
    model = cr.nn.Linear(2, 1)

    def make():
        groups = [{"params": [model.weight]}, {"params": [model.bias], "lr": 0.5}]
        return cr.optim.AdamW(groups, lr=0.1)

    opt = make()
    sched = _one_cycle(opt)
    for _ in range(11):
        sched.step()
    if through == "json":
        saved = json.loads(json.dumps(sched.state_dict()))
        opt2 = make()
        opt2.load_state_dict(opt.state_dict())
    else:
        cr.save(tmp_path / "c.safetensors", model, opt, schedule=sched.state_dict())
        opt2 = make()
        saved = cr.load(tmp_path / "c.safetensors", model, opt2)["schedule"]
    again = _one_cycle(opt2)  # made afresh: sets step 0's rates, until loaded
    again.load_state_dict(saved)
    again._set_rates()
    assert again.state_dict() == sched.state_dict()
    for _ in range(19):
        assert _hyper(opt2) == _hyper(opt)  # rates and betas, exactly
        sched.step()
        again.step()


def test_one_cycle_load_refuses_a_count_past_the_cycle():
    opt = _sgd(0.1, momentum=0.9)
    sched = cr.optim.OneCycleLR(opt, 1.0, total_steps=10)
    good = sched.state_dict()
    with pytest.raises(ValueError, match="last_epoch 11 is past total_steps=10"):
        sched.load_state_dict({**good, "last_epoch": 11})
    with pytest.raises(ValueError, match="OneCycleLR: pct_start must be >= 0"):
        sched.load_state_dict({**good, "pct_start": -0.5})
    assert sched.state_dict() == good


def test_one_cycle_inside_a_sequential_lr_restarts_at_its_milestone():
    # a constant epoch-long pause (LambdaLR: factor 1) then a cycle of 10 steps
    opt, alone = _sgd(0.1, momentum=0.9), _sgd(0.1, momentum=0.9)
    pause = cr.optim.LambdaLR(opt, lambda e: 1.0)
    cycle = cr.optim.OneCycleLR(opt, 1.0, total_steps=10)
    sched = cr.optim.SequentialLR(opt, [pause, cycle], milestones=[3])
    reference = cr.optim.OneCycleLR(alone, 1.0, total_steps=10)
    for _ in range(3):
        assert _rates(opt) == [0.1]  # the pause's η₀, kept when the cycle was made
        sched.step()
    for _ in range(10):
        assert _rates(opt) == _rates(alone)
        assert _momentum(opt) == _momentum(alone)
        sched.step()
        reference.step()
