"""Found by review: a checkpoint's history refused when it cannot be a
run's (rather than a crash when the run resumes or finishes), and nn.Softmax's ``dim=``."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule._checkpoint_format import _digest, read_checkpoint

sys.path.insert(0, str(Path(__file__).parent / "train"))
from _cli_run import main as _main


def _setup():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(24, 3)), rng.integers(0, 2, size=24)
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    return model, cr.optim.SGD(model.parameters(), lr=0.1), (X, y)


def _resume_with(tmp_path, history):
    """fit resumed from a checkpoint of two epochs whose history is ``history``."""
    model, opt, data = _setup()
    path = tmp_path / "c.safetensors"
    ckpt = cr.callbacks.ModelCheckpoint(str(path), monitor="loss")
    cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 2, batch_size=8, callbacks=[ckpt],
           progress=False)  # fmt: skip
    state = cr.load(path, model, opt)
    state["history"] = history
    cr.save(tmp_path / "bad.safetensors", model, opt, **state)
    state = cr.load(tmp_path / "bad.safetensors", model, opt)
    return cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 3, batch_size=8,
                  resume_from=state, progress=False)  # fmt: skip


@pytest.mark.parametrize(
    ("history", "says"),
    [
        ({"history": [1.0, 2.0], "epoch": np.arange(2)}, "object of columns"),
        ({"history": np.zeros(2), "epoch": np.arange(2)}, "object of columns"),
        ({"history": {"loss": np.zeros(3)}, "epoch": np.arange(2)}, "'loss' \\(3\\)"),
        ({"history": {"loss": [1.0, 2.0, 3.0]}, "epoch": [0, 1]}, "'loss' \\(3\\)"),
        ({"history": {"loss": np.zeros(2)}, "epoch": np.array([0.0, 1.0])}, "integers"),
        ({"history": {"loss": np.zeros(2)}, "epoch": np.array([False, True])}, "integers"),
        ([1, 2], "not an object"),
    ],
)
def test_a_history_no_run_writes_is_refused_on_resume(tmp_path, history, says):
    # before: an AttributeError mid-training, or a misaligned history resumed in silence
    with pytest.raises(ValueError, match=f"no usable training state.*{says}"):
        _resume_with(tmp_path, history)


def test_a_history_column_one_epoch_short_is_padded_with_nan(tmp_path):
    # as a checkpoint saved before the epoch's fill() holds a column not logged that epoch
    h = _resume_with(tmp_path, {"history": {"loss": np.array([0.5])}, "epoch": np.arange(2)})
    assert h.epoch == [0, 1, 2]
    assert h.history["loss"][0] == 0.5
    assert np.isnan(h.history["loss"][1])


def _rewrite_history(run: Path, mutate) -> None:
    """Change the history tensors of a run's checkpoint, its digest made to match."""
    from safetensors.numpy import save_file

    path = run / "model.safetensors"
    tensors, meta = read_checkpoint(path)
    training = json.loads(meta["training"])
    mutate(tensors, training["history"])
    meta = {**meta, "training": json.dumps(training, separators=(",", ":"))}
    meta["sha256"] = _digest(tensors, meta)
    save_file(tensors, str(path), metadata=meta)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    args = ["train", "--dataset", "iris", "--hidden", "4", "--epochs", "2", "--out", out]
    assert _main([*args, "--no-progress"]) == 0
    return out


def _column(history: dict, name: str) -> str:
    return history["history"][name]["__array__"]


@pytest.mark.parametrize("case", ["short", "long", "listed", "float epochs"])
def test_train_resume_of_a_hostile_history_is_an_error_not_a_crash(
    tmp_path, finished_run, capsys, case
):
    run = tmp_path / "r"
    shutil.copytree(finished_run, run)
    (run / "metrics.json").unlink()  # the run is finished again, which writes history.csv

    def mutate(tensors, history):
        key = _column(history, "loss")
        if case == "short":  # one value for two epochs: padded with NaN, as fill() does
            tensors[key] = tensors[key][:1].copy()
        elif case == "long":
            tensors[key] = np.concatenate([tensors[key], tensors[key]])
        elif case == "listed":
            history["history"] = [1, 2]
        else:
            epoch = history["epoch"]["__array__"]
            tensors[epoch] = tensors[epoch].astype(np.float64)

    _rewrite_history(run, mutate)
    code = _main(["train", "--resume", run, "--epochs", "2", "--no-progress"])
    err = capsys.readouterr().err
    if case == "short":  # before: IndexError in write_history
        assert code == 0, err
        rows = (run / "history.csv").read_text().splitlines()
        assert len(rows) == 3
        assert rows[2].split(",")[1] == "nan"
    else:  # before: a TypeError traceback, or matplotlib's "x and y must have same ..."
        assert code == 1
        assert "no resumable training state" in err


def test_nn_softmax_takes_pytorchs_dim():
    # README: dim= works wherever axis= does; nn.Softmax(dim=1) was a TypeError
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert np.array_equal(cr.nn.Softmax(dim=0)(x).data, cr.nn.Softmax(axis=0)(x).data)
    assert cr.nn.Softmax(dim=0).axis == 0
    with pytest.raises(TypeError, match="given twice"):
        cr.nn.Softmax(0, dim=1)


# ----- after the review: names at the top level, Sequential +=, arange's zero step -------
@pytest.mark.parametrize("name", ["clone", "flatten", "permute", "squeeze", "unsqueeze"])
def test_the_composed_shape_ops_are_at_the_top_level_as_in_pytorch(name):
    assert getattr(cr, name) is getattr(cr.ops, name)  # cr.unsqueeze(x, 0), as torch's
    assert name in cr.__all__


def test_logsumexp_is_at_the_top_level():
    x = cr.tensor([[0.0, 1.0], [2.0, -1.0]], dtype="float64")
    want = np.log(np.exp(x.data).sum(axis=1))
    np.testing.assert_allclose(cr.logsumexp(x, dim=1).data, want, rtol=1e-15)


def test_sequential_plus_equals_a_list_extends_it_as_pytorch():
    seq = cr.nn.Sequential(cr.nn.Linear(2, 3))
    relu = cr.nn.ReLU()
    seq += [relu, cr.nn.Linear(3, 1)]
    assert isinstance(seq, cr.nn.Sequential)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert seq[1] is relu
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_arange_with_a_zero_step_names_the_op():
    with pytest.raises(ValueError, match="arange: step must not be 0"):
        cr.arange(0, 1, 0)


@pytest.mark.parametrize(
    ("value", "dtype", "error"),
    [(float("nan"), "int64", ValueError), (1 + 2j, None, TypeError), (300, "int8", OverflowError)],
)
def test_full_refuses_a_fill_value_its_dtype_cannot_hold(value, dtype, error):
    # NumPy's np.full would write INT64_MIN for NaN, drop the imaginary part, or wrap
    with pytest.raises(error, match=r"full: fill_value .* does not fit"):
        cr.full(2, value, dtype=dtype)


def test_full_makes_a_too_large_float_inf_as_tensor_does():
    np.testing.assert_array_equal(cr.full(2, 1e40).data, cr.tensor([1e40, 1e40]).data)
    assert cr.full(2, 1e40).dtype == np.float32
