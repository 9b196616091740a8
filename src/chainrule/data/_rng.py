"""Where data randomness comes from: an explicit seed, or else the library's generator."""

from __future__ import annotations

import numpy as np

from .._generator import default_generator


def check_seed(seed: int | None, owner: str) -> None:
    """Raise unless ``seed`` is None or a non-negative int (bool is not a seed)."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{owner}: seed must be an int or None, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{owner}: seed must be >= 0, got {seed}")


def generator_from(seed: int | None, owner: str) -> np.random.Generator:
    """A new generator: seeded by ``seed``, or drawn from ``cr.manual_seed``'s generator.

    Drawing from the library generator when no seed is given makes ``cr.manual_seed(s)``
    enough to reproduce a whole run, shuffling included.
    """
    check_seed(seed, owner)
    if seed is None:
        seed = int(default_generator().integers(0, 2**63))
    return np.random.default_rng(seed)
