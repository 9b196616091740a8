"""Python protocols of a Tensor as PyTorch users expect them: formatting, ``in``, copies
on creation, and ``backward(gradient=...)``."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_a_0d_tensor_formats_as_its_number():
    # MSE of (1, 2) against 0 is (1 + 4) / 2 = 2.5
    loss = cr.nn.MSELoss()(cr.tensor([1.0, 2.0], requires_grad=True), np.zeros(2))
    assert f"{loss:.4f}" == "2.5000"
    assert f"{loss:>6.1f}" == "   2.5"
    assert f"{cr.tensor(3, dtype='int64'):03d}" == "003"
    assert f"{loss}" == "2.5"


def test_a_tensor_of_several_values_refuses_a_number_format_as_numpy_does():
    t = cr.tensor([1.0, 2.0])
    assert f"{t}" == str(t)
    with pytest.raises(TypeError):
        f"{t:.2f}"
    with pytest.raises(TypeError):
        f"{np.array([1.0, 2.0]):.2f}"  # the same in NumPy


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.0, True), (5, False), (np.float32(4.0), True), (float("nan"), False)],
)
def test_in_looks_at_every_element_whatever_the_axes(value, expected):
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert (value in t) is expected
    assert (value in np.array([[1.0, 2.0], [3.0, 4.0]])) is expected  # NumPy agrees


def test_in_with_a_tensor_is_any_equal_element_after_broadcasting():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert cr.tensor([3.0, 4.0]) in t
    assert cr.tensor([4.0, 3.0]) not in t  # (4 ≠ 3 and 3 ≠ 4) and (4 ≠ 1 and 3 ≠ 2)


def test_tensor_copies_the_callers_array_and_Tensor_shares_it():
    a = np.array([1.0, 2.0, 3.0])
    t = cr.tensor(a, requires_grad=True)
    opt = cr.optim.SGD([t], lr=0.5)
    (t * t).sum().backward()  # ∂/∂t = 2t: t ← t − t = 0
    opt.step()
    np.testing.assert_array_equal(t.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    shared = cr.Tensor(a)
    shared.data[0] = 7.0
    assert a[0] == 7.0  # as torch.as_tensor
    assert cr.tensor(shared).data is not shared.data


def test_a_parameter_copies_its_array_so_one_start_serves_two_models():
    w0 = np.ones((2, 2), np.float32)
    for lr in (0.1, 0.5):
        p = cr.nn.Parameter(w0)
        opt = cr.optim.SGD([p], lr=lr)
        (p * p).sum().backward()  # ∂/∂p = 2p: p ← (1 − 2·lr)·p
        opt.step()
        np.testing.assert_allclose(p.data, 1 - 2 * lr)
    np.testing.assert_array_equal(w0, 1.0)


def test_backward_takes_pytorchs_keyword_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).backward(gradient=np.array([1.0, 10.0], np.float32))
    np.testing.assert_array_equal(x.grad, [3.0, 30.0])
    with pytest.raises(TypeError, match="once, as grad or gradient"):
        (x * 3.0).backward(np.ones(2), gradient=np.ones(2))
