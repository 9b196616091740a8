"""train_test_split, Standardizer and one_hot against hand-worked values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.data import Standardizer, one_hot, train_test_split


# ----- train_test_split ---------------------------------------------------------------------
def test_split_partitions_the_samples_and_keeps_pairs():
    ids = np.arange(150)
    X_tr, X_te, y_tr, y_te = train_test_split(ids, 10 * ids, test_size=0.2, seed=0)
    assert (len(X_tr), len(X_te)) == (120, 30)
    assert sorted(np.concatenate([X_tr, X_te]).tolist()) == list(range(150))
    np.testing.assert_array_equal(y_tr, 10 * X_tr)
    np.testing.assert_array_equal(y_te, 10 * X_te)


def test_split_is_reproducible_and_random():
    ids = np.arange(100)
    a = train_test_split(ids, ids, seed=5)[1]
    assert a.tolist() == train_test_split(ids, ids, seed=5)[1].tolist()
    assert a.tolist() != train_test_split(ids, ids, seed=6)[1].tolist()
    assert a.tolist() != sorted(a.tolist())  # shuffled, not a block


def test_split_sizes_round_up_and_accept_counts():
    ids = np.arange(10)
    assert len(train_test_split(ids, ids, test_size=0.25, seed=0)[1]) == 3  # ceil(2.5)
    assert len(train_test_split(ids, ids, test_size=4, seed=0)[1]) == 4
    assert len(train_test_split(ids, ids, test_size=0.01, seed=0)[1]) == 1


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X = np.arange(100)
    _, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [10, 6, 4]
    assert np.bincount(y_tr).tolist() == [40, 24, 16]
    np.testing.assert_array_equal(y[X_te], y_te)


def test_stratified_split_hits_the_exact_test_size():
    y = np.repeat([0, 1, 2], [3, 3, 3])
    _, _, _, y_te = train_test_split(np.arange(9), y, test_size=4, seed=0, stratify=True)
    assert len(y_te) == 4
    assert sorted(np.bincount(y_te, minlength=3).tolist()) == [1, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"test_size": 0.0}, ValueError, r"must be in \(0, 1\)"),
        ({"test_size": 1.0}, ValueError, r"must be in \(0, 1\)"),
        ({"test_size": 10}, ValueError, "must be 1 to 9"),
        ({"test_size": True}, TypeError, "must be a number"),
        ({"seed": -2}, ValueError, "seed must be >= 0"),
    ],
)
def test_split_arguments_are_validated(kwargs, error, match):
    with pytest.raises(error, match=match):
        train_test_split(np.arange(10), np.arange(10), **kwargs)


def test_split_input_errors():
    with pytest.raises(ValueError, match="same length"):
        train_test_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="class 7 has 1"):
        train_test_split(np.zeros(5), np.array([0, 0, 1, 1, 7]), stratify=True)


# ----- Standardizer ---------------------------------------------------------------------------
def test_standardizer_uses_training_statistics_only():
    s = Standardizer().fit(np.array([[1.0, 10.0], [3.0, 10.0]]))  # mean (2, 10), std (1, 0)
    np.testing.assert_array_equal(s.mean, [2.0, 10.0])
    np.testing.assert_array_equal(s.scale, [1.0, 1.0])  # a constant feature keeps scale 1
    np.testing.assert_array_equal(s.transform([[5.0, 12.0], [2.0, 10.0]]), [[3.0, 2.0], [0, 0]])


def test_standardized_training_data_has_zero_mean_unit_std():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, (200, 4)).astype(np.float32)
    Z = Standardizer().fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-5)


def test_constant_features_become_exact_zeros():
    X = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])  # 0.1 has no exact binary mean
    Z = Standardizer().fit_transform(X)
    assert (Z[:, 0] == 0).all()
    np.testing.assert_allclose(Z[:, 1], [-np.sqrt(1.5), 0, np.sqrt(1.5)])


def test_standardizer_dtypes_and_inverse():
    X = np.arange(12).reshape(4, 3)
    s = Standardizer().fit(X)
    Z = s.transform(X)
    assert Z.dtype == np.float32  # integers become the default float
    np.testing.assert_allclose(s.inverse_transform(Z), X, atol=1e-5)  # float32 round trip
    assert s.transform(X.astype(np.float64)).dtype == np.float64


def test_standardizer_state_round_trips_through_json():
    X = np.random.default_rng(1).normal(size=(20, 3))
    s = Standardizer().fit(X)
    state = {k: v.tolist() for k, v in s.state_dict().items()}
    t = Standardizer()
    t.load_state_dict(json.loads(json.dumps(state)))
    np.testing.assert_array_equal(t.transform(X), s.transform(X))
    with pytest.raises(ValueError, match="the scale is not finite and positive"):
        t.load_state_dict({"mean": [0.0], "scale": [0.0]})
    with pytest.raises(ValueError, match="the mean is not finite"):  # JSON holds NaN, Infinity
        t.load_state_dict(json.loads('{"mean": [NaN], "scale": [1.0]}'))
    np.testing.assert_array_equal(t.transform(X), s.transform(X))  # a refused state: no change


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"feature shape \(2,\) but .* fitted on \(3,\)"):
        s.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="no samples"):
        Standardizer().fit(np.zeros((0, 3)))


# ----- one_hot --------------------------------------------------------------------------------
def test_one_hot_rows_of_the_identity():
    out = one_hot([2, 0, 1, 2], 3)
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_one_hot_keeps_label_shape_and_dtype():
    out = one_hot(np.array([[0, 3], [1, 1]], dtype=np.uint8), 4, dtype=np.float64)
    assert out.shape == (2, 2, 4)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.argmax(axis=-1), [[0, 3], [1, 1]])
    assert out.sum() == 4


@pytest.mark.parametrize(
    ("labels", "num_classes", "error", "match"),
    [
        ([0, 3], 3, ValueError, r"labels must be in \[0, 3\); found 3 at flat index 1"),
        ([-1, 0], 3, ValueError, "found -1 at flat index 0"),
        ([0.0, 1.0], 3, TypeError, "labels must be integers, got dtype float64"),
        ([0, 1], 0, ValueError, "num_classes must be positive"),
        ([0, 1], 2.0, TypeError, "num_classes must be an int"),
    ],
)
def test_one_hot_validation(labels, num_classes, error, match):
    with pytest.raises(error, match=match):
        one_hot(labels, num_classes)


R = 1.5**0.5  # three equally spaced values standardise to −√1.5, 0, √1.5
BIG = 1.7976931348623157e308  # the largest float64


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ([1e-300, 2e-300, 3e-300], [-R, 0.0, R]),
        ([1e200, 1.0000001e200], [-1.0, 1.0]),
        ([BIG, -BIG, 0.0], [R, -R, 0.0]),
        ([1e308, -1e308, 1e308], [0.5**0.5, -(2**0.5), 0.5**0.5]),  # mean 1e308/3
        ([-5e-310, 5e-310], [-1.0, 1.0]),
    ],
    ids=["tiny", "huge and close", "the float64 limit", "near the limit", "subnormal"],
)
def test_standardizing_extreme_magnitudes_gives_the_hand_worked_values(column, expected):
    X = np.array(column)[:, None]
    s = Standardizer().fit(X)
    np.testing.assert_allclose(s.transform(X)[:, 0], expected, rtol=1e-6)
    again = Standardizer()
    again.load_state_dict(s.state_dict())  # its own state loads back
    np.testing.assert_array_equal(again.transform(X), s.transform(X))


def test_values_near_the_limit_far_from_their_mean_transform_without_overflow():
    # mean 5e307 and std √2·1e308, by hand; -1.5e308 − 5e307 = -2e308 would overflow
    X = np.array([[-1.5e308, 7.0], [1.5e308, 8.0], [1.5e308, 9.0]])
    s = Standardizer().fit(X)
    np.testing.assert_allclose(s.mean, [5e307, 8.0], rtol=1e-12)
    np.testing.assert_allclose(s.scale, [2**0.5 * 1e308, (2 / 3) ** 0.5], rtol=1e-12)
    Z = s.transform(X)
    np.testing.assert_allclose(Z[:, 0], [-(2**0.5), 0.5**0.5, 0.5**0.5], rtol=1e-12)
    np.testing.assert_array_equal(Z[:, 1], (X[:, 1] - 8.0) / (2 / 3) ** 0.5)  # as before
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-12)


def test_ordinary_data_gets_numpys_mean_and_std_exactly():
    X = np.random.default_rng(0).normal(3, 5, size=(500, 4))
    s = Standardizer().fit(X)
    np.testing.assert_array_equal(s.mean, X.mean(axis=0))
    np.testing.assert_array_equal(s.scale, X.std(axis=0))


def test_a_rare_class_is_in_both_stratified_parts():
    # 2 + 2 + 100 samples, 10%: the rare classes' shares (0.2 each) round to none, but
    # each part keeps one of each
    y = np.array([0] * 2 + [1] * 2 + [2] * 100)
    X = np.arange(104.0)[:, None]
    _, _, y_train, y_test = train_test_split(X, y, 0.1, seed=0, stratify=True)
    assert np.bincount(y_test).tolist() == [1, 1, 9]
    assert np.bincount(y_train).tolist() == [1, 1, 91]


def test_a_stratified_part_too_small_for_every_class_is_refused():
    y = np.repeat([0, 1, 2], 10)
    X = np.arange(30.0)[:, None]
    with pytest.raises(ValueError, match="test part of 2 samples cannot hold all 3 classes"):
        train_test_split(X, y, test_size=2, stratify=True)
    with pytest.raises(ValueError, match="training part of 2 samples cannot hold all 3"):
        train_test_split(X, y, test_size=28, stratify=True)
    _, _, _, y_test = train_test_split(X, y, test_size=3, stratify=True, seed=0)
    assert sorted(y_test) == [0, 1, 2]
