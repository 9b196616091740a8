"""The data `fit`, `evaluate` and `predict` are given: loaders made from arrays or datasets,
the settings that clash with a loader's own, inputs cast to the model's dtype, the
up-front check for NaN and infinity, and where the data meets Keras's weights (each
sample's class weight, the arrays weights go with, a batch's ``(x, y, w)``); the weights
themselves are `_sample_weights.py`'s."""

from __future__ import annotations

import copy

import numpy as np

from ._quiet import quietly
from ._sample_weights import WeightedLoader, checked_sample_weight
from ._tensor import Tensor
from .data import ArrayDataset, DataLoader


def train_loader(data, batch_size: int, shuffle: bool, seed, owner: str = "fit"):
    """A DataLoader for ``data``: a loader already, a dataset, or an ``(X, y)`` pair (also
    as a list ``[X, y]`` of two arrays, as Keras reads a list); Keras's
    ``(X, y, sample_weight)`` makes a `WeightedLoader` (its weights checked, an error
    naming ``owner``)."""
    if isinstance(data, DataLoader):
        return _batched(data, owner)
    arrays = _array_tuple(data)
    if len(arrays) == 3:  # Keras's (X, y, sample_weight)
        X, y, w = arrays
        w = checked_sample_weight(w, len(X), owner)
        return WeightedLoader(ArrayDataset(X, y), w, batch_size, shuffle=shuffle, seed=seed)
    if len(arrays) == 2 or (isinstance(data, tuple) and len(data) == 2):
        data = ArrayDataset(*(arrays or data))
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _batched(loader: DataLoader, owner: str) -> DataLoader:
    """``loader``, which must batch: one with ``batch_size=None`` (and no batch sampler)
    yields single samples, without the batch axis that the model, the loss, the metrics
    and the count of samples read."""
    if loader.batch_size is None and loader.batch_sampler is None:
        raise ValueError(
            f"{owner}: the DataLoader has batch_size=None, which turns batching off (each "
            f"step one sample without a batch axis); {owner} reads batches: give the "
            "DataLoader a batch_size (1 for one sample a step)"
        )
    return loader


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
    if len(arrays) not in (2, 3):  # (X, y) or (X, y, sample_weight)
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
    """``data`` as a tuple when it is a tuple or list of arrays (Keras's ``(X, y)``,
    ``[X, y]`` or ``(X, y, sample_weight)``, whose weights may be a list, or None for none,
    as Keras unpacks it); else ``()``: a list of samples (pairs) is a dataset."""
    if not isinstance(data, (tuple, list)):
        return ()
    if len(data) == 3 and data[2] is None and all(_is_array(a) for a in data[:2]):
        return tuple(data[:2])
    if all(_is_array(a) for a in data[:2]) and len(data) == 3:  # the weights checked later
        return tuple(data)
    return tuple(data) if all(_is_array(a) for a in data) else ()


def _is_array(a) -> bool:
    return isinstance(a, (np.ndarray, Tensor)) and a.ndim >= 1


def evaluation_loader(data, batch_size: int, owner: str = "fit"):
    """A loader over every sample of ``data`` in order: a DataLoader that drops its last
    batch or shuffles is read again without doing either (Keras never leaves samples out
    of an evaluation)."""
    if isinstance(data, DataLoader) and (data.drop_last or data.shuffle):
        _batched(data, owner)
        whole = copy.copy(data)  # its own class and batching, in order, every sample
        whole.shuffle, whole.drop_last = False, False
        return whole
    return train_loader(data, batch_size, False, None, owner)


