"""`cr.gradcheck` as a test oracle: wrong backward rules are caught, correct functions pass.

Every correctness claim about the ops rests on gradcheck, so it is tested the way a test
oracle is: by mutation. A mutant replaces one op's ``backward``, in this process only
(``monkeypatch``), with one that changes the gradient of one input: scaled by 0.5, 2 or
−1, zero, its mean everywhere, one element moved (the first, the last), transposed (a
square matrix), swapped with the other input's (equal shapes); and, where the op
broadcasts, `unbroadcast` replaced by one that takes the first slice, or the mean, instead
of the sum over the broadcast axes. Every op of the table in test_ops_table.py, and
norm, logsumexp and the fused nn nodes, is tried on plain, 0-d, size-1 and broadcast
inputs. Each mutant must first change the gradient (the inputs are chosen so that none is
an equivalent mutant: no input whose gradient is all zero, no size-1 input for the mean),
then gradcheck must raise `GradcheckError`.

The mutants that gradcheck lets through have tests of their own: equivalent mutants (the
gradient does not change) and a gradient off by 0.1%, which the default tolerances
(PyTorch's) accept, as PyTorch's gradcheck does. So do false alarms: correct functions near
kinks, at large and tiny magnitudes, with float32, non-contiguous, integer and boolean
inputs must pass.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.nn import _bce_with_logits, _layers, _softmax_with_loss
from chainrule.ops import (
    _activations,
    _arithmetic,
    _casts,
    _elementwise,
    _exp_log,
    _linalg,
    _piecewise,
    _reduce,
    _shape,
    _softmax,
    _trig,
)


# ----- cases --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    op: type  # the Function whose backward the mutants replace
    fn: Callable  # fn(*tensors) -> Tensor
    inputs: tuple[np.ndarray, ...]
    broadcasts: bool = False  # whether the op undoes broadcasting (the unbroadcast mutants)
    skip: tuple[str, ...] = ()  # mutants that are equivalent here (see `EQUIVALENT`)


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _values(shape, lo=-2.0, hi=2.0, *key) -> np.ndarray:
    return _rng(shape, lo, hi, *key).uniform(lo, hi, shape)


def _signed(shape, lo=0.3, hi=2.0, *key) -> np.ndarray:
    """Magnitudes in [lo, hi] with alternating signs, the first positive: both sides of a
    kink at 0 (and a 0-d input on the side where the gradient is not 0)."""
    signs = np.where(np.arange(int(np.prod(shape))) % 2, -1.0, 1.0).reshape(shape)
    return signs * _values(shape, lo, hi, *key)


def _distinct(shape) -> np.ndarray:
    """Values at least 0.1 apart (max and min without ties), in a seeded order."""
    n = int(np.prod(shape))
    return (_rng(shape).permutation(n) * 0.3 - 0.5).reshape(shape)


UNARY = [
    ("neg", _arithmetic.Neg, lambda x: -x, _values),
    ("exp", _exp_log.Exp, cr.exp, _values),
    ("log", _exp_log.Log, cr.log, lambda s: _values(s, 0.2, 3.0)),
    ("sqrt", _exp_log.Sqrt, cr.sqrt, lambda s: _values(s, 0.2, 3.0)),
    ("abs", _piecewise.Abs, cr.abs, _signed),
    ("sin", _trig.Sin, cr.sin, _values),
    ("cos", _trig.Cos, cr.cos, _values),
    ("tanh", _activations.Tanh, cr.tanh, _values),
    ("sigmoid", _activations.Sigmoid, cr.sigmoid, lambda s: _values(s, -4.0, 4.0)),
    ("relu", _activations.ReLU, cr.relu, _signed),
    ("leaky_relu", _activations.LeakyReLU, lambda x: cr.leaky_relu(x, 0.2), _signed),
    ("clip", _piecewise.Clip, lambda x: cr.clip(x, -1.0, 1.5), lambda s: _signed(s, 0.3, 2.4)),
    ("cast", _casts.Cast, lambda x: x.astype("float64"), _values),
]


def _other(shape) -> np.ndarray:
    """A second input, not equal to the first (with x = y, swapping gradients is no error)."""
    return _values(shape, -2.0, 2.0, "other")


BINARY = [
    ("add", _arithmetic.Add, lambda x, y: x + y, _values, _other),
    ("sub", _arithmetic.Sub, lambda x, y: x - y, _values, _other),
    ("mul", _arithmetic.Mul, lambda x, y: x * y, _values, _other),
    ("div", _arithmetic.Div, lambda x, y: x / y, _values, lambda s: _signed(s, 0.5, 2.0)),
    ("pow", _arithmetic.Pow, lambda x, y: x**y, lambda s: _values(s, 0.5, 2.5), _other),
    ("maximum", _elementwise.Maximum, cr.maximum, _values, _other),
    ("minimum", _elementwise.Minimum, cr.minimum, _values, _other),
]
#: (x's shape, y's shape, whether they broadcast)
BINARY_SHAPES = [
    ((2, 3), (2, 3), False),
    ((2, 1), (1, 3), True),
    ((), (2, 2), True),
    ((), (), False),
]


def _where(x, y):
    shape = np.broadcast_shapes(x.shape, y.shape)
    cond = (np.arange(int(np.prod(shape))) % 3 != 1).reshape(shape)  # both branches taken
    return cr.where(cond, x, y)


def _cases() -> list[Case]:
    cases = []
    for name, op, fn, make in UNARY:
        for shape in [(), (2, 3), (1, 3, 1)]:
            cases.append(Case(f"{name}{shape}", op, fn, (make(shape),)))
    for name, op, fn, make_x, make_y in BINARY:
        selects = op in (_elementwise.Maximum, _elementwise.Minimum)
        for sx, sy, broadcasts in BINARY_SHAPES[:3] if selects else BINARY_SHAPES:
            # add gives both inputs the same gradient: swapping them changes nothing
            skip = ("swap",) if name == "add" else ()
            inputs = (make_x(sx), make_y(sy))
            cases.append(Case(f"{name}{sx}{sy}", op, fn, inputs, broadcasts, skip))
    # a 0-d selection (where, maximum, minimum) gives one input a gradient of 0
    for sx, sy, broadcasts in BINARY_SHAPES[:3]:
        inputs = (_values(sx), _other(sy))
        cases.append(Case(f"where{sx}{sy}", _elementwise.Where, _where, inputs, broadcasts))
    for sx, sy, broadcasts in [
        ((2, 2), (2, 2), False),
        ((2, 3), (3, 4), False),
        ((3,), (3, 2), False),
        ((2, 3), (3,), False),
        ((2, 2, 3), (3, 2), True),
        ((1, 2, 2), (3, 2, 2), True),
    ]:
        inputs = (_values(sx), _other(sy))
        cases.append(Case(f"matmul{sx}{sy}", _linalg.MatMul, cr.matmul, inputs, broadcasts))
    cases += _reduction_cases()
    cases += _shape_cases()
    cases += _softmax_and_nn_cases()
    return cases


def _reduction_cases() -> list[Case]:
    cases = []
    reductions = [
        ("sum", _reduce.Sum, cr.sum, _values),
        ("mean", _reduce.Mean, cr.mean, _values),
        ("max", _reduce.Max, cr.max, _distinct),
        ("min", _reduce.Min, cr.min, _distinct),
        ("norm", _reduce.Norm, F.norm, _values),
        ("logsumexp", _softmax.LogSumExp, F.logsumexp, _values),
    ]
    for name, op, reduce, make in reductions:
        for shape, axis, keepdims in [
            ((2, 3), None, False),
            ((2, 3), 0, False),
            ((1, 3, 2), (0, 2), True),
        ]:
            # the gradient of a sum or mean over every axis is one value everywhere
            skip = ("mean",) if name in ("sum", "mean") and axis is None else ()

            def fn(x, reduce=reduce, axis=axis, keepdims=keepdims):
                return reduce(x, axis, keepdims)

            cases.append(Case(f"{name}{shape}[{axis}]", op, fn, (make(shape),), skip=skip))
    return cases


def _shape_cases() -> list[Case]:
    mask = np.array([[True, False, True], [False, True, True]])
    one = [
        ("reshape", _shape.Reshape, lambda x: x.reshape(3, 2), (2, 3)),
        ("transpose", _shape.Transpose, lambda x: x.T, (2, 2)),
        ("transpose3", _shape.Transpose, lambda x: x.transpose(1, 2, 0), (2, 3, 2)),
        ("swapaxes", _shape.Transpose, lambda x: x.swapaxes(0, -1), (2, 3, 2)),
        ("index_slice", _shape.Index, lambda x: x[1:], (3, 2)),
        ("index_ints", _shape.Index, lambda x: x[np.array([0, 2, 0])], (3,)),
        ("index_mask", _shape.Index, lambda x: x[mask], (2, 3)),
    ]
    cases = [Case(f"{name}{shape}", op, fn, (_values(shape),)) for name, op, fn, shape in one]
    for shape, target in [((1, 3), (2, 3)), ((), (2, 2)), ((3, 1), (2, 3, 2))]:

        def fn(x, target=target):
            return x.broadcast_to(target)

        name = f"broadcast_to{shape}{target}"
        cases.append(Case(name, _shape.BroadcastTo, fn, (_values(shape),), broadcasts=True))
    for sx, sy in [((2, 2), (2, 1)), ((2, 2), (2, 2))]:
        inputs = (_values(sx), _other(sy))
        fn = lambda x, y: cr.concatenate([x, y], axis=-1)  # noqa: E731
        cases.append(Case(f"concatenate{sx}{sy}", _shape.Concatenate, fn, inputs))
    for shape in [(), (2, 2)]:
        inputs = (_values(shape), _other(shape))
        cases.append(Case(f"stack{shape}", _shape.Stack, lambda x, y: cr.stack([x, y]), inputs))
    return cases


def _softmax_and_nn_cases() -> list[Case]:
    labels = np.array([2, 0, 3])
    probs = _values((3, 4), 0.1, 1.0, "t")
    probs /= probs.sum(axis=1, keepdims=True)
    return [
        Case("softmax(2, 3)", _softmax.Softmax, cr.softmax, (_values((2, 3)),)),
        Case("softmax(2, 2)[0]", _softmax.Softmax, lambda x: cr.softmax(x, 0), (_values((2, 2)),)),
        Case("log_softmax(2, 3)", _softmax.LogSoftmax, cr.log_softmax, (_values((2, 3)),)),
        Case(
            "linear",
            _layers.Affine,
            F.linear,
            (_values((2, 3)), _values((3, 3), -1, 1, "w"), _values((3,), -1, 1, "b")),
        ),
        Case(
            "cross_entropy(labels)",
            _softmax_with_loss.SoftmaxWithLoss,
            lambda x: F.cross_entropy(x, labels),
            (_values((3, 4)),),
        ),
        Case(
            "cross_entropy(probabilities)",
            _softmax_with_loss.SoftmaxWithLoss,
            F.cross_entropy,
            (_values((3, 4)), probs),
        ),
        Case(
            "bce_with_logits",
            _bce_with_logits.BCEWithLogits,
            F.binary_cross_entropy_with_logits,
            (_values((2, 3)), _values((2, 3), 0.1, 0.9, "t")),
        ),
    ]


CASES = _cases()


# ----- mutants ------------------------------------------------------------------------------------
def _scaled(c: float) -> Callable:
    return lambda g, grads, i: g * c


def _zero(g, grads, i):
    return np.zeros_like(np.asarray(g))


def _mean(g, grads, i):
    a = np.asarray(g)
    return np.full_like(a, a.mean())


def _moved(position: int) -> Callable:
    """One element moved by 1% + 0.01: past the default tolerance (0.1% + 1e-5)."""

    def change(g, grads, i):
        a = np.array(g, dtype=np.float64)
        a.flat[position] += 0.01 + 0.01 * abs(a.flat[position])
        return a

    return change


def _transposed(g, grads, i):
    return np.swapaxes(np.asarray(g), -1, -2)


def _swapped(g, grads, i):
    return grads[1 - i]


MUTANTS: dict[str, Callable] = {
    "x0.5": _scaled(0.5),
    "x2": _scaled(2.0),
    "negated": _scaled(-1.0),
    "zero": _zero,
    "mean": _mean,
    "first_moved": _moved(0),
    "last_moved": _moved(-1),
    "transposed": _transposed,
    "swap": _swapped,
}


def _applies(name: str, case: Case, i: int) -> bool:
    """Whether mutant ``name`` on input ``i`` keeps the gradient's shape and can change it."""
    shape = case.inputs[i].shape
    if name in case.skip:
        return False
    if name == "mean":
        return case.inputs[i].size > 1
    if name == "transposed":
        return len(shape) >= 2 and shape[-1] == shape[-2]
    if name == "swap":
        return len(case.inputs) == 2 and case.inputs[0].shape == case.inputs[1].shape
    return True


