"""An audit of the learner safeguards: `check_graph` / ``gradcheck(localize=True)`` name
the one node a deliberate mistake is in, and no correct node (not at a kink, not where the
function curves sharply); `gradcheck` agrees with ``torch.autograd.gradcheck`` on the same
mistakes; neither leaves state behind; strict mode stays quiet on correct code.

Every faulty Function below is written from a NumPy forward and backward whose mistake is
known, so the truth is the mistake itself, not an output of the code under test."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import chainrule as cr


# ----- mistakes, as NumPy forward and backward rules ---------------------------------------------
@dataclass(frozen=True)
class Rule:
    """A differentiable function in NumPy: ``forward(*xs)``, ``backward(g, *xs)`` (one
    gradient per input), and the points (float inputs, then constants) to check it at."""

    name: str
    forward: object
    backward: object
    points: tuple


def _gather_grad(g, x, idx):
    out = np.zeros_like(x)
    np.add.at(out, idx, g)
    return out, None


def _gather_grad_assign(g, x, idx):
    out = np.zeros_like(x)
    out[idx] = g  # the mistake: a repeated index keeps one gradient, not their sum
    return out, None


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def _softmax_grad(g, x):
    s = _softmax(x)
    return (s * (g - np.sum(g * s)),)


_A = np.array([[0.3, -1.2, 0.5], [0.8, 0.1, -0.4], [1.1, 0.7, 0.2]])
_B = np.array([[0.2, 0.9, -0.3], [-0.6, 0.4, 1.0], [0.5, -0.1, 0.3]])
_X = np.array([0.7, -1.3, 0.4])
_M = np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]])
_IDX = np.array([0, 2, 0, 1])

#: (right, wrong): the wrong rule differs from the right one in its backward only
PAIRS = [
    (
        Rule("Square", lambda x: x * x, lambda g, x: (2 * x * g,), (_X,)),
        Rule("SquareWrongSign", lambda x: x * x, lambda g, x: (-2 * x * g,), (_X,)),
    ),
    (
        Rule("Cube", lambda x: x**3, lambda g, x: (3 * x**2 * g,), (_X,)),
        Rule("CubeMissingFactor", lambda x: x**3, lambda g, x: (x**2 * g,), (_X,)),
    ),
    (
        Rule("MatMul", lambda a, b: a @ b, lambda g, a, b: (g @ b.T, a.T @ g), (_A, _B)),
        Rule("MatMulTransposed", lambda a, b: a @ b, lambda g, a, b: (g @ b.T, g.T @ a), (_A, _B)),
    ),
    (  # |x|³: the wrong rule forgets the sign, right only where x > 0
        Rule("AbsCube", lambda x: np.abs(x) ** 3, lambda g, x: (3 * x * np.abs(x) * g,), (_X,)),
        Rule(
            "AbsCubeRightForPositive",
            lambda x: np.abs(x) ** 3,
            lambda g, x: (3 * x**2 * g,),
            (_X,),
        ),
    ),
    (
        Rule("Product", lambda x, y: x * y, lambda g, x, y: (g * y, g * x), (_X, _X[::-1] + 1)),
        Rule(
            "ProductWrongSecond",
            lambda x, y: x * y,
            lambda g, x, y: (g * y, g * y),
            (_X, _X[::-1] + 1),
        ),
    ),
    (  # x (3, 2) + b (2,): b's gradient sums the broadcast rows; the wrong one takes one
        Rule("AddBias", lambda x, b: x + b, lambda g, x, b: (g, g.sum(0)), (_M, _M[0] * 2)),
        Rule("AddBiasOneRow", lambda x, b: x + b, lambda g, x, b: (g, g[0]), (_M, _M[0] * 2)),
    ),
    (
        Rule("Softmax", _softmax, _softmax_grad, (_X,)),
        Rule("SoftmaxNoNormalisation", _softmax, lambda g, x: (_softmax(x) * g,), (_X,)),
    ),
    (  # x[idx] with a repeated index
        Rule("Gather", lambda x, i: x[i], _gather_grad, (_X, _IDX)),
        Rule("GatherAssigning", lambda x, i: x[i], _gather_grad_assign, (_X, _IDX)),
    ),
]
RIGHT = [r for r, _ in PAIRS]
WRONG = [w for _, w in PAIRS]


def chainrule_op(rule: Rule):
    """``rule`` as a chainrule Function (named after the rule, as explain shows it)."""

    def forward(self, *xs):
        self.saved = xs
        return rule.forward(*xs)

    def backward(self, g):
        grads = rule.backward(g, *self.saved)
        return grads if len(grads) > 1 else grads[0]

    return type(rule.name, (cr.Function,), {"forward": forward, "backward": backward})()


def torch_op(torch, rule: Rule):
    """``rule`` as a torch.autograd.Function, through NumPy."""

    class Op(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            arrays = [x.detach().numpy() for x in xs]
            ctx.arrays = arrays
            return torch.from_numpy(np.asarray(rule.forward(*arrays), dtype=np.float64))

        @staticmethod
        def backward(ctx, g):
            grads = rule.backward(g.detach().numpy(), *ctx.arrays)
            return tuple(None if a is None else torch.from_numpy(np.asarray(a)) for a in grads)

    return Op.apply


def floats(rule: Rule) -> list[int]:
    return [k for k, p in enumerate(rule.points) if p.dtype.kind == "f"]


# ----- the wrong node is named, in graphs of correct nodes ---------------------------------------
def chain(op, ts, consts):
    """tanh of each float input → op → flatten → @ W → softmax → log → sum."""
    y = op(*[t.tanh() for t in ts], *consts).reshape(-1)
    w = cr.tensor(np.linspace(-1, 1, y.shape[0] * 3).reshape(-1, 3))
    return (y @ w).softmax().log().sum()


def fan_out(op, ts, consts):
    """1.5 × each float input → op → flatten, used three times."""
    z = op(*[t * 1.5 for t in ts], *consts).reshape(-1)
    return (z * z.sin()).sum() + z.sum()


def build(template, rule: Rule, dtype: str):
    ts = [cr.tensor(rule.points[k], dtype=dtype, requires_grad=True) for k in floats(rule)]
    consts = [p for p in rule.points if p.dtype.kind != "f"]
    return template(chainrule_op(rule), ts, consts)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("template", [chain, fan_out])
@pytest.mark.parametrize("right", RIGHT, ids=lambda r: r.name)
def test_a_graph_of_correct_nodes_passes(right, template, dtype):
    assert cr.check_graph(build(template, right, dtype)) > 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("template", [chain, fan_out])
@pytest.mark.parametrize("wrong", WRONG, ids=lambda r: r.name)
def test_the_wrong_node_and_input_are_named(wrong, template, dtype):
    # the op comes right after one tanh or product per float input
    position = len(floats(wrong)) + 1
    with pytest.raises(cr.GradcheckError) as info:
        cr.check_graph(build(template, wrong, dtype))
    message = str(info.value)
    assert message.startswith(f"check_graph: {wrong.name} (node {position} of ")
    if wrong.name == "ProductWrongSecond":
        assert "for its input 2 (counting from 1)" in message


@pytest.mark.parametrize(("right", "wrong"), PAIRS, ids=lambda r: r.name)
def test_gradcheck_agrees_with_pytorch(right, wrong):
    torch = pytest.importorskip("torch")
    for rule, verdict in ((right, True), (wrong, False)):
        f_inputs = [p if p.dtype.kind == "f" else cr.tensor(p) for p in rule.points]
        t_inputs = [
            torch.tensor(p, requires_grad=p.dtype.kind == "f")
            if p.dtype.kind == "f"
            else torch.tensor(p)
            for p in rule.points
        ]
        try:
            torch_verdict = torch.autograd.gradcheck(torch_op(torch, rule), t_inputs)
        except RuntimeError:  # torch's GradcheckError
            torch_verdict = False
        ours, message = our_verdict(rule, f_inputs)
        assert ours == torch_verdict == verdict, rule.name
        if not ours:
            assert f"check_graph: {rule.name} (node 1 of 1" in message


def our_verdict(rule: Rule, inputs) -> tuple[bool, str]:
    """gradcheck's verdict on ``rule`` alone, and its message."""
    try:
        return cr.gradcheck(lambda *xs: chainrule_op(rule)(*xs), inputs, localize=True), ""
    except cr.GradcheckError as e:
        return False, str(e)


