"""Elementwise ops and the Tensor operators at the edges of their promise: NumPy's dtypes
for a bool tensor with a number, leaky_relu's slope and its IEEE results, and ``**=``
updating a parameter under no_grad as the other in-place operators do."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

MASK = np.array([True, False, True])


# ----- a bool tensor with a number: NumPy's result, not float32 -----------------------------
@pytest.mark.parametrize(
    "number",
    [2, True, np.int64(2), np.uint8(2), np.bool_(True)],
    ids=["int", "bool", "np.int64", "np.uint8", "np.bool_"],
)
@pytest.mark.parametrize("op", ["+", "*", "max"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_a_bool_tensor_with_an_integer_or_bool_number_gives_numpys_result(number, op, side):
    # there is no float operand whose dtype the number could take: mask + 1 is int64 in
    # NumPy (and PyTorch), mask * True stays bool
    fn = {"+": np.add, "*": np.multiply, "max": np.maximum}[op]
    crfn = {"+": cr.ops.add, "*": cr.ops.mul, "max": cr.maximum}[op]
    operands = (cr.tensor(MASK), number) if side == "left" else (number, cr.tensor(MASK))
    expected = fn(MASK, number) if side == "left" else fn(number, MASK)
    y = crfn(*operands)
    assert y.dtype == expected.dtype
    np.testing.assert_array_equal(y.data, expected)
    assert not y.requires_grad


def test_operators_on_a_bool_tensor_with_python_numbers():
    m = cr.tensor(MASK)
    assert (m + 1).dtype == np.int64
    np.testing.assert_array_equal((1 - m).data, [0, 1, 0])
    assert (m * True).dtype == np.bool_
    np.testing.assert_array_equal((m == 1).data, MASK)
    # a Python float is still the default float dtype, as for an integer tensor
    assert (m * 0.5).dtype == np.float32


def test_a_bool_tensor_with_a_float_tensor_still_takes_the_float_dtype():
    x = cr.tensor([1.5, 2.0, 0.25], requires_grad=True)
    y = x * cr.tensor(MASK) + 1
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])


# ----- leaky_relu ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "slope", "expected"),
    [
        (-np.inf, 0.0, np.nan),  # 0 · (−inf)
        (-3e38, 10.0, -np.inf),  # beyond float32's range
        (-2.0, np.inf, -np.inf),
    ],
)
def test_leaky_relu_gives_ieee_results_without_a_warning(x, slope, expected):
    t = cr.tensor([x], requires_grad=True)
    y = cr.leaky_relu(t, slope)  # warnings are errors in the test run
    np.testing.assert_array_equal(y.data, np.array([expected], np.float32))
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, np.array([slope], np.float32))


@pytest.mark.parametrize(
    "slope",
    [None, "0.1", True, 1j, np.array([0.1, 0.2, 0.3]), cr.tensor(0.2, requires_grad=True)],
    ids=["None", "str", "bool", "complex", "array", "tensor"],
)
def test_leaky_relu_refuses_a_slope_that_is_not_a_real_number(slope):
    # None made NaN, an array broadcast x to another shape, a tensor got no gradient
    x = cr.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"^leaky_relu: negative_slope must be a number"):
        cr.leaky_relu(x, slope)
    with pytest.raises(ValueError, match=r"^leaky_relu: negative_slope must be a number"):
        x.leaky_relu(slope)


@pytest.mark.parametrize("slope", [0.2, 2, np.float64(0.2), np.float32(0.25), np.int64(-1)])
def test_leaky_relu_takes_python_and_numpy_numbers(slope):
    x = cr.tensor([-2.0, 0.0, 3.0], dtype="float64", requires_grad=True)
    y = cr.leaky_relu(x, slope)
    np.testing.assert_allclose(y.data, [-2.0 * float(slope), 0.0, 3.0], rtol=1e-15)
    assert cr.gradcheck(
        lambda x: cr.leaky_relu(x, slope).sum(), [cr.tensor([-2.0, 3.0], "float64")]
    )


# ----- **= under no_grad updates the parameter, as += does ----------------------------------
def test_power_in_place_under_no_grad_updates_the_parameter_itself():
    p = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    q = p
    with cr.no_grad():
        p **= 2
    assert p is q  # not a new tensor that needs no gradient, the parameter left unchanged
    assert p.requires_grad
    assert p.dtype == np.float32
    np.testing.assert_array_equal(q.data, [1.0, 4.0, 9.0])


def test_power_in_place_recorded_rebinds_to_a_new_node():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    saved = y
    y **= 3
    assert y is not saved
    np.testing.assert_array_equal(saved.data, [1.0, 2.0, 3.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0, 27.0])


# ----- comparisons of an integer tensor with an integer outside its dtype -------------------
INT8 = np.array([1, 100, -128], np.int8)
UINT8 = np.array([0, 200, 255], np.uint8)


@pytest.mark.parametrize("number", [1000, -1, 2**70, np.int64(1000), np.int8(-1)])
@pytest.mark.parametrize("values", [INT8, UINT8], ids=["int8", "uint8"])
@pytest.mark.parametrize("name", ["less", "greater_equal", "equal", "not_equal"])
def test_an_integer_tensor_compares_with_any_integer_by_value_as_numpy_does(name, values, number):
    # the number was converted to int8 or uint8 first: an OverflowError
    ufunc = getattr(np, name)
    t = cr.tensor(values)
    for got, expected in (
        (cr.ops.compare(ufunc, t, number), ufunc(values, number)),
        (cr.ops.compare(ufunc, number, t), ufunc(number, values)),
    ):
        assert got.dtype == np.bool_
        assert not got.requires_grad
        np.testing.assert_array_equal(got.data, expected)


def test_comparison_operators_of_an_unsigned_tensor_with_a_negative_number():
    t = cr.tensor(UINT8)
    np.testing.assert_array_equal((t > -1).data, [True, True, True])
    np.testing.assert_array_equal((t == -1).data, [False, False, False])
    np.testing.assert_array_equal((-1 < t).data, [True, True, True])
    np.testing.assert_array_equal((cr.tensor(INT8) <= 1000).data, [True, True, True])


# ----- clip's bounds given as lists ----------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("bounds", [([0, 1, 2], None), ([0.7, 1.0, 2.0], (2.5, 2.5, 2.5))])
def test_clip_bounds_given_as_lists_take_the_tensors_dtype(dtype, bounds):
    # a list of numbers is the tensor's dtype, as in maximum; clip gave float64
    values = np.array([0.5, 1.5, 3.0], dtype)
    x = cr.tensor(values, requires_grad=True)
    lo, hi = bounds
    y = x.clip(lo, hi)
    assert y.dtype == np.dtype(dtype)
    lo_values = np.array(lo, dtype)
    hi_values = np.full(3, np.inf, dtype) if hi is None else np.array(hi, dtype)
    np.testing.assert_array_equal(y.data, np.clip(values, lo_values, hi_values))
    assert cr.maximum(x, lo).dtype == y.dtype
    y.sum().backward()
    assert x.grad.dtype == np.dtype(dtype)
    inside = (values >= lo_values) & (values <= hi_values)
    np.testing.assert_array_equal(x.grad, inside.astype(dtype))


# ----- sigmoid and abs of integer and bool tensors: NumPy's results, no gradient ------------
@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.array([0, 1, 2, 100, 255], np.uint8), np.float16),
        (np.array([-128, -1, 0, 1, 127], np.int8), np.float16),
        (np.array([-3, 0, 3], np.int16), np.float32),
        (np.array([-3, 0, 3]), np.float64),
        (np.array([True, False]), np.float16),
    ],
    ids=["uint8", "int8", "int16", "int64", "bool"],
)
def test_sigmoid_of_an_integer_or_bool_tensor_is_in_the_float_dtype_of_exp(values, dtype):
    # −|x| of uint8 wrapped around (σ(1) was 0, with an overflow warning); bool raised
    y = cr.sigmoid(cr.tensor(values))
    assert y.dtype == dtype == cr.exp(cr.tensor(values)).dtype
    assert not y.requires_grad
    expected = 1.0 / (1.0 + np.exp(-values.astype(np.float64)))
    np.testing.assert_allclose(y.data, expected, rtol=1e-3, atol=1e-7)


def test_abs_of_a_bool_tensor_is_numpys():
    mask = np.array([True, False])
    y = cr.abs(cr.tensor(mask))  # np.sign has no bool loop: it raised
    assert y.dtype == np.bool_
    np.testing.assert_array_equal(y.data, np.abs(mask))
    np.testing.assert_array_equal(abs(cr.tensor(mask)).data, mask)
