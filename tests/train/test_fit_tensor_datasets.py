"""fit over PyTorch's TensorDataset, dict samples and IterableDataset: what it can read
trains as arrays do, and what it cannot is refused by name before or at the first batch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y = RNG.integers(0, 2, 20)


def _fit(data, **kwargs):
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2, dtype="float64")
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 2, progress=False, **kwargs)
    return model, history


class Stream(cr.data.IterableDataset):
    def __iter__(self):
        return iter(zip(X, Y))


class SizedStream(Stream):
    def __len__(self):
        return len(X)


def test_a_sized_stream_trains_as_the_arrays_in_order():
    # fit's shuffle defaults to True, but a stream has no order to shuffle: it is read as is
    model, history = _fit(SizedStream(), batch_size=8)
    reference, expected = _fit((X, Y), batch_size=8, shuffle=False)
    assert history.history == expected.history
    np.testing.assert_array_equal(model.weight.data, reference.weight.data)


def test_a_stream_without_len_is_refused_naming_the_dataset():
    with pytest.raises(TypeError, match=r"whose dataset has no len.*give the dataset a __len__"):
        _fit(Stream())


def test_dict_batches_and_one_array_batches_are_refused_by_what_they_are():
    class Dicts(cr.data.Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return {"x": X[i], "y": Y[i]}

    with pytest.raises(TypeError, match=r"got a dict with the keys \['x', 'y'\]; give"):
        _fit(cr.data.DataLoader(Dicts(), batch_size=4))
    with pytest.raises(TypeError, match=r"sample_weight\), got a tuple of 1; give"):
        _fit(cr.data.TensorDataset(X))


def test_a_tensor_dataset_holding_nan_is_named_before_training():
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN or infinite input values \(X of shape"):
        _fit(cr.data.TensorDataset(bad, Y))


def test_weights_in_a_loaders_batches_are_checked_as_sample_weight():
    negative = cr.data.TensorDataset(X, Y, -np.ones(len(X)))
    with pytest.raises(ValueError, match=r"fit: sample_weight must be finite and >= 0, got -1\.0"):
        _fit(negative)
    model = cr.nn.Linear(3, 2, dtype="float64")
    with pytest.raises(ValueError, match=r"evaluate: sample_weight must be finite and >= 0"):
        cr.evaluate(model, cr.nn.CrossEntropyLoss(), negative)
