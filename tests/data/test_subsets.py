"""Dataset, Subset, ConcatDataset and random_split, as PyTorch's: indexing, sizes, and a
DataLoader over them giving the batches it gives over the same samples as arrays."""

import warnings

import numpy as np
import pytest

import chainrule as cr

data = cr.data
X = np.arange(40.0).reshape(20, 2)
Y = np.arange(20)


def _batches(loader):
    return [(x.copy(), y.copy()) for x, y in loader]


def test_a_subset_is_its_datasets_samples_at_the_indices():
    ds = data.ArrayDataset(X, Y)
    sub = data.Subset(ds, [5, 0, 19])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub[0][0], X[5])
    assert sub[2][1] == 19
    assert sub.dataset is ds
    np.testing.assert_array_equal(sub.indices, [5, 0, 19])


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_loader_over_a_subset_gives_the_batches_of_those_samples_as_arrays(shuffle):
    idx = [3, 17, 4, 9, 0, 11, 12]
    over_subset = data.DataLoader(
        data.Subset(data.ArrayDataset(X, Y), idx), batch_size=3, shuffle=shuffle, seed=4
    )
    over_arrays = data.DataLoader((X[idx], Y[idx]), batch_size=3, shuffle=shuffle, seed=4)
    for (a, b), (c, d) in zip(_batches(over_subset), _batches(over_arrays), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_a_subset_of_a_per_sample_dataset_reads_it_a_sample_at_a_time():
    class Squares(data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            assert isinstance(i, int)  # never a whole batch of indices
            return np.array([i, i * i], dtype=float), i % 2

    batches = _batches(data.DataLoader(data.Subset(Squares(), [4, 1, 5]), batch_size=2))
    np.testing.assert_array_equal(batches[0][0], [[4, 16], [1, 1]])
    np.testing.assert_array_equal(batches[1][1], [1])


def test_concat_indexes_across_its_datasets_and_a_loader_reads_the_same_batches():
    first, second = data.ArrayDataset(X[:7], Y[:7]), data.ArrayDataset(X[7:] * 10, Y[7:])
    both = first + data.Subset(second, range(13))  # Dataset's +, with a Subset inside
    assert isinstance(both, data.ConcatDataset)
    assert len(both) == 20
    joined = data.ConcatDataset([first, second])
    assert joined.cumulative_sizes == [7, 20]
    assert len(joined) == 20
    np.testing.assert_array_equal(joined[7][0], X[7] * 10)
    np.testing.assert_array_equal(joined[-1][0], X[19] * 10)
    expected = (np.concatenate([X[:7], X[7:] * 10]), Y)
    for shuffle in (False, True):
        got = _batches(data.DataLoader(joined, batch_size=6, shuffle=shuffle, seed=2))
        want = _batches(data.DataLoader(expected, batch_size=6, shuffle=shuffle, seed=2))
        for (a, b), (c, d) in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, d)


def test_random_split_partitions_the_dataset_reproducibly():
    ds = data.ArrayDataset(X, Y)
    parts = data.random_split(ds, [12, 5, 3], seed=7)
    assert [len(p) for p in parts] == [12, 5, 3]
    seen = np.concatenate([p.indices for p in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(20))  # every sample once
    again = data.random_split(ds, [12, 5, 3], seed=7)
    for p, q in zip(parts, again):
        np.testing.assert_array_equal(p.indices, q.indices)


@pytest.mark.parametrize(
    "fractions", [[0.7, 0.3], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34], [0.1] * 10, [1.0, 0.0]]
)
def test_random_split_by_fractions_gives_pytorchs_sizes(fractions):
    torch = pytest.importorskip("torch")
    for n in (7, 20, 101):
        ours = data.random_split(
            data.ArrayDataset(np.zeros((n, 1)), np.zeros(n)), fractions, seed=0
        )
        with warnings.catch_warnings():  # PyTorch warns of an empty part; the sizes count
            warnings.simplefilter("ignore")
            theirs = torch.utils.data.random_split(range(n), fractions)
        assert [len(p) for p in ours] == [len(p) for p in theirs]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda ds: data.random_split(ds, [10, 5]), ValueError, "adding up to the dataset's 20"),
        (lambda ds: data.random_split(ds, [0.5, 0.6]), ValueError, "add up to 1"),
        (lambda ds: data.random_split(ds, ["10", 10]), TypeError, "must be numbers"),
        (lambda ds: data.Subset(ds, [0, 20]), IndexError, "index 20 is out of range"),
        (lambda ds: data.Subset(ds, [0.5]), TypeError, "sequence of integers"),
        (lambda ds: data.ConcatDataset([]), ValueError, "empty"),
        (lambda ds: data.ConcatDataset([ds])[20], IndexError, "index 20 is out of range"),
    ],
)
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call(data.ArrayDataset(X, Y))


def test_pytorchs_worker_settings_are_accepted_and_change_nothing():
    plain = _batches(data.DataLoader((X, Y), batch_size=6, shuffle=True, seed=3))
    ported = data.DataLoader(
        (X, Y),
        batch_size=6,
        shuffle=True,
        seed=3,
        num_workers=4,
        pin_memory=True,
        persistent_workers=True,
    )
    for (a, b), (c, d) in zip(plain, _batches(ported), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"num_workers": -1}, ValueError, "num_workers must be ≥ 0"),
        ({"num_workers": 1.5}, TypeError, "num_workers must be an int"),
        ({"persistent_workers": True}, ValueError, "needs num_workers > 0"),
        ({"pin_memory": "yes"}, TypeError, "pin_memory"),
    ],
)
def test_bad_worker_settings_are_refused_as_pytorch_refuses_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        data.DataLoader((X, Y), **kwargs)
