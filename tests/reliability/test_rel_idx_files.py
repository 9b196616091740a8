"""IDX files (MNIST format) from strangers: every hostile file raises `IDXFormatError` whose
message starts with the file's path and names the field, and memory stays bounded.

The cases: empty and short files, wrong magic numbers, every invalid dtype code, every
invalid ndim, dimension products that overflow, declared sizes far beyond the file, every
truncation of a small valid file (raw and gzip), trailing bytes, gzip streams that are
truncated, corrupt or a decompression bomb, and, through `load_mnist`, image/label count
mismatches, labels out of range and files of the wrong kind. tests/data/test_idx.py checks
single examples of several of these; here they are enumerated.
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib

import numpy as np
import pytest
from reliability_conftest import note, peak_memory, record

import chainrule.data as crd
from chainrule.data import IDXFormatError, read_idx

KIB, MIB = 1 << 10, 1 << 20
VALID_CODES = {0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E}


def header(code: int, *dims: int) -> bytes:
    return struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


def small_valid() -> bytes:
    """A 3×2 array of big-endian shorts: 4 + 8 header bytes, 12 data bytes."""
    return header(0x0B, 3, 2) + np.arange(6, dtype=">i2").tobytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def assert_rejected(path, field: str, bound: int | None = None, parser: str = "idx"):
    """read_idx raises IDXFormatError starting with the path and matching ``field``;
    the peak allocation is within ``bound`` (default: 3 × the file size + 1 MiB)."""
    peak, _, error = peak_memory(lambda: read_idx(path))
    size = path.stat().st_size
    documented = isinstance(error, IDXFormatError)
    record(parser, "documented error" if documented else "other", peak, size)
    assert documented, f"{type(error).__name__}: {error}"
    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert re.search(field, message), message
    assert "\n" not in message
    bound = 3 * size + MIB if bound is None else bound
    assert peak <= bound, f"peak allocation {peak} bytes for a file of {size} bytes"
    return peak


# ----- the table ----------------------------------------------------------------------------
CASES = {  # name -> (bytes, field pattern)
    "empty": (b"", r"magic number: needs 4 bytes but the file ends after 0"),
    "1 byte": (b"\x00", r"magic number: needs 4 bytes"),
    "3 bytes": (b"\x00\x00\x08", r"magic number: needs 4 bytes"),
    "magic 0x0001": (b"\x00\x01\x08\x01" + bytes(8), r"magic number: first two bytes"),
    "a zip file": (b"PK\x03\x04" + bytes(30), r"magic number: first two bytes"),
    "a NumPy file": (b"\x93NUMPY\x01\x00" + bytes(30), r"magic number: first two bytes"),
    "a pickle": (b"\x80\x04\x95" + bytes(30), r"magic number: first two bytes"),
    "ndim 0": (b"\x00\x00\x08\x00", r"ndim: must be 1 to 32, got 0"),
    "dimensions cut short": (header(0x08, 2, 3)[:9], r"dimensions \(2 × 4 bytes\): needs 8"),
    "no data": (header(0x08, 2, 3), r"dimension 0: declares 2 items of 3 .* only 0 bytes"),
    "too little data": (header(0x0C, 5) + bytes(19), r"dimension 0: .* = 20 bytes but only 19"),
    "dimension product overflows 64 bits": (
        header(0x0E, *[0xFFFFFFFF] * 4) + bytes(16),
        r"dimension 0: declares 4294967295 items .* but only 16 bytes follow",
    ),
    "32 dimensions of 2**32-1": (
        header(0x08, *[0xFFFFFFFF] * 32) + bytes(8),
        r"dimension 0: .* but only 8 bytes follow",
    ),
    "60000 MNIST images declared, 100 bytes present": (
        header(0x08, 60000, 28, 28) + bytes(100),
        r"dimension 0: declares 60000 items of 28×28 .* = 47040000 bytes but only 100",
    ),
    "zero items of 2**32-1 × 2**32-1": (
        header(0x08, 0, 0xFFFFFFFF, 0xFFFFFFFF),
        r"dimensions: declares 0 items .* too large for a NumPy array",
    ),
    "one trailing byte": (small_valid() + b"\x00", r"data: .* \(1 trailing\)"),
    "a second file appended": (small_valid() * 2, r"data: .* \(24 trailing\)"),
    "gzip: one trailing byte": (gz(small_valid() + b"\x07"), r"data: .* but more follow"),
    "gzip: declares more than deflate can hold": (
        gz(header(0x08, 60000, 28, 28) + bytes(1000)),
        r"dimensions: .* cannot hold more than",
    ),
    "gzip: header only": (gz(b""), r"magic number: needs 4 bytes"),
    "gzip: CRC32 wrong": (gz(small_valid())[:-8] + b"\x00" * 4 + gz(small_valid())[-4:], "gzip"),
    "gzip: length field wrong": (gz(small_valid())[:-4] + b"\xff" * 4, r"gzip stream"),
    "gzip: deflate data corrupt": (
        gz(small_valid())[:10] + b"\xff" * 6 + gz(small_valid())[16:],
        r"gzip stream",
    ),
    "gzip: bad flags": (b"\x1f\x8b\x08\xe0" + bytes(20), r"gzip stream"),
    "gzip: not deflate": (b"\x1f\x8b\x07\x00" + bytes(20), r"gzip stream"),
    "gzip: magic only": (b"\x1f\x8b", r"gzip stream"),
    "gzip: garbage after the stream": (gz(small_valid()) + b"garbage!", r"gzip stream"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_files(tmp_path, name):
    data, field = CASES[name]
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(data)
    assert_rejected(path, field)


def test_every_invalid_dtype_code(tmp_path):
    path = tmp_path / "codes"
    invalid = [code for code in range(256) if code not in VALID_CODES]
    for code in invalid:
        path.write_bytes(header(code, 2) + bytes(16))
        assert_rejected(path, rf"dtype code: 0x{code:02X} is not one of 0x08 unsigned byte")
    assert len(invalid) == 250


def test_every_invalid_ndim(tmp_path):
    path = tmp_path / "ndims"
    for ndim in [0, *range(33, 256)]:
        path.write_bytes(bytes([0, 0, 0x08, ndim]) + bytes(4 * ndim))
        assert_rejected(path, rf"ndim: must be 1 to 32, got {ndim}")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_every_truncation_of_a_small_valid_file(tmp_path, compress):
    data = gz(small_valid()) if compress else small_valid()
    path = tmp_path / "cut"
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        assert_rejected(path, r"magic number|dimension|gzip stream")
    path.write_bytes(data)
    assert read_idx(path).tolist() == [[0, 1], [2, 3], [4, 5]]  # the control


def test_max_bytes_is_checked_before_reading(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(header(0x08, 1 << 20) + bytes(1 << 20))
    peak, _, error = peak_memory(lambda: read_idx(path, max_bytes=1 << 10))
    assert isinstance(error, IDXFormatError)
    assert "more than max_bytes=1024" in str(error)
    assert peak < 64 * KIB


# ----- decompression bombs --------------------------------------------------------------------
def _bomb(declared: int, members: int) -> bytes:
    """A gzip file of ``members`` copies of a member holding 16 MiB of zeros: 16 KiB of
    compressed data per 16 MiB, after an IDX header that declares ``declared`` bytes."""
    zeros = gzip.compress(bytes(16 * MIB), compresslevel=9, mtime=0)
    return gz(header(0x08, declared)) + zeros * members


def test_a_one_gigabyte_bomb_declaring_ten_bytes_reads_eleven(tmp_path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(_bomb(10, members=64))  # 1 GiB of zeros in about 1 MiB of gzip
    peak = assert_rejected(path, r"data: declares 10 items .* but more follow", bound=4 * MIB)
    note("idx gzip bombs", **{"1 GiB bomb: file bytes": path.stat().st_size, "peak bytes": peak})


def test_a_bomb_declaring_the_most_deflate_allows_stays_within_that(tmp_path):
    """The deflate bound (1032:1) caps what a header may declare and reading stops one byte
    past the declared size, so memory follows the file's size times 1032 at most, whatever
    the stream would inflate to."""
    path = tmp_path / "bomb.gz"
    declared = 1032 * len(_bomb(0, members=1))
    path.write_bytes(_bomb(declared, members=1))  # 16 MiB of zeros, about 17 MB declared
    peak = assert_rejected(
        path, r"dimension 0: .* but only \d+ bytes follow", bound=3 * declared + MIB
    )
    note("idx gzip bombs", **{"deflate-bound bomb: declared bytes": declared, "its peak": peak})


# ----- load_mnist -----------------------------------------------------------------------------
NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def _mnist_dir(tmp_path, images: bytes, labels: bytes):
    (tmp_path / NAMES[0]).write_bytes(images)
    (tmp_path / NAMES[1]).write_bytes(labels)
    return tmp_path


def _images(n: int, rows: int = 28, cols: int = 28) -> bytes:
    return header(0x08, n, rows, cols) + bytes(n * rows * cols)


def _labels(values, code: int = 0x08, dtype: str = ">u1") -> bytes:
    values = np.asarray(values)
    return header(code, *values.shape) + values.astype(dtype).tobytes()


MNIST_CASES = {  # name -> (images, labels, file, message pattern)
    "5 images, 4 labels": (_images(5), _labels(range(4)), 0, r"holds 5 images but .* 4 labels"),
    "a label of 10": (_images(3), _labels([1, 10, 2]), 1, r"labels must be 0-9, but label 1"),
    "a label of 255": (_images(2), _labels([255, 0]), 1, r"label 0 is 255"),
    "labels as int32": (_images(2), _labels([1, 2], 0x0C, ">i4"), 1, r"unsigned bytes"),
    "labels as a 2-D array": (_images(2), _labels([[1, 2]]), 1, r"shape \(N,\)"),
    "images as a 2-D array": (header(0x08, 2, 784) + bytes(1568), _labels([1, 2]), 0, "rows"),
    "images as shorts": (header(0x0B, 1, 2, 2) + bytes(8), _labels([1]), 0, "unsigned bytes"),
    "images of 0 rows": (header(0x08, 2, 0, 28), _labels([1, 2]), 0, r"shape \(2, 0, 28\)"),
    "images of 0 columns": (header(0x08, 0, 28, 0), _labels([]), 0, r"shape \(0, 28, 0\)"),
    "the two files swapped": (_labels(range(3)), _images(3), 0, r"images must be"),
    "a corrupt label file": (_images(2), b"\x00\x00\x08", 1, r"magic number"),
}


@pytest.mark.parametrize("name", list(MNIST_CASES))
def test_load_mnist_rejects(tmp_path, name):
    images, labels, which, pattern = MNIST_CASES[name]
    root = _mnist_dir(tmp_path, images, labels)
    peak, _, error = peak_memory(lambda: crd.load_mnist(root))
    record("mnist", "documented error" if isinstance(error, IDXFormatError) else "other", peak)
    assert isinstance(error, IDXFormatError), f"{type(error).__name__}: {error}"
    assert str(error).startswith(str(root / NAMES[which])), str(error)
    assert re.search(pattern, str(error)), str(error)
    assert peak <= 3 * (len(images) + len(labels)) + MIB


def test_load_mnist_accepts_the_control(tmp_path):
    root = _mnist_dir(tmp_path, _images(3), _labels([0, 9, 5]))
    data = crd.load_mnist(root)
    assert data.X.shape == (3, 784)
    assert data.y.tolist() == [0, 9, 5]


def test_a_gzip_error_is_chained_to_its_cause(tmp_path):
    path = tmp_path / "f.gz"
    path.write_bytes(gz(small_valid())[:-8] + b"\x00" * 8)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    assert isinstance(info.value.__cause__, (OSError, EOFError, zlib.error))
