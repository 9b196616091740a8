"""Hypothesis strategies shared by the op tests: shapes, broadcasting pairs, and float64
arrays kept inside an op's valid domain (away from kinks, ties and singularities, where
central finite differences are meaningless)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_RANK = 4
MAX_SIDE = 4
#: values are kept at least this far from a kink (|x| at 0, clip bounds) or from each other
#: (max/min ties); gradcheck's finite-difference step is 1e-6, so this is ample.
KINK_MARGIN = 1e-3


def shapes(min_dims: int = 0, max_dims: int = MAX_RANK, max_side: int = MAX_SIDE):
    """Shapes of rank ``min_dims``..``max_dims`` with dims 1..``max_side``, size-1 dims
    included: half from ``hnp.array_shapes`` (which favours tiny shapes and shrinks well),
    half with rank and dims drawn uniformly (so that rank-4 shapes with big dims are common)."""
    return st.one_of(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side),
        _uniform_shapes(min_dims, max_dims, max_side),
    )


@st.composite
def _uniform_shapes(draw, min_dims: int, max_dims: int, max_side: int):
    rank = draw(st.sampled_from(range(min_dims, max_dims + 1)))
    return tuple(draw(st.sampled_from(range(1, max_side + 1))) for _ in range(rank))


def broadcast_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = MAX_RANK):
    """A tuple of ``num_shapes`` mutually broadcastable shapes (ranks may differ; size-1 and
    missing dims broadcast): half from ``hnp.mutually_broadcastable_shapes`` (mostly tiny,
    often rank 0), half as suffixes of one uniformly drawn shape with some dims set to 1."""
    return st.one_of(
        hnp.mutually_broadcastable_shapes(
            num_shapes=num_shapes,
            min_dims=min_dims,
            max_dims=max_dims,
            min_side=1,
            max_side=MAX_SIDE,
        ).map(lambda b: b.input_shapes),
        _suffix_shapes(num_shapes, min_dims, max_dims),
    )


@st.composite
def _suffix_shapes(draw, num_shapes: int, min_dims: int, max_dims: int):
    target = draw(_uniform_shapes(min_dims, max_dims, MAX_SIDE))
    if draw(st.integers(0, 3)) == 0:
        return (target,) * num_shapes
    return tuple(broadcast_source_shape(draw, target) for _ in range(num_shapes))


def floats(lo: float, hi: float):
    """Finite, normal float64 values in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(shape, lo: float = -3.0, hi: float = 3.0):
    """float64 arrays of ``shape`` with values in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def nonzero_arrays(shape, lo: float = 0.5, hi: float = 3.0):
    """float64 arrays whose values have either sign and magnitude in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=st.one_of(floats(lo, hi), floats(-hi, -lo)))


def grid_arrays(shape, offset: float = 0.0, step: float = 0.01):
    """float64 arrays with values on the grid ``offset + step·k`` (|k| ≤ 300).

    Two arrays drawn with offsets 0 and step/2 differ by at least step/2 everywhere,
    whatever the broadcasting: no ties for maximum/minimum."""
    ints = hnp.arrays(np.int64, shape, elements=st.integers(-300, 300))
    return ints.map(lambda k: k * step + offset)


def distinct_arrays(shape, step: float = 0.1):
    """float64 arrays whose values are all different, at least ``step/2`` apart (no ties
    for max/min reductions): a random permutation of a grid, plus a jitter below step/2."""

    @st.composite
    def draw_array(draw):
        n = math.prod(shape)
        order = np.array(draw(st.permutations(range(n))), dtype=np.float64).reshape(shape)
        jitter = draw(arrays(shape, 0.0, 0.4 * step))
        return (order - n / 2) * step + jitter

    return draw_array()


def away_from(x: np.ndarray, points, margin: float = KINK_MARGIN) -> np.ndarray:
    """A copy of ``x`` where every value closer than ``margin`` to one of ``points`` is
    moved to ``2·margin`` from it, on the same side. The points must be further apart
    than ``4·margin`` from each other."""
    x = np.array(x, dtype=np.float64, copy=True)
    for p in points:
        d = x - p
        close = np.abs(d) < margin
        x[close] = p + np.where(d[close] >= 0, 2 * margin, -2 * margin)
    return x


def broadcast_source_shape(draw, target: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts *to* ``target``: a suffix of it (often all of it) with some
    dims (about a quarter) set to 1."""
    full = draw(st.booleans())
    rank = len(target) if full else draw(st.integers(0, len(target)))
    suffix = target[len(target) - rank :]
    return tuple(1 if draw(st.integers(0, 3)) == 0 else n for n in suffix)
