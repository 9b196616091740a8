"""Edge cases of the engine and the autograd API found by comparing them with PyTorch:
complex gradients for real tensors, outputs that do not require gradients among several,
`autograd.grad`'s argument checks, and `autograd.grad` through a part of the graph an
earlier backward released.

Truths: PyTorch (tests taking the ``torch`` fixture are skipped without it) and values
worked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F64 = "float64"


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def leaf(value, dtype=F64):
    return cr.tensor(np.asarray(value, dtype=dtype), requires_grad=True)


class _Complex(cr.Function):
    """d/dx 2x = 2, but backward returns a complex gradient by mistake."""

    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        return grad_out * (2 + 1j)


# ----- a complex gradient for a real tensor is an error, not its real part ----------------
def test_a_complex_gradient_from_a_users_backward_is_an_error_naming_the_op(torch):
    class TorchComplex(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * (2 + 1j)

    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):  # PyTorch refuses it too
        TorchComplex.apply(tx).sum().backward()
    x = leaf([1.0, 2.0], "float32")
    with pytest.raises(TypeError, match=r"_Complex\.backward.*complex"):
        _Complex()(x).sum().backward()


def test_a_complex_gradient_is_refused_for_a_0d_input_too():
    x = leaf(3.0)
    with pytest.raises(TypeError, match=r"_Complex\.backward.*complex"):
        _Complex()(x).backward()


def test_a_complex_array_from_a_users_backward_is_refused_under_create_graph():
    class ComplexArray(cr.Function):
        """d/dx 2x = 2, but backward returns a complex array by mistake."""

        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return np.full(grad_out.shape, 2 + 1j)

    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"ComplexArray\.backward.*complex"):
        cr.autograd.grad(ComplexArray()(x).sum(), x, create_graph=True)


def test_a_hook_returning_a_complex_gradient_is_an_error_naming_the_hook(torch):
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tx.register_hook(lambda g: g * (1 + 1j))
    with pytest.raises(RuntimeError):
        (tx * 2).sum().backward()

    def to_complex(g):
        return g * (1 + 1j)

    x = leaf([1.0, 2.0])
    x.register_hook(to_complex)
    with pytest.raises(TypeError, match=r"to_complex.*complex"):
        (x * 2).sum().backward()
    assert x.grad is None


def test_a_hook_returning_a_complex_tensor_is_an_error():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: cr.tensor(np.asarray(g) * 1j, dtype="complex128"))
    with pytest.raises(TypeError, match="complex"):
        (x * 2).sum().backward()


def test_a_complex_upstream_gradient_is_an_error(torch):
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        (tx * 2).backward(torch.tensor([1 + 2j, 1 + 0j]))
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="complex"):
        (x * 2).backward(np.array([1 + 2j, 1 + 0j]))
    with pytest.raises(TypeError, match="complex"):
        cr.autograd.grad(x * 2, x, grad_outputs=[np.array([1j, 0j])])
    assert x.grad is None


def test_a_complex_upstream_gradient_in_a_list_or_number_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="complex"):
        (x * 2).backward([1j, 0.0])
    with pytest.raises(TypeError, match="complex"):
        (x.sum() * 2).backward(1j)


def test_a_real_gradient_of_another_dtype_is_still_converted():
    class Wide(cr.Function):
        """d/dx 2x = 2, returned in float64 for a float32 input."""

        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return np.full(grad_out.shape, 2.0, dtype=np.float64)

    x = leaf([1.0, 2.0], "float32")
    Wide()(x).sum().backward()
    assert x.grad.dtype == np.float32
    assert x.grad.tolist() == [2.0, 2.0]


# ----- several outputs: each must require gradients, as one must ---------------------------
def test_an_output_that_does_not_require_grad_among_several_is_an_error(torch):
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="element 1"):
        torch.autograd.grad([(tx * tx).sum(), torch.tensor(1.0)], tx)
    x = leaf([1.0, 2.0])
    constant = cr.tensor(1.0)
    with pytest.raises(RuntimeError, match="output 1 does not require gradients"):
        cr.autograd.grad([(x * x).sum(), constant], x)
    with pytest.raises(RuntimeError, match="output 0 does not require gradients"):
        cr.autograd.backward([constant, (x * x).sum()])
    assert x.grad is None


def test_several_outputs_that_all_require_grad_still_add_up():
    x = leaf([1.0, 2.0])
    (g,) = cr.autograd.grad([(x * x).sum(), (3 * x).sum()], x)
    assert g.tolist() == [2 * 1.0 + 3, 2 * 2.0 + 3]


# ----- autograd.grad's arguments -----------------------------------------------------------
def test_materialize_grads_with_allow_unused_false_is_refused_as_in_pytorch(torch):
    tx, tw = (torch.tensor([1.0], requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="allow_unused"):
        torch.autograd.grad(tx.sum(), [tx, tw], allow_unused=False, materialize_grads=True)
    x, w = leaf([1.0]), leaf([1.0])
    with pytest.raises(ValueError, match="allow_unused"):
        cr.autograd.grad(x.sum(), [x, w], allow_unused=False, materialize_grads=True)
    gx, gw = cr.autograd.grad(x.sum(), [x, w], materialize_grads=True)
    assert gx.tolist() == [1.0]
    assert gw.tolist() == [0.0]
    gx, gw = cr.autograd.grad(x.sum(), [x, w], allow_unused=True, materialize_grads=True)
    assert gw.tolist() == [0.0]


# ----- autograd.grad through a part of the graph an earlier pass released ------------------
def test_grad_through_an_intermediate_released_earlier_raises_as_pytorch(torch):
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    th = torch.sin(tx)
    torch.autograd.grad((th * 2).sum(), tx)
    with pytest.raises(RuntimeError, match="second time"):
        torch.autograd.grad((th * 3).sum() + (tx * tx).sum(), tx)
    x = leaf([1.0, 2.0])
    h = cr.sin(x)
    cr.autograd.grad((h * 2).sum(), x)  # releases Sin: retain_graph defaults to False
    # the gradient was 2x alone, without the 3·cos x through h; and None or zeros for x
    # reached only through h
    with pytest.raises(RuntimeError, match=r"Sin: backward through this part of the graph"):
        cr.autograd.grad((h * 3).sum() + (x * x).sum(), x)
    with pytest.raises(RuntimeError, match=r"Sin: backward .* a second time"):
        cr.autograd.grad((h * 3).sum(), x, allow_unused=True)


def test_a_second_derivative_after_create_graph_without_retain_graph_raises():
    # f = Σ x² sin x; f' = x² cos x + 2x sin x; f'' = 4x cos x − x² sin x + 2 sin x
    x = leaf([1.0, 2.0])
    y = (cr.sin(x) * x**2).sum()
    (g,) = cr.autograd.grad(y, x, create_graph=True, retain_graph=False)
    v = np.array([1.0, 2.0])
    np.testing.assert_allclose(g.data, v**2 * np.cos(v) + 2 * v * np.sin(v))
    # g's graph goes through y's nodes (Mul saved sin x), released above: PyTorch raises
    with pytest.raises(RuntimeError, match="second time"):
        cr.autograd.grad(g.sum(), x)


def test_grad_with_respect_to_a_released_intermediate_alone_still_works():
    x = leaf([1.0, 2.0])
    h = x * 3
    (h * h).sum().backward()  # releases the Mul that made h
    (gh,) = cr.autograd.grad((h * 2).sum(), h)
    assert gh.tolist() == [2.0, 2.0]


def test_the_functional_grad_of_a_closure_over_a_released_tensor_still_works():
    x = leaf([1.0, 2.0])
    h = cr.sin(x)
    h.sum().backward()  # h's graph released; h is a constant for the new variable a
    g = cr.grad(lambda a: (a * h).sum())(cr.tensor([0.5, 0.5], dtype=F64))
    np.testing.assert_allclose(g.data, np.sin([1.0, 2.0]))
