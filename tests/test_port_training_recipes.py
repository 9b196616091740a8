"""Small-MLP training recipes ported from PyTorch, step by step in float64.

- An EMA of the weights (``ema = copy.deepcopy(model).requires_grad_(False)``, then
  ``ema_p *= decay; ema_p += (1 - decay) * p`` under ``no_grad``) never changed the copy:
  ``*=`` updated in place only a leaf that requires gradients, so on the frozen copy it
  rebound the loop variable and the EMA stayed at the initial weights, silently. A frozen
  Parameter is now updated in place under no_grad, as PyTorch's in-place operators do.
- ``cr.grad(loss, x)`` (``torch.autograd.grad``'s order) said that argnums must be an
  int; it now says that ``grad`` is the functional form and how to write a gradient
  penalty with it.

Truths: hand-worked values, and PyTorch where it is installed.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _model():
    gen = np.random.default_rng(0)
    return cr.nn.Sequential(
        cr.nn.Linear(3, 4, dtype="float64", generator=gen),
        cr.nn.Tanh(),
        cr.nn.Linear(4, 2, dtype="float64", generator=gen),
    )


def _ema_update(ema, model, decay: float) -> None:
    with cr.no_grad():
        for e, p in zip(ema.parameters(), model.parameters()):
            e *= decay
            e += (1 - decay) * p


def test_an_ema_copy_made_with_requires_grad_false_is_updated_in_place():
    model = _model()
    ema = copy.deepcopy(model).requires_grad_(False)
    start = [p.data.copy() for p in model.parameters()]
    with cr.no_grad():
        for p in model.parameters():
            p += 1.0
    _ema_update(ema, model, 0.75)
    for e, w0 in zip(ema.parameters(), start):
        np.testing.assert_allclose(e.data, w0 + 0.25, rtol=0, atol=1e-15)  # 0.75·w + 0.25·(w + 1)
        assert isinstance(e, cr.nn.Parameter)
        assert not e.requires_grad


def test_a_frozen_parameter_updated_in_place_keeps_its_identity_and_leaves_the_graph_alone():
    p = cr.nn.Parameter(np.array([1.0, 2.0]), requires_grad=False)
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (x * p).sum()  # the graph saved p's array
    before = p.data
    same = p
    with cr.no_grad():
        same *= 2.0
    assert same is p
    np.testing.assert_array_equal(p.data, [2.0, 4.0])
    np.testing.assert_array_equal(before, [1.0, 2.0])  # a new array: the saved one is intact
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_outside_no_grad_and_for_a_plain_tensor_the_operators_still_rebind():
    p = cr.nn.Parameter(np.array([1.0, 2.0]), requires_grad=False)
    q = p
    q *= 2.0  # grad mode on: a new tensor, as documented
    assert q is not p
    np.testing.assert_array_equal(p.data, [1.0, 2.0])
    t = cr.tensor([1.0, 2.0])
    u = t
    with cr.no_grad():
        u *= 2.0
    assert u is not t
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


@needs_torch
def test_an_ema_of_weights_during_training_equals_pytorchs():
    model = _model()
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    tmodel = tmodel.double()
    with torch.no_grad():
        for tp, p in zip(tmodel.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.data.T.copy()))
    ema, tema = copy.deepcopy(model).requires_grad_(False), copy.deepcopy(tmodel)
    tema.requires_grad_(False)
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
        opt.zero_grad()
        cr.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y))
        tloss.backward()
        topt.step()
        _ema_update(ema, model, 0.9)
        with torch.no_grad():
            for e, p in zip(tema.parameters(), tmodel.parameters()):
                e.mul_(0.9).add_(p, alpha=0.1)
    for e, te in zip(ema.parameters(), tema.parameters()):
        np.testing.assert_allclose(e.data, te.numpy().T, rtol=1e-12, atol=1e-14)


def test_grad_given_an_output_tensor_names_the_functional_form():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    with pytest.raises(TypeError, match=r"grad: .*got a Tensor.*torch\.autograd\.grad.*lambda x"):
        cr.grad(loss, x)
    with pytest.raises(TypeError, match=r"value_and_grad: .*got a Tensor"):
        cr.value_and_grad(loss, [x])
    with pytest.raises(TypeError, match=r"grad: expected a function to differentiate, got int"):
        cr.grad(3)


def test_the_functional_gradient_penalty_the_error_shows_works():
    w = cr.tensor([[2.0], [-1.0]], requires_grad=True)
    x = np.array([[1.0, 3.0]])
    loss, dx = cr.value_and_grad(lambda x: ((x @ w) ** 2).sum())(x)
    total = loss + (dx * dx).sum()
    total.backward()
    # loss = s², s = x·w = -1; dx = 2s·wᵀ; ‖dx‖² = 4s²‖w‖²; d/dw = 2s·xᵀ + 8s‖w‖²·xᵀ + 8s²·w
    s, ww = -1.0, 5.0
    expected = 2 * s * x.T + 8 * s * ww * x.T + 8 * s**2 * w.data
    np.testing.assert_allclose(w.grad, expected, rtol=1e-14)
