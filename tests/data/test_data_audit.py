"""The data package against independent truths: the published summary tables of the
bundled sets, PyTorch's DataLoader, scikit-learn's split sizes, and hand-worked values."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule.data as crd
from chainrule.data import ArrayDataset, DataLoader, Standardizer, train_test_split

# ----- bundled sets against the summary tables printed in scikit-learn's documentation ---
# Each row: min, max (and mean, sample std where the table gives them), as printed; a
# value matches when it is within one unit of its last printed digit.
IRIS_TABLE = """
4.3 7.9 5.84 0.83
2.0 4.4 3.05 0.43
1.0 6.9 3.76 1.76
0.1 2.5 1.20 0.76
"""
WINE_TABLE = """
11.0 14.8 13.0 0.8
0.74 5.80 2.34 1.12
1.36 3.23 2.36 0.27
10.6 30.0 19.5 3.3
70.0 162.0 99.7 14.3
0.98 3.88 2.29 0.63
0.34 5.08 2.03 1.00
0.13 0.66 0.36 0.12
0.41 3.58 1.59 0.57
1.3 13.0 5.1 2.3
0.48 1.71 0.96 0.23
1.27 4.00 2.61 0.71
278 1680 746 315
"""
BREAST_CANCER_TABLE = """
6.981 28.11
9.71 39.28
43.79 188.5
143.5 2501.0
0.053 0.163
0.019 0.345
0.0 0.427
0.0 0.201
0.106 0.304
0.05 0.097
0.112 2.873
0.36 4.885
0.757 21.98
6.802 542.2
0.002 0.031
0.002 0.135
0.0 0.396
0.0 0.053
0.008 0.079
0.001 0.03
7.93 36.04
12.02 49.54
50.41 251.2
185.2 4254.0
0.071 0.223
0.027 1.058
0.0 1.252
0.0 0.291
0.156 0.664
0.055 0.208
"""


def printed(table: str) -> tuple[np.ndarray, np.ndarray]:
    """The table's values and, for each, one unit of its last printed digit."""
    rows = [line.split() for line in table.strip().splitlines()]
    values = np.array([[float(v) for v in row] for row in rows])
    units = np.array([[10.0 ** -len(v.partition(".")[2]) for v in row] for row in rows])
    return values, units


@pytest.mark.parametrize(
    ("name", "table"),
    [("iris", IRIS_TABLE), ("wine", WINE_TABLE), ("breast_cancer", BREAST_CANCER_TABLE)],
)
def test_bundled_columns_match_the_published_summary_tables(name, table):
    X = crd.load_dataset(name).X.astype(np.float64)
    values, units = printed(table)
    stats = [X.min(axis=0), X.max(axis=0), X.mean(axis=0), X.std(axis=0, ddof=1)]
    actual = np.stack(stats[: values.shape[1]], axis=1)
    assert actual.shape == values.shape
    bad = np.argwhere(np.abs(actual - values) > units)
    assert bad.size == 0, [(tuple(i), actual[tuple(i)], values[tuple(i)]) for i in bad]


