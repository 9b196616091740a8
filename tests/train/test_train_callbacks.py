"""EarlyStopping, ModelCheckpoint and LearningRateScheduler inside `cr.fit`.

A helper callback placed before the one under test writes a scripted value into the
epoch's logs, so which epoch is "best" is known in advance rather than read off a run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _scripted import Scripted, WeightLog

import chainrule as cr
from chainrule.callbacks import EarlyStopping, LearningRateScheduler, ModelCheckpoint


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(24, 3))
    y = rng.integers(0, 3, size=24)
    cr.manual_seed(seed)
    model = cr.nn.Sequential(
        cr.nn.Linear(3, 5, dtype="float64"), cr.nn.Linear(5, 3, dtype="float64")
    )
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    return model, opt, (X, y)


def _run(callbacks, epochs=10, seed=0):
    model, opt, data = _setup(seed)
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        epochs,
        callbacks=callbacks,
        batch_size=8,
        shuffle=False,
        progress=False,
    )
    return model, opt, history


# ----- EarlyStopping ---------------------------------------------------------------------------
@pytest.mark.parametrize("patience", [-1, "3", 2.5, None, True])
def test_early_stopping_names_a_patience_that_is_not_a_count(patience):
    with pytest.raises(ValueError, match=r"EarlyStopping: patience must be an integer >= 0"):
        EarlyStopping(patience=patience)


def test_early_stopping_takes_numpy_integers_as_patience():
    assert EarlyStopping(patience=np.int64(3)).patience == 3


# best at epoch index 2; nothing better afterwards
SCORES = [5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1, 4.2, 4.3]


@pytest.mark.parametrize("patience", [1, 2, 3])
def test_early_stopping_stops_after_patience_epochs_without_improvement(patience):
    # Keras' meaning (and the docstring's): stop once the monitored value has not improved
    # for `patience` epochs. Best at epoch 2, so the last epoch run is 2 + patience.
    stopper = EarlyStopping(monitor="score", patience=patience, mode="min")
    _, _, history = _run([Scripted(SCORES), stopper], epochs=len(SCORES))
    assert history.epoch == list(range(2 + patience + 1))
    assert stopper.best == 3.0


def test_early_stopping_patience_zero_stops_at_the_first_epoch_without_improvement():
    stopper = EarlyStopping(monitor="score", patience=0, mode="min")
    _, _, history = _run([Scripted(SCORES), stopper], epochs=len(SCORES))
    assert history.epoch == [0, 1, 2, 3]


def test_early_stopping_does_not_stop_while_improving():
    improving = [10.0 - i for i in range(8)]
    stopper = EarlyStopping(monitor="score", patience=0, mode="min")
    _, _, history = _run([Scripted(improving), stopper], epochs=8)
    assert len(history.epoch) == 8


def test_early_stopping_auto_mode_maximises_accuracy_like_metrics():
    accs = [0.1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0]
    stopper = EarlyStopping(monitor="fake_acc", patience=1)  # mode auto -> max
    _, _, history = _run([Scripted(accs, key="fake_acc"), stopper], epochs=len(accs))
    assert stopper.best == 0.5
    assert history.epoch[-1] < len(accs) - 1  # it did stop early


def test_early_stopping_restore_best_weights_restores_the_best_epoch():
    log = WeightLog()
    stopper = EarlyStopping(monitor="score", patience=2, mode="min", restore_best_weights=True)
    model, _, history = _run([Scripted(SCORES), log, stopper], epochs=len(SCORES))
    assert len(history.epoch) > 3  # trained past the best epoch
    best = log.snapshots[2]
    final = model.state_dict()
    assert not np.array_equal(log.snapshots[-1]["0.weight"], best["0.weight"])
    assert set(final) == set(best)
    for name in best:
        np.testing.assert_array_equal(final[name], best[name])


def test_early_stopping_without_restore_keeps_the_last_weights():
    log = WeightLog()
    stopper = EarlyStopping(monitor="score", patience=2, mode="min")
    model, _, _ = _run([Scripted(SCORES), log, stopper], epochs=len(SCORES))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, log.snapshots[-1][name])


def test_early_stopping_never_takes_nan_as_the_best_value():
    # nan first (one epoch without improvement, within patience), then a value that
    # improves every epoch: nothing to stop for, and the best weights are the last epoch's
    scores = [float("nan"), 4.0, 3.0, 2.0, 1.0]
    log = WeightLog()
    stopper = EarlyStopping(monitor="score", patience=2, mode="min", restore_best_weights=True)
    model, _, history = _run([Scripted(scores), log, stopper], epochs=len(scores))
    assert history.epoch == [0, 1, 2, 3, 4]
    assert stopper.best == 1.0
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, log.snapshots[4][name])


def test_early_stopping_used_again_reports_only_the_new_runs_stop():
    stopper = EarlyStopping(monitor="score", patience=1, mode="min")
    _run([Scripted(SCORES), stopper], epochs=len(SCORES))
    assert stopper.stopped_epoch == 3  # best at epoch 2, one epoch of patience
    _run([Scripted([10.0 - i for i in range(4)]), stopper], epochs=4)  # improves throughout
    assert stopper.stopped_epoch is None


def test_early_stopping_on_a_missing_metric_names_it():
    stopper = EarlyStopping(monitor="val_loss")  # no val_data given
    with pytest.raises(KeyError, match="val_loss"):
        _run([stopper], epochs=2)


def test_early_stopping_rejects_negative_patience_and_unknown_mode():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="sideways")


# ----- ModelCheckpoint -------------------------------------------------------------------------
def test_model_checkpoint_writes_one_file_per_epoch_with_the_epoch_in_the_name(tmp_path):
    log = WeightLog()
    ckpt = ModelCheckpoint(tmp_path / "ckpt-{epoch}.safetensors", monitor="loss")
    _run([log, ckpt], epochs=3)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt-1.safetensors", "ckpt-2.safetensors", "ckpt-3.safetensors"]
    for epoch in range(3):
        fresh, _, _ = _setup(seed=1)  # different initial weights
        training = cr.load(tmp_path / f"ckpt-{epoch + 1}.safetensors", fresh)
        assert training["epoch"] == epoch + 1  # epochs done: fit(initial_epoch=...) goes on
        assert training["step"] == 3 * (epoch + 1)  # 24 samples / 8 = 3 steps per epoch
        for name, value in fresh.state_dict().items():
            np.testing.assert_array_equal(value, log.snapshots[epoch][name])


def test_model_checkpoint_saves_the_optimizer_state(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "last.safetensors", monitor="loss")
    _, opt, _ = _run([ckpt], epochs=2)
    fresh_model, fresh_opt, _ = _setup(seed=1)
    cr.load(tmp_path / "last.safetensors", fresh_model, fresh_opt)
    assert fresh_opt.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_model_checkpoint_save_best_only_writes_only_on_improvement(tmp_path):
    scores = [3.0, 2.0, 2.5, 1.0, 1.5, 1.2]  # improvements at epochs 1, 2 and 4 (1-based)
    log = WeightLog()
    ckpt = ModelCheckpoint(
        tmp_path / "best-{epoch}.safetensors", monitor="score", save_best_only=True, mode="min"
    )
    _run([Scripted(scores), log, ckpt], epochs=len(scores))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best-1.safetensors", "best-2.safetensors", "best-4.safetensors"]


def test_model_checkpoint_save_best_only_keeps_the_best_weights_in_one_file(tmp_path):
    scores = [3.0, 2.0, 2.5, 1.0, 1.5, 1.2]  # best at epoch index 3
    log = WeightLog()
    path = tmp_path / "best.safetensors"
    ckpt = ModelCheckpoint(path, monitor="score", save_best_only=True, mode="min")
    _run([Scripted(scores), log, ckpt], epochs=len(scores))
    fresh, _, _ = _setup(seed=1)
    training = cr.load(path, fresh)
    assert training["epoch"] == 4  # the 4th epoch (index 3) was the best
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, log.snapshots[3][name])
    assert [p.name for p in tmp_path.iterdir()] == ["best.safetensors"]  # no temporary files


def test_model_checkpoint_path_takes_logged_values_keras_style(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "w{epoch:02d}-{score:.2f}.safetensors", monitor="score")
    _run([Scripted([3.0, 2.5]), ckpt], epochs=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "w01-3.00.safetensors",
        "w02-2.50.safetensors",
    ]
    bad = ModelCheckpoint(tmp_path / "{val_loss}.safetensors", monitor="loss")
    with pytest.raises(KeyError, match=r"names 'val_loss', which is not among the logs"):
        _run([bad], epochs=1)


@pytest.mark.parametrize(
    ("path", "match"),
    [("run{1}/x", r"has a field \{1\}; fields are names"),
     ("a{}b", r"has a field \{\}"),
     ("a{b", r"is not a valid pattern")],
)  # fmt: skip
def test_model_checkpoint_path_patterns_are_checked_when_made(path, match):
    with pytest.raises(ValueError, match=match):
        ModelCheckpoint(path)


def test_model_checkpoint_format_spec_that_does_not_fit_is_named(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "{loss:d}.safetensors", monitor="loss")
    with pytest.raises(ValueError, match=r"cannot fill in the path .*\{loss:d\}"):
        _run([ckpt], epochs=1)


def test_model_checkpoint_best_only_without_its_monitor_is_an_error(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True)  # val_loss
    with pytest.raises(KeyError, match=r"'val_loss' is not among the logs .* pass val_data"):
        _run([ckpt], epochs=1)
    assert list(tmp_path.iterdir()) == []


def test_model_checkpoint_extra_state_is_stored(tmp_path):
    path = tmp_path / "x.safetensors"
    ckpt = ModelCheckpoint(
        path, monitor="loss", extra_state=lambda state: {"note": "hi", "n": state.step}
    )
    _run([ckpt], epochs=1)
    training = cr.load(path)
    assert training["note"] == "hi"
    assert training["n"] == 3


def _dropout_run(epochs, callbacks=(), resume_from=None):
    """An MLP with dropout and Adam on shuffled data: randomness from both generators."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, size=40)
    cr.manual_seed(3)
    model = cr.nn.Sequential(
        cr.nn.Linear(4, 16, dtype="float64"),
        cr.nn.ReLU(),
        cr.nn.Dropout(0.3),
        cr.nn.Linear(16, 3, dtype="float64"),
    )
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    if resume_from is not None:
        resume_from = cr.load(resume_from, model, opt)
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        (X, y),
        epochs,
        callbacks=callbacks,
        batch_size=8,
        seed=5,
        progress=False,
        resume_from=resume_from,
    )
    return history, model


