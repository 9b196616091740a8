"""Edge cases of the layers and losses: integer inputs, inputs given as lists, and the
arguments a layer checks when it is made. Expected values are computed by hand or with
NumPy formulas."""

import numpy as np

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