@pytest.mark.parametrize(
    ("name", "n", "features", "counts"),
    [
        ("digits", 1797, 64, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
        ("iris", 150, 4, [50, 50, 50]),
        ("wine", 178, 13, [59, 71, 48]),
        ("breast_cancer", 569, 30, [212, 357]),
    ],
)
def test_classification_sets_give_float32_features_and_int64_labels(name, n, features, counts):
    d = crd.load_dataset(name)
    assert (d.X.shape, d.X.dtype, d.y.shape, d.y.dtype) == ((n, features), "float32", (n,), "int64")
    assert np.bincount(d.y).tolist() == counts
    assert d.num_classes == len(counts) == len(d.target_names)
    assert len(d.feature_names) == features
    X, y = next(iter(DataLoader(d.dataset(), batch_size=n)))  # a loader keeps the dtypes
    assert (X.dtype, y.dtype) == (np.float32, np.int64)


# ----- DataLoader against torch.utils.data.DataLoader -------------------------------------
@pytest.mark.parametrize("n", [0, 1, 7, 8])
@pytest.mark.parametrize("batch_size", [1, 3, 8, 9])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_batches_and_len_are_pytorchs(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset

    X = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    theirs = TorchLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    for ours in (
        DataLoader((X, y), batch_size=batch_size, drop_last=drop_last),
        DataLoader(theirs.dataset, batch_size=batch_size, drop_last=drop_last),  # per sample
    ):
        assert len(ours) == len(theirs)
        got, want = list(ours), [(a.numpy(), b.numpy()) for a, b in theirs]
        assert len(got) == len(want)
        for (xa, ya), (xb, yb) in zip(got, want):
            assert (xa.dtype, ya.dtype) == (xb.dtype, yb.dtype)
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


class Samples:
    """A PyTorch-style dataset: ``dataset[i]`` is one sample ``(x, y)`` built by ``make``."""

    def __init__(self, n, make):
        self.n, self.make = n, make

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i)


@pytest.mark.parametrize(
    "make",
    [
        lambda i: (np.float32(i), i),
        lambda i: (np.full(2, i, np.float64), float(i) / 2),
        lambda i: (np.full((2, 2), i, np.uint8), i % 2 == 0),
        lambda i: (np.full(3, i, np.float16), np.int32(i)),
    ],
    ids=["f32-scalar+int", "f64+float", "uint8+bool", "f16+int32"],
)
def test_per_sample_batches_have_the_dtypes_of_pytorchs_collate(make):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader

    ours = list(DataLoader(Samples(5, make), batch_size=3))
    theirs = list(TorchLoader(Samples(5, make), batch_size=3))
    for (xa, ya), (xb, yb) in zip(ours, theirs, strict=True):
        assert str(xa.dtype) == str(xb.dtype).removeprefix("torch.")
        assert str(ya.dtype) == str(yb.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(xa, xb.numpy())
        np.testing.assert_array_equal(ya, yb.numpy())
    assert torch.is_tensor(theirs[0][0])


@pytest.mark.parametrize(
    ("make", "part"),
    [
        (lambda i: (np.ones(2), None), "y = None"),
        (lambda i: (None, i), "x = None"),
        (lambda i: (np.ones(2), {"label": i}), "y = {'label'"),
        (lambda i: (np.ones(2), i if i else None), "y = None"),  # one sample of three
    ],
    ids=["y-none", "x-none", "y-dict", "y-one-none"],
)
def test_items_that_are_not_arrays_or_numbers_are_refused(make, part):
    # an object array passed on would fail later, far from the dataset, in a layer or a loss
    with pytest.raises(TypeError, match=r"pairs \(x, y\) of arrays or numbers") as info:
        list(DataLoader(Samples(3, make), batch_size=3))
    assert part in str(info.value)


def test_a_none_label_is_a_type_error_in_pytorch_too():
    pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader

    with pytest.raises(TypeError, match="default_collate"):
        list(TorchLoader(Samples(3, lambda i: (np.ones(2), None)), batch_size=3))
    with pytest.raises(TypeError, match="y = None"):
        list(DataLoader(Samples(3, lambda i: (np.ones(2), None)), batch_size=3))


def test_string_labels_still_stack_into_an_array():
    ((_, y),) = list(DataLoader(Samples(3, lambda i: (np.ones(2), "abc"[i])), batch_size=3))
    assert y.tolist() == ["a", "b", "c"]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("n", "batch_size"), [(23, 5), (20, 5), (4, 7), (1, 1)])
def test_every_shuffled_epoch_holds_each_sample_at_most_once(n, batch_size, drop_last):
    ids = np.arange(n)
    loader = DataLoader((ids, -ids), batch_size, shuffle=True, seed=1, drop_last=drop_last)
    kept = n // batch_size * batch_size if drop_last else n  # PyTorch's drop_last
    orders = set()
    for _ in range(12):
        batches = list(loader)
        assert len(batches) == len(loader) == -(-kept // batch_size)
        assert all(len(x) == batch_size for x, _ in batches[:-1])
        seen = [int(i) for x, y in batches for i, j in zip(x, y, strict=True) if i == -j]
        assert len(seen) == kept  # every pair intact
        assert len(set(seen)) == kept  # none repeated
        orders.add(tuple(seen))
    assert len(orders) > 1 or kept <= 1  # a new order each epoch


@pytest.mark.parametrize("batch_size", [np.int64(4), np.uint8(4), 4])
def test_numpy_integer_batch_sizes_are_ints(batch_size):
    loader = DataLoader((np.zeros(10), np.zeros(10)), batch_size=batch_size)
    assert len(loader) == 3
    assert [len(x) for x, _ in loader] == [4, 4, 2]


@pytest.mark.parametrize(
    ("batch_size", "error"),
    [(0, ValueError), (-1, ValueError), (4.0, TypeError), (True, TypeError), ("4", TypeError)],
)  # None is PyTorch's loading without batches
def test_bad_batch_sizes_are_named(batch_size, error):
    with pytest.raises(error, match="DataLoader: batch_size must be"):
        DataLoader((np.zeros(10), np.zeros(10)), batch_size=batch_size)


# ----- train_test_split -----------------------------------------------------------------
@pytest.mark.parametrize(
    "stratify",
    [np.repeat([0, 1], 5), list(np.repeat([0, 1], 5)), np.array([1]), "y", 1],
    ids=["array", "list", "one-element-array", "str", "int"],
)
def test_stratify_is_a_flag_and_scikit_learns_array_is_refused(stratify):
    X, y = np.arange(10), np.repeat([0, 1], 5)
    with pytest.raises(TypeError, match=r"stratify must be True or False.*stratify=y"):
        train_test_split(X, y, 0.2, seed=0, stratify=stratify)


def test_stratify_accepts_numpy_bools_and_scikit_learns_none():
    X, y = np.arange(10), np.repeat([0, 1], 5)
    y_test = train_test_split(X, y, 0.2, seed=0, stratify=np.True_)[3]
    assert np.bincount(y_test).tolist() == [1, 1]
    unstratified = train_test_split(X, y, 0.2, seed=0, stratify=False)
    for flag in (np.False_, None):
        for a, b in zip(
            train_test_split(X, y, 0.2, seed=0, stratify=flag), unstratified, strict=True
        ):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("counts", "test_size", "expected"),
    [
        # quotas 6.8, 9.6, 1.6: floors 6, 9, 1 and two more for the remainders .8, then
        # .6 and .6 tied: the lower class wins (in floating point 9.6 − 9 < 1.6 − 1)
        ([17, 24, 4], 18, [7, 10, 1]),
        # quotas 3⅓, 9⅓, 3⅓: a three-way tie for the one sample left
        ([5, 14, 5], 16, [4, 9, 3]),
        # quotas 12.5, 7.5, 5: a tie between the first two
        ([50, 30, 20], 0.25, [13, 7, 5]),
        # quotas 9.6, 0.2, 0.2: the small classes get 1 each, the large one gives one back
        ([96, 2, 2], 10, [8, 1, 1]),
    ],
)
def test_stratified_counts_are_the_documented_largest_remainder(counts, test_size, expected):
    y = np.repeat(np.arange(len(counts)), counts)
    ids = np.arange(len(y))
    ids_tr, ids_te, y_tr, y_te = train_test_split(ids, y, test_size, seed=3, stratify=True)
    assert np.bincount(y_te, minlength=len(counts)).tolist() == expected
    assert np.bincount(y_tr, minlength=len(counts)).tolist() == [
        c - e for c, e in zip(counts, expected)
    ]
    assert sorted(np.concatenate([ids_tr, ids_te]).tolist()) == ids.tolist()  # no leak
    np.testing.assert_array_equal(y[ids_te], y_te)


# test sizes scikit-learn 1.9's train_test_split gives for (N, test_size)
SKLEARN_TEST_SIZES = [
    (10, 0.3, 3),
    (20, 0.15, 3),
    (30, 0.1, 3),
    (5, 0.6, 3),
    (40, 0.07, 3),
    (3, 1 / 3, 1),
    (40, 0.05, 2),
    (33, 0.2, 7),
    (100, 0.07, 8),
]


@pytest.mark.parametrize(
    ("n", "test_size", "n_test", "stratify"),
    [(*case, False) for case in SKLEARN_TEST_SIZES]
    + [(*case, True) for case in SKLEARN_TEST_SIZES if min(case[2], case[0] - case[2]) >= 2],
)
def test_split_sizes_are_scikit_learns(n, test_size, n_test, stratify):
    y = np.arange(n) % 2  # two classes, so a stratified part needs at least 2 samples
    X_tr, X_te, y_tr, y_te = train_test_split(np.arange(n), y, test_size, seed=0, stratify=stratify)
    assert (len(X_te), len(y_te), len(X_tr), len(y_tr)) == (n_test, n_test, n - n_test, n - n_test)


def test_a_seed_fixes_the_split_whatever_ran_before():
    X, y = np.arange(60), np.arange(60) % 3
    first = train_test_split(X, y, 0.25, seed=9, stratify=True)
    train_test_split(X, y, 0.25, seed=1)  # another split in between changes nothing
    again = train_test_split(X, y, 0.25, seed=9, stratify=True)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


# ----- Standardizer -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "column",
    [[0.0, 5e-324], [5e-324, 1e-323], [0.0, 0.0, 0.0, 5e-324], [-5e-324, 0.0]],
    ids=["0-and-tiniest", "two-tiniest", "one-tiniest-of-four", "negative"],
)
def test_a_feature_whose_std_underflows_is_not_divided_by_zero(column):
    # the std of [0, 5e-324] is 2.5e-324, half the smallest float64: it rounds to 0
    X = np.array([column, [1.0, 2.0, 3.0, 4.0][: len(column)]]).T
    s = Standardizer().fit(X)
    Z = s.transform(X)  # warnings are errors here: no division by zero
    assert np.isfinite(Z).all()
    assert s.scale[0] == 1.0
    np.testing.assert_array_equal(Z[:, 0], X[:, 0] - s.mean[0])
    restored = Standardizer()
    saved = json.dumps({k: v.tolist() for k, v in s.state_dict().items()})
    restored.load_state_dict(json.loads(saved))
    np.testing.assert_array_equal(restored.transform(X), Z)


