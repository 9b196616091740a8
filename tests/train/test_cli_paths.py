"""A run directory whose name is not UTF-8 (Python holds such bytes as lone surrogates),
printed on a stdout that encodes strictly (``PYTHONIOENCODING=utf-8``, or ascii): the
command shows the path, a byte as ``\\xNN`` (as ``ls -b`` does), and finishes; before, the
run was saved and then the line naming it failed with a UnicodeEncodeError."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="any bytes in a file name")

RUN = ["--dataset", "iris", "--hidden", "8", "--epochs", "1", "--no-progress"]


def _chainrule(argv, encoding: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    cmd = [sys.executable, "-m", "chainrule", *argv]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=120)


def _shown(tmp_path, name: bytes) -> bytes:
    return os.fsencode(tmp_path) + b"/" + name


def test_a_run_directory_that_is_not_utf8_is_printed_and_the_run_finishes(tmp_path):
    run = os.path.join(os.fsencode(tmp_path), b"caf\xff-\xc3\xa9")  # \xc3\xa9 is UTF-8 (é)
    shown = _shown(tmp_path, "caf\\xff-é".encode())
    done = _chainrule(["train", *RUN, "--out", run], "utf-8", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert done.stdout.rstrip().endswith(b"run saved in " + shown)
    assert os.path.isfile(os.path.join(run, b"model.safetensors"))

    done = _chainrule(["train", "--resume", run, "--epochs", "2"], "utf-8", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith(b"resuming " + shown + b" at epoch 2 of 2")
    assert lines[1].endswith(b" s; run saved in " + shown)
    assert b"after 2 epochs" in lines[1]

    # a failure naming such a path is one line on stderr (which always escapes), no traceback
    done = _chainrule(["evaluate", os.path.join(run, b"gone\xfe")], "utf-8", tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert b"Traceback" not in done.stderr
    assert b"not found" in done.stderr


def test_a_character_stdouts_encoding_lacks_is_escaped(tmp_path):
    run = os.path.join(os.fsencode(tmp_path), b"caf\xff-\xc3\xa9")
    done = _chainrule(["train", *RUN, "--out", run], "ascii", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(b"run saved in " + _shown(tmp_path, b"caf\\xff-\\xe9"))
