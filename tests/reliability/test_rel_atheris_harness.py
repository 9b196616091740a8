"""The optional atheris harness (fuzz_atheris.py) runs its one-input functions here on a
few inputs: valid seeds load, damaged ones end in the documented error, and any other
exception escapes, as atheris needs it to."""

from __future__ import annotations

import gzip
import random

import fuzz_atheris
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import read_idx


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return fuzz_atheris.write_seeds(tmp_path_factory.mktemp("seeds"))


@pytest.fixture
def targets(tmp_path):
    return fuzz_atheris.Targets(tmp_path)


def test_the_seeds_are_valid_files(seeds, targets):
    checkpoint, idx, idx_gz = seeds
    before = [p.data.copy() for p in targets.model.parameters()]
    cr.load(checkpoint, targets.model, targets.opt)  # the fuzzed model takes the checkpoint
    after = [p.data for p in targets.model.parameters()]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))  # one step of Adam
    want = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(idx), want)
    np.testing.assert_array_equal(read_idx(idx_gz), want)


@pytest.mark.parametrize("kind", ["checkpoint", "idx"])
def test_damaged_inputs_end_in_the_documented_error(seeds, targets, kind):
    rng = random.Random(1)
    target = getattr(targets, kind)
    for seed in seeds if kind == "idx" else seeds[:1]:
        data = seed.read_bytes()
        target(data)
        for cut in range(0, len(data), max(1, len(data) // 40)):
            target(data[:cut])
        for _ in range(40):
            flipped = bytearray(data)
            flipped[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            target(bytes(flipped))
        target(bytes(rng.randrange(256) for _ in range(64)))
        target(gzip.compress(data[: len(data) // 2]))


def test_another_exception_escapes_for_atheris_to_report(targets, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(cr, "load", broken)
    with pytest.raises(KeyError):
        targets.checkpoint(b"anything")


def test_without_atheris_the_command_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "atheris", None)
    assert fuzz_atheris.main(["fuzz_atheris.py", "checkpoint"]) == 2
    assert "pip install atheris" in capsys.readouterr().err
    assert fuzz_atheris.main(["fuzz_atheris.py", "pickles"]) == 2
    assert capsys.readouterr().err.startswith("usage: ")
