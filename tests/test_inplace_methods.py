"""PyTorch's in-place tensor methods (zero_, fill_, copy_, add_, sub_, mul_, div_, clamp_,
lerp_): values against NumPy computed here, which tensors may change, and that a graph's
saved values never change under it."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import chainrule as cr

A = np.array([[-2.0, 0.5, 3.0], [1.0, -0.25, 4.0]])
B = np.array([10.0, -1.0, 0.5])  # broadcast along the rows

CASES = [
    ("zero_", (), {}, lambda a: np.zeros_like(a)),
    ("fill_", (7.5,), {}, lambda a: np.full_like(a, 7.5)),
    ("copy_", (B,), {}, lambda a: np.broadcast_to(B, a.shape)),
    ("add_", (B,), {}, lambda a: a + B),
    ("add_", (B,), {"alpha": -0.5}, lambda a: a - 0.5 * B),
    ("sub_", (B,), {"alpha": 2.0}, lambda a: a - 2.0 * B),
    ("mul_", (B,), {}, lambda a: a * B),
    ("div_", (B,), {}, lambda a: a / B),
    ("clamp_", (), {"min": -1.0, "max": 2.0}, lambda a: np.minimum(np.maximum(a, -1.0), 2.0)),
    ("clamp_", (), {"max": 0.0}, lambda a: np.minimum(a, 0.0)),
    ("clip_", (), {"min": 0.0}, lambda a: np.maximum(a, 0.0)),
    ("lerp_", (B, 0.25), {}, lambda a: a + 0.25 * (B - a)),
]


def _ids(case):
    return f"{case[0]}{sorted(case[2])}" if case[2] else case[0]


@pytest.mark.parametrize(("method", "args", "kwargs", "numpy"), CASES, ids=map(_ids, CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_each_method_matches_numpy_and_returns_the_tensor_itself(
    method, args, kwargs, numpy, dtype
):
    t = cr.tensor(A, dtype=dtype)
    alias = t
    out = getattr(t, method)(*args, **kwargs)
    assert out is t
    assert alias is t
    assert t.dtype == np.dtype(dtype)
    assert t.shape == A.shape
    expected = numpy(A.astype(dtype)).astype(dtype)
    np.testing.assert_allclose(t.data, expected, rtol=1e-6 if dtype == "float32" else 1e-15)


def test_tensor_operands_and_chaining_as_an_ema_update():
    decay = 0.9
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    start = [p.data.copy() for p in ema.parameters()]
    with cr.no_grad():
        for p in model.parameters():
            p.mul_(2.0)  # a parameter, under no_grad
        for e, p in zip(ema.parameters(), model.parameters(), strict=True):
            e.mul_(decay).add_(p, alpha=1 - decay)
    for e, p, s in zip(ema.parameters(), model.parameters(), start, strict=True):
        np.testing.assert_allclose(e.data, decay * s + (1 - decay) * 2.0 * s, rtol=1e-6)
        np.testing.assert_allclose(p.data, 2.0 * s, rtol=1e-7)
    again = [e.data.copy() for e in ema.parameters()]
    with cr.no_grad():
        for e, p in zip(ema.parameters(), model.parameters(), strict=True):
            e.lerp_(p, 1 - decay)  # the same update, written as PyTorch's lerp_
    for e, p, s in zip(ema.parameters(), model.parameters(), again, strict=True):
        np.testing.assert_allclose(e.data, s + (1 - decay) * (p.data - s), rtol=1e-6)


def test_a_leaf_that_requires_grad_changes_only_under_no_grad():
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mul_: a leaf tensor that requires grad.*no_grad"):
        p.mul_(2)
    np.testing.assert_array_equal(p.data, [1.0, 2.0])
    with cr.no_grad():
        p.mul_(2)
    np.testing.assert_array_equal(p.data, [2.0, 4.0])
    assert p.requires_grad
    assert p.is_leaf


def test_a_leaf_without_grad_changes_in_any_mode():
    t = cr.tensor([1.0, 2.0])
    t.add_(1)
    np.testing.assert_array_equal(t.data, [2.0, 3.0])


def test_a_tensor_made_by_a_recorded_op_is_refused():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="zero_: this tensor was made by a recorded op"):
        y.zero_()
    np.testing.assert_array_equal(y.data, [3.0, 6.0])
    d = y.detach()  # a leaf
    d.zero_()
    np.testing.assert_array_equal(d.data, [0.0, 0.0])
    # the detached tensor got a new array: y keeps its values (PyTorch's detach shares
    # the storage, so there y would change too)
    np.testing.assert_array_equal(y.data, [3.0, 6.0])


def test_an_operand_that_requires_grad_is_refused_while_recording():
    ema = cr.tensor([0.0, 0.0])
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"lerp_: the operand requires grad.*no_grad"):
        ema.lerp_(p, 0.5)
    with cr.no_grad():
        ema.lerp_(p, 0.5)
    np.testing.assert_array_equal(ema.data, [0.5, 1.0])


def test_values_a_graph_saved_are_not_changed():
    # the gradient of (x·w).sum() with respect to w is x as it was in the forward pass
    x = cr.tensor([1.0, 2.0, 3.0])
    w = cr.tensor([0.5, 0.5, 0.5], requires_grad=True)
    saved = x.data
    y = (x * w).sum()
    x.mul_(10)
    y.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(saved, [1.0, 2.0, 3.0])  # the caller's array untouched
    np.testing.assert_array_equal(x.data, [10.0, 20.0, 30.0])


def test_the_result_keeps_the_shape_and_a_kind_the_dtype_holds():
    t = cr.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"add_: the result has shape \(2, 3\).*\(3,\)"):
        t.add_(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"copy_: a source of shape \(2,\) cannot be broadc"):
        t.copy_(np.ones(2))
    with pytest.raises(ValueError, match="fill_ takes a number or a 0-d tensor"):
        t.fill_(np.ones(3))
    i = cr.tensor(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="add_: a result of dtype float64 cannot be written"):
        i.add_(0.5)
    # copy_ and fill_ cast as PyTorch's do (toward zero for an integer tensor)
    i.copy_(np.array([1.9, -2.9, 3.0]))
    np.testing.assert_array_equal(i.data, [1, -2, 3])
    assert i.dtype == np.int64
    i.fill_(2.7)
    np.testing.assert_array_equal(i.data, [2, 2, 2])
    with pytest.raises(ValueError, match="clamp_: give min, max or both"):
        t.clamp_()


def test_ieee_results_without_warnings():
    t = cr.tensor([1.0, 0.0, -1.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t.div_(0.0)
        np.testing.assert_array_equal(t.data, [np.inf, np.nan, -np.inf, np.nan])
        t.clamp_(-1.0, 1.0)
    np.testing.assert_array_equal(t.data, [1.0, np.nan, -1.0, np.nan])  # NaN stays NaN
    u = cr.tensor([1.0, 5.0])
    u.clamp_(min=3.0, max=2.0)  # min > max: every element is max, as PyTorch's
    np.testing.assert_array_equal(u.data, [2.0, 2.0])


def test_no_array_the_caller_holds_is_written_into():
    held = np.array([1.0, 2.0])
    t = cr.Tensor(held)  # shares the array
    t.mul_(3)
    np.testing.assert_array_equal(held, [1.0, 2.0])
    src = np.array([5.0, 6.0])
    t.copy_(src)
    t.add_(1)
    np.testing.assert_array_equal(src, [5.0, 6.0])


@pytest.mark.parametrize(("method", "args", "kwargs", "numpy"), CASES, ids=map(_ids, CASES))
def test_against_pytorch(method, args, kwargs, numpy):
    torch = pytest.importorskip("torch")
    t = cr.tensor(A, dtype="float64")
    getattr(t, method)(*args, **kwargs)
    targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    ref = torch.tensor(A)
    getattr(ref, method)(*targs, **kwargs)
    np.testing.assert_allclose(t.data, ref.numpy(), rtol=1e-15)


def test_pytorch_refuses_the_same_leaf():
    torch = pytest.importorskip("torch")
    p = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p.mul_(2)


def test_lerp_takes_pytorchs_second_form_from_weight_one_half():
    # weight 1 gives end exactly: 1e8 + 1·(1 − 1e8) rounds to 0 in float32
    x = cr.tensor([1e8], dtype="float32")
    x.lerp_(1.0, 1.0)
    np.testing.assert_array_equal(x.data, [1.0])
    y = cr.tensor([1e8], dtype="float32").lerp(1.0, 1.0)
    np.testing.assert_array_equal(y.data, [1.0])
    # per-element weights choose per element; the values worked by hand
    z = cr.tensor([0.0, 10.0])
    z.lerp_(np.array([10.0, 0.0]), np.array([0.25, 0.75]))
    np.testing.assert_array_equal(z.data, [2.5, 2.5])


def test_lerp_gradients_in_both_forms_against_finite_differences():
    for weight in (0.25, 0.75, np.array([0.1, 0.9, 0.5])):
        a = cr.tensor([1.0, -2.0, 3.0], dtype="float64", requires_grad=True)
        b = cr.tensor([4.0, 0.5, -1.0], dtype="float64", requires_grad=True)
        assert cr.gradcheck(lambda a, b, w=weight: a.lerp(b, w), [a, b])


def test_lerp_against_pytorch_near_both_ends():
    torch = pytest.importorskip("torch")
    start = np.array([1e8, -3e7, 0.5], dtype=np.float32)
    end = np.array([1.0, 2.0, -0.25], dtype=np.float32)
    for weight in (0.0, 0.3, 0.5, 0.7, 1.0):
        ours = cr.tensor(start)
        ours.lerp_(end, weight)
        theirs = torch.tensor(start).lerp_(torch.tensor(end), weight)
        if weight in (0.0, 1.0):  # the two ends exactly
            np.testing.assert_array_equal(ours.data, theirs.numpy())
        else:  # PyTorch's kernel may fuse the multiply-add: an ulp apart
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_an_integer_tensor_refuses_lerp_and_values_it_cannot_hold():
    i = cr.tensor(np.arange(3))
    with pytest.raises(TypeError, match="lerp_: needs a floating tensor, got dtype int64"):
        i.lerp_(1, 0.5)
    with pytest.raises(ValueError, match="fill_: nan cannot be held by a tensor of dtype int64"):
        i.fill_(np.nan)
    with pytest.raises(ValueError, match="cannot be held by a tensor of dtype int32"):
        cr.tensor(np.arange(3, dtype=np.int32)).fill_(1e20)
    np.testing.assert_array_equal(i.data, [0, 1, 2])


@pytest.mark.parametrize("bad", ["2", None, object()])
def test_an_operand_that_is_not_a_number_is_named(bad):
    with pytest.raises(TypeError, match="mul_: the operand must be a number, an array or a"):
        cr.tensor([1.0]).mul_(bad)
