"""PyTorch names a porting user reaches for, each composed of existing ops.

- Tensor methods: numel, dim, square, expand, masked_fill, amax, amin, to.
- Module.to (the device; a dtype only when the module already has it) and nn.Identity.
- Constructors eye and linspace; set_grad_enabled as a call, a block and a decorator.
- prod is not among them: no op composed it with the right gradient where x = 0, so it
  is a primitive of its own (tests/test_prod.py).

Truths: NumPy formulas, finite differences (gradcheck, float64), and PyTorch when installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import chainrule as cr

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch not installed"
)

RNG = np.random.default_rng(15)
X = RNG.standard_normal((3, 4))
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])  # ties in a row and across the whole


def x64(a=X) -> cr.Tensor:
    return cr.tensor(a, dtype="float64", requires_grad=True)


def torch_grad(f, a):
    """Value and gradient of sum(f(t)) in PyTorch, as NumPy arrays."""
    import torch

    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    out = f(t)
    out.sum().backward()
    return out.detach().numpy(), t.grad.numpy()


def our_grad(f, a):
    x = x64(a)
    out = f(x)
    out.sum().backward()
    return out.data, x.grad


# ----- numel, dim ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (0,), (3, 4), (2, 1, 5)])
def test_numel_and_dim_are_size_and_ndim(shape):
    x = cr.zeros(shape)
    assert (x.numel(), x.dim()) == (int(np.prod(shape)), len(shape))
    assert type(x.numel()) is int
    assert type(x.dim()) is int


# ----- square ----------------------------------------------------------------------------------
def test_square_is_x_times_x_with_gradient_2x():
    value, grad = our_grad(lambda x: x.square(), X)
    np.testing.assert_array_equal(value, X * X)
    np.testing.assert_array_equal(grad, 2 * X)
    assert cr.gradcheck(cr.square, [X])
    assert cr.tensor([1.5, -2.0]).square().dtype == np.float32


@needs_torch
def test_square_matches_torch():
    ours, theirs = our_grad(lambda x: x.square(), X), torch_grad(lambda t: t.square(), X)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-15)


# ----- expand ----------------------------------------------------------------------------------
EXPANDS = [((3, 1), (3, 4)), ((3, 1), (-1, 4)), ((3, 1), (2, -1, 5)), ((1,), (2, 3, 0)), ((), (2,))]


@pytest.mark.parametrize(("shape", "sizes"), EXPANDS)
def test_expand_is_broadcast_with_minus_one_kept(shape, sizes):
    a = RNG.standard_normal(shape)
    want = np.broadcast_to(
        a,
        tuple(n if n != -1 else a.shape[i - len(sizes) + len(shape)] for i, n in enumerate(sizes)),
    )
    for got in (x64(a).expand(*sizes), x64(a).expand(sizes)):
        np.testing.assert_array_equal(got.data, want)
    _, grad = our_grad(lambda x: x.expand(*sizes), a)
    np.testing.assert_array_equal(grad, np.full(shape, want.size / max(a.size, 1)))
    assert cr.gradcheck(lambda x: x.expand(*sizes) * 1.5, [a])


@needs_torch
@pytest.mark.parametrize(("shape", "sizes"), EXPANDS)
def test_expand_matches_torch(shape, sizes):
    a = RNG.standard_normal(shape)
    ours, theirs = (
        our_grad(lambda x: x.expand(*sizes), a),
        torch_grad(lambda t: t.expand(*sizes), a),
    )
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ((4,), ValueError, r"1 sizes \(4,\) for a tensor of shape \(3, 1\)"),
        ((4, 1), ValueError, "axis 0 .* has size 3"),
        ((-2, 4), ValueError, "axis 0 .* has size 3"),
        ((-1, -1, 4), ValueError, "new leading axis 0 needs a size >= 0, got -1"),
        ((3, 2.0), TypeError, "sizes must be ints"),
    ],
)
def test_expand_refuses_what_torch_refuses(sizes, error, match):
    with pytest.raises(error, match=match):
        cr.zeros(3, 1).expand(*sizes)


# ----- masked_fill -----------------------------------------------------------------------------
MASK = X > 0.3


def test_masked_fill_is_where_and_the_gradient_skips_the_filled_places():
    value, grad = our_grad(lambda x: x.masked_fill(cr.tensor(MASK), -1.0), X)
    np.testing.assert_array_equal(value, np.where(MASK, -1.0, X))
    np.testing.assert_array_equal(grad, (~MASK).astype(float))
    assert cr.gradcheck(lambda x: x.masked_fill(MASK, 2.0) ** 2, [X])
    assert x64().masked_fill(MASK, 0.0).grad_fn.name == "Where"
    assert "where: ∂/∂x = cond" in cr.explain(x64().masked_fill(MASK, 0.0).sum()).table()


def test_masked_fill_value_tensor_gets_the_sum_of_the_filled_upstream():
    v = cr.tensor(0.5, dtype="float64", requires_grad=True)
    out = cr.masked_fill(x64(), MASK[0], v)  # a (4,) mask broadcast over the rows
    (out * 3.0).sum().backward()
    assert v.grad == 3.0 * 3 * MASK[0].sum()
    assert cr.gradcheck(lambda x, v: x.masked_fill(MASK, v) * x, [X, np.array(0.5)])


def test_masked_fill_keeps_float32_and_broadcasts_a_larger_mask_as_torch():
    out = cr.tensor([1.0, 2.0, 3.0]).masked_fill(np.ones((2, 3), bool), 7)
    assert out.dtype == np.float32
    assert out.shape == (2, 3)


@needs_torch
def test_masked_fill_matches_torch():
    import torch

    mask = torch.tensor(MASK[1])
    ours = our_grad(lambda x: x.masked_fill(cr.tensor(MASK[1]), -2.5) ** 2, X)
    theirs = torch_grad(lambda t: t.masked_fill(mask, -2.5) ** 2, X)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)


def test_masked_fill_refuses_a_float_mask_and_a_value_with_a_shape():
    with pytest.raises(TypeError, match="the mask must be boolean, got float32"):
        cr.zeros(3).masked_fill(cr.ones(3), 1.0)
    with pytest.raises(ValueError, match=r"a number or a 0-d tensor, got shape \(3,\)"):
        cr.zeros(3).masked_fill(np.ones(3, bool), cr.ones(3))


# ----- amax, amin ------------------------------------------------------------------------------
AXES = [None, 0, 1, (0, 1), -1]


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_amax_amin_values_and_tie_sharing(name, axis, keepdims):
    numpy = getattr(np, name)
    for got in (
        getattr(x64(TIES), name)(axis, keepdims),
        getattr(x64(TIES), name)(dim=axis, keepdim=keepdims),
        getattr(cr, name)(x64(TIES), axis, keepdims=keepdims),
    ):
        np.testing.assert_array_equal(got.data, numpy(TIES, axis=axis, keepdims=keepdims))
    _, grad = our_grad(lambda x: getattr(x, name)(axis, keepdims), TIES)
    hits = TIES == numpy(TIES, axis=axis, keepdims=True)
    np.testing.assert_array_equal(grad, hits / hits.sum(axis=axis, keepdims=True))
    assert cr.gradcheck(lambda x: getattr(x, name)(axis, keepdims) ** 2, [X])


@needs_torch
@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("axis", AXES)
def test_amax_amin_match_torch_ties_included(name, axis):
    dim = () if axis is None else axis  # torch.amax's "all axes"
    ours = our_grad(lambda x: getattr(x, name)(dim=axis), TIES)
    theirs = torch_grad(lambda t: getattr(t, name)(dim=dim), TIES)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)


def test_amax_names_itself_in_its_errors():
    with pytest.raises(TypeError, match="amax: the axis was given twice"):
        x64().amax(0, dim=1)
    with pytest.raises(TypeError, match="amin: axis must be None"):
        cr.amin(x64(), 0.5)


# ----- to --------------------------------------------------------------------------------------
@pytest.mark.parametrize("arg", ["float64", np.float64, np.dtype("float64"), "cpu"])
def test_to_casts_a_dtype_and_returns_itself_for_cpu(arg):
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    y = x.to(arg)
    if arg == "cpu":
        assert y is x
        return
    assert y.dtype == np.float64
    assert y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


def test_to_takes_device_and_dtype_together_and_a_tensor_for_its_dtype():
    x = cr.tensor([1.5, 2.5])
    assert x.to("cpu", "float64").dtype == np.float64
    assert x.to(device="cpu:0", dtype="int64").tolist() == [1, 2]
    assert x.to(cr.zeros(1, dtype="float16")).dtype == np.float16
    assert cr.gradcheck(lambda x: x.to("float64").square(), [X])


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_to_another_device_says_cpu_only(device):
    with pytest.raises(ValueError, match="chainrule runs on the CPU only, with NumPy"):
        cr.zeros(2).to(device)
    with pytest.raises(ValueError, match=f"must be 'cpu', got '{device}'"):
        cr.nn.Linear(2, 2).to(device=device)


def test_a_name_that_is_neither_a_dtype_nor_a_device_is_called_so():
    # a misspelt dtype must not be told that chainrule runs on the CPU only
    with pytest.raises(ValueError, match=r"'flot32' is neither a NumPy dtype .* nor a device"):
        cr.zeros(2).to("flot32")


def test_to_refuses_two_dtypes_and_a_text_dtype():
    with pytest.raises(TypeError, match="the dtype was given twice"):
        cr.zeros(2).to("float64", dtype="float32")
    with pytest.raises(TypeError, match="a tensor holds numbers"):
        cr.zeros(2).to(str)


# ----- Module.to, Identity ---------------------------------------------------------------------
def test_module_to_is_the_module_itself_for_cpu_and_its_own_dtype():
    model = cr.nn.Sequential(cr.nn.Linear(3, 2), cr.nn.BatchNorm1d(2))
    assert model.to("cpu") is model
    assert model.to(np.float32) is model
    assert model.to("cpu", dtype="float32") is model
    assert all(p.dtype == np.float32 for p in model.parameters())
    # another dtype casts it in place (tests/nn/test_module_cast.py)


@pytest.mark.parametrize("dtype", ["int64", np.int32, "bool"])
def test_module_to_an_integer_dtype_says_a_floating_one_is_needed(dtype):
    # not "build it after cr.set_default_dtype('int64')", which cannot be done
    model = cr.nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"Module\.to: .* the dtype must be a floating one, got"):
        model.to(dtype)


def test_identity_returns_its_input_and_ignores_arguments():
    layer = cr.nn.Identity(54, unused_argument=0.1)
    x = x64()
    assert layer(x) is x
    model = cr.nn.Sequential(cr.nn.Linear(4, 2, dtype="float64"), cr.nn.Identity())
    assert cr.gradcheck(lambda x: model(x), [X])
    assert repr(layer) == "Identity()"
    assert list(layer.parameters()) == []


# ----- eye, linspace ---------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "m"), [(3, None), (2, 4), (4, 2), (0, None), (2, 0)])
def test_eye_is_numpys_eye_in_float32(n, m):
    got = cr.eye(n, m)
    assert got.dtype == np.float32
    assert got.is_leaf
    assert not got.requires_grad
    np.testing.assert_array_equal(got.data, np.eye(n, m))
    assert cr.eye(n, m, dtype="int64").dtype == np.int64
    assert cr.eye(n, m, dtype="float64", requires_grad=True).requires_grad


@needs_torch
@pytest.mark.parametrize(("n", "m"), [(3, None), (2, 4), (0, 3)])
def test_eye_matches_torch(n, m):
    import torch

    want = torch.eye(n) if m is None else torch.eye(n, m)
    np.testing.assert_array_equal(cr.eye(n, m).data, want.numpy())


LINSPACES = [(0, 1, 5), (-3.0, 7.5, 11), (2, 2, 3), (1, 0, 4), (0, 1, 0), (3, 5, 1)]


@pytest.mark.parametrize(("start", "end", "steps"), LINSPACES)
def test_linspace_is_start_plus_i_times_the_step(start, end, steps):
    got = cr.linspace(start, end, steps)
    assert got.dtype == np.float32
    assert got.shape == (steps,)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    want = np.array([start + i * step for i in range(steps)])
    if steps > 1:
        want[-1] = end
    np.testing.assert_allclose(got.data, want.astype(np.float32), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(cr.linspace(start, end, steps, dtype="float64").data, want)


@needs_torch
@pytest.mark.parametrize(
    ("start", "end", "steps"), [*LINSPACES, (0, 10, 4), (-1, -10, 4), (0, 1, 7)]
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_linspace_matches_torch(start, end, steps, dtype):
    import torch

    want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    got = cr.linspace(start, end, steps, dtype=dtype)
    assert got.dtype == want.dtype
    # PyTorch works in float32 for float32, chainrule in float64 and casts; in float64 the
    # two may round a product differently by an ulp; integers agree exactly
    tolerance = {"float32": 1e-6, "float64": 1e-15, "int64": 0}[dtype]
    np.testing.assert_allclose(got.data, want, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: cr.eye(-1), ValueError, "eye: n must not be negative, got -1"),
        (lambda: cr.eye(2, 2.0), TypeError, "eye: m must be an int"),
        (lambda: cr.linspace(0, 1, -1), ValueError, "steps must not be negative"),
        (lambda: cr.linspace(0, 1, 2.5), TypeError, "steps must be an int"),
        (lambda: cr.linspace(0, "1", 3), TypeError, "start and end must be real numbers"),
        (lambda: cr.linspace(0, 1, 3, dtype=str), TypeError, "a tensor holds numbers"),
    ],
)
def test_eye_and_linspace_refuse_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_linspace_of_an_integer_dtype_truncates_the_ends_then_each_value():
    got = cr.linspace(-3.0, 7.5, 4, dtype="int64")  # -3 to 7: -3, 1/3, 11/3, 7
    np.testing.assert_array_equal(got.data, [-3, 0, 3, 7])
    np.testing.assert_array_equal(cr.linspace(-1, -10, 4, dtype="int64").data, [-1, -4, -7, -10])


def test_linspace_takes_one_element_tensors_as_full_does():
    got = cr.linspace(cr.tensor(1.0), cr.tensor([3.0]), cr.tensor(3, dtype="int64"))
    np.testing.assert_array_equal(got.data, [1.0, 2.0, 3.0])


# ----- set_grad_enabled ------------------------------------------------------------------------
def test_set_grad_enabled_as_a_plain_call_stays_set():
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert not (x64() * 2).requires_grad
        cr.set_grad_enabled(True)
        assert (x64() * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)


@pytest.mark.parametrize("outer", [True, False])
@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_block_restores_the_mode_from_before(outer, mode):
    with cr.set_grad_enabled(outer):
        with cr.set_grad_enabled(mode):
            assert cr.is_grad_enabled() is mode
            assert (x64() * 2).requires_grad is mode
        assert cr.is_grad_enabled() is outer
        with pytest.raises(KeyError), cr.set_grad_enabled(mode):
            raise KeyError
        assert cr.is_grad_enabled() is outer
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_sets_the_mode_only_inside():
    @cr.set_grad_enabled(False)
    def inside():
        return cr.is_grad_enabled()

    assert cr.is_grad_enabled()  # decorating did not turn it off
    assert inside() is False
    assert cr.is_grad_enabled()


@needs_torch
def test_set_grad_enabled_behaves_as_torchs():
    import torch

    def modes(lib, is_enabled):
        seen = []
        with lib.set_grad_enabled(False):
            seen.append(is_enabled())
        seen.append(is_enabled())
        lib.set_grad_enabled(False)
        seen.append(is_enabled())
        lib.set_grad_enabled(True)
        return seen

    assert modes(cr, cr.is_grad_enabled) == modes(torch, torch.is_grad_enabled)


def test_set_grad_enabled_wants_a_bool():
    with pytest.raises(TypeError, match="mode must be True or False, got 'no'"):
        cr.set_grad_enabled("no")
    assert cr.is_grad_enabled()


# ----- masked_fill keeps x's dtype, as PyTorch's -----------------------------------------------
@pytest.mark.parametrize(
    ("x", "value", "expected"),
    [
        (np.arange(3, dtype=np.int64), 1.5, np.array([1, 1, 1])),  # toward 0
        (np.arange(3, dtype=np.int64), -2.7, np.array([-2, 1, -2])),
        (np.ones(3, np.float32), cr.tensor(np.float64(2.0)), np.float32([2, 1, 2])),
        (np.ones(3, np.float32), np.float64(0.1), np.float32([0.1, 1, 0.1])),
    ],
)
def test_masked_fill_keeps_the_dtype_of_x(x, value, expected):
    out = cr.tensor(x).masked_fill(np.array([True, False, True]), value)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.data, expected)


def test_masked_fill_passes_the_gradient_to_a_value_of_another_dtype():
    x = cr.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    v = cr.tensor(np.float64(2.0), requires_grad=True)
    out = x.masked_fill(np.array([True, False, True]), v)
    out.sum().backward()
    assert out.dtype == np.float32
    assert v.grad.dtype == np.float64
    assert v.grad == 4.0  # four elements filled, each with upstream 1


@pytest.mark.parametrize("value", [np.inf, np.nan, 2.0**70])
def test_masked_fill_refuses_a_value_an_integer_tensor_cannot_hold(value):
    with pytest.raises(ValueError, match=r"masked_fill: the value .* does not fit"):
        cr.tensor(np.arange(3)).masked_fill(np.array([True, False, True]), value)


# ----- a PyTorch dtype is told to be written as NumPy's ------------------------------------------
@needs_torch
@pytest.mark.parametrize(
    ("make", "who"),
    [
        (lambda d: cr.zeros(2, dtype=d), "zeros: "),
        (lambda d: cr.ones(2).astype(d), "astype: "),
        (lambda d: cr.ones(2).to(d), "to: "),
        (lambda d: cr.set_default_dtype(d), "set_default_dtype: "),
        (lambda d: cr.nn.Linear(2, 2, dtype=d), "Linear: "),
        (lambda d: cr.tensor([1.0], dtype=d), ""),
    ],
)
def test_a_pytorch_dtype_is_told_to_be_written_as_numpys(make, who):
    import torch

    with pytest.raises(TypeError, match=f"^{who}torch.float64 is PyTorch's dtype.*'float64'"):
        make(torch.float64)
    assert cr.get_default_dtype() == np.float32


@needs_torch
@pytest.mark.parametrize("name", ["bfloat16", "float8_e4m3fn", "complex32"])
def test_a_pytorch_dtype_numpy_lacks_is_not_advised_as_a_numpy_one(name):
    # np.bfloat16 does not exist and 'bfloat16' is no dtype NumPy reads: advising them
    # would send the user from one TypeError to the next
    import torch

    with pytest.raises(TypeError, match=f"^zeros: torch.{name} is PyTorch's") as info:
        cr.zeros(2, dtype=getattr(torch, name))
    assert f"np.{name}" not in str(info.value)
    assert f"'{name}'" not in str(info.value)
    assert "float32" in str(info.value)


def test_a_dtype_numpy_cannot_read_is_named():
    with pytest.raises(TypeError, match=r"BatchNorm1d: <object .*> is not a NumPy dtype"):
        cr.nn.BatchNorm1d(2, dtype=object())


def test_set_default_dtype_refuses_none():
    # np.dtype(None) is float64: None must not quietly switch the default
    with pytest.raises(TypeError, match="set_default_dtype: dtype must be float16, float32"):
        cr.set_default_dtype(None)
    assert cr.get_default_dtype() == np.float32
