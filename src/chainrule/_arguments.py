"""Checks of arguments shared across the package (layers, the Monitor, the experiments,
the data loader),
each error naming the function and its argument."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def is_integer(value) -> bool:
    """Whether ``value`` is an integer, Python's or NumPy's, and not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_count(value, least: int = 0) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's, not a bool) of at least ``least``."""
    return is_integer(value) and value >= least


def whole_numbers(value) -> np.ndarray | None:
    """``value`` (a Tensor, an array, a sequence or a number) as an int64 array when it
    holds integers or finite whole floats (chainrule's tensors of Python ints are floats),
    else None: the caller words the error."""
    a = np.asarray(getattr(value, "data", value))
    if a.dtype.kind == "f" and np.all(np.isfinite(a) & (a == np.round(a))):
        return a.astype(np.int64)
    return a.astype(np.int64) if a.dtype.kind in "iu" else None


def count(name: str, value, least: int = 0, where: str | None = None) -> int:
    """``value`` as an int when `is_count`, else a ValueError: "``where``: ``name`` must be
    an integer >= ``least``" (without ``where``, the caller adds whose setting it is)."""
    if not is_count(value, least):
        owner = f"{where}: " if where else ""
        raise ValueError(f"{owner}{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def check_counts(where: str, least: int = 1, **values) -> None:
    """Each of ``values`` must be an integer (not a bool) of at least ``least``, 0 or 1."""
    kind = "a positive" if least == 1 else "a non-negative"
    for name, v in values.items():
        if not is_count(v, least):
            raise ValueError(f"{where}: {name} must be {kind} integer, got {v!r}")


def check_names(where: str, name: str, given: Iterable[str], known: Iterable[str]) -> None:
    """Every name in ``given`` must be one of ``known``."""
    known = list(known)
    unknown = [g for g in given if g not in known]
    if unknown:
        raise ValueError(f"{where}: unknown {name} {unknown[0]!r}; choose from {', '.join(known)}")


def flag(where: str, name: str, value, default: bool = False) -> bool:
    """A yes/no setting as a bool: True, False, a NumPy bool, 0 or 1 (a Python or NumPy
    integer, as ``bool()`` took them before), and None for ``default``. Anything else is a
    TypeError rather than its truth value: ``"false"`` from a config file, or Keras's
    ``shuffle="batch"``, would otherwise quietly mean True."""
    if value is None:
        return default
    integer = isinstance(value, (int, np.integer)) and value in (0, 1)
    if isinstance(value, (bool, np.bool_)) or integer:
        return bool(value)
    raise TypeError(f"{where}: {name} must be True or False, got {value!r}")
