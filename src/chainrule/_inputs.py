"""The inputs of ``chainrule predict``: a .npy array or a .csv of numbers, one sample per
row, read strictly (a declared size is checked against the file before anything is
allocated; no object arrays) and checked value by value, with every error naming the file
and the line (counting from 1) or row.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from ._config import FLOAT32_MAX


class _Source:
    """Where predict's input rows are in their file: a CSV's line of each row (blank lines
    are skipped), or a .npy's row, each counted from 1."""

    def __init__(self, path: Path, lines: list[int] | None = None):
        self.path, self.lines = path, lines

    def where(self, r: int) -> str:
        """The row ``r`` (from 0) as the file numbers it."""
        return f"line {self.lines[r]}" if self.lines is not None else f"row {r + 1}"


def read_inputs(path: Path, n_features: int) -> tuple[np.ndarray, _Source]:
    """The rows of a .npy or .csv file as a float64 (n, ``n_features``) array, and where
    each row is in the file; a ValueError naming the file and the line or row otherwise."""
    suffix = path.suffix.lower()
    if suffix == ".npy":  # both readers open regular files only (a pipe would block)
        x, source = _read_npy(path), _Source(path)
    elif suffix == ".csv":
        x, source = _read_csv(path)
    else:
        raise ValueError(f"{path}: inputs must be a .npy or .csv file")
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{path}: inputs must be numbers, got dtype {x.dtype}")
    if x.ndim == 1 and x.size == n_features:
        x = x[None]  # one sample
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"{path}: no input rows (shape {x.shape})")
    rows = x.reshape(len(x), -1)  # an image per row is flattened
    if rows.shape[1] != n_features:
        raise ValueError(
            f"{path}: expected rows of {n_features} features, got shape {x.shape} "
            f"({rows.shape[1]} features per row)"
        )
    rows = rows.astype(np.float64)  # first: float16 cannot be compared with float32's limit
    _refuse_bad_values(source, rows, rows)
    return rows, source


def scaled_inputs(source: _Source, rows: np.ndarray, scaler) -> np.ndarray:
    """The run's scaling, applied in float64; the model's float32 must hold the result."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        z = scaler.transform(rows)
    _refuse_bad_values(source, rows, z, " once the run's scaling is applied")
    return z.astype(np.float32)


def _refuse_bad_values(source: _Source, rows: np.ndarray, values: np.ndarray, after="") -> None:
    """NaN, infinity or a value beyond float32 (the model's dtype) in ``values`` is an
    error naming the first: its line or row and feature (from 1) and its value in ``rows``."""
    finite = np.isfinite(values)
    too_large = finite & (np.abs(values) > FLOAT32_MAX)
    limit = f"at most {FLOAT32_MAX:.4g} in magnitude"
    for bad, what in (
        (~finite, f"is NaN or infinite{after}"),
        (too_large, f"is too large for the model's float32{after} ({limit})"),
    ):
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(
                f"{source.path}: the input at {source.where(r)}, feature {c + 1} "
                f"({rows[r, c]}) {what}"
            )


def refuse_non_finite_outputs(source: _Source, out: np.ndarray) -> None:
    """An output that overflowed (or is NaN) is an error naming its input's line or row."""
    finite = np.isfinite(out).all(axis=1)
    if not finite.all():
        r = int(np.argmin(finite))
        raise ValueError(
            f"{source.path}: the model's output for the input at {source.where(r)} is not finite "
            f"({out[r][~np.isfinite(out[r])][0]}); the input is too large for the model"
        )


def _read_npy(path: Path) -> np.ndarray:
    """A .npy array of numbers, its header checked against the file's size before any
    memory is allocated for it (a 200-byte file may declare 477 GiB); object arrays are refused."""
    from ._files import open_regular

    fh, size = open_regular(path)
    with fh:
        try:
            shape, dtype = _npy_header(fh)
        except (ValueError, EOFError) as e:
            reason = f"truncated in its header: {e}" if str(e).startswith("EOF") else e
            raise ValueError(
                f"{path}: cannot read it as a NumPy .npy file ({reason}); save the inputs with "
                "np.save(path, array) from an array of numbers"
            ) from None
        declared, present = math.prod(shape) * dtype.itemsize, size - fh.tell()
        if present < declared:
            raise ValueError(
                f"{path}: truncated, or its header is wrong: it declares shape {shape} of "
                f"{dtype} ({declared:,} bytes of data), but only {present:,} bytes follow it"
            )
        fh.seek(0)
        return np.lib.format.read_array(fh)  # NumPy's default refuses object arrays


def _npy_header(fh) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype a .npy header declares; ValueError saying why it is not one."""
    fmt = np.lib.format
    if fh.read(4) == b"PK\x03\x04":
        raise ValueError("an .npz archive of several arrays")
    fh.seek(0)
    try:
        version = fmt.read_magic(fh)
    except ValueError:
        raise ValueError("not a .npy array of numbers") from None
    readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f".npy format version {version[0]}.{version[1]} is not supported")
    shape, _, dtype = readers[version](fh)
    if dtype.hasobject or any(n < 0 for n in shape):  # nothing in a file is ever run
        raise ValueError("not a .npy array of numbers")
    return shape, dtype


def _read_csv(path: Path) -> tuple[np.ndarray, _Source]:
    """Comma-separated numbers, one sample per line, no header (a UTF-8 BOM is allowed);
    blank lines are skipped, and errors name the line in the file (from 1)."""
    from ._files import read_regular

    try:
        text = read_regular(path).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text (byte {e.object[e.start]:#x})") from None
    split = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = [(n, line) for n, line in enumerate(split, 1) if line.strip()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty file: reported later
            rows = [line for _, line in numbered]
            x = np.loadtxt(rows, delimiter=",", ndmin=2, comments=None, dtype=np.float64)
    except ValueError:
        raise ValueError(
            f"{path}: not a CSV of numbers ({_first_bad_line(numbered)}); predict reads "
            "comma-separated numbers, one sample per line, without a header row"
        ) from None
    return x, _Source(path, [n for n, _ in numbered])


def _first_bad_line(numbered: list[tuple[int, str]]) -> str:
    """What is wrong with the first line that is not a row of numbers like the first one."""
    first = None
    for n, line in numbered:
        cells = line.split(",")
        for c, cell in enumerate(cells, 1):
            if not _is_number(cell):
                return f"line {n}, column {c}: {cell.strip()!r} is not a number"
        if first is not None and len(cells) != first[1]:
            return f"line {n} has {len(cells)} values, line {first[0]} has {first[1]}"
        first = first or (n, len(cells))
    return "unreadable numbers"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return "_" not in cell  # Python reads 1_000; NumPy does not
