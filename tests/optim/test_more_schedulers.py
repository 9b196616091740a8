"""ConstantLR, PolynomialLR, MultiplicativeLR, CosineAnnealingWarmRestarts, CyclicLR and
ChainedScheduler: their rates against the closed forms written out here and PyTorch's."""

import json
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

EPOCHS = 40


def params(groups=2):
    return [cr.tensor(np.zeros(2), requires_grad=True) for _ in range(groups)]


def sgd(ps, lr=0.1, **kwargs):
    """One group per parameter, group i at rate lr·(i + 1)."""
    return optim.SGD(
        [{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr, **kwargs
    )


def rates(opt, sched, epochs=EPOCHS, step=lambda s, e: s.step()):
    """[[each group's rate]] when made and after each step."""
    out = [[g["lr"] for g in opt.param_groups]]
    for e in range(epochs):
        step(sched, e)
        out.append([g["lr"] for g in opt.param_groups])
    return np.array(out)


# ----- the closed forms, written out ----------------------------------------------------------
def constant(base, e, factor, total_iters):
    return base * factor if e < total_iters else base


def polynomial(base, e, total_iters, power):
    return base * (1 - min(e, total_iters) / total_iters) ** power


def multiplicative(base, e, f):
    return base * math.prod(f(k) for k in range(1, e + 1))


def warm_restarts(base, t, T_0, T_mult, eta_min):
    start, length = 0, T_0  # the cycles [0, T_0), [T_0, T_0 + T_0·T_mult), ...
    while t >= start + length:
        start, length = start + length, length * T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (t - start) / length)) / 2


def triangle(e, up, down):
    """0 at each cycle's start, 1 after ``up`` steps, 0 again ``down`` steps later."""
    q = e % (up + down)
    return q / up if q <= up else 1 - (q - up) / down


def cyclic(base, top, e, up, down, amplitude):
    return base + (top - base) * triangle(e, up, down) * amplitude


SETTINGS = {
    "constant": (
        lambda o: optim.ConstantLR(o, factor=0.25, total_iters=7),
        lambda b, e: constant(b, e, 0.25, 7),
    ),
    "constant-default": (lambda o: optim.ConstantLR(o), lambda b, e: constant(b, e, 1 / 3, 5)),
    "polynomial": (
        lambda o: optim.PolynomialLR(o, total_iters=20, power=2.0),
        lambda b, e: polynomial(b, e, 20, 2.0),
    ),
    "polynomial-default": (lambda o: optim.PolynomialLR(o), lambda b, e: polynomial(b, e, 5, 1.0)),
    "polynomial-sqrt": (
        lambda o: optim.PolynomialLR(o, total_iters=33, power=0.5),
        lambda b, e: polynomial(b, e, 33, 0.5),
    ),
    "multiplicative": (
        lambda o: optim.MultiplicativeLR(o, lambda e: 0.95),
        lambda b, e: b * 0.95**e,
    ),
    "multiplicative-varying": (
        lambda o: optim.MultiplicativeLR(o, lambda e: 1.1 if e % 3 else 0.7),
        lambda b, e: multiplicative(b, e, lambda k: 1.1 if k % 3 else 0.7),
    ),
    "warm-restarts": (
        lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=6),
        lambda b, e: warm_restarts(b, e, 6, 1, 0.0),
    ),
    "warm-restarts-mult": (
        lambda o: optim.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01),
        lambda b, e: warm_restarts(b, e, 3, 2, 0.01),
    ),
    "warm-restarts-mult3": (
        lambda o: optim.CosineAnnealingWarmRestarts(o, 2, T_mult=3),
        lambda b, e: warm_restarts(b, e, 2, 3, 0.0),
    ),
}


@pytest.mark.parametrize("name", SETTINGS)
def test_rates_are_the_closed_form(name):
    make, formula = SETTINGS[name]
    opt = sgd(params())
    got = rates(opt, make(opt))
    want = [[formula(b, e) for b in (0.1, 0.2)] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


CYCLIC = {
    "triangular": (dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6), lambda e: 1.0),
    "triangular-even": (dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=5), lambda e: 1.0),
    "triangular2": (
        dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2, mode="triangular2"),
        lambda e: 0.5 ** (e // 5),
    ),
    "exp_range": (
        dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.97),
        lambda e: 0.97**e,
    ),
}