def test_standardizer_matches_hand_worked_population_statistics():
    X_train = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0], [6.0, 7.0]])
    X_test = np.array([[3.0, 8.0]])
    s = Standardizer().fit(X_train)
    # mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5; the constant column: scale 1
    np.testing.assert_allclose(s.mean, [3.0, 7.0])
    np.testing.assert_allclose(s.scale, [np.sqrt(3.5), 1.0])
    np.testing.assert_allclose(s.transform(X_test), [[0.0, 1.0]])
    np.testing.assert_array_equal(s.transform(X_train)[:, 1], 0.0)


# ----- read_idx and load_mnist as called -----------------------------------------------------
@pytest.mark.parametrize(
    ("max_bytes", "error", "match"),
    [
        (-1, ValueError, "max_bytes must be >= 0, got -1"),
        ("100", TypeError, "max_bytes must be an int or None, got '100'"),
        (1e9, TypeError, "max_bytes must be an int or None"),
        (True, TypeError, "max_bytes must be an int or None, got True"),
    ],
)
def test_read_idx_names_a_bad_max_bytes(tmp_path, write_idx, max_bytes, error, match):
    path = write_idx(tmp_path / "a-idx1-ubyte", np.arange(4, dtype=np.uint8))
    with pytest.raises(error, match=match):
        crd.read_idx(path, max_bytes=max_bytes)
    assert crd.read_idx(path, max_bytes=np.int64(4)).tolist() == [0, 1, 2, 3]
    assert crd.read_idx(str(path), max_bytes=None).tolist() == [0, 1, 2, 3]


def test_mnist_bundle_feeds_a_loader_and_a_split(tmp_path, write_idx):
    images = np.arange(6 * 28 * 28, dtype=np.int64).reshape(6, 28, 28) % 256
    labels = np.array([0, 1, 0, 1, 0, 1])
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels, compress=True)
    d = crd.load_mnist(str(tmp_path), train=False)
    assert (d.X.dtype, d.y.dtype, d.num_classes) == (np.float32, np.int64, 10)
    assert d.X[0, 255] == 1.0
    assert d.X[0, 256] == 0.0
    X_tr, X_te, y_tr, y_te = train_test_split(d.X, d.y, 2, seed=0, stratify=True)
    assert sorted(y_te.tolist()) == [0, 1]
    assert X_te.shape == (2, 784)
    batches = list(DataLoader(ArrayDataset(X_tr, y_tr), batch_size=3, shuffle=True, seed=0))
    assert [(x.shape, x.dtype) for x, _ in batches] == [
        ((3, 784), np.float32),
        ((1, 784), np.float32),
    ]