def test_a_model_checkpoint_resumes_exactly_as_if_the_run_had_not_stopped(tmp_path):
    whole, model = _dropout_run(6)
    path = tmp_path / "ckpt.safetensors"
    _dropout_run(3, [ModelCheckpoint(path, monitor="loss")])
    cr.manual_seed(99)  # whatever happens in between: the checkpoint brings its own state
    resumed, model2 = _dropout_run(6, resume_from=path)
    assert resumed.epoch == whole.epoch == list(range(6))
    assert resumed.history["loss"] == whole.history["loss"]  # bit for bit
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_resume_from_a_plain_save_says_which_files_can_be_resumed(tmp_path):
    # cr.save(..., epoch=3) records weights and an epoch, no position in a run; the error
    # said only "resume_from's position lacks batch, ...", a position the user never saved
    model, opt, data = _setup()
    cr.save(tmp_path / "plain.crt", model, opt, epoch=3)
    state = cr.load(tmp_path / "plain.crt", model, opt)
    assert state["epoch"] == 3
    with pytest.raises(ValueError, match="resume_from lacks batch") as e:
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, data, 4, progress=False, resume_from=state)
    assert "ModelCheckpoint" in str(e.value)
    assert "initial_epoch=" in str(e.value)


def test_resume_from_a_state_without_a_position_is_named_and_changes_nothing():
    model, opt, data = _setup()
    loader = cr.data.DataLoader(cr.data.ArrayDataset(*data), shuffle=True, seed=0)  # own seed
    before = cr.manual_seed(7).bit_generator.state
    other = np.random.default_rng(1).bit_generator.state
    for position in ({"epoch": 1}, "not a position"):
        with pytest.raises(ValueError, match="resume_from's position lacks"):
            cr.fit(
                model,
                cr.nn.SoftmaxCrossEntropy(),
                opt,
                loader,
                2,
                progress=False,
                resume_from={"position": position, "rng": other},
            )
    assert cr.default_generator().bit_generator.state == before


