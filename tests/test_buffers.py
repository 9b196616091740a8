"""The engine writes in place only into gradient arrays it allocated and nobody else holds.

ReLU's backward multiplies its upstream gradient by the mask in place when the engine owns
that array (`Function.backward_into`). Each test below hands the user a reference to an
upstream gradient in one of the ways the API allows and checks that it is never changed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import _engine
from chainrule.ops import _activations

X = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
W = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 2.0]])


def _relu_after_matmul():
    """x → x @ w (a fresh gradient in backward) → relu → sum: relu's upstream is the
    engine's own array unless the user holds it."""
    x = cr.tensor(X, requires_grad=True)
    w = cr.tensor(W, requires_grad=True)
    h = x @ w  # the relu's input
    return x, w, h


def _expected():
    """dL/dh, dL/dx, dL/dw for L = sum(relu(x @ w) @ v) with v = [[1], [2]]"""
    h = X @ W
    dr = np.broadcast_to(np.array([1.0, 2.0]), h.shape)
    dh = dr * (h > 0)
    return dh, dh @ W.T, X.T @ dh


def _loss(r):
    return (r @ cr.tensor([[1.0], [2.0]])).sum()


def test_relu_writes_into_the_engines_own_gradient(monkeypatch):
    calls = []
    original = _activations.ReLU.backward_into
    monkeypatch.setattr(
        _activations.ReLU, "backward_into", lambda s, g: calls.append(1) or original(s, g)
    )
    x, w, h = _relu_after_matmul()
    _loss(cr.relu(h)).backward()
    _dh, dx, dw = _expected()
    assert calls == [1]
    np.testing.assert_allclose(x.grad, dx)
    np.testing.assert_allclose(w.grad, dw)


def test_a_user_upstream_gradient_is_never_written():
    x = cr.tensor(X, requires_grad=True)
    r = cr.relu(x)
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    before = g.copy()
    r.backward(g)
    np.testing.assert_array_equal(g, before)
    np.testing.assert_array_equal(x.grad, before * (X > 0))
    r2 = cr.relu(cr.tensor(X, requires_grad=True))
    gt = cr.tensor(before.copy())
    r2.backward(gt)
    np.testing.assert_array_equal(gt.data, before)


def test_a_hook_that_keeps_the_gradient_sees_it_unchanged():
    x, _w, h = _relu_after_matmul()
    r = cr.relu(h)
    kept = []
    r.register_hook(lambda g: kept.append(g))  # keeps the very array, no copy
    _loss(r).backward()
    np.testing.assert_array_equal(kept[0], np.broadcast_to([1.0, 2.0], (2, 2)))
    np.testing.assert_allclose(x.grad, _expected()[1])


def test_a_hook_on_the_relu_input_keeps_its_value():
    _x, _w, h = _relu_after_matmul()
    kept = []
    h.register_hook(lambda g: kept.append(g))
    _loss(cr.relu(h)).backward()
    np.testing.assert_allclose(kept[0], _expected()[0])


def test_retain_grad_of_the_relu_output_is_the_upstream_not_the_product():
    _x, _w, h = _relu_after_matmul()
    r = cr.relu(h)
    r.retain_grad()
    h.retain_grad()
    _loss(r).backward()
    np.testing.assert_array_equal(r.grad, np.broadcast_to([1.0, 2.0], (2, 2)))
    np.testing.assert_allclose(h.grad, _expected()[0])


def test_grad_returns_an_intermediate_gradient_that_is_not_written_later():
    x, _w, h = _relu_after_matmul()
    r = cr.relu(h)
    gr, gx = _engine.grad(_loss(r), [r, x])
    np.testing.assert_array_equal(gr, np.broadcast_to([1.0, 2.0], (2, 2)))
    np.testing.assert_allclose(gx, _expected()[1])


def test_a_gradient_with_two_consumers_is_not_shared():
    # add passes its upstream (the engine's own array, from the matmul) to both relus:
    # neither may write into it, or the other would see the product
    x = cr.tensor(X, requires_grad=True)
    s = cr.relu(x) + cr.relu(-x)
    (s @ cr.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    up = np.broadcast_to([1.0, 2.0, 3.0], X.shape)
    np.testing.assert_array_equal(x.grad, up * (X > 0) - up * (X < 0))


def test_leaf_grad_held_by_the_user_is_not_written_by_relu():
    x = cr.tensor(X, requires_grad=True)
    r = cr.relu(x)
    r.sum().backward()
    held = x.grad
    snapshot = held.copy()
    x2 = cr.tensor(X, requires_grad=True)
    _loss(cr.relu(x2 @ cr.tensor(W))).backward()
    np.testing.assert_array_equal(held, snapshot)


def test_explain_records_the_upstream_before_relu_multiplies():
    x, w, h = _relu_after_matmul()
    r = cr.relu(h)
    x.grad = w.grad = None
    rec = {}

    def record(node, out, g, grads_in):
        rec[node.name] = (g.copy(), [gi.copy() if gi is not None else None for gi in grads_in])

    _engine.backward(_loss(r), record=record)
    upstream, (down,) = rec["ReLU"]
    np.testing.assert_array_equal(upstream, np.broadcast_to([1.0, 2.0], (2, 2)))
    np.testing.assert_allclose(down, _expected()[0])


def test_anomaly_mode_and_create_graph_give_the_same_gradients():
    dx = _expected()[1]
    with cr.detect_anomaly():
        x, _, h = _relu_after_matmul()
        _loss(cr.relu(h)).backward()
    np.testing.assert_allclose(x.grad, dx)
    x, _w, h = _relu_after_matmul()
    (gx,) = _engine.grad(_loss(cr.relu(h)), [x], create_graph=True)
    np.testing.assert_allclose(gx.data, dx)


def test_a_subclass_that_overrides_backward_is_not_bypassed():
    from chainrule.ops._activations import ReLU

    class Sevens(ReLU):
        def backward(self, grad_out):
            return (np.full_like(grad_out, 7.0),)

    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    (Sevens()(x * 2.0)).sum().backward()  # x * 2: an upstream the engine owns
    np.testing.assert_array_equal(x.grad, [14.0, 14.0, 14.0])


def test_a_users_backward_and_hooks_warn_as_they_would_outside_chainrule():
    class Reciprocal(cr.Function):
        def forward(self, x):
            self.saved = (x,)
            return 1.0 / np.where(x == 0, 1.0, x)

        def backward(self, grad_out):
            (x,) = self.saved
            return (-grad_out / x**2,)  # divides by zero at x = 0: NumPy warns

    x = cr.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    y = Reciprocal()(x)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        y.sum().backward()

    z = cr.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    w = z * 1.0
    w.register_hook(lambda g: g / np.zeros_like(g))
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        w.sum().backward()


def test_chainrules_own_ops_stay_silent_in_backward():
    x = cr.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.sqrt(x).sum().backward()
    assert np.isinf(x.grad[0])
