"""PyTorch's TensorDataset, samples of any number of fields (and dicts), and
IterableDataset: batches against PyTorch's DataLoader, by hand, errors, and fit."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    ConcatDataset,
    DataLoader,
    IterableDataset,
    Subset,
    TensorDataset,
)

X = np.arange(20.0, dtype=np.float32).reshape(10, 2)  # row i is [2i, 2i + 1]
Y = np.arange(10) % 3
W = np.linspace(0.5, 2.0, 10)


class _Samples:
    """A map-style dataset of ``n`` samples ``make(i)``."""

    def __init__(self, n: int, make) -> None:
        self.n, self.make = n, make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.make(i)


class _Stream(IterableDataset):
    """The samples ``(X[i], Y[i])`` of the first ``n`` rows, in order; no len()."""

    def __init__(self, n: int = 10) -> None:
        self.n = n

    def __iter__(self):
        return ((X[i], Y[i]) for i in range(self.n))


class _SizedStream(_Stream):
    def __len__(self) -> int:
        return self.n


_MAKERS = {
    "triple": lambda i: (X[i], Y[i], W[i]),
    "single": lambda i: (X[i],),
    "list": lambda i: [X[i], Y[i], W[i]],
    "dict": lambda i: {"image": X[i], "label": Y[i]},
}


def _same(ours, theirs) -> None:
    """A batch of ours (tuple or dict of arrays) equals PyTorch's (list or dict of tensors),
    values and dtypes."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict)
        assert list(ours) == list(theirs)
        pairs = [(ours[k], theirs[k]) for k in theirs]
    else:
        assert isinstance(ours, tuple)
        assert len(ours) == len(theirs)
        pairs = list(zip(ours, theirs))
    for a, b in pairs:
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(a, b.numpy())


# ----- against PyTorch's DataLoader ---------------------------------------------------------
@pytest.mark.parametrize("arrays", [(X,), (X, Y), (X, Y, W)], ids=["one", "two", "three"])
def test_tensor_dataset_batches_are_pytorchs(arrays):
    torch = pytest.importorskip("torch")
    from torch.utils import data as tud

    ours = list(DataLoader(TensorDataset(*arrays), batch_size=4))
    theirs = list(tud.DataLoader(tud.TensorDataset(*map(torch.from_numpy, arrays)), batch_size=4))
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        _same(a, b)


@pytest.mark.parametrize("kind", list(_MAKERS))
def test_samples_of_any_length_and_dicts_collate_as_pytorchs(kind):
    pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader

    ours = list(DataLoader(_Samples(10, _MAKERS[kind]), batch_size=4))
    theirs = list(TorchLoader(_Samples(10, _MAKERS[kind]), batch_size=4))
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        _same(a, b)


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_batches_are_pytorchs(drop_last):
    pytest.importorskip("torch")
    from torch.utils import data as tud

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return ((X[i], Y[i]) for i in range(10))

    ours = list(DataLoader(_Stream(), batch_size=4, drop_last=drop_last))
    theirs = list(tud.DataLoader(TorchStream(), batch_size=4, drop_last=drop_last))
    assert len(ours) == len(theirs) == (2 if drop_last else 3)
    for a, b in zip(ours, theirs):
        _same(a, b)


