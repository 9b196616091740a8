"""Review of the array ops: edges where they parted from NumPy and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_roll_takes_an_axis_named_twice_as_numpy_and_pytorch_do():
    # np.roll and torch.roll roll a repeated axis once per mention (the shifts add up)
    x = np.arange(12.0).reshape(4, 3)
    t = cr.tensor(x, requires_grad=True)
    y = cr.roll(t, (1, 2), (0, 0))
    np.testing.assert_array_equal(y.data, np.roll(x, (1, 2), (0, 0)))
    np.testing.assert_array_equal(cr.roll(cr.tensor(x), 1, (1, -1)).data, np.roll(x, 1, (1, -1)))
    w = np.arange(12.0).reshape(4, 3) ** 2
    (y * w).sum().backward()
    np.testing.assert_array_equal(t.grad, np.roll(w, -3, 0))


@pytest.mark.parametrize("op", [cr.triu, cr.tril])
def test_triu_and_tril_keep_a_bool_tensor_bool(op):
    # np.triu and torch.triu give a bool mask back for a bool one (a where with 0 gave int64)
    m = np.ones((3, 3), dtype=bool)
    out = op(cr.tensor(m), 1)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out.data, getattr(np, op.__name__)(m, 1))
    assert op(m).dtype == np.bool_  # a NumPy array too


def test_topk_of_a_0d_tensor_with_k_0_is_an_error_naming_topk():
    # the 0-d result holds one value; k=0 failed inside a reshape, naming no topk
    with pytest.raises(ValueError, match=r"topk: k=0 .*0-d"):
        cr.topk(cr.tensor(2.0), 0)
    assert cr.topk(cr.tensor(2.0), 1).values.item() == 2.0


@pytest.mark.parametrize("op", [cr.all, cr.any])
def test_all_and_any_name_themselves_for_an_axis_out_of_range(op):
    t = cr.tensor(np.ones((2, 3)))
    name = op.__name__
    with pytest.raises(np.exceptions.AxisError, match=rf"{name}: axis 2 .*2 dimensions"):
        op(t, 2)
    with pytest.raises(np.exceptions.AxisError, match=rf"{name}: axis -3 "):
        op(t, (0, -3))
    assert op(t, (0, -1)).data.item() is True  # in range: NumPy's answer


@pytest.mark.parametrize("op", [cr.cumsum, cr.flip, cr.all])
def test_a_float_axis_is_a_type_error_naming_the_op(op):
    # it was "'float' object is not iterable"
    with pytest.raises(TypeError, match=rf"{op.__name__}: axes must be ints, got 1.0"):
        op(cr.tensor(np.ones((2, 3))), 1.0)


def test_repeat_interleave_takes_an_empty_list_of_repeats_for_an_empty_axis():
    # one count per element of an axis of size 0: [] (a float64 array to NumPy), as torch
    # takes an empty tensor of repeats
    t = cr.tensor(np.zeros((0, 2)), requires_grad=True)
    y = cr.repeat_interleave(t, [], 0)
    assert y.shape == (0, 2)
    y.sum().backward()
    assert t.grad.shape == (0, 2)


def test_an_axis_of_a_0d_tensor_names_no_range_of_axes():
    # a 0-d tensor has no valid axis: the message said "(-0 to -1)"
    with pytest.raises(np.exceptions.AxisError, match=r"take_along_axis: axis 0 .* 0 dim") as e:
        cr.take_along_axis(cr.tensor(1.0), np.array(0), 0)
    assert "-0 to" not in str(e.value)


class _LogSoftmaxModel(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = cr.nn.Parameter(np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float32))

    def forward(self, x):
        return cr.nn.functional.log_softmax(x @ self.w, 1)


@pytest.mark.parametrize(
    ("loss_fn", "ignored"),
    [
        (cr.nn.NLLLoss(), -100),
        (cr.nn.NLLLoss(ignore_index=-1), -1),
        (cr.nn.CrossEntropyLoss(ignore_index=7), 7),
        (cr.nn.functional.nll_loss, -100),
    ],
)
def test_accuracy_leaves_out_the_rows_the_loss_ignores(loss_fn, ignored):
    # rows labelled ignore_index (padding) are not scored by the loss: they were counted
    # as wrong predictions (the arg-max never equals -100)
    x = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0, 0, 1], dtype=np.int64)  # the model predicts 0, 1, 0, 1, 0, 1
    right = y == np.array([0, 1, 0, 1, 0, 1])
    y[[2, 5]] = ignored  # one wrong row and one right row left out
    kept = y != ignored
    want = right[kept].mean()
    model = _LogSoftmaxModel()
    assert cr.evaluate(model, loss_fn, (x, y), batch_size=4)["accuracy"] == pytest.approx(want)
    # in order: a batch of ignored rows alone would make the mean loss NaN, as in PyTorch
    sgd = cr.optim.SGD(model.parameters(), lr=0.0)
    history = cr.fit(model, loss_fn, sgd, (x, y), epochs=1, batch_size=4, shuffle=False)
    assert history.history["accuracy"][0] == pytest.approx(want)


@pytest.mark.parametrize("bad", [2.0, -0.5])
def test_binary_cross_entropy_refuses_a_target_outside_0_1_as_pytorch(bad):
    # torch: "all elements of target should be between 0 and 1"; a class label 2 given to
    # BCE by mistake gave a loss (the formula extrapolated), not an error
    p = cr.tensor([0.5, 0.25], requires_grad=True)
    with pytest.raises(ValueError, match=rf"binary_cross_entropy: the target .*\[0, 1\].*{bad}"):
        cr.nn.functional.binary_cross_entropy(p, np.array([1.0, bad]))
    with pytest.raises(ValueError, match=r"target .*\[0, 1\]"):
        cr.nn.BCELoss(reduction="sum")(p, np.array([[bad, 0.0]]).reshape(2))
    soft = cr.nn.functional.binary_cross_entropy(p, np.array([1.0, 0.3]))  # soft: fine
    assert np.isfinite(soft.item())
