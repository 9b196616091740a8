"""train_test_split: a random (optionally stratified) split into train and test parts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._arguments import flag
from ._rng import generator_from


def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: float | int = 0.2,
    seed: int | None = None,
    stratify: bool = False,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split paired arrays at random into ``(X_train, X_test, y_train, y_test)``.

    ``test_size`` is a fraction in (0, 1) or a number of samples; the test part gets
    ``ceil(fraction × N)`` samples and each part keeps at least one. With
    ``stratify=True`` the labels ``y`` are split class by class, so both parts keep the
    class proportions (each class needs at least two samples, and each part at least one
    sample per class). Use it for a validation
    split too: ``train_test_split(X_train, y_train, 0.1)``. With ``shuffle=False`` (as
    scikit-learn's, for data in time order) the test part is the last samples, both parts
    in their order, and nothing is drawn; it cannot be stratified.

    ``stratify`` is a flag, True or False (None, scikit-learn's default, is False), and
    the classes are always those of ``y``; scikit-learn's ``stratify=y`` (an array of
    labels) is refused with a `TypeError` that says so.

    Sizes are scikit-learn's, float product included (``0.07 × 100`` is 7.000000000000001
    in floating point, so 8 test samples), except where its training part would be empty:
    scikit-learn refuses, this keeps one sample there. Stratified counts are each class's
    share rounded by largest remainder (ties go to the lower class), never 0 and never the
    whole class; scikit-learn rounds the training part first, breaks ties at random and may
    leave a small class out of one part.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"train_test_split: X and y must have the same length, got shapes {X.shape} "
            f"and {y.shape}"
        )
    n_test = _test_count(test_size, len(X))
    _check_stratify(stratify)
    if not flag("train_test_split", "shuffle", shuffle):
        if stratify:
            raise ValueError(
                "train_test_split: stratify=True needs shuffle=True (an ordered split takes "
                "the last samples as they come)"
            )
        # indices, not slices: slices would be views, and scaling X_train in place would
        # rewrite the caller's X (the shuffled split and scikit-learn's give copies)
        train, test = np.arange(len(X) - n_test), np.arange(len(X) - n_test, len(X))
        return X[train], X[test], y[train], y[test]
    rng = generator_from(seed, "train_test_split")
    test = _stratified_test(y, n_test, rng) if stratify else rng.permutation(len(X))[:n_test]
    is_test = np.zeros(len(X), dtype=bool)
    is_test[test] = True
    train, test = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(test)
    return X[train], X[test], y[train], y[test]


def _test_count(test_size: float | int, n: int) -> int:
    if n < 2:
        raise ValueError(f"train_test_split: need at least 2 samples to split, got {n}")
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.number)):
        raise TypeError(f"train_test_split: test_size must be a number, got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        if not 1 <= test_size <= n - 1:
            raise ValueError(
                f"train_test_split: test_size={test_size} samples must be 1 to {n - 1} for N={n}"
            )
        return int(test_size)
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"train_test_split: test_size={test_size} must be in (0, 1)")
    return min(max(int(np.ceil(test_size * n)), 1), n - 1)


def _check_stratify(stratify) -> None:
    """True or False (a NumPy bool too, and scikit-learn's None for False); its array of
    labels is refused, as ``if stratify`` would fail on it with NumPy's "truth value is
    ambiguous" or, for a list or a one-element array, take any labels to mean True."""
    if stratify is not None and not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(
            f"train_test_split: stratify must be True or False, got {type(stratify).__name__}"
            "; it splits by the labels y (scikit-learn's stratify=y is stratify=True here)"
        )


def _stratified_test(y: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """``n_test`` indices with each class represented in proportion (largest remainder)."""
    if y.ndim != 1:
        raise ValueError(f"train_test_split: stratify needs 1-D labels, got shape {y.shape}")
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    problem = _unstratifiable(classes, counts, n_test)
    if problem:
        raise ValueError(f"train_test_split: {problem}")
    take = _per_class(counts, n_test)
    picks = [rng.permutation(np.flatnonzero(inverse == c))[: take[c]] for c in range(len(classes))]
    return np.concatenate(picks)


def can_stratify(y: ArrayLike, test_size: float | int) -> bool:
    """Whether ``train_test_split(..., test_size, stratify=True)`` can keep every class of
    the labels ``y`` in both parts (else it refuses; split such data at random)."""
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    return _unstratifiable(classes, counts, _test_count(test_size, len(y))) is None


def _unstratifiable(classes: np.ndarray, counts: np.ndarray, n_test: int) -> str | None:
    """Why a stratified split of these classes into ``n_test`` test samples and the rest
    cannot keep every class in both parts, or None when it can."""
    if counts.min() < 2:
        return f"stratify needs >= 2 samples per class; class {classes[np.argmin(counts)]} has 1"
    for part, size in (("test", n_test), ("training", counts.sum() - n_test)):
        if size < len(classes):  # some class would be missing from that part
            return (
                f"a stratified {part} part of {size} samples cannot hold all {len(classes)} "
                f"classes; give it at least {len(classes)}"
            )
    return None


def _per_class(counts: np.ndarray, n_test: int) -> np.ndarray:
    """Test samples per class: each class's share ``n_test × count / N`` rounded by
    largest remainder, but never 0 and never all of a class, so that every class is in
    both parts (a class of 2 samples among 100 would round to none).

    The shares are compared as exact fractions (numerators ``n_test × count`` over the
    common ``N``), so classes whose remainders are equal tie, and the tie goes to the
    lower class: in floating point 9.6 − 9 is below 1.6 − 1, and 24 × 18 / 45 would lose
    its tie with 4 × 18 / 45 to the higher class.
    """
    n = int(counts.sum())
    shares = [n_test * int(c) for c in counts]  # quota × N, exact in Python ints
    take = np.clip([s // n for s in shares], 1, counts - 1)

    def most_short_changed_first() -> list[int]:  # by quota − take, i.e. share − take × N
        return sorted(range(len(counts)), key=lambda c: (int(take[c]) * n - shares[c], c))

    while take.sum() < n_test:
        c = next(c for c in most_short_changed_first() if take[c] < counts[c] - 1)
        take[c] += 1
    while take.sum() > n_test:
        c = next(c for c in most_short_changed_first()[::-1] if take[c] > 1)
        take[c] -= 1
    return take
