"""interpolate, Upsample and the pixel shuffles: hand-worked cases, a loop written here,
finite differences and PyTorch."""

import math

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def f64(a) -> cr.Tensor:
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def linear_by_loop(row, out: int, align_corners: bool, scale=None) -> np.ndarray:
    """1-D linear interpolation of ``row`` by PyTorch's documented source positions, one
    output at a time."""
    n = len(row)
    result = []
    for j in range(out):
        if align_corners:
            x = j * (n - 1) / (out - 1) if out > 1 else 0.0
        else:
            x = max((j + 0.5) * (1 / scale if scale else n / out) - 0.5, 0.0)
        i = min(math.floor(x), n - 1)
        lam = min(x - i, 1.0)
        result.append((1 - lam) * row[i] + lam * row[min(i + 1, n - 1)])
    return np.array(result)


# ----- values ---------------------------------------------------------------------------------
def test_nearest_by_hand():
    x = f64([[[[1, 2], [3, 4]]]])
    out = F.interpolate(x, scale_factor=2)
    np.testing.assert_array_equal(
        out.data[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    )
    # size 3 from 2: sources ⌊j·2/3⌋ = 0, 0, 1
    np.testing.assert_array_equal(F.interpolate(f64([[[5, 7]]]), size=3).data, [[[5, 5, 7]]])


def test_linear_by_hand():
    x = f64([[[0, 3]]])
    np.testing.assert_allclose(
        F.interpolate(x, size=4, mode="linear", align_corners=True).data, [[[0, 1, 2, 3]]]
    )
    # sources (j + ½)/2 − ½ = 0 (clamped), ¼, ¾, 1¼ (past the end: the last element)
    y = f64([[[0, 4]]])
    out = F.interpolate(y, scale_factor=2, mode="linear")
    np.testing.assert_allclose(out.data, [[[0, 1, 3, 4]]])


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("out", [1, 3, 7, 12])
def test_bilinear_matches_the_loop(align, out):
    x = seeded(1).standard_normal((2, 3, 4, 5))
    got = F.interpolate(x, size=(out, 6), mode="bilinear", align_corners=align).data
    rows = np.apply_along_axis(linear_by_loop, 3, x, 6, align)  # along W, then along H
    expected = np.apply_along_axis(linear_by_loop, 2, rows, out, align)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_scale_factor_sizes_and_positions():
    x = seeded(2).standard_normal((1, 2, 5))
    out = F.interpolate(x, scale_factor=1.5, mode="linear")
    assert out.shape == (1, 2, 7)  # ⌊5·1.5⌋
    np.testing.assert_allclose(out.data, np.apply_along_axis(linear_by_loop, 2, x, 7, False, 1.5))
    again = F.interpolate(x, scale_factor=1.5, mode="linear", recompute_scale_factor=True)
    np.testing.assert_allclose(again.data, F.interpolate(x, size=7, mode="linear").data)


# ----- gradients -----------------------------------------------------------------------------
def test_nearest_gradient_counts_the_copies():
    x = f64([[[1, 2, 3]]])
    F.interpolate(x, size=7).sum().backward()  # sources ⌊j·3/7⌋: 0 0 0 1 1 2 2
    np.testing.assert_array_equal(x.grad, [[[3, 2, 2]]])


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("nearest", {"size": (3, 7)}),
        ("nearest", {"scale_factor": 1.7}),
        ("bilinear", {"size": (5, 2), "align_corners": True}),
        ("bilinear", {"scale_factor": (2, 0.5)}),
    ],
)
def test_gradcheck_2d(mode, options):
    x = f64(seeded(3).standard_normal((1, 2, 3, 4)))
    w = seeded(4).standard_normal(F.interpolate(x, mode=mode, **options).shape)
    assert cr.gradcheck(lambda t: (F.interpolate(t, mode=mode, **options) * w).sum(), [x])


@pytest.mark.parametrize("align", [False, True])
def test_gradcheck_linear(align):
    x = f64(seeded(5).standard_normal((2, 1, 4)))
    w = seeded(6).standard_normal((2, 1, 9))
    f = lambda t: (F.interpolate(t, size=9, mode="linear", align_corners=align) * w).sum()  # noqa: E731
    assert cr.gradcheck(f, [x])


@pytest.mark.parametrize("scale", [1.1, 2.1, 0.6])
def test_gradcheck_nearest_1d(scale):
    x = f64(seeded(13).standard_normal((1, 2, 5)))
    w = seeded(14).standard_normal(F.interpolate(x, scale_factor=scale).shape)
    assert cr.gradcheck(lambda t: (F.interpolate(t, scale_factor=scale) * w).sum(), [x])


# ----- pixel shuffles ------------------------------------------------------------------------
def test_pixel_shuffle_by_hand_and_inverse():
    x = np.arange(8.0).reshape(1, 8, 1, 1)  # 2 channels of r² = 4 values each
    out = F.pixel_shuffle(x, 2).data
    np.testing.assert_array_equal(out, [[[[0, 1], [2, 3]], [[4, 5], [6, 7]]]])
    y = seeded(7).standard_normal((2, 3, 18, 4, 5))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(y, 3), 3).data, y)
    z = f64(seeded(8).standard_normal((1, 4, 2, 3)))
    w = seeded(9).standard_normal((1, 1, 4, 6))
    assert cr.gradcheck(lambda t: (F.pixel_shuffle(t, 2) * w).sum(), [z])


