"""Shared helpers for the data tests: IDX files built byte by byte, and no network."""

from __future__ import annotations

import gzip
import struct
import urllib.request

import numpy as np
import pytest

# IDX dtype codes and the big-endian NumPy dtype each one stores.
IDX_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file's bytes: 0x00 0x00, dtype code, ndim, big-endian uint32 dims, data."""
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(IDX_CODES[code]).tobytes()


def _write_idx(path, array: np.ndarray, code: int = 0x08, compress: bool = False):
    """Write ``array`` as an IDX file at ``path``, gzipped if ``compress``; return the path."""
    data = _idx_bytes(array, code)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


@pytest.fixture
def idx_bytes():
    """``idx_bytes(array, code=0x08)``: the bytes of an IDX file holding ``array``."""
    return _idx_bytes


@pytest.fixture
def write_idx():
    """``write_idx(path, array, code=0x08, compress=False)``: write an IDX file."""
    return _write_idx


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Nothing in these tests may reach the network."""

    def refuse(*args, **kwargs):
        raise AssertionError("a data test tried to open a URL")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
