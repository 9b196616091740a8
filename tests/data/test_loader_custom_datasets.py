"""A DataLoader's contract with custom datasets and its errors for misused inputs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import data as crd
from chainrule.data import DataLoader, load_iris


class _Samples:
    """Six samples x = [i], y = i, with a `__getitems__` that returns ``extra`` more or
    fewer samples than it was asked for (a bug in the user's dataset)."""

    def __init__(self, extra: int) -> None:
        self.extra = extra

    def __len__(self) -> int:
        return 6

    def __getitem__(self, i):
        return np.array([i]), i

    def __getitems__(self, indices):
        samples = [self[i] for i in indices]
        return (
            samples[: len(samples) + self.extra]
            if self.extra < 0
            else samples + [(np.array([99]), 99)] * self.extra
        )


@pytest.mark.parametrize("extra", [-1, 1])
def test_getitems_with_a_wrong_number_of_samples_is_an_error(extra):
    # six samples in batches of three: every sample exactly once per epoch means batches
    # of 3 and 3; a batch of 2 or 4 would drop a sample or add one that is not in the data
    loader = DataLoader(_Samples(extra), batch_size=3)
    with pytest.raises(ValueError, match="__getitems__ returned"):
        list(loader)


def test_getitems_with_one_sample_per_index_still_works():
    batches = [y.tolist() for _, y in DataLoader(_Samples(0), batch_size=4)]
    assert batches == [[0, 1, 2, 3], [4, 5]]


def test_a_data_bundle_is_refused_with_the_way_to_its_dataset():
    # DataBundle has len() but no indexing; the message must not ask for "indexing by an
    # integer array" (custom datasets are read one index at a time) and points at dataset()
    with pytest.raises(TypeError, match=r"dataset\(\)") as info:
        DataLoader(load_iris())
    assert "integer array" not in str(info.value)
    assert "dataset[i]" in str(info.value)


def test_a_tuple_of_two_ragged_samples_says_it_was_read_as_x_and_y():
    two_samples = ((np.ones(2), 0), (np.ones(3), 1))
    with pytest.raises(ValueError, match=r"read as the pair \(X, y\)"):
        DataLoader(two_samples)
    # the suggested form works
    X, y = next(iter(DataLoader([(np.ones(2), 0), (np.zeros(2), 1)], batch_size=2)))
    assert X.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert y.tolist() == [0, 1]


def test_a_length_mismatch_in_a_pair_keeps_its_own_message():
    with pytest.raises(ValueError, match="same length"):
        DataLoader((np.zeros((4, 2)), np.zeros(3)))


# ----- train_test_split(shuffle=False): an ordered split, as scikit-learn's -----------------------
def test_an_ordered_split_takes_the_last_samples_in_order_and_draws_nothing():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    state = cr.default_generator().bit_generator.state
    _, X_te, y_tr, y_te = crd.train_test_split(X, y, 0.3, shuffle=False)
    assert y_tr.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert y_te.tolist() == [7, 8, 9]
    np.testing.assert_array_equal(X_te, X[7:])
    assert cr.default_generator().bit_generator.state == state


def test_an_ordered_split_cannot_be_stratified_and_shuffle_is_a_flag():
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="stratify=True needs shuffle=True"):
        crd.train_test_split(X, y, 0.2, stratify=True, shuffle=False)
    with pytest.raises(TypeError, match="train_test_split: shuffle must be True or False"):
        crd.train_test_split(X, y, 0.2, shuffle="no")


def test_an_ordered_split_gives_copies_not_views_of_the_callers_arrays():
    # as the shuffled split's and scikit-learn's: scaling a part in place leaves X alone
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    parts = crd.train_test_split(X, y, 0.3, shuffle=False)
    for part in parts:
        part *= 100
    np.testing.assert_array_equal(X, np.arange(20.0).reshape(10, 2))
    np.testing.assert_array_equal(y, np.arange(10))
