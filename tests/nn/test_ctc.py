"""ctc_loss and CTCLoss: cases worked by hand, every alignment enumerated in NumPy, finite
differences, PyTorch (when installed) and the errors."""

import itertools

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
import chainrule.nn.functional as F


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _collapsed(path, blank: int) -> tuple:
    """A path read as a label sequence: repeats merged, then blanks dropped."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def _brute_force(lp: np.ndarray, target, blank: int = 0) -> float:
    """−ln Σ over every path of T symbols that collapses to ``target`` of Π yₜ(πₜ)."""
    steps, classes = lp.shape
    y = np.exp(lp)
    total = sum(
        np.prod(y[np.arange(steps), path])
        for path in itertools.product(range(classes), repeat=steps)
        if _collapsed(path, blank) == tuple(target)
    )
    return -np.log(total) if total > 0 else np.inf


def _case(seed: int, steps: int = 5, n: int = 3, classes: int = 3) -> np.ndarray:
    return seeded(seed).normal(size=(steps, n, classes))


# ----- worked by hand -----------------------------------------------------------------------
def test_two_frames_one_label_by_hand():
    # T = 2, C = 2 (0 blank), target "1": the alignments 1-1, b-1 and 1-b
    y = np.array([[0.3, 0.7], [0.6, 0.4]])  # yₜ(b), yₜ(1)
    p = y[0, 1] * y[1, 1] + y[0, 0] * y[1, 1] + y[0, 1] * y[1, 0]  # 0.28 + 0.12 + 0.42
    lp = cr.tensor(np.log(y)[:, None], requires_grad=True)
    loss = F.ctc_loss(lp, np.array([[1]]), [2], [1], reduction="sum")
    assert np.isclose(p, 0.82)
    assert np.isclose(loss.item(), -np.log(0.82))
    # yₜ(k) minus the share of p from the alignments with k at frame t
    loss.backward()
    shares = np.array([[0.12, 0.28 + 0.42], [0.42, 0.28 + 0.12]]) / 0.82
    np.testing.assert_allclose(lp.grad[:, 0], y - shares)


def test_repeated_label_needs_a_blank_between():
    y = np.array([[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]])
    lp = np.log(y)[:, None]
    loss = F.ctc_loss(lp, np.array([[1, 1]]), [3], [2], reduction="none")
    assert np.isclose(loss.item(), -np.log(0.8 * 0.6 * 0.9))  # only 1-b-1
    two_frames = F.ctc_loss(lp[:2], np.array([[1, 1]]), [2], [2], reduction="none")
    assert two_frames.item() == np.inf  # "11" needs three frames


def test_empty_target_is_all_blanks_and_an_empty_input_fits_only_it():
    lp = _log_softmax(_case(0, 4, 1, 3))
    loss = F.ctc_loss(lp, np.zeros((1, 0), np.int64), [4], [0], reduction="none")
    assert np.isclose(loss.item(), -lp[:, 0, 0].sum())
    empty = F.ctc_loss(lp[:0].repeat(2, axis=1), [1], [0, 0], [0, 1], reduction="none")
    np.testing.assert_array_equal(empty.data, [0, np.inf])


# ----- every alignment enumerated ----------------------------------------------------------------
@pytest.mark.parametrize("blank", [0, 2])
def test_against_every_alignment(blank):
    lp = _log_softmax(_case(1, steps=5, n=4, classes=3))
    labels = [k for k in range(3) if k != blank]
    targets = [(labels[0], labels[1]), (labels[1], labels[1]), (labels[0],), ()]
    input_lengths = [5, 4, 3, 2]
    padded = np.full((4, 2), 99)  # padding is never read
    for i, t in enumerate(targets):
        padded[i, : len(t)] = t
    lengths = [len(t) for t in targets]
    got = F.ctc_loss(lp, padded, input_lengths, lengths, blank=blank, reduction="none")
    want = [
        _brute_force(lp[:n, i], t, blank) for i, (n, t) in enumerate(zip(input_lengths, targets))
    ]
    np.testing.assert_allclose(got.data, want, rtol=1e-12)


def test_reductions_padded_and_concatenated():
    lp = _log_softmax(_case(2, steps=6, n=3, classes=4))
    padded, lengths, inputs = np.array([[1, 2, 2], [3, 0, 0], [1, 3, 0]]), [3, 1, 2], [6, 5, 4]
    flat = np.array([1, 2, 2, 3, 1, 3])
    each = F.ctc_loss(lp, padded, inputs, lengths, reduction="none").data
    want = [_brute_force(lp[:n, i], padded[i, :k]) for i, (n, k) in enumerate(zip(inputs, lengths))]
    np.testing.assert_allclose(each, want, rtol=1e-12)
    np.testing.assert_allclose(F.ctc_loss(lp, flat, inputs, lengths, reduction="none").data, each)
    total = F.ctc_loss(lp, flat, tuple(inputs), np.array(lengths), reduction="sum")
    assert np.isclose(total.item(), each.sum())
    mean = F.ctc_loss(lp, padded, cr.tensor(inputs), cr.tensor(lengths))
    assert np.isclose(mean.item(), np.mean(each / np.array(lengths)))


def test_unbatched_input():
    lp = _log_softmax(_case(3, steps=4, n=1, classes=3))
    want = _brute_force(lp[:, 0], (1, 2))
    loss = F.ctc_loss(lp[:, 0], np.array([[1, 2, 0]]), 4, 2, reduction="none")  # padded
    assert loss.shape == ()
    assert np.isclose(loss.item(), want)
    assert np.isclose(F.ctc_loss(lp[:, 0], [1, 2], [4], [2]).item(), want / 2)


def test_module_float32_and_repr():
    lp = _log_softmax(_case(4)).astype(np.float32)
    ctc = cr.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    loss = ctc(cr.tensor(lp), np.array([[1, 2], [2, 0], [1, 1]]), [5, 5, 5], [2, 1, 2])
    assert loss.dtype == np.float32
    want = F.ctc_loss(lp.astype(np.float64), [1, 2, 2, 1, 1], [5, 5, 5], [2, 1, 2], 0, "sum")
    assert np.isclose(loss.item(), want.item(), rtol=1e-5)
    assert repr(ctc) == "CTCLoss(reduction='sum', zero_infinity=True)"
    assert repr(cr.nn.CTCLoss(blank=3)) == "CTCLoss(blank=3)"
    with pytest.raises(TypeError, match=r"CTCLoss: blank must be an int, got 1\.0"):
        cr.nn.CTCLoss(blank=1.0)
    with pytest.raises(ValueError, match=r"^CTCLoss: blank must be a class, non-negative, got -1$"):
        cr.nn.CTCLoss(blank=-1)


# ----- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_through_log_softmax(reduction):
    z = _case(5, steps=5, n=3, classes=4)
    weights = seeded(6).normal(size=3)  # for "none": a weighted sum of the losses

    def f(z):
        losses = F.ctc_loss(
            F.log_softmax(z, axis=2), [1, 1, 2, 3, 3], [5, 4, 3], [3, 1, 1], reduction=reduction
        )
        return (losses * weights).sum() if reduction == "none" else losses

    assert cr.gradcheck(f, [cr.tensor(z, requires_grad=True)])


def test_gradient_is_pytorchs_for_unnormalised_log_probs():
    # PyTorch's gradient is exp(x) − γ, the true one −γ: they differ by exp(x) where t < T_n
    x = cr.tensor(_case(7, steps=4, n=2, classes=3), requires_grad=True)
    args = ([1, 2, 2], [4, 3], [2, 1])
    F.ctc_loss(x, *args, reduction="sum").backward()
    (true,) = cr.numerical_grad(lambda x: F.ctc_loss(x, *args, reduction="sum"), [x])
    inside = (np.arange(4)[:, None] < np.array([4, 3]))[..., None]
    np.testing.assert_allclose(x.grad, np.where(inside, np.exp(x.data) + true, 0), atol=1e-7)


def test_zero_infinity():
    z = cr.tensor(_case(8, steps=3, n=2, classes=3), requires_grad=True)
    args = (np.array([[1, 1, 1], [2, 0, 0]]), [3, 3], [3, 1])  # "111" needs five frames

    def losses(zero_infinity):
        lp = F.log_softmax(z, axis=2)
        return F.ctc_loss(lp, *args, reduction="none", zero_infinity=zero_infinity)

    out = losses(False)
    assert out.data[0] == np.inf
    out.sum().backward()
    assert np.isnan(z.grad[:, 0]).all()
    assert np.isfinite(z.grad[:, 1]).all()
    z.grad = None
    out = losses(True)
    assert out.data[0] == 0
    out.sum().backward()
    assert (z.grad[:, 0] == 0).all()
    assert np.abs(z.grad[:, 1]).max() > 0.01


def test_create_graph_gives_first_derivatives_and_refuses_second():
    x = cr.tensor(_log_softmax(_case(9)), requires_grad=True)
    args = ([1, 2, 1, 2], [5, 5, 4], [2, 1, 1])
    (grad,) = cr.autograd.grad(F.ctc_loss(x, *args), [x], create_graph=True)
    F.ctc_loss(x, *args).backward()
    np.testing.assert_allclose(grad.data, x.grad)
    with pytest.raises(RuntimeError, match="ctc_loss: second derivatives"):
        (grad * grad).sum().backward()


# ----- PyTorch ----------------------------------------------------------------------------------
def _both(torch, z, targets, inputs, lengths, dtype="float64", normalise=True, **options):
    """(chainrule's loss and gradient in z, PyTorch's)."""
    results = []
    for lib in ("cr", "torch"):
        if lib == "cr":
            zt = cr.tensor(z.astype(dtype), requires_grad=True)
            lp = F.log_softmax(zt, axis=-1) if normalise else zt
            loss = F.ctc_loss(lp, targets, inputs, lengths, **options)
        else:
            zt = torch.tensor(z.astype(dtype), requires_grad=True)
            lp = zt.log_softmax(-1) if normalise else zt
            loss = torch.nn.functional.ctc_loss(
                lp, torch.tensor(targets), inputs, lengths, **options
            )
        loss.sum().backward()
        results.append((np.asarray(loss.detach().numpy()), np.asarray(zt.grad)))
    return results


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_against_pytorch(reduction, concatenated):
    torch = torch_or_skip()
    z = _case(10, steps=7, n=4, classes=5)
    padded = np.array([[1, 1, 2], [3, 4, 0], [2, 0, 0], [4, 4, 4]])
    lengths, inputs = [3, 2, 1, 3], [7, 5, 6, 7]
    targets = np.array([1, 1, 2, 3, 4, 2, 4, 4, 4]) if concatenated else padded
    for normalise in (True, False):
        (mine, my_grad), (theirs, their_grad) = _both(
            torch, z, targets, inputs, lengths, normalise=normalise, reduction=reduction
        )
        np.testing.assert_allclose(mine, theirs, rtol=1e-10)
        np.testing.assert_allclose(my_grad, their_grad, rtol=1e-8, atol=1e-12)


def test_against_pytorch_options_float32_and_unbatched():
    torch = torch_or_skip()
    z = _case(11, steps=4, n=3, classes=4)
    impossible = np.array([[2, 2, 2], [1, 0, 0], [0, 1, 0]])  # "222" needs five frames
    for zero_infinity in (False, True):
        (mine, my_grad), (theirs, their_grad) = _both(
            torch, z, impossible, [4, 3, 4], [3, 1, 2], blank=3, zero_infinity=zero_infinity
        )
        assert np.isinf(mine).any() != zero_infinity
        np.testing.assert_allclose(mine, theirs, rtol=1e-10)
        np.testing.assert_allclose(my_grad, their_grad, rtol=1e-8, atol=1e-12)
    targets = np.array([[3, 3, 1], [1, 0, 0], [2, 1, 0]])
    (mine, my_grad), (theirs, their_grad) = _both(
        torch, z, targets, [4, 3, 4], [2, 1, 2], dtype="float32", reduction="none"
    )
    assert mine.dtype == np.float32
    assert my_grad.dtype == np.float32
    np.testing.assert_allclose(mine, theirs, rtol=1e-5)
    np.testing.assert_allclose(my_grad, their_grad, atol=1e-5)
    unbatched = _both(torch, z[:, 0], targets[2, :2], torch.tensor(3), torch.tensor(2))
    np.testing.assert_allclose(unbatched[0][0], unbatched[1][0], rtol=1e-10)
    np.testing.assert_allclose(unbatched[0][1], unbatched[1][1], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(
    ("steps", "targets", "inputs", "lengths", "blank"),
    [
        (1, np.array([[2], [0]]), [1, 1], [1, 0], 0),  # T = 1: a label or nothing
        (5, np.array([], np.int64), [5, 3, 0], [0, 0, 0], 0),  # empty targets, concatenated
        (6, np.array([[0, 1, 3], [3, 3, 0], [1, 0, 0]]), [6, 6, 6], [3, 2, 1], 2),  # blank 2
        (4, np.array([[0, 1, 0, 1], [3, 0, 3, 0]]), [4, 4], [4, 4], 4),  # S = T, blank last
    ],
)
def test_edge_cases_against_pytorch(steps, targets, inputs, lengths, blank):
    torch = torch_or_skip()
    z = _case(13, steps=steps, n=len(inputs), classes=5)
    (mine, my_grad), (theirs, their_grad) = _both(
        torch, z, targets, inputs, lengths, blank=blank, reduction="none"
    )
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)
    np.testing.assert_allclose(my_grad, their_grad, rtol=1e-8, atol=1e-12)


def test_long_float32_input_matches_pytorch_in_float64():
    """Log space in float64 inside: no underflow over 600 frames, and closer to the float64
    result than PyTorch's own float32 computation."""
    torch = torch_or_skip()
    z = _case(14, steps=600, n=2, classes=6)
    targets = seeded(15).integers(1, 6, size=(2, 40))
    mine, my_grad = _both(torch, z, targets, [600, 450], [40, 7], dtype="float32")[0]
    theirs, their_grad = _both(torch, z, targets, [600, 450], [40, 7])[1]
    assert np.isfinite(mine).all()
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)
    np.testing.assert_allclose(my_grad, their_grad, atol=1e-6)  # PyTorch's float32: 2e-5 off


