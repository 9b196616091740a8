"""`callbacks.TerminateOnNaN`, `callbacks.CSVLogger` and a `optim.LinearLR` warm-up in
`fit`: Keras's documented behaviour worked out by hand, the CSV file read back with the
csv module, and runs killed and resumed from their checkpoint against uninterrupted ones."""

from __future__ import annotations

import csv
import math

import _scripted
import numpy as np
import pytest
from _scripted import CrashAfter, Scripted, SimulatedCrashError, quiet_fit

import chainrule as cr
from chainrule.callbacks import (
    CSVLogger,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)

X = np.random.default_rng(16).normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


class PoisonedLoss:
    """Cross-entropy, times ``bad`` (NaN or inf) at the batch ``at`` = (epoch, batch),
    both from 0; `Where` tells it where the run is (from the state: a resumed run too)."""

    def __init__(self, at, bad=math.nan):
        self.at, self.bad, self.where = at, bad, None
        self.loss = cr.nn.SoftmaxCrossEntropy()

    def __call__(self, out, y):
        loss = self.loss(out, y)
        return loss * self.bad if self.where == self.at else loss


class Where:
    def __init__(self, loss):
        self.loss = loss

    def on_epoch_begin(self, state):
        self.loss.where = (state.epoch, state.batch)

    def on_batch_end(self, state):
        self.loss.where = (state.epoch, state.batch)


class Ended:
    def __init__(self):
        self.calls = 0

    def on_train_end(self, state):
        self.calls += 1


def _build(lr=0.05):
    cr.manual_seed(3)
    model = cr.nn.Sequential(
        cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Dropout(0.25), cr.nn.Linear(8, 2)
    )
    return model, cr.optim.Adam(model.parameters(), lr=lr)


def _fit(model, opt, callbacks, loss_fn=None, epochs=6, resume_from=None, val=True):
    val_data = (X[:16], Y[:16]) if val else None
    kwargs = {"val_data": val_data, "resume_from": resume_from, "loss_fn": loss_fn}
    return quiet_fit(model, opt, (X, Y), epochs, callbacks, **kwargs)


def _same_weights(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


# --- TerminateOnNaN --------------------------------------------------------------------


def test_without_terminate_on_nan_fit_still_raises():
    loss = PoisonedLoss(at=(2, 1))
    model, opt = _build()
    with pytest.raises(FloatingPointError, match="the loss became nan at step 11"):
        _fit(model, opt, [Where(loss)], loss)


@pytest.mark.parametrize(("bad", "shown"), [(math.nan, "nan"), (math.inf, "inf")])
def test_terminate_on_nan_stops_cleanly_at_the_batch(bad, shown):
    # 40 samples in batches of 8: 5 steps an epoch; batch 1 of epoch 2 (from 0) is step 11
    loss = PoisonedLoss(at=(2, 1), bad=bad)
    model, opt = _build()
    stop, ended = TerminateOnNaN(), Ended()
    with pytest.warns(RuntimeWarning) as caught:
        history = _fit(model, opt, [Where(loss), stop, ended], loss)
    message = f"TerminateOnNaN: the loss became {shown} in epoch 3, batch 2 (step 11)"
    assert [str(w.message) for w in caught] == [stop.message]
    assert stop.message.startswith(message)
    assert history.epoch == [0, 1]  # the unfinished epoch has no row
    assert all(np.isfinite(history.history["loss"]))
    assert ended.calls == 1
    # the weights are those after step 11's predecessor: a run of 2 epochs and 1 batch
    reference, ref_opt = _build()
    clean = PoisonedLoss(at=None)
    _fit(reference, ref_opt, [Where(clean), _StopAfterBatch(2, 1)], clean, epochs=3)
    _same_weights(model.state_dict(), reference.state_dict())
    assert all(np.all(np.isfinite(w)) for w in model.state_dict().values())


class _StopAfterBatch:
    """Stops after ``batches`` batches of epoch ``epoch`` (from 0), then drops the row."""

    def __init__(self, epoch, batches):
        self.epoch, self.batches = epoch, batches

    def on_batch_end(self, state):
        if (state.epoch, state.batch) == (self.epoch, self.batches):
            state.stop_training = True


def test_terminate_on_nan_in_the_first_batch_of_an_epoch_logs_no_row_for_it():
    loss = PoisonedLoss(at=(1, 0))
    model, opt = _build()
    with pytest.warns(RuntimeWarning, match=r"in epoch 2, batch 1 \(step 5\)"):
        history = _fit(model, opt, [Where(loss), TerminateOnNaN()], loss)
    assert history.epoch == [0]


def test_terminate_on_nan_run_killed_and_resumed_stops_at_the_same_batch(tmp_path):
    path = tmp_path / "ckpt.safetensors"

    def run(crash_after=None):
        loss = PoisonedLoss(at=(3, 2))
        model, opt = _build()
        callbacks = [Where(loss), TerminateOnNaN(), ModelCheckpoint(path, monitor="loss")]
        if crash_after is not None:
            with pytest.raises(SimulatedCrashError):
                _fit(model, opt, [*callbacks, CrashAfter(crash_after)], loss)
            model, opt = _build()
            cr.default_generator().random(3)
            resume = cr.load(path, model, opt)
        else:
            resume = None
        with pytest.warns(RuntimeWarning, match="in epoch 4, batch 3"):
            history = _fit(model, opt, callbacks, loss, resume_from=resume)
        return history, model.state_dict()

    (h1, w1), (h2, w2) = run(), run(crash_after=2)
    assert h1.history == h2.history
    assert h1.epoch == h2.epoch == [0, 1, 2]
    _same_weights(w1, w2)


# --- CSVLogger -------------------------------------------------------------------------


def _read(path, delimiter=","):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter=delimiter))


