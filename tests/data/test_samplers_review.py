"""Samplers and DataLoader's sampler= at the edges: weights near the float64 limit, and
errors that name what is wrong, against frequencies worked here and PyTorch's samplers."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.data import WeightedRandomSampler

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
