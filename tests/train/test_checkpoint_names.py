"""Checkpoint file names up to the system's limit of 255 bytes save and load: the
temporary file of the atomic write (``.<name>.<8 characters>.tmp``, 14 bytes more) must
fit too, and nothing is left behind; a longer name is refused naming the file."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule._checkpoint_format import read_checkpoint


def _name(n_bytes: int, char: str = "a") -> str:
    """A checkpoint file name of exactly ``n_bytes`` bytes (``char`` fills it)."""
    suffix = ".safetensors"
    fill = n_bytes - len(suffix)
    name = char * (fill // len(os.fsencode(char))) + "b" * (fill % len(os.fsencode(char)))
    name += suffix
    assert len(os.fsencode(name)) == n_bytes
    return name


def _model():
    cr.manual_seed(0)
    return cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))


@pytest.mark.parametrize("n_bytes", [241, 242, 250, 254, 255])
def test_names_up_to_255_bytes_save_and_load_leaving_only_the_file(tmp_path, n_bytes):
    model = _model()
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    path = tmp_path / _name(n_bytes)
    cr.save(path, model, opt, epoch=3)
    assert os.listdir(tmp_path) == [path.name]
    fresh = _model()
    for p in fresh.parameters():
        p.data = np.zeros_like(p.data)
    assert cr.load(path, fresh, cr.optim.Adam(fresh.parameters()))["epoch"] == 3
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], value)


@pytest.mark.parametrize(
    "name",
    [
        _name(254, "é"),  # 2 bytes a character
        _name(255, "語"),  # 3 bytes a character
        pytest.param(
            os.fsdecode(b"\xff" * 243 + b".safetensors"),  # bytes that are not UTF-8
            marks=pytest.mark.skipif(sys.platform != "linux", reason="any bytes in a name"),
        ),
    ],
    ids=["2-byte", "3-byte", "not-utf8"],
)
def test_long_names_of_several_bytes_a_character_save(tmp_path, name):
    path = tmp_path / name
    cr.save(path, {"w": np.arange(3.0)})
    assert os.listdir(tmp_path) == [name]
    tensors, _ = read_checkpoint(path)
    np.testing.assert_array_equal(tensors["model/w"], np.arange(3.0))


def test_a_name_over_255_bytes_is_refused_naming_it(tmp_path):
    path = tmp_path / _name(256)
    with pytest.raises(OSError, match="File name too long") as info:
        cr.save(path, _model())
    assert info.value.errno == errno.ENAMETOOLONG
    assert path.name in str(info.value)
    assert os.listdir(tmp_path) == []


KILLED_WRITER = """
import os, signal, sys
import chainrule as cr
from chainrule import _atomic_write

class KillAtRename:  # the process dies with its temporary file written, not yet renamed
    def __getattr__(self, name):
        return getattr(os, name)
    def replace(self, src, dst):
        os.kill(os.getpid(), signal.SIGKILL)

_atomic_write.os = KillAtRename()
cr.save(sys.argv[1], {"w": __import__("numpy").zeros(2)})
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("n_bytes", [60, 250])
def test_a_killed_writers_temporary_file_of_a_long_name_is_removed(tmp_path, n_bytes):
    path = tmp_path / _name(n_bytes)
    other = tmp_path / (path.name[:-13] + "c.safetensors")  # another file, the same start
    for target in (path, other):
        proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target)], check=False)
        assert proc.returncode == -signal.SIGKILL
    left = sorted(os.listdir(tmp_path))
    assert len(left) == 2
    assert all(n.endswith(".tmp") for n in left)
    old = time.time() - 5  # no live writer: unlocked, and older than a fresh one
    for name in left:
        os.utime(tmp_path / name, (old, old))
    cr.save(path, {"w": np.ones(2)})
    assert len(os.listdir(tmp_path)) == 2  # the file, and the other file's temporary one
    assert path.name in os.listdir(tmp_path)
    cr.save(other, {"w": np.ones(2)})
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, other.name])
