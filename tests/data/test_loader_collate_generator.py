"""DataLoader's collate_fn and generator, and random_split's generator, as PyTorch's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.data import ArrayDataset, DataLoader, random_split


class _Records:
    """Seven samples (x_i, label_i, name_i) that the default collation could not stack."""

    def __len__(self) -> int:
        return 7

    def __getitem__(self, i):
        return np.arange(i, i + 3, dtype=np.float64), i % 3, f"s{i}"


class _BatchedRecords(_Records):
    """The same samples, with PyTorch's ``__getitems__`` returning them tagged as batched."""

    def __getitems__(self, indices):
        return [("batched", *self[i]) for i in indices]


def _summary(samples):
    """A collate function of pure Python values, so both libraries' batches compare."""
    return [tuple(np.asarray(v).tolist() for v in sample) for sample in samples]


def _ids(n: int) -> ArrayDataset:
    return ArrayDataset(np.arange(n, dtype=np.float32)[:, None], 10 * np.arange(n))


@pytest.mark.parametrize("make", [_Records, _BatchedRecords, lambda: _ids(7)])
@pytest.mark.parametrize("collate_fn", [_summary, len, lambda samples: None])
@pytest.mark.parametrize("drop_last", [False, True])
def test_collate_fn_gives_pytorchs_batches(make, collate_fn, drop_last):
    torch = pytest.importorskip("torch")
    dataset = make()
    ours = list(DataLoader(dataset, 3, drop_last=drop_last, collate_fn=collate_fn))
    theirs = list(
        torch.utils.data.DataLoader(dataset, 3, drop_last=drop_last, collate_fn=collate_fn)
    )
    assert len(ours) == (2 if drop_last else 3)
    assert ours == theirs


def test_collate_fn_sees_each_sample_of_a_shuffled_epoch_once():
    ds = _ids(10)
    batches = list(DataLoader(ds, 4, shuffle=True, seed=1, collate_fn=list))
    order = np.random.default_rng(1).permutation(10)
    got = [int(x[0]) for batch in batches for x, _ in batch]
    assert got == order.tolist()
    assert all(y == 10 * int(x[0]) for batch in batches for x, y in batch)


def test_without_collate_fn_an_array_dataset_is_one_indexing_per_batch(monkeypatch):
    calls = []
    original = ArrayDataset.__getitem__

    def counted(self, index):
        calls.append(index)
        return original(self, index)

    monkeypatch.setattr(ArrayDataset, "__getitem__", counted)
    X, y = np.arange(14.0).reshape(7, 2), np.arange(7) * 3
    batches = list(DataLoader(ArrayDataset(X, y), 3))
    assert len(calls) == 3
    assert all(isinstance(c, np.ndarray) for c in calls)
    for (Xb, yb), start in zip(batches, (0, 3, 6), strict=True):
        np.testing.assert_array_equal(Xb, X[start : start + 3])
        np.testing.assert_array_equal(yb, y[start : start + 3])
    calls.clear()
    list(DataLoader(ArrayDataset(X, y), 3, collate_fn=list))
    assert calls == list(range(7))  # dataset[i] for each sample, as PyTorch's


def _epochs(loader, n: int = 3):
    return [[X[:, 0].astype(int).tolist() for X, _ in loader] for _ in range(n)]


def test_generators_seeded_alike_give_the_same_batches():
    a = _epochs(DataLoader(_ids(9), 4, shuffle=True, generator=np.random.default_rng(5)))
    b = _epochs(DataLoader(_ids(9), 4, shuffle=True, generator=np.random.default_rng(5)))
    assert a == b
    truth = np.random.default_rng(5)  # one permutation per epoch, drawn from the generator
    for epoch in a:
        order = truth.permutation(9).tolist()
        assert epoch == [order[0:4], order[4:8], order[8:]]


def test_the_loader_advances_the_generator_it_is_given():
    g = np.random.default_rng(3)
    loader = DataLoader(_ids(6), 2, shuffle=True, generator=g)
    iter(loader)
    fresh = np.random.default_rng(3)
    fresh.permutation(6)
    assert g.bit_generator.state == fresh.bit_generator.state
    assert loader.state_dict() == {"rng": g.bit_generator.state}


def test_state_dict_round_trip_with_a_generator():
    loader = DataLoader(_ids(8), 3, shuffle=True, generator=np.random.default_rng(2))
    _epochs(loader, 1)
    saved = json.loads(json.dumps(loader.state_dict()))
    following = _epochs(loader, 2)
    other = DataLoader(_ids(8), 3, shuffle=True, generator=np.random.default_rng(99))
    other.load_state_dict(saved)
    assert _epochs(other, 2) == following


def test_random_split_with_a_generator():
    g = np.random.default_rng(4)
    parts = random_split(_ids(10), [6, 4], generator=g)
    order = np.random.default_rng(4).permutation(10)
    assert [p.indices.tolist() for p in parts] == [order[:6].tolist(), order[6:].tolist()]
    again = random_split(_ids(10), [6, 4], generator=g)  # g moved on: another split
    assert again[0].indices.tolist() != parts[0].indices.tolist()
    twin = random_split(_ids(10), [6, 4], generator=np.random.default_rng(4))
    assert twin[0].indices.tolist() == order[:6].tolist()


def test_collate_fn_must_be_callable():
    with pytest.raises(TypeError, match="DataLoader: collate_fn must be callable"):
        DataLoader(_ids(4), 2, collate_fn="stack")


@pytest.mark.parametrize("bad", [np.random.RandomState(0), 0, "torch"])
def test_a_generator_must_be_a_numpy_generator(bad):
    if bad == "torch":
        bad = pytest.importorskip("torch").Generator().manual_seed(0)
    with pytest.raises(TypeError, match=r"DataLoader: generator .*NumPy Generator or a seed"):
        DataLoader(_ids(4), 2, shuffle=True, generator=bad)
    with pytest.raises(TypeError, match=r"random_split: generator .*NumPy Generator or a seed"):
        random_split(_ids(4), [2, 2], generator=bad)


def test_seed_and_generator_together_are_refused():
    g = np.random.default_rng(0)
    with pytest.raises(TypeError, match="DataLoader: pass seed or generator, not both"):
        DataLoader(_ids(4), 2, shuffle=True, seed=1, generator=g)
    with pytest.raises(TypeError, match="random_split: pass seed or generator, not both"):
        random_split(_ids(4), [2, 2], seed=1, generator=g)
    assert g.bit_generator.state == np.random.default_rng(0).bit_generator.state
