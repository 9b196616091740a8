"""Anomaly mode: each injected fault is located — the op, the pass and the line of this file
that created the node — and a run without a fault is unchanged.

The network is a 3-layer MLP of `cr.nn.Linear` layers with ReLU, written out one node per
line so that every node has a line of its own. Each fault's line carries a marker comment
(``# fault: <name>``); the expected line number is found by searching this file for it,
independently of the code under test.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

HERE = Path(__file__).resolve()


def marker_line(name: str) -> int:
    """The line number of the line of this file that carries ``# fault: <name>``."""
    tag = "# fault: " + name
    lines = [i for i, text in enumerate(HERE.read_text().splitlines(), 1) if text.endswith(tag)]
    if len(lines) != 1:
        raise LookupError(f"{tag!r} found on lines {lines}")
    return lines[0]


class MLP(cr.nn.Module):
    """8 → 16 → 16 → 4, ReLU between the layers, float64."""

    def __init__(self, seed: int = 0):
        gen = np.random.default_rng(seed)
        self.l1 = cr.nn.Linear(8, 16, dtype="float64", generator=gen)
        self.l2 = cr.nn.Linear(16, 16, dtype="float64", generator=gen)
        self.l3 = cr.nn.Linear(16, 4, dtype="float64", generator=gen)


def batch(n: int = 6, seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 8)), rng.integers(0, 4, n)


def clean_loss(model: MLP, x, labels):
    """The fault-free network: Linear, ReLU, Linear, ReLU, Linear, softmax cross-entropy."""
    a1 = cr.relu(model.l1(cr.tensor(x)))
    a2 = cr.relu(model.l2(a1))
    return cr.nn.functional.cross_entropy(model.l3(a2), labels)


def located(err: cr.AnomalyError, op: str, phase: str, marker: str) -> None:
    """``err`` names ``op``, the ``phase`` pass, and the marked line of this file."""
    line = marker_line(marker)
    source = HERE.read_text().splitlines()[line - 1].strip()
    msg = str(err)
    assert (err.op, err.phase) == (op, phase), msg
    assert (Path(err.filename).resolve(), err.lineno) == (HERE, line), msg
    assert err.line == source
    assert f"anomaly in the {phase} pass: {op}" in msg
    assert f"{err.filename}:{line} " in msg
    assert source in msg


# ----- the six faults ----------------------------------------------------------------------------
# Each runs the network with one fault injected (and backward, when the fault lies there);
# the marked line creates the faulty node.
def log_of_zero(model, x, labels):
    a1 = cr.relu(model.l1(cr.tensor(x)))  # about half the units are exactly 0
    a2 = cr.relu(model.l2(a1))
    return cr.log(a2)  # fault: log 0


def sqrt_of_a_negative(model, x, labels):
    h1 = model.l1(cr.tensor(x))  # pre-activations: some are negative
    return cr.sqrt(h1)  # fault: sqrt of a negative


def zero_over_zero(model, x, labels):
    a1 = cr.relu(model.l1(cr.tensor(x)))
    dead = cr.relu(model.l2(a1) - 1e6)  # every unit is 0
    return dead / dead.sum(axis=1, keepdims=True)  # fault: 0/0


def exp_of_1000(model, x, labels):
    a1 = cr.relu(model.l1(cr.tensor(x)))
    a2 = cr.relu(model.l2(a1))
    logits = model.l3(a2) + 1000.0
    return cr.exp(logits)  # fault: exp(1000)


class LeakyGate(cr.Function):
    """A user-defined op whose backward is wrong: 0 · inf makes NaN."""

    def forward(self, x):
        self.saved = (x,)
        return np.where(x > 0, x, 0.1 * x)

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * np.where(x > 0, 1.0, 0.0 * np.inf)


def custom_backward_nan(model, x, labels):
    h1 = model.l1(cr.tensor(x))
    a1 = LeakyGate()(h1)  # fault: custom backward
    a2 = cr.relu(model.l2(a1))
    cr.nn.functional.cross_entropy(model.l3(a2), labels).backward()


def modified_in_place(model, x, labels):
    a1 = cr.relu(model.l1(cr.tensor(x)))
    h2 = model.l2(a1)  # fault: in-place
    a2 = cr.relu(h2)
    loss = cr.nn.functional.cross_entropy(model.l3(a2), labels)
    a1.data *= 0.5  # after Affine saved a1 as its input
    loss.backward()


