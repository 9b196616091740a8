"""An integer or bool operand with a floating one takes the floating dtype, as in PyTorch.

NumPy would compute float32 with int64 in float64; PyTorch keeps float32. The expected
values are NumPy's float64 results, rounded to float32; the gradients are the float64
derivatives worked out by hand for each op.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

X = np.array([[1.5, -2.0, 0.25]], dtype=np.float32)
K = np.array([[2, 0], [1, 3], [-1, 1]], dtype=np.int64)  # an int64 (3, 2) matrix
V = np.array([[3, 1, -2]], dtype=np.int64)  # an int64 row like X

# name: (op, the float64 value computed by NumPy, d(sum of the output)/dX)
CASES = {
    "x * int": (lambda x, k, v: x * v, X * V, V.astype(float)),
    "int - x": (lambda x, k, v: v - x, V - X, -np.ones((1, 3))),
    "x / int": (lambda x, k, v: x / v, X / V, 1 / V),
    "x ** int": (lambda x, k, v: x**v, X.astype(float) ** V, V * X.astype(float) ** (V - 1)),
    "maximum": (lambda x, k, v: cr.maximum(x, v), np.maximum(X, V), (X > V).astype(float)),
    "x @ int": (lambda x, k, v: x @ k, X @ K, np.ones((1, 2)) @ K.T),
    "int @ xᵀ": (lambda x, k, v: v @ x.T, V @ X.T, V.astype(float)),
    "concatenate": (
        lambda x, k, v: cr.concatenate([x, v], axis=0),
        np.concatenate([X, V]),
        np.ones((1, 3)),
    ),
    "stack": (lambda x, k, v: cr.stack([x, v]), np.stack([X, V]), np.ones((1, 3))),
    "linear": (
        lambda x, k, v: cr.nn.functional.linear(v, cr.tensor(K, dtype="float32")) + x.sum(),
        V @ K + X.sum(),
        np.full((1, 3), 2.0),
    ),
}


@pytest.mark.parametrize("as_tensor", [True, False], ids=["int Tensor", "int array"])
@pytest.mark.parametrize("name", CASES)
def test_an_integer_operand_takes_the_float_dtype(name, as_tensor):
    op, expected, grad = CASES[name]
    x = cr.tensor(X, requires_grad=True)
    k, v = (cr.tensor(K), cr.tensor(V)) if as_tensor else (K, V)  # an array on the left
    y = op(x, k, v)  # of an operator, NumPy hands the op to the Tensor
    assert y.dtype == np.float32, f"{name}: {y.dtype}"
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, grad, rtol=1e-6)


def test_a_bool_mask_multiplies_in_float32():
    x = cr.tensor(X, requires_grad=True)
    mask = cr.tensor(np.array([[True, False, True]]))
    y = x * mask
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [[1.5, 0.0, 0.25]])


def test_clip_with_integer_array_bounds_stays_float32():
    x = cr.tensor(X, requires_grad=True)
    y = x.clip(np.array([0, -1, 0]), cr.tensor(np.array([1, 1, 1])))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [[1.0, -1.0, 0.25]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "bound",
    [1.5, np.float64(1.5), np.array([1.5, 1.5, 1.5], np.float32), cr.tensor(1.5)],
    ids=["python float", "numpy scalar", "float32 array", "0-d tensor"],
)
def test_an_integer_tensor_clipped_by_a_float_bound_takes_the_float_dtype(bound):
    # as cr.maximum(v, bound) does: a Python float's dtype is the default, float32
    v = cr.tensor(np.array([0, 2, 5]))
    y = v.clip(bound, 3)
    assert y.dtype == cr.maximum(v, bound).dtype == np.float32
    np.testing.assert_array_equal(y.data, [1.5, 2.0, 3.0])


def test_the_integer_tensor_keeps_its_name_in_the_graph():
    x = cr.tensor(X, requires_grad=True, name="x")
    v = cr.tensor(V, name="v")
    y = x * v
    assert [t.name for t in y._node.inputs] == ["x", "v"]
    assert v.dtype == np.int64  # the caller's tensor is not converted


def test_two_floating_dtypes_keep_numpys_promotion():
    x32 = cr.tensor(X)
    x64 = cr.tensor(X, dtype="float64")
    assert (x32 * x64).dtype == np.float64
    assert (x32 @ cr.tensor(K, dtype="float64")).dtype == np.float64


def test_two_integer_tensors_stay_integer():
    assert (cr.tensor(V) * cr.tensor(V)).dtype == np.int64
    assert (cr.tensor(V) @ cr.tensor(K)).dtype == np.int64


def test_float64_with_int_stays_float64_and_matches_finite_differences():
    k = cr.tensor(K)
    x = cr.tensor(X.astype(np.float64), requires_grad=True)
    assert (x @ k).dtype == np.float64
    assert cr.gradcheck(lambda x: ((x @ k) ** 2).sum(), [x])


def test_cross_entropy_labels_stay_integers():
    logits = cr.tensor(np.array([[2.0, 1.0, 0.1]], dtype=np.float32), requires_grad=True)
    loss = cr.nn.functional.cross_entropy(logits, cr.tensor(np.array([0])))
    expected = -np.log(np.exp(2.0) / np.exp([2.0, 1.0, 0.1]).sum())
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-6)


def test_an_integer_tensor_with_a_float_array_takes_the_arrays_dtype():
    # the same rule with the roles swapped: the float side is an array
    i = cr.tensor(np.array([1, 2]))
    f = np.array([0.5, 0.25], np.float32)
    for result, expected in ((i + f, [1.5, 2.25]), (f + i, [1.5, 2.25]), (i * f, [0.5, 0.5])):
        assert result.dtype == np.float32
        np.testing.assert_array_equal(result.data, expected)
    assert (i @ np.ones((2, 2), np.float32)).dtype == np.float32
    assert (i + np.array([1, 1])).dtype == np.int64  # integers with integers stay integers


# ----- float16 means over more elements than float16 can count ------------------------------
BIG = 70_000  # above float16's largest finite value, 65,504
STEP = 2.0**-24  # the spacing of float16's subnormal numbers, where these gradients lie


def test_a_float16_mean_over_more_than_65504_elements_has_a_gradient():
    # d(mean x)/dxᵢ = 1/n = 1.43e-5, a float16 subnormal; dividing by n in float16 gave 0
    x = cr.tensor(np.zeros(BIG, np.float16), requires_grad=True)
    x.mean().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.astype(np.float64), 1 / BIG, rtol=0, atol=STEP)


def test_float16_losses_over_more_than_65504_values_have_their_gradients():
    # BCE: (σ(0) − 1)/n = −0.5/n; cross-entropy on zero logits: (1/C − [label])/N
    x = cr.tensor(np.zeros((700, 100), np.float16), requires_grad=True)
    cr.nn.BCEWithLogitsLoss()(x, np.ones((700, 100))).backward()
    np.testing.assert_allclose(x.grad.astype(np.float64), -0.5 / BIG, rtol=0, atol=STEP)
    logits = cr.tensor(np.zeros((BIG, 2), np.float16), requires_grad=True)
    cr.nn.SoftmaxCrossEntropy()(logits, np.zeros(BIG, np.int64)).backward()
    expected = np.array([-0.5, 0.5]) / BIG
    np.testing.assert_allclose(logits.grad[:3].astype(np.float64), [expected] * 3, atol=STEP)
    assert np.abs(logits.grad).min() > 0
