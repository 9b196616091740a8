"""Audit of `chainrule.nn.functional` against `torch.nn.functional`, and of the Tensor's
Python protocols (construction, truth value, len, iteration, conversions, comparisons,
logical operators on masks, repr) against PyTorch and NumPy.

The truths are PyTorch's results, NumPy's, and values worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

try:  # the comparisons with PyTorch need it; the other tests run without it
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
TF = torch.nn.functional if torch is not None else None

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64} if torch else {}
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-10}


def close(actual, expected, dtype) -> None:
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=tol, atol=tol)


def torch_of(a: np.ndarray, requires_grad: bool = False):
    return torch.tensor(a, requires_grad=requires_grad)


# ----- construction ---------------------------------------------------------------------------
NOT_NUMBERS = {
    "a string": ("1.5", "text"),
    "a list of strings": (["1.5", "2"], "text"),
    "nested strings": ([["1", "2"], ["3", "4"]], "text"),
    "bytes": (b"12", "text"),
    "None in a list": ([1.0, None], "None"),
    "None nested": ([[1.0], [None]], "None"),
    "text after a NaN": ([float("nan"), "2"], "text '2'"),
    "a string array in a list": ([np.array(["1.5"])], "text"),  # was parsed: 1.5
    "a string array": (np.array(["1.5"]), "dtype <U3"),
    "an object array": (np.array([1.0, 2.0], dtype=object), "dtype object"),
    "a date array": (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
}


@pytest.mark.parametrize("name", NOT_NUMBERS)
@pytest.mark.parametrize("make", [cr.tensor, cr.Tensor], ids=["tensor", "Tensor"])
def test_data_that_is_not_numbers_is_refused_as_pytorch_refuses_it(name, make):
    data, what = NOT_NUMBERS[name]
    with pytest.raises(TypeError, match=r"a tensor holds numbers, got .*" + what):
        make(data)
    if torch is not None and not isinstance(data, np.ndarray):  # PyTorch has no text, None
        with pytest.raises((TypeError, RuntimeError, ValueError)):  # or object tensors
            torch.tensor(data)


@pytest.mark.parametrize("dtype", [str, object, "datetime64[s]", "V4"])
def test_a_dtype_that_is_not_numbers_is_refused_by_name(dtype):
    with pytest.raises(TypeError, match="dtype must be bool, an integer, floating or complex"):
        cr.tensor([1, 2], dtype=dtype)
    with pytest.raises(TypeError, match="astype: a tensor holds numbers"):
        cr.tensor([1.0, 2.0]).astype(dtype)
    with pytest.raises(TypeError, match="cast: a tensor holds numbers"):
        cr.ops.cast(cr.tensor([1.0, 2.0]), dtype)  # the op itself, not only the method


@pytest.mark.parametrize(
    "op",
    [lambda t: t + "1.5", lambda t: "2" * t, lambda t: cr.maximum(t, "0")],
    ids=["+", "*", "maximum"],
)
def test_text_as_an_operand_is_refused_not_parsed(op):
    # t + "1.5" was [2.5, 3.5]: the text was parsed as a number (PyTorch refuses it)
    with pytest.raises(TypeError, match="a tensor holds numbers, got text"):
        op(cr.tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    ("op", "what"),
    [
        (lambda t: t + [1.0, None], "None"),  # noqa: RUF005 (a Tensor plus a list)
        (lambda t: [None, 2.0] * t, "None"),
        (lambda t: t - [[1.0], [None]], "None"),
        (lambda t: t / ["1", "2"], "text"),
        (lambda t: t @ [1.0, None], "None"),  # a Function's constant, not a binary operand
        (lambda t: t @ ["1", "2"], "text"),
    ],
    ids=["+ None", "None *", "- nested None", "/ text", "@ None", "@ text"],
)
def test_a_list_operand_holds_numbers_as_a_tensor_does(op, what):
    # t + [1.0, None] was [2., nan]: NumPy made the None NaN, where cr.tensor refuses it
    with pytest.raises(TypeError, match="a tensor holds numbers, got .*" + what):
        op(cr.tensor([1.0, 2.0]))
    if torch is not None:
        with pytest.raises((TypeError, RuntimeError, ValueError)):
            op(torch.tensor([1.0, 2.0]))


def test_a_string_array_is_refused_even_with_a_float_dtype():
    with pytest.raises(TypeError, match="dtype <U1"):
        cr.Tensor(np.array(["1", "2"]), dtype="float32")  # NumPy would parse the text


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (1 + 2j, r"a complex \(1\+2j\)"),
        ({1: 2}, r"a dict \{1: 2\}"),
        ({1, 2}, r"a set \{1, 2\}"),
        ((v for v in range(3)), "a generator"),
        ([[1, 2], [3]], r"a list \[\[1, 2\], \[3\]\]"),
    ],
    ids=["complex", "dict", "set", "generator", "ragged"],
)
def test_an_unconvertible_value_is_named_in_the_error(data, named):
    with pytest.raises(
        (TypeError, ValueError), match="cannot make a tensor of dtype float32 from " + named
    ):
        cr.tensor(data)


def test_a_nan_given_as_a_number_is_kept():
    t = cr.tensor([1.0, float("nan"), np.nan])
    assert t.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(t.data), [False, True, True])


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        ([[1, 2], [3, 4]], np.float32),  # Python numbers: the default float (documented)
        ([True, False], np.float32),
        ((1.5, 2.5), np.float32),
        (range(4), np.float32),
        ([], np.float32),
        (np.array([1.5, -2.0], np.float16), np.float16),  # arrays keep their dtype
        (np.array([1, 2], np.int8), np.int8),
        (np.array([True]), np.bool_),
        (np.float64(2.5), np.float64),  # NumPy scalars too, as torch.tensor keeps them
        (np.int32(7), np.int32),
        (np.array([1 + 2j]), np.complex128),
    ],
)
def test_numbers_become_tensors_of_the_documented_dtype(data, dtype):
    t = cr.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(
        t.data, np.asarray(list(data) if isinstance(data, range) else data)
    )


def test_a_list_of_tensors_stacks_their_values():
    t = cr.tensor([cr.tensor([1.0, 2.0]), cr.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(t.data, [[1.0, 2.0], [3.0, 4.0]])


# ----- protocols --------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("values", [[1.0, 2.0], [], [[0.0]], [0.0], [float("nan")], 0.0, -0.0, 3.0])
def test_truth_value_is_pytorchs(values):
    ours, theirs = cr.tensor(values), torch.tensor(values)
    try:
        expected = bool(theirs)
    except RuntimeError:  # several values (or none): ambiguous
        with pytest.raises(ValueError, match="ambiguous"):
            bool(ours)
        return
    assert bool(ours) is expected


def test_len_and_iteration_follow_the_first_axis():
    t = cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    assert len(t) == 3
    rows = list(t)
    assert [r.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    sum(r.sum() * (i + 1) for i, r in enumerate(rows)).backward()  # each row's own weight
    np.testing.assert_array_equal(t.grad, [[1, 1], [2, 2], [3, 3]])
    assert len(cr.tensor(np.zeros((0, 4)))) == 0
    assert list(cr.tensor(np.zeros((0, 4)))) == []


def test_a_0d_tensor_has_no_len_and_no_iteration_as_in_pytorch():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(cr.tensor(1.0))
    if torch is not None:
        with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
            len(torch.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(cr.tensor(1.0))


@needs_torch
@pytest.mark.parametrize(
    "value", [0.0, -0.0, 2.7, -2.7, 1e10, 123456789.0, float("inf"), float("nan"), 7, -3]
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_float_and_int_of_one_element_are_pytorchs(value, dtype, shape):
    if dtype == "int64" and not (isinstance(value, int) or math.isfinite(value)):
        return
    data = np.full(shape, value).astype(dtype)
    ours, theirs = cr.tensor(data), torch.tensor(data)
    assert float(ours) == float(theirs) or (math.isnan(float(ours)) and math.isnan(float(theirs)))
    for convert in (int, lambda t: t.item()):
        try:
            expected = convert(theirs)
        except (ValueError, OverflowError) as e:
            with pytest.raises(type(e)):
                convert(ours)
            continue
        got = convert(ours)
        assert got == expected or (got != got and expected != expected)
        assert type(got) is type(expected)


def test_float_of_several_elements_is_refused():
    with pytest.raises(ValueError, match=r"one-element tensor, but the shape is \(2,\)"):
        float(cr.tensor([1.0, 2.0]))


def test_an_integer_0d_tensor_is_an_index():
    items = list(range(10))
    i, j = cr.tensor(np.int64(2)), cr.tensor(np.int32(5))
    assert items[i] == 2
    assert items[i:j] == [2, 3, 4]
    assert list(range(j)) == [0, 1, 2, 3, 4]
    for bad in (cr.tensor(2.0), cr.tensor(np.array([1]))):
        with pytest.raises(TypeError, match="0-d integer tensor"):
            items[bad]


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.int32, np.uint8, np.bool_]
)
def test_item_tolist_numpy_and_array_agree_with_numpy(dtype):
    a = np.array([[1, 0, 3], [4, 5, 0]]).astype(dtype)
    t = cr.tensor(a)
    assert t.tolist() == a.tolist()
    assert t[1, 2].item() == a[1, 2].item()
    assert type(t[1, 2].item()) is type(a[1, 2].item())
    assert t[0].dtype == dtype  # indexing keeps the dtype
    assert t.numpy() is t.data  # shared, as the docstring says
    assert np.asarray(t).dtype == dtype
    assert np.shares_memory(np.asarray(t), t.data)


def test_np_asarray_of_a_tensor_that_requires_grad_is_its_values():
    t = cr.tensor([1.5, 2.5], requires_grad=True)
    y = t * 2.0
    np.testing.assert_array_equal(np.asarray(y), [3.0, 5.0])
    np.testing.assert_array_equal(np.array(t) + 1, [2.5, 3.5])


COMPARISONS = ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"]


@needs_torch
@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("seed", range(6))
def test_comparisons_are_pytorchs_and_stay_outside_the_graph(op, seed):
    rng = np.random.default_rng(seed)
    dtype = [np.float32, np.float64, np.int64][seed % 3]
    a = rng.integers(-3, 4, (3, 4)).astype(dtype)
    b = rng.integers(-3, 4, (4,)).astype(dtype)
    number = int(rng.integers(-3, 4))
    ours = cr.tensor(a, requires_grad=dtype != np.int64)
    for other, torch_other in (
        (cr.tensor(b), torch.tensor(b)),
        (number, number),
        (b, torch.tensor(b)),
    ):
        got = getattr(ours, op)(other)
        expected = getattr(torch.tensor(a), op)(torch_other)
        assert got.dtype == np.bool_
        assert not got.requires_grad
        np.testing.assert_array_equal(got.data, expected.numpy())


LOGICAL = {"&": (lambda x, y: x & y), "|": (lambda x, y: x | y), "^": (lambda x, y: x ^ y)}


@needs_torch
@pytest.mark.parametrize("op", LOGICAL)
@pytest.mark.parametrize("seed", range(4))
def test_masks_combine_with_and_or_xor_not_as_in_pytorch(op, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 5))
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x)
    f = LOGICAL[op]
    got = f(ours > 0, ours < 0.5)
    expected = f(theirs > 0, theirs < 0.5)
    assert got.dtype == np.bool_
    assert not got.requires_grad
    np.testing.assert_array_equal(got.data, expected.numpy())
    np.testing.assert_array_equal(f(ours > 0, True).data, f(theirs > 0, True).numpy())
    mask = x[0] > 0  # a NumPy mask on the left: NumPy hands the operator to the tensor
    np.testing.assert_array_equal(f(mask, ours > 0).data, f(torch.tensor(mask), theirs > 0).numpy())
    np.testing.assert_array_equal((~(ours > 0)).data, (~(theirs > 0)).numpy())
    n = rng.integers(0, 16, 5)
    np.testing.assert_array_equal(f(cr.tensor(n), 6).data, f(torch.tensor(n), 6).numpy())
    assert ours[(ours > 0) & (ours < 0.5)].shape == (int(((x > 0) & (x < 0.5)).sum()),)


def test_logical_operators_refuse_floating_tensors():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        _ = x & x
    with pytest.raises(TypeError):
        _ = ~x


@pytest.mark.parametrize("shape", [(0, 3), (2, 0), (0,), (1, 0, 4)])
def test_repr_of_an_empty_tensor_shows_its_shape_as_numpy_does(shape):
    text = repr(cr.tensor(np.zeros(shape, np.float32)))
    if len(shape) > 1:
        assert f"shape={shape}" in text
        assert f"shape={shape}" in repr(np.zeros(shape))  # NumPy shows it too
    else:
        assert text == "tensor([])"
        assert torch is None or repr(torch.zeros(shape)) == text
    assert f"shape={(0, 3)}, dtype=float64" in repr(cr.tensor(np.zeros((0, 3))))


def test_repr_shows_nan_inf_float16_names_and_summarises_large_tensors():
    assert repr(cr.tensor([np.nan, np.inf, -np.inf])) == "tensor([ nan,  inf, -inf])"
    assert repr(cr.tensor(2.5)) == str(cr.tensor(2.5)) == "tensor(2.5)"
    assert repr(cr.tensor(np.float16(0.5))) == "tensor(0.5, dtype=float16)"
    assert repr(cr.tensor([1.0], name="w")) == "tensor([1.], name='w')"
    big = repr(cr.tensor(np.arange(5000.0)))
    assert "..." in big
    assert len(big) < 200


# ----- nn.functional against torch.nn.functional -----------------------------------------------
ACTIVATIONS = {
    "relu": ({}, {}),
    "sigmoid": ({}, {}),
    "tanh": ({}, {}),
    "leaky_relu": ({"negative_slope": 0.2}, {"negative_slope": 0.2}),
    "softmax": ({"axis": 0}, {"dim": 0}),
    "log_softmax": ({"axis": -1}, {"dim": -1}),
}


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("seed", range(8))
def test_activation_values_gradients_and_dtypes_are_pytorchs(name, seed, dtype):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 4, rng.integers(1, 4)))
    x = (rng.normal(size=shape) * rng.choice([0.1, 5.0, 50.0])).astype(dtype)
    up = rng.normal(size=shape).astype(dtype)
    ours, theirs = cr.tensor(x, requires_grad=True), torch_of(x, True)
    kw, tkw = ACTIVATIONS[name]
    y, ty = getattr(F, name)(ours, **kw), getattr(TF, name)(theirs, **tkw)
    assert y.dtype == dtype
    close(y.data, ty.detach().numpy(), dtype)
    y.backward(up)
    ty.backward(torch_of(up))
    close(ours.grad, theirs.grad.numpy(), dtype)


def _cross_entropy_case(rng, dtype):
    n, c = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    x = (rng.normal(size=(n, c)) * rng.choice([0.1, 1.0, 30.0])).astype(dtype)
    labels = rng.integers(0, c, n)
    probs = rng.dirichlet(np.ones(c), n).astype(dtype)
    return x, labels, probs


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("seed", range(10))
def test_cross_entropy_matches_pytorch_for_labels_and_probabilities(seed, reduction, dtype):
    rng = np.random.default_rng(seed)
    x, labels, probs = _cross_entropy_case(rng, dtype)
    up = rng.normal(size=len(x)).astype(dtype) if reduction == "none" else None
    for target in (labels, probs):
        ours, theirs = cr.tensor(x, requires_grad=True), torch_of(x, True)
        soft = target.ndim == 2
        t = cr.tensor(target, requires_grad=True) if soft else target
        tt = torch_of(target, True) if soft else torch.tensor(target)
        loss = F.cross_entropy(ours, t, reduction=reduction)
        expected = TF.cross_entropy(theirs, tt, reduction=reduction)
        assert loss.dtype == dtype
        assert loss.shape == tuple(expected.shape)
        close(loss.data, expected.detach().numpy(), dtype)
        loss.backward(up)
        expected.backward(None if up is None else torch_of(up))
        close(ours.grad, theirs.grad.numpy(), dtype)
        if soft:
            close(t.grad, tt.grad.numpy(), dtype)


@needs_torch
@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, 2, 1]),
        np.array([0, 2, 1], np.int32),
        np.array([0, 2, 1], np.uint8),
        [0, 2, 1],
        cr.tensor(np.array([0, 2, 1])),
        cr.tensor(np.array([0, 2, 1], np.int8)),
    ],
    ids=["int64", "int32", "uint8", "list", "Tensor int64", "Tensor int8"],
)
def test_cross_entropy_takes_every_integer_label_form(labels):
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    expected = TF.cross_entropy(torch.tensor(x), torch.tensor([0, 2, 1])).item()
    loss = F.cross_entropy(cr.tensor(x), labels)
    assert loss.dtype == np.float32
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.array([0.0, 1.0]), "class labels must be integers, got dtype float64"),
        (np.array([True, False]), "class labels must be integers, got dtype bool"),
        (np.array([0, 3]), "label 3 .* out of range for 3 classes"),
        (np.array([-1, 0]), "label -1 .* out of range"),
        (np.array([[0], [1]]), r"a target of shape \(2, 1\) fits neither"),
    ],
)
def test_cross_entropy_names_what_is_wrong_with_the_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        F.cross_entropy(cr.tensor(np.zeros((2, 3))), labels)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["binary_cross_entropy_with_logits", "mse_loss"])
@pytest.mark.parametrize("seed", range(8))
def test_elementwise_losses_match_pytorch_with_a_target_that_requires_grad(
    seed, loss, reduction, dtype
):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 4, rng.integers(0, 4)))
    x = (rng.normal(size=shape) * rng.choice([0.1, 1.0, 30.0])).astype(dtype)
    target = rng.uniform(size=shape).astype(dtype)
    up = rng.normal(size=shape).astype(dtype) if reduction == "none" else None
    ours, theirs = cr.tensor(x, requires_grad=True), torch_of(x, True)
    t, tt = cr.tensor(target, requires_grad=True), torch_of(target, True)
    value = getattr(F, loss)(ours, t, reduction=reduction)
    expected = getattr(TF, loss)(theirs, tt, reduction=reduction)
    assert value.dtype == dtype
    assert value.shape == tuple(expected.shape)
    close(value.data, expected.detach().numpy(), dtype)
    value.backward(up)
    expected.backward(None if up is None else torch_of(up))
    close(ours.grad, theirs.grad.numpy(), dtype)
    close(t.grad, tt.grad.numpy(), dtype)


@needs_torch
@pytest.mark.parametrize("loss", ["binary_cross_entropy_with_logits", "mse_loss"])
def test_a_data_target_of_any_form_is_cast_to_the_predictions_dtype(loss):
    x = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    expected = getattr(TF, loss)(torch.tensor(x), torch.tensor(t, dtype=torch.float32)).item()
    for target in (
        t,
        t.astype(np.float32),
        t.tolist(),
        t.astype(bool),
        t.astype(int),
        cr.tensor(t),
    ):
        value = getattr(F, loss)(cr.tensor(x), target)
        assert value.dtype == np.float32
        assert value.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("reduction", ["avg", None, "Mean", ""])
@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy_with_logits", "mse_loss"])
def test_an_unknown_reduction_is_named(loss, reduction):
    with pytest.raises(ValueError, match=f"reduction must be one of .* got {reduction!r}"):
        getattr(F, loss)(cr.tensor(np.zeros((2, 2))), np.zeros(2, int), reduction=reduction)


@needs_torch
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_pytorch_with_the_weight_transposed(seed, bias):
    rng = np.random.default_rng(seed)
    shape = (*rng.integers(1, 4, rng.integers(0, 3)), int(rng.integers(1, 4)))
    out = int(rng.integers(1, 4))
    x, w, b = rng.normal(size=shape), rng.normal(size=(shape[-1], out)), rng.normal(size=out)
    ours = [cr.tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs = [torch_of(v, True) for v in (x, w.T.copy(), b)]
    y = F.linear(*ours) if bias else F.linear(*ours[:2])
    ty = TF.linear(*theirs) if bias else TF.linear(*theirs[:2])
    close(y.data, ty.detach().numpy(), np.float64)
    up = rng.normal(size=y.shape)
    y.backward(up)
    ty.backward(torch_of(up))
    close(ours[0].grad, theirs[0].grad.numpy(), np.float64)
    close(ours[1].grad, theirs[1].grad.numpy().T, np.float64)
    if bias:
        close(ours[2].grad, theirs[2].grad.numpy(), np.float64)


@needs_torch
def test_dropout_validates_p_and_is_the_identity_out_of_training():
    x = cr.tensor([1.0, 2.0])
    for p in (-0.1, 1.5, float("nan"), True, "0.5"):
        with pytest.raises(ValueError, match="dropout probability must be a number in"):
            F.dropout(x, p)
    assert F.dropout(x, 0.5, training=False) is x
    dropped = F.dropout(cr.tensor(np.ones(1000)), 1.0)
    np.testing.assert_array_equal(dropped.data, 0.0)  # as torch's dropout with p=1
    np.testing.assert_array_equal(TF.dropout(torch.ones(10), 1.0).numpy(), 0.0)


@needs_torch
@pytest.mark.parametrize("seed", range(4))
def test_logsumexp_and_norm_match_pytorch(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 4)) * 20
    ours, theirs = cr.tensor(x, requires_grad=True), torch_of(x, True)
    (F.logsumexp(ours, axis=1).sum() + F.norm(ours)).backward()
    (torch.logsumexp(theirs, 1).sum() + torch.linalg.vector_norm(theirs)).backward()
    close(ours.grad, theirs.grad.numpy(), np.float64)
    close(F.logsumexp(ours, axis=0).data, torch.logsumexp(theirs, 0).detach().numpy(), np.float64)
