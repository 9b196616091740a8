"""The command line as a newcomer types it: names spelt as PyTorch spells its classes, a
flag given to the wrong command, a run evaluated on another data set."""

from __future__ import annotations

import json

import pytest
from _cli_run import error_line as _error_line
from _cli_run import main as _main

from chainrule import _cli_run_dir


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "iris"
    argv = ["train", "--dataset", "iris", "--epochs", 1, "--hidden", 4, "--out", out]
    assert _main([*argv, "--no-progress"]) == 0
    return out


@pytest.mark.parametrize(
    ("flags", "stored"),
    [
        (["--optimizer", "SGD"], {"optimizer": "sgd"}),
        (["--optimizer", "Adam", "--activation", "Leaky-ReLU"], {"activation": "leaky_relu"}),
        (["--init", "He"], {"init": "he"}),
        (["--init", "1E-2"], {"init": "1e-2"}),
        (["--dataset", " Iris"], {"dataset": "iris"}),  # stored as the name it is known by
    ],
)
def test_train_reads_names_in_any_case(tmp_path, capsys, flags, stored):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "iris", "--epochs", 1, "--hidden", 4, "--out", out, *flags]
    assert _main([*argv, "--no-progress"]) == 0, capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert {k: config[k] for k in stored} == stored


def test_resume_with_the_same_optimizer_spelt_otherwise_is_no_change(iris_run, capsys):
    # the run uses adam; "Adam" names the same optimizer, so resuming is not refused
    argv = ["train", "--resume", iris_run, "--epochs", 2, "--optimizer", "Adam"]
    assert _main([*argv, "--no-progress"]) == 0, capsys.readouterr().err


def test_an_unknown_optimizer_is_still_refused(tmp_path, capsys):
    err = _error_line(capsys, ["train", "--optimizer", "Lion", "--out", tmp_path / "r"], 1)
    assert "unknown optimizer 'lion'" in err


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["explain", "--example", "add-mul", "--latex"], "chainrule explain"),
        (["experiment", "init", "--bogus"], "chainrule experiment init"),
        (["train", "--bogus"], "chainrule train"),
    ],
)
def test_an_unknown_flag_is_reported_by_the_command_it_follows(capsys, argv, command):
    err = _error_line(capsys, argv, 2)
    assert err.startswith(f"{command}: error: unrecognized arguments: {argv[-1]}"), err
    assert err.endswith(f"(see {command} --help)"), err


def test_evaluate_on_a_data_set_of_other_features_says_so(iris_run, capsys):
    err = _error_line(capsys, ["evaluate", iris_run, "--dataset", "wine"], 1)
    assert "--dataset wine has 13 features and 3 outputs" in err, err
    assert "takes 4 features and 3 outputs" in err, err
    assert "load_state_dict" not in err


def test_evaluate_on_its_own_data_set_named_again(iris_run, capsys):
    capsys.readouterr()
    assert _main(["evaluate", iris_run, "--dataset", "iris"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"test_loss", "test_accuracy"}


def test_resume_of_a_run_that_stored_its_data_set_spelt_otherwise_is_no_change(iris_run, capsys):
    # a run made before names were stored normalised holds "Iris": the same data set
    config = json.loads((iris_run / "config.json").read_text())
    assert _cli_run_dir._same("dataset", "Iris", config["dataset"])
    assert not _cli_run_dir._same("dataset", "Iris", "wine")


def test_a_resumed_run_says_where_it_continues(tmp_path, capsys):
    out = tmp_path / "iris"
    base = ["train", "--dataset", "iris", "--hidden", 4, "--no-progress"]
    assert _main([*base, "--epochs", 2, "--out", out]) == 0
    capsys.readouterr()
    assert _main(["train", "--resume", out, "--epochs", 3, "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"chainrule train: resuming {out} at epoch 3 of 3"
    assert _main(["train", "--resume", out, "--epochs", 3, "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"chainrule train: {out} has trained all 3 epochs; nothing to resume"


def test_a_regression_run_says_its_loss_is_a_mean_squared_error(tmp_path, capsys):
    out = tmp_path / "diabetes"
    argv = ["train", "--dataset", "diabetes", "--epochs", 1, "--out", out, "--no-progress"]
    assert _main(argv) == 0
    line = capsys.readouterr().out.strip()
    metrics = json.loads((out / "metrics.json").read_text())
    assert line.startswith(
        f"test loss (mean squared error of the standardised target) {metrics['test_loss']:.4f} "
        f"({metrics['test_mse']:.4f} in the target's units) after 1 epoch in "
    )