@pytest.mark.parametrize("option", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_dataset_refuses_an_order_with_pytorchs_error(option):
    pytest.importorskip("torch")
    from torch.utils import data as tud

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(())

    value = {"shuffle": True, "sampler": [0, 1], "batch_sampler": [[0, 1]]}[option]
    expected = f"DataLoader with IterableDataset: expected unspecified {option} option"
    with pytest.raises(ValueError, match=expected):
        tud.DataLoader(TorchStream(), **{option: value})
    with pytest.raises(ValueError, match=expected):
        DataLoader(_Stream(), **{option: value})


@pytest.mark.parametrize("drop_last", [False, True])
def test_len_of_a_loader_over_a_sized_stream_is_pytorchs(drop_last):
    pytest.importorskip("torch")
    from torch.utils import data as tud

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(())

        def __len__(self):
            return 10

    theirs = len(tud.DataLoader(TorchStream(), batch_size=4, drop_last=drop_last))
    assert len(DataLoader(_SizedStream(), batch_size=4, drop_last=drop_last)) == theirs


# ----- TensorDataset, worked by hand ----------------------------------------------------------
def test_tensor_dataset_items_are_tuples_of_rows():
    ds = TensorDataset(X, Y, W)
    assert len(ds) == 10
    assert len(ds.tensors) == 3
    assert all(a is b for a, b in zip(ds.tensors, (X, Y, W)))  # held, not copied
    x, y, w = ds[3]
    assert x.tolist() == [6.0, 7.0]
    assert y == 0
    assert w == pytest.approx(0.5 + 3 * 1.5 / 9)
    (x_only,) = TensorDataset(X)[9]
    assert x_only.tolist() == [18.0, 19.0]


def test_tensor_dataset_takes_chainrule_tensors_as_their_arrays():
    t = cr.tensor(X, requires_grad=True)
    ds = TensorDataset(t, Y)
    assert ds.tensors[0] is t.data
    X_batch, y_batch = next(iter(DataLoader(ds, batch_size=3)))
    assert isinstance(X_batch, np.ndarray)
    assert X_batch.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert y_batch.tolist() == [0, 1, 2]


def test_tensor_dataset_batches_are_one_indexing_each_and_copies(monkeypatch):
    calls = []
    original = TensorDataset.__getitem__

    def counted(self, index):
        calls.append(np.asarray(index).tolist())
        return original(self, index)

    monkeypatch.setattr(TensorDataset, "__getitem__", counted)
    batches = list(DataLoader(TensorDataset(X.copy(), Y), batch_size=4))
    assert calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    batches[0][0][:] = -1  # a copy: the dataset keeps its values
    assert DataLoader(TensorDataset(X, Y), batch_size=4).dataset[0][0].tolist() == [0, 1]


def test_subset_and_concat_of_tensor_datasets_keep_every_field():
    ds = TensorDataset(X, Y, W)
    (x, y, w), *_ = DataLoader(Subset(ds, [9, 0, 4]), batch_size=3)
    assert x[:, 0].tolist() == [18, 0, 8]
    assert y.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(w, W[[9, 0, 4]])
    both = ConcatDataset([TensorDataset(X[:3], Y[:3], W[:3]), TensorDataset(X[3:], Y[3:], W[3:])])
    batches = list(DataLoader(both, batch_size=4))
    assert [len(b) for b in batches] == [3, 3, 3]
    np.testing.assert_array_equal(np.concatenate([b[2] for b in batches]), W)


def test_concat_of_dict_datasets_collates_key_by_key_in_the_sampled_order():
    make = lambda i: {"image": X[i], "label": Y[i]}  # noqa: E731
    both = ConcatDataset([_Samples(3, make), Subset(_Samples(10, make), [3, 4, 5])])
    (batch,) = DataLoader(both, batch_size=4, sampler=[4, 0, 5, 1])
    assert list(batch) == ["image", "label"]
    assert batch["image"][:, 0].tolist() == [8, 0, 10, 2]  # rows 4, 0, 5, 1: 2i
    assert batch["label"].tolist() == [1, 0, 2, 1]  # i % 3


def test_concat_of_datasets_with_samples_of_different_lengths_is_refused():
    both = ConcatDataset([TensorDataset(X[:3], Y[:3]), TensorDataset(X[3:], Y[3:], W[3:])])
    with pytest.raises(TypeError, match=r"different lengths \(\[2, 3\]\)"):
        list(DataLoader(both, batch_size=4))


def test_tensor_dataset_errors():
    with pytest.raises(TypeError, match="TensorDataset: give at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"size mismatch between tensors.* \[10, 10, 3\]"):
        TensorDataset(X, Y, W[:3])
    with pytest.raises(ValueError, match=r"first \(sample\) dimension, got shapes"):
        TensorDataset(X, np.float32(1.0))


# ----- default collation, worked by hand ------------------------------------------------------
def test_triples_stack_position_by_position():
    x, y, w = next(iter(DataLoader(_Samples(3, lambda i: (X[i], i, 0.5 * i)), batch_size=3)))
    assert x.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert y.tolist() == [0, 1, 2]
    assert y.dtype == np.int64
    assert w.tolist() == [0.0, 0.5, 1.0]
    assert w.dtype == np.float64


def test_dict_samples_collate_key_by_key_in_their_order():
    make = lambda i: {"label": i, "image": X[i]}  # noqa: E731
    batch = next(iter(DataLoader(_Samples(3, make), batch_size=2)))
    assert list(batch) == ["label", "image"]
    assert batch["label"].tolist() == [0, 1]
    assert batch["image"].tolist() == [[0, 1], [2, 3]]


def test_strings_in_a_triple_stack_into_a_string_array():
    # PyTorch keeps a list of str; here, as for pairs, a NumPy string array
    (_, _, names), *_ = DataLoader(_Samples(3, lambda i: (X[i], i, "abc"[i])), batch_size=3)
    assert names.dtype.kind == "U"
    assert names.tolist() == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (
            lambda i: (X[i], i) if i else (X[i], i, 1.0),
            r"one length, .*got items of lengths \[2, 3\]",
        ),
        (lambda i: (X[i], i, None), r"got item\[2\] = None"),
        (lambda i: (X[i], None), r"pairs \(x, y\) of arrays or numbers, got y = None"),
        (lambda i: {"image": X[i], "label": None}, r"got \['label'\] = None"),
        (lambda i: {"image": X[i], "label" if i else "y": i}, r"same keys, \['image', 'y'\]"),
        (lambda i: {"image": X[i]} if i < 2 else (X[i],), r"same keys.*got tuple"),
        (lambda i: (), r"items must be pairs.*got tuple \(\)"),
        (lambda i: i, r"items must be pairs.*\(or tuples of any length"),
    ],
    ids=["lengths", "none-third", "none-y", "none-value", "keys", "mixed", "empty", "number"],
)
def test_samples_that_cannot_be_collated_are_named(make, error):
    with pytest.raises(TypeError, match=error):
        list(DataLoader(_Samples(3, make), batch_size=3))


