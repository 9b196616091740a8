"""Edge cases of a resumed run's ``replaces_config`` (the SHA-256 of the config.json a
checkpoint's configuration replaces) and of how run directories are shown in the
command's output and error lines."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _cli_run import error_line, main
from safetensors.numpy import save as safetensors_bytes

from chainrule._checkpoint_format import _digest, read_checkpoint

CONFIG = ["--dataset", "iris", "--hidden", "8", "--batch-size", "16", "--seed", "1"]
QUIET = ["--no-progress"]
FIELD = "replaces_config"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A finished run of 2 epochs, written by an unchanged ``chainrule train``."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["train", *CONFIG, *QUIET, "--epochs", "2", "--out", out]) == 0
    return out


def _forged(run: Path, tmp_path: Path, value) -> Path:
    """A copy of ``run`` whose checkpoint's training state holds ``value`` as its
    ``replaces_config``, with the checkpoint's digest recomputed (a whole file)."""
    copy = shutil.copytree(run, tmp_path / "forged")
    tensors, metadata = read_checkpoint(copy / "model.safetensors")
    training = json.loads(metadata["training"])
    training[FIELD] = value
    metadata = {k: v for k, v in metadata.items() if k != "sha256"}
    metadata["training"] = json.dumps(training)
    metadata["sha256"] = _digest(tensors, metadata)
    (copy / "model.safetensors").write_bytes(safetensors_bytes(tensors, metadata=metadata))
    return copy


def _digest_of_config(run: Path) -> str:
    return hashlib.sha256((run / "config.json").read_bytes()).hexdigest()


MALFORMED = {
    "a number": (123, "got a number"),
    "a boolean": (True, "got a boolean"),
    "null": (None, "got null"),
    "a list": (["ab"], "got a list"),
    "an object": ({"sha256": "ab"}, "got an object"),
    "not hex": ("z" * 64, '"zzzzzzzzz'),
    "too short": ("abc", 'got "abc"'),
    # a saved array is a {"__array__": name} reference: it came back as an ndarray, and
    # comparing it with the digest failed with NumPy's "truth value ... is ambiguous"
    "an array": ({"__array__": "training/0"}, "got an array"),
}


