"""Edge cases of the data package found in a review against PyTorch's torch.utils.data:
namedtuple samples, and arguments of the wrong kind named in their errors."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from chainrule.data import ConcatDataset, DataLoader, Subset

Pair = collections.namedtuple("Pair", "image label")


class _Named:
    """A map-style dataset of ``n`` samples ``Pair(image=[i, -i], label=i)``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return Pair(np.array([i, -i], dtype=np.float32), i)


@pytest.mark.parametrize(
    ("dataset", "labels"),
    [
        (_Named(4), [0, 1, 2, 3]),
        (Subset(_Named(4), [3, 1]), [3, 1]),
        (ConcatDataset([_Named(2), _Named(3)]), [0, 1, 0, 1, 2]),
    ],
)
def test_namedtuple_samples_give_namedtuple_batches_as_pytorchs(dataset, labels):
    torch = pytest.importorskip("torch")
    ours = next(iter(DataLoader(dataset, batch_size=5)))
    theirs = next(iter(torch.utils.data.DataLoader(dataset, batch_size=5)))
    assert type(ours) is type(theirs) is Pair  # PyTorch keeps the sample's namedtuple
    assert ours.label.tolist() == theirs.label.tolist() == labels
    assert np.array_equal(ours.image, theirs.image.numpy())
    assert np.array_equal(ours.image[:, 0], labels)  # by hand: row i is [i, -i]
