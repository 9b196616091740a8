"""Standardizer (zero mean, unit variance per feature) and one-hot encoding."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._arguments import is_count
from .._dtypes import get_default_dtype


class Standardizer:
    """Rescale each feature to mean 0 and standard deviation 1: ``(x − mean) / std``.

    Fit it on the training split only, then transform every split with those statistics,
    so nothing about the test data leaks into training. Statistics are taken over axis 0
    in float64. A constant feature gets scale 1, so it becomes exactly 0, never NaN; so
    does a feature of subnormal values whose standard deviation rounds to 0 (such as
    ``[0, 5e-324]``: the std 2.5e-324 is below the smallest float64).

    As scikit-learn's ``StandardScaler`` (population std, ``ddof=0``), except: ``X`` may
    have any shape (N, ...); integers become the default float (float32), not float64;
    NaN is refused rather than left out of the statistics and passed through; and only
    an exactly constant feature, or one whose std underflows to 0, gets scale 1
    (scikit-learn also gives it to features whose variance is within rounding error of 0).

    >>> s = Standardizer().fit(X_train)
    >>> X_train, X_test = s.transform(X_train), s.transform(X_test)
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def fit(self, X: ArrayLike) -> Standardizer:
        """Learn each feature's mean and standard deviation from ``X`` (N, ...)."""
        X = _features(X, "fit")
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X has no samples")
        X64 = X.astype(np.float64)
        constant = (X64 == X64[0]).all(axis=0)
        # in units of a power of two near each column's peak: exact, and the squares of
        # the deviations neither overflow (values near 1e308) nor underflow (near 1e-300)
        _, exponent = np.frexp(np.abs(X64).max(axis=0))  # peak = m·2^e with ½ ≤ m < 1
        unit = np.ldexp(1.0, exponent - 1)  # 2^(e−1) ≤ peak, exact even at the float64 limit
        Y = X64 / unit
        self.mean = np.where(constant, X64[0], Y.mean(axis=0) * unit)
        self.scale = _scale(Y.std(axis=0) * unit, constant)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """``(X − mean) / scale``, in X's floating dtype (the default float for integers)."""
        X = _features(X, "transform")
        mean, scale = self._fitted("transform", X)
        return _standardize(X, mean, scale).astype(_float_dtype(X), copy=False)

    def fit_transform(self, X: ArrayLike) -> np.ndarray:
        """`fit` on ``X``, then `transform` it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Undo `transform`: ``Z × scale + mean``."""
        Z = _features(Z, "inverse_transform")
        mean, scale = self._fitted("inverse_transform", Z)
        return _unstandardize(Z, mean, scale).astype(_float_dtype(Z), copy=False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The fitted ``mean`` and ``scale`` arrays (float64), e.g. to save with a model."""
        mean, scale = self._fitted("state_dict")
        return {"mean": mean.copy(), "scale": scale.copy()}

    def load_state_dict(self, state: dict[str, ArrayLike]) -> None:
        """Restore ``mean`` and ``scale`` saved by `state_dict` (lists from JSON work too)."""
        missing = [k for k in ("mean", "scale") if not isinstance(state, dict) or k not in state]
        if missing:
            raise ValueError(
                f"Standardizer.load_state_dict: expected {{'mean': ..., 'scale': ...}} as "
                f"state_dict() returns it; missing {', '.join(missing)} in {state!r:.80}"
            )
        mean = np.asarray(state["mean"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        problem = _state_problem(mean, scale)
        if problem:
            raise ValueError(f"Standardizer.load_state_dict: {problem}")
        self.mean, self.scale = mean, scale

    def _fitted(self, method: str, X: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.scale is None:
            raise RuntimeError(f"Standardizer.{method}: not fitted; call fit(X_train) first")
        if X is not None and X.shape[1:] != self.mean.shape:
            raise ValueError(
                f"Standardizer.{method}: X has feature shape {X.shape[1:]} but the "
                f"Standardizer was fitted on {self.mean.shape}"
            )
        return self.mean, self.scale

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean is None else f"fitted on {self.mean.shape}"
        return f"Standardizer({fitted})"


def one_hot(labels: ArrayLike, num_classes: int, dtype: DTypeLike = np.float32) -> np.ndarray:
    """Rows of the identity: ``out[..., k] = 1`` where ``labels == k``, else 0.

    ``labels`` are integers in ``[0, num_classes)`` of any shape; the result has shape
    ``labels.shape + (num_classes,)``. An empty list is read as empty int labels (NumPy
    would make it float): ``one_hot([], 3)`` has shape (0, 3).

    Unlike ``torch.nn.functional.one_hot``: ``num_classes`` is required (inferred from a
    batch's labels it would shrink when the batch lacks the last class), any integer dtype
    is accepted, and the default output is float32, ready for a loss (PyTorch: int64).
    PyTorch's ``num_classes=-1`` (inferred) and None are a ValueError; for empty labels
    PyTorch's inference fails too ("Can not infer total number of classes").
    """
    labels = _labels(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if num_classes is None or (is_count(num_classes, -1) and num_classes == -1):
        raise ValueError(f"one_hot: num_classes is required, got {num_classes}{_why(labels)}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if num_classes <= 0:
        raise ValueError(f"one_hot: num_classes must be positive, got {num_classes}")
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        value = labels.reshape(-1)[bad[0]]
        raise ValueError(
            f"one_hot: labels must be in [0, {num_classes}); found {value} at flat index "
            f"{bad[0]} ({bad.size} out of range)"
        )
    out = np.zeros((*labels.shape, num_classes), dtype=dtype)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    return out


def _labels(labels: ArrayLike) -> np.ndarray:
    """``labels`` as an array; an empty list or tuple (NumPy's float64) as int64."""
    array = np.asarray(labels)
    if array.size == 0 and isinstance(labels, (list, tuple)):
        return array.astype(np.int64)
    return array


def _why(labels: np.ndarray) -> str:
    """Why ``one_hot`` needs ``num_classes`` given, for these labels."""
    if labels.size == 0:
        return " (the labels are empty: there is no largest label to infer it from)"
    return " (inferred from the labels, it would shrink for a batch without the last class)"


def _scale(std: np.ndarray, constant: np.ndarray) -> np.ndarray:
    """Each feature's std, or 1 where the feature is constant or its std underflowed to 0
    (a divisor of 0 would turn the feature into infinities and NaN)."""
    return np.where(constant | (std == 0), 1.0, std)


def _features(X: ArrayLike, method: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim == 0 or X.dtype.kind not in "biuf":
        raise ValueError(
            f"Standardizer.{method}: X must be a numeric array of shape (N, ...), got "
            f"{X.dtype} of shape {X.shape}"
        )
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError(f"Standardizer.{method}: X contains NaN or infinity")
    return X


def _standardize(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(X − mean) / scale``. Finite X − mean overflows only for values near the float64
    limit (±1.8e308) of opposite signs; those features are computed again from halves,
    which is exact at that size, and the quotient doubled back."""
    with np.errstate(over="ignore"):
        d = X - mean
    over = np.isinf(d).any(axis=0)  # one flag per feature; almost always none
    z = d / scale
    if not over.any():
        return z
    with np.errstate(over="ignore"):  # the other features' halves are not used
        return np.where(over, (X / 2 - mean / 2) / scale * 2, z)


def _unstandardize(Z: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``Z × scale + mean``, from halves in the features where ``Z × scale`` alone
    overflows though the sum need not (as in `_standardize`)."""
    with np.errstate(over="ignore"):
        x = Z * scale + mean
        over = np.isinf(x).any(axis=0)
        return np.where(over, (Z * (scale / 2) + mean / 2) * 2, x) if over.any() else x


def _float_dtype(X: np.ndarray) -> np.dtype:
    return X.dtype if X.dtype.kind == "f" else get_default_dtype()


def _state_problem(mean: np.ndarray, scale: np.ndarray) -> str | None:
    """What makes a saved mean and scale unusable (every value would become NaN or inf)."""
    if mean.shape != scale.shape:
        return f"mean and scale need one shape, got {mean.shape} and {scale.shape}"
    if not np.isfinite(mean).all():
        return "the mean is not finite"
    if not (np.isfinite(scale).all() and (scale > 0).all()):
        return "the scale is not finite and positive"
    return None