def check_loader_settings(data, **given) -> None:
    """Settings given to fit for a DataLoader that has its own: an error, not ignored."""
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
    ``drop_last``, or a sampler that gives no index, can leave no batch from samples that
    exist)."""
    n, how = len(loader.dataset), _sampling(loader)
    return f"{n} samples, batch_size {loader.batch_size}, drop_last {loader.drop_last}{how}"


def _sampling(loader) -> str:
    """The sampler or batch sampler that decides which samples a loader reads, and how
    many it gives (what an epoch holds, whatever the dataset's size); "" without one."""
    for name, unit in (("batch_sampler", "batches"), ("sampler", "indices")):
        given = getattr(loader, name, None)
        if given is not None:
            size = f" of {len(given)} {unit}" if hasattr(given, "__len__") else ""
            return f", {name} {type(given).__name__}{size}"
    return ""


def check_finite(loader, what: str, dtype=None) -> None:
    """A clear error, up front, for NaN or infinity in a dataset's inputs or float targets,
    and for inputs too large for the model's float ``dtype`` (they would become inf)."""
    arrays = _inputs_and_targets(loader.dataset)
    for name, a in zip(("X", "y"), arrays):
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc" and a.size:
            _check_array(a, f"fit: {what} holds", f"{name} of shape {a.shape}", name)
    X = arrays[0]
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


def _inputs_and_targets(dataset) -> tuple:
    """The arrays of inputs and targets of an `ArrayDataset` or of a `TensorDataset`'s
    first two; (None, None) for a dataset that holds no such arrays."""
    tensors = getattr(dataset, "tensors", None)
    if isinstance(tensors, tuple) and len(tensors) >= 2:
        return tensors[0], tensors[1]
    return getattr(dataset, "X", None), getattr(dataset, "y", None)


def _check_array(a: np.ndarray, prefix: str, where: str, name: str) -> None:
    with np.errstate(all="ignore"):  # a sum is finite when every value is (no a-sized mask)
        if np.isfinite(np.add.reduce(a, axis=None)):
            return
    if not np.isfinite(a).all():  # inf or NaN, or only an overflowing sum: count exactly
        bad = int(a.size - np.isfinite(a).sum())
        kind = "input" if name == "X" else "target"
        raise ValueError(f"{prefix} {bad} NaN or infinite {kind} values ({where})")


def class_sample_weight(y, class_weight) -> np.ndarray:
    """The sample weights Keras makes of ``class_weight``: each sample weighs the weight of
    its class, 1.0 for a class the dict leaves out. The class is the label of targets
    (N,) or (N, 1) taken to the nearest integer, or the arg-max of one-hot or probability
    rows (N, C); targets of more dimensions are refused, as Keras's ``class_weight``
    refused them."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim > 2:
        raise ValueError(
            f"fit: class_weight weighs a sample by its class: targets of shape {y.shape} "
            "(a class per position) have none; give sample_weight, or the loss's weight="
        )
    if y.dtype.kind == "f" and y.size:  # NaN or inf is no class: fit's error first
        _check_array(y, "fit: the training data holds", f"y of shape {y.shape}", "y")
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    classes, where = np.unique(np.rint(y).astype(np.int64), return_inverse=True)
    table = np.array([float(class_weight.get(int(c), 1.0)) for c in classes])
    return table[where.reshape(-1)] if len(y) else np.ones(0)


def arrays_to_weigh(data, owner: str, what: str) -> tuple:
    """``(X, y)`` of the data weights given apart from it (``evaluate(..., sample_weight=)``,
    ``fit(..., class_weight=)``) go with: ``(X, y)`` arrays only. Data that holds weights
    already, or a dataset or DataLoader, is an error naming ``what``."""
    arrays = _array_tuple(data)
    if len(arrays) == 3:
        raise ValueError(
            f"{owner}: {what} given for data that holds sample weights already, "
            "(X, y, sample_weight): give one (Keras refuses class_weight and sample_weight "
            "at the same time)"
        )
    if len(arrays) != 2:
        raise TypeError(
            f"{owner}: {what} goes with (X, y) arrays, not a {type(data).__name__} (a "
            "dataset or DataLoader has no arrays to weigh): give (X, y, sample_weight), or "
            "weigh the classes in the loss (weight=)"
        )
    return arrays


def unpacked(batch, owner: str = "fit", checked: bool = False) -> tuple:
    """``(x, y, w)`` of a batch: ``w`` its sample weights (checked as Keras's
    ``sample_weight`` unless ``checked``: a `WeightedLoader`'s were, once), None without
    them. A batch that is not ``(x, y)`` or ``(x, y, sample_weight)`` (a dict, one array)
    is a TypeError saying what fit reads."""
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise TypeError(
            f"{owner}: a batch must be (x, y) or (x, y, sample_weight), got {_described(batch)}; "
            "give the DataLoader a collate_fn that returns (x, y)"
        )
    x, y, *w = batch
    if not w or w[0] is None:
        return x, y, None
    return x, y, (w[0] if checked else checked_sample_weight(w[0], len(x), owner))


def _described(batch) -> str:
    if isinstance(batch, dict):
        return f"a dict with the keys {sorted(map(str, batch))[:5]}"
    if isinstance(batch, (tuple, list)):
        return f"a {type(batch).__name__} of {len(batch)}"
    return f"a {type(batch).__name__}"
