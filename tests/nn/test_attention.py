"""scaled_dot_product_attention and MultiheadAttention: values against softmax(Q·Kᵀ·scale +
mask)·V worked with NumPy in the test, gradients by finite differences in float64, and
PyTorch's outputs, weights, gradients, state dict keys and shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

F = nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _torch():
    return pytest.importorskip("torch")


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _expected(q, k, v, mask=None, scale=None) -> np.ndarray:
    """softmax(q·kᵀ·scale + mask)·v with NumPy; a boolean mask adds −inf where False."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = np.einsum("...le,...se->...ls", q, k) * scale
    if mask is not None:
        scores = scores + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    return np.einsum("...ls,...sv->...lv", _softmax(scores), v)


def _qkv(batch=(2, 3), length=4, source=5, e=6, ev=7, seed=0):
    rng = _rng(seed)
    q = rng.standard_normal((*batch, length, e))
    return q, rng.standard_normal((*batch, source, e)), rng.standard_normal((*batch, source, ev))


def _bool_mask(shape, seed=1) -> np.ndarray:
    m = _rng(seed).random(shape) > 0.4
    m[..., 0] = True  # every row keeps a key
    return m


# ----- the formula ------------------------------------------------------------------------------
SDPA_CASES = {
    "plain": ((2, 3), {}),
    "unbatched": ((), {}),
    "bool-mask": ((2, 3), {"attn_mask": _bool_mask((4, 5))}),
    "bool-mask-per-head": ((2, 3), {"attn_mask": _bool_mask((3, 4, 5))}),
    "float-mask": ((2, 3), {"attn_mask": _rng(2).standard_normal((2, 1, 4, 5))}),
    "scale": ((2,), {"scale": 0.3}),
}


@pytest.mark.parametrize(("batch", "options"), SDPA_CASES.values(), ids=SDPA_CASES.keys())
def test_sdpa_matches_the_formula(batch, options):
    q, k, v = _qkv(batch)
    out = F.scaled_dot_product_attention(q, k, v, **options)
    want = _expected(q, k, v, options.get("attn_mask"), options.get("scale"))
    assert out.shape == (*batch, 4, 7)
    np.testing.assert_allclose(out.data, want, **TOL)


@pytest.mark.parametrize(("length", "source"), [(4, 4), (6, 5), (3, 5)])
def test_sdpa_causal_is_the_top_left_lower_triangle(length, source):
    q, k, v = _qkv((2,), length, source)
    causal = np.arange(length)[:, None] >= np.arange(source)[None, :]  # query i sees keys ≤ i
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    np.testing.assert_allclose(out.data, _expected(q, k, v, causal), **TOL)
    np.testing.assert_allclose(out.data[:, 0], v[:, 0], **TOL)  # the first query sees key 0


def test_sdpa_row_with_every_pair_masked_is_zero_with_zero_gradient():
    q, k, v = (cr.Tensor(a, requires_grad=True) for a in _qkv((2,)))
    mask = _bool_mask((4, 5))
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    out.sum().backward()
    assert np.all(out.data[:, 1] == 0)
    assert np.all(q.grad[:, 1] == 0)
    assert np.isfinite(k.grad).all()
    assert np.isfinite(v.grad).all()


def test_sdpa_dropout_uses_the_generator():
    q, k, v = _qkv((2,))
    p = 0.4
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, generator=_rng(7))
    weights = _softmax(np.einsum("...le,...se->...ls", q, k) / math.sqrt(6))
    kept = _rng(7).random(weights.shape) >= p  # dropout's draw from the same generator
    want = np.einsum("...ls,...sv->...lv", weights * kept / (1 - p), v)
    np.testing.assert_allclose(out.data, want, **TOL)


def test_sdpa_grouped_query_heads_share_key_heads():
    q, _, _ = _qkv((2, 4))
    _, k, v = _qkv((2, 2), seed=1)
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    repeated = [np.repeat(a, 2, axis=1) for a in (k, v)]  # heads 0, 0, 1, 1
    np.testing.assert_allclose(out.data, _expected(q, *repeated), **TOL)


# ----- gradients by finite differences ----------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [{}, {"attn_mask": _bool_mask((4, 5))}, {"is_causal": True}, {"scale": 0.7}],
    ids=["plain", "bool-mask", "causal", "scale"],
)
def test_sdpa_gradients_by_finite_differences(options):
    q, k, v = _qkv((2,), e=3, ev=2)
    assert cr.gradcheck(lambda *t: F.scaled_dot_product_attention(*t, **options), [q, k, v])