FAULTS = [  # (marker, the faulty run, op, pass, words the message must hold)
    ("log 0", log_of_zero, "Log", "forward", "-inf"),
    ("sqrt of a negative", sqrt_of_a_negative, "Sqrt", "forward", "nan"),
    ("0/0", zero_over_zero, "Div", "forward", "nan"),
    ("exp(1000)", exp_of_1000, "Exp", "forward", "inf"),
    ("custom backward", custom_backward_nan, "LeakyGate", "backward", "returned nan"),
    ("in-place", modified_in_place, "Affine", "backward", "input 0"),
]


@pytest.mark.parametrize(
    ("marker", "run", "op", "phase", "words"), FAULTS, ids=[f[0] for f in FAULTS]
)
def test_each_injected_fault_is_located(marker, run, op, phase, words):
    model, (x, labels) = MLP(), batch()
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        run(model, x, labels)
    located(info.value, op, phase, marker)
    assert words in str(info.value)
    assert info.value.kind == ("in-place" if marker == "in-place" else "non-finite")


def test_without_anomaly_mode_the_faults_pass_silently():
    # the control: the same runs, off, raise nothing (NumPy's warnings silenced here)
    for _, run, *_ in FAULTS:
        with np.errstate(all="ignore"):
            run(MLP(), *batch())


# ----- more faults -------------------------------------------------------------------------------
def sqrt_backward_inf(model, x, labels):
    # sqrt(relu(h)) is finite, but its derivative 0.5 / sqrt(0) is not
    a1 = cr.relu(model.l1(cr.tensor(x)))
    root = cr.sqrt(a1)  # fault: sqrt backward
    root.sum().backward()


def test_a_builtin_backward_making_inf_is_located_in_backward():
    model, (x, labels) = MLP(), batch()
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        sqrt_backward_inf(model, x, labels)
    located(info.value, "Sqrt", "backward", "sqrt backward")


def test_a_parameter_updated_between_two_backward_passes_is_located():
    # retain_graph, then an optimizer step, then backward again: the saved weight is stale
    model, (x, labels) = MLP(), batch()
    opt = cr.optim.SGD(model.l2.parameters(), lr=0.1)  # only the second layer changes
    with cr.detect_anomaly():
        a1 = cr.relu(model.l1(cr.tensor(x)))
        h2 = model.l2(a1)  # fault: stale weight
        loss = cr.nn.functional.cross_entropy(model.l3(cr.relu(h2)), labels)
        loss.backward(retain_graph=True)
        opt.step()
        with pytest.raises(cr.AnomalyError, match="input 1") as info:
            loss.backward()
    located(info.value, "Affine", "backward", "stale weight")


def test_a_saved_output_modified_in_place_is_located():
    x = cr.tensor([0.5, 1.0], dtype="float64", requires_grad=True)
    with cr.detect_anomaly():
        y = cr.exp(x)  # fault: saved output
        y.data[0] = 0.0
        with pytest.raises(cr.AnomalyError, match="the output array") as info:
            y.sum().backward()
    located(info.value, "Exp", "backward", "saved output")


def test_a_saved_0d_output_modified_in_place_is_located():
    # NumPy gives a scalar for a 0-d result, and the node's saved output becomes an array
    # only after forward returned: it was not copied, so a change went unseen (grad 0)
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    with cr.detect_anomaly():
        y = cr.exp(x)  # fault: saved 0-d output
        y.data[...] = 0.0
        with pytest.raises(cr.AnomalyError, match="the output array") as info:
            y.backward()
    located(info.value, "Exp", "backward", "saved 0-d output")


# ----- what is not blamed ------------------------------------------------------------------------
def test_a_nan_already_in_the_data_is_not_blamed_on_any_op():
    model, (x, labels) = MLP(), batch()
    x[2, 3] = np.nan
    with cr.detect_anomaly():
        loss = clean_loss(model, x, labels)
        loss.backward()
    assert np.isnan(loss.item())
    assert np.isnan(model.l1.weight.grad).any()


def test_only_the_op_that_creates_the_nan_is_blamed_not_those_it_flows_through():
    x = cr.tensor([4.0, -1.0], dtype="float64", requires_grad=True)
    with cr.detect_anomaly():
        y = x * 2.0
        with pytest.raises(cr.AnomalyError) as info:
            cr.sqrt(y)  # fault: first non-finite
    located(info.value, "Sqrt", "forward", "first non-finite")
    # downstream of an inf that came in, nothing is blamed (inf + 1, inf * 0 → nan, ...)
    with cr.detect_anomaly():
        z = cr.tensor([np.inf, 1.0], dtype="float64", requires_grad=True)
        total = ((z + 1.0) * 0.0).sum()
        total.backward()
    assert np.isnan(total.item())