def test_csv_logger_writes_one_row_an_epoch_with_sorted_columns(tmp_path):
    path = tmp_path / "log.csv"
    model, opt = _build()
    sched = cr.optim.StepLR(opt, step_size=2, gamma=0.5)
    # the schedule listed after the logger: its lr is in the rows all the same
    history = _fit(model, opt, [CSVLogger(path), LearningRateScheduler(sched)], epochs=4)
    rows = _read(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert len(rows) == 5  # the header once, then one row an epoch
    for epoch, row in enumerate(rows[1:]):
        assert row[0] == str(epoch)  # counted from 0, as Keras
        for key, text in zip(rows[0][1:], row[1:]):
            assert float(text) == history.history[key][epoch]  # in full: exact
    assert [float(r[3]) for r in rows[1:]] == [0.05, 0.05, 0.025, 0.025]


def test_csv_logger_separator_and_a_fresh_file_each_fit(tmp_path):
    path = tmp_path / "log.tsv"
    path.write_text("old contents\n")
    model, opt = _build()
    _fit(model, opt, [CSVLogger(path, separator="\t")], epochs=2, val=False)
    rows = _read(path, "\t")
    assert rows[0] == ["epoch", "accuracy", "loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    _fit(model, opt, [CSVLogger(path, separator="\t")], epochs=1, val=False)
    assert [r[0] for r in _read(path, "\t")] == ["epoch", "0"]  # append=False: afresh


def test_csv_logger_append_adds_rows_under_the_header(tmp_path):
    path = tmp_path / "log.csv"
    model, opt = _build()
    _fit(model, opt, [CSVLogger(path, append=True)], epochs=2, val=False)
    _fit(model, opt, [CSVLogger(path, append=True)], epochs=3, val=False)
    rows = _read(path)
    assert rows[0] == ["epoch", "accuracy", "loss"]
    assert [r[0] for r in rows] == ["epoch", "0", "1", "0", "1", "2"]
    assert all(len(r) == 3 for r in rows)


def test_csv_logger_append_follows_the_file_header(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss\n")
    model, opt = _build()
    with pytest.warns(UserWarning, match="'accuracy' first logged in epoch 0"):
        _fit(model, opt, [CSVLogger(path, append=True)], epochs=2, val=False)
    rows = _read(path)
    assert rows[0] == ["epoch", "loss"]
    assert [len(r) for r in rows] == [2, 2, 2]


def test_csv_logger_keys_are_fixed_at_the_first_epoch(tmp_path):
    # "extra" only from epoch 1, "score" missing in epoch 2: NA there, never misaligned
    path = tmp_path / "log.csv"

    class Uneven:
        def on_epoch_end(self, state, logs):
            if state.epoch != 2:
                logs["score"] = 10.0 + state.epoch
            if state.epoch >= 1:
                logs["extra"] = 1.0

    model, opt = _build()
    with pytest.warns(UserWarning, match="CSVLogger") as caught:
        _fit(model, opt, [Uneven(), CSVLogger(path)], epochs=4, val=False)
    assert len(caught) == 1  # once, not every epoch
    assert "'extra' first logged in epoch 1" in str(caught[0].message)
    assert "log.csv" in str(caught[0].message)
    assert caught[0].filename == _scripted.__file__  # the line calling fit, not fit's loop
    rows = _read(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "score"]
    assert [r[3] for r in rows[1:]] == ["10.0", "11.0", "NA", "13.0"]


def test_csv_logger_unwritable_path_names_the_file(tmp_path):
    path = tmp_path / "missing-folder" / "log.csv"
    model, opt = _build()
    with pytest.raises(OSError, match=r"CSVLogger: cannot write the log .*missing-folder"):
        _fit(model, opt, [CSVLogger(path)], epochs=1)
    with pytest.raises(OSError, match="CSVLogger: cannot write the log"):
        _fit(model, opt, [CSVLogger(tmp_path)], epochs=1)  # a directory


def test_csv_logger_checks_its_arguments():
    with pytest.raises(ValueError, match="CSVLogger: separator must be one character"):
        CSVLogger("log.csv", separator=", ")
    with pytest.raises(TypeError, match="CSVLogger: append must be True or False"):
        CSVLogger("log.csv", append="yes")
    with pytest.raises(TypeError, match="CSVLogger: filename must be a path"):
        CSVLogger(None)


def _csv_run(tmp_path, name, crash, best_only=False):
    """A run logging to ``name``; ``crash``: None, ("after", n) (CrashAfter n, before the
    checkpoint of epoch n) or ("saving", n) (raised while the checkpoint of epoch n is
    being saved, after the row is written). Resumed from the last checkpoint."""
    log, ckpt = tmp_path / name, tmp_path / f"{name}.safetensors"
    scores = [0.5, 0.4, 0.45, 0.3, 0.35, 0.33, 0.2, 0.25]

    def callbacks(extra=None):
        sched = LearningRateScheduler(cr.optim.LinearLR(opt, start_factor=0.2, total_iters=4))
        saver = ModelCheckpoint(
            ckpt, monitor="score", mode="min", save_best_only=best_only, extra_state=extra
        )
        return [Scripted(scores), sched, CSVLogger(log), saver]

    def failing(n):
        def extra(state):
            if state.epoch + 1 == n:
                raise SimulatedCrashError
            return {}

        return extra

    model, opt = _build()
    if crash is None:
        history = _fit(model, opt, callbacks(), epochs=len(scores))
        return log.read_bytes(), history, model.state_dict()
    kind, n = crash
    first = callbacks(failing(n)) if kind == "saving" else [*callbacks(), CrashAfter(n)]
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, first, epochs=len(scores))
    model, opt = _build()
    cr.default_generator().random(2)
    state = cr.load(ckpt, model, opt)
    history = _fit(model, opt, callbacks(), epochs=len(scores), resume_from=state)
    return log.read_bytes(), history, model.state_dict()


@pytest.mark.parametrize(
    ("crash", "best_only"),
    [
        (("after", 3), False),  # killed before the checkpoint of epoch 3
        (("saving", 3), False),  # killed after the row of epoch 3, before its checkpoint
        (("after", 6), True),  # the last checkpoint is epoch 4's: rows 5 and 6 are re-run
        (("saving", 7), True),  # the row of epoch 7 written, its checkpoint not
    ],
)
def test_csv_logger_resumed_file_has_exactly_the_uninterrupted_rows(tmp_path, crash, best_only):
    whole, h1, w1 = _csv_run(tmp_path, "whole.csv", None, best_only)
    resumed, h2, w2 = _csv_run(tmp_path, "resumed.csv", crash, best_only)
    assert resumed == whole  # byte for byte: no duplicate rows, the header once
    rows = list(csv.reader(whole.decode().splitlines()))
    assert [r[0] for r in rows] == ["epoch", *map(str, range(8))]
    assert h1.history == h2.history
    _same_weights(w1, w2)


def test_csv_logger_refuses_to_resume_a_file_shorter_than_its_checkpoint(tmp_path):
    log, ckpt = tmp_path / "log.csv", tmp_path / "ckpt.safetensors"
    model, opt = _build()
    _fit(model, opt, [CSVLogger(log), ModelCheckpoint(ckpt, monitor="loss")], epochs=2)
    log.write_text("epoch\n")
    model, opt = _build()
    state = cr.load(ckpt, model, opt)
    with pytest.raises(ValueError, match="CSVLogger: the checkpoint resumed from logged"):
        _fit(model, opt, [CSVLogger(log)], epochs=3, resume_from=state)


def test_csv_logger_state_is_checked():
    logger = CSVLogger("log.csv")
    with pytest.raises(ValueError, match="expected a dict with the keys keys, size"):
        logger.load_state_dict({"size": 3})
    with pytest.raises(ValueError, match="CSVLogger: size must be an integer >= 0"):
        logger.load_state_dict({"keys": None, "size": -1})
    with pytest.raises(ValueError, match="keys must be a list of names"):
        logger.load_state_dict({"keys": [1], "size": 0})


# --- LinearLR in fit -------------------------------------------------------------------


def test_linear_warm_up_in_fit_logs_the_rates_worked_out_by_hand():
    model, opt = _build(lr=0.1)
    sched = cr.optim.LinearLR(opt, start_factor=0.25, total_iters=3)
    history = _fit(model, opt, [LearningRateScheduler(sched)], epochs=5, val=False)
    # η₀ = 0.1: 0.1·(1/4 + 3/4·min(e, 3)/3) = 0.025, 0.05, 0.075, 0.1, 0.1
    assert history.history["lr"] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1], rel=1e-15)


def test_lambda_schedule_in_fit_resumes_exactly(tmp_path):
    path = tmp_path / "ckpt.safetensors"

    def callbacks(opt):
        sched = cr.optim.LambdaLR(opt, lambda e: 0.5 ** (e // 2))
        return [LearningRateScheduler(sched), ModelCheckpoint(path, monitor="loss")]

    model, opt = _build()
    whole = _fit(model, opt, callbacks(opt))
    weights = model.state_dict()
    model, opt = _build()
    with pytest.raises(SimulatedCrashError):
        _fit(model, opt, [*callbacks(opt), CrashAfter(3)])
    model, opt = _build()
    again = callbacks(opt)
    resumed = _fit(model, opt, again, resume_from=cr.load(path, model, opt))
    assert resumed.history == whole.history
    assert whole.history["lr"] == [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]
    _same_weights(weights, model.state_dict())
