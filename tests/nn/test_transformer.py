"""Transformer, TransformerEncoder/Decoder and their layers: one encoder layer against a
forward worked with NumPy in the test, gradients by finite differences in float64, the
state dict keys PyTorch's documents, errors, dropout in training and eval; and, with
torch installed, a seeded PyTorch model's state loaded as it is, giving PyTorch's outputs
and gradients (float64, eval mode), masks, batch_first, norm_first and gelu."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
from chainrule import nn

TOL = {"rtol": 1e-10, "atol": 1e-10}
E, HEADS, FF = 8, 2, 12  # d_model, nhead, dim_feedforward of the models compared


# ----- the state dict keys, worked out from PyTorch's modules -----------------------------------
def _attention_keys(prefix: str) -> list[str]:
    names = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    return [prefix + n for n in names]


def _layer_keys(prefix: str, attentions: list[str], norms: int) -> list[str]:
    keys = [k for a in attentions for k in _attention_keys(f"{prefix}{a}.")]
    keys += [f"{prefix}linear{i}.{p}" for i in (1, 2) for p in ("weight", "bias")]
    return keys + [f"{prefix}norm{i}.{p}" for i in range(1, norms + 1) for p in ("weight", "bias")]


ENCODER_LAYER_KEYS = _layer_keys("", ["self_attn"], 2)
DECODER_LAYER_KEYS = _layer_keys("", ["self_attn", "multihead_attn"], 3)
TRANSFORMER_KEYS = [  # Transformer(num_encoder_layers=2, num_decoder_layers=1)
    *_layer_keys("encoder.layers.0.", ["self_attn"], 2),
    *_layer_keys("encoder.layers.1.", ["self_attn"], 2),
    "encoder.norm.weight",
    "encoder.norm.bias",
    *_layer_keys("decoder.layers.0.", ["self_attn", "multihead_attn"], 3),
    "decoder.norm.weight",
    "decoder.norm.bias",
]


def test_encoder_layer_keys_and_shapes_are_pytorchs():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF)
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert list(shapes) == ENCODER_LAYER_KEYS
    assert ENCODER_LAYER_KEYS[:6] == [
        "self_attn.in_proj_weight",
        "self_attn.in_proj_bias",
        "self_attn.out_proj.weight",
        "self_attn.out_proj.bias",
        "linear1.weight",
        "linear1.bias",
    ]
    assert shapes["self_attn.in_proj_weight"] == (3 * E, E)
    assert shapes["linear1.weight"] == (FF, E)  # (out, in), as PyTorch's
    assert shapes["linear1.bias"] == (FF,)
    assert shapes["linear2.weight"] == (E, FF)
    assert shapes["norm2.bias"] == (E,)


def test_decoder_layer_and_transformer_keys_are_pytorchs():
    assert list(nn.TransformerDecoderLayer(E, HEADS, FF).state_dict()) == DECODER_LAYER_KEYS
    model = nn.Transformer(E, HEADS, 2, 1, FF)
    assert list(model.state_dict()) == TRANSFORMER_KEYS
    assert len(TRANSFORMER_KEYS) == 2 * 12 + 2 + 18 + 2


def test_without_bias_only_weights_remain():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, bias=False)
    want = [
        "self_attn.in_proj_weight",
        "self_attn.out_proj.weight",
        "linear1.weight",
        "linear2.weight",
        "norm1.weight",
        "norm2.weight",
    ]
    assert list(layer.state_dict()) == want


def _torch_transformer(torch, **options):
    with warnings.catch_warnings():  # PyTorch's note that its nested-tensor path is off
        warnings.simplefilter("ignore", UserWarning)
        return torch.nn.Transformer(dtype=torch.float64, **options)


def test_keys_and_shapes_equal_torchs():
    torch = torch_or_skip()
    sizes = {"d_model": E, "nhead": HEADS, "dim_feedforward": FF}
    theirs = _torch_transformer(torch, num_encoder_layers=2, num_decoder_layers=1, **sizes)
    state = theirs.state_dict()
    assert list(state) == TRANSFORMER_KEYS
    ours = nn.Transformer(E, HEADS, 2, 1, FF).state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: tuple(v.shape) for k, v in state.items()}
    for bias in (True, False):
        mine = nn.TransformerDecoderLayer(E, HEADS, FF, bias=bias).state_dict()
        their = torch.nn.TransformerDecoderLayer(E, HEADS, FF, bias=bias).state_dict()
        assert list(mine) == list(their)


# ----- one encoder layer worked with NumPy ------------------------------------------------------
def _np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * w + b


def _np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_attention(x, kv, sd, prefix, heads, masked):
    """Attention from x (N, L, E) to kv (N, S, E) with the weights ``{prefix}in_proj_weight``,
    …; ``masked`` (N, L, S) is True where a pair is left out."""
    (n, length, e), s = x.shape, kv.shape[1]
    w, b = sd[prefix + "in_proj_weight"], sd[prefix + "in_proj_bias"]
    q = (x @ w[:e].T + b[:e]).reshape(n, length, heads, -1)
    k, v = (
        (kv @ w[i * e : (i + 1) * e].T + b[i * e : (i + 1) * e]).reshape(n, s, heads, -1)
        for i in (1, 2)
    )
    scores = np.einsum("nlhd,nshd->nhls", q, k) / math.sqrt(e // heads)
    scores = np.where(masked[:, None], -np.inf, scores)
    out = np.einsum("nhls,nshd->nlhd", _np_softmax(scores), v).reshape(n, length, e)
    return out @ sd[prefix + "out_proj.weight"].T + sd[prefix + "out_proj.bias"]


def _np_layer(x, sd, blocks, norm_first, act):
    """x through ``blocks`` (functions of x) and the feed-forward block, each with its
    residual and norm."""

    def ff(y):
        hidden = act(y @ sd["linear1.weight"].T + sd["linear1.bias"])
        return hidden @ sd["linear2.weight"].T + sd["linear2.bias"]

    for i, block in enumerate([*blocks, ff], start=1):
        w, b = sd[f"norm{i}.weight"], sd[f"norm{i}.bias"]
        x = x + block(_np_layer_norm(x, w, b)) if norm_first else _np_layer_norm(x + block(x), w, b)
    return x


def _np_encoder_layer(x, sd, heads, masked, norm_first, act):
    def sa(y):
        return _np_attention(y, y, sd, "self_attn.", heads, masked)

    return _np_layer(x, sd, [sa], norm_first, act)


_erf = np.vectorize(math.erf)
NP_ACTIVATIONS = {
    "relu": lambda y: np.maximum(y, 0),
    "gelu": lambda y: 0.5 * y * (1 + _erf(y / math.sqrt(2))),
}


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer_matches_numpy(norm_first, activation):
    options = {"activation": activation, "norm_first": norm_first, "batch_first": True}
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dtype="float64", **options)
    sd = layer.state_dict()
    for i, name in enumerate(("norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")):
        sd[name] = seeded(2 + i).standard_normal(E)  # not the init's ones and zeros
    layer.load_state_dict(sd)
    layer.eval()
    x = seeded(3).standard_normal((2, 5, E))
    causal = np.triu(np.ones((5, 5), bool), 1)
    padding = np.zeros((2, 5), bool)
    padding[1, 3:] = True
    out = layer(x, src_mask=causal, src_key_padding_mask=padding)
    masked = causal[None] | padding[:, None, :]
    want = _np_encoder_layer(x, sd, HEADS, masked, norm_first, NP_ACTIVATIONS[activation])
    np.testing.assert_allclose(out.data, want, **TOL)


def test_decoder_layer_matches_numpy():
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, batch_first=True, dtype="float64")
    sd = layer.state_dict()
    sd["multihead_attn.in_proj_bias"] = seeded(30).standard_normal(3 * E)  # not the init's 0
    layer.load_state_dict(sd)
    layer.eval()
    tgt, memory = seeded(31).standard_normal((2, 4, E)), seeded(32).standard_normal((2, 5, E))
    causal = np.triu(np.ones((4, 4), bool), 1)
    memory_mask = seeded(33).random((4, 5)) < 0.3
    memory_mask[:, 0] = False
    out = layer(tgt, memory, tgt_mask=causal, memory_mask=memory_mask)

    def sa(y):
        return _np_attention(y, y, sd, "self_attn.", HEADS, np.broadcast_to(causal, (2, 4, 4)))

    def cross(y):
        masked = np.broadcast_to(memory_mask, (2, 4, 5))
        return _np_attention(y, memory, sd, "multihead_attn.", HEADS, masked)

    want = _np_layer(tgt, sd, [sa, cross], False, NP_ACTIVATIONS["relu"])
    np.testing.assert_allclose(out.data, want, **TOL)


def test_seq_first_and_unbatched_inputs_are_the_batch_first_result_moved():
    state = nn.TransformerEncoderLayer(E, HEADS, FF, dtype="float64").state_dict()
    x = seeded(4).standard_normal((2, 5, E))
    outs = {}
    for batch_first in (True, False):
        layer = nn.TransformerEncoderLayer(E, HEADS, FF, batch_first=batch_first, dtype="float64")
        layer.load_state_dict(state)
        layer.eval()
        outs[batch_first] = layer(x if batch_first else x.swapaxes(0, 1)).data
        outs[batch_first, "unbatched"] = layer(x[1]).data  # (S, E) in either layout
    np.testing.assert_allclose(outs[False].swapaxes(0, 1), outs[True], **TOL)
    np.testing.assert_allclose(outs[True, "unbatched"], outs[True][1], **TOL)
    np.testing.assert_allclose(outs[False, "unbatched"], outs[True][1], **TOL)


def test_decoder_causal_mask_hides_later_target_positions():
    model = nn.Transformer(E, HEADS, 1, 2, FF, dtype="float64", generator=seeded(5))
    model.eval()
    src, tgt = seeded(6).standard_normal((5, 2, E)), seeded(7).standard_normal((4, 2, E))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype="float64")
    out = model(src, tgt, tgt_mask=mask).data
    changed = tgt.copy()
    changed[2:] += 10.0  # positions 2 and 3 change: outputs 0 and 1 must not
    again = model(src, changed, tgt_mask=mask).data
    np.testing.assert_allclose(again[:2], out[:2], **TOL)
    assert not np.allclose(again[2:], out[2:])
    assert not np.allclose(model(src, changed).data[:2], out[:2])  # without the mask they see it


def test_square_subsequent_mask_by_hand():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    inf = -np.inf
    np.testing.assert_array_equal(mask.data, [[0, inf, inf], [0, 0, inf], [0, 0, 0]])
    assert mask.dtype == cr.get_default_dtype()
    assert nn.Transformer.generate_square_subsequent_mask(2, "cpu", "float64").dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        nn.Transformer.generate_square_subsequent_mask(2, dtype="int64")
    with pytest.raises(ValueError, match="cpu"):
        nn.Transformer.generate_square_subsequent_mask(2, device="cuda")


# ----- gradients by finite differences ----------------------------------------------------------
def _with_parameters(model, f):
    """g(*inputs, *params): ``f(model, *inputs)`` with gradcheck's tensors as the model's
    parameters, in `named_parameters` order."""
    names = [n for n, _ in model.named_parameters()]

    def g(*tensors):
        params = tensors[len(tensors) - len(names) :]
        for name, p in zip(names, params):
            owner, _, attr = name.rpartition(".")
            setattr(model.get_submodule(owner) if owner else model, attr, p)
        return f(model, *tensors[: len(tensors) - len(names)])

    return g, [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer_gradients_by_finite_differences(norm_first):
    layer = nn.TransformerEncoderLayer(
        4, 2, 6, activation="gelu", norm_first=norm_first, dtype="float64", generator=seeded(8)
    )
    layer.eval()
    padding = np.array([[False, False, True], [False] * 3])

    def run(m, x):
        return m(x, src_key_padding_mask=padding)

    g, params = _with_parameters(layer, run)
    assert cr.gradcheck(g, [seeded(9).standard_normal((3, 2, 4)), *params])


def test_decoder_layer_gradients_by_finite_differences():
    layer = nn.TransformerDecoderLayer(4, 2, 6, batch_first=True, dtype="float64")
    layer.eval()
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype="float64")

    def run(m, tgt, memory):
        return m(tgt, memory, tgt_mask=mask, tgt_is_causal=True)

    g, params = _with_parameters(layer, run)
    tgt, memory = seeded(10).standard_normal((2, 3, 4)), seeded(11).standard_normal((2, 2, 4))
    assert cr.gradcheck(g, [tgt, memory, *params])


# ----- errors -----------------------------------------------------------------------------------
BAD = {
    "heads": (lambda: nn.TransformerEncoderLayer(6, 4), ValueError, "d_model 6 .* nhead 4"),
    "activation": (
        lambda: nn.TransformerDecoderLayer(4, 2, activation="tanh"),
        ValueError,
        "TransformerDecoderLayer: activation .* 'tanh'",
    ),
    "activation-type": (
        lambda: nn.TransformerEncoderLayer(4, 2, activation=3),
        TypeError,
        "TransformerEncoderLayer: activation",
    ),
    "dropout": (
        lambda: nn.TransformerEncoderLayer(4, 2, dropout=1.5),
        ValueError,
        "TransformerEncoderLayer: dropout probability .* 1.5",
    ),
    "eps": (
        lambda: nn.TransformerEncoderLayer(4, 2, layer_norm_eps=0),
        ValueError,
        "layer_norm_eps",
    ),
    "feedforward": (
        lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=0),
        ValueError,
        "dim_feedforward must be a positive integer, got 0",
    ),
    "transformer-heads": (lambda: nn.Transformer(10, 3), ValueError, "d_model 10 .* nhead 3"),
    "num_layers": (
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6), 0),
        ValueError,
        "TransformerEncoder: num_layers must be a positive integer, got 0",
    ),
    "layer-type": (lambda: nn.TransformerDecoder("layer", 2), TypeError, "must be a Module"),
    "norm_first": (
        lambda: nn.TransformerEncoderLayer(4, 2, norm_first="yes"),
        TypeError,
        "norm_first must be True or False",
    ),
    "generator": (
        lambda: nn.TransformerEncoderLayer(4, 2, generator=0),
        TypeError,
        "TransformerEncoderLayer: generator",
    ),
}


@pytest.mark.parametrize(("make", "error", "message"), BAD.values(), ids=BAD.keys())
def test_bad_arguments_are_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_calls_are_clear_errors():
    model = nn.Transformer(4, 2, 1, 1, 6)
    src, tgt = np.zeros((3, 2, 4)), np.zeros((5, 3, 4))
    with pytest.raises(ValueError, match="Transformer: src and tgt must have as many samples"):
        model(src, tgt)
    with pytest.raises(ValueError, match="must be d_model 4"):
        model(src, np.zeros((5, 2, 6)))
    with pytest.raises(ValueError, match="tgt_is_causal=True is a hint that tgt_mask"):
        model(src, tgt[:, :2], tgt_is_causal=True)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: is_causal=True .* src_mask"):
        nn.TransformerEncoderLayer(4, 2, 6)(src, is_causal=True)


def test_inputs_of_the_wrong_shape_are_errors_naming_the_layer_and_argument():
    encoder, decoder = nn.TransformerEncoderLayer(4, 2, 6), nn.TransformerDecoderLayer(4, 2, 6)
    with pytest.raises(ValueError, match=r"^TransformerEncoderLayer: src .*d_model 4.*\(3, 2, 5\)"):
        encoder(np.zeros((3, 2, 5)))
    with pytest.raises(ValueError, match=r"^TransformerEncoderLayer: src .*got shape \(4,\)"):
        encoder(np.zeros(4))
    with pytest.raises(ValueError, match=r"^TransformerDecoderLayer: memory .*\(3, 2, 6\)"):
        decoder(np.zeros((3, 2, 4)), np.zeros((3, 2, 6)))
    with pytest.raises(ValueError, match=r"^TransformerDecoderLayer: tgt .*\(1, 3, 2, 4\)"):
        decoder(np.zeros((1, 3, 2, 4)), np.zeros((3, 2, 4)))
    model = nn.Transformer(4, 2, 1, 1, 6)
    with pytest.raises(ValueError, match=r"^Transformer: src and tgt .*\(3, 4\), tgt \(5, 2, 4\)"):
        model(np.zeros((3, 4)), np.zeros((5, 2, 4)))


# ----- dropout: training and eval ---------------------------------------------------------------
def test_dropout_acts_in_training_only_and_draws_from_the_generator():
    x = seeded(12).standard_normal((3, 2, E))
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.5, dtype="float64")
    plain = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, dtype="float64")
    plain.load_state_dict(layer.state_dict())
    layer.eval()
    np.testing.assert_allclose(layer(x).data, plain(x).data, **TOL)  # eval: no dropout
    layer.train()
    runs = []
    for seed in (13, 13, 14):
        for m in layer.modules():
            if hasattr(m, "generator"):
                m.generator = seeded(seed)
        runs.append(layer(x).data)
    np.testing.assert_array_equal(runs[0], runs[1])  # the same draws again
    assert not np.allclose(runs[0], runs[2])
    assert not np.allclose(runs[0], plain(x).data)


def test_stack_copies_start_equal_and_share_the_generator():
    g = seeded(15)
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.5, generator=g)
    stack = nn.TransformerEncoder(layer, 3)
    first, second = stack.layers[0], stack.layers[1]
    assert first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.data, second.linear1.weight.data)
    assert first.generator is g
    assert second.dropout.generator is g
    assert second.self_attn.generator is g
    assert stack.norm is None
    x = seeded(16).standard_normal((4, 2, E)).astype(np.float32)
    stack.eval()
    one = layer
    one.eval()
    out = x
    for _ in range(3):
        out = one(out)
    np.testing.assert_allclose(stack(x).data, out.data, rtol=1e-5, atol=1e-5)


def test_transformer_init_is_xavier_for_matrices():
    model = nn.Transformer(16, 4, 1, 1, 32, generator=seeded(17))
    for name, p in model.named_parameters():
        if p.ndim > 1:
            bound = math.sqrt(6 / sum(p.shape))
            assert np.abs(p.data).max() <= bound, name
            assert np.abs(p.data).max() > 0.8 * bound, name
    assert not model.encoder.layers[0].self_attn.in_proj_bias.data.any()
    np.testing.assert_array_equal(model.decoder.norm.weight.data, np.ones(16))


# ----- PyTorch ----------------------------------------------------------------------------------
def _load(theirs, ours):
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state, strict=True)
    theirs.eval()
    ours.eval()


def _inputs(shape_of, lengths, seed):
    rng = seeded(seed)
    return [rng.standard_normal(shape_of(n)) for n in lengths]


def _compare(torch, theirs, ours, arrays, masks, options=None):
    """Outputs, then the gradients of the inputs and of every parameter, after backward."""
    options = options or {}
    mine = [cr.tensor(a, requires_grad=True) for a in arrays]
    their = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*mine, **masks, **options)
    want = theirs(*their, **{k: torch.tensor(v) for k, v in masks.items()}, **options)
    np.testing.assert_allclose(out.data, want.detach().numpy(), **TOL)
    seed = seeded(99).standard_normal(out.shape)
    (out * seed).sum().backward()
    (want * torch.tensor(seed)).sum().backward()
    for a, b in zip(mine, their):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **TOL)
    named = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(named)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), **TOL, err_msg=name)


def _shape_of(settings, n=2):
    if settings.get("unbatched"):
        return lambda length: (length, E)
    if settings.get("batch_first"):
        return lambda length: (n, length, E)
    return lambda length: (length, n, E)


def _masks(settings, kind, names, n=2):
    """Masks named ``{name: (kind, L, S)}``: attention masks (L, S) and key padding masks
    (N, S) ((S,) unbatched), boolean (True: left out; key 0 always kept) or float."""
    rng, out = seeded(20), {}
    for name, (what, length, source) in names.items():
        shape = (length, source) if what == "attn" else (source,)
        if what == "padding" and not settings.get("unbatched"):
            shape = (n, source)
        if kind == "bool":
            m = rng.random(shape) < 0.3
            m[..., 0] = False
        else:
            m = rng.standard_normal(shape)
        out[name] = m
    return out


LAYERS = {
    "seq-first-relu": {},
    "batch-first-gelu": {"batch_first": True, "activation": "gelu"},
    "pre-norm": {"norm_first": True},
    "batch-first-pre-norm-gelu": {"batch_first": True, "norm_first": True, "activation": "gelu"},
    "unbatched": {"unbatched": True},
    "no-bias": {"bias": False, "batch_first": True},
}
KINDS = ["none", "bool", "float"]


def _layer_settings(settings):
    return {k: v for k, v in settings.items() if k != "unbatched"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("settings", LAYERS.values(), ids=LAYERS.keys())
def test_encoder_layer_matches_torch(settings, kind):
    torch = torch_or_skip()
    torch.manual_seed(0)
    kwargs = _layer_settings(settings)
    theirs = torch.nn.TransformerEncoderLayer(E, HEADS, FF, dtype=torch.float64, **kwargs)
    ours = nn.TransformerEncoderLayer(E, HEADS, FF, dtype="float64", **kwargs)
    _load(theirs, ours)
    names = {"src_mask": ("attn", 5, 5), "src_key_padding_mask": ("padding", 5, 5)}
    masks = {} if kind == "none" else _masks(settings, kind, names)
    _compare(torch, theirs, ours, _inputs(_shape_of(settings), [5], 21), masks)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("settings", LAYERS.values(), ids=LAYERS.keys())
def test_decoder_layer_matches_torch(settings, kind):
    torch = torch_or_skip()
    torch.manual_seed(1)
    kwargs = _layer_settings(settings)
    theirs = torch.nn.TransformerDecoderLayer(E, HEADS, FF, dtype=torch.float64, **kwargs)
    ours = nn.TransformerDecoderLayer(E, HEADS, FF, dtype="float64", **kwargs)
    _load(theirs, ours)
    names = {
        "tgt_mask": ("attn", 4, 4),
        "memory_mask": ("attn", 4, 5),
        "tgt_key_padding_mask": ("padding", 4, 4),
        "memory_key_padding_mask": ("padding", 4, 5),
    }
    masks = {} if kind == "none" else _masks(settings, kind, names)
    _compare(torch, theirs, ours, _inputs(_shape_of(settings), [4, 5], 22), masks)


TRANSFORMERS = {
    "seq-first": {},
    "batch-first-pre-norm-gelu": {"batch_first": True, "norm_first": True, "activation": "gelu"},
}


@pytest.mark.parametrize("settings", TRANSFORMERS.values(), ids=TRANSFORMERS.keys())
def test_transformer_with_masks_matches_torch(settings):
    torch = torch_or_skip()
    torch.manual_seed(2)
    sizes = {"d_model": E, "nhead": HEADS, "dim_feedforward": FF}
    theirs = _torch_transformer(
        torch, num_encoder_layers=2, num_decoder_layers=2, **sizes, **settings
    )
    ours = nn.Transformer(E, HEADS, 2, 2, FF, dtype="float64", **settings)
    _load(theirs, ours)
    names = {
        "src_key_padding_mask": ("padding", 5, 5),
        "tgt_key_padding_mask": ("padding", 4, 4),
        "memory_key_padding_mask": ("padding", 4, 5),
    }
    masks = {k: np.where(m, -np.inf, 0.0) for k, m in _masks(settings, "bool", names).items()}
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype="float64").data
    np.testing.assert_array_equal(causal, theirs.generate_square_subsequent_mask(4).numpy())
    masks["tgt_mask"] = causal
    arrays = _inputs(_shape_of(settings), [5, 4], 23)
    _compare(torch, theirs, ours, arrays, masks, {"tgt_is_causal": True})


def test_encoder_stack_without_norm_and_a_callable_activation_match_torch():
    torch = torch_or_skip()
    torch.manual_seed(3)
    layer = torch.nn.TransformerEncoderLayer(
        E, HEADS, FF, activation=torch.tanh, dtype=torch.float64
    )
    theirs = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    ours = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(E, HEADS, FF, activation=cr.tanh, dtype="float64"), 2
    )
    _load(theirs, ours)
    masks = {"mask": nn.Transformer.generate_square_subsequent_mask(5, dtype="float64").data}
    _compare(torch, theirs, ours, _inputs(_shape_of({}), [5], 24), masks, {"is_causal": True})


def test_repr_matches_torch_but_for_the_linear_layers_name():
    torch = torch_or_skip()
    ours = repr(nn.TransformerDecoderLayer(E, HEADS, FF)).replace("LinearOutIn", "Linear")
    assert ours == repr(torch.nn.TransformerDecoderLayer(E, HEADS, FF))