def test_sdpa_gradient_of_a_float_mask_by_finite_differences():
    q, k, v = _qkv((2,), e=3, ev=2)
    mask = _rng(3).standard_normal((4, 5))
    assert cr.gradcheck(
        lambda *t: F.scaled_dot_product_attention(*t[:3], attn_mask=t[3]), [q, k, v, mask]
    )


MHA_NAMES = ["in_proj_weight", "in_proj_bias"]


def _mha_function(layer, names):
    """f(query, key, value, *params) running ``layer`` with gradcheck's inputs as its
    parameters (the output projection's given as ``out_proj.weight``)."""

    def f(q, k, v, *params):
        for name, p in zip(names, params):
            owner, attr = (
                (layer.out_proj, name[9:]) if name.startswith("out_proj.") else (layer, name)
            )
            setattr(owner, attr, p)
        return layer(q, k, v, key_padding_mask=np.array([[False, False, True], [False] * 3]))[0]

    return f


@pytest.mark.parametrize("dims", [(None, None), (3, 2)], ids=["packed", "kdim-vdim"])
def test_multihead_attention_gradients_by_finite_differences(dims):
    layer = nn.MultiheadAttention(
        4, 2, kdim=dims[0], vdim=dims[1], dtype="float64", generator=_rng()
    )
    names = [n for n, _ in layer.named_parameters()]
    params = [p.data.copy() for _, p in layer.named_parameters()]
    rng = _rng(1)
    q = rng.standard_normal((2, 2, 4))
    k, v = rng.standard_normal((3, 2, layer.kdim)), rng.standard_normal((3, 2, layer.vdim))
    assert cr.gradcheck(_mha_function(layer, names), [q, k, v, *params])


# ----- the layer: parameters, shapes and errors -------------------------------------------------
def test_multihead_attention_init_is_pytorchs():
    e = 16
    layer = nn.MultiheadAttention(e, 4, generator=_rng())
    xavier = math.sqrt(6 / (e + 3 * e))
    w = layer.in_proj_weight.data
    assert w.shape == (3 * e, e)
    assert np.abs(w).max() <= xavier
    assert np.abs(w).max() > 0.8 * xavier
    out = layer.out_proj.weight.data
    assert np.abs(out).max() <= 1 / math.sqrt(e)
    assert np.abs(out).max() > 0.8 / math.sqrt(e)
    assert not layer.in_proj_bias.data.any()
    assert not layer.out_proj.bias.data.any()


def test_multihead_attention_parameters_without_bias_and_with_kdim():
    layer = nn.MultiheadAttention(4, 2, bias=False, kdim=3, vdim=5)
    shapes = {n: v.shape for n, v in layer.state_dict().items()}
    want = {
        "q_proj_weight": (4, 4),
        "k_proj_weight": (4, 3),
        "v_proj_weight": (4, 5),
        "out_proj.weight": (4, 4),
    }
    assert shapes == want
    assert list(shapes) == list(want)


def test_multihead_attention_eval_ignores_dropout_and_training_draws_from_the_generator():
    x = _rng(1).standard_normal((3, 2, 4))
    layer = nn.MultiheadAttention(4, 2, dropout=0.5, dtype="float64", generator=_rng())
    first, _ = layer(x, x, x)
    layer.generator = _rng(5)
    again, _ = layer(x, x, x)
    assert not np.allclose(first.data, again.data)
    layer.generator = _rng(5)  # the same draws again: the masks come from this generator
    np.testing.assert_array_equal(layer(x, x, x)[0].data, again.data)
    layer.eval()
    plain, _ = layer(x, x, x)
    layer.dropout = 0.0
    np.testing.assert_allclose(layer(x, x, x)[0].data, plain.data, **TOL)