def _inputs(tmp_path: Path) -> Path:
    path = tmp_path / "x.csv"
    path.write_text("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    return path


@pytest.mark.parametrize("command", ["resume", "evaluate", "predict"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_replaces_config_is_refused_naming_the_file_and_field(
    run, tmp_path, capsys, command, case
):
    value, got = MALFORMED[case]
    forged = _forged(run, tmp_path, value)
    argv = {
        "resume": ["train", "--resume", forged, "--epochs", "3", *QUIET],
        "evaluate": ["evaluate", forged],
        "predict": ["predict", forged, _inputs(tmp_path)],
    }[command]
    line = error_line(capsys, argv)
    assert f"{forged / 'model.safetensors'}: " in line
    assert f'the training state\'s "{FIELD}" must be the SHA-256 of a config.json' in line
    assert got in line
    assert json.loads((forged / "config.json").read_text())["epochs"] == 2  # untouched


def test_an_upper_case_digest_of_config_json_is_refused_not_ignored(run, tmp_path, capsys):
    # the field is what hashlib's hexdigest writes; another spelling of the same digest
    # was compared as unequal, and the run silently treated as never killed
    forged = _forged(run, tmp_path, _digest_of_config(run).upper())
    line = error_line(capsys, ["evaluate", forged])
    assert f'"{FIELD}" must be the SHA-256 of a config.json, 64 lowercase hex digits' in line


def test_a_run_directory_with_a_newline_is_shown_on_one_line(tmp_path, capsys):
    # the lines naming the run printed the newline itself: "resuming a" and "b at epoch
    # 2 of 2" on two lines; they show it as \n, as `ls -b` does
    out = tmp_path / "a\nb\tc"
    shown = f"{tmp_path}/a\\nb\\tc"
    capsys.readouterr()
    assert main(["train", *CONFIG, *QUIET, "--epochs", "1", "--out", out]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"run saved in {shown}")
    assert main(["train", "--resume", out, "--epochs", "2", *QUIET]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"chainrule train: resuming {shown} at epoch 2 of 2"
    assert lines[1].endswith(f"run saved in {shown}")
    assert len(lines) == 2
    assert main(["train", "--resume", out, *QUIET]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"chainrule train: {shown} has trained all 2 epochs; nothing to resume"
    assert len(lines) == 2


def test_a_run_without_a_checkpoint_is_named_on_one_stderr_line(run, tmp_path, capsys):
    out = tmp_path / "x\ny"
    out.mkdir()
    shutil.copy(run / "config.json", out)  # a run killed before its first checkpoint
    capsys.readouterr()
    assert main(["train", "--resume", out, "--epochs", "1", *QUIET]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"chainrule train: {tmp_path}/x\\ny has no checkpoint")
    assert len(err.splitlines()) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="any bytes in a file name")
def test_a_byte_that_is_not_utf8_is_shown_as_on_stdout_in_an_error(tmp_path):
    # stderr escaped the lone surrogate Python holds for the byte: "gone\udcfe", which is
    # no byte of the name; stdout shows the same byte as \xfe
    missing = os.path.join(os.fsencode(tmp_path), b"gone\xfe")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "chainrule", "evaluate", missing]
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert done.returncode == 1
    shown = os.fsencode(tmp_path) + b"/gone\\xfe"
    expected = b"chainrule evaluate: error: " + shown + b"/config.json: not found; is "
    assert done.stderr == expected + shown + b" a chainrule run directory?\n"


def test_an_interrupted_run_names_its_directory_bytes_as_stdout_does(monkeypatch, capsys):
    from chainrule import _run

    def interrupted(*args, **kwargs):
        raise _run.Interrupted("continue with chainrule train --resume /r\udcfe")

    monkeypatch.setattr(_run, "train", interrupted)
    capsys.readouterr()
    assert main(["train", *CONFIG, *QUIET, "--out", "unused"]) == 130
    err = capsys.readouterr().err
    assert err == "chainrule train: interrupted; continue with chainrule train --resume /r\\xfe\n"


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


def _training_state(run: Path) -> tuple[dict, dict]:
    """The checkpoint's tensors and training state, less the wall time and the digest of
    the config.json it replaced (which only a resumed run records)."""
    tensors, metadata = read_checkpoint(run / "model.safetensors")
    training = json.loads(metadata["training"])
    training.pop("seconds")
    training.pop(FIELD, None)
    return tensors, training


def test_resuming_with_epochs_already_trained_writes_them_to_config_json(
    tmp_path, monkeypatch, capsys
):
    # a run of --epochs 5 killed after its third epoch, resumed with --epochs 3: nothing
    # is left to train, and config.json kept "epochs": 5 beside metrics of 3 epochs (the
    # new config waited for a checkpoint that never came), so a later --resume trained 2
    # more; the run must end as one trained with --epochs 3 from the start
    from chainrule import _run

    ref, run = tmp_path / "ref", tmp_path / "run"
    assert main(["train", *CONFIG, *QUIET, "--epochs", "3", "--out", ref]) == 0
    saves, real_save = [], _run.save

    def save(*args, **kwargs):
        if len(saves) == 3:
            raise _Killed
        saves.append(1)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(_run, "save", save)
    with pytest.raises(_Killed):
        main(["train", *CONFIG, *QUIET, "--epochs", "5", "--out", run])
    monkeypatch.undo()
    assert not (run / "metrics.json").exists()
    assert main(["train", "--resume", run, "--epochs", "3", *QUIET]) == 0
    assert (run / "config.json").read_bytes() == (ref / "config.json").read_bytes()
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 3
    (tensors, training), (ref_tensors, ref_training) = _training_state(run), _training_state(ref)
    assert training == ref_training
    assert sorted(tensors) == sorted(ref_tensors)
    for name, value in ref_tensors.items():
        np.testing.assert_array_equal(tensors[name], value, err_msg=name)
    capsys.readouterr()
    assert main(["train", "--resume", run, *QUIET]) == 0
    assert "has trained all 3 epochs; nothing to resume" in capsys.readouterr().out
    assert (run / "history.csv").read_bytes() == (ref / "history.csv").read_bytes()


def test_ctrl_c_names_a_run_directory_with_a_newline_on_one_line(run, tmp_path, capsys):
    from chainrule import _run

    out = shutil.copytree(run, tmp_path / "a\nb")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_run, "fit", interrupted)
        assert main(["train", "--resume", out, "--epochs", "3", *QUIET]) == 130
    shown = f"{tmp_path}/a\\nb"
    assert capsys.readouterr().err == (
        f"chainrule train: interrupted; the last checkpoint is {shown}/model.safetensors; "
        f"continue with chainrule train --resume {shown}\n"
    )
