"""Edge cases of the data package checked against PyTorch's torch.utils.data:
namedtuple samples, and arguments of the wrong kind named in their errors."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from chainrule.data import (
    ArrayDataset,
    BatchSampler,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    Standardizer,
    Subset,
    SubsetRandomSampler,
    random_split,
)

Pair = collections.namedtuple("Pair", "image label")


class _Named:
    """A map-style dataset of ``n`` samples ``Pair(image=[i, -i], label=i)``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return Pair(np.array([i, -i], dtype=np.float32), i)


class _Stream(IterableDataset):
    """Two samples ``(x, y)`` in order, without len()."""

    def __iter__(self):
        return iter([(np.zeros(2), 0), (np.ones(2), 1)])


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


def _bad(call, error, *words):
    """``call()`` raises ``error`` and its message names each of ``words``."""
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


X = np.arange(8.0).reshape(4, 2)
Y = np.arange(4)


def test_samplers_and_lengths_that_are_not_iterables_are_named_when_given():
    # PyTorch (and this package before) said only "'int' object is not iterable", and for
    # a loader only when iterated
    ds = ArrayDataset(X, Y)
    _bad(lambda: DataLoader(ds, sampler=5), TypeError, "DataLoader", "sampler", "5")
    _bad(lambda: DataLoader(ds, batch_sampler=5), TypeError, "DataLoader", "batch_sampler")
    _bad(lambda: BatchSampler(5, 2, False), TypeError, "BatchSampler", "sampler")
    _bad(lambda: SubsetRandomSampler(5), TypeError, "SubsetRandomSampler", "indices")
    _bad(lambda: random_split(ds, 4, seed=0), TypeError, "random_split", "lengths")


def test_concat_names_a_part_without_len_and_refuses_a_stream():
    ds = ArrayDataset(X, Y)
    _bad(lambda: ConcatDataset([ds, None]), TypeError, "datasets[1]", "NoneType")
    _bad(lambda: ConcatDataset([_Stream()]), TypeError, "datasets[0]", "IterableDataset")
    # one dataset, not a list of them: its samples would become the "datasets"
    _bad(lambda: ConcatDataset(ds), TypeError, "list of datasets", "ArrayDataset")


def test_a_tuple_of_three_arrays_points_to_tensor_dataset():
    # it was read as a dataset of three samples, each one whole array, and refused as
    # "items must be pairs"
    _bad(lambda: DataLoader((X, Y, Y)), TypeError, "length 3", "TensorDataset")
    _bad(lambda: DataLoader((X,)), TypeError, "length 1", "TensorDataset")


def test_batch_size_none_with_drop_last_is_refused_naming_both():
    # batch_size=None turns batching off (PyTorch's); there is then no last batch to drop
    _bad(
        lambda: DataLoader(ArrayDataset(X, Y), batch_size=None, drop_last=True),
        ValueError,
        "batch_size=None",
        "drop_last",
    )
    _bad(lambda: DataLoader(_Stream(), batch_size=None, drop_last=True), ValueError, "drop_last")


def test_standardizer_state_without_a_key_is_a_value_error_naming_it():
    _bad(lambda: Standardizer().load_state_dict({"mean": [0.0]}), ValueError, "missing scale")
    _bad(lambda: Standardizer().load_state_dict([1.0]), ValueError, "missing mean, scale")


def test_a_subset_sliced_gives_the_samples_at_those_positions_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours = Subset(ArrayDataset(X, Y), [3, 1, 2])[0:2]
    theirs = torch.utils.data.Subset(torch.utils.data.TensorDataset(torch.tensor(Y)), [3, 1, 2])
    assert ours[1].tolist() == theirs[0:2][0].tolist() == [3, 1]
    assert np.array_equal(ours[0], X[[3, 1]])


class _Dicts:
    """``n`` dict samples ``{key: i}`` with the given keys."""

    def __init__(self, n: int, keys: str) -> None:
        self.n, self.keys = n, keys

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return {k: i for k in self.keys}


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [2, 3, 0, 1]])
def test_concat_of_dicts_with_other_keys_is_refused_as_their_samples_are(order):
    # the key "w" of the second dataset's samples was dropped from the batch without a
    # word; the same samples in one dataset are refused (one batch, one set of keys)
    concat = ConcatDataset([_Dicts(2, "xy"), _Dicts(2, "xyw")])
    with pytest.raises(TypeError, match="same keys"):  # the samples, as a list
        next(iter(DataLoader([concat[i] for i in order], batch_size=4)))
    with pytest.raises(TypeError, match="different kinds"):
        next(iter(DataLoader(concat, batch_size=4, sampler=order)))


@pytest.mark.parametrize("bit_generator", [np.random.MT19937, np.random.Philox])
def test_state_dict_of_any_bit_generator_goes_through_json_and_resumes(bit_generator):
    # an MT19937's state holds an array (its key): json.dumps refused the state_dict
    def loader(seed):
        rng = np.random.Generator(bit_generator(seed))
        return DataLoader(ArrayDataset(X, Y), batch_size=3, shuffle=True, generator=rng)

    first = loader(0)
    saved = json.dumps(first.state_dict())
    expected = [y.tolist() for _ in range(2) for _, y in first]
    resumed = loader(1)
    resumed.load_state_dict(json.loads(saved))
    assert [y.tolist() for _ in range(2) for _, y in resumed] == expected
    epoch = [i for batch in expected[:2] for i in batch]  # 2 batches: 3 samples + 1
    assert sorted(epoch) == Y.tolist()
