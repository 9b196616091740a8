"""PyTorch's samplers, and DataLoader's sampler= and batch_sampler=, against counts and
frequencies worked out here and against PyTorch where the result does not depend on the
random stream (lengths, batches of fixed orders, which arguments are refused)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    ArrayDataset,
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def _ids(n: int) -> ArrayDataset:
    """Sample i is x = [i], y = 10 i, so a batch's y names its indices."""
    return ArrayDataset(np.arange(n, dtype=np.float32)[:, None], 10 * np.arange(n))


def _ys(loader) -> list[list[int]]:
    """Each batch's indices, read back from its y."""
    return [(y // 10).tolist() for _, y in loader]


def _flat(batches: list[list[int]]) -> list[int]:
    return [i for batch in batches for i in batch]


def _torch_ids(torch, n: int):
    return torch.utils.data.TensorDataset(torch.arange(n)[:, None].float(), 10 * torch.arange(n))


def _chi_square(counts: np.ndarray, p: np.ndarray) -> float:
    expected = counts.sum() * p
    return float(((counts - expected) ** 2 / expected).sum())


# chi-square critical values at the 0.001 level, by degrees of freedom
_CRITICAL = {3: 16.27, 4: 18.47, 24: 51.18}


class _Unsized:
    """An iterable of indices without len(), as PyTorch lets a sampler be."""

    def __iter__(self):
        yield from (4, 1, 3)


def test_sequential_sampler_is_every_index_in_order():
    sampler = SequentialSampler(_ids(6))
    assert list(sampler) == [0, 1, 2, 3, 4, 5] == list(sampler)
    assert len(sampler) == 6
    X = np.zeros((4, 2))
    assert list(SequentialSampler((X, np.zeros(4)))) == [0, 1, 2, 3]  # a pair's samples


@pytest.mark.parametrize("n", [1, 7, 40])
def test_random_sampler_gives_a_new_permutation_each_epoch(n):
    sampler = RandomSampler(range(n), generator=np.random.default_rng(5))
    epochs = [list(sampler) for _ in range(4)]
    assert all(sorted(e) == list(range(n)) for e in epochs)
    if n > 5:
        assert len({tuple(e) for e in epochs}) == 4
    assert len(sampler) == n


def test_random_sampler_follows_manual_seed_and_its_generator():
    def run(make):
        sampler = make()
        return [list(sampler) for _ in range(3)]

    cr.manual_seed(11)
    first = run(lambda: RandomSampler(range(20)))
    cr.manual_seed(11)
    assert run(lambda: RandomSampler(range(20))) == first
    cr.manual_seed(12)
    assert run(lambda: RandomSampler(range(20))) != first
    given = run(lambda: RandomSampler(range(20), generator=np.random.default_rng(3)))
    assert run(lambda: RandomSampler(range(20), generator=np.random.default_rng(3))) == given


def test_random_sampler_advances_the_generator_it_is_given():
    g = np.random.default_rng(0)
    before = g.bit_generator.state
    list(RandomSampler(range(5), generator=g))
    assert g.bit_generator.state != before


def test_random_sampler_num_samples_without_replacement_repeats_whole_permutations():
    order = list(RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(1)))
    assert len(order) == 10
    assert sorted(order[:4]) == sorted(order[4:8]) == [0, 1, 2, 3]
    assert len(set(order[8:])) == 2


def test_random_sampler_with_replacement_is_uniform():
    n, k = 5, 20000
    sampler = RandomSampler(
        range(n), replacement=True, num_samples=k, generator=np.random.default_rng(2)
    )
    draw = np.array(list(sampler))
    assert len(sampler) == k
    assert 0 <= draw.min() <= draw.max() < n
    counts = np.bincount(draw, minlength=n)
    # iid counts are neither too far from n / k nor too close (0.091: the 0.001 quantile)
    assert 0.091 < _chi_square(counts, np.full(n, 1 / n)) < _CRITICAL[4]
    pairs = np.bincount(draw[:-1] * n + draw[1:], minlength=n * n)  # independent draws
    assert _chi_square(pairs, np.full(n * n, 1 / n**2)) < _CRITICAL[24]


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [9, 2, 7, 4]
    sampler = SubsetRandomSampler(indices, generator=np.random.default_rng(4))
    epochs = [list(sampler) for _ in range(6)]
    assert all(sorted(e) == [2, 4, 7, 9] for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1
    assert len(sampler) == 4


def test_weighted_sampler_with_replacement_draws_in_proportion_to_the_weights():
    weights = [1.0, 0.0, 2.0, 3.0, 4.0]  # p = w / 10; index 1 never
    sampler = WeightedRandomSampler(weights, 20000, generator=np.random.default_rng(7))
    counts = np.bincount(list(sampler), minlength=5)
    assert counts[1] == 0
    assert counts.sum() == 20000
    kept = [0, 2, 3, 4]
    assert _chi_square(counts[kept], np.array([1, 2, 3, 4]) / 10) < _CRITICAL[3]


def test_weighted_sampler_without_replacement_draws_successively():
    # first index i with p_i = w_i / W; the second j with sum_i p_i w_j / (W - w_i)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    W = w.sum()
    p_first = w / W
    p_second = np.array(
        [sum(w[i] / W * w[j] / (W - w[i]) for i in range(4) if i != j) for j in range(4)]
    )
    sampler = WeightedRandomSampler(w, 4, replacement=False, generator=np.random.default_rng(8))
    draws = np.array([list(sampler) for _ in range(6000)])
    assert all(sorted(d) == [0, 1, 2, 3] for d in draws.tolist())
    for position, p in ((0, p_first), (1, p_second)):
        counts = np.bincount(draws[:, position], minlength=4)
        assert _chi_square(counts, p) < _CRITICAL[3]


def test_weighted_sampler_without_replacement_skips_zero_weights():
    sampler = WeightedRandomSampler([0, 5, 0, 1, 2], 3, replacement=False)
    assert all(sorted(sampler) == [1, 3, 4] for _ in range(20))


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_batches_by_hand(drop_last):
    sampler = BatchSampler(SequentialSampler(range(10)), 3, drop_last)
    expected = [[0, 1, 2], [3, 4, 5], [6, 7, 8]] + ([] if drop_last else [[9]])
    assert list(sampler) == expected
    assert len(sampler) == len(expected)
    assert list(BatchSampler([5, 1, 4, 2], 2, drop_last)) == [[5, 1], [4, 2]]


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_pytorch(drop_last):
    torch = pytest.importorskip("torch")
    for n, b in ((10, 3), (9, 3), (2, 5), (0, 4)):
        ours = BatchSampler(range(n), b, drop_last)
        theirs = torch.utils.data.BatchSampler(range(n), b, drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


def test_samplers_len_match_pytorch():
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    data = list(range(7))
    pairs = [
        (SequentialSampler(data), tu.SequentialSampler(data)),
        (RandomSampler(data), tu.RandomSampler(data)),
        (RandomSampler(data, True, 12), tu.RandomSampler(data, True, 12)),
        (RandomSampler(data, num_samples=3), tu.RandomSampler(data, num_samples=3)),
        (SubsetRandomSampler([3, 1]), tu.SubsetRandomSampler([3, 1])),
        (WeightedRandomSampler([1, 2], 9), tu.WeightedRandomSampler([1, 2], 9)),
    ]
    for ours, theirs in pairs:
        assert len(ours) == len(theirs) == len(list(ours)) == len(list(theirs))


def test_sampler_base_needs_iter_and_a_subclass_drives_the_loader():
    with pytest.raises(NotImplementedError, match="Sampler must define __iter__"):
        iter(Sampler())

    class Backwards(Sampler):
        def __iter__(self):
            return iter(range(5, -1, -1))

    assert _ys(DataLoader(_ids(6), 4, sampler=Backwards())) == [[5, 4, 3, 2], [1, 0]]


def test_samplers_take_numpy_integers():
    assert list(BatchSampler(range(5), np.int64(2), False)) == [[0, 1], [2, 3], [4]]
    assert len(WeightedRandomSampler([1, 2], np.int32(4))) == 4
    assert len(RandomSampler(range(3), num_samples=np.int64(5))) == 5


# --- errors of the samplers, each with its message, and where PyTorch raises too


_SAMPLER_ERRORS = [
    ("random", dict(replacement=1), TypeError, "replacement must be True or False"),
    ("random", dict(num_samples=0), ValueError, "num_samples must be a positive integer"),
    ("random", dict(num_samples=2.5), ValueError, "num_samples must be a positive integer"),
    ("weighted", dict(weights=[[1, 2]]), ValueError, r"1-d sequence, got shape \(1, 2\)"),
    ("weighted", dict(num_samples=0), ValueError, "num_samples must be a positive integer"),
    ("weighted", dict(num_samples=-2), ValueError, "num_samples must be a positive integer"),
    ("weighted", dict(num_samples=1.0), ValueError, "num_samples must be a positive integer"),
    ("weighted", dict(replacement="no"), ValueError, "replacement must be True or False"),
    ("batch", dict(batch_size=0), ValueError, "batch_size must be a positive integer"),
    ("batch", dict(batch_size=2.0), ValueError, "batch_size must be a positive integer"),
    ("batch", dict(batch_size=True), ValueError, "batch_size must be a positive integer"),
    ("batch", dict(drop_last=1), ValueError, "drop_last must be True or False"),
]


def _make(lib, kind, **kw):
    if kind == "random":
        return lib.RandomSampler(range(4), **kw)
    if kind == "weighted":
        return lib.WeightedRandomSampler(**{"weights": [1, 2], "num_samples": 3, **kw})
    return lib.BatchSampler(range(4), **{"batch_size": 2, "drop_last": False, **kw})


_STRICTER = [  # PyTorch reads True as 1 and refuses NumPy integers; here the reverse
    ("random", dict(num_samples=True), ValueError, "num_samples must be a positive integer"),
]


@pytest.mark.parametrize(("kind", "kw", "error", "message"), _SAMPLER_ERRORS + _STRICTER)
def test_sampler_argument_errors(kind, kw, error, message):
    with pytest.raises(error, match=message):
        _make(cr.data, kind, **kw)


@pytest.mark.parametrize(("kind", "kw", "error", "message"), _SAMPLER_ERRORS)
def test_sampler_argument_errors_are_pytorchs(kind, kw, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        _make(torch.utils.data, kind, **kw)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -0.5, 2.0], "non-negative, got -0.5 at index 1"),
        ([1.0, np.nan], "finite, got nan at index 1"),
        ([np.inf, 1.0], "finite, got inf at index 0"),
        ([0.0, 0.0], "not all zero"),
        (["a", "b"], "must be numbers"),
    ],
)
def test_weighted_sampler_refuses_bad_weights_which_pytorch_refuses_when_drawing(weights, message):
    error = TypeError if message == "must be numbers" else ValueError
    with pytest.raises(error, match=message):
        WeightedRandomSampler(weights, 2)
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, ValueError, TypeError)):
        list(torch.utils.data.WeightedRandomSampler(weights, 2))


