"""Python protocols of a Tensor as PyTorch users expect them: formatting, ``in``, copies
on creation, and ``backward(gradient=...)``."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_a_0d_tensor_formats_as_its_number():
    # MSE of (1, 2) against 0 is (1 + 4) / 2 = 2.5
    loss = cr.nn.MSELoss()(cr.tensor([1.0, 2.0], requires_grad=True), np.zeros(2))
    assert f"{loss:.4f}" == "2.5000"
    assert f"{loss:>6.1f}" == "   2.5"
    assert f"{cr.tensor(3, dtype='int64'):03d}" == "003"
    assert f"{loss}" == "2.5"


def test_a_tensor_of_several_values_refuses_a_number_format_as_numpy_does():
    t = cr.tensor([1.0, 2.0])
    assert f"{t}" == str(t)
    with pytest.raises(TypeError):
        f"{t:.2f}"
    with pytest.raises(TypeError):
        f"{np.array([1.0, 2.0]):.2f}"  # the same in NumPy


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.0, True), (5, False), (np.float32(4.0), True), (float("nan"), False)],
)
def test_in_looks_at_every_element_whatever_the_axes(value, expected):
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert (value in t) is expected
    assert (value in np.array([[1.0, 2.0], [3.0, 4.0]])) is expected  # NumPy agrees


def test_in_with_a_tensor_is_any_equal_element_after_broadcasting():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert cr.tensor([3.0, 4.0]) in t
    assert cr.tensor([4.0, 3.0]) not in t  # (4 ≠ 3 and 3 ≠ 4) and (4 ≠ 1 and 3 ≠ 2)


def test_tensor_copies_the_callers_array_and_Tensor_shares_it():
    a = np.array([1.0, 2.0, 3.0])
    t = cr.tensor(a, requires_grad=True)
    opt = cr.optim.SGD([t], lr=0.5)
    (t * t).sum().backward()  # ∂/∂t = 2t: t ← t − t = 0
    opt.step()
    np.testing.assert_array_equal(t.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    shared = cr.Tensor(a)
    shared.data[0] = 7.0
    assert a[0] == 7.0  # as torch.as_tensor
    assert cr.tensor(shared).data is not shared.data


def test_np_array_of_a_tensor_copies_and_np_asarray_shares_as_for_an_array():
    # NumPy 2 passes copy= to __array__ and takes its answer as it is; NumPy 1 copies itself
    t = cr.tensor([1.0, 2.0], dtype="float64")
    np.array(t)[0] = 7.0
    np.array(t, dtype=np.float64, copy=True)[0] = 7.0
    assert t.data[0] == 1.0
    np.asarray(t)[1] = 5.0
    assert t.data[1] == 5.0
    assert np.array(t, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    ("dtype", "copy", "shared"),
    [
        (None, None, True),
        (None, True, False),
        (None, False, True),
        ("float64", True, False),
        ("float64", False, True),
        ("float32", None, False),
    ],
)
def test_the_array_protocol_honours_numpy_2s_copy_argument(dtype, copy, shared):
    t = cr.tensor([1.0, 2.0], dtype="float64")
    a = t.__array__(dtype, copy=copy)
    assert np.shares_memory(a, t.data) is shared
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_the_array_protocol_refuses_copy_false_where_the_dtype_needs_a_copy():
    t = cr.tensor([1.0, 2.0], dtype="float64")
    with pytest.raises(ValueError, match="copy"):
        t.__array__(np.float32, copy=False)
    assert t.__array__(np.float32).dtype == np.float32  # copy=None: a copy as needed


def test_a_parameter_copies_its_array_so_one_start_serves_two_models():
    w0 = np.ones((2, 2), np.float32)
    for lr in (0.1, 0.5):
        p = cr.nn.Parameter(w0)
        opt = cr.optim.SGD([p], lr=lr)
        (p * p).sum().backward()  # ∂/∂p = 2p: p ← (1 − 2·lr)·p
        opt.step()
        np.testing.assert_allclose(p.data, 1 - 2 * lr)
    np.testing.assert_array_equal(w0, 1.0)


def test_backward_takes_pytorchs_keyword_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).backward(gradient=np.array([1.0, 10.0], np.float32))
    np.testing.assert_array_equal(x.grad, [3.0, 30.0])
    with pytest.raises(TypeError, match="once, as grad or gradient"):
        (x * 3.0).backward(np.ones(2), gradient=np.ones(2))


def test_a_hook_handle_removes_by_call_or_remove_and_holds_the_tensor_weakly():
    import gc
    import weakref

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.copy()))
    (y * 3.0).sum().backward(retain_graph=True)
    handle.remove()  # PyTorch's spelling
    handle()  # and again, as a call: nothing more to remove
    (y * 3.0).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    kept = y.register_hook(lambda g: None)
    alive = weakref.ref(y)
    del y
    gc.collect()
    assert alive() is None  # the handle did not keep it
    kept()  # removing from a tensor that is gone does nothing


def test_a_read_only_grad_is_replaced_not_written_into():
    # cr.grad of a sum gives a broadcast (read-only) array of ones; assigned as .grad, the
    # next backward adds to it by making a new array (x·w summed: ∂/∂x = w = 1)
    ones = cr.grad(lambda x: x.sum())(np.ones(3)).data
    assert not ones.flags.writeable
    x = cr.Tensor(np.ones(3), requires_grad=True)
    w = cr.Tensor(np.ones(3), requires_grad=True)
    x.grad = ones
    (x * w).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(w.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(ones, [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("mode", "is_on"),
    [(cr.detect_anomaly, cr.is_anomaly_enabled), (cr.strict, cr.is_strict)],
    ids=["anomaly", "strict"],
)
def test_a_process_wide_mode_stays_on_while_any_threads_block_is_open(mode, is_on):
    import threading

    assert not is_on()  # the test starts from the mode off
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def first():
        with mode():
            a_in.set()
            b_in.wait(10)
        a_out.set()  # A's block closed while B's is still open

    def second():
        a_in.wait(10)
        with mode():
            b_in.set()
            a_out.wait(10)
            seen.append(is_on())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen == [True]
    assert not is_on()  # off again once the last block closed


def test_argmax_and_argmin_follow_numpy_and_stay_outside_the_graph():
    values = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]])
    x = cr.tensor(values, requires_grad=True)
    for axis in (None, 0, 1, -1):
        np.testing.assert_array_equal(x.argmax(axis).data, np.argmax(values, axis))
        np.testing.assert_array_equal(cr.argmin(x, axis).data, np.argmin(values, axis))
    assert x.argmax(1).tolist() == [1, 0]  # the first of the tied fives
    assert x.argmax(1, keepdims=True).shape == (2, 1)
    assert x.argmax().dtype == np.int64
    assert not x.argmax(1).requires_grad
    accuracy = (x.argmax(1) == cr.tensor(np.array([1, 2]))).numpy().mean()
    assert accuracy == 0.5


@pytest.mark.parametrize("op", [cr.max, cr.min])
def test_pytorchs_two_tensor_max_says_to_use_maximum(op):
    x, y = cr.tensor([1.0, 5.0]), cr.tensor([2.0, 2.0])
    name = op.__name__
    pairwise = "maximum" if name == "max" else "minimum"
    with pytest.raises(TypeError, match=rf"{name}: axis must be .* got Tensor; .*cr\.{pairwise}"):
        op(x, y)
    with pytest.raises(TypeError, match=r"sum: axis must be None, an int or a tuple of ints"):
        x.sum(1.0)
    assert float(op(x, 0)) == (5.0 if name == "max" else 1.0)
