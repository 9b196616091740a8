"""PyTorch's dataset combinators: `Dataset` and `IterableDataset` (base classes to
subclass), `Subset`, `ConcatDataset` and `random_split`.

`DataLoader` reads a batch of a `Subset` or a `ConcatDataset` from the datasets inside,
so a Subset of an `ArrayDataset` is still one indexing operation per batch (see
`_collate.fetch`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._rng import seeded_or_given


class Dataset:
    """A base class for a dataset of your own, as PyTorch's ``Dataset``: write ``__len__``
    and ``__getitem__(i)`` giving one sample ``(x, y)`` (and, for speed, a
    ``__getitems__(indices)`` giving the list of samples). ``a + b`` is
    ``ConcatDataset([a, b])``. Subclassing is optional: `DataLoader` reads any object
    with ``len()`` and ``dataset[i]``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}.__getitem__ is not implemented")

    def __add__(self, other) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A base class for a stream of samples, as PyTorch's ``IterableDataset``: write
    ``__iter__`` yielding one sample at a time (``(x, y)``, any tuple, or a dict), and
    ``__len__`` if the number of samples is known. `DataLoader` reads it in order,
    ``batch_size`` samples a batch, with neither ``shuffle`` nor a sampler (the stream
    decides the order); ``len(loader)`` needs the dataset's ``len()``. Unlike PyTorch's,
    ``a + b`` (its ``ChainDataset``) is not provided: chain the streams in an ``__iter__``
    (``itertools.chain``)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}.__iter__ is not implemented")

    def __add__(self, other):
        raise TypeError(
            "IterableDataset: a + b (PyTorch's ChainDataset) is not provided; chain the "
            "samples in an __iter__ of your own (itertools.chain)"
        )


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order, as PyTorch's ``Subset``:
    ``subset[i]`` is ``dataset[indices[i]]`` (a list or a slice of positions is one
    lookup, ``dataset[list_of_indices]``, as there). ``indices`` are integers in
    ``[0, len(dataset))``, kept as an int64 array (``subset.indices``); the dataset is
    ``subset.dataset``, not copied. A pair ``(X, y)`` of arrays is an `ArrayDataset` of
    their samples, as `DataLoader` reads it (not a dataset of two samples)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = _as_samples(dataset)
        self.indices = _checked_indices(indices, len(self.dataset))

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, slice)):  # PyTorch's: positions, one lookup
            return self.dataset[self.indices[index].tolist()]
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: list[int]) -> list:
        """The samples at these positions (what `DataLoader` asks of a dataset)."""
        return samples_at(self.dataset, self.indices[indices])

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples of {self.dataset!r:.60})"


class ConcatDataset(Dataset):
    """The samples of several datasets one after another, as PyTorch's ``ConcatDataset``:
    ``datasets`` and ``cumulative_sizes`` (the running total of their lengths) as there.
    Indices run from ``-len`` to ``len - 1``; a pair ``(X, y)`` of arrays among the
    datasets is an `ArrayDataset`, as in `Subset`. Each dataset needs ``len()``; an
    `IterableDataset` is refused, as in PyTorch."""

    def __init__(self, datasets) -> None:
        if isinstance(datasets, Dataset) or not hasattr(datasets, "__iter__"):
            raise TypeError(
                f"ConcatDataset: datasets must be a list of datasets, got one "
                f"{type(datasets).__name__}; write ConcatDataset([a, b])"
            )
        self.datasets = [_sized(_as_samples(d), i) for i, d in enumerate(datasets)]
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        sizes = [len(d) for d in self.datasets]
        self.cumulative_sizes = np.cumsum(sizes).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        k, local = self.locate(index)
        return self.datasets[k][local]

    def locate(self, index) -> tuple[int, int]:
        """(Which dataset, the index within it) of the sample at ``index``."""
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"ConcatDataset: an index must be an integer, got {index!r}")
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = int(index) % n
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return k, index - (self.cumulative_sizes[k - 1] if k else 0)

    def __repr__(self) -> str:
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"


def _sized(dataset: Any, position: int) -> Any:
    """``dataset`` when it has ``len()`` and is not a stream (PyTorch's "ConcatDataset does
    not support IterableDataset"), else a TypeError naming its position in the list."""
    if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__len__"):
        raise TypeError(
            f"ConcatDataset: datasets[{position}] is a {type(dataset).__name__}, not a "
            "dataset with len() and dataset[i] (an IterableDataset is not supported)"
        )
    return dataset