def test_resume_with_fewer_total_epochs_than_already_trained_is_refused(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    _dropout_run(3, [ModelCheckpoint(path, monitor="loss")])  # saved after epoch 3
    with pytest.raises(ValueError, match=r"already trained 3 epochs; .* at least 3 \(got 2\)"):
        _dropout_run(2, resume_from=path)
    resumed, _ = _dropout_run(3, resume_from=path)  # the same total: nothing left to train
    assert resumed.epoch == [0, 1, 2]


def test_a_position_mid_epoch_needs_that_epoch_in_the_total():
    model, opt, data = _setup()
    point = {"epoch": 2, "batch": 3, "step": 9, "loader_state": None, "meter": [24, 1.0, 3]}
    with pytest.raises(ValueError, match=r"2 epochs and 3 batches of epoch 3; .* at least 3"):
        cr.fit(  # 3 batches of 8 an epoch
            model, cr.nn.SoftmaxCrossEntropy(), opt, data, 2, batch_size=8, resume_from=point
        )


# ----- LearningRateScheduler -------------------------------------------------------------------
class LrLog:
    def __init__(self):
        self.lrs = []

    def on_epoch_begin(self, state):
        self.lrs.append(state.optimizer.param_groups[0]["lr"])


def test_lr_scheduler_changes_the_learning_rate_each_epoch():
    model, opt, data = _setup()
    log = LrLog()
    schedule = cr.optim.ExponentialLR(opt, gamma=0.5)
    cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        4,
        callbacks=[log, LearningRateScheduler(schedule)],
        batch_size=8,
        progress=False,
    )
    np.testing.assert_allclose(log.lrs, [0.1, 0.05, 0.025, 0.0125], rtol=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**4, rel=1e-12)


