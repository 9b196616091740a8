"""callbacks.ReduceLROnPlateau in `cr.fit`: Keras's rule worked by hand, the rate it logs,
the runs it refuses, and a checkpointed run resumed as if it had not stopped.

A scripted score (set by a callback from a fixed list, before ReduceLROnPlateau reads it)
decides which epochs improve, so the expected rates are known in advance.
"""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import numpy as np
import pytest
from _scripted import CrashAfter, Scripted, SimulatedCrashError, quiet_fit

import chainrule as cr
from chainrule import optim
from chainrule.callbacks import LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch not installed"
)

X = np.random.default_rng(5).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def _build():
    cr.manual_seed(3)
    model = cr.nn.Sequential(
        cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Dropout(0.25), cr.nn.Linear(8, 2)
    )
    return model, cr.optim.SGD(model.parameters(), lr=0.1)


def _fit(model, opt, callbacks, epochs, resume_from=None, **kwargs):
    return quiet_fit(model, opt, (X, Y), epochs, callbacks, resume_from=resume_from, **kwargs)


def logged_rates(scores, name="score", **settings) -> list:
    """The ``lr`` column of a run whose ``name`` follows ``scores``, starting at lr = 0.1."""
    model, opt = _build()
    reduce = ReduceLROnPlateau(monitor=name, **settings)
    history = _fit(model, opt, [Scripted(scores, name), reduce], len(scores))
    return history.history["lr"]


# ----- Keras's rule, worked by hand -----------------------------------------------------------


def test_reduces_after_patience_epochs_without_improvement():
    # best 4 at epoch 2; epochs 3 and 4 do not improve: the second reaches patience=2, and
    # the rate falls for epoch 5 (each row logs the rate its epoch trained with)
    lrs = logged_rates([5, 4, 4, 4, 3, 3, 3, 3], factor=0.5, patience=2, mode="min")
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_patience_zero_acts_as_one():
    zero = logged_rates([1.0] * 4, factor=0.5, patience=0, mode="min")
    assert zero == [0.1, 0.1, 0.05, 0.025]
    assert logged_rates([1.0] * 4, factor=0.5, patience=1, mode="min") == zero


def test_cooldown_leaves_one_epoch_fewer_uncounted_as_keras():
    # cooldown=2: one epoch after each reduction is not counted
    lrs = logged_rates([1.0] * 8, factor=0.5, patience=1, cooldown=2, mode="min")
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]
    # cooldown=1 has no effect (Keras counts down before it checks)
    one = logged_rates([1.0] * 4, factor=0.5, patience=1, cooldown=1, mode="min")
    assert one == [0.1, 0.1, 0.05, 0.025]


def test_min_lr_is_a_floor():
    model, opt = _build()
    reduce = ReduceLROnPlateau("score", factor=0.1, patience=1, min_lr=0.002, mode="min")
    history = _fit(model, opt, [Scripted([1.0] * 5), reduce], 5)
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.01, 0.002, 0.002], rel=1e-15)
    # a rate at the floor is not reduced, so the count goes on (as Keras)
    assert reduce.wait == 2


@pytest.mark.parametrize("min_delta", [0.1, -0.1], ids=["positive", "negative"])
def test_min_delta_and_an_auto_mode_read_from_the_name(min_delta):
    # "acc" is maximised; an improvement must exceed the best by 0.1 (its sign ignored):
    # 0.55 does not beat 0.5, 0.7 does, 0.75 does not beat 0.7, 0.9 does
    lrs = logged_rates(
        [0.5, 0.55, 0.7, 0.75, 0.9], name="acc", factor=0.5, patience=1, min_delta=min_delta
    )
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_nan_is_never_an_improvement():
    model, opt = _build()
    reduce = ReduceLROnPlateau("score", patience=5, mode="min")
    _fit(model, opt, [Scripted([float("nan"), 2.0, 3.0]), reduce], 3)
    assert (reduce.best, reduce.wait) == (2.0, 1)  # the NaN epoch counted, then 2 was best
    model, opt = _build()
    again = ReduceLROnPlateau("score", patience=5, mode="min")
    _fit(model, opt, [Scripted([1.0, float("nan"), 0.5]), again], 3)
    assert (again.best, again.wait) == (0.5, 0)


