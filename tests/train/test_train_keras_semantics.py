"""Keras's meaning of EarlyStopping, ModelCheckpoint and fit's data, checked case by case.

A scripted callback writes the monitored value of every epoch, so which epoch is best, and
where training stops, is worked out by hand from Keras's documented rules.
"""

from __future__ import annotations

import numpy as np
import pytest
from _scripted import Scripted, WeightLog

import chainrule as cr
from chainrule.callbacks import EarlyStopping, ModelCheckpoint


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(24, 3)), rng.integers(0, 3, size=24)


def _build(seed=0):
    cr.manual_seed(seed)
    model = cr.nn.Sequential(
        cr.nn.Linear(3, 5, dtype="float64"), cr.nn.Linear(5, 3, dtype="float64")
    )
    return model, cr.optim.SGD(model.parameters(), lr=0.1)


def _fit(callbacks, epochs, model=None, opt=None, **kwargs):
    if model is None:
        model, opt = _build()
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        _data(),
        epochs,
        callbacks=callbacks,
        batch_size=8,
        shuffle=False,
        progress=False,
        **kwargs,
    )
    return model, history


# ----- monitored values of any numeric kind ----------------------------------------------
def test_a_monitored_zero_d_array_is_kept_as_a_number_a_checkpoint_can_resume_from(tmp_path):
    path = tmp_path / "last.safetensors"
    scores = [np.array(v) for v in (3, 2, 1, 2, 3, 4)]  # a 0-d integer array, as tensor.data

    def callbacks():
        return [
            Scripted(scores),
            EarlyStopping("score", patience=2, mode="min"),
            ModelCheckpoint(path, monitor="score", mode="min"),
        ]

    _fit(callbacks(), 3)
    model, opt = _build()
    saved = cr.load(path, model, opt)
    assert saved["callbacks"]["EarlyStopping"]["best"] == 1.0
    assert type(saved["callbacks"]["EarlyStopping"]["best"]) is float
    resumed = callbacks()
    _, history = _fit(resumed, 6, model, opt, resume_from=saved)
    # best 1 at epoch 2 (from 0); epochs 3 and 4 do not improve: patience 2 stops after 4
    assert history.epoch == [0, 1, 2, 3, 4]
    assert resumed[1].stopped_epoch == 4


def test_a_best_only_checkpoint_keeps_a_monitored_numpy_value_as_a_float(tmp_path):
    best = ModelCheckpoint(tmp_path / "b.safetensors", "score", save_best_only=True, mode="min")
    _fit([Scripted([np.array(2.5), np.float32(1.5)]), best], 2)
    assert best.state_dict() == {"best": 1.5}
    assert type(best.state_dict()["best"]) is float


# ----- several checkpoints ----------------------------------------------------------------
@pytest.mark.parametrize("best_first", [False, True], ids=["last, best", "best, last"])
def test_every_checkpoint_holds_the_other_checkpoints_best_of_its_epoch(tmp_path, best_first):
    # Keras's usual pair: the last epoch, and the best. The score's best is 1 at epoch 2;
    # epochs 3 and 4 are worse, so a run continued from "last" must leave "best" alone
    last_path, best_path = tmp_path / "last.safetensors", tmp_path / "best.safetensors"

    def callbacks():
        last = ModelCheckpoint(last_path, monitor="loss")
        best = ModelCheckpoint(best_path, "score", save_best_only=True, mode="min")
        pair = [best, last] if best_first else [last, best]
        return [Scripted([3.0, 1.0, 2.0, 1.5]), *pair]

    _fit(callbacks(), 2)
    model, opt = _build()
    saved = cr.load(last_path, model, opt)
    key = "ModelCheckpoint" if best_first else "ModelCheckpoint-2"
    assert saved["callbacks"][key] == {"best": 1.0}
    _fit(callbacks(), 4, model, opt, resume_from=saved)
    assert cr.load(best_path, *_build())["epoch"] == 2