def test_lr_scheduler_step_schedule():
    model, opt, data = _setup()
    log = LrLog()
    schedule = cr.optim.StepLR(opt, step_size=2, gamma=0.1)
    cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        5,
        callbacks=[log, LearningRateScheduler(schedule)],
        batch_size=8,
        progress=False,
    )
    np.testing.assert_allclose(log.lrs, [0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-12)


def test_a_resumed_run_continues_its_schedule(tmp_path):
    path = tmp_path / "last.safetensors"
    model, opt, data = _setup()
    schedule = cr.optim.ExponentialLR(opt, gamma=0.5)
    callbacks = [LearningRateScheduler(schedule), ModelCheckpoint(path, monitor="loss")]
    fit_args = dict(batch_size=8, seed=0, progress=False)
    cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, data, 2, callbacks=callbacks, **fit_args)
    model, opt, data = _setup()  # a new process: fresh model, optimizer and schedule
    schedule = cr.optim.ExponentialLR(opt, gamma=0.5)
    log = LrLog()
    resume = cr.load(path, model, opt)
    callbacks = [log, LearningRateScheduler(schedule)]
    cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        5,
        callbacks=callbacks,
        **fit_args,
        resume_from=resume,
    )
    np.testing.assert_allclose(log.lrs, [0.1 * 0.5**2, 0.1 * 0.5**3, 0.1 * 0.5**4], rtol=1e-12)
    assert schedule.last_epoch == 5


