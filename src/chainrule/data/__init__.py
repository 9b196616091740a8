"""chainrule.data: datasets, mini-batches and preprocessing, all as NumPy arrays.

import chainrule.data as crd
digits = crd.load_digits()                                  # offline, bundled
X_tr, X_te, y_tr, y_te = crd.train_test_split(digits.X, digits.y, seed=0, stratify=True)
scaler = crd.Standardizer().fit(X_tr)
loader = crd.DataLoader(crd.ArrayDataset(scaler.transform(X_tr), y_tr),
                        batch_size=64, shuffle=True, seed=0)
for X_batch, y_batch in loader: ...
"""

from ._bundled import (
    DataBundle,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from ._dataset import ArrayDataset, TensorDataset
from ._download import DownloadError
from ._idx import IDXFormatError, read_idx
from ._loader import DataLoader
from ._mnist import download_mnist, load_fashion_mnist, load_mnist
from ._preprocessing import Standardizer, one_hot
from ._registry import DATASETS, TASKS, load_dataset
from ._samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from ._split import train_test_split
from ._subsets import ConcatDataset, Dataset, IterableDataset, Subset, random_split

__all__ = [
    "DATASETS",
    "TASKS",
    "ArrayDataset",
    "BatchSampler",
    "ConcatDataset",
    "DataBundle",
    "DataLoader",
    "Dataset",
    "DownloadError",
    "IDXFormatError",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Standardizer",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "download_mnist",
    "load_breast_cancer",
    "load_dataset",
    "load_diabetes",
    "load_digits",
    "load_fashion_mnist",
    "load_iris",
    "load_mnist",
    "load_wine",
    "one_hot",
    "random_split",
    "read_idx",
    "train_test_split",
]
