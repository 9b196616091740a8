"""What the tests of the convolution and pooling layers share: a seeded generator, PyTorch
(or a skip) and a tensor requiring gradients."""

import numpy as np
import pytest

import chainrule as cr


def seeded(seed: int = 0) -> np.random.Generator:
    """NumPy's generator from ``seed``."""
    return np.random.default_rng(seed)


def torch_or_skip():
    """The ``torch`` module, or the test skipped where it is not installed."""
    return pytest.importorskip("torch")


def differentiable(x) -> cr.Tensor:
    """``x`` requiring gradients (gradcheck's finite differences pass tensors without)."""
    if isinstance(x, cr.Tensor) and x.requires_grad:
        return x
    return cr.tensor(x.data if isinstance(x, cr.Tensor) else x, requires_grad=True)
