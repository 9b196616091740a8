"""Strict reader for the IDX format of MNIST-style files, raw or gzip-compressed.

    bytes 0-1   0x00 0x00
    byte  2     dtype code: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double
    byte  3     ndim
    then        ndim big-endian uint32 dimensions, then the items, big-endian, C order

Every declared size is checked (with Python ints, so nothing overflows) against what the
file holds before the data is read; trailing bytes are an error. A gzip stream is read in
bounded chunks and never past the declared size + 1 byte, so a decompression bomb cannot
exhaust memory.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import BinaryIO

import numpy as np

from .._files import open_regular

_GZIP_MAGIC = b"\x1f\x8b"
_DTYPES = {
    0x08: (np.dtype(">u1"), "unsigned byte"),
    0x09: (np.dtype(">i1"), "signed byte"),
    0x0B: (np.dtype(">i2"), "short"),
    0x0C: (np.dtype(">i4"), "int"),
    0x0D: (np.dtype(">f4"), "float"),
    0x0E: (np.dtype(">f8"), "double"),
}
_MAX_NDIM = 32
_MAX_DEFLATE_RATIO = 1032  # deflate never expands a stream by more than about 1032:1
_CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 1 << 31


class IDXFormatError(ValueError):
    """A file that is not valid IDX; the message names the file and the offending field."""


def read_idx(path: str | os.PathLike, max_bytes: int | None = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Read an IDX file (raw or gzip, told apart by its first bytes) into a NumPy array.

    The array has the declared shape and dtype (native byte order) and is writable.
    ``max_bytes`` caps the data size a header may declare (2 GiB by default; None lifts it).
    Raises `IDXFormatError` for anything malformed, naming the file and the field.
    """
    _check_max_bytes(max_bytes)
    name = os.fspath(path)
    f, size = open_regular(name)  # a device or a pipe would never end (OSError)
    with f:
        compressed = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        if not compressed:
            return _read_stream(f, name, size, max_bytes, compressed=False)
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as gz:
                return _read_stream(gz, name, size, max_bytes, compressed=True)
        except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
            raise IDXFormatError(f"{name}: gzip stream: {err}") from err


def _check_max_bytes(max_bytes) -> None:
    """None or a non-negative int (bool is not a size), or an error naming ``max_bytes``."""
    if max_bytes is None:
        return
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"read_idx: max_bytes must be an int or None, got {max_bytes!r}")
    if max_bytes < 0:
        raise ValueError(f"read_idx: max_bytes must be >= 0, got {max_bytes}")


def _read_stream(
    stream: BinaryIO, name: str, file_size: int, max_bytes: int | None, compressed: bool
) -> np.ndarray:
    """Header, size checks, then the data; ``file_size`` is the size on disk."""
    dtype, kind, shape = _read_header(stream, name)
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    declared = _declared(shape, kind, dtype.itemsize, nbytes)
    if compressed:
        _check_deflate_bound(name, declared, nbytes, file_size)
    else:
        _check_size(name, declared, nbytes, file_size - stream.tell(), exact=True)
    if max_bytes is not None and nbytes > max_bytes:
        raise IDXFormatError(f"{name}: dimensions: {declared}, more than max_bytes={max_bytes}")
    data = _read_bounded(stream, nbytes)
    _check_size(name, declared, nbytes, len(data), exact=not compressed)
    _check_representable(name, declared, shape, dtype.itemsize)
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def _read_header(stream: BinaryIO, name: str) -> tuple[np.dtype, str, tuple[int, ...]]:
    magic = _read_exact(stream, 4, name, "magic number")
    if magic[:2] != b"\x00\x00":
        raise IDXFormatError(
            f"{name}: magic number: first two bytes must be 0x00 0x00, got "
            f"0x{magic[0]:02X} 0x{magic[1]:02X} (not an IDX file)"
        )
    if magic[2] not in _DTYPES:
        known = ", ".join(f"0x{code:02X} {kind}" for code, (_, kind) in _DTYPES.items())
        raise IDXFormatError(f"{name}: dtype code: 0x{magic[2]:02X} is not one of {known}")
    ndim = magic[3]
    if not 1 <= ndim <= _MAX_NDIM:
        raise IDXFormatError(f"{name}: ndim: must be 1 to {_MAX_NDIM}, got {ndim}")
    raw = _read_exact(stream, 4 * ndim, name, f"dimensions ({ndim} × 4 bytes)")
    shape = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    dtype, kind = _DTYPES[magic[2]]
    return dtype, kind, shape


def _read_exact(stream: BinaryIO, n: int, name: str, field: str) -> bytes:
    data = _read_upto(stream, n)
    if len(data) != n:
        raise IDXFormatError(
            f"{name}: {field}: needs {n} bytes but the file ends after {len(data)}"
        )
    return bytes(data)


def _read_bounded(stream: BinaryIO, nbytes: int) -> bytearray:
    """The data plus one byte more if there is one, to tell trailing bytes apart."""
    return _read_upto(stream, nbytes + 1)


def _read_upto(stream: BinaryIO, limit: int) -> bytearray:
    """At most ``limit`` bytes, chunk by chunk, so memory follows what is really there."""
    out = bytearray()
    while len(out) < limit:
        chunk = stream.read(min(_CHUNK, limit - len(out)))
        if not chunk:
            break
        out += chunk
    return out


def _declared(shape: tuple[int, ...], kind: str, itemsize: int, nbytes: int) -> str:
    rest = f" of {'×'.join(map(str, shape[1:]))}" if len(shape) > 1 else ""
    return f"declares {shape[0]} items{rest} ({itemsize}-byte {kind}) = {nbytes} bytes"


def _check_size(name: str, declared: str, nbytes: int, actual: int, exact: bool) -> None:
    """``actual``: bytes after the header (for gzip, at most ``nbytes + 1`` were read)."""
    if actual < nbytes:
        raise IDXFormatError(f"{name}: dimension 0: {declared} but only {actual} bytes follow")
    if actual > nbytes:
        extra = f"{actual} bytes follow ({actual - nbytes} trailing)" if exact else "more follow"
        raise IDXFormatError(f"{name}: data: {declared} but {extra}")


def _check_representable(name: str, declared: str, shape: tuple, itemsize: int) -> None:
    """An empty array whose other dimensions multiply past what NumPy can index."""
    if math.prod(max(d, 1) for d in shape) * itemsize > np.iinfo(np.intp).max:
        raise IDXFormatError(f"{name}: dimensions: {declared}, too large for a NumPy array")


def _check_deflate_bound(name: str, declared: str, nbytes: int, gzip_size: int) -> None:
    bound = _MAX_DEFLATE_RATIO * gzip_size
    if nbytes > bound:
        raise IDXFormatError(
            f"{name}: dimensions: {declared}, but a gzip file of {gzip_size} bytes "
            f"cannot hold more than {bound}"
        )
