"""PyTorch's module names: `cr.nn.utils` (clipping) and `cr.optim.lr_scheduler` (schedules)."""

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


def test_the_schedules_under_pytorchs_module_name_are_the_same_classes():
    from chainrule.optim.lr_scheduler import OneCycleLR, SequentialLR, StepLR

    assert StepLR is cr.optim.StepLR
    assert SequentialLR is cr.optim.SequentialLR
    assert OneCycleLR is cr.optim.OneCycleLR
    for name in cr.optim.lr_scheduler.__all__:
        assert getattr(cr.optim.lr_scheduler, name) is getattr(cr.optim, name)
