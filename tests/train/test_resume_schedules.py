"""`optim.SequentialLR` and `optim.OneCycleLR` in `fit` through `LearningRateScheduler`:
the rates worked out by hand, and runs that crash and resume from their checkpoint against
uninterrupted ones (bit-identical weights, histories, rates and momenta)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _scripted import CrashAfter, SimulatedCrashError, quiet_fit

import chainrule as cr
from chainrule.callbacks import LearningRateScheduler, ModelCheckpoint

X = np.random.default_rng(16).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)
EPOCHS = 8


def _build(kind):
    cr.manual_seed(3)
    model = cr.nn.Sequential(
        cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Dropout(0.25), cr.nn.Linear(8, 2)
    )
    if kind == "sgd":
        return model, cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, cr.optim.Adam(model.parameters(), lr=0.05)


def _sequential(opt):
    warm = cr.optim.LinearLR(opt, start_factor=0.25, total_iters=3)
    cosine = cr.optim.CosineAnnealingLR(opt, T_max=5, eta_min=0.001)
    return cr.optim.SequentialLR(opt, [warm, cosine], milestones=[3])


def _one_cycle(opt):
    return cr.optim.OneCycleLR(opt, max_lr=0.2, total_steps=EPOCHS, pct_start=0.4)


SCHEDULES = {"SequentialLR": _sequential, "OneCycleLR": _one_cycle}


def _fit(model, opt, callbacks, resume_from=None):
    val = (X[:16], Y[:16])
    return quiet_fit(model, opt, (X, Y), EPOCHS, callbacks, val_data=val, resume_from=resume_from)


class Momenta:
    """Each epoch's momentum (SGD's) or β₁ (Adam's), as it trained."""

    def __init__(self):
        self.seen = []

    def on_epoch_begin(self, state):
        group = state.optimizer.param_groups[0]
        self.seen.append(group["betas"][0] if "betas" in group else group["momentum"])


def _callbacks(opt, schedule, path, checkpoint_first):
    sched = LearningRateScheduler(SCHEDULES[schedule](opt))
    last = ModelCheckpoint(path, monitor="loss")
    return [Momenta(), *([last, sched] if checkpoint_first else [sched, last])]


@pytest.mark.parametrize("checkpoint_first", [False, True], ids=["sched first", "ckpt first"])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
@pytest.mark.parametrize("crash_after", [2, 3, 5])
def test_a_crashed_run_resumes_bit_identically(
    tmp_path, schedule, kind, crash_after, checkpoint_first
):
    model, opt = _build(kind)
    callbacks = _callbacks(opt, schedule, tmp_path / "a.safetensors", checkpoint_first)
    whole = _fit(model, opt, callbacks)
    weights, momenta = model.state_dict(), callbacks[0].seen
    final = [dict(g, params=None) for g in opt.param_groups]

    path = tmp_path / "b.safetensors"
    model, opt = _build(kind)
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*_callbacks(opt, schedule, path, checkpoint_first), CrashAfter(2)])
    if crash_after != 2:  # crash again, later, from the first resume
        model, opt = _build(kind)
        again = [*_callbacks(opt, schedule, path, checkpoint_first), CrashAfter(crash_after)]
        with pytest.raises(SimulatedCrashError):
            _fit(model, opt, again, resume_from=cr.load(path, model, opt))
    model, opt = _build(kind)  # a new process: fresh model, optimizer and schedule
    callbacks = _callbacks(opt, schedule, path, checkpoint_first)
    cr.default_generator().random(5)  # whatever happened since must not matter
    resumed = _fit(model, opt, callbacks, resume_from=cr.load(path, model, opt))

    assert resumed.history == whole.history  # the lr logged each epoch among them
    redone = callbacks[0].seen  # the epochs the resumed run trained (from the checkpoint's)
    assert EPOCHS - crash_after <= len(redone) < EPOCHS
    assert redone == momenta[EPOCHS - len(redone) :]
    assert [dict(g, params=None) for g in opt.param_groups] == final
    for name in weights:
        assert np.array_equal(weights[name], model.state_dict()[name]), name


def test_sequential_lr_in_fit_logs_the_rates_worked_out_by_hand():
    # η₀ = 0.05: warm-up 0.05·(1/4 + 3/4·e/3) = 0.0125, 0.025, 0.0375 for epochs 0–2; the
    # cosine from epoch 3: 0.001 + 0.049·(1 + cos(π·k/5))/2 for k = 0–4
    model, opt = _build("adam")
    history = _fit(model, opt, [LearningRateScheduler(_sequential(opt))])
    cosine = [0.001 + 0.049 * (1 + math.cos(math.pi * k / 5)) / 2 for k in range(5)]
    assert history.history["lr"] == pytest.approx([0.0125, 0.025, 0.0375, *cosine], rel=1e-14)


def test_one_cycle_in_fit_logs_the_rates_and_momenta_worked_out_by_hand():
    # max_lr = 0.2, div_factor 25: η_start = 0.008, η_end = 8e-7; T = 8, p = 0.4:
    # e₁ = 0.4·8 − 1 = 2.2, e₂ = 7. Rising for steps 0–2 at x = t/2.2, then falling at
    # x = (t − 2.2)/4.8, both along (1 + cos(π·x))/2; momentum 0.95 ↔ 0.85 the other way
    model, opt = _build("sgd")
    momenta = Momenta()
    history = _fit(model, opt, [momenta, LearningRateScheduler(_one_cycle(opt))])

    def cos(a, b, x):
        return b + (a - b) * (1 + math.cos(math.pi * x)) / 2

    xs = [("up", t / 2.2) for t in range(3)] + [("down", (t - 2.2) / 4.8) for t in range(3, 8)]
    rates = [cos(0.008, 0.2, x) if d == "up" else cos(0.2, 8e-7, x) for d, x in xs]
    mus = [cos(0.95, 0.85, x) if d == "up" else cos(0.85, 0.95, x) for d, x in xs]
    assert history.history["lr"] == pytest.approx(rates, rel=1e-13)
    assert momenta.seen == pytest.approx(mus, rel=1e-13)
    assert history.history["lr"][-1] == pytest.approx(8e-7, rel=1e-12)  # x = 1 at T − 1


def test_a_run_resumed_with_initial_epoch_gets_the_one_cycle_momentum_too():
    # no checkpoint: the schedule is moved on to the epochs done, rate and momentum both
    model, opt = _build("sgd")
    momenta = Momenta()
    whole = _fit(model, opt, [momenta, LearningRateScheduler(_one_cycle(opt))])
    model, opt = _build("sgd")
    later = Momenta()
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        (X, Y),
        EPOCHS,
        callbacks=[later, LearningRateScheduler(_one_cycle(opt))],
        batch_size=8,
        progress=False,
        initial_epoch=5,
    )
    assert later.seen == momenta.seen[5:]
    assert history.history["lr"] == whole.history["lr"][5:]
