"""Datasets by name, for the command line and for code that takes a dataset as a string."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ._bundled import (
    DataBundle,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from ._mnist import load_fashion_mnist, load_mnist

DATASETS: Mapping[str, Callable[..., DataBundle]] = MappingProxyType(
    {
        "digits": load_digits,
        "iris": load_iris,
        "wine": load_wine,
        "breast_cancer": load_breast_cancer,
        "diabetes": load_diabetes,
        "mnist": load_mnist,
        "fashion_mnist": load_fashion_mnist,
    }
)
"""Name → loader. The bundled sets take only ``return_X_y``; the MNIST ones need ``root``."""

TASKS: Mapping[str, str] = MappingProxyType(
    {k: "regression" if k == "diabetes" else "classification" for k in DATASETS}
)
"""Name → the dataset's task, ``"classification"`` or ``"regression"``, known without
loading it (its `DataBundle` says the same)."""


def dataset_key(name) -> str:
    """The key of DATASETS a name means: case, surrounding spaces and ``-`` ignored."""
    return str(name).strip().lower().replace("-", "_")


def load_dataset(name: str, **kwargs: Any) -> DataBundle | tuple:
    """Load a dataset by name (``"digits"``, ``"fashion-mnist"``, …; case and ``-`` ignored).

    Keyword arguments go to the loader, e.g. ``load_dataset("mnist", root="data")``; a
    bundled dataset's ``return_X_y=True`` gives ``(X, y)`` instead of the `DataBundle`.
    """
    key = dataset_key(name)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    return DATASETS[key](**kwargs)