# ----- correct nodes where the central difference is off -----------------------------------------
def leaf(values):
    return cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)


KINKS = {
    "relu of a relu": lambda x: x.relu().relu().sum(),
    "relu at 0": lambda x: (x * 0.0).relu().sum() + x.sum(),
    "relu6 after relu": lambda x: x.relu().clip(0.0, 6.0).sum(),
    "clip at its upper bound": lambda x: (x.relu() + 6.0).clip(0.0, 6.0).sum() + x.sum(),
    "abs of a relu": lambda x: (-x).relu().abs().sum(),
    "max pool over a relu (ties)": lambda x: x.relu().reshape(2, 2).max(axis=1).sum(),
    "maximum of equal values": lambda x: cr.maximum(x.relu(), x.relu() * 2.0).sum(),
    # max splits a tie evenly (1/4 each); a central difference gives 1/2 at each of them
    "max of four equal values": lambda x: (x * 0.0).max() + x.sum(),
    "max over a relu's zeros": lambda x: x.tanh().relu().reshape(2, 2).max(axis=0).sum(),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_correct_ops_at_a_kink_are_not_blamed(name):
    # x has exact zeros after relu, so each op downstream of it sits on its kink
    x = leaf([-1.0, -2.0, 0.5, -3.0])
    assert cr.check_graph(KINKS[name](x)) > 0


class ReLUTimes(cr.Function):
    """relu, whose backward at 0 passes ``at_zero``·g (a subgradient when 0 ≤ it ≤ 1)."""

    def __init__(self, at_zero: float):
        self.at_zero = at_zero

    def forward(self, x):
        self.saved = (x,)
        return np.maximum(x, 0.0)

    def backward(self, g):
        (x,) = self.saved
        return g * np.where(x > 0, 1.0, np.where(x == 0, self.at_zero, 0.0))


@pytest.mark.parametrize(
    ("at_zero", "blamed"), [(0.0, False), (0.3, False), (1.0, False), (2.0, True)]
)
def test_at_a_kink_a_subgradient_passes_and_anything_else_is_named(at_zero, blamed):
    x = leaf([-1.0, 0.7, -2.0])
    out = (ReLUTimes(at_zero)(x.relu() * 3.0) * 2.0).sum()  # the op's input has zeros
    if blamed:
        with pytest.raises(cr.GradcheckError, match=r"ReLUTimes \(node 3 of 5"):
            cr.check_graph(out)
    else:
        assert cr.check_graph(out) == 5


def test_a_wrong_node_after_a_kink_is_the_one_named():
    x = leaf([-1.0, 0.7, -2.0])
    y = chainrule_op(WRONG[0])(x.relu().relu())  # the second relu on its kink
    with pytest.raises(cr.GradcheckError, match=r"SquareWrongSign \(node 3 of 4"):
        cr.check_graph(y.sum())


class Reciprocal(cr.Function):
    """1/x, whose backward is off by the factor ``scale`` (1: right)."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def forward(self, x):
        self.saved = (x,)
        return 1.0 / x

    def backward(self, g):
        (x,) = self.saved
        return -self.scale * g / x**2


SHARP = {
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "division": lambda x: 1.0 / x,
    "power -2": lambda x: x**-2,
    "a user's reciprocal": lambda x: Reciprocal()(x),
}


@pytest.mark.parametrize("name", list(SHARP))
def test_correct_ops_that_curve_sharply_are_not_blamed(name):
    # at 1e-5 a step of 1e-6 puts the central difference of log 0.3 % off (h²/3x²)
    x = leaf([1e-5, 3e-5, 1.0])
    assert cr.check_graph((SHARP[name](x) * 2.0).sum()) == 3


@pytest.mark.parametrize("scale", [1.01, 0.99, -1.0])
def test_a_backward_off_by_one_percent_there_is_still_named(scale):
    x = leaf([1e-5, 3e-5, 1.0])
    with pytest.raises(cr.GradcheckError, match=r"Reciprocal \(node 1 of 3"):
        cr.check_graph((Reciprocal(scale)(x) * 2.0).sum())


def test_gradcheck_at_a_kink_fails_as_in_pytorch_but_blames_no_node():
    torch = pytest.importorskip("torch")
    point = np.array([0.0, 1.0])
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(torch.relu, (torch.tensor(point, requires_grad=True),))
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda x: x.relu(), [point], localize=True)
    assert "wrong backward" not in str(info.value)
    assert "kink" in str(info.value)


# ----- a user's Function with state of its own ------------------------------------------------
class CountingSquare(cr.Function):
    """x², whose forward logs each call and keeps a running mean of x (as a layer might)."""

    def __init__(self):
        self.calls, self.running = [], np.zeros(2)

    def forward(self, x):
        self.calls.append(x.copy())
        self.running *= 0.5
        self.running += 0.5 * x
        self.saved = (x,)
        return x * x

    def backward(self, g):
        (x,) = self.saved
        return 2 * x * g


def test_check_graph_leaves_a_users_function_as_it_was():
    op = CountingSquare()
    x = leaf([1.0, 2.0])
    out = op(x).sum()
    assert cr.check_graph(out) == 2
    assert len(op.calls) == 1  # check_graph's probes ran on copies
    np.testing.assert_array_equal(op.running, [0.5, 1.0])


class NoisyMask(cr.Function):
    """x·mask with a mask drawn from the Function's own generator, as dropout: correct."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        mask = (self.rng.random(x.shape) < 0.5) * 2.0
        self.saved = (mask,)
        return x * mask

    def backward(self, g):
        (mask,) = self.saved
        return g * mask


def test_a_correct_function_drawing_from_its_own_generator_is_not_blamed():
    x = leaf(np.linspace(-1.0, 1.0, 8))
    out = (NoisyMask(seed=3)(x.tanh()) * 2.0).sum()  # each probe draws the same mask
    assert cr.check_graph(out) == 4


# ----- a backward that returns the wrong number of gradients -------------------------------------
class TooFew(cr.Function):
    def forward(self, x, y):
        self.saved = (y,)
        return x * y

    def backward(self, g):
        (y,) = self.saved
        return g * y  # the gradient for y is missing


class TooMany(cr.Function):
    def forward(self, x):
        return 2.0 * x

    def backward(self, g):
        return 2.0 * g, None  # a surplus None, which the engine refuses


@pytest.mark.parametrize(
    ("make", "counts"),
    [
        (lambda x: TooFew()(x.exp(), x), "returned 1 gradients for 2 inputs"),
        (lambda x: TooFew()(x.exp(), np.array([3.0, 4.0])), "returned 1 gradients for 2 inputs"),
        (lambda x: TooMany()(x.exp()), "returned 2 gradients for 1 inputs"),
    ],
)
def test_a_wrong_number_of_gradients_is_named_as_the_engine_names_it(make, counts):
    x = leaf([0.5, -1.0])
    with pytest.raises(RuntimeError, match=counts):  # the engine, on the same node
        make(x).sum().backward()
    with pytest.raises(cr.GradcheckError, match=rf"\(node 2 of 3 .*{counts}"):
        cr.check_graph(make(leaf([0.5, -1.0])).sum())


# ----- functions finite differences cannot check ----------------------------------------------
def _scales_in_place(x):
    with cr.no_grad():
        x *= 2.0  # the mistake under test
    return (x * x).sum()


def _writes_data(x):
    x.data[0] += 1.0  # the mistake under test
    return (x * x).sum()


@pytest.mark.parametrize("f", [_scales_in_place, _writes_data])
def test_an_f_that_changes_its_input_is_refused_as_pytorch_refuses_it(f):
    torch = pytest.importorskip("torch")

    def torch_f(x):
        with torch.no_grad():
            x.mul_(2.0)
        return (x * x).sum()

    point = np.array([1.0, 2.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.autograd.gradcheck(torch_f, (torch.tensor(point, requires_grad=True),))
    with pytest.raises(RuntimeError, match=r"f changed its input 0 in place"):
        cr.gradcheck(f, [point], localize=True)  # not a GradcheckError blaming backward
    np.testing.assert_array_equal(point, [1.0, 2.0])


def test_numerical_grad_refuses_an_f_that_changes_its_input():
    point = np.array([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"f changed its input 0 in place"):
        cr.numerical_grad(_writes_data, [point])
    np.testing.assert_array_equal(point, [1.0, 2.0])


def test_an_f_with_randomness_is_refused_naming_it():
    point = np.linspace(-1.0, 1.0, 40)  # two masks alike: once in 2⁴⁰
    with pytest.raises(RuntimeError, match="different values for the same inputs"):
        cr.gradcheck(lambda x: cr.nn.Dropout(0.5)(x).tanh(), [point])

    def seeded(x):  # the same mask at every call: deterministic, and its gradient right
        return cr.nn.Dropout(0.5, generator=np.random.default_rng(0))(x).tanh()

    assert cr.gradcheck(seeded, [point])


# ----- nothing is left behind ------------------------------------------------------------------
class BoomError(Exception):
    pass


def _state():
    return cr.is_grad_enabled(), cr.is_strict(), np.geterr()


def _fails_on_call(n: int):
    """A correct f that raises on its n-th call (the analytic pass is call 1)."""
    calls = [0]

    def f(x):
        calls[0] += 1
        if calls[0] == n:
            raise BoomError
        return (x * x).sum()

    return f


class BackwardRaises(cr.Function):
    def forward(self, x):
        return x * 1.0

    def backward(self, g):
        raise BoomError


@pytest.mark.parametrize("outer", ["plain", "no_grad", "strict", "errstate"])
@pytest.mark.parametrize("n", [1, 2, 5])
def test_an_exception_inside_gradcheck_leaves_the_modes_as_they_were(outer, n):
    contexts = {
        "plain": cr.enable_grad,
        "no_grad": cr.no_grad,
        "strict": cr.strict,
        "errstate": lambda: np.errstate(all="raise"),
    }
    with contexts[outer]():
        before = _state()
        with pytest.raises(BoomError):
            cr.gradcheck(_fails_on_call(n), [np.ones(2)])
        assert _state() == before
        x = cr.tensor(np.ones(2), requires_grad=True)
        with cr.enable_grad():
            out = BackwardRaises()(x.exp()).sum()
        with pytest.raises(BoomError):  # in check_graph's probes, which silence NumPy
            cr.check_graph(out)
        assert _state() == before


def test_gradcheck_leaves_the_users_tensors_and_gradients_alone():
    x = cr.tensor(np.array([0.5, -1.5]), requires_grad=True)
    w = cr.tensor(np.array([2.0, 3.0]), requires_grad=True)
    x.grad, w.grad = np.array([7.0, 7.0]), np.array([9.0, 9.0])
    with cr.strict(), warnings.catch_warnings():
        warnings.simplefilter("error")  # no StrictModeWarning from gradcheck's own passes
        assert cr.gradcheck(lambda a: (a * w).tanh().sum(), [x], check_second_order=True)
        with pytest.raises(cr.GradcheckError):
            cr.gradcheck(lambda a: chainrule_op(WRONG[0])(a * w).sum(), [x], localize=True)
    np.testing.assert_array_equal(x.data, [0.5, -1.5])
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])
    np.testing.assert_array_equal(w.grad, [9.0, 9.0])


# ----- strict mode: quiet on correct code, heard on the mistakes ---------------------------------
def strict_warnings(fn) -> list:
    with cr.strict(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [w for w in caught if issubclass(w.category, cr.StrictModeWarning)]


def _value_and_grad_twice():
    w = leaf([1.0, 2.0])
    f = cr.value_and_grad(lambda w: (w * w).sum())
    f(w)
    f(w)


def _functional_grad_after_backward():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    cr.grad(lambda w: (w**3).sum())(w)
    assert w.grad is not None


def _zero_grad_loops():
    w = leaf([1.0, 2.0])
    opt = cr.optim.SGD([w], lr=0.1)
    for set_to_none in (True, False, True):
        for _ in range(2):
            opt.zero_grad(set_to_none)
            (w * w).sum().backward()
            opt.step()


def _retained_non_leaf():
    w = leaf([1.0, 2.0])
    h = w * 2.0
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad is not None
    assert w.grad is not None


def _double_backward():
    w = leaf([1.0, 2.0])
    (w**3).sum().backward(create_graph=True)
    g = w.grad
    w.grad = None
    g.sum().backward()


def _threads_with_their_own_tensors():
    def work():
        w = leaf([1.0, 2.0])
        for _ in range(3):
            w.grad = None
            (w * w).sum().backward()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.parametrize(
    "correct",
    [
        _value_and_grad_twice,
        _functional_grad_after_backward,
        _zero_grad_loops,
        _retained_non_leaf,
        _double_backward,
        _threads_with_their_own_tensors,
    ],
)
def test_strict_mode_is_quiet_on_correct_code(correct):
    assert strict_warnings(correct) == []


def test_strict_mode_hears_a_missing_zero_grad_in_another_thread():
    w = leaf([1.0, 2.0])

    def work():
        (w * w).sum().backward()
        (w * w).sum().backward()

    def run():
        t = threading.Thread(target=work)
        t.start()
        t.join()

    caught = strict_warnings(run)
    assert len(caught) == 1
    assert "adding to the .grad" in str(caught[0].message)


def test_a_correct_sum_whose_step_is_lost_in_rounding_is_not_blamed():
    # ∂/∂x₁ of 1e10 + x₁: a step of 1e-6 on x₁ = 1 is below the spacing of floats at 1e10
    x = leaf([1e-5, 1.0])
    assert cr.check_graph((x**-2).sum()) == 2
    assert cr.check_graph(cr.tensor([1e10, 0.0]) @ x) == 1
