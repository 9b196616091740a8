"""The invariants the performance work relies on: what the faster paths must never change.

Constants are held as arrays until a node's ``inputs`` is read; the engine drops each
tensor as soon as backward is done with it; ReLU saves its input; SGD updates a large
parameter block by block. Each is checked against the plain definition.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim._optimizer import BLOCK


# ----- constants kept as arrays ------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [lambda x: x * 2.0, lambda x: 2.0 * x, lambda x: x - np.ones(3), lambda x: cr.maximum(x, 0.5)],
    ids=["tensor*number", "number*tensor", "tensor-array", "maximum"],
)
def test_constant_inputs_read_as_tensors_with_a_stable_identity(make):
    x = cr.tensor([1.0, -2.0, 3.0], dtype="float64", requires_grad=True)
    node = make(x).grad_fn
    first = node.inputs
    assert all(isinstance(t, cr.Tensor) for t in first)
    assert node.inputs is first  # materialised once: explain can key tensors by identity
    assert [t.requires_grad for t in first] == list(node.needs_grad)
    assert any(t is x for t in first)


def test_a_constant_array_is_not_the_callers_array():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    arr = np.array([3.0, 4.0])
    (_, c) = (x * arr).grad_fn.inputs
    assert c.data is not arr
    assert np.shares_memory(c.data, arr)


def test_second_derivative_through_a_constant_that_shares_the_tensors_memory():
    # x * x.data is x times a constant: its second derivative is 0, not 2
    x = cr.tensor(3.0, dtype="float64", requires_grad=True)
    assert float(cr.grad(lambda x: x * x.data)(x)) == 3.0
    d2 = cr.grad(cr.grad(lambda x: x * x.data))(x)
    assert float(d2) == 0.0


def test_needs_grad_patterns_are_shared_tuples():
    a = cr.tensor(1.0, requires_grad=True)
    b = cr.tensor(2.0)
    first, second = (a * b).grad_fn.needs_grad, (a - 2.0).grad_fn.needs_grad
    assert first == (True, False)
    assert first is second


# ----- the engine lets go of what backward no longer needs ----------------------------------------
def test_intermediate_tensors_are_freed_during_backward():
    x = cr.tensor(np.ones((4, 3)), dtype="float64", requires_grad=True)
    h = (x * 2.0).relu()
    out = (h * 3.0).sum()
    seen = weakref.ref(h)
    del h
    alive_during = []

    def watch(grad):  # runs when x's gradient is complete: every other node is done
        gc.collect()
        alive_during.append(seen() is not None)

    x.register_hook(watch)
    out.backward()
    assert alive_during == [False]
    np.testing.assert_array_equal(x.grad, np.full((4, 3), 6.0))


def test_record_still_sees_every_output_tensor():
    x = cr.tensor(2.0, dtype="float64", requires_grad=True)
    y = (x * 3.0).exp()
    outs = []
    cr._engine.backward(y, record=lambda node, out, g, grads: outs.append(out))
    assert all(isinstance(t, cr.Tensor) for t in outs)
    assert len(outs) == 2


# ----- ReLU ---------------------------------------------------------------------------------------
def test_relu_values_and_gradient_at_the_edges():
    x = cr.tensor([-np.inf, -1.0, -0.0, 0.0, 2.0, np.inf], dtype="float64", requires_grad=True)
    y = x.relu()
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.0, 0.0, 2.0, np.inf])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0, 0, 1, 1])  # relu'(0) = 0
    assert np.isnan(cr.tensor([np.nan]).relu().data[0])


def test_relu_keeps_integer_and_float32_dtypes():
    assert cr.tensor(np.array([-1, 2])).relu().dtype == np.int64
    assert cr.tensor([-1.0, 2.0]).relu().dtype == np.float32


# ----- SGD in blocks ------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_sgd_on_a_parameter_larger_than_a_block_matches_the_formula(layout):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(BLOCK * 2 + 7).astype(np.float32)
    g = rng.standard_normal(w0.size).astype(np.float32)
    if layout == "strided":
        w = cr.nn.Parameter(np.zeros(2 * w0.size, np.float32)[::2])
        w.data[...] = w0
    else:
        w = cr.nn.Parameter(w0.copy())
    w.grad = g.copy()
    cr.optim.SGD([w], lr=0.1).step()
    np.testing.assert_array_equal(w.data, w0 - np.float32(0.1) * g)
    np.testing.assert_array_equal(w.grad, g)  # the gradient is read, never written


def test_sgd_work_array_is_bounded_by_a_block():
    w = cr.nn.Parameter(np.zeros(BLOCK * 3, np.float32))
    w.grad = np.ones_like(w.data)
    opt = cr.optim.SGD([w], lr=0.5)
    opt.step()
    assert all(buf.size <= BLOCK for buf in opt._buffers.values())
    np.testing.assert_array_equal(w.data, -0.5)


def test_a_tensor_returned_by_a_custom_backward_is_never_added_into():
    held = cr.tensor([1.0, 2.0], dtype="float64")

    class ReturnsHeld(cr.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, grad_out):
            return held  # a Tensor that the op keeps using

    x = cr.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    y = ReturnsHeld()(x) + ReturnsHeld()(x) + x * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(held.data, [1.0, 2.0])
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])
