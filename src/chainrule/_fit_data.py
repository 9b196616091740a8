"""The data `fit`, `evaluate` and `predict` are given: loaders made from arrays or datasets,
the settings that clash with a loader's own, inputs cast to the model's dtype, and the
up-front check for NaN and infinity."""

from __future__ import annotations

import copy

import numpy as np

from ._quiet import quietly
from ._tensor import Tensor


def train_loader(data, batch_size: int, shuffle: bool, seed):
    """A DataLoader for ``data``: a loader already, a dataset, or an ``(X, y)`` pair (also
    as a list ``[X, y]`` of two arrays, as Keras reads a list)."""
    from .data import ArrayDataset, DataLoader

    if isinstance(data, DataLoader):
        return data
    arrays = _array_tuple(data)
    if len(arrays) == 3:
        raise ValueError(
            "fit and evaluate take the data as (X, y): Keras's (X, y, sample_weight) has no "
            "counterpart here (the loss function weighs every sample alike)"
        )
    if len(arrays) == 2 or (isinstance(data, tuple) and len(data) == 2):
        data = ArrayDataset(*data)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)


def split_validation(data, fraction, val_data) -> tuple:
    """(training data, validation data) for Keras's ``validation_split``: the last
    ``fraction`` of the samples of ``(X, y)`` arrays validate, taken before any
    shuffling; the rest train."""
    if val_data is not None:
        raise ValueError(
            "fit: got both val_data and validation_split; give one (Keras lets val_data win "
            "in silence)"
        )
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)):
        raise TypeError(f"fit: validation_split must be a number, got {fraction!r}")
    if not 0 < fraction < 1:
        raise ValueError(f"fit: validation_split must be between 0 and 1, got {fraction!r}")
    arrays = _array_tuple(data)
    if len(arrays) != 2:
        raise ValueError(
            "fit: validation_split splits (X, y) arrays; for a dataset or DataLoader give "
            "val_data (cr.data.train_test_split makes one)"
        )
    n = len(arrays[0])
    split_at = int(np.floor(n * (1.0 - fraction)))  # as Keras rounds it
    if not 0 < split_at < n:
        raise ValueError(
            f"fit: validation_split={fraction} of {n} samples leaves "
            f"{'none to train on' if split_at == 0 else 'none to validate on'}"
        )
    return tuple(a[:split_at] for a in arrays), tuple(a[split_at:] for a in arrays)


def _array_tuple(data) -> tuple:
    """``data`` as a tuple when it is a tuple or list of arrays (Keras's ``(X, y)`` or
    ``[X, y]``); else ``()``: a list of samples (pairs) is a dataset."""
    if isinstance(data, (tuple, list)) and all(
        isinstance(a, (np.ndarray, Tensor)) and a.ndim >= 1 for a in data
    ):
        return tuple(data)
    return ()


def evaluation_loader(data, batch_size: int):
    """A loader over every sample of ``data`` in order: a DataLoader that drops its last
    batch or shuffles is read again without doing either (Keras never leaves samples out
    of an evaluation)."""
    from .data import DataLoader

    if isinstance(data, DataLoader) and (data.drop_last or data.shuffle):
        whole = copy.copy(data)  # its own class and batching, in order, every sample
        whole.shuffle, whole.drop_last = False, False
        return whole
    return train_loader(data, batch_size, False, None)


def check_loader_settings(data, **given) -> None:
    """Settings given to fit for a DataLoader that has its own: an error, not ignored."""
    from .data import DataLoader

    if not isinstance(data, DataLoader):
        return
    clash = [
        f"{k}={v!r}"
        for k, v in given.items()
        if v is not None and (k == "seed" or getattr(data, k) != v)
    ]
    if clash:
        raise ValueError(
            f"fit: train_data is a DataLoader (batch_size={data.batch_size}, "
            f"shuffle={data.shuffle}), so {', '.join(clash)} would not apply; set them on "
            "the DataLoader"
        )


def input_dtype(model):
    """The dtype of the model's first floating parameter (None without one): fit, evaluate
    and predict cast numeric inputs (float, integer, bool) to it, as Keras casts inputs to
    a layer's dtype, so float64 data does not silently run a float32 model in float64.
    None, no cast, for a model whose first layer with parameters is an `nn.Embedding`: its
    inputs are indices, which must stay integers."""
    from .nn._embedding import takes_indices  # nn is built on the core: imported late

    if takes_indices(model):
        return None
    params = model.parameters() if hasattr(model, "parameters") else ()
    return next((p.dtype for p in params if p.dtype.kind == "f"), None)


def as_input(x: np.ndarray, dtype) -> Tensor:
    """``x`` as a Tensor of the model's float ``dtype``: floating, integer and boolean
    inputs are all cast, as Keras casts inputs to a layer's dtype (int64 data must not run
    a float32 model in float64, as NumPy's promotion would)."""
    if dtype is not None and x.dtype.kind in "biuf" and x.dtype != dtype:
        x = quietly(x.astype, (dtype,))  # beyond the dtype's range: ±inf, as IEEE casts give
    return Tensor(x)


def batching(loader) -> str:
    """How many samples a loader holds and how it batches them (for an empty-data error:
    ``drop_last`` can leave no batch from samples that exist)."""
    n = len(loader.dataset)
    return f"{n} samples, batch_size {loader.batch_size}, drop_last {loader.drop_last}"


def check_finite(loader, what: str, dtype=None) -> None:
    """A clear error, up front, for NaN or infinity in a dataset's inputs or float targets,
    and for inputs too large for the model's float ``dtype`` (they would become inf)."""
    dataset = loader.dataset
    for name in ("X", "y"):
        a = getattr(dataset, name, None)
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc" and a.size:
            _check_array(a, f"fit: {what} holds", f"{name} of shape {a.shape}", name)
    X = getattr(dataset, "X", None)
    if dtype is not None and isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.size:
        limit = np.finfo(dtype).max
        wider = X.dtype.itemsize > np.dtype(dtype).itemsize
        if wider and (X.max() > limit or X.min() < -limit):  # no X-sized temporary
            bad = int(np.count_nonzero(np.abs(X) > limit))
            raise ValueError(
                f"fit: {what} holds {bad} input values beyond the range of the model's "
                f"{np.dtype(dtype)} (|x| > {limit:.4g}; X of shape {X.shape}): they would "
                "become infinite"
            )


def _check_array(a: np.ndarray, prefix: str, where: str, name: str) -> None:
    with np.errstate(all="ignore"):  # a sum is finite when every value is (no a-sized mask)
        if np.isfinite(np.add.reduce(a, axis=None)):
            return
    if not np.isfinite(a).all():  # inf or NaN, or only an overflowing sum: count exactly
        bad = int(a.size - np.isfinite(a).sum())
        kind = "input" if name == "X" else "target"
        raise ValueError(f"{prefix} {bad} NaN or infinite {kind} values ({where})")
