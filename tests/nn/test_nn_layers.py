"""Layers: every one gradient-checked in float64, Linear against the hand formulas, and the
train/eval behaviour of Dropout and BatchNorm1d."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


def _with_params(module, names):
    """f(x, *params) that runs ``module`` with its parameters replaced by gradcheck's inputs."""

    def f(x, *params):
        for name, p in zip(names, params):
            setattr(module, name, p)
        return module(x)

    return f


# ----- gradient checks --------------------------------------------------------------------
ACTIVATIONS = [
    nn.ReLU(),
    nn.Sigmoid(),
    nn.Tanh(),
    nn.LeakyReLU(0.1),
    nn.Softmax(),
    nn.Softmax(axis=0),
    nn.Flatten(),
]


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=repr)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2)])
def test_activation_gradcheck_with_second_order(layer, shape):
    x = _rng().standard_normal(shape)
    assert cr.gradcheck(layer, [x], check_second_order=True)


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck_with_second_order(x_shape, bias):
    layer = nn.Linear(4, 3, bias=bias, dtype="float64")
    names = ["weight", "bias"] if bias else ["weight"]
    inputs = [_rng().standard_normal(x_shape)] + [getattr(layer, n).data for n in names]
    f = _with_params(layer, names)
    assert cr.gradcheck(lambda *a: f(*a).tanh(), inputs, check_second_order=True)


def test_batchnorm_gradcheck_in_training_mode():
    bn = nn.BatchNorm1d(3, dtype="float64")
    x = _rng().standard_normal((5, 3))
    w, b = _rng(1).standard_normal(3), _rng(2).standard_normal(3)
    assert cr.gradcheck(_with_params(bn, ["weight", "bias"]), [x, w, b])
    assert cr.gradcheck(bn, [x], check_second_order=True)


def test_batchnorm_gradcheck_in_eval_mode():
    bn = nn.BatchNorm1d(3, dtype="float64").eval()
    bn.running_mean[:] = [0.5, -1.0, 2.0]
    bn.running_var[:] = [0.25, 4.0, 1.5]
    x = _rng().standard_normal((4, 3))
    w, b = _rng(1).standard_normal(3), _rng(2).standard_normal(3)
    assert cr.gradcheck(_with_params(bn, ["weight", "bias"]), [x, w, b])


def test_dropout_gradcheck_with_a_fixed_mask():
    x = _rng().standard_normal((6, 5))
    f = lambda x: F.dropout(x, 0.3, generator=np.random.default_rng(7))  # noqa: E731
    assert cr.gradcheck(f, [x], check_second_order=True)


# ----- Linear ---------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_backward_equals_the_hand_formulas(x_shape):
    rng = _rng()
    x_np, w_np, b_np = rng.standard_normal(x_shape), rng.standard_normal((4, 3)), rng.random(3)
    x = cr.tensor(x_np, requires_grad=True)
    w = cr.tensor(w_np, requires_grad=True)
    b = cr.tensor(b_np, requires_grad=True)
    out = F.linear(x, w, b)
    np.testing.assert_allclose(out.data, x_np @ w_np + b_np, rtol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    x2, g2 = x_np.reshape(-1, 4), g.reshape(-1, 3)  # (N, in), (N, out) over all batch axes
    np.testing.assert_allclose(x.grad, g @ w_np.T, rtol=1e-12, atol=1e-14)  # dX = dY·Wᵀ
    np.testing.assert_allclose(w.grad, x2.T @ g2, rtol=1e-12, atol=1e-14)  # dW = Xᵀ·dY
    np.testing.assert_allclose(b.grad, g2.sum(axis=0), rtol=1e-12, atol=1e-14)  # db = Σ dY


def test_linear_is_one_node_that_skips_dx_for_a_constant_input():
    layer = nn.Linear(4, 3)
    out = layer(np.ones((2, 4), np.float32))
    node = out.grad_fn
    assert type(node).__name__ == "Affine"
    assert node.inputs[1] is layer.weight
    assert node.inputs[2] is layer.bias
    grad_x, grad_w, grad_b = node.backward(np.ones((2, 3), np.float32))
    assert grad_x is None
    assert grad_w.shape == (4, 3)
    assert grad_b.shape == (3,)


def test_linear_float32_in_float32_out():
    layer = nn.Linear(4, 3)
    x = cr.tensor(np.ones((2, 4), np.float32), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32


def test_linear_shapes_and_errors():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (4, 3)
    assert layer.bias.shape == (3,)
    assert nn.Linear(4, 3, bias=False).bias is None
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        nn.Linear(4, 3, init="glorot")


def test_linear_create_graph_gives_the_hessian_of_the_weights():
    # L = Σ (x·W)² has ∂L/∂W = 2·xᵀx·W, so the gradient of Σ ∂L/∂W is 2·xᵀx·1
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    w = cr.tensor(np.ones((2, 1)), requires_grad=True)
    (gw,) = cr.grad(lambda w: (F.linear(x, w) ** 2).sum(), argnums=(0,))(w)
    gw.sum().backward()
    np.testing.assert_allclose(w.grad, 2 * x.T @ x @ np.ones((2, 1)))


# ----- Dropout ----------------------------------------------------------------------------
def test_dropout_train_scales_kept_values_and_eval_is_identity():
    layer = nn.Dropout(0.25, generator=np.random.default_rng(0))
    x = cr.tensor(np.ones((200, 50), np.float32), requires_grad=True)
    out = layer(x)
    kept = out.data != 0
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)  # d/dx = mask / (1 − p)
    assert layer.eval()(x) is x


def test_dropout_edges_and_reproducibility():
    x = cr.tensor(np.ones((3, 4)))
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).data, 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(1.5)
    cr.manual_seed(3)
    a = nn.Dropout(0.5)(x).data
    cr.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, a)


