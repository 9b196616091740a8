"""Review of cross_entropy's options and cr.autograd: the edge cases they missed."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def test_smoothed_labels_whose_weights_sum_to_0_get_a_nan_gradient_as_the_loss():
    # every label weighs 0: the mean is 0/0 = NaN, and PyTorch's gradient is NaN in every
    # row kept (smoothing gives those rows a nonzero target, which over 0 was ±inf here)
    logits = cr.tensor(np.array([[0.3, -1.2, 0.5], [2.0, 0.1, -0.4]]), requires_grad=True)
    labels = np.array([1, -100])
    loss = F.cross_entropy(logits, labels, weight=[1.0, 0.0, 2.0], label_smoothing=0.2)
    loss.backward()
    assert np.isnan(loss.item())
    assert np.isnan(logits.grad[0]).all()
    assert (logits.grad[1] == 0).all()  # the ignored row


@pytest.mark.parametrize("upstream", [np.ones((3, 1)), np.ones(1), np.ones(())])
def test_grad_of_several_outputs_refuses_an_upstream_gradient_of_another_shape(upstream):
    # (x·2 * g).sum() broadcast g of shape (3, 1) to (3, 3): the gradient came out 7, not 3
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(
        ValueError, match=r"upstream gradient 0 has shape .* output 0 has shape \(3,\)"
    ):
        cr.autograd.grad([x * 2, x.sum()], x, grad_outputs=[cr.tensor(upstream), None])
    with pytest.raises(ValueError, match="upstream gradient 0 has shape"):
        cr.autograd.backward([x * 2, x.sum()], [upstream, None])
    assert x.grad is None


def test_grad_of_several_outputs_with_matching_upstream_gradients():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = cr.tensor([1.0, 0.5, 2.0], requires_grad=True)
    (g,) = cr.autograd.grad([x * x, x.sum()], x, grad_outputs=[v, None], create_graph=True)
    np.testing.assert_allclose(g.data, 2 * x.data * v.data + 1)
    (dv,) = cr.autograd.grad(g.sum(), v)  # differentiable in the upstream gradient too
    np.testing.assert_allclose(dv.data, 2 * x.data)
