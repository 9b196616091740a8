"""A resumed `fit` goes on as if it had not stopped: callbacks included.

Each test compares a run that stops (a crash after some epochs: only the checkpoint
survives) and is resumed in a fresh model, optimizer and callbacks, against the same run
uninterrupted. A scripted score (set by a callback from a fixed list) decides which epoch
is best, so the expected stopping epoch is known in advance.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from _scripted import CrashAfter, SimulatedCrashError, quiet_fit

import chainrule as cr
from chainrule.callbacks import EarlyStopping, LearningRateScheduler, ModelCheckpoint

X = np.random.default_rng(5).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)
# the score's best is 0.2 at epoch 3 (index 2); with patience 3 training stops after
# epoch 6, the third epoch without improvement
SCORES = [0.5, 0.4, 0.2, 0.3, 0.25, 0.35, 0.1, 0.05]
EPOCHS = len(SCORES)


class Score:
    """Sets ``logs["score"]`` from `SCORES` (stateless: the epoch decides)."""

    def on_epoch_end(self, state, logs):
        logs["score"] = SCORES[state.epoch]


def _build():
    cr.manual_seed(3)
    model = cr.nn.Sequential(
        cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Dropout(0.25), cr.nn.Linear(8, 2)
    )
    return model, cr.optim.Adam(model.parameters(), lr=0.05)


def _fit(model, opt, callbacks, resume_from=None, epochs=EPOCHS):
    return quiet_fit(model, opt, (X, Y), epochs, callbacks, resume_from=resume_from)


def _run(path, make_callbacks, crash_after=None):
    """An uninterrupted run (``crash_after=None``) or one that crashes after that epoch and
    is resumed from its last checkpoint; returns (history, weights, callbacks)."""
    model, opt = _build()
    callbacks = make_callbacks(path)
    if crash_after is None:
        history = _fit(model, opt, callbacks)
        return history, model.state_dict(), callbacks
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*callbacks, CrashAfter(crash_after)])
    model, opt = _build()
    callbacks = make_callbacks(path)
    cr.default_generator().random(5)  # whatever happened since must not matter
    history = _fit(model, opt, callbacks, resume_from=cr.load(path, model, opt))
    return history, model.state_dict(), callbacks


def _same(a, b):
    (ha, wa, _), (hb, wb, _) = a, b
    assert ha.epoch == hb.epoch
    assert ha.history == hb.history
    for name in wa:
        assert np.array_equal(wa[name], wb[name]), name


def _early_stopping(path, checkpoint_first=False):
    last = ModelCheckpoint(path, monitor="loss")
    stop = EarlyStopping("score", patience=3, mode="min", restore_best_weights=True)
    return [Score(), last, stop] if checkpoint_first else [Score(), stop, last]


@pytest.mark.parametrize("checkpoint_first", [False, True], ids=["stop first", "ckpt first"])
@pytest.mark.parametrize("crash_after", [2, 3, 4, 5])
def test_early_stopping_stops_where_the_uninterrupted_run_does(
    tmp_path, crash_after, checkpoint_first
):
    # Keras lists the two either way; the checkpoint holds EarlyStopping's count of the
    # epoch it was written in, either way
    def make(path):
        return _early_stopping(path, checkpoint_first)

    straight = _run(tmp_path / "a.safetensors", make)
    resumed = _run(tmp_path / "b.safetensors", make, crash_after)
    assert straight[0].epoch == [0, 1, 2, 3, 4, 5]  # stopped after the 6th epoch
    stop = next(cb for cb in resumed[2] if isinstance(cb, EarlyStopping))
    assert stop.stopped_epoch == 5
    assert stop.best == 0.2
    _same(resumed, straight)  # the final weights are epoch 3's, restored


def test_early_stopping_restores_the_best_weights_of_an_epoch_before_the_crash(tmp_path):
    # the best epoch (3) lies before the crash (after 4): its weights came from the file
    path = tmp_path / "w.safetensors"
    seen = {}

    class KeepEpoch3:
        def on_epoch_end(self, state, logs):
            if state.epoch == 2:
                seen.update(state.model.state_dict())

    history, weights, _ = _run(path, lambda p: [KeepEpoch3(), *_early_stopping(p)], 4)
    assert len(history.epoch) == 6
    for name in weights:
        assert np.array_equal(weights[name], seen[name]), name


def _best_only(path):
    return [Score(), ModelCheckpoint(path, monitor="score", mode="min", save_best_only=True)]


@pytest.mark.parametrize("crash_after", [3, 5])
def test_a_best_only_checkpoint_keeps_its_best_across_a_resume(tmp_path, crash_after):
    # the best is epoch 3 (0.2) until epoch 7 (0.1) and epoch 8 (0.05): the resumed run must
    # not overwrite the file with epoch 4, 5 or 6, which are worse than epoch 3
    def make(path):
        return _best_only(path)

    path = tmp_path / "best.safetensors"
    model, opt = _build()
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*make(path), CrashAfter(crash_after)])
    model, opt = _build()
    callbacks = make(path)
    # resume, then stop after epoch 6: the file must still hold epoch 3
    cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        (X, Y),
        6,
        callbacks=callbacks,
        batch_size=8,
        progress=False,
        resume_from=cr.load(path, model, opt),
    )
    model, opt = _build()
    saved = cr.load(path, model, opt)
    assert saved["epoch"] == 3
    assert saved["callbacks"]["ModelCheckpoint"] == {"best": 0.2}


def test_two_callbacks_of_one_class_each_get_their_own_state(tmp_path):
    def make(path):
        return [
            Score(),
            EarlyStopping("score", patience=3, mode="min"),
            EarlyStopping("score", patience=10, mode="max"),
            ModelCheckpoint(path, monitor="loss"),
        ]

    _, _, callbacks = _run(tmp_path / "c.safetensors", make, crash_after=2)
    low, high = callbacks[1], callbacks[2]
    assert (low.best, low.stopped_epoch) == (0.2, 5)
    assert high.best == 0.5  # the first epoch's score stays the highest
    assert high.wait == 5


def test_a_resume_with_array_data_and_no_seed_keeps_the_random_state(tmp_path):
    # fit makes the loader for (X, y) itself and, with no seed, draws one from the library
    # generator: on resume that draw must not move the restored generator (dropout's)
    def make(path):
        return [ModelCheckpoint(path, monitor="loss")]

    straight = _run(tmp_path / "d.safetensors", make)
    model, opt = _build()
    grab = []

    class Grab:
        def on_train_begin(self, state):
            grab.append(state)

    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, [Grab(), CrashAfter(2, KeyboardInterrupt)])
    point = grab[0].resume_point()
    rng = cr.default_generator().bit_generator.state
    weights = {k: v.copy() for k, v in model.state_dict().items()}
    history = grab[0].history
    model, opt2 = _build()
    model.load_state_dict(weights)
    opt2.load_state_dict(opt.state_dict())
    cr.default_generator().bit_generator.state = rng
    resumed_history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt2,
        (X, Y),
        len(SCORES),
        batch_size=8,
        progress=False,
        history=history,
        resume_from=point,
    )
    _same((resumed_history, model.state_dict(), None), straight)


def test_a_ctrl_c_during_the_epochs_callbacks_waits_for_all_of_them():
    # SIGINT arrives in the first callback; the schedule after it still steps and logs the
    # epoch's lr before fit stops, so a checkpoint saved on the way out is complete
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.fail("the test needs Python's default SIGINT handler")

    class SigintAtEpoch2:
        def on_epoch_end(self, state, logs):
            if state.epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)

    model, opt = _build()
    schedule = cr.optim.StepLR(opt, step_size=1, gamma=0.5)
    grab = []

    class Grab:
        def on_train_begin(self, state):
            grab.append(state)

    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, [Grab(), SigintAtEpoch2(), LearningRateScheduler(schedule)])
    state = grab[0]
    assert state.epochs_done == 2
    np.testing.assert_allclose(state.history.history["lr"], [0.05, 0.025], rtol=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125, rel=1e-12)


def test_a_second_ctrl_c_stops_a_slow_callback_at_once():
    # the first SIGINT is held for the callbacks to finish; a second one stops now
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.fail("the test needs Python's default SIGINT handler")
    reached = []

    class Hangs:
        def on_epoch_end(self, state, logs):
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the first")
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the second")  # never: the second one stops here

    model, opt = _build()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, [Hangs()])
    assert reached == ["after the first"]


@pytest.mark.parametrize("name", ["step", "model", "optimizer", "path", "callbacks"])
def test_extra_state_may_not_use_the_checkpoints_own_names(tmp_path, name):
    model, opt = _build()
    path = tmp_path / "e.safetensors"
    checkpoint = ModelCheckpoint(path, extra_state=lambda s: {name: 1})
    with pytest.raises(ValueError, match=rf"extra_state returned {name}, which the checkpoint"):
        _fit(model, opt, [checkpoint], epochs=1)
    assert not path.exists()


def test_a_damaged_callback_state_is_refused_by_name(tmp_path):
    path = tmp_path / "f.safetensors"
    model, opt = _build()
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*_early_stopping(path), CrashAfter(2)])
    model, opt = _build()
    saved = cr.load(path, model, opt)
    saved["callbacks"]["EarlyStopping"]["wait"] = -1
    with pytest.raises(ValueError, match=r"callback EarlyStopping: wait must be an integer >= 0"):
        _fit(model, opt, _early_stopping(path), resume_from=saved)
    del saved["callbacks"]["EarlyStopping"]["best"]
    with pytest.raises(ValueError, match=r"EarlyStopping: expected a dict with the keys best"):
        _fit(model, opt, _early_stopping(path), resume_from=saved)


def test_a_mid_epoch_resume_with_another_batch_size_is_refused_before_anything_changes():
    model, opt = _build()
    grab = []

    class StopAtBatch3:
        def on_train_begin(self, state):
            grab.append(state)

        def on_batch_end(self, state):
            if state.batch == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, [StopAtBatch3()])
    point = grab[0].resume_point()
    assert (point["batch"], point["batch_size"]) == (3, 8)
    rng = cr.default_generator().bit_generator.state
    with pytest.raises(ValueError, match=r"middle of an epoch with batch_size 8; .* not 16"):
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, Y), 2, batch_size=16,
               progress=False, resume_from=point)  # fmt: skip
    assert cr.default_generator().bit_generator.state == rng
    between = grab[0].resume_point() | {"batch": 0, "meter": None}  # between epochs: allowed
    cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, Y), 1, batch_size=16,
           progress=False, resume_from=between)  # fmt: skip


def test_a_ctrl_c_as_the_epochs_row_is_written_waits_for_the_callbacks():
    # SIGINT while the history row is appended: the callbacks of that epoch still run
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.fail("the test needs Python's default SIGINT handler")

    class InterruptingHistory(cr.History):
        sent = False

        def append(self, epoch, logs):
            super().append(epoch, logs)
            if not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGINT)

    ran = []

    class Records:
        def on_epoch_end(self, state, logs):
            ran.append(state.epoch)

    model, opt = _build()
    history = InterruptingHistory()
    with pytest.raises(KeyboardInterrupt):
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, Y), 3, callbacks=[Records()],
               batch_size=8, progress=False, history=history)  # fmt: skip
    assert history.epoch == [0]
    assert ran == [0]
