"""One seeded NumPy random generator for the whole library (`manual_seed`)."""

from __future__ import annotations

import numpy as np

_current = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library's generator (initialisers, dropout, shuffling) and return it."""
    global _current
    _current = np.random.default_rng(seed)
    return _current


def default_generator() -> np.random.Generator:
    """The generator used wherever no explicit one is passed."""
    return _current
