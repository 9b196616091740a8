"""DataLoader: mini-batches from a dataset, one fresh permutation per epoch.

Each ``iter(loader)`` draws its epoch's order from the loader's own generator at once, then
hands back a generator over that order. Two loops over one loader therefore never share
state, epoch 2 differs from epoch 1, and the whole sequence of epochs follows from the seed.
A ``sampler`` or ``batch_sampler`` given in its place draws the order instead (see
`_samplers`), and each index it gives is checked against the dataset's length.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .._arguments import flag
from ._collate import collate, convert, fetch
from ._loader_args import (
    DEFAULT_BATCH,
    as_dataset,
    check_batching,
    check_stream_options,
    check_workers,
    is_default_batch,
    plain_state,
    set_state,
    stream_length,
)
from ._rng import seeded_or_given
from ._samplers import BatchSampler, check_iterable, checked_indices, generators_of
from ._subsets import IterableDataset, samples_at


class DataLoader:
    """Iterate over ``dataset`` in mini-batches ``(X_batch, y_batch)`` of NumPy arrays.

    Args:
        dataset: an `ArrayDataset` or `TensorDataset`, a pair ``(X, y)`` of arrays, or,
            PyTorch style, any object with ``len()`` whose ``dataset[i]`` returns one
            sample ``(x_i, y_i)`` (or a tuple of any length, or a dict; the loader stacks
            the samples of a batch; a ``__getitems__(indices)`` that returns the list of
            samples at once, one per index, is used when the dataset has one: a list of
            another length is a `ValueError`), or an `IterableDataset`, whose samples
            are read from ``iter(dataset)`` in its order, ``batch_size`` at a time.
        batch_size: samples per batch (the last batch may be smaller); 32 by default, as
            in Keras (PyTorch's default is 1). None, as in PyTorch, turns batching off:
            each sample is yielded as the dataset gives it (its arrays copied), in the
            order of ``shuffle`` or the ``sampler``, or, with a ``collate_fn``, as
            ``collate_fn(sample)`` returns it; not with ``drop_last=True`` or a
            ``batch_sampler``, and ``len(loader)`` is then the number of samples.
        shuffle: draw a new random order every epoch; otherwise keep the dataset's order.
        seed: seeds the loader's own generator; None draws one from ``cr.manual_seed``'s
            (only when ``shuffle``: an unshuffled loader leaves that generator alone).
        drop_last: leave out a last batch smaller than ``batch_size``.
        sampler: PyTorch's: any iterable of int indices (a `Sampler`, a list) giving the
            order in which samples are read, ``batch_size`` at a time; not with
            ``shuffle=True``. ``len(loader)`` then needs ``len(sampler)``.
        batch_sampler: PyTorch's: an iterable of lists of indices, one list a batch; not
            with ``shuffle``, ``sampler``, ``drop_last`` or a ``batch_size`` other than
            the default (``loader.batch_size`` is then None, as in PyTorch). An empty
            list is a `ValueError` naming its position (PyTorch's default collation fails
            on it with an IndexError, and hands ``[]`` to a ``collate_fn``).
        collate_fn: PyTorch's: each batch is ``collate_fn(samples)``, the list of the
            batch's samples ``dataset[i]`` (or what ``__getitems__`` returns), as it
            returns it. Without it the samples are stacked as PyTorch's
            ``default_collate`` stacks them: pairs into ``(X, y)``, tuples of any length
            position by position, dicts key by key into a dict.
        generator: a NumPy Generator to shuffle with (PyTorch takes a torch one), used
            and advanced as it is, in place of ``seed``.
        num_workers, pin_memory, persistent_workers: PyTorch's, accepted so that its
            loops run unchanged, and changing nothing: batches are read in the calling
            process (a batch of an `ArrayDataset` is one indexing operation) and there is
            no GPU memory to pin. ``num_workers`` is an int ≥ 0, the others True or False.

    Every sample appears exactly once per epoch (except those a ``drop_last`` leaves out),
    unless a sampler decides otherwise. ``len(loader)`` is the number of batches per epoch
    (over an `IterableDataset`, computed from its ``len()``: without one, a TypeError).
    An index a sampler gives outside ``0 … len(dataset) - 1`` is an `IndexError` naming it.

    Batches, ``len()`` and ``drop_last`` are PyTorch's. Unlike PyTorch's loader: the
    shuffling generator is the loader's own, seeded once (a later ``cr.manual_seed``
    leaves it alone), unless a ``generator`` is given; an empty dataset gives no batches
    rather than an error; a tuple of two is always read as ``(X, y)``; without a
    ``collate_fn``, a batch of tuple samples is a tuple (PyTorch's is a list), a sample's
    list ``x`` is stacked into one array (PyTorch returns one tensor per list position),
    strings stack into a NumPy string array (PyTorch keeps a list of them), a sample
    that is a lone array or number is refused (it is not a pair, though PyTorch stacks
    it), and a sample's part (or a dict's value) that is neither an array nor a number
    (None, a nested dict) is a `TypeError` (PyTorch's ``default_collate`` refuses None
    too, but collates nested dicts). An `IterableDataset` with ``shuffle=True``, a
    ``sampler`` or a ``batch_sampler`` is PyTorch's ValueError. ``loader.sampler`` and
    ``loader.batch_sampler`` are None unless given (PyTorch fills in its defaults);
    ``seed`` and ``generator``, which would go unused beside a sampler, are then an error
    (give the sampler its generator); ``state_dict()`` also holds the states of the
    samplers' NumPy generators.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = DEFAULT_BATCH,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
        *,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        collate_fn: Callable[[list], Any] | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        check_workers(num_workers, pin_memory, persistent_workers)
        self.dataset = as_dataset(dataset)
        self.shuffle = flag("DataLoader", "shuffle", shuffle)  # None: False, as PyTorch's
        self.drop_last = flag("DataLoader", "drop_last", drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._check_sampling(batch_size, seed, generator)
        batched = batch_sampler is None and batch_size is not None
        self.batch_size = int(batch_size) if batched else None
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable or None, got {collate_fn!r}")
        self.collate_fn = collate_fn
        # an unshuffled loader without a seed draws nothing: evaluating must not move the
        # library generator that dropout and initialisers use
        unused = not self.shuffle and seed is None and generator is None
        self._rng = (
            np.random.default_rng(0) if unused else seeded_or_given(seed, generator, "DataLoader")
        )

    def _check_sampling(self, batch_size, seed, generator) -> None:
        """PyTorch's rules for ``sampler`` and ``batch_sampler``, and a batch size."""
        if isinstance(self.dataset, IterableDataset):
            check_stream_options(self.shuffle, self.sampler, self.batch_sampler)
        for name, of in (("sampler", "int indices"), ("batch_sampler", "lists of int indices")):
            if getattr(self, name) is not None:
                check_iterable("DataLoader", name, getattr(self, name), of)
        if self.sampler is not None and self.shuffle:
            raise ValueError(
                "DataLoader: sampler is mutually exclusive with shuffle=True (the sampler "
                "decides the order; a RandomSampler shuffles)"
            )
        if self.batch_sampler is not None:
            clash = [f"batch_size={batch_size!r}"] if not is_default_batch(batch_size) else []
            clash += [f"{k}=True" for k in ("shuffle", "drop_last") if getattr(self, k)]
            clash += ["sampler"] if self.sampler is not None else []
            if clash:
                raise ValueError(
                    "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, "
                    f"sampler and drop_last (it makes the batches), got {', '.join(clash)}"
                )
        else:
            check_batching(batch_size, self.drop_last)
        if (self.sampler is not None or self.batch_sampler is not None) and not (
            seed is None and generator is None
        ):
            raise ValueError(
                "DataLoader: seed and generator shuffle the loader's own order, which a "
                "sampler replaces; give the sampler its generator"
            )

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        if isinstance(self.dataset, IterableDataset):
            n = stream_length(self.dataset)
        else:
            n = len(self.dataset) if self.sampler is None else len(self.sampler)
        b = self.batch_size
        if b is None:  # no batching: one sample a step
            return n
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.batch_size is None and self.batch_sampler is None:
            return self._unbatched()
        if isinstance(self.dataset, IterableDataset):
            return self._streamed(iter(self.dataset))
        if self.sampler is not None or self.batch_sampler is not None:
            return self._sampled(iter(self._index_batches()))  # the sampler draws now
        return self._batches(self._order())

    def _order(self) -> np.ndarray:
        """This epoch's order of the dataset's indices: drawn now when shuffling."""
        n = len(self.dataset)
        return self._rng.permutation(n) if self.shuffle else np.arange(n)

    def _unbatched(self) -> Iterator[Any]:
        """PyTorch's ``batch_size=None``: the samples one at a time, each ``dataset[i]``
        (never ``__getitems__``, as PyTorch's) converted by `convert` or the
        ``collate_fn``; the order (the sampler's, or the permutation) is drawn now."""
        each = convert if self.collate_fn is None else self.collate_fn
        if isinstance(self.dataset, IterableDataset):
            return map(each, iter(self.dataset))
        return (each(self.dataset[i]) for i in self._sample_indices())

    def _sample_indices(self) -> Iterator[int]:
        """The indices of an unbatched epoch: the sampler's, each checked, or the order."""
        if self.sampler is None:
            return iter(self._order().tolist())
        n = len(self.dataset)
        return (int(checked_indices([i], n, "sampler")[0]) for i in iter(self.sampler))

    def _index_batches(self) -> Iterable[list[int]]:
        """The batch sampler given, or the sampler's indices ``batch_size`` at a time."""
        if self.batch_sampler is not None:
            return self.batch_sampler
        return BatchSampler(self.sampler, self.batch_size, self.drop_last)

    def _sampled(self, batches: Iterator[Any]) -> Iterator[Any]:
        n, source = len(self.dataset), "sampler" if self.batch_sampler is None else "batch_sampler"
        for position, batch in enumerate(batches):
            idx = checked_indices(batch, n, source)
            if not idx.size:  # PyTorch's default collation fails on it with an IndexError
                raise ValueError(
                    f"DataLoader: the {source} gave an empty batch at position {position} of "
                    "the epoch (counting from 0); every batch needs at least one index"
                )
            yield self._batch(idx)

    def _streamed(self, samples: Iterator[Any]) -> Iterator[Any]:
        """Batches of an `IterableDataset`: its samples ``batch_size`` at a time, in the
        order it gives them (a short last one left out with ``drop_last``)."""
        while chunk := list(itertools.islice(samples, self.batch_size)):
            if self.drop_last and len(chunk) < self.batch_size:
                return
            yield collate(chunk) if self.collate_fn is None else self.collate_fn(chunk)

    def _batches(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            yield self._batch(order[start : start + self.batch_size])

    def _batch(self, idx: np.ndarray) -> Any:
        if self.collate_fn is None:
            return fetch(self.dataset, idx)
        return self.collate_fn(samples_at(self.dataset, idx))

    def state_dict(self) -> dict[str, Any]:
        """The generator's state as a JSON-able dict; take it between epochs.

        Loading it into a loader over the same data makes the following epochs draw the
        same orders as this loader's would. With a sampler that draws from NumPy
        generators, their states are in it too, under ``"samplers"``.
        """
        state: dict[str, Any] = {"rng": plain_state(self._rng.bit_generator.state)}
        samplers = [plain_state(g.bit_generator.state) for g in self._sampler_generators()]
        return {**state, "samplers": samplers} if samplers else state

    def _sampler_generators(self) -> list[np.random.Generator]:
        """The NumPy generators the sampler or batch sampler draws with."""
        return generators_of(self.batch_sampler) + generators_of(self.sampler)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the generator state saved by `state_dict` (e.g. read back from JSON)."""
        rng_state = state.get("rng") if isinstance(state, dict) else None
        expected = type(self._rng.bit_generator).__name__
        if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != expected:
            raise ValueError(
                f"DataLoader.load_state_dict: expected {{'rng': <{expected} state>}} "
                f"as returned by state_dict(), got {state!r:.200}"
            )
        samplers = self._sampler_generators()
        sampler_states = state.get("samplers", [])
        if not isinstance(sampler_states, list) or len(sampler_states) != len(samplers):
            raise ValueError(
                f"DataLoader.load_state_dict: expected the states of {len(samplers)} sampler "
                f"generators under 'samplers', got {sampler_states!r:.200}"
            )
        for rng, saved in zip([self._rng, *samplers], [rng_state, *sampler_states]):
            set_state(rng, saved)

    def __repr__(self) -> str:
        given = [
            f"{k}={type(getattr(self, k)).__name__}"
            for k in ("sampler", "batch_sampler")
            if getattr(self, k) is not None
        ]
        try:
            batches = f", batches={len(self)}"
        except TypeError:  # a sampler or a stream without len()
            batches = ""
        n = len(self.dataset) if hasattr(self.dataset, "__len__") else "a stream of"
        return (
            f"DataLoader({n} samples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}"
            f"{''.join(', ' + g for g in given)}{batches})"
        )
