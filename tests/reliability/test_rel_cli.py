"""Bad input to the command line, as a user meets it: a real `chainrule` process, its exit
status and what it prints on stderr. Every failure exits non-zero with no traceback: 1 with a
single line for errors the program reports, 2 with argparse's usage line(s) and one error
line for malformed flags. tests/train/test_train_cli.py runs many failures in-process; this
table covers what only a real process shows, and hostile inputs: corrupt and malicious
MNIST files and checkpoints (a pickle whose payload would create a sentinel file).
SIGINT during training is in test_rel_kill_resume.py.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import pickle
import re
import shutil
import struct
import subprocess

import numpy as np
import pytest
from reliability_conftest import chainrule_cmd, has_traceback, note, subprocess_env

from chainrule import _cli


class _Payload:
    def __init__(self, sentinel: pathlib.Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (pathlib.Path.touch, (self.sentinel,))


def idx(array: np.ndarray) -> bytes:
    head = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return head + array.astype(np.uint8).tobytes()


def mnist_dir(root: pathlib.Path, n_train=30, n_test=10, labels=None, images=None, drop=None):
    """Four small MNIST files in ``root``; arguments replace or drop one of them."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": idx(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels-idx1-ubyte": idx(np.arange(n_train) % 10),
        "t10k-images-idx3-ubyte": idx(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte": idx(np.arange(n_test) % 10),
    }
    if labels is not None:
        files["train-labels-idx1-ubyte"] = labels
    if images is not None:
        files["train-images-idx3-ubyte"] = images
    for name, data in files.items():
        if name != drop:
            (root / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
    return root


@pytest.fixture(scope="module")
def run1(tmp_path_factory):
    """A finished 1-epoch run (made in-process: quick)."""
    run = tmp_path_factory.mktemp("cli") / "run1"
    assert _cli.main(["train", "--epochs", "1", "--hidden", "8", "--out", str(run)]) == 0
    return run


def _run_with(run1, tmp_path, checkpoint: bytes | None) -> pathlib.Path:
    run = tmp_path / "run"
    shutil.copytree(run1, run)
    if checkpoint is None:
        (run / "model.safetensors").unlink()
    else:
        (run / "model.safetensors").write_bytes(checkpoint)
    return run


def _flipped(run1) -> bytes:
    data = bytearray((run1 / "model.safetensors").read_bytes())
    data[-3] ^= 0x10  # a bit in the last tensor's data
    return bytes(data)


# name -> (argv builder (tmp_path, run1, sentinel) -> list, exit status, last-line pattern)
CASES = {
    "an unknown flag": (lambda t, r, s: ["train", "--bogus"], 2, r"unrecognized arguments: --bog"),
    "an unknown command": (lambda t, r, s: ["frobnicate"], 2, r"invalid choice: 'frobnicate'"),
    "a flag without its value": (
        lambda t, r, s: ["train", "--epochs"],
        2,
        r"argument --epochs: expected one argument",
    ),
    "a non-integer --epochs": (
        lambda t, r, s: ["train", "--epochs", "six"],
        2,
        r"argument --epochs: invalid int value: 'six'",
    ),
    "MNIST files missing": (
        lambda t, r, s: ["train", "--dataset", "mnist", "--data-dir", str(t / "none")],
        1,
        r"train-images-idx3-ubyte\[\.gz\] not found",
    ),
    "an MNIST label file missing": (
        lambda t, r, s: ["train", "--dataset", "mnist", "--data-dir",
                         str(mnist_dir(t / "m", drop="train-labels-idx1-ubyte"))],
        1,
        r"train-labels-idx1-ubyte\[\.gz\] not found",
    ),
    "a truncated MNIST image file": (
        lambda t, r, s: ["train", "--dataset", "mnist", "--data-dir",
                         str(mnist_dir(t / "m", images=idx(np.zeros((30, 28, 28)))[:500]))],
        1,
        r"train-images-idx3-ubyte\.gz: dimension 0: declares 30 items of 28×28",
    ),
    "an MNIST label of 12": (
        lambda t, r, s: ["train", "--dataset", "mnist", "--data-dir",
                         str(mnist_dir(t / "m", labels=idx(np.full(30, 12))))],
        1,
        r"train-labels-idx1-ubyte\.gz: labels must be 0-9, but label 0 is 12",
    ),
    "MNIST images and labels of different counts": (
        lambda t, r, s: ["train", "--dataset", "mnist", "--data-dir",
                         str(mnist_dir(t / "m", labels=idx(np.zeros(29))))],
        1,
        r"holds 30 images but .* holds 29 labels",
    ),
    "a pickle as a label file": (
        lambda t, r, s: ["train", "--dataset", "mnist", "--data-dir",
                         str(mnist_dir(t / "m", labels=pickle.dumps(_Payload(s))))],
        1,
        r"train-labels-idx1-ubyte\.gz: magic number: first two bytes must be 0x00 0x00",
    ),
    "--resume: the checkpoint is a malicious pickle": (
        lambda t, r, s: ["train", "--resume", str(_run_with(r, t, pickle.dumps(_Payload(s))))],
        1,
        r"model\.safetensors: header length \d+ exceeds the file size",
    ),
    "evaluate: the checkpoint is a malicious pickle": (
        lambda t, r, s: ["evaluate", str(_run_with(r, t, pickle.dumps(_Payload(s))))],
        1,
        r"model\.safetensors: header length",
    ),
    "predict: the checkpoint is a malicious pickle": (
        lambda t, r, s: ["predict", str(_run_with(r, t, pickle.dumps(_Payload(s)))),
                         str(_inputs(t))],
        1,
        r"model\.safetensors: header length",
    ),
    "--resume: a flipped bit in the checkpoint": (
        lambda t, r, s: ["train", "--resume", str(_run_with(r, t, _flipped(r)))],
        1,
        r"model\.safetensors: the sha256 digest does not match: the file is corrupt",
    ),
    "--resume: a trained run whose checkpoint is gone": (
        lambda t, r, s: ["train", "--resume", str(_run_with(r, t, None))],
        1,
        r"model\.safetensors: cannot read the checkpoint: No such file or directory",
    ),
    "an --out that is a file": (
        lambda t, r, s: ["train", "--epochs", "1", "--out", str(_a_file(t))],
        1,
        r"chainrule train: error: --out .*: exists and is not a directory",
    ),
}  # fmt: skip


def _inputs(tmp_path) -> pathlib.Path:
    path = tmp_path / "inputs.npy"
    np.save(path, np.zeros((2, 64), np.float32))
    return path


def _a_file(tmp_path) -> pathlib.Path:
    path = tmp_path / "a_file"
    path.write_text("not a directory")
    return path


def _check_failure(proc: subprocess.CompletedProcess, code: int, pattern: str) -> list[str]:
    err = proc.stderr
    assert proc.returncode == code, (proc.returncode, err)
    assert not has_traceback(err), err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if code == 2:  # a usage mistake points at --help
        assert re.fullmatch(
            r"chainrule( \w+)?: error: .* \(see chainrule( \w+)? --help\)", lines[0]
        ), err
    assert re.search(pattern, lines[-1]), lines[-1]
    assert proc.stdout == ""
    return lines


@pytest.mark.parametrize("name", list(CASES))
def test_command_line_failures(run1, tmp_path, name):
    make, code, pattern = CASES[name]
    sentinel = tmp_path / "pwned"
    argv = make(tmp_path, run1, sentinel)
    proc = subprocess.run(
        chainrule_cmd(*argv),
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
        timeout=120,
    )
    _check_failure(proc, code, pattern)
    assert not sentinel.exists(), "a payload from a file ran"
    assert not (tmp_path / "runs").exists(), "a failed command left a run directory"


def test_the_table_size():
    note("command-line failures", cases=len(CASES))
    assert len(CASES) >= 16


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file whatever its permissions")
def test_an_unreadable_data_file(tmp_path):
    root = mnist_dir(tmp_path / "m")
    target = root / "train-images-idx3-ubyte.gz"
    target.chmod(0)
    try:
        proc = subprocess.run(
            chainrule_cmd("train", "--dataset", "mnist", "--data-dir", str(root), "--out", "o"),
            capture_output=True,
            text=True,
            env=subprocess_env(),
            cwd=tmp_path,
            timeout=120,
        )
    finally:
        target.chmod(0o644)
    _check_failure(proc, 1, r"Permission denied")


def test_a_hidden_size_too_large_to_allocate(tmp_path):
    proc = subprocess.run(
        chainrule_cmd("train", "--hidden", "1000000000", "--epochs", "1", "--out", "o"),
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
        timeout=120,
    )
    _check_failure(proc, 1, r"hidden|memory|allocate")


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    # `chainrule explain ... | head -1`: the pipe is closed before the command writes
    proc = subprocess.Popen(
        chainrule_cmd("explain", "--example", "seed-network"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
        cwd=tmp_path,
    )
    proc.stdout.close()  # the reader is gone long before the import is done
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err == b""  # no "Broken pipe" line, no traceback, no warning at exit


def test_a_broken_pipe_in_process_is_a_quiet_exit(monkeypatch, capsys):
    class Closed:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", Closed())
    assert _cli.main(["explain", "--example", "add-mul"]) == 1
    assert capsys.readouterr().err == ""
