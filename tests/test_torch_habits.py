"""PyTorch habits a new user brings, accepted beside chainrule's NumPy names.

- ``dim=`` / ``keepdim=`` for ``axis=`` / ``keepdims=`` wherever an axis is taken (both: a
  TypeError), in the functions and the Tensor methods.
- Tensor methods composed of existing ops: view, flatten, unsqueeze, squeeze, permute,
  clone, float, double, pow, clamp, var and std (``ddof=0`` by default, as NumPy).
- Constructors: zeros, ones, full, zeros_like, ones_like, arange, randn, rand, from_numpy,
  and cat (concatenate).
- Indexing with a float tensor is an IndexError that says how to make an integer one.

Truths: NumPy, finite differences (gradcheck), and PyTorch where it is installed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")

RNG = np.random.default_rng(14)
X = RNG.standard_normal((3, 4, 5))


def x64(requires_grad: bool = False) -> cr.Tensor:
    return cr.tensor(X, dtype="float64", requires_grad=requires_grad)


# ----- dim= and keepdim= -----------------------------------------------------------------------
REDUCTIONS = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "argmax": np.argmax,
    "argmin": np.argmin,
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_take_dim_and_keepdim_as_functions_and_methods(name, keepdim):
    want = REDUCTIONS[name](X, axis=1, keepdims=keepdim)
    for got in (
        getattr(cr, name)(x64(), dim=1, keepdim=keepdim),
        getattr(x64(), name)(dim=1, keepdim=keepdim),
        getattr(x64(), name)(1, keepdim=keepdim),
    ):
        np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std"])
def test_dim_takes_a_tuple_and_none_as_axis_does(name):
    for dim in [(0, 2), None, -1]:
        want = getattr(np, name)(X, axis=dim)
        np.testing.assert_allclose(getattr(x64(), name)(dim=dim).data, want, rtol=1e-12)


def test_logsumexp_and_norm_take_dim_and_keepdim():
    from chainrule.nn import functional as F

    m = X.max(axis=2, keepdims=True)
    want = np.log(np.exp(X - m).sum(axis=2, keepdims=True)) + m
    np.testing.assert_allclose(F.logsumexp(x64(), dim=2, keepdim=True).data, want)
    np.testing.assert_allclose(F.norm(x64(), dim=0).data, np.linalg.norm(X, axis=0))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_takes_dim(name):
    want = getattr(cr, name)(x64(), axis=1).data
    np.testing.assert_array_equal(getattr(cr, name)(x64(), dim=1).data, want)
    np.testing.assert_array_equal(getattr(x64(), name)(dim=1).data, want)
    e = np.exp(X - X.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.exp(want) if name == "log_softmax" else want, p, rtol=1e-12)


@pytest.mark.parametrize("join", ["concatenate", "cat", "stack"])
def test_joins_take_dim(join):
    a, b = X[0], X[1]
    numpy_join = np.stack if join == "stack" else np.concatenate
    got = getattr(cr, join)([cr.tensor(a), cr.tensor(b)], dim=1)
    np.testing.assert_array_equal(got.data, numpy_join([a, b], axis=1))


def test_cat_is_concatenate():
    assert cr.cat is cr.concatenate


CALLS_WITH_BOTH = [
    ("sum", lambda t: t.sum(0, dim=1)),
    ("sum", lambda t: cr.sum(t, axis=0, dim=1)),
    ("mean", lambda t: t.mean(keepdims=True, keepdim=True)),
    ("max", lambda t: cr.max(t, 2, dim=1)),
    ("min", lambda t: t.min(axis=0, dim=0)),
    ("argmax", lambda t: t.argmax(0, dim=1)),
    ("argmin", lambda t: cr.argmin(t, 1, True, keepdim=False)),
    ("softmax", lambda t: cr.softmax(t, 0, dim=1)),
    ("log_softmax", lambda t: t.log_softmax(axis=1, dim=0)),
    ("concatenate", lambda t: cr.cat([t, t], 1, dim=0)),
    ("stack", lambda t: cr.stack([t, t], axis=1, dim=0)),
    ("var", lambda t: t.var(0, dim=1)),
    ("std", lambda t: t.std(ddof=1, correction=1)),
]


@pytest.mark.parametrize(("op", "call"), CALLS_WITH_BOTH, ids=[c[0] for c in CALLS_WITH_BOTH])
def test_an_argument_given_by_both_names_is_a_typeerror_naming_the_op(op, call):
    with pytest.raises(TypeError, match=rf"^{op}: .* given twice.*give one of them"):
        call(x64())


@needs_torch
@pytest.mark.parametrize("name", ["sum", "mean", "logsumexp", "softmax", "log_softmax"])
def test_dim_keepdim_values_and_gradients_match_pytorch(name):
    kw = {"dim": 1} if "softmax" in name else {"dim": 1, "keepdim": True}
    w = RNG.standard_normal(X.shape)
    t = torch.tensor(X, requires_grad=True)
    (
        getattr(torch, name)(t, **kw) * torch.tensor(w[:, :1] if kw.get("keepdim") else w)
    ).sum().backward()
    x = x64(requires_grad=True)
    fn = getattr(cr.nn.functional, name) if name == "logsumexp" else getattr(cr, name)
    out = fn(x, **kw)
    np.testing.assert_allclose(out.data, getattr(torch, name)(t, **kw).detach().numpy())
    (out * (w[:, :1] if kw.get("keepdim") else w)).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10)


# ----- methods composed of the ops ------------------------------------------------------------
SHAPE_CHANGES = [
    ("view", lambda t: t.view(4, 15), lambda a: a.reshape(4, 15)),
    ("view_tuple", lambda t: t.view((-1, 5)), lambda a: a.reshape(-1, 5)),
    ("flatten", lambda t: t.flatten(), lambda a: a.reshape(-1)),
    ("flatten_1", lambda t: t.flatten(1), lambda a: a.reshape(3, 20)),
    ("flatten_0_1", lambda t: t.flatten(0, 1), lambda a: a.reshape(12, 5)),
    ("flatten_neg", lambda t: t.flatten(-2, -1), lambda a: a.reshape(3, 20)),
    ("unsqueeze_0", lambda t: t.unsqueeze(0), lambda a: a[None]),
    ("unsqueeze_end", lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    ("unsqueeze_3", lambda t: t.unsqueeze(3), lambda a: np.expand_dims(a, 3)),
    ("unsqueeze_fn", lambda t: cr.ops.unsqueeze(t, dim=1), lambda a: np.expand_dims(a, 1)),
    ("squeeze", lambda t: t.reshape(3, 1, 4, 1, 5).squeeze(), lambda a: a),
    ("squeeze_dim", lambda t: t.reshape(3, 1, 4, 1, 5).squeeze(1), lambda a: a[:, :, None]),
    ("squeeze_tuple", lambda t: t.reshape(1, 3, 1, 20).squeeze((0, 2)), lambda a: a.reshape(3, 20)),
    ("squeeze_not_1", lambda t: t.squeeze(0), lambda a: a),
    ("permute", lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("permute_tuple", lambda t: t.permute((1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    ("clone", lambda t: t.clone(), lambda a: a),
]


@pytest.mark.parametrize(
    ("name", "ours", "numpy"), SHAPE_CHANGES, ids=[c[0] for c in SHAPE_CHANGES]
)
def test_shape_methods_match_numpy_and_gradcheck(name, ours, numpy):
    np.testing.assert_array_equal(ours(x64()).data, numpy(X))
    assert cr.gradcheck(lambda x: ours(x) * ours(x), [X])


def test_flatten_and_squeeze_of_0d_and_size_1_tensors_as_pytorch():
    assert cr.tensor(2.0).flatten().shape == (1,)
    assert cr.tensor([[2.0]]).squeeze().shape == ()
    assert cr.tensor([[2.0]]).unsqueeze(1).shape == (1, 1, 1)


def test_shape_method_errors_name_the_op_and_the_shape():
    t = x64()
    with pytest.raises(np.exceptions.AxisError, match=r"unsqueeze: axis 4 .* 4 dimensions"):
        t.unsqueeze(4)
    with pytest.raises(
        ValueError, match=r"flatten: start_dim 2 comes after end_dim 1 .*\(3, 4, 5\)"
    ):
        t.flatten(2, 1)
    with pytest.raises(ValueError, match=r"permute: .*\(1, 0\) .*shape \(3, 4, 5\).* 3 axes"):
        t.permute(1, 0)
    with pytest.raises(ValueError, match="permute"):
        t.permute()


@needs_torch
def test_shape_methods_match_pytorch():
    a = torch.tensor(X)
    t = x64()
    pairs = [
        (t.view(4, 15), a.view(4, 15)),
        (t.flatten(), a.flatten()),
        (t.flatten(1), a.flatten(1)),
        (t.flatten(0, -2), a.flatten(0, -2)),
        (t.unsqueeze(-2), a.unsqueeze(-2)),
        (t.reshape(3, 1, 20, 1).squeeze(), a.reshape(3, 1, 20, 1).squeeze()),
        (t.reshape(3, 1, 20, 1).squeeze(-1), a.reshape(3, 1, 20, 1).squeeze(-1)),
        (t.squeeze(0), a.squeeze(0)),  # an axis whose size is not 1 is left
        (t.permute(1, 2, 0), a.permute(1, 2, 0)),
        (t.clamp(-0.5, 0.5), a.clamp(-0.5, 0.5)),
        (t.clamp(min=0.0), a.clamp(min=0.0)),
        (t.clamp(max=0.1), a.clamp(max=0.1)),
        (t.pow(3), a.pow(3)),
    ]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)


def test_clone_owns_its_memory_and_passes_the_gradient():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    assert y.dtype == x.dtype
    assert not np.shares_memory(y.data, x.data)
    assert y.grad_fn is not None  # in the graph, unlike detach()
    (y * cr.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 10.0, 100.0])
    labels = cr.tensor([1, 2], dtype="int64")
    copy = labels.clone()
    assert copy.dtype == np.int64
    assert not np.shares_memory(copy.data, labels.data)


def test_float_and_double_cast_and_stay_differentiable():
    x = cr.tensor([1.5, 2.5], dtype="float64", requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    assert x.double().dtype == np.float64
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert cr.tensor([1, 2], dtype="int64").float().dtype == np.float32


def test_pow_and_clamp_are_the_operators_ops():
    x = cr.tensor([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.pow(2).data, (x**2).data)
    np.testing.assert_array_equal(x.pow(x).data, (x**x).data)
    np.testing.assert_array_equal(x.clamp(-1, 1).data, np.clip(x.data, -1, 1))
    np.testing.assert_array_equal(x.clamp(min=0).data, [0.0, 0.5, 3.0])
    assert cr.gradcheck(lambda x: x.clamp(-1.0, 1.0) * x.pow(2), [np.array([-2.0, 0.5, 3.0])])


# ----- var and std ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_var_and_std_match_numpy(name, axis, ddof, keepdims):
    want = getattr(np, name)(X, axis=axis, ddof=ddof, keepdims=keepdims)
    for got in (
        getattr(x64(), name)(axis, keepdims, ddof),
        getattr(cr, name)(x64(), axis=axis, keepdims=keepdims, ddof=ddof),
        getattr(x64(), name)(dim=axis, keepdim=keepdims, correction=ddof),
    ):
        assert got.shape == want.shape
        np.testing.assert_allclose(got.data, want, rtol=1e-12)


def test_var_defaults_to_numpy_ddof_0_and_keeps_float32():
    x = cr.tensor(X, dtype="float32")
    assert x.var().dtype == np.float32
    assert x.std(0).dtype == np.float32
    np.testing.assert_allclose(x.var().data, np.var(X.astype(np.float32)), rtol=1e-5)
    np.testing.assert_allclose(x.std(1).data, np.std(X.astype(np.float32), axis=1), rtol=1e-5)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_var_and_std_gradcheck(name, axis):
    assert cr.gradcheck(lambda x: getattr(x, name)(axis, ddof=1), [X])
    assert cr.gradcheck(lambda x: getattr(cr, name)(x, axis, keepdims=True), [X])


def test_var_of_too_few_elements_is_inf_or_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(cr.tensor([1.0]).var(ddof=1).item())
        assert np.isinf(cr.tensor([1.0, 2.0]).var(ddof=2).item())


@needs_torch
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("correction", [0, 1])
def test_var_and_std_values_and_gradients_match_pytorch(name, correction):
    t = torch.tensor(X, requires_grad=True)
    w = RNG.standard_normal((3, 5))
    theirs = getattr(t, name)(dim=1, correction=correction)
    (theirs * torch.tensor(w)).sum().backward()
    x = x64(requires_grad=True)
    ours = getattr(x, name)(dim=1, correction=correction)
    (ours * w).sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10)


@needs_torch
def test_std_of_a_constant_has_pytorchs_gradient():
    t = torch.ones(3, dtype=torch.float64, requires_grad=True)
    t.std().backward()
    x = cr.tensor(np.ones(3), requires_grad=True)
    x.std(ddof=1).backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())  # 0, not NaN


# ----- constructors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "want"),
    [
        (lambda **kw: cr.zeros(2, 3, **kw), np.zeros((2, 3))),
        (lambda **kw: cr.zeros((2, 3), **kw), np.zeros((2, 3))),
        (lambda **kw: cr.ones(4, **kw), np.ones(4)),
        (lambda **kw: cr.full((2, 2), 7, **kw), np.full((2, 2), 7.0)),
        (lambda **kw: cr.zeros_like(np.empty((3, 1), np.float32), **kw), np.zeros((3, 1))),
        (lambda **kw: cr.ones_like(cr.tensor([1.0, 2.0]), **kw), np.ones(2)),
        (lambda **kw: cr.arange(0.0, 1.0, 0.25, **kw), np.arange(0.0, 1.0, 0.25)),
    ],
)
def test_constructors_give_the_default_float_a_dtype_and_requires_grad(make, want):
    t = make()
    assert t.dtype == np.float32
    assert t.is_leaf
    assert not t.requires_grad
    np.testing.assert_array_equal(t.data, want)
    assert make(dtype="float64").dtype == np.float64
    assert make(requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="only floating tensors can require gradients"):
        make(dtype="int64", requires_grad=True)


def test_like_constructors_keep_the_dtype_of_what_they_copy_the_shape_of():
    labels = cr.tensor([[1, 2, 3]], dtype="int64")
    assert cr.zeros_like(labels).dtype == np.int64
    assert cr.ones_like(labels).shape == (1, 3)
    assert cr.zeros_like(cr.tensor([1.0], dtype="float64")).dtype == np.float64


def test_arange_of_integers_is_int64_and_indexes_as_in_pytorch():
    r = cr.arange(4)
    assert r.dtype == np.int64
    np.testing.assert_array_equal(r.data, [0, 1, 2, 3])
    np.testing.assert_array_equal(cr.arange(2, 10, 3).data, [2, 5, 8])
    logits = cr.tensor(np.arange(12.0).reshape(4, 3))
    picked = logits[cr.arange(4), cr.tensor([0, 2, 1, 0], dtype="int64")]
    np.testing.assert_array_equal(picked.data, [0.0, 5.0, 7.0, 9.0])


@pytest.mark.parametrize(("name", "draw"), [("randn", "standard_normal"), ("rand", "random")])
def test_random_constructors_use_the_seeded_generator_or_the_one_given(name, draw):
    make = getattr(cr, name)
    cr.manual_seed(3)
    a = make(2, 3)
    want = getattr(np.random.default_rng(3), draw)((2, 3), dtype=np.float32)
    assert a.dtype == np.float32
    assert a.shape == (2, 3)
    np.testing.assert_array_equal(a.data, want)
    cr.manual_seed(3)
    np.testing.assert_array_equal(make((2, 3)).data, a.data)
    given = make(5, generator=np.random.default_rng(7), dtype="float64")
    want64 = getattr(np.random.default_rng(7), draw)(5, dtype=np.float64)
    np.testing.assert_array_equal(given.data, want64)
    assert make(2, dtype="float16").dtype == np.float16
    assert make(2, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match=f"{name}: samples are floating"):
        make(2, dtype="int64")
    with pytest.raises(TypeError, match=f"{name}: generator must be a numpy.random.Generator"):
        make(2, generator=0)


def test_rand_is_in_the_unit_interval():
    u = cr.rand(1000, generator=np.random.default_rng(0))
    assert 0.0 <= u.data.min()
    assert u.data.max() < 1.0


def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3, dtype=np.int32)
    t = cr.from_numpy(a)
    assert t.dtype == np.int32
    assert np.shares_memory(t.data, a)
    a[0] = 5
    t.data[1] = 7
    np.testing.assert_array_equal(a, [5, 7, 0])
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array, got list"):
        cr.from_numpy([1.0, 2.0])


@needs_torch
def test_constructors_match_pytorch_shapes_and_values():
    pairs = [
        (cr.zeros(2, 3), torch.zeros(2, 3)),
        (cr.ones((3,)), torch.ones((3,))),
        (cr.full((2, 1), 0.5), torch.full((2, 1), 0.5)),
        (cr.arange(5), torch.arange(5)),
        (cr.arange(1.0, 2.0, 0.5), torch.arange(1.0, 2.0, 0.5)),
        (cr.zeros_like(cr.ones(2, 2)), torch.zeros_like(torch.ones(2, 2))),
    ]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# ----- indexing with a float tensor -----------------------------------------------------------
@pytest.mark.parametrize(
    ("index", "what", "dtype"),
    [
        (lambda: cr.tensor([0, 1]), "tensor", "float32"),
        (lambda: cr.tensor(1.0), "tensor", "float32"),
        (lambda: np.array([0.0, 1.0]), "array", "float64"),
        (lambda: [0.0, 1.0], "list", "float64"),
        (lambda: (slice(None), cr.tensor([0, 1])), "tensor", "float32"),
    ],
)
def test_a_float_index_is_an_indexerror_saying_how_to_make_an_integer_one(index, what, dtype):
    w = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(IndexError) as e:
        w[index()]
    message = str(e.value)
    assert f"index: the index {what} is {dtype}" in message
    assert "cr.tensor([0, 1], dtype='int64')" in message
    assert "Python lists become float32 tensors" in message


def test_integer_and_boolean_tensors_still_index():
    w = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(w[cr.tensor([1, 0], dtype="int64")].data, [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(w[cr.tensor([True, False], dtype="bool")].data, [[0, 1, 2]])
    np.testing.assert_array_equal(w[[1, 1]].data, [[3, 4, 5], [3, 4, 5]])
    w[[]].sum().backward()


@needs_torch
def test_pytorch_also_refuses_a_float_index():
    with pytest.raises(IndexError):
        torch.zeros(3)[torch.tensor([0.0, 1.0])]


# ----- nn.ModuleList --------------------------------------------------------------------------
class Tower(cr.nn.Module):
    def __init__(self):
        self.blocks = cr.nn.ModuleList([cr.nn.Linear(3, 3) for _ in range(2)])
        self.head = cr.nn.Linear(3, 1)

    def forward(self, x):
        for block in self.blocks:
            x = block(x).relu()
        return self.head(x)


def test_modulelist_parameters_are_found_and_named_by_position():
    model = Tower()
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "head.weight",
        "head.bias",
    ]
    assert list(model.state_dict()) == names
    model(np.ones((2, 3), np.float32)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_modulelist_list_methods():
    a, b, c, d = (cr.nn.Linear(2, 2) for _ in range(4))
    ml = cr.nn.ModuleList()
    assert len(ml) == 0
    ml.append(a).extend([c])
    ml.insert(1, b)
    ml += [d]
    assert list(ml) == [a, b, c, d]
    assert ml[0] is a
    assert ml[-1] is d
    assert len(ml) == 4
    part = ml[1:3]
    assert isinstance(part, cr.nn.ModuleList)
    assert list(part) == [b, c]
    assert [n for n, _ in part.named_parameters()][:1] == ["0.weight"]
    ml[0] = d
    del ml[1]
    assert ml.pop() is d
    assert list(ml) == [d, c]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_modulelist_errors_name_it():
    ml = cr.nn.ModuleList([cr.nn.ReLU()])
    with pytest.raises(TypeError, match="ModuleList: layer 1 is a str, not a Module"):
        cr.nn.ModuleList([cr.nn.ReLU(), "relu"])
    with pytest.raises(TypeError, match=r"ModuleList\.append: a int is not a Module"):
        ml.append(3)
    with pytest.raises(IndexError, match="ModuleList: index 5 is out of range for 1 layers"):
        ml[5]
    with pytest.raises(NotImplementedError, match=r"ModuleList\.forward is not implemented"):
        ml(np.ones(2))


def test_sequential_slices_stay_plain_sequentials():
    class Named(cr.nn.Sequential):
        def __init__(self, width):
            super().__init__(cr.nn.Linear(width, width), cr.nn.ReLU())

    part = Named(2)[:1]
    assert type(part) is cr.nn.Sequential
    assert len(part) == 1


@needs_torch
def test_modulelist_state_dict_keys_match_pytorch():
    theirs = torch.nn.ModuleList([torch.nn.Linear(3, 3) for _ in range(2)])
    ours = cr.nn.ModuleList([cr.nn.Linear(3, 3) for _ in range(2)])
    assert list(ours.state_dict()) == list(theirs.state_dict())