def test_the_scheduled_rate_is_the_one_the_steps_use():
    # A schedule that sets lr to 0 after the first epoch: later epochs must not move weights.
    model, _, data = _setup()
    opt = cr.optim.SGD(model.parameters(), lr=1.0)
    initial = model.state_dict()["0.weight"]
    log = WeightLog()

    class ZeroAfterFirst:
        def step(self):
            opt.param_groups[0]["lr"] = 0.0

        def get_last_lr(self):
            return [opt.param_groups[0]["lr"]]

    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        3,
        callbacks=[log, LearningRateScheduler(ZeroAfterFirst())],
        batch_size=8,
        progress=False,
    )
    first, second, third = (s["0.weight"] for s in log.snapshots)
    assert not np.array_equal(initial, first)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(second, third)
    assert len(history.epoch) == 3


def test_the_scheduled_rate_is_recorded_in_the_history():
    # LearningRateScheduler puts the epoch's rate into its logs (logs["lr"]); as in Keras,
    # whatever the epoch's logs hold should reach the History (and history.csv).
    model, opt, data = _setup()
    schedule = cr.optim.ExponentialLR(opt, gamma=0.5)
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        3,
        callbacks=[LearningRateScheduler(schedule)],
        batch_size=8,
        progress=False,
    )
    assert "lr" in history.history
    # the rate each epoch trained with (Keras's learning_rate), then halved for the next
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.05, 0.025], rtol=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125, rel=1e-12)


def _schedule_run(path, epochs, *, checkpoint_first, schedule_after_load, resume=False):
    """``epochs`` epochs of SGD with StepLR(1, 0.5) and a checkpoint after every epoch;
    ``resume``: continue from ``path``, the schedule made before or after loading it."""
    model, opt, data = _setup()
    state, schedule = None, None
    if not (resume and schedule_after_load):
        schedule = cr.optim.StepLR(opt, step_size=1, gamma=0.5)
    if resume:
        state = cr.load(path, model, opt)
    if schedule is None:
        schedule = cr.optim.StepLR(opt, step_size=1, gamma=0.5)
    log, rate = LrLog(), LearningRateScheduler(schedule)
    checkpoint = ModelCheckpoint(path, monitor="loss")
    callbacks = [log, checkpoint, rate] if checkpoint_first else [log, rate, checkpoint]
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        data,
        epochs,
        callbacks=callbacks,
        batch_size=8,
        seed=0,
        progress=False,
        resume_from=state,
    )
    return log.lrs, history, model.state_dict()


@pytest.mark.parametrize("schedule_after_load", [False, True], ids=["made before", "made after"])
@pytest.mark.parametrize("checkpoint_first", [False, True], ids=["schedule first", "ckpt first"])
def test_a_resumed_schedule_gives_the_uninterrupted_rates(
    tmp_path, checkpoint_first, schedule_after_load
):
    # The rates of StepLR(step_size=1, gamma=0.5) from 0.1 are 0.1·0.5ᵉ in epoch e, whether
    # the schedule is made before or after the checkpoint is loaded (η₀ travels with the
    # optimizer's state as "initial_lr") and wherever the checkpoint is in the list (the
    # resumed epoch's rate comes from the schedule, not from the saved optimizer).
    how = dict(checkpoint_first=checkpoint_first, schedule_after_load=schedule_after_load)
    lrs, full, weights = _schedule_run(tmp_path / "a.safetensors", 4, **how)
    np.testing.assert_allclose(lrs, [0.1, 0.05, 0.025, 0.0125], rtol=1e-12)
    path = tmp_path / "b.safetensors"
    _schedule_run(path, 2, **how)
    lrs, resumed, resumed_weights = _schedule_run(path, 4, **how, resume=True)
    np.testing.assert_allclose(lrs, [0.025, 0.0125], rtol=1e-12)
    np.testing.assert_allclose(resumed.history["lr"], [0.1, 0.05, 0.025, 0.0125], rtol=1e-12)
    assert resumed.history == full.history
    for name in weights:
        np.testing.assert_array_equal(resumed_weights[name], weights[name])


