"""The ``chainrule`` command as a careless user meets it: every sub-command's flags with a
missing value, a wrong type, an out-of-range or unknown value; output files that cannot be
written; run directories that are not runs; a real Ctrl-C; and the README's command lines
against each command's --help.

The contract checked (README, docs/reliability.md): one line on stderr that names the flag
or the file, no traceback, exit 2 for what argparse refuses and 1 for the rest, 130 for
Ctrl-C, and nothing written by a command that failed before its work began.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _cli_run import error_line, main

from chainrule import _run

README = Path(__file__).resolve().parents[2] / "README.md"

#: (argv, exit status, text the one error line must hold): the flag or name at fault
USAGE = [
    (["train", "--epochs"], 2, "--epochs"),
    (["train", "--epochs", "x"], 2, "--epochs"),
    (["train", "--epochs", "1e3"], 2, "--epochs"),
    (["train", "--epochs", "0"], 1, "--epochs"),
    (["train", "--epochs", "-1"], 1, "--epochs"),
    (["train", "--batch-size", "0"], 1, "--batch-size"),
    (["train", "--batch-size", "nan"], 2, "--batch-size"),
    (["train", "--lr", "nan"], 1, "--lr"),
    (["train", "--lr", "inf"], 1, "--lr"),
    (["train", "--lr", "-0.1"], 1, "--lr"),
    (["train", "--lr", "0"], 1, "--lr"),
    (["train", "--lr", "1e39"], 1, "--lr"),
    (["train", "--lr", "fast"], 2, "--lr"),
    (["train", "--seed", "-1"], 1, "--seed"),
    (["train", "--seed", "1.5"], 2, "--seed"),
    (["train", "--hidden", "abc"], 2, "--hidden"),
    (["train", "--hidden", "0"], 1, "--hidden"),
    (["train", "--hidden", "8,-1"], 1, "--hidden"),
    (["train", "--hidden", "100001"], 1, "--hidden"),
    (["train", "--dataset", "nope"], 1, "nope"),
    (["train", "--dataset", ""], 2, "--dataset"),
    (["train", "--activation", "swish"], 1, "swish"),
    (["train", "--optimizer", "lbfgs"], 1, "lbfgs"),
    (["train", "--init", "kaiming"], 1, "--init"),
    (["train", "--init", "nan"], 1, "--init"),
    (["train", "--init", "-0.1"], 1, "--init"),
    (["train", "--init", "0"], 1, "--init"),
    (["train", "--data-dir", ""], 2, "--data-dir"),
    (["train", "--out", ""], 1, "--out"),
    (["train", "--resume", ""], 2, "--resume"),
    (["train", "--frobnicate"], 2, "--frobnicate"),
    (["--epochs", "0"], 1, "--epochs"),  # train is the default command
    (["frobnicate"], 2, "frobnicate"),
    (["evaluate"], 2, "run_dir"),
    (["predict"], 2, "run_dir"),
    (["predict", "somewhere"], 2, "input_file"),
    (["demo", "--fast"], 2, "--fast"),
    (["explain", "--example", "nope"], 2, "--example"),
    (["explain", "--example"], 2, "--example"),
    (["explain", "--example", "apple", "--lang", "fr"], 2, "--lang"),
    (["explain", "--example", "apple", "--format", "html"], 2, "--format"),
    (["explain", "--example", "apple", "--table", "--format", "latex"], 1, "--table"),
    (["explain", "--example", "apple", "--render", "a.gif"], 1, "--render"),
    (["experiment"], 2, "init,optimizers"),
    (["experiment", "nope"], 2, "nope"),
    (["experiment", "init", "--layers", "0"], 1, "--layers"),
    (["experiment", "init", "--layers", "x"], 2, "--layers"),
    (["experiment", "init", "--units", "1001"], 1, "--units"),
    (["experiment", "init", "--samples", "-5"], 1, "--samples"),
    (["experiment", "init", "--bins", "0"], 1, "--bins"),
    (["experiment", "init", "--seed", "-1"], 1, "--seed"),
    (["experiment", "init", "--samples", "100000", "--units", "1000"], 1, "--samples"),
    (["experiment", "init", "--out", ""], 1, "--out"),
    (["experiment", "optimizers", "--function", "himmelblau"], 2, "--function"),
    (["experiment", "optimizers", "--steps", "0"], 1, "--steps"),
    (["experiment", "optimizers", "--epochs", "-1"], 1, "--epochs"),
]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty directory, so that anything a failing command writes shows."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """A finished one-epoch iris run (4 features, 3 classes), made by the command."""
    out = tmp_path_factory.mktemp("audit") / "iris run"
    argv = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "1", "--out", out]
    assert main([*argv, "--no-progress"]) == 0
    return out


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# ----- flags: one line naming the flag, the documented exit status, nothing written -------
@pytest.mark.parametrize(("argv", "code", "named"), USAGE, ids=[" ".join(a) for a, *_ in USAGE])
def test_a_bad_flag_is_one_line_that_names_it_and_writes_nothing(capsys, in_tmp, argv, code, named):
    line = error_line(capsys, argv, code)
    assert line.startswith("chainrule")
    assert named in line
    if code == 2:  # a usage mistake points at the command's --help
        assert line.endswith("--help)")
    assert list(in_tmp.iterdir()) == []


def test_init_too_large_for_float32_is_named_and_writes_nothing(capsys, in_tmp):
    # a standard deviation within float32's range whose draws are not: the weights would
    # be infinite (NumPy warned of the overflow and training failed blaming the rate)
    argv = ["train", "--init", "3e38", "--epochs", "1", "--out", in_tmp / "run"]
    line = error_line(capsys, argv)
    assert line.startswith("chainrule train: error: --init 3e38")
    assert "float32" in line
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_data_dir_that_is_a_file_is_named_as_such(capsys, in_tmp, iris_run, command):
    (in_tmp / "mnist.gz").write_bytes(b"not a directory")
    head = ["train", "--out", in_tmp / "run"] if command == "train" else ["evaluate", iris_run]
    line = error_line(capsys, [*head, "--dataset", "mnist", "--data-dir", in_tmp / "mnist.gz"])
    assert "--data-dir" in line
    assert f"{in_tmp / 'mnist.gz'}: not a directory" in line
    assert sorted(p.name for p in in_tmp.iterdir()) == ["mnist.gz"]


def test_experiment_names_its_default_directory_when_no_out_was_given(capsys, in_tmp):
    (in_tmp / "runs").write_text("a file where the results would go\n", encoding="utf-8")
    line = error_line(capsys, ["experiment", "init", "--samples", "5"])
    assert line.startswith(
        f"chainrule experiment: error: {Path('runs', 'experiment-init')} (the default --out): "
    )
    assert (in_tmp / "runs").read_text(encoding="utf-8") == "a file where the results would go\n"


def test_a_config_json_data_dir_with_a_nul_byte_is_named_with_its_field(capsys, tmp_path, iris_run):
    run = tmp_path / "run"
    run.mkdir()
    for name, data in _files(iris_run).items():
        (run / name).write_bytes(data)
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    (run / "config.json").write_text(json.dumps({**config, "data_dir": "da\u0000ta"}))
    before = _files(run)
    for argv in (["evaluate", run], ["train", "--resume", run, "--epochs", "2", "--force"]):
        line = error_line(capsys, argv)
        assert line.startswith(
            f'chainrule {argv[0]}: error: {run / "config.json"}: field "data_dir"'
        )
    assert _files(run) == before


# ----- explain's output files --------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--dot", "--render"])
def test_an_empty_output_name_is_called_empty(capsys, in_tmp, flag):
    line = error_line(capsys, ["explain", "--example", "apple", flag, ""])
    assert line == f"chainrule explain: error: {flag} is empty; give a file name"
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize(("flag", "name"), [("--dot", "g.dot"), ("--render", "g.svg")])
def test_an_output_inside_a_file_says_the_file_is_not_a_directory(capsys, in_tmp, flag, name):
    (in_tmp / "notes.txt").write_text("mine\n", encoding="utf-8")
    target = in_tmp / "notes.txt" / name
    line = error_line(capsys, ["explain", "--example", "apple", flag, target])
    assert (
        line
        == f"chainrule explain: error: {flag} {target}: {in_tmp / 'notes.txt'} is not a directory"
    )
    assert (in_tmp / "notes.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_dot_file_that_cannot_be_written_is_named(capsys):
    line = error_line(capsys, ["explain", "--example", "apple", "--dot", "/dev/full"])
    assert line == "chainrule explain: error: --dot /dev/full: No space left on device"


def test_a_failed_dot_write_keeps_the_earlier_file(capsys, in_tmp, monkeypatch):
    earlier = in_tmp / "graph.dot"
    earlier.write_text("digraph earlier {}\n", encoding="utf-8")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)  # the disk fills up while the file is written
    line = error_line(capsys, ["explain", "--example", "apple", "--dot", earlier])
    monkeypatch.undo()
    assert line.startswith(f"chainrule explain: error: --dot {earlier}: ")
    assert line.endswith(os.strerror(errno.ENOSPC))
    assert earlier.read_text(encoding="utf-8") == "digraph earlier {}\n"
    assert [p.name for p in in_tmp.iterdir()] == ["graph.dot"]  # no temporary file left


def test_dot_to_a_device_writes_through_it(capsys, in_tmp):
    # /dev/stdout-style targets are written to, not replaced by a file
    fifo_like = Path(os.devnull)
    assert main(["explain", "--example", "apple", "--dot", fifo_like]) == 0
    assert fifo_like.is_char_device()
    assert list(in_tmp.iterdir()) == []


def test_dot_through_a_symbolic_link_writes_its_file(capsys, in_tmp):
    (in_tmp / "graph.dot").write_text("digraph earlier {}\n", encoding="utf-8")
    (in_tmp / "link.dot").symlink_to("graph.dot")
    assert main(["explain", "--example", "apple", "--dot", in_tmp / "link.dot"]) == 0
    assert (in_tmp / "link.dot").is_symlink()
    assert (in_tmp / "graph.dot").read_text(encoding="utf-8").startswith("digraph chainrule")


# ----- run directories ---------------------------------------------------------------------
def test_resume_and_predict_refuse_what_is_not_a_run(capsys, in_tmp, iris_run):
    (in_tmp / "empty").mkdir()
    (in_tmp / "plain.txt").write_text("x", encoding="utf-8")
    for argv, named in [
        (["train", "--resume", in_tmp / "empty"], f"{in_tmp / 'empty' / 'config.json'}: not found"),
        (["train", "--resume", in_tmp / "missing"], "config.json: not found"),
        (["train", "--resume", in_tmp / "plain.txt"], "it is a file"),
        (["evaluate", in_tmp / "empty"], "config.json: not found"),
        (["predict", in_tmp / "plain.txt", in_tmp / "x.csv"], "it is a file"),
    ]:
        assert named in error_line(capsys, argv)
    assert sorted(p.name for p in in_tmp.iterdir()) == ["empty", "plain.txt"]
    assert list((in_tmp / "empty").iterdir()) == []


def test_a_truncated_checkpoint_is_refused_and_the_run_is_left_as_it_was(
    capsys, tmp_path, iris_run
):
    run = tmp_path / "run"
    run.mkdir()
    for name, data in _files(iris_run).items():
        (run / name).write_bytes(data)
    whole = (run / "model.safetensors").read_bytes()
    (run / "model.safetensors").write_bytes(whole[: len(whole) // 2])
    before = _files(run)
    for argv in (["train", "--resume", run, "--epochs", "2"], ["evaluate", run]):
        assert str(run / "model.safetensors") in error_line(capsys, argv)
    assert _files(run) == before


def test_a_checkpoint_of_another_model_is_refused_even_with_force(capsys, tmp_path, iris_run):
    run = tmp_path / "run"
    assert main(["train", "--dataset", "wine", "--hidden", "8", "--epochs", "1", "--out", run]) == 0
    (run / "config.json").write_bytes((iris_run / "config.json").read_bytes())
    before = _files(run)
    line = error_line(capsys, ["train", "--resume", run, "--epochs", "2"])
    assert "dataset: wine -> iris" in line
    assert "--force" in line
    line = error_line(capsys, ["train", "--resume", run, "--epochs", "2", "--force"])
    assert "model.safetensors" in line
    assert _files(run) == before


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("short.csv", "1,2,3\n", "expected rows of 4 features"),
        ("header.csv", "a,b,c,d\n1,2,3,4\n", "line 1, column 1"),
        ("ragged.csv", "1,2,3,4\n1,2\n", "line 2 has 2 values"),
        ("semicolons.csv", "1;2;3;4\n", "line 1, column 1"),
        ("nan.csv", "1,nan,3,4\n", "line 1, feature 2"),
        ("empty.csv", "", "no input rows"),
        ("inputs.txt", "1,2,3,4\n", "must be a .npy or .csv"),
        ("latin1.csv", b"1,2,3,4\xe9\n", "not UTF-8"),
    ],
)
def test_predict_names_the_input_file_and_the_problem(
    capsys, tmp_path, iris_run, name, content, named
):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    line = error_line(capsys, ["predict", iris_run, path])
    assert line.startswith(f"chainrule predict: error: {path}: ")
    assert named in line


def test_predict_reads_a_path_with_spaces_and_unicode(capsys, tmp_path, iris_run):
    path = tmp_path / "입력 files é" / "two rows.npy"
    path.parent.mkdir()
    np.save(path, np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]))
    capsys.readouterr()
    assert main(["predict", iris_run, path]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 2
    assert set(lines) <= {"0", "1", "2"}


# ----- Ctrl-C -----------------------------------------------------------------------------
def test_ctrl_c_during_training_says_how_to_resume_and_the_resume_finishes(tmp_path):
    run = tmp_path / "run"
    argv = [sys.executable, "-m", "chainrule", "train", "--dataset", "iris", "--hidden", "8"]
    argv += ["--epochs", "100000", "--out", str(run), "--no-progress"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (run / "history.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the first checkpoint, not timing anything
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.splitlines() == [
        f"chainrule train: interrupted; the last checkpoint is {run / 'model.safetensors'}; "
        f"continue with chainrule train --resume {run}"
    ]
    rows = len((run / "history.csv").read_text(encoding="utf-8").splitlines()) - 1
    total = rows + 2  # the checkpoint may be inside the epoch after the last row
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--resume", str(run), "--epochs", str(total)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "metrics.json").read_text(encoding="utf-8"))["epochs"] == total


def test_a_second_ctrl_c_while_the_interrupted_run_saves_still_says_how_to_resume(
    capsys, tmp_path, monkeypatch, interrupt_at_step
):
    # iris: 108 training rows in batches of 32 are 4 steps an epoch; the 10th step is in
    # epoch 3, after two checkpoints; the save on the way out is stopped by another Ctrl-C
    real_save, saves = _run.save, []

    def save(*args, **kwargs):
        saves.append(1)
        if len(saves) == 3:
            raise KeyboardInterrupt
        return real_save(*args, **kwargs)

    monkeypatch.setattr(_run, "save", save)
    interrupt_at_step(10)
    run = tmp_path / "run"
    argv = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "5", "--out", run]
    line = error_line(capsys, argv, 130)
    monkeypatch.undo()
    assert len(saves) == 3
    assert line == (
        f"chainrule train: interrupted; the last checkpoint is {run / 'model.safetensors'}; "
        f"continue with chainrule train --resume {run}"
    )
    assert main(["train", "--resume", run, "--epochs", "5"]) == 0
    assert json.loads((run / "metrics.json").read_text(encoding="utf-8"))["epochs"] == 5


# ----- the README against --help -----------------------------------------------------------
def _readme_command_lines() -> list[list[str]]:
    """The ``chainrule ...`` lines of the README's shell blocks, comments removed."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines = [line.split("#")[0].split() for block in blocks for line in block.splitlines()]
    return [words for words in lines if words[:1] == ["chainrule"]]


def test_every_flag_the_readme_shows_is_one_its_command_takes(capsys):
    commands = _readme_command_lines()
    assert len(commands) >= 10
    for words in commands:
        command = [w for w in words[1:3] if not w.startswith("-")]
        command = command[:2] if command[:1] == ["experiment"] else command[:1]
        assert main([*command, "--help"]) == 0
        helptext = capsys.readouterr().out
        for flag in (w for w in words if w.startswith("--")):
            assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", helptext), (words, flag)
