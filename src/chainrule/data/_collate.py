"""A batch read from a dataset: `fetch` takes it in one indexing from the datasets that
allow one, else reads the samples and stacks them with `collate`, the default collation,
as PyTorch's ``default_collate`` stacks them.

A sample that is a tuple (or list) gives a tuple with one array a position: ``(x, y)``
samples give ``(X, y)``, ``(x, y, w)`` ones ``(X, y, W)``, ``(x,)`` ones ``(X,)``, and
namedtuple samples that namedtuple of arrays, as in PyTorch. A sample
that is a dict gives a dict with one array a key. Each position (or key) holds arrays or
numbers of one shape, stacked along a new first axis. Python ints mixed with Python floats
(the first an int) stack into the default float dtype, as PyTorch's ``torch.tensor``
reads them (with a float first: float64, there and here).

`convert` is the conversion of a loader without batching (``batch_size=None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._dtypes import get_default_dtype
from ._dataset import ArrayDataset, TensorDataset
from ._subsets import ConcatDataset, Subset, samples_at

_WHAT = "DataLoader: the dataset's items must be pairs (x, y) of arrays or numbers"
_KINDS = "(or tuples of any length, such as (x, y, w) or (x,), or dicts of them)"


def fetch(dataset: Any, idx: np.ndarray) -> Any:
    """The samples at ``idx`` as a batch ``(X, y)`` (or as `collate` stacks samples of
    another kind): an `ArrayDataset` or a `TensorDataset` by one indexing (a subclass
    with a ``__getitem__`` of its own is read as any other dataset); a
    dataset with PyTorch's ``__getitems__(indices)`` from the samples it returns; any other
    one sample at a time, stacked. Never ``dataset[idx]`` on a dataset written for one
    index: a per-sample ``__getitem__`` (flipping a row, normalising a sample) may run on
    the whole batch without an error and give wrong samples or labels."""
    if type(dataset).__getitem__ is ArrayDataset.__getitem__:  # not a subclass's own
        return _pair(dataset[idx])
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset[idx]
    if type(dataset) is Subset:  # its dataset's batch: one indexing for an ArrayDataset
        return fetch(dataset.dataset, dataset.indices[idx])
    if type(dataset) is ConcatDataset:
        return _concat_fetch(dataset, idx)
    return collate(samples_at(dataset, idx))


def _concat_fetch(dataset: ConcatDataset, idx: np.ndarray) -> Any:
    """The batch at ``idx`` of a ConcatDataset: each part fetched from its own dataset
    (in one go where that can be), then put back in the order asked for."""
    ends = np.asarray(dataset.cumulative_sizes)
    which = np.searchsorted(ends, idx, side="right")
    parts, positions = [], []
    for k in np.unique(which):
        where = np.nonzero(which == k)[0]
        start = ends[k - 1] if k else 0
        parts.append(fetch(dataset.datasets[k], idx[where] - start))
        positions.append(where)
    if not parts:
        return fetch(dataset.datasets[0], idx)  # an empty batch, shaped by the first
    back = np.argsort(np.concatenate(positions), kind="stable")
    _check_alike(parts)
    if isinstance(parts[0], dict):  # dict samples: collated key by key
        return {k: np.concatenate([p[k] for p in parts])[back] for k in parts[0]}
    columns = [np.concatenate(column)[back] for column in zip(*parts)]
    return _like(parts, columns)


def _check_alike(parts: list) -> None:
    """The batches of a ConcatDataset's datasets must stack into one: all dicts of one set
    of keys (as `collate` asks of dict samples), or all tuples of one length (zip would
    drop the extra positions, a dict's would be lost)."""
    kinds = {_kind(p) for p in parts}
    if len(kinds) > 1:
        what = "lengths" if all(isinstance(k, int) for k in kinds) else "kinds"
        raise TypeError(
            f"DataLoader: the datasets of a ConcatDataset give samples of different {what} "
            f"({sorted(kinds, key=str)}); they cannot be stacked into one batch"
        )


def _kind(batch: Any) -> int | str:
    """What a part's samples are: a tuple's length, or a dict's keys."""
    return f"dict of {sorted(map(str, batch))}" if isinstance(batch, dict) else len(batch)


def _pair(batch: Any) -> Any:
    """``batch`` when it is a pair ``(X_batch, y_batch)``; a lone array (a dataset that is
    one array of inputs) would otherwise be unpacked row by row into x and y."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch
    shape = f" of shape {batch.shape}" if isinstance(batch, np.ndarray) else ""
    raise TypeError(
        f"DataLoader: dataset[indices] must give a pair (X_batch, y_batch), got "
        f"{type(batch).__name__}{shape}; for arrays X and y pass (X, y) or ArrayDataset(X, y)"
    )


def collate(samples: list) -> Any:
    """The batch of ``samples``: a tuple of stacked arrays, one a position of the samples
    (tuples or lists of one length), or a dict of them, one a key (dicts of one set of
    keys). Anything else, and values that are neither arrays nor numbers, is a TypeError."""
    if samples and isinstance(samples[0], Mapping):
        return _collate_dicts(samples)
    width = _width(samples)
    columns = list(zip(*samples)) if samples else [(), ()]
    return _like(samples, [_stacked(col, _name(i, width)) for i, col in enumerate(columns)])


def convert(sample: Any) -> Any:
    """One sample as a loader with ``batch_size=None`` yields it, as PyTorch's
    ``default_convert`` converts it, but into NumPy: its arrays copied (never views of
    the dataset), NumPy numbers as 0-d arrays (PyTorch's 0-d tensors), tuples (a
    namedtuple as itself), lists and dicts converted part by part, anything else (a
    Python number, a string) as it is."""
    if isinstance(sample, np.ndarray):
        return sample.copy()
    if isinstance(sample, np.generic) and not isinstance(sample, (np.str_, np.bytes_)):
        return np.asarray(sample)
    if isinstance(sample, Mapping):
        return {k: convert(v) for k, v in sample.items()}
    if isinstance(sample, (tuple, list)):
        return _like_sequence(sample, [convert(v) for v in sample])
    return sample


def _like_sequence(sample: tuple | list, parts: list) -> tuple | list:
    """``parts`` as ``sample``'s kind: a list, a tuple, or its namedtuple."""
    if isinstance(sample, list):
        return parts
    return _like([sample], parts)


def _like(samples: list, columns: list) -> tuple:
    """The stacked ``columns`` as a tuple, or as the samples' namedtuple when they are one
    (PyTorch keeps it, so ``batch.x`` reads the inputs as ``sample.x`` does)."""
    kind = type(samples[0]) if samples else tuple
    named = issubclass(kind, tuple) and hasattr(kind, "_fields")
    return kind(*columns) if named else tuple(columns)


def _width(samples: list) -> int:
    """The length shared by every sample (a tuple or list), or a TypeError naming the first
    that is not one (an array of two features is not a pair: it is one value)."""
    for item in samples:
        if not (isinstance(item, (tuple, list)) and item):
            raise TypeError(f"{_WHAT} {_KINDS}, got {type(item).__name__} {item!r:.80}")
    lengths = sorted({len(item) for item in samples})
    if len(lengths) > 1:
        raise TypeError(
            f"DataLoader: the dataset's items in one batch must have one length, to be "
            f"stacked position by position; got items of lengths {lengths}"
        )
    return lengths[0] if lengths else 2


def _name(position: int, width: int) -> str:
    """What a position is called in an error: ``x`` and ``y`` of a pair, ``item[i]`` else."""
    return ("x", "y")[position] if width == 2 else f"item[{position}]"


def _collate_dicts(samples: list) -> dict:
    """Dict samples collated key by key, in the first sample's order of keys."""
    keys = list(samples[0])
    for item in samples:
        if not (isinstance(item, Mapping) and set(item) == set(keys)):
            got = sorted(map(str, item)) if isinstance(item, Mapping) else type(item).__name__
            raise TypeError(
                f"DataLoader: the dataset's dict items in one batch must have the same keys, "
                f"{sorted(map(str, keys))}; got {got}"
            )
    return {k: _stacked(tuple(item[k] for item in samples), f"[{k!r}]") for k in keys}


def _stacked(values: tuple, part: str) -> np.ndarray:
    """One position (or key) of every sample stacked into an array. Values NumPy can only
    hold as objects (None, a dict) are refused here, as PyTorch's collate refuses None,
    rather than passed on as an object array to fail later in a layer or a loss."""
    try:
        arrays = [np.asarray(v) for v in values]
        batch = np.stack(arrays)
    except ValueError as e:
        raise TypeError(f"{_WHAT} of one shape each, to be stacked into a batch ({e})") from None
    if batch.dtype == object:
        i = next((i for i, a in enumerate(arrays) if a.dtype == object), 0)
        raise TypeError(f"{_WHAT}, got {part} = {values[i]!r:.80} ({type(values[i]).__name__})")
    return _as_torch_reads(batch, values)


def _as_torch_reads(batch: np.ndarray, values: tuple) -> np.ndarray:
    """Python ints mixed with Python floats, an int first, in the default float dtype:
    PyTorch's collation reads them with ``torch.tensor(values)``, whose Python floats
    are of the default dtype (a float first: ``torch.tensor(values, dtype=float64)``)."""
    python_numbers = all(type(v) in (bool, int, float) for v in values)
    if batch.dtype.kind == "f" and python_numbers and type(values[0]) in (bool, int):
        return batch.astype(get_default_dtype())
    return batch