def _mutate(monkeypatch, op: type, change: Callable, i: int) -> None:
    """Replace ``op.backward`` by one that passes input ``i``'s gradient through ``change``."""
    original = op.backward

    def backward(self, grad_out):
        grads = list(original(self, grad_out))
        if grads[i] is not None:  # None: not needed in this backward pass
            grads[i] = change(grads[i], grads, i)
        return tuple(grads)

    monkeypatch.setattr(op, "backward", backward)
    monkeypatch.setattr(op, "_into", False)  # relu: the engine calls backward, not backward_into


def _first_slice(grad, shape):
    """The wrong unbroadcast: the first slice along the broadcast axes instead of their sum."""
    if grad.shape == shape:
        return grad
    grad = grad[(0,) * (grad.ndim - len(shape))]
    return grad[tuple(slice(0, 1) if n == 1 else slice(None) for n in shape)]


def _mean_not_sum(grad, shape):
    """The wrong unbroadcast: the mean over the broadcast axes instead of their sum."""
    if grad.shape == shape:
        return grad
    summed = _summed(grad, shape)
    return summed / (grad.size // summed.size)


_summed = _elementwise.unbroadcast  # the right one, kept before any test replaces it

UNBROADCAST_MUTANTS = {"unbroadcast_first_slice": _first_slice, "unbroadcast_mean": _mean_not_sum}


def _mutate_unbroadcast(monkeypatch, wrong: Callable) -> None:
    # every module that calls unbroadcast
    for module in (_arithmetic, _elementwise, _shape, _linalg):
        monkeypatch.setattr(module, "unbroadcast", wrong)


def _vjp(case: Case) -> list[np.ndarray]:
    """The gradients for a fixed random upstream gradient: equal for an equivalent mutant."""
    leaves = [cr.Tensor(x.copy(), requires_grad=True) for x in case.inputs]
    out = case.fn(*leaves)
    out.backward(_rng(case.name, "v").standard_normal(out.shape))
    return [leaf.grad.copy() for leaf in leaves]


def _mutants(case: Case) -> list[tuple[str, Callable]]:
    """(name, apply(monkeypatch)) for every mutant kept for ``case``."""
    kept = []
    for i in range(len(case.inputs)):
        for name, change in MUTANTS.items():
            if _applies(name, case, i):
                kept.append((f"{name}@input{i}", _patcher(case.op, change, i)))
    if case.broadcasts:
        for name, wrong in UNBROADCAST_MUTANTS.items():
            kept.append((name, lambda mp, wrong=wrong: _mutate_unbroadcast(mp, wrong)))
    return kept


def _patcher(op: type, change: Callable, i: int) -> Callable:
    return lambda mp: _mutate(mp, op, change, i)


# ----- every mutant is caught ---------------------------------------------------------------------
def test_the_cases_cover_every_op_of_the_table():
    covered = {case.op for case in CASES}
    expected = {
        *(op for _, op, *_ in UNARY),
        *(op for _, op, *_ in BINARY),
        _elementwise.Where,
        _linalg.MatMul,
        _reduce.Sum,
        _reduce.Mean,
        _reduce.Max,
        _reduce.Min,
        _shape.Reshape,
        _shape.Transpose,
        _shape.BroadcastTo,
        _shape.Index,
        _shape.Concatenate,
        _shape.Stack,
        _softmax.Softmax,
        _softmax.LogSoftmax,
    }
    assert expected <= covered
    for case in CASES:  # every correct case passes before it is mutated
        assert cr.gradcheck(case.fn, case.inputs), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_mutant_of_the_op_is_caught(case: Case):
    right = _vjp(case)
    equivalent, survivors = [], []
    for name, apply in _mutants(case):
        with pytest.MonkeyPatch.context() as mp:
            apply(mp)
            if all(np.array_equal(a, b) for a, b in zip(_vjp(case), right)):
                equivalent.append(name)  # a badly chosen input: the mutant changes nothing
                continue
            try:
                cr.gradcheck(case.fn, case.inputs)
            except cr.GradcheckError:
                continue
            survivors.append(name)
    assert not equivalent, f"{case.name}: these mutants change no gradient: {equivalent}"
    assert not survivors, f"{case.name}: gradcheck let these mutants through: {survivors}"


# ----- what gradcheck lets through, and why -------------------------------------------------------
def _jacobian(fn: Callable, inputs) -> np.ndarray:
    """The analytic Jacobian, one backward per output element (for the equivalence tests)."""
    rows = []
    leaves = [cr.Tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in inputs]
    out = fn(*leaves)
    for k in range(out.size):
        seed = np.zeros(out.shape)
        seed.flat[k] = 1.0
        for leaf in leaves:
            leaf.grad = None
        out.backward(seed, retain_graph=True)
        rows.append(np.concatenate([leaf.grad.ravel() for leaf in leaves]))
    return np.array(rows)


EQUIVALENT = [
    # (why the mutant changes no gradient, op, function, inputs, mutant, input)
    (
        "x + y gives both inputs the upstream gradient",
        _arithmetic.Add,
        lambda x, y: x + y,
        (_values((2, 3)), _other((2, 3))),
        "swap",
        0,
    ),
    ("the mean of one value is that value", _exp_log.Exp, cr.exp, (np.array(0.5),), "mean", 0),
    (
        "the sum over every axis sends one value everywhere",
        _reduce.Sum,
        cr.sum,
        (_values((2, 3)),),
        "mean",
        0,
    ),
    (
        "x < y everywhere: x's gradient is 0 whatever it is scaled by",
        _elementwise.Maximum,
        cr.maximum,
        (_values((2, 3), -2, -1), _values((2, 3), 1, 2)),
        "x2",
        0,
    ),
    (
        "relu of negative values: a gradient of 0",
        _activations.ReLU,
        cr.relu,
        (_values((3,), -2, -0.5),),
        "negated",
        0,
    ),
    (
        "softmax over an axis of size 1 is 1 whatever x is: a gradient of 0",
        _softmax.Softmax,
        cr.softmax,
        (_values((3, 1)),),
        "x0.5",
        0,
    ),
]


@pytest.mark.parametrize(
    ("op", "fn", "inputs", "mutant", "i"),
    [row[1:] for row in EQUIVALENT],
    ids=[row[0] for row in EQUIVALENT],
)
def test_equivalent_mutants_leave_the_jacobian_as_it_is(monkeypatch, op, fn, inputs, mutant, i):
    right = _jacobian(fn, inputs)
    _mutate(monkeypatch, op, MUTANTS[mutant], i)
    np.testing.assert_array_equal(_jacobian(fn, inputs), right)
    assert cr.gradcheck(fn, inputs)  # nothing to catch


def test_unbroadcast_mutants_are_equivalent_without_broadcasting(monkeypatch):
    x, y = _values((2, 3)), _other((2, 3))
    for wrong in UNBROADCAST_MUTANTS.values():
        with pytest.MonkeyPatch.context() as mp:
            _mutate_unbroadcast(mp, wrong)
            assert cr.gradcheck(lambda a, b: a * b, [x, y])
            with pytest.raises(cr.GradcheckError):  # and caught as soon as there is some
                cr.gradcheck(lambda a, b: a * b, [x, y[:1]])


def test_skipping_unbroadcast_is_refused_by_the_engine(monkeypatch):
    # the gradient keeps the broadcast shape: the engine refuses it before any comparison
    _mutate_unbroadcast(monkeypatch, lambda grad, shape: grad)
    with pytest.raises(RuntimeError, match=r"Mul\.backward returned a gradient of shape \(2, 3\)"):
        cr.gradcheck(lambda a, b: a * b, [_values((2, 3)), _other((1, 3))])


OFF_BY_A_THOUSANDTH = [
    case
    for case in CASES
    if case.name in ("mul(2, 1)(1, 3)", "softmax(2, 3)", "matmul(2, 2, 3)(3, 2)")
]


@pytest.mark.parametrize("case", OFF_BY_A_THOUSANDTH, ids=lambda c: c.name)
def test_a_gradient_off_by_a_thousandth_passes_the_defaults_and_fails_tighter_ones(
    monkeypatch, case
):
    """The defaults (PyTorch's: atol=1e-5, rtol=1e-3) accept |error| ≤ 1e-5 + 1e-3·|numeric|,
    so a gradient scaled by 1.001 passes them, in PyTorch too (see
    `test_pytorch_agrees_on_which_mutants_are_caught`); in float64 the central difference
    is good to ~1e-9, and tighter tolerances catch it."""
    _mutate(monkeypatch, case.op, _scaled(1.001), 0)
    assert cr.gradcheck(case.fn, case.inputs)
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(case.fn, case.inputs, atol=1e-8, rtol=1e-5)
    monkeypatch.undo()
    assert cr.gradcheck(case.fn, case.inputs, atol=1e-8, rtol=1e-5)  # the right one passes


def test_atol_and_rtol_are_the_bounds_of_the_comparison(monkeypatch):
    """|analytic − numeric| ≤ atol + rtol·|numeric|, entry by entry."""
    x = np.array([1.0, 2.0])  # f = 3x: a gradient of 3 everywhere
    _mutate(monkeypatch, _arithmetic.Mul, _scaled(1.01), 0)  # 3.03: off by 0.03
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(lambda t: t * 3.0, [x])
    assert cr.gradcheck(lambda t: t * 3.0, [x], rtol=0.011)  # 0.033 allowed
    assert cr.gradcheck(lambda t: t * 3.0, [x], atol=0.031, rtol=0)
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(lambda t: t * 3.0, [x], atol=0.029, rtol=0)


@pytest.mark.parametrize(
    ("scale", "caught"), [(1.0015, True), (0.9985, True), (1.0005, False), (0.9995, False)]
)
def test_the_default_relative_tolerance_is_a_thousandth(monkeypatch, scale, caught):
    _mutate(monkeypatch, _arithmetic.Mul, _scaled(scale), 0)  # f = 3x: a gradient of 3
    assert _caught(Case("3x", _arithmetic.Mul, lambda t: t * 3.0, (_values((2,)),))) == caught


@pytest.mark.parametrize(("error", "caught"), [(2e-5, True), (-2e-5, True), (5e-6, False)])
def test_the_default_absolute_tolerance_is_1e_5(monkeypatch, error, caught):
    # relu of negative values: a gradient of exactly 0, where only atol counts
    _mutate(monkeypatch, _activations.ReLU, lambda g, grads, i: g + error, 0)
    assert _caught(Case("relu", _activations.ReLU, cr.relu, (_values((2,), -2, -1),))) == caught


# ----- the whole Jacobian, and what a failure says ------------------------------------------------
def _one_entry_wrong(monkeypatch, k_out: int, j_in: int, by: float) -> None:
    """Make exp's backward wrong in the Jacobian entry ∂out[k_out]/∂x[j_in] only (by ``by``):
    the upstream gradient's element k_out, times ``by``, is added to the gradient at j_in."""
    original = _exp_log.Exp.backward

    def backward(self, grad_out):
        (g,) = original(self, grad_out)
        g = np.array(g, dtype=np.float64)
        g.flat[j_in] += by * np.asarray(grad_out).flat[k_out]
        return (g,)

    monkeypatch.setattr(_exp_log.Exp, "backward", backward)


@pytest.mark.parametrize(("k_out", "j_in"), [(0, 0), (0, 5), (5, 0), (3, 4), (5, 5)])
def test_one_wrong_entry_of_the_jacobian_is_caught_and_named(monkeypatch, k_out, j_in):
    """Every output element against every input element: a single wrong entry, off the
    diagonal or in the last row or column, is found, and the message names the input, the
    input and output elements, and both values."""
    x = _values((2, 3))
    right = np.exp(x).ravel()[k_out] * (k_out == j_in)  # ∂exp(x)[k]/∂x[j]
    _one_entry_wrong(monkeypatch, k_out, j_in, 0.25)
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(cr.exp, [x])
    msg = str(info.value)
    j, k = np.unravel_index(j_in, (2, 3)), np.unravel_index(k_out, (2, 3))
    assert f"input 0 at input index {tuple(int(n) for n in j)}" in msg
    assert f"output index {tuple(int(n) for n in k)}" in msg
    found = re.search(r"analytic (\S+) vs numeric (\S+);", msg)
    assert found, msg
    assert float(found.group(1)) == pytest.approx(right + 0.25, abs=1e-9)
    assert float(found.group(2)) == pytest.approx(right, abs=1e-6)


def test_the_failing_input_is_named_among_several(monkeypatch):
    case = next(c for c in CASES if c.name == "linear")
    for i in range(3):
        with pytest.MonkeyPatch.context() as mp:
            _mutate(mp, case.op, _moved(-1), i)
            with pytest.raises(cr.GradcheckError, match=rf"failed for input {i} at"):
                cr.gradcheck(case.fn, case.inputs)


# ----- no false alarms ----------------------------------------------------------------------------
NEAR_KINKS = {
    # 10 steps (eps = 1e-6) from the kink: the difference never straddles it
    "relu": (cr.relu, [np.array([1e-5, -1e-5, 2.5, -2.5])]),
    "abs": (cr.abs, [np.array([1e-5, -1e-5])]),
    "leaky_relu": (lambda x: cr.leaky_relu(x, 0.1), [np.array([1e-5, -1e-5])]),
    "clip": (lambda x: cr.clip(x, 0.0, 1.0), [np.array([1e-5, -1e-5, 1 - 1e-5, 1 + 1e-5])]),
    "max": (lambda x: x.max(axis=1), [np.array([[1.0, 1.0 + 1e-5], [-3e-5, -1e-5]])]),
    "maximum": (cr.maximum, [np.array([1.0, -2.0]), np.array([1.0 + 1e-5, -2.0 - 1e-5])]),
    "minimum": (cr.minimum, [np.array([1.0, -2.0]), np.array([1.0 + 1e-5, -2.0 - 1e-5])]),
    "where of x > 0": (lambda x: cr.where(x.data > 0, x * 2, -x), [np.array([1e-5, -1e-5])]),
}


@pytest.mark.parametrize("name", NEAR_KINKS)
def test_correct_ops_pass_near_their_kinks(name):
    fn, inputs = NEAR_KINKS[name]
    assert cr.gradcheck(fn, inputs)


SMALL = {
    "x * y at 1e-8": (lambda x, y: x * y, [_values((2, 3)) * 1e-8, _other((2, 3))]),
    "x ** 3 at 1e-6": (lambda x: x**3, [_values((2, 3)) * 1e-6]),
    "exp at 1e-12": (cr.exp, [_values((2, 3)) * 1e-12]),
    "softmax at 1e-8": (cr.softmax, [_values((2, 3)) * 1e-8]),
    "a sum scaled by 1e-8": (lambda x: (x * 1e-8).sum(), [_values((2, 3))]),
    "log at 1e-3": (cr.log, [_values((2, 3), 1, 3) * 1e-3]),
    "matmul at 1e-6": (cr.matmul, [_values((2, 3)) * 1e-6, _other((3, 2)) * 1e-6]),
}


@pytest.mark.parametrize("name", SMALL)
def test_correct_ops_pass_at_small_magnitudes(name):
    fn, inputs = SMALL[name]
    assert cr.gradcheck(fn, inputs)


LARGE = {
    "2x at 1e8 and 1e12": (lambda x: x * 2.0, [np.array([1e8, -1e12])]),
    "x * y at 1e8": (lambda x, y: x * y, [_values((2, 3)) * 1e8, _other((2, 3))]),
    "x ** 2 at 1e10": (lambda x: x**2, [np.array([1e10, -3e10])]),
    "a sum of values near 1e8": (cr.sum, [1e8 + _values((2, 3))]),
    "matmul at 1e6": (cr.matmul, [_values((3, 4)) * 1e6, _other((4, 3))]),
    "exp(log x) at 1e8": (lambda x: cr.exp(cr.log(x)), [np.array([1e8, 3e9])]),
    "tanh at 1e3": (cr.tanh, [np.array([1e3, -1e3])]),
    "softmax at 1e6": (cr.softmax, [_values((2, 3)) * 1e6]),
}


@pytest.mark.parametrize("name", LARGE)
def test_correct_ops_pass_at_large_magnitudes(name):
    """With a fixed step, x ± 1e-6 rounds visibly at |x| = 1e8 (and is x itself at 1e10):
    these failed, right as they are. The step is relative to |x| beyond 1."""
    fn, inputs = LARGE[name]
    assert cr.gradcheck(fn, inputs)


def test_a_wrong_gradient_is_still_caught_at_large_magnitudes(monkeypatch):
    _mutate(monkeypatch, _arithmetic.Mul, _moved(-1), 0)
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(lambda x, y: x * y, [_values((2, 3)) * 1e8, _other((2, 3))])


@pytest.mark.parametrize("x", [0.5, 3.0, -(2.0**22), 2.0**40])
def test_a_quadratic_is_differentiated_exactly_at_any_magnitude(x):
    """Central differences of x²/2 are exact when x ± h and their squares are: with a step
    h = eps·max(1, |x|) of a power of two, they are at every x here. A fixed step of 2⁻²⁰
    is lost in the rounding of 2⁴⁰ ± h (numeric gradient 0)."""
    (grad,) = cr.numerical_grad(lambda t: t * t / 2, [np.array(x)], eps=2.0**-20)
    assert grad == x


def test_a_step_past_the_edge_of_the_domain_fails_and_a_smaller_eps_passes():
    """eps is the finite-difference step: log at 3e-7 with eps = 1e-6 steps to a negative x
    (NaN), which no tolerance can pass; with eps = 1e-10 it is checked normally."""
    x = np.array([3e-7, 2e-6])
    with pytest.raises(cr.GradcheckError, match="not finite"):
        cr.gradcheck(cr.log, [x])
    assert cr.gradcheck(cr.log, [x], eps=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_low_precision_inputs_are_checked_in_float64(monkeypatch, dtype):
    x = _values((2, 3)).astype(dtype)
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return t.tanh() * 3.0

    assert cr.gradcheck(fn, [x])
    assert cr.gradcheck(fn, [cr.tensor(x)])
    assert set(seen) == {np.dtype(np.float64)}
    _mutate(monkeypatch, _activations.Tanh, _moved(-1), 0)  # and a wrong gradient is still caught
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(fn, [cr.tensor(x)])


def test_non_contiguous_and_read_only_inputs_pass_and_are_left_alone(monkeypatch):
    base = _values((4, 6))
    strided = np.asfortranarray(base)[:, ::2]  # neither C- nor F-contiguous
    read_only = np.broadcast_to(_other((3,)), (4, 3))  # a read-only view
    before = (strided.copy(), read_only.copy())
    fn = lambda x, y: (x * y).sin()  # noqa: E731
    assert cr.gradcheck(fn, [strided, read_only])
    assert cr.gradcheck(fn, [cr.Tensor(strided), cr.Tensor(base[:, 1::2])])  # Tensors over views
    np.testing.assert_array_equal(strided, before[0])
    np.testing.assert_array_equal(read_only, before[1])
    _mutate(monkeypatch, _trig.Sin, _moved(0), 0)
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(fn, [strided, read_only])


def test_integer_and_boolean_inputs():
    """Integer and boolean Tensors and boolean arrays are constants (labels, indices,
    masks), passed to f as they are; an integer *array* or a Python number is a point to
    differentiate at, as a float one is; a float Tensor is differentiated whether or not
    it requires gradients."""
    x = _values((3, 4))
    labels = cr.tensor(np.array([2, 0, 3]))
    mask = x > 0
    assert cr.gradcheck(F.cross_entropy, [x, labels])
    assert cr.gradcheck(lambda t, i: t[i].sum(), [x, cr.tensor(np.array([2, 0, 0]))])
    assert cr.gradcheck(lambda t, m: cr.where(m, t, 0.0), [x, mask])
    assert cr.gradcheck(lambda t, m: cr.where(m, t, 0.0), [x, cr.tensor(mask)])
    grad_x, grad_labels = cr.numerical_grad(F.cross_entropy, [x, labels])
    assert grad_labels is None
    assert grad_x.shape == x.shape
    (grad_ints,) = cr.numerical_grad(lambda t: (t * t).sum(), [np.array([1, 2, 3])])
    np.testing.assert_allclose(grad_ints, [2.0, 4.0, 6.0], rtol=1e-9)
    assert cr.gradcheck(lambda t: t * t, 3)
    assert cr.gradcheck(lambda t: t * t, 1.5)
    frozen = cr.tensor([1.0, 2.0])  # requires_grad=False: still differentiated
    assert cr.gradcheck(lambda t: t * t, [frozen])


def test_a_wrong_gradient_for_a_tensor_that_does_not_require_grad_is_caught(monkeypatch):
    _mutate(monkeypatch, _arithmetic.Mul, _scaled(2.0), 1)
    with pytest.raises(cr.GradcheckError, match="input 1"):
        cr.gradcheck(lambda x, y: x * y, [_values((3,)), cr.tensor(_other((3,)))])


def test_outputs_of_every_kind():
    x = _values((2, 3))
    with pytest.raises(TypeError, match="f's output 1 must be a Tensor, got ndarray"):
        cr.gradcheck(lambda t: (t, t.data), [x])
    with pytest.raises(TypeError, match="f must return a Tensor, got ndarray"):
        cr.gradcheck(lambda t: t.data * 2, [x])
    # no gradient, and finite differences of 0 away from the steps: nothing to disagree
    assert cr.gradcheck(lambda t: t > 0, [x])
    assert cr.gradcheck(lambda t: (t * 10).astype("int64"), [x + 0.05])
    assert cr.gradcheck(lambda t: cr.tensor([1.0, 2.0]), [x])
    # a result computed outside the graph has no gradient, but it does depend on x
    with pytest.raises(cr.GradcheckError, match="analytic 0 vs numeric 2"):
        cr.gradcheck(lambda t: cr.tensor(t.data * 2), [x])
    assert cr.gradcheck(lambda t: cr.stack([t.sum(), t.max()]), [x])  # non-scalar, any shape
    assert cr.gradcheck(lambda t: t.reshape(1, 6, 1), [x])


def test_each_output_of_a_tuple_is_checked_and_a_failure_names_it(monkeypatch):
    x, y = _values((2, 3)), _other((2, 3))
    assert cr.gradcheck(lambda t, u: (t * u, None, (t + u).sin()), [x, y])
    assert cr.gradcheck(lambda t: cr.topk(t, 2), [x])  # (values, integer indices)
    assert cr.gradcheck(lambda t: [t.exp()], [x], check_second_order=True)
    _mutate(monkeypatch, _arithmetic.Mul, _scaled(2.0), 1)  # y's gradient of x * y doubled
    assert cr.gradcheck(lambda t, u: (t + u, u * 1.0), [x, y])  # no product of two inputs
    with pytest.raises(cr.GradcheckError, match=r"^output 2: gradcheck failed for input 1"):
        cr.gradcheck(lambda t, u: (t + u, t.exp(), t * u), [x, y])


def test_an_f_that_differentiates_inside_is_checked_as_in_pytorch():
    """f(x) = d(Σ x³)/dx = 3x², whose Jacobian is diag(6x): f needs its inputs to require
    gradients and grad mode on also where finite differences evaluate it."""
    x = _values((3,))

    def f(t):
        return cr.autograd.grad((t**3).sum(), [t], create_graph=True)[0]

    assert cr.gradcheck(f, [x], check_second_order=True)
    (numeric,) = cr.numerical_grad(lambda t: f(t).sum(), [x])
    np.testing.assert_allclose(numeric, 6 * np.asarray(x), rtol=1e-8)


def test_a_tensor_f_closes_over_is_neither_checked_nor_given_a_gradient(monkeypatch):
    w = cr.tensor(_other((2, 3)), requires_grad=True)
    assert cr.gradcheck(lambda t: t * w, [_values((2, 3))])
    assert w.grad is None
    _mutate(monkeypatch, _arithmetic.Mul, _scaled(2.0), 1)  # w's gradient: not even computed
    assert cr.gradcheck(lambda t: t * w, [_values((2, 3))])
    assert w.grad is None


# ----- PyTorch's gradcheck on the same mutants ----------------------------------------------------
def _through_torch(torch, fn: Callable) -> Callable:
    """``fn`` as a PyTorch function whose backward is chainrule's (mutants included)."""

    class Bridge(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            leaves = [cr.Tensor(x.detach().numpy().copy(), requires_grad=True) for x in xs]
            out = fn(*leaves)
            ctx.graph = (leaves, out)
            return torch.from_numpy(np.array(out.data, dtype=np.float64))

        @staticmethod
        def backward(ctx, grad_out):
            leaves, out = ctx.graph
            for leaf in leaves:
                leaf.grad = None
            out.backward(grad_out.numpy().copy(), retain_graph=True)
            return tuple(torch.from_numpy(leaf.grad.copy()) for leaf in leaves)

    return Bridge.apply


def _caught_by_torch(torch, case: Case, **tolerances) -> bool:
    inputs = tuple(torch.tensor(x, requires_grad=True) for x in case.inputs)
    return not torch.autograd.gradcheck(
        _through_torch(torch, case.fn), inputs, raise_exception=False, **tolerances
    )


def _caught(case: Case, **tolerances) -> bool:
    try:
        cr.gradcheck(case.fn, case.inputs, **tolerances)
    except cr.GradcheckError:
        return True
    return False


COMPARED = [
    "mul(2, 1)(1, 3)",
    "pow()(2, 2)",
    "where(2, 1)(1, 3)",
    "matmul(1, 2, 2)(3, 2, 2)",
    "sum(1, 3, 2)[(0, 2)]",
    "max(2, 3)[0]",
    "index_ints(3,)",
    "concatenate(2, 2)(2, 2)",
    "softmax(2, 3)",
    "relu(2, 3)",
    "cross_entropy(probabilities)",
]


@pytest.mark.parametrize("name", COMPARED)
def test_pytorch_agrees_on_which_mutants_are_caught(name):
    torch = pytest.importorskip("torch")
    case = next(c for c in CASES if c.name == name)
    assert not _caught(case)
    assert not _caught_by_torch(torch, case)
    tight = {"atol": 1e-8, "rtol": 1e-5}
    mutants = [*_mutants(case), ("x1.001", _patcher(case.op, _scaled(1.001), 0))]
    for mutant, apply in mutants:
        with pytest.MonkeyPatch.context() as mp:
            apply(mp)
            ours, theirs = _caught(case), _caught_by_torch(torch, case)
            assert ours == theirs == (mutant != "x1.001"), mutant
            assert _caught(case, **tight), mutant
            assert _caught_by_torch(torch, case, **tight), mutant


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_gradient_that_is_not_finite_is_caught(monkeypatch, bad):
    _mutate(monkeypatch, _activations.Tanh, lambda g, grads, i: _with(g, -1, bad), 0)
    with pytest.raises(
        cr.GradcheckError, match=r"analytic (nan|inf) vs numeric 0; 6 of 36 entries not finite"
    ):
        cr.gradcheck(cr.tanh, [_values((2, 3))])


def _with(g, j: int, value: float) -> np.ndarray:
    a = np.array(g, dtype=np.float64)
    a.flat[j] = value
    return a


# ----- the path gradcheck checks is the one backward takes ----------------------------------------
@pytest.mark.parametrize(
    ("fn", "x"),
    [
        (cr.exp, np.array(0.3)),
        (lambda t: (t * t).sum().sqrt(), np.array([0.1, 0.5, 2.0])),
    ],
    ids=["exp", "a norm written out"],
)
def test_a_0d_output_is_checked_on_the_path_backward_takes(monkeypatch, fn, x):
    """``backward()`` and `cr.grad` start a 0-d output's pass from a NumPy scalar, and the
    elementwise ops multiply NumPy scalars on a path of their own (`_elementwise._scalar`):
    gradcheck must start from the same seed, or a wrong scalar path goes unseen."""
    original = _elementwise._scalar
    monkeypatch.setattr(_elementwise, "_scalar", lambda loc: 2 * original(loc))
    t = cr.Tensor(x.copy(), requires_grad=True)
    fn(t).backward()
    (numeric,) = cr.numerical_grad(fn, [x])
    assert not np.allclose(t.grad, numeric)  # the mutant is live on backward()'s path
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(fn, [x])