def test_weighted_sampler_without_replacement_needs_enough_non_zero_weights():
    with pytest.raises(ValueError, match="num_samples=3 without replacement, but only 2 weights"):
        WeightedRandomSampler([1, 0, 2], 3, replacement=False)
    WeightedRandomSampler([1, 0, 2], 3, replacement=True)  # with replacement, any number
    torch = pytest.importorskip("torch")  # its CPU draw hands out the zero weight's index
    theirs = torch.utils.data.WeightedRandomSampler([1, 0, 2], 3, replacement=False)
    assert sorted(theirs) == [0, 1, 2]


def test_samplers_refuse_a_torch_generator():
    torch = pytest.importorskip("torch")
    for make in (
        lambda g: RandomSampler(range(3), generator=g),
        lambda g: SubsetRandomSampler([0, 1], generator=g),
        lambda g: WeightedRandomSampler([1, 1], 2, generator=g),
    ):
        with pytest.raises(TypeError, match=r"numpy\.random\.Generator.*got torch\._C\.Generator"):
            make(torch.Generator().manual_seed(0))


def test_random_sampler_over_no_data_is_refused_as_pytorch_refuses_it():
    with pytest.raises(ValueError, match="num_samples must be a positive integer, got 0"):
        RandomSampler([])
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        torch.utils.data.RandomSampler([])


