"""Where data randomness comes from: an explicit seed, or else the library's generator."""

from __future__ import annotations

import numpy as np

from .._generator import check_seed, default_generator


def generator_from(seed: int | None, owner: str) -> np.random.Generator:
    """A new generator: seeded by ``seed``, or drawn from ``cr.manual_seed``'s generator.

    Drawing from the library generator when no seed is given makes ``cr.manual_seed(s)``
    enough to reproduce a whole run, shuffling included.
    """
    check_seed(seed, owner)
    if seed is None:
        seed = int(default_generator().integers(0, 2**63))
    return np.random.default_rng(seed)


def seeded_or_given(seed, generator, owner: str) -> np.random.Generator:
    """``generator`` itself when given (a NumPy Generator, never with a ``seed``), else a
    new one from ``seed`` (see `generator_from`); other generators are a TypeError."""
    if generator is None:
        return generator_from(seed, owner)
    if seed is not None:
        raise TypeError(f"{owner}: pass seed or generator, not both")
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{owner}: generator must be a numpy.random.Generator (np.random.default_rng(s)), "
            f"got {type(generator).__module__}.{type(generator).__name__}; pass a NumPy "
            "Generator or a seed"
        )
    return generator
