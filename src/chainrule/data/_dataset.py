"""ArrayDataset: paired arrays of inputs and targets, indexed together; TensorDataset:
PyTorch's, any number of arrays indexed together."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._subsets import Dataset


class ArrayDataset(Dataset):
    """Samples ``X[i]`` with targets ``y[i]``, held as NumPy arrays (never copied).

    ``dataset[i]`` gives ``(X[i], y[i])``; ``i`` may also be a slice or an integer array,
    which is how `DataLoader` takes a whole mini-batch in one indexing operation.

    >>> ds = ArrayDataset(np.zeros((4, 2)), np.arange(4))
    >>> len(ds), ds[1][1]
    (4, array(1))
    """

    def __init__(self, X: ArrayLike, y: ArrayLike) -> None:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim == 0 or y.ndim == 0:
            raise ValueError(
                f"ArrayDataset: X and y need a first (sample) dimension, "
                f"got X of shape {X.shape} and y of shape {y.shape}"
            )
        if len(X) != len(y):
            raise ValueError(
                f"ArrayDataset: X has {len(X)} samples but y has {len(y)}; "
                "they must have the same length (first dimension)"
            )
        self._X, self._y = X, y

    @property
    def X(self) -> np.ndarray:
        """All inputs, shape (N, ...)."""
        return self._X

    @property
    def y(self) -> np.ndarray:
        """All targets, shape (N, ...)."""
        return self._y

    def __len__(self) -> int:
        return len(self._X)

    def __getitem__(self, index) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._X[index]), np.asarray(self._y[index])

    def __repr__(self) -> str:
        return (
            f"ArrayDataset(X: {self._X.shape} {self._X.dtype}, y: {self._y.shape} {self._y.dtype})"
        )


class TensorDataset(Dataset):
    """PyTorch's ``TensorDataset(*tensors)``: one or more arrays (or Tensors) with the same
    first (sample) dimension, indexed together; ``dataset[i]`` is the tuple of their
    ``i``-th rows, and an integer array or slice gives the rows at once, as in
    `ArrayDataset`.

    ``dataset.tensors`` is the tuple of the arrays, held as NumPy arrays (a Tensor's
    ``.data``; never copied), so the batches a `DataLoader` makes of it are arrays: one
    indexing a batch, ``(X, y)`` for two arrays, ``(X, y, w)`` for three (which ``fit``
    reads as Keras's ``(x, y, sample_weight)``). PyTorch's first-dimension mismatch (its
    "Size mismatch between tensors") is a ValueError naming the sizes.

    >>> ds = TensorDataset(np.zeros((4, 2)), np.arange(4), np.ones(4))
    >>> len(ds), len(ds[1]), ds[1][1]
    (4, 3, array(1))
    """

    def __init__(self, *tensors: ArrayLike) -> None:
        if not tensors:
            raise TypeError("TensorDataset: give at least one array, TensorDataset(X, ...)")
        arrays = tuple(np.asarray(t) for t in tensors)  # a Tensor gives its .data, uncopied
        shapes = [a.shape for a in arrays]
        if any(a.ndim == 0 for a in arrays):
            raise ValueError(
                f"TensorDataset: each array needs a first (sample) dimension, got shapes {shapes}"
            )
        sizes = [len(a) for a in arrays]
        if len(set(sizes)) > 1:
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: their first dimensions are "
                f"{sizes}; each must hold one row a sample"
            )
        self.tensors = arrays

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, index) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(t[index]) for t in self.tensors)

    def __repr__(self) -> str:
        parts = ", ".join(f"{t.shape} {t.dtype}" for t in self.tensors)
        return f"TensorDataset({parts})"
