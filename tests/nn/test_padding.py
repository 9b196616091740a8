"""pad, the padding layers and Conv's padding_mode: hand-worked cases, NumPy's np.pad,
finite differences and PyTorch."""

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
MODES = ["constant", "reflect", "replicate", "circular"]


def f64(a) -> cr.Tensor:
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ----- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("constant", [9, 9, 1, 2, 3, 9]),
        ("reflect", [3, 2, 1, 2, 3, 2]),
        ("replicate", [1, 1, 1, 2, 3, 3]),
        ("circular", [2, 3, 1, 2, 3, 1]),
    ],
)
def test_pad_by_hand(mode, expected):
    value = 9.0 if mode == "constant" else None
    out = F.pad(f64([[[1, 2, 3]]]), (2, 1), mode=mode, value=value)
    np.testing.assert_array_equal(out.data, [[expected]])


def test_negative_pads_crop():
    x = f64([[[0, 1, 2, 3, 4]]])
    np.testing.assert_array_equal(F.pad(x, (-1, 2)).data, [[[1, 2, 3, 4, 0, 0]]])
    np.testing.assert_array_equal(F.pad(x, (-2, -3)).data.shape, (1, 1, 0))
    # reflect and replicate index the uncropped input; circular wraps what is left, as PyTorch
    np.testing.assert_array_equal(F.pad(x, (-2, 3), "reflect").data, [[[2, 3, 4, 3, 2, 1]]])
    np.testing.assert_array_equal(F.pad(x, (-2, 3), "replicate").data, [[[2, 3, 4, 4, 4, 4]]])
    np.testing.assert_array_equal(F.pad(x, (-2, 3), "circular").data, [[[2, 3, 4, 2, 3, 4]]])
    np.testing.assert_array_equal(F.pad(x, (3, -2), "circular").data, [[[0, 1, 2, 0, 1, 2]]])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("shape", "pad"),
    [
        ((2, 3, 5), (2, 1)),
        ((3, 5), (0, 4)),
        ((2, 2, 4, 5), (1, 3, 2, 0)),
        ((2, 4, 4), (3, 3, 1, 2)),
    ],
)
def test_pad_matches_numpy(mode, shape, pad):
    x = seeded(1).standard_normal(shape)
    pads = [(0, 0)] * (len(shape) - len(pad) // 2)
    pads += [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]  # last dimension first
    np.testing.assert_array_equal(F.pad(x, pad, mode).data, np.pad(x, pads, NUMPY_MODE[mode]))


def test_constant_pad_any_dimensions_keeps_dtype():
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    out = F.pad(x, (1, 0, 0, 2), value=7)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, np.pad(x, ((0, 2), (1, 0)), constant_values=7))
    y = seeded(2).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(
        F.pad(y, (1, 1, 0, 2, 3, 0)).data, np.pad(y, ((3, 0), (0, 2), (1, 1)))
    )


# ----- gradients -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "counts"),
    [
        ("constant", [1, 1, 1]),
        ("reflect", [1, 3, 2]),
        ("replicate", [3, 1, 2]),
        ("circular", [2, 2, 2]),
    ],
)
def test_gradient_adds_copies_into_their_source(mode, counts):
    x = f64([[[1, 2, 3]]])
    F.pad(x, (2, 1), mode).sum().backward()  # sources: reflect 2 1 0 1 2 1, replicate 0 0 0 1 2 2
    np.testing.assert_array_equal(x.grad, [[counts]])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad", [(1, 2, 2, 1), (-1, 2, 0, 2), (2, -1, 1, 0)])
def test_gradcheck(mode, pad):
    x = f64(seeded(3).standard_normal((1, 2, 3, 4)))
    w = seeded(4).standard_normal(F.pad(x, pad, mode).shape)  # a weighted sum: every copy counts
    assert cr.gradcheck(lambda t: (F.pad(t, pad, mode) * w).sum(), [x])


# ----- layers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "mode", "dims"),
    [
        (nn.ReflectionPad1d, "reflect", 1),
        (nn.ReflectionPad2d, "reflect", 2),
        (nn.ReplicationPad1d, "replicate", 1),
        (nn.ReplicationPad2d, "replicate", 2),
        (nn.CircularPad1d, "circular", 1),
        (nn.CircularPad2d, "circular", 2),
        (nn.ZeroPad1d, "constant", 1),
        (nn.ZeroPad2d, "constant", 2),
    ],
)
def test_layers_pad_as_the_function(layer, mode, dims):
    x = seeded(5).standard_normal((2, 3, 4, 5)[: 2 + dims])
    padding = (1, 2, 3, 0)[: 2 * dims]
    np.testing.assert_array_equal(layer(padding)(x).data, F.pad(x, padding, mode).data)
    assert layer(2).padding == (2,) * 2 * dims
    assert repr(layer(padding)) == f"{layer.__name__}({padding})"


def test_constant_pad_layers():
    layer = nn.ConstantPad2d((1, 0, 0, 1), 3.5)
    assert repr(layer) == "ConstantPad2d(padding=(1, 0, 0, 1), value=3.5)"
    np.testing.assert_array_equal(layer(np.zeros((1, 1, 1))).data, [[[3.5, 0.0], [3.5, 3.5]]])
    assert repr(nn.ConstantPad1d(2, 0.0)) == "ConstantPad1d(padding=(2, 2), value=0.0)"