@pytest.mark.parametrize("name", CYCLIC)
def test_cyclic_rates_and_momenta_are_the_closed_form(name):
    kwargs, amplitude = CYCLIC[name]
    opt = sgd(params(), momentum=0.5)
    sched = optim.CyclicLR(opt, **kwargs)
    up = kwargs["step_size_up"]
    down = kwargs.get("step_size_down", up)
    bases = kwargs["base_lr"] if isinstance(kwargs["base_lr"], list) else [kwargs["base_lr"]] * 2
    momenta = [opt.param_groups[0]["momentum"]]
    got = [[g["lr"] for g in opt.param_groups]]
    for _ in range(EPOCHS):
        sched.step()
        got.append([g["lr"] for g in opt.param_groups])
        momenta.append(opt.param_groups[0]["momentum"])
    want = [[cyclic(b, 0.1, e, up, down, amplitude(e)) for b in bases] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    mu = [0.9 - 0.1 * triangle(e, up, down) * amplitude(e) for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(momenta, mu, rtol=0, atol=1e-12)


def test_warm_restarts_take_a_fractional_epoch():
    opt = sgd(params(1))
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
    for epoch in (0.5, 2.25, 3.0, 7.75, 20.5):
        sched.step(epoch)
        assert opt.param_groups[0]["lr"] == pytest.approx(
            warm_restarts(0.1, epoch, 3, 2, 0.01), abs=1e-12
        )
        assert sched.last_epoch == math.floor(epoch)
    sched.step()  # whole epochs on from 20.5
    assert opt.param_groups[0]["lr"] == pytest.approx(
        warm_restarts(0.1, 21.5, 3, 2, 0.01), abs=1e-12
    )


def test_chained_rates_are_the_product_of_the_factors():
    opt = sgd(params())
    sched = optim.ChainedScheduler(
        [optim.ConstantLR(opt, factor=0.1, total_iters=2), optim.ExponentialLR(opt, gamma=0.9)]
    )
    want = [[b * (0.1 if e < 2 else 1) * 0.9**e for b in (0.1, 0.2)] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(rates(opt, sched), want, rtol=0, atol=1e-12)


# ----- PyTorch --------------------------------------------------------------------------------
def torch_rates(torch, make, groups=2, optimizer="SGD", epochs=EPOCHS, step=None, **kwargs):
    ps = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    opt = getattr(torch.optim, optimizer)(
        [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], lr=0.1, **kwargs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch)'s deprecation, for the others
        sched = make(opt, torch.optim.lr_scheduler)
        return rates(opt, sched, epochs, step) if step else rates(opt, sched, epochs)


BOTH = {  # one maker for both libraries: L is the module of the schedules
    "constant": lambda o, L: L.ConstantLR(o, factor=0.25, total_iters=7),
    "constant-zero": lambda o, L: L.ConstantLR(o, factor=0.5, total_iters=1),
    "polynomial": lambda o, L: L.PolynomialLR(o, total_iters=20, power=2.0),
    "polynomial-default": lambda o, L: L.PolynomialLR(o),
    "multiplicative": lambda o, L: L.MultiplicativeLR(o, lambda e: 1.1 if e % 3 else 0.7),
    "multiplicative-list": lambda o, L: L.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 0.99]),
    "warm-restarts": lambda o, L: L.CosineAnnealingWarmRestarts(o, T_0=6),
    "warm-restarts-mult": lambda o, L: L.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01),
    "cyclic": lambda o, L: L.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=6),
    "cyclic-triangular2": lambda o, L: L.CyclicLR(o, [0.01, 0.02], 0.1, 3, mode="triangular2"),
    "cyclic-exp": lambda o, L: L.CyclicLR(o, 0.01, [0.1, 0.3], 4, mode="exp_range", gamma=0.97),
    "cyclic-fn": lambda o, L: L.CyclicLR(
        o, 0.01, 0.1, 3, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"
    ),
    "chained": lambda o, L: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, gamma=0.9)]
    ),
    "chained-three": lambda o, L: L.ChainedScheduler(
        [
            L.StepLR(o, 5, gamma=0.5),
            L.LinearLR(o, 0.2, total_iters=8),
            L.PolynomialLR(o, 30, power=0.5),
        ]
    ),
    "chained-multiplicative": lambda o, L: L.ChainedScheduler(
        [L.MultiplicativeLR(o, lambda e: 0.97), L.MultiStepLR(o, [3, 9], gamma=0.3)]
    ),
}


