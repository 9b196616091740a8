"""PyTorch's method names for chainrule's ops (t, mm, dot, matmul, neg, maximum, minimum,
where, lerp, logsumexp, view_as, reshape_as, expand_as, type_as, new_*): values against
NumPy, gradients against finite differences, and against PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(7)
A = RNG.standard_normal((2, 3))
B = RNG.standard_normal((3, 4))
V, W = RNG.standard_normal(3), RNG.standard_normal(3)
C = RNG.standard_normal((2, 3))

# name, the call on chainrule tensors, the NumPy reference, the inputs
DIFFERENTIABLE = [
    ("t", lambda a: a.t(), lambda a: a.T, [A]),
    ("t of a vector", lambda v: v.t(), lambda v: v, [V]),
    ("mm", lambda a, b: a.mm(b), lambda a, b: a @ b, [A, B]),
    ("matmul", lambda a, b: a.matmul(b), lambda a, b: a @ b, [A, B]),
    ("dot", lambda v, w: v.dot(w), lambda v, w: np.dot(v, w), [V, W]),
    ("neg", lambda a: a.neg(), lambda a: -a, [A]),
    ("maximum", lambda a, c: a.maximum(c), np.maximum, [A, C]),
    ("minimum", lambda a, c: a.minimum(c), np.minimum, [A, C]),
    ("where", lambda a, c: a.where(a > 0, c), lambda a, c: np.where(a > 0, a, c), [A, C]),
    ("lerp", lambda a, c: a.lerp(c, 0.3), lambda a, c: a + 0.3 * (c - a), [A, C]),
    (
        "logsumexp",
        lambda a: a.logsumexp(dim=1),
        lambda a: np.log(np.exp(a).sum(axis=1)),
        [A],
    ),
    ("view_as", lambda a: a.view_as(np.zeros((3, 2))), lambda a: a.reshape(3, 2), [A]),
    ("reshape_as", lambda a: a.reshape_as(cr.zeros(6)), lambda a: a.reshape(6), [A]),
    (
        "expand_as",
        lambda v: v.expand_as(cr.zeros(2, 3)),
        lambda v: np.broadcast_to(v, (2, 3)),
        [V],
    ),
]


@pytest.mark.parametrize(("name", "call", "ref", "inputs"), DIFFERENTIABLE,
                         ids=[c[0] for c in DIFFERENTIABLE])  # fmt: skip
def test_values_match_numpy_and_gradients_finite_differences(name, call, ref, inputs):
    tensors = [cr.tensor(x, dtype="float64", requires_grad=True) for x in inputs]
    np.testing.assert_allclose(call(*tensors).numpy(), ref(*inputs), rtol=1e-12)
    assert cr.gradcheck(lambda *ts: call(*ts), tensors)


# the *_as methods are given a chainrule tensor (or array) for the shape, which PyTorch's
# would refuse: they are compared in test_the_as_methods_against_pytorch
TORCH_CASES = [c for c in DIFFERENTIABLE if not c[0].endswith("_as")]


@pytest.mark.parametrize(("name", "call", "ref", "inputs"), TORCH_CASES,
                         ids=[c[0] for c in TORCH_CASES])  # fmt: skip
def test_against_pytorch(name, call, ref, inputs):
    torch = pytest.importorskip("torch")
    ours = [cr.tensor(x, dtype="float64", requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    for t in (ours, theirs):
        out = call(*t)
        (out * out).sum().backward()
    np.testing.assert_allclose(call(*ours).numpy(), call(*theirs).detach().numpy(), rtol=1e-12)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_the_as_methods_against_pytorch():
    torch = pytest.importorskip("torch")
    for lib, zeros in ((cr, cr.zeros), (torch, torch.zeros)):
        a = lib.tensor(A)
        v = lib.tensor(V)
        shapes = [
            tuple(a.view_as(zeros(3, 2)).shape),
            tuple(a.reshape_as(zeros(6)).shape),
            tuple(v.expand_as(zeros(2, 3)).shape),
        ]
        assert shapes == [(3, 2), (6,), (2, 3)]


def test_mm_dot_and_t_refuse_other_ranks_naming_the_shapes():
    a, v = cr.tensor(A), cr.tensor(V)
    with pytest.raises(ValueError, match=r"mm: expects two matrices \(2-d\), got shapes \(2, 3\)"):
        a.mm(v)
    with pytest.raises(ValueError, match=r"dot: expects two vectors \(1-d\), got shapes \(3,\)"):
        v.dot(a)
    with pytest.raises(ValueError, match=r"t: expects a tensor of at most 2 axes.*\(2, 2, 2\)"):
        cr.zeros(2, 2, 2).t()


def test_type_as_casts_to_the_other_dtype():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    y = x.type_as(cr.tensor(np.zeros(1)))
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_new_leaves_take_this_tensors_dtype(dtype):
    x = cr.tensor([1.0], dtype=dtype, requires_grad=True)
    for t, expected in [
        (x.new_zeros(2, 3), np.zeros((2, 3))),
        (x.new_zeros((2, 3)), np.zeros((2, 3))),
        (x.new_ones(2), np.ones(2)),
        (x.new_full((2, 2), 7), np.full((2, 2), 7.0)),
        (x.new_tensor([[1, 2]]), np.array([[1.0, 2.0]])),
    ]:
        assert t.dtype == np.dtype(dtype)
        assert t.is_leaf
        assert not t.requires_grad
        np.testing.assert_array_equal(t.data, expected)
    assert x.new_zeros(2, dtype="int64").dtype == np.int64
    assert x.new_ones(1, requires_grad=True).requires_grad


def test_new_tensor_copies_its_data():
    data = np.array([1.0, 2.0])
    t = cr.tensor([0.0], dtype="float64").new_tensor(data)
    data[0] = 9.0
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_a_parameters_new_tensor_is_a_plain_tensor():
    p = cr.nn.Parameter(np.ones(2, np.float32))
    t = p.new_tensor([3.0])
    assert type(t) is cr.Tensor
