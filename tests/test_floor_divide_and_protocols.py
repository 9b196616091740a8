"""Floor division and remainder, and fixes to the protocols of lists and ``==``.

- ``x // y`` and ``x % y``: `cr.floor_divide` and `cr.remainder`, against NumPy (values,
  integer dtypes, division by zero without a RuntimeWarning), finite differences away from
  the jumps, gradients written by hand, and PyTorch where it is installed.
- A list holding text is refused with the element's position, not parsed as a number.
- ``t == object()`` is Python's fallback (False; ``!=`` True), as in PyTorch.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")


def quiet(fn, *args):
    """``fn(*args)`` with every warning an error (a RuntimeWarning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


def away_from_jumps(rng, shape):
    """x and y with x/y at least 0.1 from every integer, y of either sign."""
    y = rng.uniform(0.5, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    return y * (rng.integers(-5, 5, shape) + rng.uniform(0.1, 0.9, shape)), y


# ----- forward: NumPy's floor division and floor modulus -------------------------------------
X = np.array([5.5, -5.5, 5.5, -5.5, 7.0, -7.0, 0.0, -0.0, 1e-300, 3.0])
Y = np.array([2.0, 2.0, -2.0, -2.0, 3.5, 3.5, 3.0, -3.0, 1e-8, np.inf])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_remainder_and_floor_divide_match_numpy_with_the_divisors_sign(dtype):
    x, y = cr.tensor(X, dtype=dtype), cr.tensor(Y, dtype=dtype)
    xa, ya = X.astype(dtype), Y.astype(dtype)
    for ours, theirs in [
        (x % y, np.remainder(xa, ya)),
        (cr.remainder(x, y), np.remainder(xa, ya)),
        (x // y, np.floor_divide(xa, ya)),
        (cr.floor_divide(x, y), np.floor_divide(xa, ya)),
    ]:
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours.data, theirs)
        np.testing.assert_array_equal(np.signbit(ours.data), np.signbit(theirs))
    # the sign of the divisor, as Python's own % (not C's fmod)
    assert list((x % y).data[:4]) == [5.5 % 2.0, -5.5 % 2.0, 5.5 % -2.0, -5.5 % -2.0]
    assert list((x // y).data[:4]) == [5.5 // 2.0, -5.5 // 2.0, 5.5 // -2.0, -5.5 // -2.0]


def test_numbers_on_either_side_keep_the_tensors_dtype():
    x = cr.tensor([5.5, -3.25, 7.0])  # float32
    a = x.data
    np.testing.assert_array_equal((x % 2).data, np.remainder(a, np.float32(2)))
    np.testing.assert_array_equal((10 % x).data, np.remainder(np.float32(10), a))
    np.testing.assert_array_equal((x // 1.5).data, np.floor_divide(a, np.float32(1.5)))
    np.testing.assert_array_equal((10 // x).data, np.floor_divide(np.float32(10), a))
    for out in (x % 2, 10 % x, x // 1.5, 10 // x, x % np.array([2, 3, 4])):
        assert out.dtype == "float32"


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_tensors_stay_integer_as_in_numpy(dtype):
    values = np.array([7, 0, 9, 200] if dtype == "uint8" else [7, -7, 0, -1], dtype)
    t = cr.tensor(values)
    for ours, theirs in [
        (t // 2, values // values.dtype.type(2)),
        (t % 2, values % values.dtype.type(2)),
        (t // t[:1], values // values[:1]),
        (t % t[:1], values % values[:1]),
    ]:
        assert ours.dtype == dtype
        np.testing.assert_array_equal(ours.data, theirs)
    assert not (t // 2).requires_grad
    # with a float number the result is floating, as in PyTorch (the default dtype)
    assert (t // 2.5).dtype == "float32"
    np.testing.assert_array_equal((t % 2.5).data, np.remainder(values, 2.5).astype(np.float32))


def test_division_by_zero_gives_numpys_ieee_results_without_a_warning():
    floats = np.array([1.0, -1.0, 0.0, np.inf, np.nan])
    x = cr.tensor(floats, dtype="float64", requires_grad=True)
    with np.errstate(all="ignore"):
        want_mod, want_div = np.remainder(floats, 0.0), np.floor_divide(floats, 0.0)
        want_grad = -np.floor_divide(floats, 0.0)
    np.testing.assert_array_equal(quiet(cr.remainder, x, 0.0).data, want_mod)  # all NaN
    np.testing.assert_array_equal(quiet(cr.floor_divide, x, 0.0).data, want_div)  # ±inf, NaN
    # the gradient for the divisor, −(x // 0), at the same points: NumPy's ±inf and NaN
    y = cr.tensor(np.zeros(5), requires_grad=True)
    quiet(lambda: cr.remainder(floats, y).backward(np.ones(5)))
    np.testing.assert_array_equal(y.grad, want_grad)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t // 0,
        lambda t: t % 0,
        lambda t: t // np.array([1, 0, 2]),
        lambda t: 7 % t,
        lambda t: cr.floor_divide(t, cr.tensor(np.array([0], np.uint8))),
    ],
)
def test_integers_divided_by_zero_raise_as_in_python_and_pytorch(call):
    # Python raises ZeroDivisionError for 5 // 0 and 5 % 0, and PyTorch for integer tensors
    # (its RuntimeError says "ZeroDivisionError"); NumPy's silent 0 would pass for a value
    ints = cr.tensor(np.array([5, -5, 0]))
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        call(ints)


def test_integer_division_without_a_zero_divisor_is_numpys():
    ints = np.array([5, -5, 7])
    np.testing.assert_array_equal((cr.tensor(ints) // np.array([2, 3, -2])).data, [2, -2, -4])
    np.testing.assert_array_equal((cr.tensor(ints) % np.array([2, 3, -2])).data, [1, 1, -1])


# ----- gradients ----------------------------------------------------------------------------
def test_remainder_gradients_are_one_and_minus_the_floor_quotient():
    rng = np.random.default_rng(14)
    xa, ya = away_from_jumps(rng, (4, 5))
    x = cr.tensor(xa, requires_grad=True)
    y = cr.tensor(ya, requires_grad=True)
    w = rng.standard_normal((4, 5))
    (x % y).backward(w)
    np.testing.assert_array_equal(x.grad, w)
    np.testing.assert_allclose(y.grad, -np.floor(xa / ya) * w, rtol=1e-15)
    assert cr.gradcheck(lambda a, b: a % b, [xa, ya])
    assert cr.gradcheck(lambda a, b: cr.remainder(a, b), [xa[:, :1], ya])  # broadcast


def test_floor_divide_has_a_zero_gradient_even_for_an_inf_upstream():
    rng = np.random.default_rng(15)
    xa, ya = away_from_jumps(rng, (3, 4))
    x = cr.tensor(xa, requires_grad=True)
    y = cr.tensor(ya[:1], requires_grad=True)  # broadcast over the rows
    out = x // y
    assert out.requires_grad
    upstream = np.full((3, 4), np.inf)
    upstream[0, 0] = np.nan
    out.backward(upstream)
    assert np.array_equal(x.grad, np.zeros((3, 4)))
    assert not np.signbit(x.grad).any()
    assert np.array_equal(y.grad, np.zeros((1, 4)))
    assert cr.gradcheck(lambda a, b: a // b, [xa, ya])  # the finite differences are 0 too


def test_second_derivatives_through_remainder():
    # f = Σ (x·y mod y): ∂f/∂y = x − ⌊x⌋ (the ⌊⌋ contributing 0), ∂²f/∂x∂y = 1
    x = cr.tensor([5.5, -3.2, 7.25], dtype="float64", requires_grad=True)
    y = cr.tensor([2.0, 1.5, -2.5], dtype="float64", requires_grad=True)
    ((x * y) % y).sum().backward(create_graph=True)
    np.testing.assert_allclose(y.grad.data, x.data - np.floor(x.data), rtol=1e-14)
    gy = y.grad
    x.grad = y.grad = None
    gy.sum().backward()
    np.testing.assert_allclose(x.grad, np.ones(3), rtol=1e-14)
    np.testing.assert_array_equal(y.grad, np.zeros(3))


def test_the_in_place_forms_rebind_and_update_a_parameter_under_no_grad():
    p = cr.tensor([5.5, -3.25], requires_grad=True)
    name = p
    p //= 2
    assert p is not name
    assert p.requires_grad
    assert list(p.data) == [2.0, -2.0]
    q = cr.tensor([5.5, -3.25], requires_grad=True)
    with cr.no_grad():
        same = q
        q %= 2
    assert q is same
    assert list(q.data) == [1.5, 0.75]
    assert q._node is None


def test_explain_shows_both_rules():
    x = cr.tensor([5.5, -3.2], requires_grad=True, name="x")
    table = cr.explain((x % 2.0 + x // 3.0).sum()).table()
    assert "remainder: ∂(x mod y)/∂x = 1, ∂(x mod y)/∂y = −⌊x/y⌋" in table
    assert "floor_divide: ∂⌊x/y⌋/∂x = 0, ∂⌊x/y⌋/∂y = 0" in table
    assert "✗" not in table.split("✗ = mismatch)", 1)[1]  # every edge checked, none wrong
    assert table.count("✓") == 1 + 5  # the legend's and each of the five edges to a tensor


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradients_agree_with_torch_autograd(dtype):
    rng = np.random.default_rng(16)
    xa, ya = away_from_jumps(rng, (3, 4))
    xa, ya = xa.astype(dtype), ya.astype(dtype)
    w = rng.standard_normal((3, 4)).astype(dtype)
    x, y = cr.tensor(xa, requires_grad=True), cr.tensor(ya, requires_grad=True)
    xt, yt = torch.tensor(xa, requires_grad=True), torch.tensor(ya, requires_grad=True)
    (x % y).backward(w)
    (xt % yt).backward(torch.tensor(w))
    np.testing.assert_array_equal((x % y).data, (xt % yt).detach().numpy())
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.grad, yt.grad.numpy(), rtol=1e-6)
    # floor division: PyTorch's div with rounding_mode="floor" gives 0 (its floor_divide,
    # the `//` operator, has no backward at all)
    xt.grad = yt.grad = None
    torch.div(xt, yt, rounding_mode="floor").backward(torch.tensor(w))
    np.testing.assert_array_equal(xt.grad.numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal((x // y).data, (xt // yt).detach().numpy())
    with pytest.raises(RuntimeError, match="not implemented"):
        (xt // yt).sum().backward()


# ----- text in a list -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "where", "kind"),
    [
        ([1.0, "2"], "[1]", "str"),
        ((1, 2, b"3"), "[2]", "bytes"),
        ([[1.0, 2.0], [3.0, "4"]], "[1][1]", "str"),
        ([1.0, np.str_("2")], "[1]", "str_"),
        ([[1.0], "ab"], "[1]", "str"),  # uneven, but the text is what is named
    ],
)
def test_text_anywhere_in_a_list_is_refused_by_position(data, where, kind):
    with pytest.raises(TypeError, match=rf"got text .* at index {re.escape(where)}.*\({kind}\)"):
        cr.tensor(data)
    with pytest.raises(TypeError, match="a tensor holds numbers, got text"):
        cr.Tensor(data, dtype="float64")


def test_text_in_a_list_operand_is_refused_too():
    with pytest.raises(TypeError, match=r"got text '2' at index \[1\]"):
        cr.tensor([1.0, 2.0]) + [1.0, "2"]  # noqa: RUF005 (a Tensor plus a list)


def test_lists_of_numbers_convert_as_before():
    assert cr.tensor([1.0, 2]).dtype == "float32"
    np.testing.assert_array_equal(cr.tensor([0.1, 2**70]).data, np.array([0.1, 2**70], "f4"))
    assert quiet(cr.tensor, [1e300]).data[0] == np.inf  # beyond float32: inf, no warning
    assert cr.tensor([[True, 2]], dtype="float64").data.tolist() == [[1.0, 2.0]]
    assert cr.tensor([1, 2], dtype="int32").dtype == "int32"
    with pytest.raises(OverflowError):  # NumPy's own check, not a wrapped-around 255
        cr.tensor([-1], dtype="uint8")
    with pytest.raises(TypeError, match="None"):
        cr.tensor([1.0, None])


# ----- == with what is not a number ---------------------------------------------------------
def test_equality_with_an_object_is_pythons_fallback():
    t = cr.tensor([1.0, 2.0])
    other = object()
    assert (t == other) is False
    assert (other == t) is False
    assert (t != other) is True
    assert (other != t) is True
    assert t.__eq__(other) is NotImplemented
    assert t not in [None, "auto", other]
    assert [None, t].index(t) == 1  # identity, through the fallback
    # numbers, arrays, lists and tensors still compare elementwise
    assert (t == 1.0).data.tolist() == [True, False]
    assert (t == np.array([1.0, 3.0])).data.tolist() == [True, False]
    assert (t != [1, 2]).data.tolist() == [False, False]
    assert (t == cr.tensor([2.0, 2.0])).data.tolist() == [False, True]


@needs_torch
def test_equality_with_an_object_is_what_pytorch_gives():
    other = object()
    assert (cr.tensor([1.0]) == other) is (torch.tensor([1.0]) == other)
    assert (cr.tensor([1.0]) != other) is (torch.tensor([1.0]) != other)