@pytest.mark.parametrize("checkpoint_first", [False, True], ids=["schedule first", "ckpt first"])
def test_a_checkpoint_holds_the_next_rate_wherever_it_is_listed(tmp_path, checkpoint_first):
    # the checkpoint is written after the other callbacks: after the schedule's step, so it
    # saves the stepped rate and the epoch's logged lr
    path = tmp_path / "c.safetensors"
    _schedule_run(path, 2, checkpoint_first=checkpoint_first, schedule_after_load=False)
    model, opt, _ = _setup()
    state = cr.load(path, model, opt)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025, rel=1e-12)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.1, rel=1e-12)
    assert state["history"]["history"]["lr"] == pytest.approx([0.1, 0.05], rel=1e-12)


# ----- Keras's forms -----------------------------------------------------------------------------
class LrAfterBegin:
    """The rate each epoch trains with (read at its first batch, after on_epoch_begin)."""

    def __init__(self):
        self.lrs = []

    def on_batch_end(self, state):
        if state.batch == 1:
            self.lrs.append(state.optimizer.param_groups[0]["lr"])


def test_lr_scheduler_takes_a_keras_schedule_function():
    # Keras: schedule(epoch, lr) -> lr at the start of each epoch, epoch counted from 0
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return 0.1 if epoch < 2 else lr * 0.5

    log = LrAfterBegin()
    _, _, history = _run([LearningRateScheduler(schedule), log], epochs=4)
    np.testing.assert_allclose(log.lrs, [0.1, 0.1, 0.05, 0.025], rtol=1e-15)
    assert [e for e, _ in seen] == [0, 1, 2, 3]
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.1, 0.05, 0.025], rtol=1e-15)


@pytest.mark.parametrize(
    ("schedule", "match"),
    [(0.01, "expected an optim schedule"), (lambda e, lr: -1.0, "returned -1.0 for epoch 0")],
)
def test_lr_scheduler_names_what_it_cannot_use(schedule, match):
    with pytest.raises((TypeError, ValueError), match=match):
        _run([LearningRateScheduler(schedule)], epochs=1)


def test_a_callback_that_changes_a_logged_value_changes_the_history():
    # Keras's History records the logs as the callbacks left them
    class Rescale:
        def on_epoch_end(self, state, logs):
            logs["loss"] = 123.0

    assert _run([Rescale()], epochs=2)[2].history["loss"] == [123.0, 123.0]


def test_model_checkpoint_makes_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "ckpt-{epoch}.safetensors"
    _run([ModelCheckpoint(str(path))], epochs=2)
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == [
        "ckpt-1.safetensors",
        "ckpt-2.safetensors",
    ]


@pytest.mark.parametrize(
    ("monitor", "direction"),
    [("val_loss", "min"), ("val_accuracy", "max"), ("val_auc", "max"), ("f1", "max"),
     ("mae", "min"), ("Recall", "max"), ("val_cauchy_loss", "min"), ("val_soft_f1_loss", "min"),
     ("f1_score", "max")],
)  # fmt: skip
def test_mode_auto_reads_the_direction_from_the_name(monitor, direction):
    assert EarlyStopping(monitor=monitor).mode == direction