@pytest.mark.parametrize("name", BOTH)
def test_rates_match_torch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    opt = sgd(params(), momentum=0.5)
    ours = rates(opt, BOTH[name](opt, optim.lr_scheduler))
    theirs = torch_rates(torch, BOTH[name], momentum=0.5)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_warm_restarts_fractional_epochs_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    make = lambda o, L: L.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01)  # noqa: E731
    step = lambda s, e: s.step(e * 0.7) if e % 3 else s.step()  # noqa: E731
    opt = sgd(params())
    ours = rates(opt, make(opt, optim.lr_scheduler), step=step)
    np.testing.assert_allclose(ours, torch_rates(torch, make, step=step), rtol=0, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_cyclic_momentum_matches_torch(optimizer):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    kwargs = {"momentum": 0.5} if optimizer == "SGD" else {}
    key = "momentum" if optimizer == "SGD" else "betas"

    def momenta(opt, sched):
        out = []
        for _ in range(EPOCHS):
            sched.step()
            out.append([np.ravel(g[key])[0] for g in opt.param_groups])
        return out

    opt = getattr(optim, optimizer)([{"params": [p]} for p in params()], lr=0.1, **kwargs)
    ours = momenta(
        opt,
        optim.CyclicLR(
            opt,
            0.01,
            0.1,
            4,
            mode="exp_range",
            gamma=0.95,
            base_momentum=[0.7, 0.75],
            max_momentum=0.95,
        ),
    )
    tps = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    ref = getattr(torch.optim, optimizer)([{"params": [p]} for p in tps], lr=0.1, **kwargs)
    L = torch.optim.lr_scheduler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a schedule stepped with no optimizer step
        theirs = momenta(
            ref,
            L.CyclicLR(
                ref,
                0.01,
                0.1,
                4,
                mode="exp_range",
                gamma=0.95,
                base_momentum=[0.7, 0.75],
                max_momentum=0.95,
            ),
        )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


# ----- state_dict -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", BOTH)
def test_a_loaded_schedule_goes_on_with_the_same_rates(name):
    opt = sgd(params(), momentum=0.5)
    sched = BOTH[name](opt, optim.lr_scheduler)
    for _ in range(13):
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))  # JSON types only
    straight = rates(opt, sched, 20)

    opt2 = sgd(params(), momentum=0.5)
    again = BOTH[name](opt2, optim.lr_scheduler)
    again.load_state_dict(saved)
    again._set_rates()  # as the fit callback resumes a schedule
    np.testing.assert_array_equal(rates(opt2, again, 20), straight)


def test_warm_restarts_save_the_fraction_of_an_epoch():
    opt = sgd(params(1))
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=4)
    sched.step(5.25)
    state = sched.state_dict()
    assert state["last_epoch"] == 5
    assert state["epoch_fraction"] == 0.25
    again = optim.CosineAnnealingWarmRestarts(sgd(params(1)), T_0=4)
    again.load_state_dict(state)
    assert again.get_last_lr() == sched.get_last_lr()


def test_functions_are_not_saved():
    opt = sgd(params())
    state = optim.MultiplicativeLR(opt, lambda e: 0.9).state_dict()
    assert set(state) == {"last_epoch", "base_lrs"}
    state = optim.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()
    assert all(not callable(v) for v in state.values())


