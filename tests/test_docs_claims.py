"""Claims of the user documentation checked against what the code does: the porting guide's
rows (against PyTorch where it is installed), and behaviour its tables promise "as in
PyTorch"."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


# ----- Tensor.requires_grad_ takes a bool only, as PyTorch's and Module.requires_grad_ ----------
@pytest.mark.parametrize("value", ["False", None, 0, 1.0])
def test_tensor_requires_grad_refuses_what_is_not_a_bool(value):
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        t.requires_grad_(value)
    assert t.requires_grad  # "False" did not freeze it, nor None or 0
    assert t.requires_grad_(np.bool_(False)) is t
    assert not t.requires_grad
    assert t.requires_grad_() is t  # the default is True
    assert t.requires_grad


def test_tensor_requires_grad_refuses_as_pytorch_does():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.ones(2, requires_grad=True).requires_grad_("False")
    with pytest.raises(TypeError):
        cr.tensor([1.0, 2.0], requires_grad=True).requires_grad_("False")


# ----- Softmax and LogSoftmax: dim=None is the default axis, not PyTorch's implicit choice ------
@pytest.mark.parametrize("layer", ["Softmax", "LogSoftmax"])
def test_softmax_dim_none_is_the_last_axis_and_axis_none_is_refused(layer):
    x = np.arange(24.0).reshape(2, 3, 4) / 10
    by_hand = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)  # the last axis
    if layer == "LogSoftmax":
        by_hand = np.log(by_hand)
    np.testing.assert_allclose(getattr(cr.nn, layer)(dim=None)(x).data, by_hand, rtol=1e-12)
    with pytest.raises(ValueError, match="None is refused"):
        getattr(cr.nn, layer)(axis=None)


def test_softmax_dim_none_differs_from_pytorch_on_3d_input_only():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape, same in (((3, 4), True), ((2, 3, 4), False)):
        x = rng.standard_normal(shape)
        with pytest.warns(UserWarning, match="Implicit dimension"):
            theirs = torch.nn.Softmax(dim=None)(torch.tensor(x)).numpy()
        ours = cr.nn.Softmax(dim=None)(x).data
        assert np.allclose(ours, theirs) is same


# ----- chainrule.callbacks re-exports every callback file's public names -------------------------
def test_callbacks_module_holds_the_callbacks_the_readmes_name():
    names = {
        "Callback",
        "CSVLogger",
        "EarlyStopping",
        "LambdaCallback",
        "LearningRateScheduler",
        "ModelCheckpoint",
        "ReduceLROnPlateau",
        "TerminateOnNaN",
    }
    assert set(cr.callbacks.__all__) == names
    assert all(isinstance(getattr(cr.callbacks, n), type) for n in names)
