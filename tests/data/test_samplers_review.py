"""Samplers and DataLoader's sampler= at the edges: weights near the float64 limit, and
errors that name what is wrong, against frequencies worked here and PyTorch's samplers."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, SubsetRandomSampler, WeightedRandomSampler

# the chi-square critical value at the 0.001 level for 2 degrees of freedom
_CRITICAL_2 = 13.82


def _chi_square(counts: np.ndarray, p: np.ndarray) -> float:
    expected = counts.sum() * p
    return float(((counts - expected) ** 2 / expected).sum())


def test_weights_whose_sum_overflows_draw_in_proportion():
    weights = [1e308, 1e308, 5e307]  # finite, but their sum is not
    p = np.array([0.4, 0.4, 0.2])  # each over the sum, worked by hand
    draws = list(WeightedRandomSampler(weights, 6000, generator=np.random.default_rng(0)))
    counts = np.bincount(draws, minlength=3)
    assert _chi_square(counts, p) < _CRITICAL_2


def test_weights_whose_sum_overflows_draw_without_replacement():
    sampler = WeightedRandomSampler([1e308, 1e308], 2, replacement=False)
    assert sorted(sampler) == [0, 1]


def test_pytorch_draws_from_weights_whose_sum_overflows_too():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    sampler = torch.utils.data.WeightedRandomSampler([1e308, 1e308], 2, False, generator=g)
    assert sorted(sampler) == [0, 1]


class _Unsized:
    """An iterable of indices without len(), as PyTorch lets a sampler be."""

    def __iter__(self):
        yield from (4, 1, 3, 0)


def _fit_parts():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2, dtype="float64")
    return X, y, model, cr.optim.SGD(model.parameters(), lr=0.1)


@pytest.mark.parametrize("where", ["train_data", "val_data"])
def test_fit_names_a_sampler_without_len(where):
    X, y, model, opt = _fit_parts()
    unsized = DataLoader((X, y), 2, sampler=_Unsized())
    train, val = (unsized, None) if where == "train_data" else ((X, y), unsized)
    with pytest.raises(TypeError, match=f"fit: {where} is a DataLoader whose sampler has no len"):
        cr.fit(model, cr.nn.CrossEntropyLoss(), opt, train, 1, val_data=val, progress=False)


def test_evaluate_reads_a_sampler_without_len():
    X, y, model, _ = _fit_parts()
    z = X @ model.weight.data + model.bias.data
    losses = np.log(np.exp(z).sum(axis=1)) - z[np.arange(6), y]
    got = cr.evaluate(model, cr.nn.CrossEntropyLoss(), DataLoader((X, y), 3, sampler=_Unsized()))
    assert got["loss"] == pytest.approx(losses[[4, 1, 3, 0]].mean(), rel=1e-12)


@pytest.mark.parametrize(
    ("kw", "named"),
    [
        (
            {"batch_size": 2, "sampler": SubsetRandomSampler([])},
            "sampler SubsetRandomSampler of 0 indices",
        ),
        ({"batch_sampler": []}, "batch_sampler list of 0 batches"),
    ],
)
def test_an_empty_epoch_names_the_sampler_that_gave_it_not_only_the_dataset(kw, named):
    X, y, model, opt = _fit_parts()
    loader = DataLoader((X, y), **kw)
    with pytest.raises(ValueError, match=f"training data is empty \\(6 samples, .*, {named}\\)"):
        cr.fit(model, cr.nn.CrossEntropyLoss(), opt, loader, 1, progress=False)
    with pytest.raises(ValueError, match=f"data is empty \\(6 samples, .*, {named}\\)"):
        cr.evaluate(model, cr.nn.CrossEntropyLoss(), loader)
