"""DataLoader without batching (``batch_size=None``), a batch sampler's empty batch,
``one_hot`` of empty labels and a batch of Python ints and floats: against PyTorch's
loader, collation and ``F.one_hot`` computed here, or values worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ArrayDataset, DataLoader, IterableDataset, one_hot

X = np.arange(12.0).reshape(6, 2)
Y = np.array([0, 1, 2, 0, 1, 2])


class _Samples:
    """A dataset read one sample at a time, as PyTorch's are written."""

    def __len__(self) -> int:
        return len(X)

    def __getitem__(self, i):
        return X[i], Y[i]


class _Stream(IterableDataset):
    """Three samples (x, y) in a fixed order."""

    def __iter__(self):
        return iter([(X[i], Y[i]) for i in (2, 0, 5)])


def _torch_samples(loader) -> list:
    """PyTorch's unbatched samples as NumPy (its default_convert makes tensors of them)."""
    return [tuple(np.asarray(part) for part in sample) for sample in loader]


def _assert_same_samples(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert isinstance(a, tuple)
        assert len(a) == len(b)
        for part, expected in zip(a, b):
            assert isinstance(part, np.ndarray)
            assert part.shape == expected.shape  # no batch axis
            np.testing.assert_array_equal(part, expected)


# ----- batch_size=None ------------------------------------------------------------------
@pytest.mark.parametrize("dataset", [_Samples(), ArrayDataset(X, Y)], ids=["per-sample", "array"])
def test_unbatched_loader_yields_each_sample_as_pytorch_does(dataset):
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.DataLoader(_Samples(), batch_size=None)
    loader = DataLoader(dataset, batch_size=None)
    assert loader.batch_size is None
    assert len(loader) == len(theirs) == 6
    _assert_same_samples(list(loader), _torch_samples(theirs))


def test_unbatched_loader_reads_a_sampler_in_its_order_with_its_length():
    torch = pytest.importorskip("torch")
    sampler = [3, 1, 4, 1]
    theirs = torch.utils.data.DataLoader(_Samples(), batch_size=None, sampler=sampler)
    loader = DataLoader(_Samples(), batch_size=None, sampler=sampler)
    assert len(loader) == len(theirs) == 4
    _assert_same_samples(list(loader), _torch_samples(theirs))
    with pytest.raises(IndexError, match="index 6"):
        list(DataLoader(_Samples(), batch_size=None, sampler=[0, 6]))


def test_unbatched_loader_shuffles_every_epoch_and_its_state_replays_the_order():
    loader = DataLoader(ArrayDataset(X, Y), batch_size=None, shuffle=True, seed=0)
    first = [int(y) for _, y in loader]
    state = loader.state_dict()
    second = [int(y) for _, y in loader]
    # each epoch every sample once: the labels 0, 1, 2 twice each, worked from Y
    assert sorted(first) == sorted(second) == [0, 0, 1, 1, 2, 2]
    xs = [tuple(x) for x, _ in loader]
    assert sorted(xs) == [tuple(row) for row in X]
    other = DataLoader(ArrayDataset(X, Y), batch_size=None, shuffle=True, seed=1)
    other.load_state_dict(state)
    assert [int(y) for _, y in other] == second


def test_unbatched_loader_hands_each_sample_to_collate_fn_as_pytorch_does():
    torch = pytest.importorskip("torch")

    def tag(sample):
        return ("sample", int(sample[1]))

    theirs = list(torch.utils.data.DataLoader(_Samples(), batch_size=None, collate_fn=tag))
    assert list(DataLoader(_Samples(), batch_size=None, collate_fn=tag)) == theirs
    assert theirs == [("sample", int(v)) for v in Y]


def test_unbatched_samples_are_copies_not_views_of_the_dataset():
    data = X.copy()
    for x, _ in DataLoader(ArrayDataset(data, Y), batch_size=None):
        x += 100.0
    np.testing.assert_array_equal(data, X)


def test_unbatched_loader_reads_a_stream_in_its_order():
    torch = pytest.importorskip("torch")

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter([(X[i], Y[i]) for i in (2, 0, 5)])

    theirs = [tuple(np.asarray(p) for p in s) for s in torch.utils.data.DataLoader(Stream(), None)]
    _assert_same_samples(list(DataLoader(_Stream(), batch_size=None)), theirs)


def test_unbatched_loader_refuses_what_pytorch_refuses():
    torch = pytest.importorskip("torch")
    for kw in ({"drop_last": True}, {"batch_sampler": [[0, 1], [2]]}):
        with pytest.raises(ValueError, match="mutually exclusive"):
            torch.utils.data.DataLoader(_Samples(), batch_size=None, **kw)
        with pytest.raises(ValueError, match=next(iter(kw))):
            DataLoader(_Samples(), batch_size=None, **kw)


def _fit_parts():
    model = cr.nn.Linear(2, 3)
    return model, cr.nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1)


