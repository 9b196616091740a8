"""PyTorch habits on a Tensor: ``x.type(dtype)``, ``clamp_min``, ``clamp_max``, and
``requires_grad`` taking a bool only."""

import numpy as np
import pytest

import chainrule as cr

A = np.arange(-3.0, 3.0).reshape(2, 3)


def test_type_names_the_dtype_or_casts():
    x = cr.tensor(A, dtype="float32", requires_grad=True)
    assert x.type() == "float32"
    y = x.type("float64")
    assert y.dtype == np.float64
    y.sum().backward()  # a cast, recorded
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.ones_like(A))
    hits = (x.argmax(1) == np.array([2, 0])).type(np.float32)
    assert hits.dtype == np.float32
    assert hits.sum().item() == 1.0


def test_clamp_min_and_max_are_pytorchs():
    torch = pytest.importorskip("torch")
    x = cr.tensor(A, dtype="float64", requires_grad=True)
    t = torch.tensor(A, requires_grad=True)
    (x.clamp_min(-1.0) * x.clamp_max(1.0)).sum().backward()
    (t.clamp_min(-1.0) * t.clamp_max(1.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("value", ["False", None, 0, 1])
def test_requires_grad_takes_a_bool_only_as_pytorch(value):
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        cr.tensor([1.0], requires_grad=value)
    x = cr.tensor([1.0])
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        x.requires_grad = value
    assert x.requires_grad is False
    x.requires_grad = np.bool_(True)  # NumPy's bool is a bool
    assert x.requires_grad is True