# ----- EarlyStopping's baseline and warm-up --------------------------------------------
@pytest.mark.parametrize(
    ("scores", "baseline", "patience", "epochs_run"),
    [
        # never reaching the baseline 1.0: stops after `patience` epochs, though improving
        ([5, 4, 3, 2, 1.5, 1.2], 1.0, 2, 2),
        ([5, 4, 3, 2, 1.5, 1.2], 1.0, 0, 1),
        # reaching it at epoch 2 (from 0): the count restarts there, stopping after epoch 5
        ([5, 4, 0.5, 0.6, 0.7, 0.8, 0.9], 1.0, 3, 6),
        # no baseline: every new best restarts the count
        ([5, 4, 3, 2, 1.5, 1.2], None, 2, 6),
    ],
)
def test_baseline_stops_a_run_that_does_not_reach_it(scores, baseline, patience, epochs_run):
    stop = EarlyStopping("score", patience=patience, mode="min", baseline=baseline)
    _, history = _fit([Scripted(scores), stop], len(scores))
    assert len(history.epoch) == epochs_run


def test_baseline_in_max_mode_and_with_min_delta():
    # accuracy must pass 0.8 by more than 0.05: 0.84 does not, 0.9 does
    stop = EarlyStopping("acc", patience=2, min_delta=0.05, baseline=0.8)
    assert stop.mode == "max"
    _, history = _fit([Scripted([0.5, 0.9, 0.84, 0.84, 0.95], "acc"), stop], 5)
    assert history.epoch == [0, 1, 2, 3]
    stop = EarlyStopping("acc", patience=2, min_delta=0.05, baseline=0.8)
    _, history = _fit([Scripted([0.5, 0.84, 0.85, 0.86], "acc"), stop], 4)
    assert history.epoch == [0, 1]


def test_restore_best_weights_below_the_baseline_gives_the_best_epoch():
    log = WeightLog()
    # no epoch reaches 0: patience 3 stops after epoch 2; the best is epoch 1's 1.0
    stop = EarlyStopping("score", 3, mode="min", baseline=0.0, restore_best_weights=True)
    model, history = _fit([Scripted([3.0, 1.0, 2.0, 2.5]), log, stop], 4)
    assert history.epoch == [0, 1, 2]
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, log.snapshots[1][name])


def test_start_from_epoch_watches_nothing_in_the_warm_up():
    # epoch 0 holds the lowest score, but is in the warm-up: the best is epoch 3's 2.0,
    # and patience 1 stops after epoch 4, the first epoch after it that is worse
    log = WeightLog()
    stop = EarlyStopping(
        "score", patience=1, mode="min", start_from_epoch=2, restore_best_weights=True
    )
    model, history = _fit([Scripted([0.1, 9.0, 3.0, 2.0, 2.5, 1.0]), log, stop], 6)
    assert history.epoch == [0, 1, 2, 3, 4]
    assert stop.best == 2.0
    assert stop.stopped_epoch == 4
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, log.snapshots[3][name])


