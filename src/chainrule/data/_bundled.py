"""Real datasets bundled with the package, readable offline.

Each lives in ``bundled/<name>.npz``, written by ``scripts/make_datasets.py`` with its
source, citation and licence inside (see ``bundled/SOURCES.md``). The files hold plain
numeric and string arrays only; ``np.load`` refuses object arrays by default, and nothing
here turns that off.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from ._dataset import ArrayDataset


@dataclass(frozen=True, eq=False)
class DataBundle:
    """A loaded dataset: the arrays, what their columns and labels mean, and their origin.

    ``X`` is float32 of shape (N, features); ``y`` holds int64 class labels 0..K−1 for
    classification or float32 targets for regression (``task`` says which). ``name`` is
    the dataset's (``"digits"``, ``"mnist"``, …), ``feature_names`` and ``target_names``
    name the columns of ``X`` and the classes (None where the data has none), and
    ``description`` says where the data comes from.

    For scikit-learn's habits, ``data`` and ``target`` are ``X`` and ``y`` (the same
    arrays), and each bundled loader takes ``return_X_y=True`` to give ``(X, y)`` alone.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: tuple[str, ...] | None
    target_names: tuple[str, ...] | None
    description: str

    def __len__(self) -> int:
        return len(self.X)

    @property
    def num_classes(self) -> int | None:
        """Number of classes for classification data, None for regression."""
        return None if self.task == "regression" else len(self.target_names or ())

    @property
    def data(self) -> np.ndarray:
        """``X``, under scikit-learn's name."""
        return self.X

    @property
    def target(self) -> np.ndarray:
        """``y``, under scikit-learn's name."""
        return self.y

    def dataset(self) -> ArrayDataset:
        """The arrays as an `ArrayDataset`, ready for a `DataLoader`."""
        return ArrayDataset(self.X, self.y)

    def __repr__(self) -> str:
        return (
            f"DataBundle({self.name!r}, X: {self.X.shape} {self.X.dtype}, "
            f"y: {self.y.shape} {self.y.dtype}, task={self.task!r})"
        )


def load_digits(*, return_X_y: bool = False) -> DataBundle | tuple:
    """Handwritten digits, 1,797 images of 8×8 pixels (values 0–16), 10 classes.

    The UCI "Optical Recognition of Handwritten Digits" test set (Alpaydin & Kaynak 1998,
    CC BY 4.0). ``X`` is (1797, 64), row-major pixels; reshape to (N, 8, 8) to view them.
    The default dataset of chainrule.
    """
    return _load_bundled("digits", return_X_y)


def load_iris(*, return_X_y: bool = False) -> DataBundle | tuple:
    """Fisher's iris flowers (1936): 150 samples, 4 measurements in cm, 3 species of 50."""
    return _load_bundled("iris", return_X_y)


def load_wine(*, return_X_y: bool = False) -> DataBundle | tuple:
    """UCI wine recognition: 178 wines, 13 chemical measurements, 3 cultivars (59/71/48)."""
    return _load_bundled("wine", return_X_y)


def load_breast_cancer(*, return_X_y: bool = False) -> DataBundle | tuple:
    """Breast Cancer Wisconsin (Diagnostic): 569 samples, 30 features; 0 = malignant (212),
    1 = benign (357)."""
    return _load_bundled("breast_cancer", return_X_y)


def load_diabetes(*, return_X_y: bool = False) -> DataBundle | tuple:
    """Diabetes progression (Efron et al. 2004): 442 patients, 10 baseline variables in their
    original units (not standardised: use `Standardizer`), float32 targets — a regression
    set for MSE.

    "Original units" as in the authors' file (sex, for one, is coded 1 and 2). These are
    scikit-learn's ``load_diabetes(scaled=False)``; its default ``scaled=True`` gives each
    column mean 0 and Euclidean norm 1, that is ``Standardizer`` output divided by √442."""
    return _load_bundled("diabetes", return_X_y)


def _load_bundled(name: str, return_X_y: bool = False) -> DataBundle | tuple:
    """The bundled dataset ``name``; with ``return_X_y`` its ``(X, y)`` only, as
    scikit-learn's loaders give them."""
    bundle = _read_bundled(name)
    return (bundle.X, bundle.y) if return_X_y else bundle


def _read_bundled(name: str) -> DataBundle:
    resource = resources.files(__package__) / "bundled" / f"{name}.npz"
    with resource.open("rb") as f, np.load(f) as npz:
        arrays = {key: npz[key] for key in npz.files}
    task = str(arrays["task"])
    return DataBundle(
        name=name,
        X=arrays["X"].astype(np.float32),
        y=arrays["y"].astype(np.float32 if task == "regression" else np.int64),
        task=task,
        feature_names=_names(arrays.get("feature_names")),
        target_names=_names(arrays.get("target_names")),
        description=str(arrays["description"]),
    )


def _names(array: np.ndarray | None) -> tuple[str, ...] | None:
    return None if array is None else tuple(str(s) for s in array)
