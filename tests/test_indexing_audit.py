"""Indexing, shape ops and reductions against NumPy: the forward as NumPy gives it, and the
gradients worked out by hand (an index's gradient counts how often each element is
selected; a tied maximum's is shared equally among the tied elements)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


# ----- indexing --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("idx", "counts"),
    [
        # a tuple inside the index tuple is a sequence of indices, as a list is
        (((0, 0, 2),), [[2, 2, 2], [0, 0, 0], [1, 1, 1]]),
        ((slice(None), (1, 1)), [[0, 2, 0], [0, 2, 0], [0, 2, 0]]),
        (((0, 0), (1, 1)), [[0, 2, 0], [0, 0, 0], [0, 0, 0]]),
        ((2, (0, 0, 0)), [[0, 0, 0], [0, 0, 0], [3, 0, 0]]),
    ],
)
def test_repeated_indices_given_as_a_tuple_add_up(idx, counts):
    data = np.arange(9.0).reshape(3, 3)
    x = cr.tensor(data, requires_grad=True)
    y = x[idx]
    np.testing.assert_array_equal(y.data, data[idx])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad, np.array(counts, dtype=float))


# ----- reductions ------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
def test_float16_ties_beyond_its_largest_count_still_share_the_gradient(op):
    n = 70_000  # above 65,504, the largest float16: the count of ties must not become inf
    x = cr.tensor(np.zeros((2, n), np.float16), requires_grad=True)
    getattr(x, op)(axis=1).sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad, np.full((2, n), 1 / n, np.float16))


# ----- transpose and reshape -------------------------------------------------------------
def test_transpose_of_empty_axes_is_an_error_beyond_0_d_as_in_numpy():
    x = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"Transpose on shapes \(2, 3\): axes don't match"):
        x.transpose(())
    assert cr.tensor(np.array(1.0)).transpose(()).shape == ()


def test_transpose_of_none_reverses_the_axes_as_in_numpy():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = cr.tensor(data, requires_grad=True)
    y = x.transpose(None)
    np.testing.assert_array_equal(y.data, data.transpose(None))
    g = np.arange(24.0).reshape(4, 3, 2)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g.transpose())


@pytest.mark.parametrize("form", ["reshape", "transpose"])
def test_an_array_of_ints_is_a_shape_or_axes_as_in_numpy(form):
    data = np.arange(24.0).reshape(2, 3, 4)
    arg = np.array([4, 6]) if form == "reshape" else np.array([2, 0, 1])
    x = cr.tensor(data, requires_grad=True)
    y = getattr(x, form)(arg)
    np.testing.assert_array_equal(y.data, getattr(data, form)(arg))
    g = np.arange(24.0).reshape(y.shape)
    y.backward(g)
    expected = g.reshape(2, 3, 4) if form == "reshape" else g.transpose(1, 2, 0)
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize(("a", "b"), [(0, 2), (-3, 0)])
def test_swapaxes_out_of_range_is_numpys_axis_error(a, b):
    x = cr.tensor(np.zeros((2, 3)))
    with pytest.raises(np.exceptions.AxisError, match="swapaxes: axes"):
        cr.swapaxes(x, a, b)
