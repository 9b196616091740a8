"""Fault injection into the checkpoint writer: an OSError or a KeyboardInterrupt at every step.

`cr.save` writes through `atomic_write`: temporary file, write, flush, fsync, close,
rename over the target, fsync of the directory. The test wraps every one of those calls
(through the `os` and `tempfile` names the module uses) so that a fault can be raised just
before the call or just after it returns, and a write can fail half-way. A dry run lists
the steps; then each step fails in turn, with each error, with and without a previous
checkpoint in place. After every fault:

- the exception that escapes is the injected one (or none, where the writer deliberately
  tolerates it: a directory that cannot be opened for fsync);
- the target holds exactly the previous checkpoint (fault before the rename) or exactly
  the new one (fault after it), and loads;
- no temporary file is left behind, and the next successful save leaves only the target.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from reliability_conftest import note, trained

import chainrule as cr
from chainrule import _atomic_write

ERRORS = {
    "OSError(ENOSPC)": lambda: OSError(errno.ENOSPC, "No space left on device"),
    "KeyboardInterrupt": KeyboardInterrupt,
}


class Faults:
    """Counts the writer's steps; raises ``error`` at step number ``fail_at``."""

    def __init__(self, fail_at: int | None = None, error=None):
        self.fail_at, self.error, self.steps = fail_at, error, []

    def step(self, name: str) -> None:
        self.steps.append(name)
        if len(self.steps) - 1 == self.fail_at:
            raise self.error()

    def around(self, name: str, call, *args):
        self.step(f"{name}: before")
        out = call(*args)
        self.step(f"{name}: after")
        return out


class _File:
    """The file object from os.fdopen, with its write/flush/close steps counted."""

    def __init__(self, fh, faults: Faults):
        self.fh, self.faults = fh, faults

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:  # already failing: just close, as the real `with` would
            self.fh.close()
            return False
        try:
            self.faults.around("close file", self.fh.close)
        finally:
            self.fh.close()
        return False

    def write(self, data: bytes) -> int:
        self.faults.step("write: before")
        half = len(data) // 2
        self.fh.write(data[:half])
        self.fh.flush()
        self.faults.step("write: half written")
        n = half + self.fh.write(data[half:])
        self.faults.step("write: after")
        return n

    def flush(self) -> None:
        self.faults.around("flush", self.fh.flush)

    def fileno(self) -> int:
        return self.fh.fileno()


class _OS:
    """`os` as the writer sees it, with the calls it makes counted."""

    def __init__(self, faults: Faults):
        self._faults, self._fsyncs = faults, 0

    def __getattr__(self, name):
        return getattr(os, name)

    def fdopen(self, fd, *args, **kwargs):
        try:
            self._faults.step("fdopen: before")
        except BaseException:
            os.close(fd)  # the writer would leak it; the test process should not
            raise
        return _File(os.fdopen(fd, *args, **kwargs), self._faults)

    def fsync(self, fd) -> None:
        self._fsyncs += 1
        what = "fsync file" if self._fsyncs == 1 else "fsync directory"
        self._faults.around(what, os.fsync, fd)

    def replace(self, src, dst) -> None:
        self._faults.around("rename", os.replace, src, dst)

    def open(self, path, flags, *args):
        return self._faults.around("open directory", os.open, path, flags, *args)

    def close(self, fd) -> None:
        self._faults.around("close directory", os.close, fd)


@contextmanager
def injected(faults: Faults):
    names = {"os": _OS(faults), "tempfile": SimpleNamespace(mkstemp=_mkstemp(faults))}
    saved = {name: getattr(_atomic_write, name) for name in names}
    for name, value in names.items():
        setattr(_atomic_write, name, value)
    try:
        yield faults
    finally:
        for name, value in saved.items():
            setattr(_atomic_write, name, value)


def _mkstemp(faults: Faults):
    def mkstemp(*args, **kwargs):
        faults.step("create temporary file: before")
        return tempfile.mkstemp(*args, **kwargs)

    return mkstemp


# ----- the test -------------------------------------------------------------------------------
def _save(path, seed: int, epoch: int):
    model, opt = trained(seed=seed)
    return cr.save(path, model, opt, epoch=epoch)


@functools.cache
def steps() -> tuple[str, ...]:
    """The writer's steps, in order, from a dry run."""
    with tempfile.TemporaryDirectory() as d, injected(Faults()) as faults:
        _save(os.path.join(d, "ckpt.safetensors"), seed=0, epoch=1)
    return tuple(faults.steps)


def test_the_dry_run_sees_every_step():
    for step in ("write: half written", "flush: after", "fsync file: before", "rename: before"):
        assert step in steps()
    assert steps().index("fsync file: after") < steps().index("rename: before")
    assert steps()[-1] == "close directory: after"
    assert len(steps()) == 19


def _points(error: str) -> list[int]:
    """Where ``error`` can strike: a KeyboardInterrupt anywhere between two calls; an
    OSError only from a call itself, so before it takes effect (or half-way through a
    write, as a full disk does)."""
    if error == "KeyboardInterrupt":
        return list(range(len(steps())))
    return [i for i, s in enumerate(steps()) if s.endswith(("before", "half written"))]


def _expected_after(step: str) -> str:
    """Which checkpoint the target must hold after a fault at ``step``."""
    return "new" if steps().index(step) > steps().index("rename: before") else "old"


@pytest.mark.parametrize("previous", [True, False], ids=["over a checkpoint", "first save"])
@pytest.mark.parametrize("error", list(ERRORS))
def test_a_fault_at_every_step_loses_nothing(tmp_path, error, previous):
    path = tmp_path / "model.safetensors"
    problems = []
    points = _points(error)
    for at in points:
        step = steps()[at]
        for leftover in tmp_path.iterdir():
            leftover.unlink()
        if previous:
            _save(path, seed=1, epoch=1)
        old = path.read_bytes() if previous else None
        raised = None
        with injected(Faults(at, ERRORS[error])):
            try:
                _save(path, seed=2, epoch=2)
            except (OSError, KeyboardInterrupt) as e:
                raised = e
        problems += _check(path, step, error, raised, old)
        _save(path, seed=3, epoch=3)  # the next save succeeds and leaves only the target
        if sorted(p.name for p in tmp_path.iterdir()) != [path.name]:
            problems.append((step, "files left after the next save"))
        if cr.load(path) != {"epoch": 3}:
            problems.append((step, "the next save did not take"))
    note("checkpoint writer faults", **{f"cases with {error}": len(points)})
    assert not problems, problems


def _check(path, step: str, error: str, raised, old: bytes | None) -> list:
    problems = []
    tolerated = error.startswith("OSError") and step == "open directory: before"
    if raised is None and not tolerated:
        problems.append((step, "the fault was swallowed"))
    if raised is not None and type(raised).__name__ != error.split("(")[0]:
        problems.append((step, f"{type(raised).__name__} escaped instead"))
    leftovers = sorted(p.name for p in path.parent.iterdir() if p != path)
    if leftovers:
        problems.append((step, f"temporary files left: {leftovers}"))
    if _expected_after(step) == "new" or tolerated:
        if cr.load(path) != {"epoch": 2}:
            problems.append((step, "the new checkpoint is not in place"))
    elif old is None:
        if path.exists():
            problems.append((step, "a target appeared although the save failed"))
    elif path.read_bytes() != old:
        problems.append((step, "the previous checkpoint changed"))
    elif cr.load(path) != {"epoch": 1}:
        problems.append((step, "the previous checkpoint does not load"))
    return problems
