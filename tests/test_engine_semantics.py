"""The backward pass's rules as PyTorch users know them: grad mode while backward runs, and
a leaf frozen after the forward. Expected values are worked out by hand in the comments."""

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
