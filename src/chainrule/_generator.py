"""One seeded NumPy random generator for the whole library (`manual_seed`)."""

from __future__ import annotations

import numpy as np

_current = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library's generator (initialisers, dropout, shuffling) and return it.

    ``seed`` is an integer >= 0 (a Python or NumPy integer). None, which would draw fresh
    entropy and so never repeat, is a TypeError, as in PyTorch; so are a float (PyTorch
    truncates it) and a bool."""
    global _current
    check_seed(seed, "manual_seed", none_ok=False)
    _current = np.random.default_rng(int(seed))
    return _current


def check_seed(seed, owner: str, none_ok: bool = True) -> None:
    """Raise unless ``seed`` is a Python or NumPy integer >= 0 (bool is not a seed), or
    None where ``none_ok``; the error names ``owner``."""
    if seed is None and none_ok:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        also = " or None" if none_ok else ""
        raise TypeError(f"{owner}: seed must be an integer{also}, got {seed!r:.60}")
    if seed < 0:
        raise ValueError(f"{owner}: seed must be >= 0, got {seed}")


def default_generator() -> np.random.Generator:
    """The generator used wherever no explicit one is passed."""
    return _current


def generator_or_default(
    generator: np.random.Generator | None, who: str | None = None
) -> np.random.Generator:
    """``generator``, or the library's when it is None; anything else is a TypeError naming
    it and ``who`` (the caller): a seed, a ``RandomState``, or the 0 of ``he_normal_(w, 0)``
    written as PyTorch's ``kaiming_normal_(w, a=0)``."""
    if generator is None:
        return _current
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{who + ': ' if who else ''}generator must be a numpy.random.Generator "
            f"(np.random.default_rng(seed)) or None, got {generator!r}"
        )
    return generator