def test_subset_random_sampler_refuses_indices_that_are_not_ints():
    for bad in ([0.5, 1.0], [[0, 1]], ["a"]):
        with pytest.raises(TypeError, match="indices must be a 1-d sequence of ints"):
            SubsetRandomSampler(bad)
    assert list(SubsetRandomSampler([])) == []


# --- DataLoader with sampler= and batch_sampler=


@pytest.mark.parametrize(
    ("drop_last", "expected"), [(False, [[9, 0], [3, 3], [7]]), (True, [[9, 0], [3, 3]])]
)
def test_loader_with_a_sampler_gives_its_indices_batch_size_at_a_time(drop_last, expected):
    loader = DataLoader(_ids(10), 2, sampler=[9, 0, 3, 3, 7], drop_last=drop_last)
    assert _ys(loader) == expected == _ys(loader)
    assert len(loader) == len(expected)
    X, _ = next(iter(loader))
    np.testing.assert_array_equal(X, [[9.0], [0.0]])


def test_loader_with_a_batch_sampler_gives_its_batches():
    loader = DataLoader(_ids(10), batch_sampler=[[0, 1, 2], [5], [9, 8]])
    assert _ys(loader) == [[0, 1, 2], [5], [9, 8]]
    assert len(loader) == 3
    assert loader.batch_size is None
    assert _ys(DataLoader(_ids(10), batch_sampler=BatchSampler(range(7), 3, True))) == [
        [0, 1, 2],
        [3, 4, 5],
    ]