# ----- Conv's padding_mode ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_mode_is_pad_then_conv(mode):
    conv = nn.Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode=mode, dtype="float64")
    x = seeded(6).standard_normal((2, 2, 4, 5))
    by_hand = F.conv2d(
        np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), NUMPY_MODE[mode]), conv.weight, conv.bias
    )
    np.testing.assert_allclose(conv(x).data, by_hand.data, rtol=1e-12)
    conv1 = nn.Conv1d(2, 3, 4, padding="same", padding_mode=mode, dtype="float64")
    y = seeded(7).standard_normal((2, 2, 6))
    by_hand = F.conv1d(
        np.pad(y, ((0, 0), (0, 0), (1, 2)), NUMPY_MODE[mode]), conv1.weight, conv1.bias
    )
    np.testing.assert_allclose(conv1(y).data, by_hand.data, rtol=1e-12)
    assert cr.gradcheck(lambda t: conv(t), [f64(x[:1])])
    assert repr(conv).endswith(f"padding=(1, 2), padding_mode={mode})")


# ----- errors --------------------------------------------------------------------------------
def test_errors_name_the_function_and_the_value():
    x = np.zeros((1, 1, 3))
    with pytest.raises(
        ValueError, match=r"pad: mode='reflect' needs pads smaller .*\(3, 0\).*size 3"
    ):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(ValueError, match=r"pad: pad must have an even length.*\(1, 2, 3\)"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match=r"pad: mode='replicate' pads the last .*shape \(3,\)"):
        F.pad(np.zeros(3), (1, 1), "replicate")
    with pytest.raises(ValueError, match=r"pad: pad \(1, 1, 1, 1, 1, 1, 1, 1\) pads 4 dimensions"):
        F.pad(x, (1,) * 8)
    with pytest.raises(ValueError, match=r"pad: mode must be one of .* got 'wrap'"):
        F.pad(x, (1, 1), "wrap")
    with pytest.raises(ValueError, match=r"pad: mode='reflect' takes no value.*2.0"):
        F.pad(x, (1, 1), "reflect", 2.0)
    with pytest.raises(ValueError, match=r"pad: mode='circular' needs pads at most .*\(4, 0\)"):
        F.pad(x, (4, 0), "circular")
    with pytest.raises(ValueError, match=r"pad: pads \(-2, -2\) would crop dimension 2 of size 3"):
        F.pad(x, (-2, -2))
    with pytest.raises(
        ValueError, match=r"ReflectionPad2d: padding must be .* 4 ints, got \(1, 2\)"
    ):
        nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ReflectionPad1d: mode='reflect' needs pads smaller"):
        nn.ReflectionPad1d(3)(x)
    with pytest.raises(ValueError, match=r"Conv2d: padding_mode must be one of .* got 'mirror'"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r"ConvTranspose1d: only padding_mode='zeros'.*'circular'"):
        nn.ConvTranspose1d(1, 1, 3, padding_mode="circular")


# ----- PyTorch -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("shape", "pad"),
    [
        ((2, 3, 5), (2, 4)),
        ((3, 6), (-1, 3)),
        ((2, 2, 4, 5), (1, 3, -1, 3)),
        ((2, 3, 3), (0, 2, 2, 1)),
    ],
)
def test_pad_against_pytorch(mode, shape, pad):
    torch = torch_or_skip()
    x = seeded(8).standard_normal(shape)
    g = seeded(9).standard_normal(F.pad(x, pad, mode).shape)
    ours = f64(x)
    (F.pad(ours, pad, mode) * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.pad(theirs, pad, mode=mode)
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(F.pad(x, pad, mode).data, out.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_layer_reprs_against_pytorch():
    torch = torch_or_skip()
    for name, args in [
        ("ZeroPad2d", ((1, 2, 3, 4),)),
        ("ConstantPad1d", (2, 3.5)),
        ("CircularPad2d", (1,)),
    ]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims", [1, 2])
def test_conv_padding_mode_against_pytorch(mode, dims):
    torch = torch_or_skip()
    layer, theirs_class = (
        (nn.Conv1d, torch.nn.Conv1d) if dims == 1 else (nn.Conv2d, torch.nn.Conv2d)
    )
    for padding, kernel in [(1, 3), (2, 3), ("same", 4)]:
        ours = layer(2, 4, kernel, padding=padding, padding_mode=mode, dtype="float64")
        theirs = theirs_class(2, 4, kernel, padding=padding, padding_mode=mode).double()
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data))
            theirs.bias.copy_(torch.tensor(ours.bias.data))
        x = seeded(10).standard_normal((2, 2, 5, 6)[: 3 + dims - 1])
        xt, xc = torch.tensor(x, requires_grad=True), f64(x)
        out = ours(xc)
        g = seeded(11).standard_normal(out.shape)
        (out * g).sum().backward()
        (theirs(xt) * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(out.data, theirs(xt).detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(xc.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)
        assert repr(ours) == repr(theirs)
