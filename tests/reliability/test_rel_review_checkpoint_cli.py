"""A user's review of checkpoints and the command line: what saving, loading and the
`chainrule` command did wrong with unusual values, paths and flags."""

from __future__ import annotations

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
