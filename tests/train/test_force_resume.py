"""``chainrule train --resume DIR --force`` with a changed configuration writes the new
checkpoint first and config.json after it. A SIGKILL between the two left a config.json
of the old configuration beside a checkpoint of the new one: resuming then refused
(config.json "differs") or, with --force, went on with the old configuration. The run
must go on exactly as if the kill had not happened. And ``train --force`` over an old
run, killed while it clears the old files, must not leave the old config.json alone."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _cli_run import error_line, main

from chainrule._checkpoint_format import read_checkpoint

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

CONFIG = ["--dataset", "iris", "--hidden", "8", "--batch-size", "16", "--seed", "1"]
CHANGE = ["--activation", "tanh", "--lr", "0.05", "--epochs", "3", "--force"]
QUIET = ["--no-progress"]

# the real command line, killed as it writes config.json (after the checkpoint)
KILL_AT_CONFIG = """
import os, signal, sys
from chainrule import _cli, _run

real = _run.atomic_write

def atomic_write(path, data):
    if os.path.basename(path) == "config.json":
        os.kill(os.getpid(), signal.SIGKILL)
    return real(path, data)

_run.atomic_write = atomic_write
sys.exit(_cli.main(sys.argv[1:]))
"""


def _config(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())


def _checkpoint(run: Path):
    """The checkpoint's tensors, optimizer state and training state (less the wall time)."""
    tensors, meta = read_checkpoint(run / "model.safetensors")
    training = json.loads(meta["training"])
    training.pop("seconds")
    return tensors, json.loads(meta["optimizer"]), training


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """2 epochs, then 1 more resumed with --force and a new activation and rate: the
    directory after that resume, and after one more epoch."""
    run = tmp_path_factory.mktemp("ref") / "run"
    assert main(["train", *CONFIG, *QUIET, "--epochs", "2", "--out", run]) == 0
    assert main(["train", "--resume", run, *CHANGE, *QUIET]) == 0
    forced = run.with_name("forced")
    shutil.copytree(run, forced)
    assert main(["train", "--resume", run, "--epochs", "4", *QUIET]) == 0
    return forced, run


@pytest.fixture(scope="module")
def killed_once(tmp_path_factory):
    """The same 2 epochs, and the forced resume killed as it writes config.json."""
    run = tmp_path_factory.mktemp("killed") / "run"
    assert main(["train", *CONFIG, *QUIET, "--epochs", "2", "--out", run]) == 0
    argv = ["train", "--resume", str(run), *CHANGE, *QUIET]
    proc = subprocess.run([sys.executable, "-c", KILL_AT_CONFIG, *argv], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # the state the kill leaves: the checkpoint has the new configuration, config.json not
    assert _checkpoint(run)[2]["config"]["activation"] == "tanh"
    assert _config(run)["activation"] == "relu"
    return run


@pytest.fixture
def killed(killed_once, tmp_path):
    """A copy of the directory the kill left, for one test."""
    return shutil.copytree(killed_once, tmp_path / "run")


def _same_run(run: Path, ref: Path) -> None:
    (tensors, optimizer, training), (ref_tensors, ref_optimizer, ref_training) = (
        _checkpoint(run),
        _checkpoint(ref),
    )
    assert sorted(tensors) == sorted(ref_tensors)
    for name, value in ref_tensors.items():
        np.testing.assert_array_equal(tensors[name], value, err_msg=name)
    assert optimizer == ref_optimizer
    assert training == ref_training
    assert (run / "config.json").read_bytes() == (ref / "config.json").read_bytes()
    assert (run / "history.csv").read_bytes() == (ref / "history.csv").read_bytes()


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_resuming_after_the_kill_goes_on_with_the_forced_configuration(
    killed, uninterrupted, force
):
    assert main(["train", "--resume", killed, "--epochs", "4", *force, *QUIET]) == 0
    _same_run(killed, uninterrupted[1])
    assert _config(killed)["activation"] == "tanh"
    assert _config(killed)["lr"] == 0.05
    assert _checkpoint(killed)[1]["param_groups"][0]["lr"] == 0.05


def test_a_config_json_edited_after_the_kill_is_still_refused(killed, tmp_path, capsys):
    edited = tmp_path / "edited"
    shutil.copytree(killed, edited)
    (edited / "config.json").write_text(json.dumps({**_config(killed), "lr": 0.3}, indent=2))
    line = error_line(capsys, ["train", "--resume", edited, "--epochs", "4"])
    assert "differs from the configuration its checkpoint was trained with" in line
    assert "lr: 0.05 -> 0.3" in line
    # the directory the kill left resumes (it did not before: config.json "differed")
    assert main(["train", "--resume", killed, "--epochs", "4", *QUIET]) == 0


def test_evaluate_and_predict_after_the_kill_use_the_checkpoints_configuration(
    killed, uninterrupted, capsys, tmp_path
):
    forced = uninterrupted[0]
    capsys.readouterr()
    assert main(["evaluate", killed]) == 0
    got = json.loads(capsys.readouterr().out)
    assert main(["evaluate", forced]) == 0
    assert got == json.loads(capsys.readouterr().out)
    inputs = tmp_path / "x.csv"
    inputs.write_text("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    assert main(["predict", killed, inputs]) == 0
    got = capsys.readouterr().out
    assert main(["predict", forced, inputs]) == 0
    assert got == capsys.readouterr().out
    assert _config(killed)["activation"] == "relu"  # reading a run never writes into it


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


@pytest.mark.parametrize("kill_at", range(5))
def test_a_kill_while_force_clears_an_old_run_never_leaves_its_config_alone(
    kill_at, tmp_path, monkeypatch, capsys
):
    # `train --force` over an old run removes its files one by one; killed on the way, the
    # directory must not hold the old config.json without the old checkpoint, which
    # --resume would train from epoch 0 in place of the forced configuration
    from chainrule import _run_files

    run = tmp_path / "run"
    assert main(["train", *CONFIG, *QUIET, "--epochs", "1", "--out", run]) == 0
    removed, real_unlink = [], Path.unlink

    def unlink(path, missing_ok=False):
        if len(removed) == kill_at:
            raise _Killed
        removed.append(path.name)
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(_Killed):
        _run_files.clear_run(run)
    monkeypatch.undo()
    left = {p.name for p in run.iterdir()}
    assert "config.json" not in left or "model.safetensors" in left, (kill_at, left)
    if "config.json" not in left:  # --resume refuses; nothing trains from epoch 0
        message = error_line(capsys, ["train", "--resume", run, *QUIET])
        assert "config.json: not found" in message
        if "model.safetensors" in left:
            assert "a `train --force` over the run was interrupted" in message