def test_a_warm_up_longer_than_the_run_never_stops_and_restores_nothing():
    log = WeightLog()
    stop = EarlyStopping("score", 0, mode="min", start_from_epoch=5, restore_best_weights=True)
    model, history = _fit([Scripted([1.0, 2.0, 3.0]), log, stop], 3)
    assert history.epoch == [0, 1, 2]
    assert stop.best is None
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, log.snapshots[2][name])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_from_epoch": -1}, "start_from_epoch must be an integer >= 0"),
        ({"start_from_epoch": 1.5}, "start_from_epoch must be an integer >= 0"),
        ({"baseline": float("nan")}, "baseline must be a finite number"),
        ({"baseline": "0.5"}, "baseline must be a number"),
        ({"min_delta": float("nan")}, "min_delta must be a finite number"),
        ({"min_delta": None}, "min_delta must be a number"),
    ],
)
def test_early_stopping_names_a_setting_it_cannot_use(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping("loss", **kwargs)


# ----- the forms of the data ---------------------------------------------------------------
def test_data_as_a_list_of_two_arrays_is_the_pair_as_in_keras():
    X, y = _data()
    loss_fn = cr.nn.SoftmaxCrossEntropy()
    histories = []
    for form in (tuple, list):
        model, opt = _build()
        data = form((X, y))
        histories.append(
            cr.fit(model, loss_fn, opt, data, 2, val_data=data, batch_size=8, progress=False)
        )
        assert cr.evaluate(model, loss_fn, data) == cr.evaluate(model, loss_fn, (X, y))
    assert histories[1].history == histories[0].history
    assert len(histories[1].history["val_loss"]) == 2


@pytest.mark.parametrize("form", [tuple, list])
def test_keras_sample_weights_of_one_train_as_no_weights_not_as_three_samples(form):
    X, y = _data()
    data = form((X, y, np.ones(len(y))))
    loss_fn = cr.nn.SoftmaxCrossEntropy()
    histories, evaluations = [], []
    for train in (data, (X, y)):
        model, opt = _build()
        histories.append(
            cr.fit(model, loss_fn, opt, train, 2, val_data=train, batch_size=8, progress=False)
        )
        evaluations.append(cr.evaluate(model, loss_fn, train))
    np.testing.assert_allclose(histories[0].history["loss"], histories[1].history["loss"])
    np.testing.assert_allclose(histories[0].history["val_loss"], histories[1].history["val_loss"])
    assert evaluations[0]["loss"] == pytest.approx(evaluations[1]["loss"])


# ----- resuming a run that EarlyStopping ended -------------------------------------------
def test_a_run_resumed_from_the_epoch_early_stopping_ended_trains_no_further(tmp_path):
    # the best is epoch 1; patience 2 stops after epoch 3, whose checkpoint is the last.
    # An uninterrupted run ends there with epoch 1's weights: so must one resumed from it
    path = tmp_path / "last.safetensors"

    def callbacks():
        stop = EarlyStopping("score", 2, mode="min", restore_best_weights=True)
        return [Scripted([3.0, 1.0, 2.0, 2.0, 0.5, 0.4]), stop, ModelCheckpoint(path, "loss")]

    first = callbacks()
    model, history = _fit(first, 6)
    assert history.epoch == [0, 1, 2, 3]
    assert first[1].stopped_epoch == 3
    resumed_model, opt = _build()
    saved = cr.load(path, resumed_model, opt)
    again = callbacks()
    _, resumed = _fit(again, 6, resumed_model, opt, resume_from=saved)
    assert resumed.history == history.history
    assert resumed.epoch == [0, 1, 2, 3]
    assert again[1].stopped_epoch == 3
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed_model.state_dict()[name], value)


@pytest.mark.parametrize("hook", ["on_train_begin", "on_epoch_begin"])
def test_a_stop_asked_before_an_epoch_trains_trains_nothing(hook):
    events = []

    class Stopper:
        def on_batch_end(self, state):
            events.append("batch")

        def on_train_end(self, state):
            events.append("end")
            events.append(state.resume_point())

    setattr(Stopper, hook, lambda self, state: setattr(state, "stop_training", True))
    model, opt = _build()
    before = model.state_dict()
    _, history = _fit([Stopper()], 3, model, opt)
    assert history.epoch == []
    assert history.history == {}
    assert events[0] == "end"
    assert events[1]["epoch"] == 0
    assert events[1]["meter"] is None
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("value", ["good", None, [1.0, 2.0]])
def test_a_logged_value_that_is_no_number_is_named_with_its_key(value):
    with pytest.raises(TypeError, match=r"History: the logs' 'note' must be a number"):
        _fit([Scripted([value] * 3, key="note")], 3)


def test_initial_epoch_with_resume_from_is_refused_before_anything_changes():
    model, opt = _build()
    states = []

    class Keep:
        def on_epoch_end(self, state, logs):
            states.append(state.resume_point())

    _fit([Keep()], 2, model, opt)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"fit: initial_epoch=1 with resume_from"):
        _fit([], 3, model, opt, initial_epoch=1, resume_from=states[-1])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