def test_fit_and_evaluate_refuse_a_loader_without_batching():
    model, loss, opt = _fit_parts()
    unbatched = DataLoader(ArrayDataset(X, Y), batch_size=None, shuffle=True, seed=0)
    with pytest.raises(ValueError, match="fit: the DataLoader has batch_size=None"):
        cr.fit(model, loss, opt, unbatched, 1, progress=False)
    with pytest.raises(ValueError, match="fit: the DataLoader has batch_size=None"):
        cr.fit(model, loss, opt, (X, Y), 1, val_data=unbatched, progress=False)
    with pytest.raises(ValueError, match="evaluate: the DataLoader has batch_size=None"):
        cr.evaluate(model, loss, unbatched)
    # a batch sampler's loader has batch_size None too, and batches
    logs = cr.evaluate(model, loss, DataLoader(ArrayDataset(X, Y), batch_sampler=[[0, 1, 2]]))
    assert np.isfinite(logs["loss"])


# ----- a batch sampler's empty batch ----------------------------------------------------
def test_an_empty_batch_from_a_batch_sampler_is_an_error_naming_its_position():
    torch = pytest.importorskip("torch")
    batches = [[0, 1], [], [2]]
    with pytest.raises(IndexError):  # PyTorch's default collation of no samples
        list(torch.utils.data.DataLoader(_Samples(), batch_sampler=batches))
    for dataset in (_Samples(), ArrayDataset(X, Y)):
        with pytest.raises(ValueError, match="batch_sampler gave an empty batch at position 1"):
            list(DataLoader(dataset, batch_sampler=batches))


# ----- one_hot of empty labels ------------------------------------------------------------
@pytest.mark.parametrize("labels", [[], ()], ids=["list", "tuple"])
def test_one_hot_of_no_labels_has_no_rows(labels):
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.int64), 3).numpy()
    out = one_hot(labels, 3, dtype=np.int64)
    assert out.shape == expected.shape == (0, 3)
    assert out.dtype == expected.dtype
    same, out = one_hot(np.zeros(0, dtype=np.int64), 3), one_hot(labels, 3)
    assert out.shape == same.shape
    assert out.dtype == same.dtype


@pytest.mark.parametrize("num_classes", [-1, None])
def test_one_hot_of_empty_labels_without_num_classes_says_why(num_classes):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="empty"):  # PyTorch's -1 cannot infer it either
        torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.int64), -1)
    with pytest.raises(ValueError, match=r"num_classes is required.*labels are empty"):
        one_hot([], num_classes)
    with pytest.raises(ValueError, match=r"num_classes is required.*without the last class"):
        one_hot([0, 1], num_classes)


# ----- Python ints and floats in one batch --------------------------------------------------
def _collated(values: list, default) -> tuple[np.ndarray, np.ndarray]:
    """(ours, PyTorch's) batch of the Python numbers ``values``, each the x of a sample,
    under the default float dtype ``default`` in both libraries."""
    torch = pytest.importorskip("torch")
    before, before_torch = cr.get_default_dtype(), torch.get_default_dtype()
    cr.set_default_dtype(default)
    torch.set_default_dtype({np.float32: torch.float32, np.float64: torch.float64}[default])
    try:
        samples = [(v, 0) for v in values]
        theirs = torch.utils.data.default_collate(samples)[0].numpy()
        ours, _ = next(iter(DataLoader(samples, batch_size=len(values))))
    finally:
        cr.set_default_dtype(before)
        torch.set_default_dtype(before_torch)
    return ours, theirs


def test_python_ints_and_floats_collate_to_pytorchs_dtype():
    pytest.importorskip("torch")
    ours, theirs = _collated([1, 2.5, 3], np.float32)  # an int first: the default float
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_array_equal(ours, [1.0, 2.5, 3.0])
    for values in ([1, 2.5, 3], [2.5, 1, 3], [True, 2], [1, 2], [1, np.float64(2.5)]):
        for default in (np.float32, np.float64):
            ours, theirs = _collated(values, default)
            assert ours.dtype == theirs.dtype, (values, default)
            np.testing.assert_array_equal(ours, theirs)