# ----- BatchNorm1d ------------------------------------------------------------------------
def test_batchnorm_training_normalises_and_updates_running_stats():
    bn = nn.BatchNorm1d(3, momentum=0.1, dtype="float64")
    x = _rng().standard_normal((8, 3)) * [1.0, 2.0, 3.0] + [0.0, 1.0, -2.0]
    out = bn(x).data
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-12)


def test_batchnorm_eval_uses_running_stats():
    bn = nn.BatchNorm1d(2, dtype="float64")
    bn.running_mean[:] = [1.0, -1.0]
    bn.running_var[:] = [4.0, 0.25]
    bn.weight.data[:] = [2.0, 1.0]
    bn.bias.data[:] = [0.5, 0.0]
    x = np.array([[3.0, 0.0], [1.0, -1.0]])
    expected = (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0]
    np.testing.assert_allclose(bn.eval()(x).data, expected, rtol=1e-12)
    assert not np.allclose(bn.train()(x).data, expected)


def test_batchnorm_float32_and_errors():
    bn = nn.BatchNorm1d(3)
    assert bn(np.ones((4, 3), np.float32)).dtype == np.float32
    assert bn.running_mean.dtype == np.float32
    with pytest.raises(ValueError, match=r"\(N, 3\) or \(N, 3, L\), got \(4, 2\)"):
        bn(np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 3, L\), got \(4, 3, 2, 1\)"):
        bn(np.ones((4, 3, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"^BatchNorm1d\(3\) .*more than one value.*\(1, 3\)"):
        bn(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"more than one value per channel.*\(1, 3, 1\)"):
        bn(np.ones((1, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"^BatchNorm1d\(3\) .*\(0, 3\)"):
        bn(np.ones((0, 3), np.float32))
    assert bn.eval()(np.ones((1, 3), np.float32)).shape == (1, 3)


def test_batchnorm_of_sequences_normalises_each_channel_over_batch_and_length():
    # (N, C, L), as PyTorch's BatchNorm1d: the statistics of channel c are those of
    # x[:, c, :], worked here channel by channel on the flattened values
    bn = nn.BatchNorm1d(3, momentum=0.1, dtype="float64")
    bn.weight.data[:] = [2.0, 1.0, 0.5]
    bn.bias.data[:] = [0.0, 1.0, -1.0]
    x = _rng(1).standard_normal((4, 3, 5)) * [[1.0], [2.0], [3.0]] + [[0.0], [1.0], [-2.0]]
    out = bn(x).data
    for c in range(3):
        v = x[:, c, :].reshape(-1)  # 20 values
        expected = (x[:, c, :] - v.mean()) / np.sqrt(v.var() + 1e-5) * bn.weight.data[c]
        np.testing.assert_allclose(out[:, c, :], expected + bn.bias.data[c], rtol=1e-10)
        assert bn.running_mean[c] == pytest.approx(0.1 * v.mean(), rel=1e-12)
        assert bn.running_var[c] == pytest.approx(0.9 + 0.1 * v.var(ddof=1), rel=1e-12)
    evaluated = bn.eval()(x).data
    inv_std = 1 / np.sqrt(bn.running_var + 1e-5)
    expected = (x - bn.running_mean[:, None]) * (inv_std * bn.weight.data)[:, None]
    np.testing.assert_allclose(evaluated, expected + bn.bias.data[:, None], rtol=1e-12)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm_of_sequences_matches_finite_differences(training):
    bn = nn.BatchNorm1d(2, dtype="float64")
    bn.running_mean[:], bn.running_var[:] = [0.5, -0.5], [2.0, 0.5]
    bn.train(training)
    x = cr.tensor(_rng(2).standard_normal((3, 2, 4)), requires_grad=True)
    r = cr.tensor(_rng(3).standard_normal((3, 2, 4)))
    w, b = bn.weight, bn.bias
    w.data[:] = [1.5, -0.5]

    def f(x, w, b):
        bn.weight, bn.bias = w, b
        return (bn(x) * r).sum()

    bn.momentum = 0.0  # the statistics stay put while gradcheck evaluates f many times
    assert cr.gradcheck(f, [x, w, b])


def test_leaky_relu_slope_is_used_and_checked_when_the_layer_is_made():
    out = nn.LeakyReLU(0.2)(np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(out.data, [-0.4, 0.0, 3.0])
    for slope in ["0.2", None, True]:
        with pytest.raises(ValueError, match=rf"^LeakyReLU: negative_slope .*got {slope!r}$"):
            nn.LeakyReLU(slope)


def test_flatten_keeps_the_batch_axis():
    assert nn.Flatten()(np.zeros((2, 3, 4))).shape == (2, 12)


def test_flatten_of_an_empty_batch_and_of_a_scalar():
    x = cr.tensor(np.zeros((0, 3, 4)), requires_grad=True)
    out = nn.Flatten()(x)
    assert out.shape == (0, 12)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 4)
    assert nn.Flatten()(np.zeros((5,))).shape == (5, 1)
    with pytest.raises(ValueError, match=r"Flatten: .* got shape \(\)"):
        nn.Flatten()(cr.tensor(1.0))


def test_a_whole_mlp_loss_gradcheck_with_second_order():
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(3, 4, dtype="float64"), nn.Tanh(), nn.Linear(4, 2, dtype="float64")
    )
    labels = np.array([0, 1, 1])
    f = lambda x: F.cross_entropy(model(x), labels)  # noqa: E731
    assert cr.gradcheck(f, [_rng().standard_normal((3, 3))], check_second_order=True)


@pytest.mark.parametrize(
    ("momentum", "error", "match"),
    [("0.1", TypeError, r"a number in \[0, 1\] or None \(a cumulative average\)"),
     (1.5, ValueError, r"momentum must be in \[0, 1\], got 1.5")],
)  # fmt: skip
def test_batchnorm_momentum_is_checked_when_the_layer_is_made(momentum, error, match):
    with pytest.raises(error, match=match):
        nn.BatchNorm1d(3, momentum=momentum)


@pytest.mark.parametrize("eps", [-1e-5, 0, 0.0, float("nan"), float("inf"), "1e-5", None])
def test_batchnorm_eps_is_checked_when_the_layer_is_made(eps):
    with pytest.raises(ValueError, match=r"BatchNorm1d: eps must be a finite number > 0"):
        nn.BatchNorm1d(3, eps=eps)


def test_batchnorm_momentum_may_be_a_numpy_number():
    layer = nn.BatchNorm1d(3, momentum=np.float32(0.2))
    layer(cr.tensor(np.arange(6.0).reshape(2, 3)))
    np.testing.assert_allclose(layer.running_mean, 0.2 * np.array([1.5, 2.5, 3.5]), rtol=1e-6)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None, float("nan")])
def test_dropout_names_a_probability_that_is_not_one(p):
    with pytest.raises(ValueError, match=r"dropout probability must be a number in \[0, 1\]"):
        nn.Dropout(p)


def test_a_float64_input_to_a_float32_layer_computes_in_float64():
    # NumPy's promotion, so that gradcheck (in float64) of a default-dtype model is exact;
    # fit, evaluate and predict cast the data to the model's dtype themselves
    layer = nn.Linear(3, 2)
    x = cr.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert layer(x).dtype == np.float64
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    assert cr.gradcheck(lambda x: model(x).sum(), [x.data])
