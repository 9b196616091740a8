"""Review of cross_entropy's options and cr.autograd: the edge cases they missed."""

import numpy as np

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
