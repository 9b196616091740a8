"""A statistical check shared by the tests of initialisers: whether two samples come from
one distribution."""

import math

import numpy as np


def same_distribution(a: np.ndarray, b: np.ndarray) -> bool:
    """The two-sample Kolmogorov–Smirnov test at the 0.1% level: max |F_a − F_b| below
    1.95·√((n + m) / (n·m))."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    gap = np.abs(
        np.searchsorted(a, grid, "right") / a.size - np.searchsorted(b, grid, "right") / b.size
    )
    return gap.max() < 1.95 * math.sqrt((a.size + b.size) / (a.size * b.size))
