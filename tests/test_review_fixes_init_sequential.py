"""Found by review: what was wrong in nn.init, Sequential and the docs."""

from __future__ import annotations

import contextlib
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

init = nn.init
ROOT = Path(__file__).resolve().parents[1]


class _TooSlowError(Exception):
    pass


@contextlib.contextmanager
def _at_most(seconds: float):
    """Fail with _TooSlowError instead of hanging (trunc_normal_ used to loop for ever)."""

    def stop(signum, frame):
        raise _TooSlowError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ----- trunc_normal_: an interval that no value of the dtype can land in ---------------------
@pytest.mark.parametrize(
    ("dtype", "kwargs"),
    [
        # float32 has 1 and 1 + 1.19e-7 near 1: nothing in between, though the interval
        # holds 16% of N(1, 1e-8²)
        ("float32", {"mean": 1.0, "std": 1e-8, "a": 1 + 1e-8, "b": 1 + 1e-7}),
        # float16's spacing at 1000 is 0.5
        ("float16", {"mean": 1000.0, "std": 0.1, "a": 1000.1, "b": 1000.4}),
        # every draw is beyond float16's range: inf, outside [a, b]
        ("float16", {"mean": 1e5, "std": 1.0, "a": -1e6, "b": 1e6}),
        # std 0: every draw is the mean, 0.1, which float16 rounds below a = 0.1
        ("float16", {"mean": 0.1, "std": 0.0, "a": 0.1, "b": 1.0}),
    ],
)
def test_trunc_normal_refuses_an_interval_its_dtype_cannot_land_in(dtype, kwargs):
    w = nn.Parameter(np.zeros(3, dtype))
    with _at_most(5), pytest.raises(ValueError, match=f"once drawn in {dtype}, too little"):
        init.trunc_normal_(w, generator=np.random.default_rng(0), **kwargs)
    assert np.array_equal(w.data, np.zeros(3, dtype))


def test_trunc_normal_still_draws_where_the_dtype_has_values():
    rng = np.random.default_rng(1)
    w = nn.Parameter(np.zeros(500, np.float16))
    with _at_most(5), warnings.catch_warnings():
        warnings.simplefilter("error")  # a draw beyond float16's range made a warning
        init.trunc_normal_(w, mean=6e4, std=1e4, a=5e4, b=1e6, generator=rng)
    assert np.isfinite(w.data).all()
    assert (w.data >= 5e4).all()
    v = nn.Parameter(np.zeros(3))
    init.trunc_normal_(v, mean=0.1, std=0.0, a=0.1, b=1.0, generator=rng)  # float64 holds 0.1
    assert v.data.tolist() == [0.1, 0.1, 0.1]


# ----- constant_: an integer beyond int64 -------------------------------------------------------
@pytest.mark.parametrize(("dtype", "val"), [("int64", 2**70), ("uint64", 2**64)])
def test_constant_names_an_integer_too_large_for_the_dtype(dtype, val):
    w = cr.tensor(np.zeros(2, dtype))
    with pytest.raises(ValueError, match=f"dtype {dtype} cannot hold {val}"):
        init.constant_(w, val)
    assert w.data.tolist() == [0, 0]
    assert init.constant_(cr.tensor(np.zeros(2, "uint64")), 2**64 - 1).data[0] == 2**64 - 1


# ----- Sequential.pop with a slice --------------------------------------------------------------
def test_sequential_pop_of_a_slice_returns_a_sequential_as_in_pytorch():
    relu, tanh, lin = nn.ReLU(), nn.Tanh(), nn.Linear(2, 2)
    seq = nn.Sequential(relu, tanh, lin)
    popped = seq.pop(slice(0, 2))
    assert isinstance(popped, nn.Sequential)
    assert list(popped) == [relu, tanh]
    assert list(seq) == [lin]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(IndexError, match="out of range"):
        nn.Sequential().pop()


# ----- the docs say what the ops are ------------------------------------------------------------
def test_readme_lists_floor_division_and_remainder_among_the_ops():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ops = text.split("- Ops, all differentiable", 1)[1].split("\n- ", 1)[0]
    assert "// %" in ops
    assert "remainder" in ops
    assert "floor_divide" in ops


def test_reliability_no_longer_says_floor_division_is_missing():
    text = " ".join((ROOT / "docs" / "reliability.md").read_text(encoding="utf-8").split())
    assert "`//` and `%` are not offered" not in text
    assert "Covered forwards: add, sub, mul, div, pow, remainder, floor_divide," in text