@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_with_samplers_matches_pytorch(drop_last):
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    order = [9, 0, 3, 3, 7, 1, 2]
    ours = DataLoader(_ids(10), 3, sampler=order, drop_last=drop_last)
    theirs = tu.DataLoader(_torch_ids(torch, 10), 3, sampler=order, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert _ys(ours) == [(y // 10).tolist() for _, y in theirs]
    batches = [[0, 1, 2], [5], [9, 8]]
    ours = DataLoader(_ids(10), batch_sampler=batches)
    theirs = tu.DataLoader(_torch_ids(torch, 10), batch_sampler=batches)
    assert len(ours) == len(theirs)
    assert [x.shape for x, _ in ours] == [tuple(x.shape) for x, _ in theirs]
    for k in (3, 7, 8):  # a random order's length and batch shapes do not depend on the stream
        ours = DataLoader(
            _ids(10), 4, sampler=RandomSampler(range(10), True, k), drop_last=drop_last
        )
        theirs = tu.DataLoader(
            _torch_ids(torch, 10),
            4,
            sampler=tu.RandomSampler(range(10), True, k),
            drop_last=drop_last,
        )
        assert len(ours) == len(theirs)
        assert [x.shape for x, _ in ours] == [tuple(x.shape) for x, _ in theirs]


def test_loader_with_a_random_sampler_reads_every_sample_once_a_fresh_order_each_epoch():
    cr.manual_seed(21)
    loader = DataLoader(_ids(20), 6, sampler=RandomSampler(range(20)))
    epochs = [_flat(_ys(loader)) for _ in range(3)]
    assert all(sorted(e) == list(range(20)) for e in epochs)
    assert len({tuple(e) for e in epochs}) == 3
    cr.manual_seed(21)
    again = DataLoader(_ids(20), 6, sampler=RandomSampler(range(20)))
    assert [_flat(_ys(again)) for _ in range(3)] == epochs


def test_loader_state_dict_replays_a_samplers_epoch():
    loader = DataLoader(_ids(12), 5, sampler=RandomSampler(range(12)))
    _ys(loader)
    state = loader.state_dict()
    epoch = _ys(loader)
    assert _ys(loader) != epoch
    loader.load_state_dict(state)
    assert _ys(loader) == epoch
    batched = DataLoader(
        _ids(12), batch_sampler=BatchSampler(SubsetRandomSampler(range(12)), 5, False)
    )
    state = batched.state_dict()
    epoch = _ys(batched)
    batched.load_state_dict(state)
    assert _ys(batched) == epoch
    with pytest.raises(ValueError, match="expected the states of 1 sampler generators"):
        loader.load_state_dict({"rng": state["rng"]})


def test_fit_trains_and_validates_on_loaders_with_samplers():
    cr.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    train = DataLoader((X, y), batch_sampler=BatchSampler(RandomSampler(range(30)), 8, False))
    val = DataLoader((X, y), 8, sampler=SequentialSampler(range(30)), drop_last=True)
    model = cr.nn.Sequential(cr.nn.Linear(3, 2))
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = cr.fit(model, cr.nn.CrossEntropyLoss(), opt, train, 2, val_data=val, progress=False)
    assert len(history.history["loss"]) == 2
    assert len(history.history["val_loss"]) == 2
    assert cr.evaluate(model, cr.nn.CrossEntropyLoss(), val)["loss"] > 0


# --- DataLoader's errors with samplers


def _arguments_refused(make) -> list[bool]:
    """For each argument combination, whether ``make(**kw)`` raises a ValueError."""
    sampler, batches = [0, 1, 2], [[0, 1], [2]]
    combos = [
        dict(sampler=sampler),
        dict(sampler=sampler, shuffle=True),
        dict(sampler=sampler, shuffle=False, drop_last=True),
        dict(batch_sampler=batches),
        dict(batch_sampler=batches, batch_size=4),
        dict(batch_sampler=batches, batch_size=None),
        dict(batch_sampler=batches, shuffle=True),
        dict(batch_sampler=batches, drop_last=True),
        dict(batch_sampler=batches, sampler=sampler),
    ]
    refused = []
    for kw in combos:
        try:
            make(**kw)
            refused.append(False)
        except ValueError:
            refused.append(True)
    return refused


def test_loader_refuses_the_argument_combinations_pytorch_refuses():
    expected = [False, True, False, False, True, True, True, True, True]
    assert _arguments_refused(lambda **kw: DataLoader(_ids(3), **kw)) == expected
    torch = pytest.importorskip("torch")
    ds = _torch_ids(torch, 3)
    # PyTorch's default batch_size is 1 where ours is 32; each is left alone here
    assert _arguments_refused(lambda **kw: torch.utils.data.DataLoader(ds, **kw)) == expected


def test_loader_sampler_error_messages():
    with pytest.raises(ValueError, match="sampler is mutually exclusive with shuffle=True"):
        DataLoader(_ids(3), sampler=[0], shuffle=True)
    with pytest.raises(
        ValueError,
        match=r"mutually exclusive .* got batch_size=4, shuffle=True, drop_last=True\)?$",
    ):
        DataLoader(_ids(3), 4, True, batch_sampler=[[0]], drop_last=True)
    with pytest.raises(ValueError, match=r"mutually exclusive .* got sampler$"):
        DataLoader(_ids(3), batch_sampler=[[0]], sampler=[0])
    for kw in (dict(seed=1), dict(generator=np.random.default_rng(1))):
        with pytest.raises(ValueError, match="give the sampler its generator"):
            DataLoader(_ids(3), sampler=[0], **kw)
        with pytest.raises(ValueError, match="give the sampler its generator"):
            DataLoader(_ids(3), batch_sampler=[[0]], **kw)


@pytest.mark.parametrize(
    ("kw", "index"),
    [
        (dict(sampler=[0, 10]), 10),
        (dict(sampler=[-1]), -1),
        (dict(batch_sampler=[[3], [2, 12]]), 12),
    ],
)
def test_loader_names_an_index_out_of_range(kw, index):
    source = "batch_sampler" if "batch_sampler" in kw else "sampler"
    message = f"the {source} gave index {index}, out of range for a dataset of 10 samples"
    with pytest.raises(IndexError, match=message):
        list(DataLoader(_ids(10), **kw))


def test_loader_refuses_indices_that_are_not_ints():
    with pytest.raises(TypeError, match=r"a sampler must yield int indices, got 1\.0"):
        list(DataLoader(_ids(4), sampler=[0, 1.0]))
    with pytest.raises(TypeError, match="goes in as batch_sampler="):
        list(DataLoader(_ids(4), sampler=BatchSampler(range(4), 2, False)))
    with pytest.raises(TypeError, match="batch_sampler must yield lists of int indices, got 0"):
        list(DataLoader(_ids(4), batch_sampler=range(4)))
    with pytest.raises(TypeError, match="a sampler must yield int indices, got True"):
        list(DataLoader(_ids(4), sampler=[True, False]))


def test_loader_with_a_sampler_without_len():
    loader = DataLoader(_ids(5), 2, sampler=_Unsized())
    assert _ys(loader) == [[4, 1], [3]]
    with pytest.raises(TypeError, match="len"):
        len(loader)
    assert "batches" not in repr(loader)
    assert "sampler=_Unsized" in repr(loader)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        len(torch.utils.data.DataLoader(_torch_ids(torch, 5), 2, sampler=_Unsized()))


class _CrashError(Exception):
    pass


class _CrashAtEndOfEpoch:
    """Raises at the end of epoch ``n`` (1-based), after the checkpoint before it is saved."""

    def __init__(self, n: int) -> None:
        self.n = n

    def on_epoch_end(self, state, logs):
        if state.epoch + 1 == self.n:
            raise _CrashError


def test_a_resumed_fit_draws_the_samplers_orders_of_the_uninterrupted_one(tmp_path):
    from chainrule.callbacks import ModelCheckpoint

    X = np.random.default_rng(3).normal(size=(24, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)

    def run(path, crash=None, resume=False):
        cr.manual_seed(0)
        model = cr.nn.Sequential(cr.nn.Linear(3, 2))
        opt = cr.optim.SGD(model.parameters(), lr=0.5)
        loader = DataLoader((X, y), 5, sampler=RandomSampler(range(24)))
        callbacks = [ModelCheckpoint(path, monitor="loss")] + ([crash] if crash else [])
        point = cr.load(path, model, opt) if resume else None
        history = cr.fit(
            model, cr.nn.CrossEntropyLoss(), opt, loader, 4, callbacks=callbacks,
            progress=False, resume_from=point,
        )  # fmt: skip
        return history.history["loss"], model.state_dict()

    whole_loss, whole_weights = run(tmp_path / "a.safetensors")
    with pytest.raises(_CrashError):
        run(tmp_path / "b.safetensors", crash=_CrashAtEndOfEpoch(2))
    loss, weights = run(tmp_path / "b.safetensors", resume=True)
    assert loss == whole_loss
    for name, w in whole_weights.items():
        np.testing.assert_array_equal(weights[name], w)
