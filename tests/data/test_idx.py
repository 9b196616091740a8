"""read_idx: the IDX format read strictly, raw or gzip, with sizes checked before reading."""

from __future__ import annotations

import gzip
import os
import struct
import tracemalloc

import numpy as np
import pytest

from chainrule.data import IDXFormatError, read_idx

CODES = [
    (0x08, np.uint8, [0, 1, 127, 255]),
    (0x09, np.int8, [-128, -1, 0, 127]),
    (0x0B, np.int16, [-32768, -2, 256, 32767]),
    (0x0C, np.int32, [-(2**31), -5, 65536, 2**31 - 1]),
    (0x0D, np.float32, [-1.5, 0.0, 3.25, 1e30]),
    (0x0E, np.float64, [-1e-300, 0.1, 2.0, 1e300]),
]


def header(code: int, *dims: int) -> bytes:
    return struct.pack(">BBBB", 0, 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


def test_hand_assembled_bytes_give_known_values(tmp_path):
    path = tmp_path / "bytes.idx"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\xff")
    assert read_idx(path).tolist() == [1, 2, 255]
    path.write_bytes(b"\x00\x00\x0b\x02\x00\x00\x00\x01\x00\x00\x00\x02\x01\x00\xff\xfe")
    out = read_idx(path)
    assert out.tolist() == [[256, -2]]  # big-endian shorts 0x0100 and 0xFFFE
    assert out.dtype == np.int16


@pytest.mark.parametrize(("code", "dtype", "values"), CODES)
@pytest.mark.parametrize("compress", [False, True])
def test_every_dtype_code_round_trips(tmp_path, write_idx, code, dtype, values, compress):
    expected = np.array(values * 3, dtype=dtype).reshape(3, 2, 2)
    out = read_idx(write_idx(tmp_path / "f", expected, code, compress))
    assert out.dtype == np.dtype(dtype)  # native byte order
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, expected)
    out[0, 0, 0] = 1  # a fresh, writable array


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path, idx_bytes):
    data = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))
    (tmp_path / "compressed.idx").write_bytes(gzip.compress(data))
    (tmp_path / "plain.gz").write_bytes(data)
    for name in ("compressed.idx", "plain.gz"):
        assert read_idx(tmp_path / name).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_reads_str_paths_and_empty_dimensions(tmp_path, write_idx):
    path = write_idx(tmp_path / "empty", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(str(path)).shape == (0, 28, 28)


def test_error_is_a_value_error():
    assert issubclass(IDXFormatError, ValueError)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "magic number: needs 4 bytes but the file ends after 0"),
        (b"\x00\x00\x08", "magic number: needs 4 bytes"),
        (b"\x00\x01\x08\x01\x00\x00\x00\x00", "magic number: first two bytes must be 0x00 0x00"),
        (b"PK\x03\x04rest", "magic number"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x00", "dtype code: 0x0A is not one of"),
        (b"\x00\x00\x08\x00", "ndim: must be 1 to 32, got 0"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", "dimensions (3 × 4 bytes): needs 12 bytes"),
    ],
)
def test_malformed_headers_name_file_and_field(tmp_path, data, field):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ")
    assert field in str(info.value)


@pytest.mark.parametrize("compress", [False, True])
def test_too_few_data_bytes(tmp_path, compress):
    data = header(0x08, 5, 4, 4) + bytes(70)  # 80 declared
    path = tmp_path / ("short.gz" if compress else "short")
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    message = str(info.value)
    assert f"{path}: dimension 0: declares 5 items of 4×4" in message
    assert "= 80 bytes but only 70 bytes follow" in message


@pytest.mark.parametrize("compress", [False, True])
def test_trailing_bytes_are_an_error(tmp_path, compress):
    data = header(0x0B, 3) + bytes(6) + b"\x00"
    path = tmp_path / "long"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(IDXFormatError, match=r"data: declares 3 items \(2-byte short\) = 6 bytes"):
        read_idx(path)
    if not compress:
        with pytest.raises(IDXFormatError, match=r"7 bytes follow \(1 trailing\)"):
            read_idx(path)


def test_absurd_dimensions_fail_before_any_allocation(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(header(0x0E, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(16))
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match="only 16 bytes follow"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_gzip_declaring_more_than_deflate_can_hold_fails_early(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header(0x08, 60000, 28, 28) + bytes(1200)))
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    assert "dimensions: declares 60000 items of 28×28 (1-byte unsigned byte) = 47040000" in str(
        info.value
    )
    assert "cannot hold more than" in str(info.value)


def test_decompression_bomb_reads_only_declared_size_plus_one(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header(0x08, 10))
        for _ in range(64):  # 64 MiB of zeros behind a header that declares 10 bytes
            f.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match="10 bytes but more follow"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_max_bytes_caps_what_a_header_may_declare(tmp_path, write_idx):
    path = write_idx(tmp_path / "f", np.zeros((4, 4), np.uint8))
    assert read_idx(path, max_bytes=16).shape == (4, 4)
    assert read_idx(path, max_bytes=None).shape == (4, 4)
    with pytest.raises(IDXFormatError, match="more than max_bytes=15"):
        read_idx(path, max_bytes=15)


def test_corrupt_and_truncated_gzip(tmp_path, idx_bytes):
    good = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    path = tmp_path / "corrupt.gz"
    path.write_bytes(good[:10] + b"\xff" * 20 + good[30:])
    with pytest.raises(IDXFormatError, match=r"corrupt\.gz: gzip stream"):
        read_idx(path)
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(IDXFormatError, match="gzip stream"):
        read_idx(path)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


def test_a_path_that_is_not_a_regular_file_is_refused_without_reading(tmp_path):
    fifo = tmp_path / "train-images-idx3-ubyte"
    os.mkfifo(fifo)  # opening it for reading in the usual way would block forever
    with pytest.raises(OSError, match="not a regular file") as info:
        read_idx(fifo)
    assert str(fifo) in str(info.value)
