"""Checking what a `DataLoader` is given: the dataset (a pair of arrays, an indexable
dataset or a stream), the batch size, PyTorch's worker settings and the options a stream
refuses; and the generator states of its `state_dict`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._arguments import flag, is_count
from ._bundled import DataBundle
from ._dataset import ArrayDataset
from ._subsets import IterableDataset

DEFAULT_BATCH = 32  # Keras's; PyTorch's is 1


def check_stream_options(shuffle, sampler, batch_sampler) -> None:
    """PyTorch's rule: an `IterableDataset` decides its order, so no shuffle or sampler."""
    given = {"shuffle": shuffle or None, "sampler": sampler, "batch_sampler": batch_sampler}
    for name, value in given.items():
        if value is not None:
            raise ValueError(
                f"DataLoader with IterableDataset: expected unspecified {name} option, but "
                f"got {name}={value!r:.60} (the dataset's __iter__ gives the order)"
            )


def stream_length(dataset: IterableDataset) -> int:
    """``len(dataset)`` of an `IterableDataset`, or PyTorch's TypeError saying why."""
    if not hasattr(dataset, "__len__"):
        raise TypeError(
            f"DataLoader: len() of a loader over an IterableDataset needs the dataset's "
            f"len(), and {type(dataset).__name__} has no __len__ (its stream is counted "
            "only by reading it)"
        )
    return len(dataset)


def is_default_batch(batch_size: Any) -> bool:
    """Whether ``batch_size`` is the default, 32 (PyTorch's rule compares with its 1)."""
    return is_count(batch_size, 1) and batch_size == DEFAULT_BATCH


def check_workers(num_workers, pin_memory, persistent_workers) -> None:
    """PyTorch's worker settings, checked as PyTorch checks them (they change nothing)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
        raise TypeError(f"DataLoader: num_workers must be an int, got {num_workers!r}")
    if num_workers < 0:
        raise ValueError(f"DataLoader: num_workers must be ≥ 0, got {num_workers}")
    flag("DataLoader", "pin_memory", pin_memory)
    if flag("DataLoader", "persistent_workers", persistent_workers) and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0, as PyTorch's")


def check_batching(batch_size, drop_last: bool) -> None:
    """A batch size for the loader, or None (no batching), which has no short last batch
    to drop: ``drop_last=True`` beside it is PyTorch's ValueError."""
    if batch_size is None:
        if drop_last:
            raise ValueError(
                "DataLoader: batch_size=None turns batching off and is mutually exclusive "
                "with drop_last=True (there is no short last batch to drop)"
            )
        return
    check_batch_size("DataLoader", batch_size)


def check_batch_size(owner: str, batch_size) -> None:
    """A positive int (a NumPy integer too), or an error naming ``owner``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"{owner}: batch_size must be an int, got {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"{owner}: batch_size must be positive, got {batch_size}")


def as_dataset(dataset: Any) -> Any:
    """A pair of arrays becomes an `ArrayDataset`; anything else must index by batch."""
    if isinstance(dataset, tuple) and len(dataset) == 2:
        try:
            X, y = (np.asarray(part) for part in dataset)
        except ValueError as err:  # e.g. two samples ((x0, y0), (x1, y1)) of a ragged x
            raise ValueError(
                "DataLoader: a tuple of two is read as the pair (X, y) of all inputs and all "
                f"targets, and these are not such arrays ({err}); a dataset of two samples "
                "goes in as a list [(x0, y0), (x1, y1)]"
            ) from err
        return ArrayDataset(X, y)
    if isinstance(dataset, tuple) and dataset and all(isinstance(a, np.ndarray) for a in dataset):
        raise TypeError(  # each array would be one sample, and a lone array is no sample
            f"DataLoader: dataset is a tuple of arrays of length {len(dataset)}; only a pair is "
            "read as (X, y): pass TensorDataset(*arrays), a sample one row of each"
        )
    if isinstance(dataset, np.ndarray):  # inputs without targets: its rows are not pairs
        raise TypeError(
            f"DataLoader: dataset is one array of shape {dataset.shape}; pass inputs and "
            "targets as a pair (X, y) or ArrayDataset(X, y)"
        )
    if isinstance(dataset, Mapping):  # indexed by key, not by position: dataset[0] fails
        raise TypeError(
            f"DataLoader: dataset is a {type(dataset).__name__} with the keys "
            f"{sorted(map(str, dataset))[:5]}; pass its arrays as a pair (X, y)"
        )
    if isinstance(dataset, IterableDataset):  # read by iter(), as PyTorch reads one
        return dataset
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            "DataLoader: dataset must be an ArrayDataset, an (X, y) pair, or support len() "
            f"and dataset[i] giving one sample (x, y); got {type(dataset).__name__}"
            f"{_hint(dataset)}"
        )
    return dataset


def _hint(dataset: Any) -> str:
    """What to give instead of a bundle, or of a stream (an iterable without ``[i]``)."""
    if isinstance(dataset, DataBundle):
        return "; pass bundle.dataset(), its arrays as an ArrayDataset"
    if hasattr(dataset, "__iter__"):
        return "; a stream of samples goes in as a subclass of cr.data.IterableDataset"
    return ""


def plain_state(state: Any) -> Any:
    """A generator's state with its arrays as lists (an MT19937's key, a Philox's
    counter), so that ``json.dumps`` takes any bit generator's state, not PCG64's only."""
    if isinstance(state, dict):
        return {k: plain_state(v) for k, v in state.items()}
    return state.tolist() if isinstance(state, np.ndarray) else state


def set_state(rng: np.random.Generator, state: Any) -> None:
    """Put a saved state into ``rng``; one that is not a state of its kind is a ValueError."""
    expected = type(rng.bit_generator).__name__
    if not isinstance(state, dict) or state.get("bit_generator") != expected:
        raise ValueError(
            f"DataLoader.load_state_dict: expected a {expected} state, got {state!r:.200}"
        )
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as err:
        raise ValueError(f"DataLoader.load_state_dict: invalid generator state: {err}") from err
