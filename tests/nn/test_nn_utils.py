"""`cr.nn.utils`: PyTorch's spelling of the clipping functions."""

import numpy as np
import pytest

import chainrule as cr


def test_nn_utils_clips_as_pytorch_spells_it():
    w = cr.nn.Parameter(np.array([3.0, 4.0]))
    w.grad = np.array([3.0, 4.0])
    total = cr.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad, [0.6, 0.8], rtol=1e-6)
    cr.nn.utils.clip_grad_value_([w], clip_value=0.7)
    np.testing.assert_allclose(w.grad, [0.6, 0.7], rtol=1e-6)
