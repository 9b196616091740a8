"""One seeded NumPy random generator for the whole library (`manual_seed`)."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library's generator (initialisers, dropout, shuffling) and return it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used wherever no explicit one is passed."""
    return _generator
