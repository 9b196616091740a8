"""Edge cases of the layers and losses: integer inputs, inputs given as lists, and the
arguments a layer checks when it is made. Expected values are computed by hand or with
NumPy formulas."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional


# ----- an integer prediction never truncates a float target ---------------------------------
def test_mse_of_an_integer_prediction_keeps_the_float_target():
    # ((1 − 0.5)² + (2 − 0)²) / 2 = 2.125; casting the target to int64 gave 2.5
    loss = F.mse_loss(np.array([1, 2]), np.array([0.5, 0.0]))
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss.data, 2.125, rtol=1e-15)


def test_mse_of_an_integer_prediction_takes_the_targets_float32():
    loss = nn.MSELoss(reduction="none")(np.array([1, 2]), np.array([0.5, 0.25], np.float32))
    assert loss.dtype == np.float32
    np.testing.assert_array_equal(loss.data, np.array([0.25, 3.0625], np.float32))


def test_bce_of_integer_logits_keeps_the_float_target():
    # max(x, 0) − x·t + log(1 + e^−|x|) at x = ±1 with t = 0.3, 0.7
    x, t = np.array([1, -1]), np.array([0.3, 0.7])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    expected = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(loss.data, expected, rtol=1e-15)


def test_cross_entropy_of_integer_logits_with_probability_targets():
    # −Σ t·log softmax(x) for x = (1, 2, 3); this raised a casting error inside the node
    x, t = np.array([[1, 2, 3]]), np.array([[0.2, 0.3, 0.5]])
    log_p = x - np.log(np.exp(x).sum())
    loss = F.cross_entropy(x, t)
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss.data, -(t * log_p).sum(), rtol=1e-15)


def test_integer_logits_with_integer_labels_compute_in_float64():
    x = np.array([[1, 2, 3], [0, 0, 0]])
    loss = F.cross_entropy(x, np.array([2, 0], np.uint8), reduction="none")
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss.data, np.log(np.exp(x).sum(axis=1)) - [3, 0], rtol=1e-15)


# ----- layers given integers or lists -------------------------------------------------------
def test_dropout_of_an_integer_input_scales_in_float64():
    x = np.arange(1, 41).reshape(4, 10)
    y = F.dropout(x, 0.5, generator=np.random.default_rng(0))
    keep = np.random.default_rng(0).random(x.shape) >= 0.5  # the same draws, in float64
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, np.where(keep, x * 2.0, 0.0))


def test_dropout_of_an_integer_input_is_the_identity_in_eval_mode():
    x = np.arange(6)
    assert nn.Dropout(0.5).eval()(x).dtype == x.dtype


@pytest.mark.parametrize("generator", [5, np.random.RandomState(0), "rng"])
def test_dropout_refuses_a_generator_that_is_not_one_by_name(generator):
    # a seed or a RandomState was taken, and failed only at the first training call with
    # "'int' object has no attribute 'random'"
    with pytest.raises(TypeError, match=r"Dropout: generator must be a numpy\.random\.Generator"):
        nn.Dropout(0.5, generator=generator)
    with pytest.raises(TypeError, match="dropout: generator must be"):
        F.dropout(np.ones(3), 0.5, training=False, generator=generator)


def test_batchnorm_of_an_integer_input_takes_the_layers_dtype_in_both_modes():
    # (x − μ) / √(σ² + eps) per column, μ = 2, σ² = 8/3 (biased) for the column (0, 2, 4)
    x = np.array([[0, 1], [2, 1], [4, 4]])
    layer = nn.BatchNorm1d(2, dtype=np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data[:, 0], np.array([-2, 0, 2]) / np.sqrt(8 / 3 + 1e-5), 1e-6)
    assert layer.eval()(x).dtype == np.float32


def test_flatten_accepts_a_nested_list():
    y = nn.Flatten()([[[1.0, 2.0], [3.0, 4.0]]])
    assert y.shape == (1, 4)
    np.testing.assert_array_equal(y.data, [[1, 2, 3, 4]])


# ----- arguments checked when the layer is made ----------------------------------------------
@pytest.mark.parametrize("slope", [float("inf"), -float("inf"), float("nan")])
def test_leaky_relu_refuses_a_slope_that_is_not_finite(slope):
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope must be a finite number"):
        nn.LeakyReLU(slope)


@pytest.mark.parametrize("axis", [1.0, True, None, "1"])
def test_softmax_refuses_an_axis_that_is_not_an_integer(axis):
    with pytest.raises(ValueError, match="Softmax: axis must be an integer"):
        nn.Softmax(axis)


def test_softmax_takes_a_numpy_integer_axis():
    x = np.array([[0.0, np.log(3.0)], [0.0, 0.0]])
    y = nn.Softmax(np.int64(1))(x)
    np.testing.assert_allclose(y.data, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-15)


# ----- error messages -----------------------------------------------------------------------
def test_mse_shape_error_suggests_the_predictions_shape_for_the_target():
    # a (3,) prediction against a (3, 1) target: the hint was target.reshape(-1, 1), the
    # shape the target already had
    with pytest.raises(ValueError, match=r"reshape the target: target\.reshape\(3,\)\)$"):
        F.mse_loss(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"target\.reshape\(-1, 1\)\)$"):  # any number of rows
        F.mse_loss(np.ones((3, 1)), np.ones(3))


def test_mse_shape_error_gives_no_reshape_hint_when_the_sizes_differ():
    with pytest.raises(ValueError, match=r"they must match, nothing is broadcast$"):
        nn.MSELoss()(np.ones((4, 1)), np.ones(3))


# ----- the fused losses' gradients are their formulas, to the last bit ----------------------
def _softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [3, 5, 7])
def test_cross_entropy_gradient_is_exactly_softmax_minus_target_over_n(dtype, n):
    # dL/dx = (softmax(x) − t) / N with dL = 1: computed as (p − t)·(1/N) it was off by an
    # ulp for N that are not powers of 2
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((n, 4)) * 30).astype(dtype)
    labels = rng.integers(0, 4, n)
    onehot = np.eye(4, dtype=dtype)[labels]
    expected = (_softmax_rows(x) - onehot) / dtype(n)
    for target in (labels, onehot):
        logits = cr.tensor(x, requires_grad=True)
        F.cross_entropy(logits, target).backward()
        np.testing.assert_array_equal(logits.grad, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_gradient_is_exactly_sigmoid_minus_target_over_n(dtype):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3, 5)) * 4).astype(dtype)
    t = rng.random((3, 5)).astype(dtype)
    e = np.exp(-np.abs(x))
    sigma = np.where(x >= 0, 1, e) / (1 + e)  # σ(x), without overflow for either sign
    logits = cr.tensor(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(logits, t).backward()
    np.testing.assert_array_equal(logits.grad, (sigma - t) / dtype(15))


@pytest.mark.parametrize("dtype", ["int32", bool, "complex128"])
@pytest.mark.parametrize(("layer", "sizes"), [(nn.Linear, (2, 3)), (nn.BatchNorm1d, (3,))])
def test_a_layer_of_a_dtype_that_is_not_floating_is_refused_by_name(layer, sizes, dtype):
    # the error came from deep inside Parameter, naming neither the layer nor its argument
    with pytest.raises(TypeError, match=rf"^{layer.__name__}: dtype must be a floating dtype"):
        layer(*sizes, dtype=dtype)


@pytest.mark.parametrize("target", [np.zeros(2, np.int64), np.zeros((2, 0))])
def test_cross_entropy_of_logits_with_no_classes_says_so(target):
    # class labels said "labels must be in 0..-1" (PyTorch: "Target 0 is out of bounds")
    with pytest.raises(ValueError, match=r"logits of shape \(2, 0\) have no classes"):
        F.cross_entropy(cr.tensor(np.zeros((2, 0))), target)
