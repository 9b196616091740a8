"""nn.LogSoftmax: PyTorch's layer, the log_softmax op along its axis."""

import numpy as np
import pytest

import chainrule as cr

X = np.random.default_rng(0).standard_normal((3, 4, 2))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_values_and_gradient_are_log_softmax_worked_in_numpy(axis):
    x = cr.tensor(X, dtype="float64", requires_grad=True)
    y = cr.nn.LogSoftmax(dim=axis)(x)
    z = X - X.max(axis, keepdims=True)
    expected = z - np.log(np.exp(z).sum(axis, keepdims=True))
    np.testing.assert_allclose(y.data, expected, rtol=1e-13, atol=1e-15)
    g = np.random.default_rng(1).standard_normal(X.shape)
    y.backward(g)
    # d/dx of log softmax: g − softmax · Σ g along the axis
    softmax = np.exp(expected)
    np.testing.assert_allclose(x.grad, g - softmax * g.sum(axis, keepdims=True), rtol=1e-12)


def test_it_stays_finite_for_large_logits_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[1e4, 0.0, -1e4], [3.0, 2.0, 1.0]])
    ours = cr.nn.LogSoftmax(dim=1)(x).data
    theirs = torch.nn.LogSoftmax(dim=1)(torch.tensor(x)).numpy()
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    assert repr(cr.nn.LogSoftmax(dim=1)) == "LogSoftmax(axis=1)"


def test_no_axis_is_refused_by_its_own_name():
    with pytest.raises(ValueError, match=r"^LogSoftmax: axis must be an integer, got None"):
        cr.nn.LogSoftmax(None)