# ----- arguments ------------------------------------------------------------------------------
BAD = [
    (lambda o: optim.ConstantLR(o, factor=1.5), "ConstantLR: factor"),
    (lambda o: optim.ConstantLR(o, factor=-0.1), "ConstantLR: factor"),
    (lambda o: optim.ConstantLR(o, total_iters=0), "ConstantLR: total_iters"),
    (lambda o: optim.PolynomialLR(o, total_iters=2.5), "PolynomialLR: total_iters"),
    (lambda o: optim.PolynomialLR(o, power=-1.0), "PolynomialLR: power"),
    (lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=0), "CosineAnnealingWarmRestarts: T_0"),
    (lambda o: optim.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5), "Restarts: T_mult"),
    (lambda o: optim.CosineAnnealingWarmRestarts(o, 2, eta_min=-1.0), "Restarts: eta_min"),
    (lambda o: optim.CyclicLR(o, -0.1, 0.1), "CyclicLR: base_lr"),
    (lambda o: optim.CyclicLR(o, [0.1], 0.1), "CyclicLR: base_lr"),
    (lambda o: optim.CyclicLR(o, 0.01, -0.1), "CyclicLR: max_lr"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, step_size_up=0), "CyclicLR: step_size_up"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, step_size_down=-1), "CyclicLR: step_size_down"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "CyclicLR: mode"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, mode="exp_range", gamma=0), "CyclicLR: gamma"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, scale_mode="epoch"), "CyclicLR: scale_mode"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, base_momentum=1.0), "CyclicLR: base_momentum"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, max_momentum=-0.1), "CyclicLR: max_momentum"),
    (lambda o: optim.CyclicLR(o, 0.01, 0.1, cycle_momentum=1), "CyclicLR: cycle_momentum"),
    (lambda o: optim.ChainedScheduler([]), "ChainedScheduler: schedulers"),
    (lambda o: optim.ChainedScheduler([optim.ReduceLROnPlateau(o)]), "schedulers\\[0\\]"),
]


@pytest.mark.parametrize(("make", "match"), BAD)
def test_bad_arguments_are_a_value_error_naming_them(make, match):
    opt = sgd(params(), momentum=0.5)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert [dict(g) for g in opt.param_groups] == before  # nothing changed


def test_a_negative_epoch_is_refused_and_changes_nothing():
    opt = sgd(params())
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=2)
    sched.step(1.5)
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        sched.step(-1)
    assert (sched.last_epoch, sched.epoch_fraction) == (1, 0.5)


def test_a_group_added_after_warm_restarts_is_an_error_for_a_jump_too():
    opt = sgd(params())
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=2)
    opt.add_param_group({"params": params(1)})
    with pytest.raises(ValueError, match="3 parameter groups, the schedule was made for 2"):
        sched.step(1.5)
    assert (sched.last_epoch, sched.epoch_fraction) == (0, 0.0)


def test_cycle_momentum_needs_a_momentum():
    opt = optim.Adagrad(params(), lr=0.1)
    with pytest.raises(ValueError, match="CyclicLR: AdaGrad has no momentum or betas"):
        optim.CyclicLR(opt, 0.01, 0.1)
    optim.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)


def test_a_chain_needs_one_optimizer_and_each_schedule_once():
    opt, other = sgd(params()), sgd(params())
    step = optim.StepLR(opt, 3)
    with pytest.raises(ValueError, match="another optimizer"):
        optim.ChainedScheduler([step, optim.ExponentialLR(other, 0.9)])
    with pytest.raises(ValueError, match="given twice"):
        optim.ChainedScheduler([step, step])


def test_a_multiplicative_rate_below_zero_is_a_value_error_naming_the_epoch():
    opt = sgd(params())
    sched = optim.MultiplicativeLR(opt, lambda e: -1.0 if e == 3 else 1.0)
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="epoch 3"):
        sched.step()


def _chain_and_sequence():
    """A ChainedScheduler and a SequentialLR, each of two schedules, stepped 3 times."""
    made = []
    for kind in ("chained", "sequential"):
        p = cr.tensor(np.zeros(2), requires_grad=True)
        opt = cr.optim.SGD([p], lr=0.1)
        parts = [cr.optim.StepLR(opt, 2, 0.5), cr.optim.ExponentialLR(opt, 0.9)]
        if kind == "chained":
            sched = cr.optim.ChainedScheduler(parts)
        else:
            sched = cr.optim.SequentialLR(opt, parts, milestones=[2])
        for _ in range(3):
            sched.step()
        made.append((sched, parts))
    return made


@pytest.mark.parametrize("broken", ["second part", "own last_epoch"])
def test_a_refused_state_leaves_the_chain_and_the_sequence_and_their_parts_as_they_were(broken):
    for sched, parts in _chain_and_sequence():
        before = [sched.state_dict(), *[part.state_dict() for part in parts]]
        state = sched.state_dict()
        state["schedulers"][0]["last_epoch"] = 7  # a valid state for the first part
        if broken == "second part":
            state["schedulers"][1]["gamma"] = -1.0
            match = r"schedulers\[1\]"
        else:
            state["last_epoch"] = -2
            match = "last_epoch"
        with pytest.raises(ValueError, match=match):
            sched.load_state_dict(state)
        assert [sched.state_dict(), *[part.state_dict() for part in parts]] == before