def test_layers_and_reprs():
    x = seeded(10).standard_normal((1, 4, 2, 2))
    np.testing.assert_array_equal(nn.PixelShuffle(2)(x).data, F.pixel_shuffle(x, 2).data)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(x).data, F.pixel_unshuffle(x, 2).data)
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    expected = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    np.testing.assert_array_equal(up(x).data, expected.data)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.Upsample(size=(2, 3))) == "Upsample(size=(2, 3), mode='nearest')"
    assert repr(nn.PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"
    assert repr(nn.PixelUnshuffle(2)) == "PixelUnshuffle(downscale_factor=2)"


# ----- errors --------------------------------------------------------------------------------
def test_errors_name_the_function_and_the_value():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(
        ValueError, match="interpolate: give exactly one of size and scale_factor, got both"
    ):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match=r"interpolate: give exactly one .*got neither"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="interpolate: mode='linear' needs a 3-D input, got 4-D"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(
        ValueError, match="interpolate: mode='nearest' needs a 3-D or 4-D input, got 2-D"
    ):
        F.interpolate(x[0, 0], size=2)
    with pytest.raises(ValueError, match=r"interpolate: mode must be one of .* got 'bicubic'"):
        F.interpolate(x, size=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: align_corners .* not mode='nearest'.*True"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: size must be .* got \(2, 3, 4\)"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(
        ValueError, match=r"interpolate: scale_factor=0.1 gives an empty output \(0, 0\)"
    ):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(
        ValueError,
        match=r"pixel_shuffle: the channels .* 3, are not divisible by upscale_factor² = 4",
    ):
        F.pixel_shuffle(np.zeros((1, 3, 2, 2)), 2)
    with pytest.raises(
        ValueError, match=r"pixel_unshuffle: the height and width .* downscale_factor=2"
    ):
        F.pixel_unshuffle(np.zeros((1, 1, 3, 2)), 2)
    with pytest.raises(
        ValueError, match=r"pixel_shuffle: input must be \(\*, C, H, W\), got shape \(4, 4\)"
    ):
        F.pixel_shuffle(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match=r"Upsample: mode must be one of .* got 'area'"):
        nn.Upsample(size=2, mode="area")


# ----- PyTorch -------------------------------------------------------------------------------
CASES = [{"size": s} for s in (1, 3, 7, 10)] + [
    {"scale_factor": f} for f in (0.5, 1.1, 1.5, 2, 2.1, 3)
]


@pytest.mark.parametrize("options", CASES, ids=str)
@pytest.mark.parametrize(("mode", "align"), [("nearest", None), ("lin", False), ("lin", True)])
@pytest.mark.parametrize("ndim", [3, 4])
def test_against_pytorch(options, mode, align, ndim):
    torch = torch_or_skip()
    mode = {"lin": "linear" if ndim == 3 else "bilinear"}.get(mode, mode)
    x = seeded(11).standard_normal((2, 3, 5) if ndim == 3 else (1, 2, 3, 5))
    ours = f64(x)
    out = F.interpolate(ours, mode=mode, align_corners=align, **options)
    g = seeded(12).standard_normal(out.shape)
    (out * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.interpolate(theirs, mode=mode, align_corners=align, **options)
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    if ndim == 3 and mode == "nearest" and "scale_factor" in options and out.shape[2] in (5, 10):
        # PyTorch's 1-D nearest backward copies (out = in) or halves (out = 2·in) whatever the
        # scale, unlike its forward; ours is the forward's own gradient (see the gradchecks)
        return
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_nearest_in_float32_against_pytorch():
    # the source index is ⌊j·s⌋ with s in the input's precision: at a rounding edge the two differ
    torch = torch_or_skip()
    for size in range(1, 12):
        x = np.arange(size, dtype=np.float32).reshape(1, 1, size)
        for options in [{"size": o} for o in range(1, 25)] + [
            {"scale_factor": f} for f in (1.3, 2.7, 3.3)
        ]:
            expected = torch.nn.functional.interpolate(torch.tensor(x), **options).numpy()
            np.testing.assert_array_equal(
                F.interpolate(x, **options).data, expected, err_msg=str(options)
            )


def test_pixel_shuffles_and_reprs_against_pytorch():
    torch = torch_or_skip()
    x = seeded(13).standard_normal((2, 18, 2, 3))
    expected = torch.nn.functional.pixel_shuffle(torch.tensor(x), 3).numpy()
    np.testing.assert_array_equal(F.pixel_shuffle(x, 3).data, expected)
    y = seeded(14).standard_normal((2, 2, 4, 6))
    expected = torch.nn.functional.pixel_unshuffle(torch.tensor(y), 2).numpy()
    np.testing.assert_array_equal(F.pixel_unshuffle(y, 2).data, expected)
    for args in [{"scale_factor": (2, 3), "mode": "bilinear"}, {"size": 5, "mode": "linear"}]:
        assert repr(nn.Upsample(**args)) == repr(torch.nn.Upsample(**args))
