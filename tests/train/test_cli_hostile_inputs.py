"""The command line started in odd surroundings, and given odd file names.

A command started with stdout or stderr closed (``>&-``, ``2>&-``; Python's ``sys.stdout``
or ``sys.stderr`` is then None) does its work and ends without a traceback; a file name
with a newline is shown as ``\\n`` in the one line of a message, not broken in two or
joined with "; " into a name the user never gave; ``--resume --force`` with flags that
change the model's weights is refused by those flags, the run untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from _cli_run import error_line, main

import chainrule as cr
from chainrule._run_files import CHECKPOINT

RUN = ["--dataset", "iris", "--hidden", "4", "--epochs", "1"]
_CHAINRULE = [sys.executable, "-m", "chainrule"]
_POSIX = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell, any file name")


def _closed(argv, closed: str, cwd) -> subprocess.CompletedProcess:
    """``chainrule argv`` in a process started with stdout or stderr closed, as
    ``chainrule argv >&-`` (or ``2>&-``) in a shell starts it."""
    redirect = {"stdout": ">&-", "stderr": "2>&-"}[closed]
    keep = "stderr" if closed == "stdout" else "stdout"
    return subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirect}', *_CHAINRULE, *argv],
        cwd=cwd,
        timeout=120,
        **{keep: subprocess.PIPE},
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_a_command_with_stdout_closed_ends_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["train", *RUN, "--out", tmp_path / "run"]) == 0
    assert capsys.readouterr().err == ""
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == 1  # the run was finished, not only begun


@_POSIX
def test_stdout_closed_in_a_real_process(tmp_path):
    done = _closed(["demo"], "stdout", tmp_path)
    assert done.returncode == 0
    assert done.stderr == b""


def test_a_run_with_stderr_closed_trains(tmp_path, monkeypatch, capsys):
    # no bar can be drawn, so none is: before, asking stderr whether it is a terminal
    # failed, and the run stopped before its first epoch (with no message to be seen)
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["train", *RUN, "--out", tmp_path / "run"]) == 0
    assert (tmp_path / "run" / CHECKPOINT).is_file()
    assert main(["train", "--resume", tmp_path / "run", "--epochs", "2", "--progress"]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == 2
    assert "run saved in" in capsys.readouterr().out


@_POSIX
def test_stderr_closed_in_a_real_process(tmp_path):
    done = _closed(["train", *RUN, "--out", "run"], "stderr", tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "run" / "metrics.json").is_file()


@_POSIX
def test_a_missing_file_with_a_newline_in_its_name(tmp_path, capsys):
    main(["train", *RUN, "--out", tmp_path / "run"])
    line = error_line(capsys, ["predict", tmp_path / "run", tmp_path / "x\ny.csv"])
    # the name as `ls -b` shows it; joined, it read "x; y.csv", a file never named
    assert line == f"chainrule predict: error: {tmp_path}/x\\ny.csv: No such file or directory"


@_POSIX
def test_explain_names_a_written_file_with_a_newline_on_one_line(tmp_path, capsys):
    dot = tmp_path / "graph\n.dot"
    assert main(["explain", "--example", "apple", "--dot", dot]) == 0
    err = capsys.readouterr().err
    assert err == f"chainrule explain: wrote {tmp_path}/graph\\n.dot\n"
    assert dot.read_text().startswith("digraph")


def _files(run) -> dict:
    return {p.name: p.read_bytes() for p in run.iterdir()}


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--hidden", "5"], "--hidden 5"),
        (["--hidden", ""], "--hidden ''"),
        (["--hidden", "4,4", "--activation", "tanh"], "--hidden 4,4"),
        (["--activation", "prelu"], "--activation prelu"),
        (["--dataset", "wine"], "--dataset wine"),  # 13 features and 3 classes, not 4 and 3
    ],
)
def test_force_does_not_resume_a_run_with_another_shape_of_model(tmp_path, capsys, flags, named):
    # before, the message named the first weights that did not load, not the flag (a
    # change of activation that keeps the weights resumes: test_force_resume.py)
    run = tmp_path / "run"
    main(["train", *RUN, "--out", run])
    before = _files(run)
    line = error_line(capsys, ["train", "--resume", run, "--force", "--epochs", "2", *flags])
    assert line.startswith(f"chainrule train: error: cannot resume {run} with {named}, even")
    assert _files(run) == before


def test_force_resumes_a_run_with_the_same_dataset_spelled_otherwise(tmp_path, capsys):
    run = tmp_path / "run"
    main(["train", *RUN, "--out", run])
    assert main(["train", "--resume", run, "--force", "--epochs", "2", "--dataset", "Iris"]) == 0
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2


@pytest.mark.parametrize("progress", [None, True])
def test_fit_without_a_stderr_trains_without_a_bar(monkeypatch, progress):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    model = cr.nn.Linear(3, 2)
    monkeypatch.setattr(sys, "stderr", None)  # what Python sets when fd 2 is closed
    history = cr.fit(
        model,
        cr.nn.CrossEntropyLoss(),
        cr.optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        2,
        batch_size=4,
        progress=progress,
    )
    assert len(history.history["loss"]) == 2
