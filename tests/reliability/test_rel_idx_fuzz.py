"""Fuzz target for the IDX reader and `load_mnist`: hypothesis-driven, seeded, fixed budget.

Generators: byte-level damage to small valid files (raw and gzip), random headers with
random amounts of data, random bytes, and pairs of MNIST files built from both. Whatever
comes in, `read_idx` either raises `IDXFormatError` or returns an array of exactly the
declared shape holding exactly the file's data (IDX has no checksum, so a flipped data
bit is a different valid file); no other exception, ever; and memory stays within a small
multiple of the data declared *and present*. CI runs `CI_BUDGET` examples per generator,
``-m slow`` runs `LONG_BUDGET`.
"""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_conftest import fuzz_settings, peak_memory, record

import chainrule.data as crd
from chainrule.data import IDXFormatError, read_idx

CI_BUDGET, LONG_BUDGET = 150, 5000
BUDGETS = [
    pytest.param(CI_BUDGET, id="ci"),
    pytest.param(LONG_BUDGET, id="long", marks=pytest.mark.slow),
]
CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MIB = 1 << 20


def header(code: int, *dims: int) -> bytes:
    return struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


SEEDS = {
    "ubyte 4×3×3": header(0x08, 4, 3, 3) + bytes(range(36)),
    "short 3×2": header(0x0B, 3, 2) + np.arange(6, dtype=">i2").tobytes(),
    "double 2": header(0x0E, 2) + np.array([1.5, -2.0], ">f8").tobytes(),
}


def _expected(data: bytes) -> np.ndarray | None:
    """What a correct reader returns for raw IDX bytes, or None if they are malformed."""
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in CODES or not 1 <= data[3] <= 32:
        return None
    ndim, dtype = data[3], np.dtype(CODES[data[2]])
    if len(data) < 4 + 4 * ndim:
        return None
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    if int(np.prod(shape, dtype=object)) * dtype.itemsize != len(body):
        return None
    if int(np.prod([max(d, 1) for d in shape], dtype=object)) * dtype.itemsize >= 2**63:
        return None  # an empty array NumPy cannot shape
    return np.frombuffer(body, dtype).reshape(shape)


@pytest.fixture
def check(tmp_path):
    """``check(raw_bytes, compress)``: read the file; compare with `_expected`."""
    path = tmp_path / "fuzz-idx"

    def run(data: bytes, compress: bool) -> None:
        stored = gzip.compress(data, mtime=0) if compress else data
        path.write_bytes(stored)
        peak, out, error = peak_memory(lambda: read_idx(path))
        outcome = "accepted" if error is None else "documented error"
        if error is not None and not isinstance(error, IDXFormatError):
            outcome = "other"
        record("idx fuzz", outcome, peak, len(stored))
        assert outcome != "other", f"{type(error).__name__}: {error}"
        expected = _expected(data)
        if expected is None:
            assert error is not None, "malformed bytes were accepted"
            assert str(error).startswith(f"{path}: ")
        else:
            assert error is None, f"valid bytes rejected: {error}"
            assert out.shape == expected.shape
            np.testing.assert_array_equal(out, expected)
        assert peak <= 3 * len(data) + MIB, (peak, len(data))

    return run


def _damage(draw, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and out:
            out[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del out[at : at + draw(st.integers(1, 8))]
        else:
            del out[at:]
    return bytes(out)


@st.composite
def damaged(draw):
    return _damage(draw, SEEDS[draw(st.sampled_from(sorted(SEEDS)))])


@st.composite
def random_headers(draw):
    """A plausible header (mostly valid codes, small or huge dims) and 0-64 data bytes."""
    code = draw(st.sampled_from(sorted(CODES)) | st.integers(0, 255))
    dims = draw(st.lists(st.integers(0, 4) | st.integers(0, 2**32 - 1), min_size=1, max_size=4))
    size = int(np.prod(dims, dtype=object)) * np.dtype(CODES.get(code, ">u1")).itemsize
    n = draw(st.sampled_from([size, size - 1, size + 1]) | st.integers(0, 64))
    return header(code, *dims) + draw(st.binary(min_size=min(max(n, 0), 64), max_size=64))


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_damaged_files(check, budget, compress):
    @fuzz_settings(budget)
    @given(data=damaged())
    def run(data):
        check(data, compress)

    run()


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_random_headers(check, budget, compress):
    @fuzz_settings(budget)
    @given(data=random_headers())
    def run(data):
        check(data, compress)

    run()


@pytest.mark.parametrize("budget", BUDGETS)
def test_random_bytes(tmp_path, budget):
    """Random bytes, sometimes behind the gzip magic: IDXFormatError or a valid array."""
    path = tmp_path / "random"

    @fuzz_settings(budget)
    @given(prefix=st.sampled_from([b"", b"\x00\x00", b"\x1f\x8b"]), data=st.binary(max_size=256))
    def run(prefix, data):
        path.write_bytes(prefix + data)
        peak, _, error = peak_memory(lambda: read_idx(path))
        ok = error is None or isinstance(error, IDXFormatError)
        record("idx fuzz", "other" if not ok else "documented error" if error else "accepted")
        assert ok, f"{type(error).__name__}: {error}"
        assert peak <= MIB

    run()


# ----- load_mnist -----------------------------------------------------------------------------
@st.composite
def mnist_file(draw, kind: str):
    n = draw(st.integers(0, 3))
    if kind == "images":
        good = header(0x08, n, 2, 2) + bytes(range(4 * n))
    else:
        good = header(0x08, n) + bytes(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)))
    return _damage(draw, good) if draw(st.booleans()) else good


@pytest.mark.parametrize("budget", BUDGETS)
def test_load_mnist_on_damaged_pairs(tmp_path, budget):
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")

    @fuzz_settings(budget)
    @given(images=mnist_file("images"), labels=mnist_file("labels"), zipped=st.booleans())
    def run(images, labels, zipped):
        for name in names:
            for stale in (tmp_path / name, tmp_path / f"{name}.gz"):
                stale.unlink(missing_ok=True)
        suffix = ".gz" if zipped else ""
        (tmp_path / f"{names[0]}{suffix}").write_bytes(gzip.compress(images) if zipped else images)
        (tmp_path / f"{names[1]}{suffix}").write_bytes(gzip.compress(labels) if zipped else labels)
        try:
            bundle = crd.load_mnist(tmp_path)
        except IDXFormatError:
            record("mnist fuzz", "documented error")
            return
        except Exception:
            record("mnist fuzz", "other")
            raise
        record("mnist fuzz", "accepted")
        assert bundle.X.shape[0] == bundle.y.shape[0]
        assert bundle.y.min(initial=0) >= 0
        assert bundle.y.max(initial=0) <= 9
        assert np.all((bundle.X >= 0) & (bundle.X <= 1))

    run()