def test_mode_auto_refuses_a_name_it_cannot_read():
    # Keras 3 raises too: "score" could be either; minimising it silently was a guess
    with pytest.raises(ValueError, match=r"EarlyStopping: cannot tell whether 'score'"):
        EarlyStopping(monitor="score")
    with pytest.raises(ValueError, match=r"cannot tell whether 'val_inaccuracy'"):
        EarlyStopping(monitor="val_inaccuracy")  # a word, not a substring, decides
    with pytest.raises(ValueError, match=r"ModelCheckpoint: cannot tell whether 'score'"):
        ModelCheckpoint("best.safetensors", monitor="score", save_best_only=True)
    ModelCheckpoint("last.safetensors", monitor="score")  # saves every epoch: no direction
    assert EarlyStopping(monitor="score", mode="max").mode == "max"


def test_a_hook_fit_never_calls_is_named_in_a_warning():
    # Keras's on_train_batch_end would otherwise be ignored in silence
    class KerasStyle:
        def on_train_batch_end(self, batch, logs=None):
            raise AssertionError("never called")

    with pytest.warns(UserWarning, match=r"KerasStyle has on_train_batch_end, which fit never"):
        _run([KerasStyle()], epochs=1)


def test_a_schedule_function_is_not_applied_again_to_an_epoch_resumed_at_its_start(tmp_path):
    # a resume point taken after on_epoch_begin, before the first step, holds the rate the
    # schedule set: the resumed run must give the rates and weights of an uninterrupted one
    path = tmp_path / "at-start.safetensors"

    def halve(epoch, lr):
        return lr * 0.5

    class StopAtEpochOne:
        def on_epoch_begin(self, state):
            if state.epoch == 1:
                cr.save(path, state.model, state.optimizer, position=state.resume_point(),
                        history=dataclasses.asdict(state.history),
                        rng=cr.default_generator().bit_generator.state)  # fmt: skip
                raise KeyboardInterrupt

    _, _, whole = _run([LearningRateScheduler(halve)], epochs=4)
    with pytest.raises(KeyboardInterrupt):
        _run([LearningRateScheduler(halve), StopAtEpochOne()], epochs=4)
    model, opt, data = _setup()
    resumed = cr.fit(
        model, cr.nn.SoftmaxCrossEntropy(), opt, data, 4, batch_size=8, shuffle=False,
        progress=False, callbacks=[LearningRateScheduler(halve)],
        resume_from=cr.load(path, model, opt),
    )  # fmt: skip
    assert resumed.history["lr"] == whole.history["lr"]
    assert resumed.history["loss"] == whole.history["loss"]


def test_a_one_argument_schedule_and_a_numpy_rate_are_taken():
    log = LrAfterBegin()
    _run([LearningRateScheduler(lambda epoch: np.array(0.1 / (epoch + 1))), log], epochs=3)
    np.testing.assert_allclose(log.lrs, [0.1, 0.05, 0.1 / 3], rtol=1e-15)


def test_the_hook_warning_spares_other_methods_and_the_librarys_callbacks(tmp_path):
    # on_* attributes that are not methods, a helper method with another name, properties,
    # and every callback chainrule itself has: no warning (warnings are errors here)
    class Quiet(cr.callbacks.Callback):
        def __init__(self):
            self.on_improve = print

        @property
        def on_value(self):
            raise RuntimeError("a property must not be evaluated")

        def on_improvement_found(self):
            pass

    from chainrule.diagnostics import Monitor

    model, opt, data = _setup()
    callbacks = [Quiet(), EarlyStopping(monitor="loss"), ModelCheckpoint(str(tmp_path / "c"),
                 monitor="loss"), LearningRateScheduler(cr.optim.StepLR(opt, step_size=1)),
                 Monitor(model, out_dir=tmp_path / "diag", warn=False)]  # fmt: skip
    cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, data, 1, callbacks=callbacks, progress=False)
