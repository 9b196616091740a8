"""PyTorch programs ported by hand: the errors a PyTorch user meets must name the cause.

- ``y[mask] = 0`` (item assignment with a tensor index) said the *index* was wrong, as
  Python tried the mask as a sequence position through ``__index__``; every item
  assignment now says that tensors do not support it and what to write instead.
- A ``cr.Function`` written PyTorch's way (``@staticmethod def forward(ctx, x)``) failed
  only when called, as a missing argument or an array without ``save_for_backward``; it is
  now a TypeError when the class is defined, naming chainrule's way.
- ``x.transpose(0, 2)`` of a 3-D tensor (PyTorch's swap of two axes) was NumPy's "axes
  don't match array"; the error now names ``swapaxes``.

Truths: hand-worked values, and PyTorch where it is installed.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

import chainrule as cr

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="compares with PyTorch"
)

X = np.arange(12, dtype=np.float64).reshape(3, 4) - 5.5


# ----- item assignment ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "index",
    [
        pytest.param(lambda y: y < 0, id="bool-tensor-mask"),
        pytest.param(lambda y: cr.tensor(np.array([0, 2]), dtype="int64"), id="int-tensor"),
        pytest.param(lambda y: 0, id="int"),
        pytest.param(lambda y: (slice(None), 1), id="slice"),
        pytest.param(lambda y: np.array([True, False, True]), id="numpy-mask"),
    ],
)
def test_item_assignment_is_refused_with_what_to_write_instead(index):
    y = cr.tensor(X.copy(), requires_grad=True) * 1.0
    with pytest.raises(TypeError, match=r"does not support item assignment.*cr\.where") as e:
        y[index(y)] = 0.0
    assert "used as an index" not in str(e.value)  # the mask is not the problem
    np.testing.assert_array_equal(y.data, X)


def test_item_assignment_under_no_grad_is_refused_too_and_leaves_the_leaf_as_it_was():
    w = cr.tensor(X.copy(), requires_grad=True)
    with cr.no_grad(), pytest.raises(TypeError, match="does not support item assignment"):
        w[0, 0] = 7.0
    np.testing.assert_array_equal(w.data, X)
    assert w.is_leaf
    assert w.requires_grad


def test_the_suggested_where_gives_the_masked_values_and_gradient():
    x = cr.tensor(X.copy(), requires_grad=True)
    y = cr.where(x < 0, 0.0, x)  # PyTorch: y = x.clone(); y[y < 0] = 0
    y.sum().backward()
    np.testing.assert_array_equal(y.data, np.where(X < 0, 0.0, X))
    np.testing.assert_array_equal(x.grad, (X >= 0).astype(np.float64))


def test_reading_with_a_mask_and_a_0_d_integer_index_still_work():
    x = cr.tensor(X.copy())
    np.testing.assert_array_equal(x[x < 0].data, X[X < 0])
    i = cr.tensor(np.array(2), dtype="int64")
    np.testing.assert_array_equal(x[i].data, X[2])
    assert list(range(i)) == [0, 1]


# ----- a Function written PyTorch's way ------------------------------------------------------
def test_a_static_forward_taking_ctx_is_refused_when_the_class_is_defined():
    with pytest.raises(TypeError, match=r"TorchExp\.forward is a @staticmethod taking ctx"):

        class TorchExp(cr.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return np.exp(x)

            @staticmethod
            def backward(ctx, grad_out):
                return grad_out

    with pytest.raises(TypeError, match=r"self\.saved.*Scale\(\)\(x\), not Scale\.apply\(x\)"):

        class Scale(cr.Function):
            def forward(self, x):
                return 2 * x

            @staticmethod
            def backward(ctx, grad_out):
                return 2 * grad_out


def test_static_methods_without_ctx_still_work():
    class Double(cr.Function):
        @staticmethod
        def forward(x):
            return 2 * x

        @staticmethod
        def backward(grad_out):
            return 2 * grad_out

    x = cr.tensor(np.array([1.0, -3.0]), requires_grad=True)
    y = Double()(x)
    (y * y).sum().backward()  # d/dx (2x)² = 8x
    np.testing.assert_array_equal(y.data, [2.0, -6.0])
    np.testing.assert_array_equal(x.grad, [8.0, -24.0])


# ----- transpose(a, b) of more than two axes ---------------------------------------------------
@pytest.mark.parametrize("axes", [(0, 2), (1, 2), (-1, 0)])
def test_two_axes_transpose_of_a_3_d_tensor_names_swapaxes(axes):
    x = cr.tensor(np.zeros((2, 3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"Transpose on shapes \(2, 3, 4\):.*swapaxes\(a, b\)"):
        x.transpose(*axes)
    with pytest.raises(ValueError, match=r"swapaxes\(a, b\)"):
        cr.transpose(x, *axes)


def test_whole_permutations_are_unchanged():
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(cr.tensor(a).transpose(2, 0, 1).data, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(cr.tensor(X).transpose(1, 0).data, X.T)
    with pytest.warns(UserWarning, match=r"transpose\(0, 1\) of a 2-D tensor leaves it as"):
        np.testing.assert_array_equal(cr.tensor(X).transpose(0, 1).data, X)  # NumPy's meaning
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the whole permutation as a tuple is not warned of
        np.testing.assert_array_equal(cr.tensor(X).transpose((0, 1)).data, X)


@pytest.mark.parametrize("axes", [(0, 1), (-2, -1), (0, -1)])
def test_two_axes_that_keep_a_matrix_as_it_is_are_warned_of_as_pytorch_s_swap(axes):
    x = cr.tensor(X)
    with pytest.warns(UserWarning, match=r"PyTorch's transpose\(.*swapaxes\(.*or x\.T\)"):
        cr.transpose(x, *axes)
    with pytest.warns(UserWarning, match="leaves it as it is") as caught:
        x.transpose(*axes)
    assert caught[0].filename == __file__  # at the user's line, not inside chainrule


@needs_torch
def test_swapaxes_is_torchs_transpose_with_its_gradient():
    import torch

    a = np.random.default_rng(15).standard_normal((2, 3, 4))
    w = np.random.default_rng(16).standard_normal((4, 3, 2))
    x = cr.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y, yt = x.swapaxes(0, 2), t.transpose(0, 2)
    (y * w).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
