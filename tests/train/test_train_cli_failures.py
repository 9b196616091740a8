"""``chainrule`` on damaged or hand-edited run directories, odd inputs, usage mistakes and
Ctrl-C: one line on stderr that names the file and what is wrong, never a traceback.

Runs are small (the bundled digits, 8 hidden units, one epoch), made by the command itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from _cli_run import error_line as _error_line
from _cli_run import main as _main

import chainrule as cr
from chainrule import _cli


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert _main(["train", "--epochs", 1, "--hidden", 8, "--out", out, "--no-progress"]) == 0
    return out


def _command(*argv) -> subprocess.CompletedProcess:
    """The real ``chainrule`` command in a process of its own."""
    argv = [sys.executable, "-m", "chainrule", *map(str, argv)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def _files(directory) -> dict:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


# ----- config.json --------------------------------------------------------------------------
def _with_config(run, tmp_path, text: bytes):
    damaged = tmp_path / "damaged"
    shutil.copytree(run, damaged)
    (damaged / "config.json").write_bytes(text)
    return damaged


def _edited(run, tmp_path, **changes):
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    return _with_config(run, tmp_path, json.dumps({**config, **changes}).encode())


def _assert_refused_by_every_command(capsys, damaged, message):
    """evaluate, predict and train --resume all refuse it the same way; nothing changes."""
    np.save(damaged.parent / "x.npy", np.zeros((1, 64)))
    before = _files(damaged)
    for argv in (
        ["evaluate", damaged],
        ["predict", damaged, damaged.parent / "x.npy"],
        ["train", "--resume", damaged, "--epochs", 2],
    ):
        line = _error_line(capsys, argv)
        assert line == f"chainrule {argv[0]}: error: {damaged / 'config.json'}: {message}"
    assert _files(damaged) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dataset", 5, 'field "dataset" must be one of digits, iris, wine, breast_cancer, '
                       "diabetes, mnist, fashion_mnist, got 5"),
        ("batch_size", 2.5, 'field "batch_size" must be a positive integer, got 2.5'),
        ("batch_size", True, 'field "batch_size" must be a positive integer, got true'),
        ("epochs", 0, 'field "epochs" must be a positive integer, got 0'),
        ("seed", 1.5, 'field "seed" must be a non-negative integer, got 1.5'),
        ("seed", -3, 'field "seed" must be a non-negative integer, got -3'),
        ("hidden", [8, "8"], 'field "hidden" must be a list of positive integers up to 100000, '
                             'got [8, "8"]'),
        ("hidden", 8, 'field "hidden" must be a list of positive integers up to 100000, got 8'),
        ("hidden", [10**20], 'field "hidden" must be a list of positive integers up to 100000, '
                             "got [100000000000000000000]"),
        ("activation", None, 'field "activation" must be one of relu, sigmoid, tanh, '
                             "leaky_relu, elu, silu, softplus, gelu, selu, celu, mish, "
                             "relu6, hardswish, hardtanh, softsign, prelu, got null"),
        ("optimizer", ["adam"], 'field "optimizer" must be one of sgd, momentum, nesterov, '
                                'adagrad, rmsprop, adam, adamw, adamax, nadam, radam, '
                                'adadelta, asgd, got ["adam"]'),
        ("init", 0.01, 'field "init" must be "he", "xavier", "normal" or a positive standard '
                       'deviation such as "0.01", got 0.01'),
        ("lr", "fast", 'field "lr" must be a positive number within float32\'s range (or '
                       'null for the default), got "fast"'),
        ("lr", -0.1, 'field "lr" must be a positive number within float32\'s range (or null '
                     "for the default), got -0.1"),
        ("lr", float("inf"), 'field "lr" must be a positive number within float32\'s range '
                             "(or null for the default), got Infinity"),
        ("init", "1e300", 'field "init" must be "he", "xavier", "normal" or a positive standard '
                          'deviation such as "0.01", got "1e300"'),
        ("data_dir", 3, 'field "data_dir" must be a directory name (or null), got 3'),
    ],
)  # fmt: skip
def test_a_config_field_of_the_wrong_type_or_range_is_named(
    run, tmp_path, capsys, field, value, message
):
    _assert_refused_by_every_command(capsys, _edited(run, tmp_path, **{field: value}), message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'\xff{"dataset": "digits"}', "not UTF-8 text (byte 0xff at offset 0)"),
        (b"[1, 2]", "must hold a JSON object of the run's settings, got [1, 2]"),
        (b'"digits"', 'must hold a JSON object of the run\'s settings, got "digits"'),
        (b"{}", 'field "dataset" is missing'),
    ],
)
def test_a_config_json_that_is_not_a_run_config_is_named(run, tmp_path, capsys, text, message):
    _assert_refused_by_every_command(capsys, _with_config(run, tmp_path, text), message)


def test_a_missing_or_unknown_config_field_is_named(run, tmp_path, capsys):
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    del config["seed"]
    missing = _with_config(run, tmp_path / "a", json.dumps(config).encode())
    _assert_refused_by_every_command(capsys, missing, 'field "seed" is missing')
    unknown = _edited(run, tmp_path / "b", momentum=0.9)
    _assert_refused_by_every_command(
        capsys,
        unknown,
        'unknown field "momentum"; a run\'s config has dataset, hidden, activation, init, '
        "optimizer, lr, batch_size, epochs, seed, data_dir",
    )


def test_a_config_with_the_default_learning_rate_as_null_still_evaluates(run, tmp_path, capsys):
    edited = _edited(run, tmp_path, lr=None)
    capsys.readouterr()
    assert _main(["evaluate", edited]) == 0
    assert json.loads(capsys.readouterr().out)["test_loss"] > 0


# ----- checkpoints without a run's training state -------------------------------------------
def _with_checkpoint(run, tmp_path, with_optimizer=False, **training_state):
    """``run``'s config.json beside a checkpoint written by ``cr.save`` with the run's
    weights and only the given training state."""
    from chainrule._config import Config
    from chainrule._run_setup import build_model

    other = tmp_path / "saved"
    other.mkdir()
    shutil.copy(run / "config.json", other / "config.json")
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    model = build_model(Config(**config), 64, 10)
    cr.load(run / "model.safetensors", model)
    opt = cr.optim.Adam(model.parameters(), lr=0.01) if with_optimizer else None
    cr.save(other / "model.safetensors", model, opt, **training_state)
    return other


def test_predict_names_the_missing_scaler_of_a_checkpoint_saved_by_cr_save(run, tmp_path, capsys):
    other = _with_checkpoint(run, tmp_path, epoch=1)
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    line = _error_line(capsys, ["predict", other, tmp_path / "x.npy"])
    assert line == (
        f"chainrule predict: error: {other / 'model.safetensors'}: the training state has no "
        '"scaler", which predict needs; is it a checkpoint written by chainrule train?'
    )


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"scaler": {"mean": [0.0] * 64, "scale": [16.0] * 64}}, 'has no "task"'),
        ({"scaler": [1, 2], "task": "classification"}, 'the training state\'s "scaler" is not '
                                                        "an object"),
        ({"scaler": {"mean": [0.0] * 64}, "task": "classification"}, "\"scaler\" is malformed"),
        ({"scaler": {"mean": [np.nan] + [0.0] * 63, "scale": [16.0] * 64},
          "task": "classification"}, "the mean is not finite"),
        ({"scaler": {"mean": [0.0] * 63 + [-np.inf], "scale": [16.0] * 64},
          "task": "classification"}, "the mean is not finite"),
        ({"scaler": {"mean": [0.0] * 3, "scale": [1.0] * 3}, "task": "classification"},
         "\"scaler\" is for (3,) features, the model takes 64"),
        ({"scaler": {"mean": [0.0] * 64, "scale": [16.0] * 64}, "task": "ranking"},
         "the training state's \"task\" is unknown: 'ranking'"),
        *[({"scaler": {"mean": [0.0] * 64, "scale": [16.0] * 64}, "task": "regression",
            **target}, message) for target, message in [
            ({}, 'has no "target_scaler", which predict needs'),
            ({"target_scaler": {"mean": [0.0]}}, '"target_scaler" is malformed'),
            ({"target_scaler": {"mean": [np.nan], "scale": [2.0]}},
             '"target_scaler" is malformed (Standardizer.load_state_dict: the mean is not finite)'),
            ({"target_scaler": {"mean": [0.0, 1.0], "scale": [1.0, 1.0]}},
             '"target_scaler" is for (2,) targets, the model gives 1'),
        ]],
    ],
)  # fmt: skip
def test_predict_names_a_missing_or_malformed_training_field(run, tmp_path, capsys, state, message):
    other = _with_checkpoint(run, tmp_path, **state)
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    line = _error_line(capsys, ["predict", other, tmp_path / "x.npy"])
    assert line.startswith(f"chainrule predict: error: {other / 'model.safetensors'}: ")
    assert message in line


def test_an_input_the_run_s_scaling_makes_infinite_is_named_as_such(run, tmp_path, capsys):
    # a feature with a tiny spread gets a tiny scale: 1e10 / 1e-300 overflows float64
    scale = [16.0] * 64
    scale[2] = 1e-300
    state = {"scaler": {"mean": [0.0] * 64, "scale": scale}, "task": "classification"}
    other = _with_checkpoint(run, tmp_path, **state)
    x = np.zeros((2, 64))
    x[1, 2] = 1e10
    np.save(tmp_path / "x.npy", x)
    line = _error_line(capsys, ["predict", other, tmp_path / "x.npy"])
    assert line == (
        f"chainrule predict: error: {tmp_path / 'x.npy'}: the input at row 2, feature 3 "
        "(10000000000.0) is NaN or infinite once the run's scaling is applied"
    )


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("history", 'the training state has no "history", which --resume needs'),
        ("rng", 'the training state has no "rng", which --resume needs'),
        ("position", 'the training state has no "position", which --resume needs'),
        ("position.step", "no resumable training state (missing 'step')"),
        ("config", 'the training state has no "config", which --resume needs'),
    ],
)
def test_resume_names_a_missing_training_field(run, tmp_path, capsys, drop, message):
    state = cr.load(run / "model.safetensors")  # the training state a run saves
    key, _, inner = drop.partition(".")
    if inner:
        state[key] = {k: v for k, v in state[key].items() if k != inner}
    else:
        del state[key]
    other = _with_checkpoint(run, tmp_path, with_optimizer=True, **state)
    before = _files(other)
    line = _error_line(capsys, ["train", "--resume", other, "--epochs", 2])
    assert line == f"chainrule train: error: {other / 'model.safetensors'}: {message}" + (
        "; is it a checkpoint written by chainrule train?" if not inner else ""
    )
    assert _files(other) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epoch", -5, "must be a non-negative integer, got -5"),
        ("epoch", True, "must be a non-negative integer, got True"),
        ("epoch", 3, "is 3, but the history has 1 epoch"),
        ("batch", 10**9, "is 1000000000, beyond an epoch's 41"),
        ("step", 1.5, "must be a non-negative integer, got 1.5"),
        ("meter", "x", "is not the running sums of the epoch it stopped in"),
        ("loader_state", "x", "is not the state of the run's data loader"),
        ("loader_state", {"rng": {"bit_generator": "MT19937"}},
         "is not the state of the run's data loader"),
    ],
)  # fmt: skip
def test_resume_names_a_position_the_run_cannot_be_at(run, tmp_path, capsys, field, value, message):
    state = cr.load(run / "model.safetensors")  # the training state a run saves
    state["position"][field] = value
    other = _with_checkpoint(run, tmp_path, with_optimizer=True, **state)
    before = _files(other)
    capsys.readouterr()
    assert _main(["train", "--resume", other, "--epochs", 2]) == 1
    out, err = capsys.readouterr()
    assert err == (
        f"chainrule train: error: {other / 'model.safetensors'}: the training state's "
        f'"position.{field}" {message}\n'
    )
    assert out == ""  # no "resuming at ..." line before it
    assert _files(other) == before


# ----- usage mistakes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "start", "end"),
    [
        (["train", "--epochs", "x"],
         "chainrule train: error: argument --epochs: invalid int value: 'x'",
         " (see chainrule train --help)"),
        (["--epochs", "x"],  # train flags without the command
         "chainrule train: error: argument --epochs: invalid int value: 'x'",
         " (see chainrule train --help)"),
        (["train", "--hidden", "10,x"],
         "chainrule train: error: argument --hidden: --hidden takes sizes like 100,100",
         "got '10,x' (see chainrule train --help)"),
        (["foo"], "chainrule: error: argument command: invalid choice: 'foo'",
         " (see chainrule --help)"),
        (["evaluate"], "chainrule evaluate: error: the following arguments are required: run_dir",
         " (see chainrule evaluate --help)"),
        (["experiment"], "chainrule experiment: error: the following arguments are required",
         " (see chainrule experiment --help)"),
    ],
)  # fmt: skip
def test_a_usage_mistake_is_one_line_with_exit_status_2(capsys, argv, start, end):
    line = _error_line(capsys, argv, code=2)
    assert line.startswith(start)
    assert line.endswith(end)


@pytest.mark.parametrize(
    ("argv", "flag", "what"),
    [
        (["train", "--resume=", "--out", "{tmp}/x"], "--resume", "a file or directory name"),
        (["train", "--dataset", " ", "--out", "{tmp}/x"], "--dataset", "a value"),
        (["train", "--data-dir", "", "--out", "{tmp}/x"], "--data-dir", "a file or directory name"),
        (["evaluate", "{run}", "--dataset", ""], "--dataset", "a value"),
        (["evaluate", "{run}", "--data-dir", ""], "--data-dir", "a file or directory name"),
        (["evaluate", ""], "run_dir", "a file or directory name"),
        (["predict", "{run}", ""], "input_file", "a file or directory name"),
    ],
)  # fmt: skip
def test_an_empty_value_is_refused_not_taken_as_left_out(run, tmp_path, capsys, argv, flag, what):
    argv = [a.format(tmp=tmp_path, run=run) for a in argv]
    line = _error_line(capsys, argv, code=2)
    assert line.startswith(f"chainrule {argv[0]}: error: argument {flag}: is empty; give {what}")
    assert not (tmp_path / "x").exists()


def test_the_command_reports_a_usage_mistake_in_one_line():
    done = _command("train", "--epochs", "x")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "chainrule train: error: argument --epochs: invalid int value: 'x' "
        "(see chainrule train --help)\n"
    )


# ----- Ctrl-C -------------------------------------------------------------------------------
def _interrupted_line(capsys, argv) -> str:
    return _error_line(capsys, argv, code=130)


def _ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_in_training_says_where_the_checkpoint_is(tmp_path, capsys, interrupt_at_step):
    interrupt_at_step(5)
    run = tmp_path / "run"
    line = _interrupted_line(capsys, ["train", "--hidden", 8, "--out", run, "--no-progress"])
    checkpoint = run / "model.safetensors"
    assert line == (
        f"chainrule train: interrupted; the last checkpoint is {checkpoint}; "
        f"continue with chainrule train --resume {run}"
    )
    assert cr.load(checkpoint)["position"]["step"] == 4


def test_ctrl_c_before_the_first_checkpoint_says_there_is_none(tmp_path, capsys, monkeypatch):
    from chainrule import _run

    monkeypatch.setattr(_run, "load_splits", _ctrl_c)
    run = tmp_path / "run"
    line = _interrupted_line(capsys, ["train", "--out", run])
    assert line == "chainrule train: interrupted; no checkpoint was written yet"
    assert not (run / "model.safetensors").exists()


def test_ctrl_c_before_a_resumed_run_trains_leaves_its_checkpoint(
    run, tmp_path, capsys, monkeypatch
):
    from chainrule import _run

    again = tmp_path / "again"
    shutil.copytree(run, again)
    before = _files(again)
    monkeypatch.setattr(_run, "load_splits", _ctrl_c)
    line = _interrupted_line(capsys, ["train", "--resume", again, "--epochs", 2])
    assert line == (
        f"chainrule train: interrupted; the last checkpoint is {again / 'model.safetensors'}; "
        f"continue with chainrule train --resume {again}"
    )
    assert _files(again) == before


def test_ctrl_c_in_another_command_says_only_interrupted(run, tmp_path, capsys, monkeypatch):
    from chainrule import _evaluation
    from chainrule._explain import _cli as explain_cli

    np.save(tmp_path / "x.npy", np.zeros((1, 64)))
    monkeypatch.setattr(_evaluation, "evaluate", _ctrl_c)
    monkeypatch.setattr(_evaluation, "predict", _ctrl_c)
    monkeypatch.setattr(explain_cli, "explain", _ctrl_c)
    for argv in (
        ["evaluate", run],
        ["predict", run, tmp_path / "x.npy"],
        ["explain", "--example", "add-mul"],
    ):
        assert _interrupted_line(capsys, argv) == f"chainrule {argv[0]}: interrupted"


# ----- predict: values the model's float32 cannot hold --------------------------------------
def test_predict_refuses_values_beyond_float32_without_a_warning(run, tmp_path):
    x = np.zeros((3, 64))
    x[1, 5] = 1e300
    np.save(tmp_path / "big.npy", x)
    done = _command("predict", run, tmp_path / "big.npy")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"chainrule predict: error: {tmp_path / 'big.npy'}: the input at row 2, feature 6 "
        "(1e+300) is too large for the model's float32 (at most 3.403e+38 in magnitude)\n"
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({(0, 63): -1e39}, "the input at row 1, feature 64 (-1e+39) is too large for the "
                           "model's float32 (at most 3.403e+38 in magnitude)"),
        ({(2, 0): np.nan, (2, 1): 1e300}, "the input at row 3, feature 1 (nan) is NaN or "
                                          "infinite"),
        ({(1, 3): -np.inf}, "the input at row 2, feature 4 (-inf) is NaN or infinite"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_predict_names_the_first_value_the_model_cannot_take(
    run, tmp_path, capsys, values, message, suffix
):
    x = np.zeros((3, 64))
    for at, value in values.items():
        x[at] = value
    path = tmp_path / f"inputs{suffix}"
    if suffix == ".npy":
        np.save(path, x)
    else:
        np.savetxt(path, x, delimiter=",")
    if suffix == ".csv":  # a CSV's rows are its lines
        message = message.replace(" at row ", " at line ")
    assert _error_line(capsys, ["predict", run, path]) == (
        f"chainrule predict: error: {path}: {message}"
    )


def test_predict_refuses_a_value_the_run_scaling_takes_beyond_float32(tmp_path, capsys):
    iris = tmp_path / "iris"
    assert _main(["train", "--dataset", "iris", "--epochs", 1, "--out", iris]) == 0
    np.save(tmp_path / "x.npy", np.full((2, 4), 3e38))  # within float32, but not once scaled
    assert _error_line(capsys, ["predict", iris, tmp_path / "x.npy"]) == (
        f"chainrule predict: error: {tmp_path / 'x.npy'}: the input at row 1, feature 1 "
        "(3e+38) is too large for the model's float32 once the run's scaling is applied "
        "(at most 3.403e+38 in magnitude)"
    )


# ----- --resume of a run stopped before its first checkpoint --------------------------------
def test_resume_before_the_first_checkpoint_trains_the_run_from_the_start(run, tmp_path, capsys):
    from safetensors.numpy import load_file

    stopped = tmp_path / "stopped"
    stopped.mkdir()
    shutil.copy(run / "config.json", stopped / "config.json")  # all a run writes before training
    (stopped / ".model.safetensors.0a1b2c3d.tmp").write_bytes(b"half a checkpoint")
    capsys.readouterr()
    assert _main(["train", "--resume", stopped, "--no-progress"]) == 0
    assert capsys.readouterr().err == (
        f"chainrule train: {stopped} has no checkpoint (the run stopped before its first epoch "
        "ended); training it from epoch 0 with its config.json\n"
    )
    weights, reference = (load_file(d / "model.safetensors") for d in (stopped, run))
    assert {k: v.tobytes() for k, v in weights.items() if k.startswith("model/")} == {
        k: v.tobytes() for k, v in reference.items() if k.startswith("model/")
    }  # the same run as one trained straight through
    assert (stopped / "history.csv").read_bytes() == (run / "history.csv").read_bytes()


def test_resume_still_refuses_a_checkpoint_that_exists_but_is_damaged(run, tmp_path, capsys):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    shutil.copy(run / "config.json", damaged / "config.json")
    (damaged / "model.safetensors").write_bytes(b"")
    line = _error_line(capsys, ["train", "--resume", damaged])
    assert line == (
        f"chainrule train: error: {damaged / 'model.safetensors'}: too short to be a checkpoint "
        "(0 bytes)"
    )
    assert sorted(p.name for p in damaged.iterdir()) == ["config.json", "model.safetensors"]


def test_resume_refuses_a_config_json_edited_away_from_its_checkpoint(run, tmp_path, capsys):
    # the flags agree with config.json, but config.json no longer says what was trained
    edited = _edited(run, tmp_path, optimizer="adamw", lr=0.5)
    before = _files(edited)
    line = _error_line(capsys, ["train", "--resume", edited, "--epochs", 2])
    assert f"{edited / 'config.json'} differs from the configuration its checkpoint" in line
    assert "optimizer: adam -> adamw" in line
    assert "lr: " in line
    assert _files(edited) == before
    assert _main(["train", "--resume", edited, "--epochs", 2, "--force", "--no-progress"]) == 0


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_evaluate_and_predict_refuse_a_config_json_edited_away_from_its_checkpoint(
    run, tmp_path, capsys, command
):
    edited = _edited(run, tmp_path, activation="sigmoid")  # the run trained relu
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    before = _files(edited)
    argv = [command, edited, *([tmp_path / "x.npy"] if command == "predict" else [])]
    assert _error_line(capsys, argv) == (
        f"chainrule {command}: error: {edited / 'config.json'} differs from the configuration "
        "its checkpoint was trained with (activation: relu -> sigmoid); restore it (the model "
        "is built from it)"
    )
    assert _files(edited) == before


def test_evaluate_accepts_a_config_json_whose_epochs_alone_changed(run, tmp_path, capsys):
    edited = _edited(run, tmp_path, epochs=7)  # what --resume --epochs 7 would write
    assert _main(["evaluate", edited]) == 0


def test_a_forced_resume_that_fails_leaves_the_run_resumable_as_it_was(tmp_path, capsys):
    out = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--hidden", 8, "--out", out, "--no-progress"]) == 0
    config = (out / "config.json").read_bytes()
    argv = ["train", "--resume", out, "--epochs", 2, "--lr", "1e30", "--force", "--no-progress"]
    line = _error_line(capsys, argv)  # diverges in its first epoch: no checkpoint with it
    assert "the loss became" in line
    assert (out / "config.json").read_bytes() == config  # still the checkpoint's config
    assert _main(["train", "--resume", out, "--epochs", 2, "--no-progress"]) == 0


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--init", "1e300", "--init takes he, xavier, normal or a positive standard deviation"),
     ("--lr", "1e300", "--lr must be positive and below 3.4e+38, got 1e+300")],
)  # fmt: skip
def test_a_rate_or_std_beyond_float32_is_refused_in_one_line(
    tmp_path, capsys, flag, value, message
):
    line = _error_line(capsys, ["train", "--out", tmp_path / "r", "--no-progress", flag, value])
    assert message in line


def test_ctrl_c_while_the_command_starts_up_is_one_line(capsys, monkeypatch):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli, "_parser", interrupted)  # as if the signal came mid-import
    assert _main(["train"]) == _cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "chainrule: interrupted\n"


def test_resuming_a_finished_run_leaves_its_files_alone(tmp_path, capsys):
    out = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--hidden", 8, "--out", out, "--no-progress"]) == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    capsys.readouterr()
    assert _main(["train", "--resume", out, "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"chainrule train: {out} has trained all 1 epoch; nothing to resume"
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before


def test_evaluate_and_predict_accept_edits_that_do_not_change_the_model(run, tmp_path, capsys):
    # the optimizer, its rate and the seed shaped the training, not what the model computes
    edited = _edited(run, tmp_path, optimizer="sgd", lr=0.5, seed=3)
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    assert _main(["evaluate", edited]) == 0
    assert _main(["predict", edited, tmp_path / "x.npy"]) == 0


def test_resuming_a_finished_run_with_damaged_metrics_writes_them_again(tmp_path, capsys):
    out = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--hidden", 8, "--out", out, "--no-progress"]) == 0
    good = json.loads((out / "metrics.json").read_text())
    (out / "metrics.json").write_text("{")
    assert _main(["train", "--resume", out, "--no-progress"]) == 0
    again = json.loads((out / "metrics.json").read_text())
    assert again["test_accuracy"] == good["test_accuracy"]
    assert again["test_loss"] == good["test_loss"]
