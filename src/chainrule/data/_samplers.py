"""PyTorch's samplers: the order in which a `DataLoader` reads a dataset's indices.

A sampler is an iterable of int indices (a batch sampler, of lists of them). The random
ones draw with a NumPy Generator, the one given as ``generator=`` (advanced in place) or
their own, drawn once from ``cr.manual_seed``'s generator when made. Each ``iter()`` draws
its whole order at once, so two loops never share state and epoch 2 differs from epoch 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sized
from typing import Any

import numpy as np

from .._arguments import is_count
from ._rng import seeded_or_given


class Sampler:
    """Base class of samplers: ``__iter__`` yields indices (or, for a batch sampler, lists
    of indices); a ``__len__``, optional, is how many it yields (``len(loader)`` needs it).
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """The indices ``0, 1, …, len(data_source) - 1`` in order, every epoch alike."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(_size(self.data_source)))

    def __len__(self) -> int:
        return _size(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation of ``data_source``'s indices each epoch; with
    ``replacement``, ``num_samples`` indices drawn uniformly and independently.

    Without replacement, a ``num_samples`` above the dataset's size gives whole
    permutations one after another, then the start of one more, as in PyTorch.
    ``num_samples`` is ``len(data_source)`` by default (a bool is refused, which PyTorch
    reads as 0 or 1). ``generator`` is a NumPy Generator (PyTorch takes a torch one,
    refused here).
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement must be True or False, got {replacement!r}"
            )
        self.data_source, self.replacement = data_source, replacement
        self._num_samples = num_samples
        if not is_count(self.num_samples, 1):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive integer, got {self.num_samples!r}"
            )
        self.generator = seeded_or_given(None, generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        """How many indices an epoch yields: the one given, else the dataset's size."""
        return _size(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = _size(self.data_source), int(self.num_samples)
        if n == 0:
            raise ValueError("RandomSampler: data_source is empty, there is nothing to draw")
        if self.replacement:
            return iter(self.generator.integers(0, n, size=k).tolist())
        perms = [self.generator.permutation(n) for _ in range(-(-k // n))]
        return iter(np.concatenate(perms)[:k].tolist())

    def __len__(self) -> int:
        return int(self.num_samples)


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a fresh random order each epoch (without replacement)."""

    def __init__(
        self, indices: Iterable[int], generator: np.random.Generator | None = None
    ) -> None:
        self.indices = _index_array("SubsetRandomSampler", indices)
        self.generator = seeded_or_given(None, generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices[self.generator.permutation(len(self.indices))].tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices of ``range(len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)``; without ``replacement`` each index at most once (each
    draw from the weights of those not yet drawn), as PyTorch's ``torch.multinomial``.

    ``weights`` must be 1-d, finite, non-negative and not all zero, and without
    replacement ``num_samples`` at most the number of non-zero weights: checked here, where
    PyTorch checks the weights only when drawing (and its CPU draw without replacement
    hands out indices of weight 0 once the others are used up). ``num_samples`` may be a
    NumPy integer, not a bool.
    """

    def __init__(
        self,
        weights: Iterable[float],
        num_samples: int,
        replacement: bool = True,
        generator: np.random.Generator | None = None,
    ) -> None:
        if not is_count(num_samples, 1):
            raise ValueError(
                "WeightedRandomSampler: num_samples must be a positive integer, got "
                f"{num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"WeightedRandomSampler: replacement must be True or False, got {replacement!r}"
            )
        self.weights = _weights(weights)
        self.num_samples, self.replacement = int(num_samples), replacement
        nonzero = int(np.count_nonzero(self.weights))
        if not replacement and self.num_samples > nonzero:
            raise ValueError(
                f"WeightedRandomSampler: num_samples={self.num_samples} without replacement, "
                f"but only {nonzero} weights are non-zero"
            )
        self.generator = seeded_or_given(None, generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.max()  # first: a sum of huge weights can overflow
        p /= p.sum()
        draw = self.generator.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(draw.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices taken in turn from ``sampler`` (any iterable of
    ints); the last list is shorter unless ``drop_last`` leaves it out.

    ``len()`` is ``len(sampler) / batch_size`` rounded up (down with ``drop_last``).
    PyTorch's checks: ``batch_size`` a positive int (a NumPy integer too, here),
    ``drop_last`` True or False.
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not is_count(batch_size, 1):
            raise ValueError(
                f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        check_iterable("BatchSampler", "sampler", sampler, "int indices")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[list[int]]:
        return self._batches(iter(self.sampler))  # the sampler draws its order now

    def _batches(self, indices: Iterator[int]) -> Iterator[list[int]]:
        batch = list(itertools.islice(indices, self.batch_size))
        while batch and (len(batch) == self.batch_size or not self.drop_last):
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self) -> int:
        n, b = len(self.sampler), self.batch_size
        return n // b if self.drop_last else -(-n // b)


def check_iterable(owner: str, name: str, value: Any, of: str) -> None:
    """A TypeError naming ``name`` when ``value`` cannot be iterated (checked without
    calling ``iter()``, which would make a random sampler draw)."""
    if not (hasattr(value, "__iter__") or hasattr(value, "__getitem__")):
        raise TypeError(
            f"{owner}: {name} must be an iterable of {of}, got {type(value).__name__} {value!r:.60}"
        )


def _size(data_source: Any) -> int:
    """How many samples ``data_source`` holds; a pair ``(X, y)`` counts its samples, as
    `DataLoader` reads it, not its two parts."""
    if isinstance(data_source, tuple) and len(data_source) == 2:
        return len(data_source[0])
    return len(data_source)


def _index_array(owner: str, indices: Iterable[int]) -> np.ndarray:
    """``indices`` as a 1-d int64 array, or an error naming ``owner``."""
    check_iterable(owner, "indices", indices, "ints")
    array = np.asarray(list(indices) if not hasattr(indices, "__len__") else indices)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise TypeError(f"{owner}: indices must be a 1-d sequence of ints, got {indices!r:.80}")
    return array.astype(np.int64)


def _weights(weights: Iterable[float]) -> np.ndarray:
    """``weights`` as a float64 array, checked: 1-d, finite, non-negative, not all zero."""
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"WeightedRandomSampler: weights must be numbers ({err})") from None
    what = "WeightedRandomSampler: weights must be"
    if w.ndim != 1:
        raise ValueError(f"{what} a 1-d sequence, got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError(
            f"{what} finite, got {w[~np.isfinite(w)][0]} at index {_first(~np.isfinite(w))}"
        )
    if (w < 0).any():
        raise ValueError(f"{what} non-negative, got {w[w < 0][0]} at index {_first(w < 0)}")
    if not (w > 0).any():
        raise ValueError(f"{what} not all zero (there are {w.size}), or there is nothing to draw")
    return w


def _first(mask: np.ndarray) -> int:
    """The position of the first True in ``mask``."""
    return int(np.flatnonzero(mask)[0])


def generators_of(sampler: Any) -> list[np.random.Generator]:
    """The NumPy Generators a sampler (and the sampler a batch sampler wraps) draws with."""
    found, seen = [], set()
    while sampler is not None and id(sampler) not in seen:  # a sampler may wrap itself
        seen.add(id(sampler))
        if isinstance(getattr(sampler, "generator", None), np.random.Generator):
            found.append(sampler.generator)
        sampler = getattr(sampler, "sampler", None)
    return found


def checked_indices(batch: Any, n: int, source: str) -> np.ndarray:
    """A batch of indices from ``source`` (the sampler or the batch sampler) as an int64
    array; an index that is not an int, or is outside ``0 … n - 1``, is an error naming it.
    (DataLoader reads its batches through this.)"""
    try:
        idx = np.asarray(batch)
    except ValueError:  # ragged lists: not indices
        idx = np.asarray(batch, dtype=object)
    if idx.ndim == 1 and idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise TypeError(_not_indices(batch, source))
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise IndexError(
            f"DataLoader: the {source} gave index {idx[bad][0]}, out of range for a dataset "
            f"of {n} samples"
        )
    return idx.astype(np.int64, copy=False)


def _not_indices(batch: Any, source: str) -> str:
    """The error for a batch that is not a list of int indices: what was given, and where
    it goes if it was meant for the other argument."""
    if source == "sampler":
        item = next((v for v in batch if not is_count(v, -(2**63))), batch)
        return (
            f"DataLoader: a sampler must yield int indices, got {item!r:.80}; a sampler "
            "that yields lists of indices goes in as batch_sampler="
        )
    return (
        f"DataLoader: a batch_sampler must yield lists of int indices, got {batch!r:.80}; a "
        "sampler that yields single indices goes in as sampler="
    )
