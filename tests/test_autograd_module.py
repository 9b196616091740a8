"""`cr.autograd`: ``grad(outputs, inputs)`` and ``backward(tensors)`` by PyTorch's names."""

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _x(values=(1.0, 2.0, -0.5)):
    return cr.tensor(list(values), dtype="float64", requires_grad=True)


def test_grad_of_a_scalar_leaves_grad_alone_and_returns_tensors():
    x = _x()
    (g,) = cr.autograd.grad((x**3).sum(), x)
    assert isinstance(g, cr.Tensor)
    np.testing.assert_allclose(g.data, 3 * np.array([1.0, 2.0, -0.5]) ** 2, rtol=1e-15)
    assert x.grad is None


def test_second_derivative_through_create_graph():
    x = _x()
    (g,) = cr.autograd.grad((x**3).sum(), [x], create_graph=True)
    (h,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * np.array([1.0, 2.0, -0.5]), rtol=1e-15)


def test_a_gradient_penalty_backpropagates_into_the_weights():
    # L = (w·x)² + λ‖∂L₀/∂x‖² with L₀ = (w·x)²: ∂L₀/∂x = 2(w·x)w, so the penalty is
    # 4(w·x)²‖w‖² and its gradient in w is 8(w·x)x‖w‖² + 8(w·x)²w (worked by hand)
    w = _x((0.5, -1.0, 2.0))
    x = _x((1.0, 3.0, -2.0))
    lam = 0.1
    base = ((w * x).sum()) ** 2
    (gx,) = cr.autograd.grad(base, x, create_graph=True)
    (base + lam * (gx * gx).sum()).backward()
    wv, xv = w.data, x.data
    s = wv @ xv
    expected = 2 * s * xv + lam * (8 * s * xv * (wv @ wv) + 8 * s * s * wv)
    np.testing.assert_allclose(w.grad, expected, rtol=1e-13)


def test_several_outputs_add_up_with_their_upstream_gradients():
    x = _x()
    y = x * x  # non-scalar: needs its upstream gradient
    z = x.sum()
    v = np.array([1.0, -2.0, 0.5])
    (gx,) = cr.autograd.grad([y, z], [x], grad_outputs=[v, None])
    np.testing.assert_allclose(gx.data, 2 * x.data * v + 1, rtol=1e-15)


def test_an_unused_input_is_an_error_unless_allowed():
    x, unused = _x(), _x()
    with pytest.raises(RuntimeError, match=r"input 1 was not used .* allow_unused=True"):
        cr.autograd.grad((x * 2).sum(), [x, unused])
    g, none = cr.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert none is None
    np.testing.assert_array_equal(g.data, [2.0, 2.0, 2.0])
    _, zeros = cr.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    np.testing.assert_array_equal(zeros.data, [0.0, 0.0, 0.0])


def test_inputs_may_be_any_iterable_of_tensors_such_as_parameters():
    model = cr.nn.Linear(3, 2, dtype="float64")
    x = np.ones((4, 3))
    grads = cr.autograd.grad((model(x) ** 2).sum(), model.parameters())
    (model(x) ** 2).sum().backward()
    assert len(grads) == 2
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(g.data, p.grad, rtol=1e-15)


def test_backward_accumulates_into_grad_for_one_or_several_tensors():
    x = _x()
    cr.autograd.backward((x * x).sum())
    np.testing.assert_allclose(x.grad, 2 * x.data, rtol=1e-15)
    x.grad = None
    cr.autograd.backward([x * 3.0, (x * x).sum()], [np.ones(3), None])
    np.testing.assert_allclose(x.grad, 3 + 2 * x.data, rtol=1e-15)


def test_bad_arguments_name_what_was_wrong():
    x = _x()
    with pytest.raises(TypeError, match=r"grad: inputs\[0\] is a ndarray, not a Tensor"):
        cr.autograd.grad((x * 2).sum(), np.ones(3))
    with pytest.raises(ValueError, match="2 upstream gradients for 1 outputs"):
        cr.autograd.grad((x * 2).sum(), x, grad_outputs=[None, None])
    with pytest.raises(RuntimeError, match=r"not a single value"):
        cr.autograd.grad([x * 2, x.sum()], x)
    with pytest.raises(RuntimeError, match=r"shape \(3,\), not a single value"):
        cr.autograd.grad(x * 2, x)
    assert cr.autograd.Function is cr.Function


@needs_torch
@pytest.mark.parametrize("seed", range(5))
def test_hessian_vector_products_match_pytorch(seed):
    rng = np.random.default_rng(seed)
    a, v = rng.normal(size=(4, 4)), rng.normal(size=4)
    x0 = rng.normal(size=4)

    def f(lib, x, a):
        h = lib.tanh(x @ a) if lib is cr else torch.tanh(x @ a)
        return (h * h * x).sum()

    x = cr.tensor(x0, requires_grad=True)
    (g,) = cr.autograd.grad(f(cr, x, cr.tensor(a)), x, create_graph=True)
    (hv,) = cr.autograd.grad((g * v).sum(), x)
    xt = torch.tensor(x0, requires_grad=True)
    (gt,) = torch.autograd.grad(f(torch, xt, torch.tensor(a)), xt, create_graph=True)
    (hvt,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(hv.data, hvt.numpy(), rtol=1e-11, atol=1e-14)


def test_tensor_norm_takes_pytorchs_positional_order():
    x = cr.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    assert x.norm().item() == pytest.approx(5.0)
    np.testing.assert_allclose(x.norm(2, 1).data, [5.0, 0.0])
    assert x.norm(2, 1, True).shape == (2, 1)
    np.testing.assert_allclose(x.norm(axis=0).data, [3.0, 4.0])
    x.norm("fro").backward()
    np.testing.assert_allclose(x.grad, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)  # 0 at 0
    with pytest.raises(ValueError, match=r"only the Euclidean norm .* got p=1"):
        x.norm(1)


@needs_torch
def test_tensor_norm_matches_pytorch():
    a = np.random.default_rng(3).normal(size=(3, 4))
    ours = cr.tensor(a).norm(2, 1, True).data
    np.testing.assert_allclose(ours, torch.tensor(a).norm(2, 1, True).numpy(), rtol=1e-15)
