"""ArrayDataset: paired arrays of inputs and targets, indexed together."""

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
