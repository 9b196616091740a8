"""The strong Wolfe line search of `LBFGS` (Nocedal & Wright, Numerical Optimization,
algorithms 3.5 and 3.6): from a start point, a step t along a direction d with sufficient
decrease, f(t) ≤ f₀ + c₁·t·g₀ᵀd, and small slope, |g(t)ᵀd| ≤ −c₂·g₀ᵀd, found by cubic
interpolation. A point is the tuple (t, f, g, gᵀd); ``probe(t)`` evaluates one.
"""

from __future__ import annotations

import numpy as np

#: the strong Wolfe constants: sufficient decrease c₁ and curvature c₂
C1, C2 = 1e-4, 0.9


def strong_wolfe(probe, start: tuple, t: float, d_max: float, tol: float, most: int) -> tuple:
    """The point the search stops at, and the number of probes (N&W alg. 3.5 and 3.6)."""
    bracket, evals, done = _bracketed(probe, start, t, most)
    low = 0 if bracket[0][1] <= bracket[-1][1] else 1
    insufficient = False
    while not done and evals <= most:
        if abs(bracket[1][0] - bracket[0][0]) * d_max < tol:
            break
        t, insufficient = _safeguarded(_cubic_min(bracket[0], bracket[1]), bracket, insufficient)
        new = probe(t)
        evals += 1
        if _too_high(new, start) or new[1] >= bracket[low][1]:
            bracket[1 - low] = new
            low = 0 if bracket[0][1] <= bracket[1][1] else 1
            continue
        done = abs(new[3]) <= -C2 * start[3]
        if not done and new[3] * (bracket[1 - low][0] - bracket[low][0]) >= 0:
            bracket[1 - low] = bracket[low]
        bracket[low] = new
    return bracket[low], evals


def _bracketed(probe, start: tuple, t: float, most: int) -> tuple:
    """An interval that holds a strong Wolfe point, grown by extrapolation (alg. 3.5):
    the bracket, the probes made, and whether its one point already meets the conditions."""
    prev, new, evals = start, probe(t), 1
    while evals <= most:
        if _too_high(new, start) or (evals > 2 and new[1] >= prev[1]):
            return [prev, new], evals, False
        if abs(new[3]) <= -C2 * start[3]:
            return [new], evals, True
        if new[3] >= 0:
            return [prev, new], evals, False
        t = new[0]
        bounds = (t + 0.01 * (t - prev[0]), t * 10)
        prev, new = new, probe(_cubic_min(prev, new, bounds))
        evals += 1
    return [start, new], evals, False


def _too_high(point: tuple, start: tuple) -> bool:
    """Whether ``point`` fails the sufficient decrease f ≤ f₀ + c₁·t·g₀d."""
    return point[1] > start[1] + C1 * point[0] * start[3]


def _safeguarded(t: float, bracket: list, insufficient: bool) -> tuple:
    """t moved 10% of the bracket inside it when it falls that close to an end twice in a
    row (or outside): the zoom then keeps shrinking the bracket."""
    lo, hi = min(bracket[0][0], bracket[1][0]), max(bracket[0][0], bracket[1][0])
    margin = 0.1 * (hi - lo)
    if min(hi - t, t - lo) >= margin:
        return t, False
    if not (insufficient or t >= hi or t <= lo):
        return t, True
    return (hi - margin if abs(t - hi) < abs(t - lo) else lo + margin), False


def _cubic_min(a: tuple, b: tuple, bounds: tuple | None = None) -> float:
    """The minimiser of the cubic through two points' values and slopes (N&W eq. 3.59),
    clipped to ``bounds`` (the points' interval by default); their middle if none. A
    division by 0 (a linear f: the cubic has no minimum) gives ±inf or NaN, clipped as
    PyTorch's tensor arithmetic gives them, where Python's floats would raise."""
    (x1, f1, _, g1), (x2, f2, _, g2) = sorted((a, b), key=lambda point: point[0])
    lo, hi = bounds if bounds is not None else (x1, x2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d1 = g1 + g2 - 3 * np.float64(f1 - f2) / (x1 - x2)
        square = d1 * d1 - g1 * g2
        if not square >= 0:  # NaN too, as PyTorch's test
            return (lo + hi) / 2
        d2 = np.sqrt(square)
        t = x2 - (x2 - x1) * ((g2 + d2 - d1) / np.float64(g2 - g1 + 2 * d2))
    return float(min(max(t, lo), hi))
