"""The backward pass's rules as PyTorch users know them: grad mode while backward runs, a
leaf frozen after the forward, and `cr.grad` of a function that closes over a tensor that
requires gradients. Expected values are worked out by hand in the comments."""

import numpy as np

import chainrule as cr


def leaf(v):
    return cr.tensor(v, dtype="float64", requires_grad=True)


class _Doubled(cr.Function):
    """d/dx 2x = 2; records the grad mode its backward runs in."""

    modes: list

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        self.modes.append(cr.is_grad_enabled())
        return 2 * grad_out


def test_hooks_and_user_backward_run_with_grad_mode_set_to_create_graph():
    # as in PyTorch: grad mode is off during a plain backward (a tensor computed in a hook
    # records no graph), on during backward(create_graph=True), whatever the caller's mode
    w = leaf([5.0, 6.0])
    seen, made = [], []

    def hook(g):
        seen.append(cr.is_grad_enabled())
        made.append(w * 2)

    def doubled_sum():
        y = _Doubled()(leaf([1.0, 2.0]) * 3)
        y.register_hook(hook)
        return y.sum()

    _Doubled.modes = []
    doubled_sum().backward()  # called with grad mode on
    s = doubled_sum()
    with cr.no_grad():
        s.backward(create_graph=True)
    assert seen == [False, True]
    assert _Doubled.modes == [False, True]
    assert made[0].grad_fn is None
    assert made[1].grad_fn is not None
    assert cr.is_grad_enabled()


def test_a_gradient_tensor_the_user_assigned_gets_no_graph_from_a_plain_backward():
    # x.grad holds a tensor that requires gradients; a plain backward adds 3 to it
    # without recording that addition
    x = leaf([1.0, 2.0])
    x.grad = leaf([1.0, 1.0])
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    assert x.grad.grad_fn is None


def test_a_leaf_frozen_after_the_forward_gets_no_gradient():
    # PyTorch accumulates only into leaves that still require gradients: w was frozen
    # between the forward and backward; x still gets ∂Σxw/∂x = w = [3, 4]
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = (x * w).sum()
    w.requires_grad_(False)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert w.grad is None


def test_grad_of_a_function_closing_over_a_weight_stays_differentiable_in_it():
    # f(x) = w·x², w = 3 closed over. g = f'(2) = 2wx = 12, and ∂g/∂w = 2x = 4 (a gradient
    # penalty: the gradient in the input is differentiated in the weight)
    w = leaf(3.0)
    g = cr.grad(lambda x: w * x * x)(2.0)
    assert g.item() == 12.0
    g.backward()
    assert w.grad.item() == 4.0
    # value_and_grad: the value w·x² = 12 also stays differentiable, ∂/∂w = x² = 4
    w.grad = None
    value, g = cr.value_and_grad(lambda x: w * x * x)(2.0)
    (value + g).backward()
    assert value.item() == 12.0
    assert w.grad.item() == 8.0


def test_a_gradient_penalty_on_a_linear_layer_matches_finite_differences():
    # p(W) = Σ_j (∂/∂x_j Σ tanh(x W))²: its gradient in W, by central differences
    x = np.array([[0.3, -0.7]])
    w0 = np.array([[0.5, -1.2, 0.1], [0.4, 0.9, -0.3]])

    def penalty(w):
        g = cr.grad(lambda t: (t @ w).tanh().sum())(x)
        return (g * g).sum()

    w = leaf(w0)
    penalty(w).backward()
    eps, numeric = 1e-6, np.zeros_like(w0)
    for i in np.ndindex(w0.shape):
        up, down = w0.copy(), w0.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (penalty(leaf(up)).item() - penalty(leaf(down)).item()) / (2 * eps)
    np.testing.assert_allclose(w.grad, numeric, rtol=1e-6, atol=1e-9)


def test_value_and_grad_of_plain_arguments_gives_a_plain_value():
    # nothing outside f requires gradients: the value's graph was released by the
    # transform, so it comes back detached (as JAX gives a plain value), not as a tensor
    # whose backward would fail
    value, g = cr.value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert value.item() == 5.0
    assert not value.requires_grad
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