def test_every_group_is_reduced():
    model, _ = _build()
    first, second = list(model.parameters())[:2], list(model.parameters())[2:]
    opt = cr.optim.SGD([{"params": first, "lr": 0.1}, {"params": second, "lr": 0.01}], lr=1.0)
    reduce = ReduceLROnPlateau("score", factor=0.5, patience=1, mode="min")
    history = _fit(model, opt, [Scripted([1.0, 1.0]), reduce], 2)
    assert history.history["lr"] == [0.1, 0.1]  # the first group's rate, as trained with
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.005]


def test_a_val_monitor_is_refused_before_training_without_validation_data():
    model, opt = _build()
    before = model.state_dict()
    with pytest.raises(ValueError, match="ReduceLROnPlateau: 'val_loss' is not among the logs"):
        _fit(model, opt, [ReduceLROnPlateau()], 2)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, before[name]), name  # nothing trained


def test_a_val_monitor_with_validation_data():
    model, opt = _build()
    history = _fit(model, opt, [ReduceLROnPlateau(patience=1)], 2, val_data=(X, Y))
    assert history.history["lr"] == [0.1, 0.1]


def test_a_monitor_missing_from_the_logs_is_a_key_error():
    model, opt = _build()
    with pytest.raises(KeyError, match="'scor' is not among the logs"):
        _fit(model, opt, [Scripted([1.0]), ReduceLROnPlateau("scor", mode="min")], 1)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"factor": 1.0}, "ReduceLROnPlateau: factor must be > 0 and < 1, got 1.0"),
        ({"factor": 0}, "ReduceLROnPlateau: factor must be > 0 and < 1, got 0"),
        ({"factor": 1.5}, "factor must be > 0 and < 1"),
        ({"factor": float("nan")}, "ReduceLROnPlateau: factor must be a finite number"),
        ({"patience": -1}, "ReduceLROnPlateau: patience must be an integer >= 0, got -1"),
        ({"patience": 2.5}, "ReduceLROnPlateau: patience must be an integer >= 0"),
        ({"cooldown": -2}, "ReduceLROnPlateau: cooldown must be an integer >= 0"),
        ({"min_lr": -0.1}, "ReduceLROnPlateau: min_lr must be >= 0, got -0.1"),
        ({"min_lr": "0"}, "ReduceLROnPlateau: min_lr must be a number"),
        ({"min_delta": float("inf")}, "ReduceLROnPlateau: min_delta must be a finite number"),
        ({"mode": "down"}, "ReduceLROnPlateau: mode must be 'auto', 'min' or 'max'"),
        ({"monitor": "score"}, "ReduceLROnPlateau: cannot tell whether 'score' should go"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, match):
    with pytest.raises(ValueError, match=match):
        ReduceLROnPlateau(**settings)


def test_learning_rate_scheduler_refuses_the_optim_plateau_schedule():
    _, opt = _build()
    with pytest.raises(TypeError, match=r"use cr.callbacks.ReduceLROnPlateau\(monitor="):
        LearningRateScheduler(optim.ReduceLROnPlateau(opt))


# ----- state and resume ------------------------------------------------------------------------


def test_state_dict_round_trip_and_checks():
    reduce = ReduceLROnPlateau("score", mode="min")
    reduce.load_state_dict({"best": 0.5, "wait": 3, "cooldown_counter": 1})
    assert reduce.state_dict() == {"best": 0.5, "wait": 3, "cooldown_counter": 1}
    for bad, match in [
        ({"best": 0.5, "wait": 3}, "expected a dict with the keys"),
        ({"best": "x", "wait": 0, "cooldown_counter": 0}, "best must be a number or None"),
        ({"best": float("nan"), "wait": 0, "cooldown_counter": 0}, "best must be a number"),
        ({"best": None, "wait": -1, "cooldown_counter": 0}, "wait must be an integer >= 0"),
        ({"best": 0.1, "wait": 0, "cooldown_counter": True}, "cooldown_counter must be an"),
    ]:
        with pytest.raises(ValueError, match=match):
            reduce.load_state_dict(bad)
        assert reduce.state_dict() == {"best": 0.5, "wait": 3, "cooldown_counter": 1}