def random_split(
    dataset: Any,
    lengths: Sequence,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into `Subset`s of the given ``lengths``, as PyTorch's
    ``random_split``: counts that add up to ``len(dataset)``, or fractions that add up to
    1, each part then ⌊fraction × N⌋ samples and the remainder given out one at a time
    from the first part on. The order is drawn from ``generator``, a NumPy Generator
    (advanced by the draw) where PyTorch takes a torch one, or else from a generator
    seeded by ``seed`` (or, without either, from ``cr.manual_seed``'s). A pair ``(X, y)``
    of arrays is split by its samples, as `DataLoader` reads it."""
    dataset = _as_samples(dataset)
    if not hasattr(lengths, "__iter__") or isinstance(lengths, str):
        raise TypeError(
            f"random_split: lengths must be a list of counts or fractions, got {lengths!r:.60}"
        )
    sizes = _split_sizes(list(lengths), len(dataset))
    order = seeded_or_given(seed, generator, "random_split").permutation(len(dataset))
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in itertools.pairwise(bounds)]


def _split_sizes(lengths: list, n: int) -> list[int]:
    """Counts from ``lengths``: counts adding up to ``n``, or fractions adding up to 1.
    NumPy's integers and floats count as Python's (``np.array([8, 2])``), as in PyTorch."""
    if not lengths or any(isinstance(v, (bool, np.bool_)) or not _real(v) for v in lengths):
        raise TypeError(f"random_split: lengths must be numbers, got {lengths!r}")
    if all(isinstance(v, (int, np.integer)) for v in lengths):
        lengths = [int(v) for v in lengths]
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(
                f"random_split: the lengths {lengths} must be counts ≥ 0 adding up to the "
                f"dataset's {n} samples (or fractions adding up to 1)"
            )
        return lengths
    if any(not 0 <= v <= 1 for v in lengths) or not math.isclose(sum(lengths), 1):
        raise ValueError(
            f"random_split: the fractions {lengths} must each be in [0, 1] and add up to 1"
        )
    sizes = [math.floor(n * f) for f in lengths]
    for i in range(n - sum(sizes)):  # PyTorch's round robin for what floor left out
        sizes[i % len(sizes)] += 1
    return sizes


def _as_samples(dataset: Any) -> Any:
    """A pair ``(X, y)`` of arrays (or Tensors) as the `ArrayDataset` of its samples, as
    `DataLoader` and ``fit`` read it: its ``len()`` is 2, which would split or index two
    "samples", X and y. Anything else as it is."""
    pair = isinstance(dataset, tuple) and len(dataset) == 2
    if pair and all(hasattr(a, "__array__") and getattr(a, "ndim", 0) >= 1 for a in dataset):
        from ._dataset import ArrayDataset  # it subclasses Dataset, defined here

        return ArrayDataset(*dataset)
    return dataset


def _real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating))


def _checked_indices(indices, n: int) -> np.ndarray:
    """``indices`` as an int64 array of positions in ``[0, n)``, or an error naming it."""
    values = np.asarray(indices)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise TypeError(
            f"Subset: indices must be a sequence of integers, got {values.dtype} of shape "
            f"{values.shape}"
        )
    bad = values[(values < 0) | (values >= n)]
    if bad.size:
        raise IndexError(f"Subset: index {bad[0]} is out of range for a dataset of {n} samples")
    return values.astype(np.int64)


def samples_at(dataset: Any, idx) -> list:
    """The list of samples at ``idx``: from ``__getitems__`` if the dataset has one, else
    ``dataset[i]`` one index at a time, as PyTorch's fetcher reads them."""
    getitems = getattr(dataset, "__getitems__", None)
    if not callable(getitems):
        return [dataset[int(i)] for i in idx]
    samples = list(getitems(np.asarray(idx).tolist()))
    if len(samples) != len(idx):  # a sample lost or added would break "each sample once"
        raise ValueError(
            f"DataLoader: the dataset's __getitems__ returned {len(samples)} samples for "
            f"{len(idx)} indices; it must return one sample per index, in their order"
        )
    return samples