# ----- bad input ----------------------------------------------------------------------------------
_LP = _log_softmax(_case(12, steps=4, n=2, classes=3))


@pytest.mark.parametrize(
    ("args", "options", "error", "message"),
    [
        ((_LP, [[1, 0], [2, 2]], [4, 4], [2, 2]), {}, ValueError, "target label 0 .*blank"),
        ((_LP, [[1, 3], [1, 1]], [4, 4], [2, 2]), {}, ValueError, "target label 3 .*0..2"),
        ((_LP, [1, 1, 2], [4, 4], [2, 2]), {}, ValueError, "hold 3 labels.*sum to 4"),
        ((_LP, [[1, 2], [2, 1]], [4, 4], [3, 2]), {}, ValueError, "target_lengths .*got 3"),
        ((_LP, [[1, 2], [2, 1]], [5, 4], [2, 2]), {}, ValueError, "input_lengths .*got 5"),
        ((_LP, [[1, 2], [2, 1]], [4, 4, 4], [2, 2]), {}, ValueError, "input_lengths must hold 2"),
        ((_LP, [[1, 2], [2, 1]], [4, 4], [2]), {}, ValueError, "target_lengths must hold 2"),
        ((_LP, [[[1, 2]]], [4, 4], [2, 2]), {}, ValueError, "targets must be padded"),
        ((_LP[0, 0], [1], [4], [1]), {}, ValueError, r"log_probs must have shape.*\(3,\)"),
        ((_LP, [[1, 2], [2, 1]], [4, 4], [2, 2]), {"blank": 3}, ValueError, "blank .*got 3"),
        ((_LP, [[1.5, 2], [2, 1]], [4, 4], [2, 2]), {}, TypeError, "targets must be integers"),
        ((_LP, [[1, 2], [2, 1]], [4, 4], [2, 2]), {"reduction": "avg"}, ValueError, "'avg'"),
        ((_LP[:, :0], [], [], []), {}, ValueError, "empty batch"),
    ],
)
def test_bad_input(args, options, error, message):
    log_probs, targets, inputs, lengths = args
    with pytest.raises(error, match=f"ctc_loss: .*{message}"):
        F.ctc_loss(log_probs, np.array(targets), inputs, lengths, **options)