# ----- IterableDataset, worked by hand --------------------------------------------------------
def test_stream_batches_follow_its_order_every_epoch():
    loader = DataLoader(_Stream(5), batch_size=2)
    for _ in range(2):  # each iter() reads the stream again from its start
        batches = list(loader)
        assert [x[:, 0].tolist() for x, _ in batches] == [[0, 2], [4, 6], [8]]
        assert [y.tolist() for _, y in batches] == [[0, 1], [2, 0], [1]]
    dropped = DataLoader(_Stream(5), batch_size=2, drop_last=True)
    assert [y.tolist() for _, y in dropped] == [[0, 1], [2, 0]]


def test_stream_batches_go_through_collate_fn():
    seen = []
    loader = DataLoader(_Stream(3), batch_size=2, collate_fn=lambda s: seen.append(len(s)))
    assert list(loader) == [None, None]
    assert seen == [2, 1]


def test_len_of_a_loader_over_a_stream():
    assert len(DataLoader(_SizedStream(10), batch_size=4)) == 3  # ⌈10 / 4⌉
    assert len(DataLoader(_SizedStream(10), batch_size=4, drop_last=True)) == 2
    with pytest.raises(TypeError, match="needs the dataset's len\\(\\), and _Stream has no"):
        len(DataLoader(_Stream(), batch_size=4))
    assert "a stream of samples" in repr(DataLoader(_Stream(), batch_size=4))


def test_iterable_dataset_base_class_and_what_it_refuses():
    with pytest.raises(NotImplementedError, match=r"IterableDataset.__iter__"):
        iter(IterableDataset())
    with pytest.raises(TypeError, match="ChainDataset"):
        _Stream() + _Stream()
    with pytest.raises(TypeError, match=r"subclass of cr\.data\.IterableDataset"):
        DataLoader(s for s in [(X[0], 0)])


# ----- fit --------------------------------------------------------------------------------------
def _fitted(data, **options):
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(2, 5), cr.nn.Tanh(), cr.nn.Linear(5, 3))
    opt = cr.optim.SGD(model.parameters(), lr=0.05)
    loss = cr.nn.CrossEntropyLoss()
    history = cr.fit(model, loss, opt, data, epochs=3, progress=False, **options)
    return history.history, [p.data.copy() for p in model.parameters()]


def _assert_same_run(a, b) -> None:
    assert a[0] == b[0]
    assert all(np.array_equal(p, q) for p, q in zip(a[1], b[1], strict=True))


def test_fit_over_a_tensor_dataset_is_fit_over_its_arrays_bit_for_bit():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, seed=7)
    _assert_same_run(_fitted(loader), _fitted((X, Y), batch_size=4, seed=7))


def test_fit_reads_a_tensor_dataset_of_three_as_sample_weights():
    loader = DataLoader(TensorDataset(X, Y, W), batch_size=4, shuffle=True, seed=7)
    weighted = _fitted(loader)
    _assert_same_run(weighted, _fitted((X, Y, W), batch_size=4, seed=7))
    assert weighted[0]["loss"] != _fitted((X, Y), batch_size=4, seed=7)[0]["loss"]


def test_fit_over_a_sized_stream_is_fit_over_its_arrays_in_order():
    unshuffled = _fitted((X, Y), batch_size=4, shuffle=False)
    _assert_same_run(_fitted(DataLoader(_SizedStream(), batch_size=4)), unshuffled)


def test_fit_over_a_stream_without_len_says_what_is_missing():
    with pytest.raises(TypeError, match="IterableDataset needs the dataset's len"):
        _fitted(DataLoader(_Stream(), batch_size=4))