def test_upstream_nan_is_not_blamed_on_the_nodes_below():
    # the custom op is reported, not the Affine that receives its NaN gradient
    x = cr.tensor(np.ones((2, 3)), dtype="float64", requires_grad=True)
    w = cr.tensor(np.ones((3, 3)), dtype="float64", requires_grad=True)
    with cr.detect_anomaly():
        out = LeakyGate()(x @ w - 10.0)
        with pytest.raises(cr.AnomalyError) as info:
            out.sum().backward()
    assert info.value.op == "LeakyGate"


def test_a_node_created_before_anomaly_mode_is_still_checked_in_backward():
    x = cr.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    y = cr.sqrt(x)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match="before anomaly mode") as info:
        y.sum().backward()
    assert (info.value.op, info.value.phase, info.value.lineno) == ("Sqrt", "backward", None)


# ----- a run without a fault ---------------------------------------------------------------------
def train(model: MLP, steps: int) -> list[float]:
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for i in range(steps):
        x, labels = batch(seed=i)
        opt.zero_grad()
        loss = clean_loss(model, x, labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_without_a_fault_nothing_is_raised_and_results_are_identical():
    plain, checked = MLP(), MLP()
    expected = train(plain, 4)
    with cr.detect_anomaly():
        got = train(checked, 4)
    assert got == expected
    for p, q in zip(plain.parameters(), checked.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(p.grad, q.grad)


def test_gradients_of_gradients_work_in_anomaly_mode():
    f = cr.grad(cr.grad(lambda x: x**3 * cr.exp(x)))
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    expected = f(x)
    with cr.detect_anomaly():
        got = f(x)
    np.testing.assert_array_equal(got.data, expected.data)


def test_log_of_zero_raises_the_anomaly_not_a_numpy_warning():
    zero = cr.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would be raised first
        with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
            cr.log(zero)  # fault: log of zero
    # log 0 = −inf, the first of the two values
    assert "Log returned -inf (1 of 2 values) from finite inputs" in str(info.value)
    located(info.value, "Log", "forward", "log of zero")


# ----- the mode itself ---------------------------------------------------------------------------
def test_off_by_default_in_a_fresh_process():
    code = "import chainrule as cr; print(cr.is_anomaly_enabled(), cr.is_strict())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_off_means_no_check():
    assert not cr.is_anomaly_enabled()
    with np.errstate(divide="ignore"):
        y = cr.log(cr.tensor([0.0], dtype="float64", requires_grad=True))
    assert y.item() == -np.inf
    assert not hasattr(y.grad_fn, "_anomaly")  # nothing recorded when off


def test_the_mode_is_restored_after_an_exception():
    zero = cr.tensor([0.0], dtype="float64")
    with pytest.raises(cr.AnomalyError), cr.detect_anomaly():
        cr.log(zero)
    assert not cr.is_anomaly_enabled()
    with pytest.raises(KeyError), cr.detect_anomaly():
        raise KeyError("unrelated")
    assert not cr.is_anomaly_enabled()


def test_nested_and_set_detect_anomaly():
    with cr.detect_anomaly():
        with cr.detect_anomaly():
            assert cr.is_anomaly_enabled()
        assert cr.is_anomaly_enabled()
    assert not cr.is_anomaly_enabled()
    cr.set_detect_anomaly(True)
    try:
        with cr.detect_anomaly():
            pass
        assert cr.is_anomaly_enabled()  # the previous value, True, is restored
    finally:
        cr.set_detect_anomaly(False)
    assert not cr.is_anomaly_enabled()


def test_used_as_a_decorator_with_or_without_parentheses():
    @cr.detect_anomaly
    def bare():
        return cr.is_anomaly_enabled()

    @cr.detect_anomaly()
    def called():
        return cr.is_anomaly_enabled()

    assert bare()
    assert called()
    assert bare.__name__ == "bare"
    assert not cr.is_anomaly_enabled()


def test_the_flag_is_global_like_grad_mode():
    # one flag for the process, as no_grad: another thread sees it
    seen = []
    with cr.detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(cr.is_anomaly_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_the_error_is_a_floating_point_error_for_the_command_line():
    assert issubclass(cr.AnomalyError, FloatingPointError)
    err = cr.AnomalyError("message")  # constructible from the message alone (copy, pickle)
    assert (str(err), err.op, err.lineno) == ("message", None, None)
    with pytest.raises(FloatingPointError) as info, cr.detect_anomaly():
        cr.log(cr.tensor([0.0]))
    assert "\n" not in str(info.value)  # one line, as the command line reports it


def test_an_overflow_where_two_gradients_meet_is_located():
    # each Div sends −1/x² = −1e308 (finite); their sum is −inf
    x = cr.tensor(1e-154, dtype="float64", requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        (1 / x + 1 / x).backward()
    e = info.value
    assert (e.op, e.phase, e.kind) == ("Div", "backward", "non-finite")
    assert "the sum overflowed" in str(e)


def test_an_overflow_accumulating_into_grad_over_two_backward_calls_is_reported():
    x = cr.tensor(1.0, dtype="float64", requires_grad=True)
    with cr.detect_anomaly():
        (x * 1e308).backward()
        with pytest.raises(cr.AnomalyError, match="left by an earlier backward"):
            (x * 1e308).backward()


def test_a_hook_that_makes_a_nan_is_named_with_its_line():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)

    def poison(g):
        return g * np.nan

    x.register_hook(poison)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        (x * 2.0).sum().backward()
    e = info.value
    assert e.op == "hook poison"
    assert e.lineno == poison.__code__.co_firstlineno
    assert "from a finite gradient" in str(e)


class PowWithExponentGradient(cr.Function):
    """x ** p, with backward computing both gradients: d/dx = p·x^(p−1), d/dp = x^p·ln x."""

    def forward(self, x, p):
        self.saved = (x, p)
        return x**p

    def backward(self, grad_out):
        x, p = self.saved
        return grad_out * p * x ** (p - 1), grad_out * x**p * np.log(x)


def test_a_nan_in_the_gradient_of_an_input_that_needs_none_is_not_blamed():
    # ln(−1) is NaN in the exponent's gradient, but the exponent is a constant: the engine
    # drops that gradient, and x's gradient p·x^(p−1) = [−2, 4] is finite
    x = cr.tensor([-1.0, 2.0], dtype="float64", requires_grad=True)
    with cr.detect_anomaly():
        PowWithExponentGradient()(x, np.array([2.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [-2.0, 4.0])
    # the same NaN in a gradient that is needed is still reported
    p = cr.tensor([2.0, 2.0], dtype="float64", requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match="gradient of input 1"):
        PowWithExponentGradient()(x, p).sum().backward()


def test_with_create_graph_a_backward_making_inf_is_located_in_backward():
    # the same fault as without create_graph: Sqrt's backward, not an op inside it, at the
    # line that created the Sqrt node (not the line calling backward)
    model, (x, _) = MLP(), batch()
    with cr.detect_anomaly():
        a1 = cr.relu(model.l1(cr.tensor(x)))
        root = cr.sqrt(a1)  # fault: sqrt backward with create_graph
        with pytest.raises(cr.AnomalyError) as info:
            root.sum().backward(create_graph=True)
    located(info.value, "Sqrt", "backward", "sqrt backward with create_graph")
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        cr.grad(lambda t: cr.sqrt(t).sum())(np.array([0.0, 4.0]))  # fault: cr.grad of sqrt
    located(info.value, "Sqrt", "backward", "cr.grad of sqrt")


def test_a_value_masked_after_the_op_is_reported_with_the_way_to_mask_it_before():
    # log(x) masked by where: anomaly mode stops at Log and says to mask Log's input instead
    x = cr.tensor([-1.0, 0.0, 4.0], dtype="float64", requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match="mask the op's input"):
        cr.where(x > 0, cr.log(x), 0.0)
    with cr.detect_anomaly():  # the advice followed: no anomaly, and d/dx log x = 1/4 at 4
        cr.where(x > 0, cr.log(cr.where(x > 0, x, 1.0)), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


def test_a_scalar_gradient_an_op_passes_to_two_inputs_is_not_added_into_in_anomaly_mode():
    # Add sends its 0-d upstream gradient to both inputs; in anomaly mode the engine once
    # took that array for one it had allocated, and adding a's second contribution into it
    # changed b's gradient too (y.grad was 10, not 5)
    def grads():
        x = cr.tensor(1.0, dtype="float64", requires_grad=True)
        y = cr.tensor(1.0, dtype="float64", requires_grad=True)
        a, b = x * 2.0, y * 5.0
        ((a + b) + a).backward()
        return x.grad, y.grad

    expected = grads()
    with cr.detect_anomaly():
        got = grads()
    assert (got[0].item(), got[1].item()) == (4.0, 5.0) == (expected[0].item(), expected[1].item())
