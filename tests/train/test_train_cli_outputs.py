"""predict and evaluate never print a number that is not one: an output that overflows, a
test loss that is not finite, or a checkpoint whose weights are NaN is an error in one line.

The runs are small (8 hidden units, one epoch), made by the command itself; the damaged
checkpoints are written by chainrule's own save with the run's training state.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from _cli_run import error_line as _error_line
from _cli_run import main as _main

import chainrule as cr
from chainrule._config import Config
from chainrule._run_setup import build_model


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    argv = ["train", "--dataset", "diabetes", "--epochs", 1, "--hidden", 8, "--no-progress"]
    assert _main([*argv, "--out", out]) == 0
    return out


def _with_weights(run, tmp_path, change):
    """A copy of ``run`` whose checkpoint holds its weights after ``change(name, array)``."""
    other = tmp_path / "changed"
    shutil.copytree(run, other)
    config = Config(**json.loads((run / "config.json").read_text(encoding="utf-8")))
    model = build_model(config, 10, 1)
    state = cr.load(run / "model.safetensors", model)
    weights = {k: change(k, v.copy()) for k, v in model.state_dict().items()}
    cr.save(other / "model.safetensors", weights, **state)
    return other


def _inputs(tmp_path, rows):
    path = tmp_path / "x.npy"
    np.save(path, np.asarray(rows, dtype=np.float64))
    return path


def _large(name, w):
    return w * 1e34 if name == "2.weight" else w  # finite; outputs of large inputs overflow


def test_predict_names_the_first_row_whose_output_overflows(run, tmp_path, capsys):
    other = _with_weights(run, tmp_path, _large)
    x = _inputs(tmp_path, [[0.0] * 10, [0.0] * 10, [1e5] * 10])
    assert _error_line(capsys, ["predict", other, x]) == (
        f"chainrule predict: error: {x}: the model's output for the input at row 3 is not "
        "finite (inf); the input is too large for the model"
    )
    assert capsys.readouterr().out == ""


def test_evaluate_refuses_a_test_loss_that_is_not_finite(run, tmp_path, capsys):
    other = _with_weights(run, tmp_path, _large)
    line = _error_line(capsys, ["evaluate", other])
    assert line.startswith(f"chainrule evaluate: error: {other}: the test loss is not finite (")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_weights_that_are_nan_are_named(run, tmp_path, capsys, command):
    def nan_bias(name, w):
        return np.full_like(w, np.nan) if name == "2.bias" else w

    other = _with_weights(run, tmp_path, nan_bias)
    x = _inputs(tmp_path, [[0.0] * 10])
    argv = [command, other, *([x] if command == "predict" else [])]
    assert _error_line(capsys, argv) == (
        f"chainrule {command}: error: {other / 'model.safetensors'}: the model's "
        "2.bias holds NaN or infinite values"
    )
    assert capsys.readouterr().out == ""