ERRORS = {
    "heads": (
        lambda: nn.MultiheadAttention(10, 3),
        "embed_dim 10 must be divisible by num_heads 3",
    ),
    "bias_kv": (lambda: nn.MultiheadAttention(4, 2, add_bias_kv=True), "add_bias_kv"),
    "zero_attn": (lambda: nn.MultiheadAttention(4, 2, add_zero_attn=True), "add_zero_attn"),
    "embed": (
        lambda: nn.MultiheadAttention(4, 2)(
            np.ones((3, 2, 5)), np.ones((3, 2, 4)), np.ones((3, 2, 4))
        ),
        r"embed_dim 4.*\(3, 2, 5\)",
    ),
    "batch": (
        lambda: nn.MultiheadAttention(4, 2)(
            np.ones((3, 2, 4)), np.ones((3, 1, 4)), np.ones((3, 1, 4))
        ),
        r"differ.*\(3, 1, 4\)",
    ),
    "padding": (
        lambda: nn.MultiheadAttention(4, 2)(
            *[np.ones((3, 2, 4))] * 3, key_padding_mask=np.ones((3, 2), bool)
        ),
        r"key_padding_mask must have shape \(2, 3\), got \(3, 2\)",
    ),
    "attn_mask": (
        lambda: nn.MultiheadAttention(4, 2)(
            *[np.ones((3, 2, 4))] * 3, attn_mask=np.ones((2, 3, 3), bool)
        ),
        r"attn_mask must have shape \(3, 3\) or \(4, 3, 3\), got \(2, 3, 3\)",
    ),
    "hint": (
        lambda: nn.MultiheadAttention(4, 2)(*[np.ones((3, 2, 4))] * 3, is_causal=True),
        "needs attn_mask",
    ),
    "sdpa-mask": (
        lambda: F.scaled_dot_product_attention(*_qkv((2,)), attn_mask=np.ones((3, 5), bool)),
        r"scaled_dot_product_attention: attn_mask of shape \(3, 5\) does not broadcast.*\(4, 5\)",
    ),
    "sdpa-causal": (
        lambda: F.scaled_dot_product_attention(
            *_qkv((2,)), attn_mask=np.ones((4, 5), bool), is_causal=True
        ),
        "not both",
    ),
    "sdpa-shapes": (
        lambda: F.scaled_dot_product_attention(np.ones((4, 3)), np.ones((5, 2)), np.ones((5, 2))),
        r"query \(4, 3\), key \(5, 2\)",
    ),
    "sdpa-gqa": (
        lambda: F.scaled_dot_product_attention(
            np.ones((3, 4, 6)), np.ones((2, 5, 6)), np.ones((2, 5, 6)), enable_gqa=True
        ),
        r"enable_gqa.*query \(3, 4, 6\) and \(2, 5, 6\)",
    ),
}


@pytest.mark.parametrize(("make", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_bad_shapes_and_settings_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ----- PyTorch ----------------------------------------------------------------------------------
DTYPES = {"float64": 1e-10, "float32": 1e-5}

SDPA_TORCH = {
    "plain": {},
    "bool-mask": {"attn_mask": _bool_mask((3, 4, 5))},
    "float-mask": {"attn_mask": _rng(4).standard_normal((4, 5))},
    "causal": {"is_causal": True},
    "scale": {"scale": 1.7},
    "gqa": {"enable_gqa": True},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", SDPA_TORCH.values(), ids=SDPA_TORCH.keys())
def test_sdpa_matches_torch(options, dtype):
    torch = _torch()
    q, k, v = (a.astype(dtype) for a in _qkv((2, 3)))
    if options.get("enable_gqa"):
        k, v = k[:, :1], v[:, :1]
    ours = [cr.Tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    mask = options.get("attn_mask")
    given = {
        **options,
        "attn_mask": None if mask is None else mask.astype(dtype) if mask.dtype != bool else mask,
    }
    out = F.scaled_dot_product_attention(*ours, **given)
    given["attn_mask"] = None if mask is None else torch.tensor(given["attn_mask"])
    want = torch.nn.functional.scaled_dot_product_attention(*theirs, **given)
    grad = _rng(9).standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    want.backward(torch.tensor(grad))
    tol = {"rtol": DTYPES[dtype], "atol": DTYPES[dtype]}
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.data, want.detach().numpy(), **tol)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol)


def test_sdpa_fully_masked_row_matches_torch():
    torch = _torch()
    q, k, v = _qkv((2,))
    mask = _bool_mask((4, 5))
    mask[2] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    want = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, (q, k, v, mask)))
    np.testing.assert_allclose(out.data, want.numpy(), **TOL)


MHA_TORCH = {
    "seq-first": {},
    "batch-first": {"batch_first": True},
    "unbatched": {"unbatched": True},
    "kdim-vdim": {"kdim": 3, "vdim": 5},
    "unbatched-kdim": {"kdim": 3, "vdim": 5, "unbatched": True, "batch_first": True},
    "no-bias": {"bias": False, "batch_first": True},
}
MASKS = {
    "none": {},
    "bool": {"key_padding_mask": bool, "attn_mask": bool},
    "float": {"key_padding_mask": float, "attn_mask": float},
    "per-head": {"attn_mask": "heads"},
}


