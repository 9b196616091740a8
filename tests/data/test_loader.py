"""ArrayDataset and DataLoader: batches, epochs, seeding, resuming."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ArrayDataset, DataLoader


def ids_dataset(n: int) -> ArrayDataset:
    """X[i] = (i, -i) and y[i] = 10·i, so every batch shows which samples it holds."""
    ids = np.arange(n)
    return ArrayDataset(np.stack([ids, -ids], axis=1).astype(np.float32), 10 * ids)


def epoch_ids(loader: DataLoader) -> list[np.ndarray]:
    return [X[:, 0].astype(int) for X, _ in loader]


# ----- ArrayDataset -----------------------------------------------------------------------
def test_dataset_indexing_returns_paired_arrays():
    ds = ids_dataset(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert isinstance(x, np.ndarray)
    assert isinstance(y, np.ndarray)
    assert x.tolist() == [3.0, -3.0]
    assert y.item() == 30
    X, y = ds[np.array([4, 0])]
    assert X[:, 0].tolist() == [4.0, 0.0]
    assert y.tolist() == [40, 0]
    assert ds[1:3][1].tolist() == [10, 20]


def test_dataset_keeps_the_callers_arrays():
    X, y = np.zeros((3, 2)), np.arange(3)
    ds = ArrayDataset(X, y)
    assert ds.X is X
    assert ds.y is y


def test_dataset_lengths_must_match():
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        ArrayDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="first"):
        ArrayDataset(np.float32(1.0), np.zeros(1))


# ----- DataLoader: batches ------------------------------------------------------------------
@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (9, 3), (2, 5), (1, 1), (0, 4), (100, 32)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_is_the_number_of_batches(n, batch_size, drop_last):
    loader = DataLoader(ids_dataset(n), batch_size, shuffle=True, seed=0, drop_last=drop_last)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected
    batches = list(loader)
    assert len(batches) == expected
    assert all(len(X) == len(y) <= batch_size for X, y in batches)
    if drop_last:
        assert all(len(X) == batch_size for X, _ in batches)


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_seen_exactly_once_per_epoch(shuffle):
    loader = DataLoader(ids_dataset(103), batch_size=10, shuffle=shuffle, seed=1)
    for _ in range(3):
        batches = list(loader)
        assert [len(X) for X, _ in batches] == [10] * 10 + [3]
        ids = np.concatenate([X[:, 0] for X, _ in batches]).astype(int)
        assert sorted(ids.tolist()) == list(range(103))
        for X, y in batches:  # inputs and targets stay paired
            np.testing.assert_array_equal(y, 10 * X[:, 0].astype(int))
            np.testing.assert_array_equal(X[:, 1], -X[:, 0])


def test_drop_last_leaves_out_only_the_short_batch():
    loader = DataLoader(ids_dataset(23), batch_size=5, shuffle=True, seed=2, drop_last=True)
    ids = np.concatenate(epoch_ids(loader))
    assert len(ids) == 20
    assert len(set(ids.tolist())) == 20


def test_without_shuffle_batches_follow_the_dataset_order():
    loader = DataLoader(ids_dataset(7), batch_size=3)
    assert [ids.tolist() for ids in epoch_ids(loader)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_batches_are_numpy_arrays_of_the_dataset_dtype():
    X = np.arange(6 * 2 * 3, dtype=np.float64).reshape(6, 2, 3)
    y = np.arange(6, dtype=np.int64)
    X_batch, y_batch = next(iter(DataLoader((X, y), batch_size=4, shuffle=True, seed=0)))
    assert type(X_batch) is np.ndarray
    assert X_batch.shape == (4, 2, 3)
    assert X_batch.dtype == np.float64
    assert y_batch.dtype == np.int64
    X_batch[:] = -1  # a copy: the dataset is untouched
    assert X.min() == 0


def test_one_indexing_call_per_batch(monkeypatch):
    calls = []
    real = ArrayDataset.__getitem__

    def counting(self, index):
        calls.append(np.shape(index))
        return real(self, index)

    monkeypatch.setattr(ArrayDataset, "__getitem__", counting)
    ds = ArrayDataset(np.zeros((1000, 3)), np.zeros(1000))
    assert sum(len(X) for X, _ in DataLoader(ds, batch_size=128, shuffle=True, seed=0)) == 1000
    assert calls == [(128,)] * 7 + [(104,)]


def test_a_subclass_with_its_own_getitem_is_read_one_sample_at_a_time():
    class Flipped(ArrayDataset):  # written for one index, as PyTorch datasets are
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x[::-1].copy(), y

    X, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    xb, yb = next(iter(DataLoader(Flipped(X, y), batch_size=3)))
    np.testing.assert_array_equal(xb, [[1.0, 0.0], [3.0, 2.0], [5.0, 4.0]])
    np.testing.assert_array_equal(yb, [0, 1, 2])


# ----- DataLoader: epochs and seeds -----------------------------------------------------------
def test_each_epoch_draws_a_new_order_reproducibly():
    first = DataLoader(ids_dataset(50), batch_size=50, shuffle=True, seed=7)
    again = DataLoader(ids_dataset(50), batch_size=50, shuffle=True, seed=7)
    other = DataLoader(ids_dataset(50), batch_size=50, shuffle=True, seed=8)
    epochs = [epoch_ids(first)[0].tolist() for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    assert [epoch_ids(again)[0].tolist() for _ in range(3)] == epochs
    assert epoch_ids(other)[0].tolist() != epochs[0]


def test_two_loops_over_one_loader_do_not_share_state():
    reference = DataLoader(ids_dataset(30), batch_size=4, shuffle=True, seed=3)
    expected = [np.concatenate(epoch_ids(reference)) for _ in range(2)]
    loader = DataLoader(ids_dataset(30), batch_size=4, shuffle=True, seed=3)
    outer, inner = iter(loader), iter(loader)  # orders drawn at iter(), in call order
    seen_outer, seen_inner = [], []
    for (X_outer, _), (X_inner, _) in zip(outer, inner):
        seen_outer.append(X_outer[:, 0])
        seen_inner.append(X_inner[:, 0])
    np.testing.assert_array_equal(np.concatenate(seen_outer), expected[0])
    np.testing.assert_array_equal(np.concatenate(seen_inner), expected[1])


def test_no_seed_follows_manual_seed():
    orders = []
    for _ in range(2):
        cr.manual_seed(123)
        orders.append(epoch_ids(DataLoader(ids_dataset(40), batch_size=40, shuffle=True))[0])
    np.testing.assert_array_equal(*orders)


def test_state_dict_resumes_the_same_data_order_through_json():
    loader = DataLoader(ids_dataset(40), batch_size=8, shuffle=True, seed=11)
    list(loader)  # epoch 1
    saved = json.loads(json.dumps(loader.state_dict()))
    rest = [np.concatenate(epoch_ids(loader)) for _ in range(2)]  # epochs 2 and 3
    resumed = DataLoader(ids_dataset(40), batch_size=8, shuffle=True, seed=999)
    resumed.load_state_dict(saved)
    for expected in rest:
        np.testing.assert_array_equal(np.concatenate(epoch_ids(resumed)), expected)


def test_state_taken_inside_an_epoch_resumes_with_the_next_epoch():
    # iter() draws the epoch's whole order at once, so a state taken before its first
    # batch, or halfway, already lies past this epoch: loading it replays the next one
    loader = DataLoader(ids_dataset(20), batch_size=6, shuffle=True, seed=4)
    batches = iter(loader)
    saved = loader.state_dict()
    first = [X[:, 0].astype(int) for X, _ in [next(batches)]]
    assert loader.state_dict() == saved  # reading batches draws nothing
    this_epoch = np.concatenate(first + [X[:, 0].astype(int) for X, _ in batches])
    next_epoch = np.concatenate(epoch_ids(loader))
    resumed = DataLoader(ids_dataset(20), batch_size=6, shuffle=True, seed=0)
    resumed.load_state_dict(saved)
    resumed_epoch = np.concatenate(epoch_ids(resumed))
    np.testing.assert_array_equal(resumed_epoch, next_epoch)
    assert resumed_epoch.tolist() != this_epoch.tolist()


def test_load_state_dict_rejects_foreign_state():
    loader = DataLoader(ids_dataset(4), seed=0)
    with pytest.raises(ValueError, match="load_state_dict"):
        loader.load_state_dict({"rng": {"bit_generator": "MT19937", "state": {}}})
    with pytest.raises(ValueError, match="load_state_dict"):
        loader.load_state_dict({"weights": 1})
    with pytest.raises(ValueError, match="invalid generator state"):
        loader.load_state_dict({"rng": {"bit_generator": "PCG64", "state": "x"}})


# ----- DataLoader: arguments -----------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -3])
def test_batch_size_must_be_positive(batch_size):
    with pytest.raises(ValueError, match=f"batch_size must be positive, got {batch_size}"):
        DataLoader(ids_dataset(4), batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [2.5, True, "8"])
def test_batch_size_must_be_an_int(batch_size):
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(ids_dataset(4), batch_size=batch_size)


def test_seed_and_dataset_are_validated():
    with pytest.raises(ValueError, match="seed must be >= 0"):
        DataLoader(ids_dataset(4), seed=-1)
    with pytest.raises(TypeError, match="seed must be an int"):
        DataLoader(ids_dataset(4), seed=1.5)
    with pytest.raises(TypeError, match="dataset must be"):
        DataLoader(42)


def test_repr_is_informative():
    text = repr(DataLoader(ids_dataset(10), batch_size=4, drop_last=True))
    assert "10 samples" in text
    assert "batch_size=4" in text
    assert "batches=2" in text


def test_a_per_sample_dataset_is_stacked_into_batches_pytorch_style():
    class Samples:  # a list of (x, y) pairs, indexed by one int only
        def __init__(self, n):
            self.items = [(np.full(3, i, np.float32), i % 2) for i in range(n)]

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    batches = list(DataLoader(Samples(7), batch_size=3, shuffle=True, seed=0))
    assert [len(x) for x, _ in batches] == [3, 3, 1]
    X = np.concatenate([x for x, _ in batches])
    y = np.concatenate([y for _, y in batches])
    assert X.shape == (7, 3)
    assert X.dtype == np.float32
    assert sorted(X[:, 0].astype(int)) == list(range(7))  # every sample once
    np.testing.assert_array_equal(y, X[:, 0].astype(int) % 2)  # labels stay with samples


def test_a_per_sample_getitem_that_would_accept_an_index_array_runs_per_sample():
    # written for one index, as in PyTorch: X[i][::-1] flips the row i; given an index
    # array it would flip the batch's order instead and pair rows with the wrong labels
    class Flipped:
        def __init__(self, X, y):
            self.X, self.y = X, y

        def __len__(self):
            return len(self.X)

        def __getitem__(self, i):
            return self.X[i][::-1].copy(), self.y[i]

    X, y = np.arange(12.0).reshape(4, 3), np.arange(4)
    ((xb, yb),) = list(DataLoader(Flipped(X, y), batch_size=4))
    np.testing.assert_array_equal(xb, X[:, ::-1])
    np.testing.assert_array_equal(yb, y)


def test_getitems_fetches_a_batch_of_samples_at_once_as_in_pytorch():
    calls = []

    class Batched:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [(np.full(2, i, np.float32), i) for i in indices]

    batches = list(DataLoader(Batched(), batch_size=2))
    assert calls == [[0, 1], [2, 3], [4]]
    np.testing.assert_array_equal(batches[1][0], [[2, 2], [3, 3]])
    np.testing.assert_array_equal(batches[2][1], [4])


def test_per_sample_items_that_are_not_pairs_are_named():
    class Bad:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return [1, 2, 3][i]

    with pytest.raises(TypeError, match="items must be pairs"):
        list(DataLoader(Bad(), batch_size=2))


def test_per_sample_items_that_are_one_array_of_two_are_refused_not_split():
    class Samples:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.array([i, 10 * i])

    with pytest.raises(TypeError, match="items must be pairs"):
        list(DataLoader(Samples(), batch_size=2))


def test_dict_samples_of_two_keys_are_collated_by_key_not_taken_as_pairs():
    class Samples:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"image": np.full(2, float(i)), "label": i}

    first = next(iter(DataLoader(Samples(), batch_size=2)))
    assert sorted(first) == ["image", "label"]
    np.testing.assert_array_equal(first["image"], [[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(first["label"], [0, 1])


def test_a_dataset_that_is_one_array_is_refused_not_unpacked_row_by_row():
    X = np.arange(12.0).reshape(6, 2)  # inputs without targets
    with pytest.raises(TypeError, match=r"DataLoader: dataset is one array of shape \(6, 2\)"):
        DataLoader(X, batch_size=2)  # a row of 2 values would unpack as (x, y)


def test_a_dict_of_arrays_is_refused_with_its_keys_named():
    data = {"X": np.zeros((4, 2)), "y": np.zeros(4)}
    with pytest.raises(
        TypeError, match=r"DataLoader: dataset is a dict with the keys \['X', 'y'\]"
    ):
        DataLoader(data)


# ----- yes/no settings are booleans -----------------------------------------------------------
@pytest.mark.parametrize("value", ["batch", "false", 2, 0.5])
@pytest.mark.parametrize("name", ["shuffle", "drop_last"])
def test_a_yes_no_setting_that_is_not_a_boolean_is_refused_by_name(name, value):
    # "false" from a config file, or Keras's shuffle="batch", is truthy: it would shuffle
    data = ArrayDataset(np.zeros((4, 2), np.float32), np.zeros(4, np.int64))
    with pytest.raises(TypeError, match=f"DataLoader: {name} must be True or False, got"):
        DataLoader(data, **{name: value})


@pytest.mark.parametrize(("value", "expected"), [(None, False), (np.True_, True), (1, True)])
def test_none_numpy_bools_and_0_or_1_are_yes_no_settings(value, expected):
    data = ArrayDataset(np.zeros((4, 2), np.float32), np.zeros(4, np.int64))
    assert DataLoader(data, shuffle=value).shuffle is expected  # None: PyTorch's default


def test_fit_names_itself_for_a_shuffle_that_is_not_a_boolean():
    model = cr.nn.Linear(2, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    data = (np.zeros((4, 2), np.float32), np.zeros(4, np.int64))
    with pytest.raises(TypeError, match="fit: shuffle must be True or False, got 'batch'"):
        cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 1, shuffle="batch")


@pytest.mark.parametrize("value", [np.int64(1), np.int32(0), np.uint8(1)])
def test_numpy_integers_0_and_1_are_yes_no_settings_as_python_ones(value):
    # a flag read from an array or a NumPy config (np.int64(1)) worked with bool() before
    data = ArrayDataset(np.zeros((4, 2), np.float32), np.zeros(4, np.int64))
    loader = DataLoader(data, shuffle=value, drop_last=value, seed=0)
    assert loader.shuffle is bool(value)
    assert loader.drop_last is bool(value)
    model = cr.nn.Linear(2, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 1, shuffle=value, progress=False)