# with patience 2 and cooldown 2 the rate falls after the 4th epoch (4.0 twice after the
# best 4.0) and the 9th (3.0 twice after the best 3.0); the 5th is in the cooldown and the
# 6th, counted again, does not improve on 4.0. The crashes below fall inside a count (after
# epochs 2 and 8), just after a reduction (4, 9) and inside the cooldown (5)
SCORES = [5.0, 4.0, 4.0, 4.0, 4.1, 4.0, 3.0, 3.0, 3.0, 3.5]


def _callbacks(path):
    reduce = ReduceLROnPlateau("score", factor=0.5, patience=2, cooldown=2, mode="min")
    return [Scripted(SCORES), reduce, ModelCheckpoint(path, monitor="loss")]


def _run(path, crash_after=None):
    model, opt = _build()
    callbacks = _callbacks(path)
    if crash_after is None:
        return _fit(model, opt, callbacks, len(SCORES)), model.state_dict(), callbacks[1]
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*callbacks, CrashAfter(crash_after)], len(SCORES))
    model, opt = _build()
    callbacks = _callbacks(path)
    cr.default_generator().random(5)  # whatever happened since must not matter
    history = _fit(model, opt, callbacks, len(SCORES), resume_from=cr.load(path, model, opt))
    return history, model.state_dict(), callbacks[1]


@pytest.mark.parametrize("crash_after", [2, 4, 5, 8, 9])
def test_a_resumed_run_equals_the_uninterrupted_one(tmp_path, crash_after):
    straight_history, straight_weights, straight = _run(tmp_path / "a.safetensors")
    # each row logs the rate its epoch trained with (see SCORES)
    assert straight_history.history["lr"] == [0.1] * 4 + [0.05] * 5 + [0.025]
    history, weights, reduce = _run(tmp_path / "b.safetensors", crash_after)
    assert history.epoch == straight_history.epoch
    assert history.history == straight_history.history
    assert reduce.state_dict() == straight.state_dict()
    for name in weights:
        assert np.array_equal(weights[name], straight_weights[name]), name


# ----- against PyTorch -------------------------------------------------------------------------


@needs_torch
def test_keras_rule_is_pytorchs_with_patience_and_cooldown_one_less():
    # Keras's (patience p, cooldown c, min_delta d) reduces where PyTorch's does with
    # patience max(p, 1) − 1, cooldown max(c − 1, 0), threshold d in "abs" mode and eps 0,
    # on values without ±inf (min_lr 0: every reduction changes the rate)
    import torch

    rng = np.random.default_rng(2)
    for _ in range(60):
        p, c, mode = (
            int(rng.integers(0, 4)),
            int(rng.integers(0, 4)),
            str(rng.choice(["min", "max"])),
        )
        d = float(rng.choice([0.0, 0.05, 0.3]))
        walk = np.round(rng.normal(size=25).cumsum(), 1)
        walk[rng.random(25) < 0.1] = np.nan
        _, opt = _build()
        state = SimpleNamespace(optimizer=opt)
        ours = ReduceLROnPlateau(
            "score", factor=0.5, patience=p, cooldown=c, mode=mode, min_delta=d
        )
        torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(
            torch_opt,
            mode=mode,
            factor=0.5,
            patience=max(p, 1) - 1,
            cooldown=max(c - 1, 0),
            threshold=d,
            threshold_mode="abs",
            eps=0.0,
        )
        for value in walk:
            ours.on_epoch_end(state, {"score": float(value)})
            torch_opt.step()
            theirs.step(float(value))
            assert [g["lr"] for g in opt.param_groups] == theirs.get_last_lr(), (p, c, d, walk)
