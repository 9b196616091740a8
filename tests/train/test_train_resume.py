"""Resuming training exactly: stopped runs continued from a checkpoint end bit-identical.

The model has Dropout, so the library generator (`cr.manual_seed`) decides the masks; the
loader shuffles with its own seeded generator. A stopped run is rebuilt from the same
seeds, its weights and optimizer state are loaded from a `cr.save` checkpoint, the library
generator's state is restored, and `fit(resume_from=...)` continues. Its final weights and
history must equal those of a run that never stopped (np.array_equal, not allclose).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

import chainrule as cr

EPOCHS, BATCH, N = 5, 8, 90  # 12 batches per epoch, the last one of 2 samples


def _data():
    rng = np.random.default_rng(42)
    X = rng.normal(size=(N, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
    Xv = rng.normal(size=(30, 6)).astype(np.float32)
    yv = (Xv[:, 0] + Xv[:, 1] > 0).astype(np.int64)
    return (X, y), (Xv, yv)


TRAIN, VAL = _data()


def _build():
    cr.manual_seed(123)
    model = cr.nn.Sequential(
        cr.nn.Linear(6, 16), cr.nn.ReLU(), cr.nn.Dropout(0.3), cr.nn.Linear(16, 3)
    )
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    loader = cr.data.DataLoader(
        cr.data.ArrayDataset(*TRAIN), batch_size=BATCH, shuffle=True, seed=7
    )
    return model, opt, loader


class Grab:
    """Keeps the TrainState that fit hands to on_train_begin."""

    state = None

    def on_train_begin(self, state):
        self.state = state


class InterruptAt:
    """Raises KeyboardInterrupt after batch ``batch`` (1-based) of epoch ``epoch``."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state):
        if (state.epoch, state.batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def _fit(model, opt, loader, epochs=EPOCHS, callbacks=(), progress=False, **kwargs):
    return cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        loader,
        epochs,
        val_data=VAL,
        callbacks=callbacks,
        progress=progress,
        **kwargs,
    )


def _straight_run():
    model, opt, loader = _build()
    history = _fit(model, opt, loader)
    return model.state_dict(), history


def _checkpoint(path, model, opt, state):
    """What a crash handler would write: weights, optimizer, position, RNG, history."""
    cr.save(
        path,
        model,
        opt,
        position=state.resume_point(),
        rng=cr.default_generator().bit_generator.state,
        history=asdict(state.history),
    )


def _resume(path, epochs=EPOCHS, callbacks=()):
    cr.manual_seed(999)  # whatever happened since must not matter
    cr.default_generator().random(17)
    model, opt, loader = _build()
    training = cr.load(path, model, opt)
    cr.default_generator().bit_generator.state = training["rng"]
    history = cr.History(**training["history"])
    _fit(model, opt, loader, epochs, callbacks, resume_from=training["position"], history=history)
    return model, history


def _assert_same_run(weights, history, ref_weights, ref_history):
    assert set(weights) == set(ref_weights)
    for name in ref_weights:
        assert np.array_equal(weights[name], ref_weights[name]), name
    assert history.epoch == ref_history.epoch
    assert history.history == ref_history.history


@pytest.fixture(scope="module")
def reference():
    return _straight_run()


def test_two_straight_runs_from_the_same_seeds_are_identical(reference):
    # the premise of everything below; also proves Dropout draws from the seeded generator
    weights, history = _straight_run()
    _assert_same_run(weights, history, *reference)


def test_dropout_makes_the_library_generator_matter(reference):
    # Same seeds, but the library generator moved on before training: a different run.
    model, opt, loader = _build()
    cr.default_generator().random(5)
    _fit(model, opt, loader)
    assert not np.array_equal(model.state_dict()["0.weight"], reference[0]["0.weight"])


def test_a_progress_bar_does_not_change_the_run(tmp_path, reference, capsys):
    # the bar is a display only: shown (a terminal) or not (a log file), the same run
    model, opt, loader = _build()
    history = _fit(model, opt, loader, progress=True)
    _assert_same_run(model.state_dict(), history, *reference)

    model, opt, loader = _build()  # stopped with a bar, resumed without one
    grab = Grab()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, loader, callbacks=[grab, InterruptAt(2, 5)], progress=True)
    path = tmp_path / "ckpt.safetensors"
    _checkpoint(path, model, opt, grab.state)
    model, history = _resume(path)
    _assert_same_run(model.state_dict(), history, *reference)


@pytest.mark.parametrize("stop_after", [1, 2, 4])
def test_resume_between_epochs_is_bit_identical(tmp_path, reference, stop_after):
    model, opt, loader = _build()
    grab = Grab()
    _fit(model, opt, loader, stop_after, [grab])
    point = grab.state.resume_point()
    assert point["epoch"] == stop_after
    assert point["batch"] == 0
    assert point["step"] == stop_after * 12
    assert json.loads(json.dumps(point)) == point  # JSON-able
    path = tmp_path / "ckpt.safetensors"
    _checkpoint(path, model, opt, grab.state)

    model, history = _resume(path)
    _assert_same_run(model.state_dict(), history, *reference)


