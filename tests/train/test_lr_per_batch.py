"""`LearningRateScheduler(interval="batch")`: a schedule stepped after every batch in `fit`,
as `OneCycleLR` is meant to be, against the same schedule stepped by hand, and runs that
crash and resume from their checkpoint against uninterrupted ones."""

from __future__ import annotations

import numpy as np
import pytest
from _scripted import CrashAfter, SimulatedCrashError, quiet_fit

import chainrule as cr
from chainrule.callbacks import LearningRateScheduler, ModelCheckpoint

X = np.random.default_rng(5).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 1] > 0).astype(np.int64)
EPOCHS, BATCH = 6, 8
STEPS = EPOCHS * (len(X) // BATCH)  # 30 batches in all


def _build():
    cr.manual_seed(4)
    model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 2))
    return model, cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def _one_cycle(opt):
    return cr.optim.OneCycleLR(opt, max_lr=0.3, total_steps=STEPS, pct_start=0.3)


class Rates:
    """The rate and momentum each batch trained with (read before the schedule steps)."""

    def __init__(self):
        self.seen = []

    def on_batch_end(self, state):
        group = state.optimizer.param_groups[0]
        self.seen.append((group["lr"], group["momentum"]))


def _fit(model, opt, callbacks, resume_from=None):
    return quiet_fit(model, opt, (X, Y), EPOCHS, callbacks, BATCH, resume_from=resume_from)


def test_each_batch_trains_with_the_schedules_next_rate():
    model, opt = _build()
    rates = Rates()
    history = _fit(model, opt, [rates, LearningRateScheduler(_one_cycle(opt), "batch")])
    _, by_hand = _build()  # the same schedule, stepped by hand on a fresh optimizer
    sched, expected = _one_cycle(by_hand), []
    for _ in range(STEPS):
        group = by_hand.param_groups[0]
        expected.append((group["lr"], group["momentum"]))
        sched.step()
    assert rates.seen == expected  # all 30, bit for bit: the whole cycle, not 6 steps of it
    per_epoch = STEPS // EPOCHS
    assert history.history["lr"] == [expected[k * per_epoch - 1][0] for k in range(1, 7)]


def test_a_crashed_run_resumes_bit_identically(tmp_path):
    def callbacks(opt, path):
        return [
            ModelCheckpoint(path, monitor="loss"),
            LearningRateScheduler(_one_cycle(opt), "batch"),
        ]

    model, opt = _build()
    whole = _fit(model, opt, callbacks(opt, tmp_path / "a.safetensors"))
    weights = model.state_dict()

    path = tmp_path / "b.safetensors"
    model, opt = _build()
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*callbacks(opt, path), CrashAfter(3)])
    model, opt = _build()
    resumed = _fit(model, opt, callbacks(opt, path), resume_from=cr.load(path, model, opt))
    assert resumed.history == whole.history
    for name in weights:
        assert np.array_equal(weights[name], model.state_dict()[name]), name


def test_initial_epoch_moves_the_schedule_on_by_the_batches_of_the_epochs_done():
    model, opt = _build()
    rates = Rates()
    sched = LearningRateScheduler(_one_cycle(opt), "batch")
    cr.fit(
        model, cr.nn.SoftmaxCrossEntropy(), opt, (X, Y), EPOCHS, batch_size=BATCH,
        callbacks=[rates, sched], progress=False, initial_epoch=4,
    )  # fmt: skip
    _, by_hand = _build()
    one_cycle = _one_cycle(by_hand)
    for _ in range(4 * STEPS // EPOCHS):
        one_cycle.step()
    assert rates.seen[0] == (by_hand.param_groups[0]["lr"], by_hand.param_groups[0]["momentum"])
    assert len(rates.seen) == 2 * STEPS // EPOCHS


@pytest.mark.parametrize(
    ("scheduler", "interval", "match"),
    [
        ("step", "step", "interval must be 'epoch' or 'batch', got 'step'"),
        ("function", "batch", "interval='batch' steps an optim schedule"),
    ],
)
def test_bad_intervals_are_refused(scheduler, interval, match):
    _, opt = _build()
    given = cr.optim.StepLR(opt, 2) if scheduler == "step" else (lambda epoch: 0.1)
    with pytest.raises(ValueError, match=match):
        LearningRateScheduler(given, interval)
