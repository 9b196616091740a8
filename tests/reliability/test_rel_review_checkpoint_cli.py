"""A user's review of checkpoints and the command line: what saving, loading and the
`chainrule` command did wrong with unusual values, paths and flags."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


@pytest.mark.parametrize(
    "value",
    [np.longdouble(1.5), np.clongdouble(1), np.datetime64("NaT"), np.datetime64(5, "ns")],
    ids=["longdouble", "clongdouble", "NaT", "datetime64-ns"],
)
def test_numpy_scalars_without_a_json_value_are_refused_by_type(tmp_path, value):
    """A longdouble's item() is a longdouble again (it recursed until RecursionError); a
    date's is None or a bare int (NaT loaded back as None, 5 ns as the int 5)."""
    path = tmp_path / "c.safetensors"
    with pytest.raises(TypeError, match=f"save: .*type {type(value).__name__} "):
        cr.save(path, nn.Linear(2, 1), when=value)
    assert not path.exists()


def test_many_arrays_in_the_training_state_save_in_linear_time(tmp_path):
    """Each array's key was found by scanning every key before it: 16,000 arrays took 13 s
    to save (and 0.2 s to load). Each array keeps its own value through the round trip."""
    arrays = [np.full(1, i, dtype=np.int64) for i in range(20_000)]
    path = tmp_path / "c.safetensors"
    start = time.perf_counter()
    cr.save(path, nn.Linear(2, 1), arrays=arrays)
    assert time.perf_counter() - start < 4.0
    loaded = cr.load(path)["arrays"]
    assert [int(a[0]) for a in loaded] == list(range(20_000))


def test_a_path_given_as_bytes_saves_and_loads(tmp_path):
    """``open`` takes bytes paths; save and load refused them (Path does not)."""
    model, other = nn.Linear(2, 1), nn.Linear(2, 1)
    path = bytes(tmp_path / "c.safetensors")
    assert cr.save(path, model, step=3) == tmp_path / "c.safetensors"
    assert cr.load(path, other) == {"step": 3}
    assert np.array_equal(other.weight.data, model.weight.data)


@pytest.mark.parametrize("name", [".", "..", "new/.", "new/.."])
def test_a_path_ending_in_a_dot_names_a_directory(tmp_path, monkeypatch, name):
    """``save("new/.")`` wrote a file named ``new`` (Path drops the dot); ``"."`` failed
    as "cannot write .: Device or resource busy". ``open(name, "wb")`` refuses them all."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises((IsADirectoryError, FileNotFoundError)):
        open(name, "wb").close()  # the truth to match: it never opens
    with pytest.raises(IsADirectoryError, match=rf"cannot write {re.escape(name)}: the path names"):
        cr.save(name, nn.Linear(2, 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_path_is_named_as_empty(tmp_path, monkeypatch):
    """Path("") is ".": save said "cannot write .: Device or resource busy" and load
    ".: ... not a regular file"; ``open("")`` says no such file."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="cannot write '': the path is empty"):
        cr.save("", nn.Linear(2, 1))
    with pytest.raises(cr.CheckpointError, match=r"^'': cannot read the checkpoint: .*empty"):
        cr.load("", nn.Linear(2, 1))
    assert list(tmp_path.iterdir()) == []