@pytest.mark.parametrize(
    ("epoch", "batch"),
    [(0, 1), (2, 5), (3, 11), (4, 12)],  # 12 = the last batch of the last epoch
)
def test_resume_mid_epoch_after_keyboard_interrupt_is_bit_identical(
    tmp_path, reference, epoch, batch
):
    model, opt, loader = _build()
    grab = Grab()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, loader, callbacks=[grab, InterruptAt(epoch, batch)])
    point = grab.state.resume_point()
    assert (point["epoch"], point["batch"]) == (epoch, batch)
    assert point["step"] == epoch * 12 + batch
    assert json.loads(json.dumps(point)) == point
    path = tmp_path / "ckpt.safetensors"
    _checkpoint(path, model, opt, grab.state)

    model, history = _resume(path)
    _assert_same_run(model.state_dict(), history, *reference)


def test_resume_twice_in_one_run(tmp_path, reference):
    model, opt, loader = _build()
    grab = Grab()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, loader, callbacks=[grab, InterruptAt(1, 3)])
    path = tmp_path / "ckpt.safetensors"
    _checkpoint(path, model, opt, grab.state)

    # resumed, and interrupted again further on
    cr.manual_seed(5)
    model, opt, loader = _build()
    training = cr.load(path, model, opt)
    cr.default_generator().bit_generator.state = training["rng"]
    grab = Grab()
    with pytest.raises(KeyboardInterrupt):
        _fit(
            model,
            opt,
            loader,
            callbacks=[grab, InterruptAt(3, 7)],
            resume_from=training["position"],
            history=cr.History(**training["history"]),
        )
    _checkpoint(path, model, opt, grab.state)

    model, history = _resume(path)
    _assert_same_run(model.state_dict(), history, *reference)


def test_resume_from_a_point_taken_before_any_batch_restarts_from_the_beginning(
    tmp_path, reference
):
    # Interrupted in on_train_begin: nothing has been trained, so the resume point must
    # lead to the whole run (epoch 0), not skip the first epoch.
    class InterruptAtStart(Grab):
        def on_train_begin(self, state):
            super().on_train_begin(state)
            raise KeyboardInterrupt

    model, opt, loader = _build()
    grab = InterruptAtStart()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, loader, callbacks=[grab])
    assert grab.state.resume_point()["step"] == 0
    path = tmp_path / "ckpt.safetensors"
    _checkpoint(path, model, opt, grab.state)

    model, history = _resume(path)
    _assert_same_run(model.state_dict(), history, *reference)


# ----- positions fit cannot continue from --------------------------------------------------
BAD_POSITIONS = [
    ("epoch", -1, '"position.epoch" must be a non-negative integer, got -1'),
    ("epoch", 1.5, '"position.epoch" must be a non-negative integer, got 1.5'),
    ("epoch", 4, '"position.epoch" is 4, but the history has 2 epochs'),
    ("batch", -3, '"position.batch" must be a non-negative integer, got -3'),
    ("batch", 13, '"position.batch" is 13, beyond an epoch\'s 12'),
    ("step", True, '"position.step" must be a non-negative integer, got True'),
    ("meter", [1, "a", 2.0], '"position.meter" is not the running sums'),
    ("meter", None, '"position.meter" is not the running sums'),  # with batch 3
    ("loader_state", {"x": 1}, '"position.loader_state" is not the state of the run\'s'),
]


def _stopped_checkpoint(path):
    """A run stopped after batch 3 of epoch 2 (history: 2 epochs), saved to ``path``."""
    model, opt, loader = _build()
    grab = Grab()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, loader, callbacks=[grab, InterruptAt(2, 3)])
    _checkpoint(path, model, opt, grab.state)


@pytest.mark.parametrize(("field", "value", "message"), BAD_POSITIONS)
@pytest.mark.parametrize("form", ["checkpoint", "resume_point"])
def test_fit_names_a_position_it_cannot_continue_from_and_changes_nothing(
    tmp_path, form, field, value, message
):
    path = tmp_path / "ckpt.safetensors"
    _stopped_checkpoint(path)
    model, opt, loader = _build()
    training = cr.load(path, model, opt)
    training["position"][field] = value
    before = model.state_dict()
    rng = cr.manual_seed(3).bit_generator.state
    if form == "checkpoint":  # what cr.load returns, as fit(resume_from=...) takes it
        kwargs = {"resume_from": training}
    else:  # a TrainState.resume_point() with the history it goes with
        kwargs = {"resume_from": training["position"], "history": cr.History(**training["history"])}
    with pytest.raises(ValueError, match=r"^fit: resume_from's ") as info:
        _fit(model, opt, loader, **kwargs)
    assert message in str(info.value)
    assert cr.default_generator().bit_generator.state == rng
    for name, array in model.state_dict().items():
        assert np.array_equal(array, before[name]), name


def test_fit_refuses_a_path_as_resume_from_and_says_what_to_pass(tmp_path):
    model, opt, loader = _build()
    with pytest.raises(TypeError, match=r"chainrule.load\(path, model, optimizer\).*got a str"):
        _fit(model, opt, loader, resume_from=str(tmp_path / "ckpt.safetensors"))


def test_a_point_mid_epoch_names_the_batch_size_it_counts_before_anything_else():
    model, opt, loader = _build()
    grab = Grab()
    with pytest.raises(KeyboardInterrupt):
        _fit(model, opt, loader, callbacks=[grab, InterruptAt(1, 11)])  # 12 batches of 8
    point = grab.state.resume_point()
    model, opt, _ = _build()
    bigger = cr.data.DataLoader(cr.data.ArrayDataset(*TRAIN), batch_size=32, seed=7)
    with pytest.raises(ValueError, match="with batch_size 8; resume with that batch size, not 32"):
        _fit(model, opt, bigger, resume_from=point)  # batch 11 is beyond its 3 as well