def _torch_layer(torch, settings, dtype):
    kwargs = {k: v for k, v in settings.items() if k != "unbatched"}
    return torch.nn.MultiheadAttention(8, 2, dtype=getattr(torch, dtype), **kwargs)


def _mha_inputs(settings, dtype, n=2, length=3, source=4):
    rng = _rng(11)

    def one(size, features):
        if settings.get("unbatched"):
            shape = (size, features)
        else:
            shape = (n, size, features) if settings.get("batch_first") else (size, n, features)
        return rng.standard_normal(shape).astype(dtype)

    kdim, vdim = settings.get("kdim", 8), settings.get("vdim", 8)
    return one(length, 8), one(source, kdim), one(source, vdim)


def _masks(kinds, settings, dtype, n=2, length=3, source=4):
    rng = _rng(12)
    out = {}
    padding = (source,) if settings.get("unbatched") else (n, source)
    if kinds.get("key_padding_mask") is bool:
        out["key_padding_mask"] = ~_bool_mask(padding, 13)  # True: left out; key 0 kept
    elif kinds.get("key_padding_mask") is float:
        out["key_padding_mask"] = rng.standard_normal(padding).astype(dtype)
    attn = kinds.get("attn_mask")
    if attn is bool:
        out["attn_mask"] = ~_bool_mask((length, source), 14)
    elif attn is float:
        out["attn_mask"] = rng.standard_normal((length, source)).astype(dtype)
    elif attn == "heads":
        heads = 2 if settings.get("unbatched") else 2 * n
        out["attn_mask"] = rng.standard_normal((heads, length, source)).astype(dtype)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("average", [True, False], ids=["averaged", "per-head"])
@pytest.mark.parametrize("kinds", MASKS.values(), ids=MASKS.keys())
@pytest.mark.parametrize("settings", MHA_TORCH.values(), ids=MHA_TORCH.keys())
def test_multihead_attention_matches_torch(settings, kinds, average, dtype):
    torch = _torch()
    theirs = _torch_layer(torch, settings, dtype)
    layer_settings = {k: v for k, v in settings.items() if k != "unbatched"}
    ours = nn.MultiheadAttention(8, 2, dtype=dtype, **layer_settings)
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=True)
    assert list(ours.state_dict()) == list(state)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in state.items()
    }
    inputs = _mha_inputs(settings, dtype)
    masks = _masks(kinds, settings, dtype)
    x = [cr.Tensor(a, requires_grad=True) for a in inputs]
    t = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, weights = ours(*x, average_attn_weights=average, **masks)
    want, want_weights = theirs(
        *t, average_attn_weights=average, **{k: torch.tensor(m) for k, m in masks.items()}
    )
    assert out.shape == tuple(want.shape)
    assert weights.shape == tuple(want_weights.shape)
    tol = {"rtol": DTYPES[dtype], "atol": DTYPES[dtype]}
    np.testing.assert_allclose(out.data, want.detach().numpy(), **tol)
    np.testing.assert_allclose(weights.data, want_weights.detach().numpy(), **tol)
    grad = _rng(13).standard_normal(out.shape).astype(dtype)
    (out * grad).sum().backward()
    (want * torch.tensor(grad)).sum().backward()
    for a, b in zip(x, t):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), **tol, err_msg=name)


def test_multihead_attention_without_weights_and_fully_padded_rows_match_torch():
    torch = _torch()
    theirs = _torch_layer(torch, {"batch_first": True}, "float64")
    ours = nn.MultiheadAttention(8, 2, batch_first=True, dtype="float64")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    q, k, v = _mha_inputs({"batch_first": True}, "float64")
    padding = np.zeros((2, 4), bool)
    padding[0] = True  # the first sample has no key: NaN weights, or 0 from SDPA
    args = [torch.tensor(a) for a in (q, k, v)]
    for need in (True, False):
        out, weights = ours(q, k, v, key_padding_mask=padding, need_weights=need)
        want, want_w = theirs(*args, key_padding_mask=torch.tensor(padding), need_weights=need)
        np.testing.assert_allclose(out.data, want.detach().numpy(), **TOL)
        assert (weights is None) == (want_w is None) == (not need)
    assert np.isnan(ours(q, k, v, key_padding_mask=padding)[1].data[0]).all()


def test_multihead_attention_repr_matches_torch():
    torch = _torch()
    assert repr(nn.MultiheadAttention(8, 2)) == repr(torch.nn.MultiheadAttention(8, 2))
