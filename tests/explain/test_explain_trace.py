"""explain records what the engine computed: values, upstream, local and downstream
gradients, fan-out sums, names; expected numbers are worked out in the tests."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pytest
from _explain_reference import WEIGHTS, seed_gradients

import chainrule as cr
import chainrule.examples as examples
from chainrule._explain import Trace, explain
from chainrule.ops._elementwise import Elementwise

F64 = "float64"


def leaf(value, name=None):
    return cr.tensor(value, dtype=F64, requires_grad=True, name=name)


def reduce_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """The test's own undoing of broadcasting: sum leading axes, then size-1 axes."""
    a = np.asarray(a)
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and a.shape[i] != 1:
            a = a.sum(axis=i, keepdims=True)
    return a


# ----- graphs for the elementwise law -----------------------------------------------------------
def broadcasting_graph():
    rng = np.random.default_rng(1)
    x = leaf(rng.uniform(0.5, 2.0, size=(3, 4)), "x")
    b = leaf(rng.normal(size=4), "b")
    s = leaf(0.7, "s")
    y = (x * s + b).tanh() * x.exp() / (x * x + 1.0) - b.sigmoid()
    z = cr.maximum(y, 0.1 * y) + cr.where(x.data > 1.0, x.sqrt(), x.log().abs()) ** 2
    return (z.relu() - s / x).sum()


def float32_graph():
    x = cr.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    w = cr.tensor([1.5, -0.5], requires_grad=True)
    return ((x * w).sigmoid() * x.tanh() + x.clip(-0.5, 1.0)).mean()


GRAPHS = {
    "seed-network": examples.seed_network,
    "sigmoid-graph": examples.sigmoid_graph,
    "add-mul": examples.add_mul,
    "broadcasting": broadcasting_graph,
    "float32": float32_graph,
}


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
def test_downstream_is_local_times_upstream_for_every_elementwise_node(build):
    trace = explain(build())
    elementwise = [s for s in trace.steps if s.elementwise]
    assert elementwise
    for s in elementwise:
        for e in s.inputs:
            shape = trace.values[e.value].data.shape
            expected = reduce_to(s.upstream * e.local, shape)
            np.testing.assert_allclose(e.downstream, expected, rtol=1e-6, atol=1e-12)
            assert e.check == "exact", (s.number, s.op)


@pytest.mark.parametrize("build", GRAPHS.values(), ids=GRAPHS.keys())
def test_leaf_gradients_are_the_engines(build):
    out = build()
    trace = explain(out)
    for v in trace.values:
        if v.kind == "parameter":
            np.testing.assert_array_equal(v.grad, trace.tensor(v.name).grad)


def test_every_node_appears_once_in_backward_order():
    trace = explain(examples.seed_network())
    outputs = [s.output for s in trace.steps]
    assert len(outputs) == len(set(outputs)) == 23  # 4 units × 4 nodes, loss 7
    assert trace.steps[0].output == trace.root  # backward starts at the output
    for s in trace.steps:  # a node runs only after every node that consumes its output
        for e in s.inputs:
            producer = trace.values[e.value].producer
            assert producer is None or producer > s.number


# ----- the apple graph, by hand ----------------------------------------------------------------
def test_apple_graph_values_and_gradients():
    trace = explain(examples.apple())
    first, second = trace.steps
    assert (first.op, trace.values[first.output].name) == ("Mul", "price")
    assert float(trace.output.data) == pytest.approx(220.0, rel=1e-15)
    assert float(first.upstream) == 1.0
    # price = apple_price × tax: local gradients are tax = 1.1 and apple_price = 200
    (e_price, e_tax) = first.inputs
    assert float(e_price.local) == 1.1
    assert float(e_price.downstream) == 1.1
    assert float(e_tax.local) == pytest.approx(200.0)
    assert float(e_tax.downstream) == 200.0
    # apple_price = apple × count with upstream 1.1: 2 × 1.1 = 2.2 and 100 × 1.1 = 110
    assert float(second.upstream) == 1.1
    assert [float(e.downstream) for e in second.inputs] == pytest.approx([2.2, 110.0])


def test_table_shows_the_numbers_and_the_law():
    text = explain(examples.apple()).table()
    assert "downstream gradient = local gradient × upstream gradient" in text
    assert "mul: ∂(xy)/∂x = y" in text  # the op's own docstring sentence
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    assert rows["tax"][1:4] == ["1.1", "200", "200"]
    assert rows["count"][1:4] == ["2", "100", "110"]
    assert "∂price/∂apple = 2.2" in text
    assert str(explain(examples.apple())) == text


def test_markdown_table():
    md = explain(examples.add_mul()).to_markdown()
    lines = md.splitlines()
    assert "| step | op | tensor | forward value |" in md
    assert "| --- |" in md
    # f = q·z with q = 3, z = −4: z receives q × 1 = 3, q receives z × 1 = −4
    assert "|  |  | z | -4 |  | 3 | 3 | ✓ |  |" in lines
    assert "|  |  | x | -2 |  | 1 | -4 | ✓ |  |" in lines


# ----- fan-out ---------------------------------------------------------------------------------
def test_fanout_lists_each_branch_and_their_sum():
    w = leaf(0.5, "w")
    a = w * 3.0
    a.name = "a"
    out = a * a + a.exp()  # a is used three times: twice by mul, once by exp
    trace = explain(out)
    v = trace["a"]
    assert v.is_fanout
    assert len(v.consumers) == 3
    parts = sorted(float(trace.step(n).edge(slot).downstream) for n, slot in v.consumers)
    assert parts == pytest.approx(sorted([1.5, 1.5, math.exp(1.5)]), rel=1e-15)
    assert float(v.grad) == pytest.approx(3.0 + math.exp(1.5), rel=1e-15)
    line = next(x for x in trace.table().splitlines() if x.strip().startswith("a:"))
    assert line.count("(via step") == 3
    assert line.endswith(f"= {3 + math.exp(1.5):.8f}")
    assert float(trace["w"].grad) == pytest.approx(3 * (3 + math.exp(1.5)), rel=1e-15)


def test_a_negative_branch_is_written_in_parentheses():
    # y = x·x − a·x at x = 1, a = 3: the branches send −3 (via a·x) and 1 and 1 (via x·x)
    x = leaf(1.0, "x")
    a = cr.tensor(3.0, dtype="float64", name="a")
    y = x * x - a * x
    y.name = "y"
    trace = explain(y)
    line = next(s for s in trace.table().splitlines() if s.strip().startswith("x:"))
    assert "(-3) (via step" in line
    assert "+ -" not in line
    assert line.endswith("= -1")
    transcript = trace.transcript(of=x)
    assert "+ -" not in transcript
    assert "1 + 1 + (-3) = -1" in transcript


def test_seed_network_fanout_of_hidden_units():
    trace = explain(examples.seed_network())
    d = seed_gradients(WEIGHTS)
    for h in ("h1", "h2"):
        assert trace[h].is_fanout
        assert len(trace[h].consumers) == 2
    assert {k: float(trace[k].grad) for k in d} == pytest.approx(d, rel=1e-12)
    assert "h1: " in trace.table()
    assert "(via step" in trace.table()


class TimesConstant(cr.Function):
    """times_constant: x·stop(y) -- y is used as a constant: its gradient is None."""

    def forward(self, x, y):
        self.saved = (y,)
        return x * y

    def backward(self, grad_out):
        (y,) = self.saved
        return grad_out * y, None


def test_an_input_a_backward_sent_no_gradient_is_no_branch_of_a_sum():
    # L = sum(x·stop(y) + 2y): ∂L/∂y = 2 (only the mul sends y a gradient)
    x, y = leaf([3.0, 1.0], "x"), leaf([5.0, 4.0], "y")
    trace = explain((TimesConstant()(x, y) + y * 2.0).sum())
    assert y.grad.tolist() == [2.0, 2.0]
    assert len(trace["y"].consumers) == 1
    assert not trace["y"].is_fanout
    assert "y: " not in trace.table()  # no fan-out line, which showed y's value as a branch
    walk = trace.transcript(of="y")
    assert "TimesConstant" not in walk
    assert "[5, 4]" not in walk
    # the one path that carries y a gradient, and the sum it gives: ∂L/∂y = 2
    paths = [line.strip() for line in walk.splitlines() if line.strip().startswith("path ")]
    assert paths == ["path 1: y → Mul (#3) → mul1 (2) → Add (#2) → add1 (2) → Sum (#1) → L ()"]
    assert walk.splitlines()[-1].strip() == "∂L/∂y = [2, 2]"


def test_a_walk_shows_no_gradient_where_a_backward_sent_none():
    # L = sum(a·stop(y)), a = 2y: ∂L/∂y = 2y = [10, 8], only through a
    y = leaf([5.0, 4.0], "y")
    a = y * 2.0
    a.name = "a"
    trace = explain(TimesConstant()(a, y).sum())
    assert y.grad.tolist() == [10.0, 8.0]
    lines = trace.transcript(of="y").splitlines()
    hops = [line.strip() for line in lines if line.strip().startswith("#2 TimesConstant")]
    assert len(hops) == 1
    assert hops[0].startswith("#2 TimesConstant: ∂L/∂a (2) = [5, 4]")


def test_the_transcript_of_a_leaf_no_gradient_reached_is_zero():
    # L = x·stop(y): no path carries a gradient to y, so ∂L/∂y = 0
    x, y = leaf(3.0, "x"), leaf(5.0, "y")
    trace = explain(TimesConstant()(x, y))
    assert float(y.grad) == 0.0
    assert trace.transcript(of="y").splitlines()[-1].strip() == "∂L/∂y = 0"


# ----- naming ----------------------------------------------------------------------------------
def test_generated_names_follow_the_documented_scheme():
    x = cr.tensor([1.0, 2.0], dtype=F64, name="x1")  # the user's x1: generated names skip it
    w = leaf([0.5, 0.25])
    v = cr.tensor([3.0, 4.0], dtype=F64)
    trace = explain(((w * x + v) ** 2).sum())
    names = {v.name: v.kind for v in trace.values}
    assert names == {
        "w1": "parameter",
        "x1": "input",
        "mul1": "intermediate",
        "x2": "input",
        "add1": "intermediate",
        "2": "constant",
        "pow1": "intermediate",
        "L": "output",
    }
    assert [v.named for v in trace.values].count(True) == 1


def test_output_name_skips_a_taken_L():
    a = leaf(2.0, "L")
    trace = explain(a * a)
    assert trace.output.name == "out1"


def test_names_are_deterministic():
    first = [v.name for v in explain(broadcasting_graph()).values]
    assert first == [v.name for v in explain(broadcasting_graph()).values]


def test_lookup_by_name_and_by_tensor():
    w = leaf(2.0, "w")
    trace = explain(w * w)
    assert trace[w] is trace["w"]
    assert trace.tensor("w") is w
    with pytest.raises(KeyError, match="no tensor named 'nope'"):
        trace["nope"]
    with pytest.raises(KeyError, match="not part of the traced graph"):
        trace[leaf(1.0)]


# ----- large tensors and matrix ops ------------------------------------------------------------
def test_large_tensors_are_summarised():
    x = leaf(np.arange(100.0).reshape(10, 10) / 100)
    text = explain((x * x).sum()).table()
    # x = 0.00 … 0.99: mean 0.495, max 0.99
    assert "shape (10, 10): mean 0.495, std 0.2887, min 0, max 0.99" in text


def test_an_integer_matrix_is_written_on_one_line():
    # a 2×3 integer input: its value and, as w's local gradient, in one table row each
    w = leaf([[0.5, 1.0, 2.0], [1.0, 1.0, 1.0]], "w")
    k = cr.tensor(np.array([[1, 2, 3], [4, 5, 6]]), name="k")
    trace = explain((w * k).sum())
    for text in (trace.table(), trace.to_markdown()):
        (row,) = [line for line in text.splitlines() if " k " in line]
        assert "[[1, 2, 3], [4, 5, 6]]" in row
        assert all("]]" in line or "[[" not in line for line in text.splitlines())


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1e200, "mean 0, std 1e200, min -1e200, max 1e200, norm 2.828e200"),
     (1e-200, "mean 0, std 1e-200, min -1e-200, max 1e-200, norm 2.828e-200")],
)  # fmt: skip
def test_summaries_of_huge_and_tiny_values_neither_overflow_nor_underflow(size, expected):
    # eight values ±size: mean 0, std size, norm size·√8 = 2.828·size (finite, nonzero)
    x = cr.tensor(np.array([1.0, -1.0] * 4) * size, dtype=F64, name="x")
    text = explain((x * leaf(1.0, "w")).sum()).table()
    assert f"shape (8): {expected}" in text


def test_summaries_of_infinite_values_give_no_warning():
    # pytest turns warnings into errors: ∞ − ∞ in the std must not warn
    x = cr.tensor([np.inf, 1.0] * 4, dtype=F64, name="x")
    text = explain((x * leaf(1.0, "w")).sum()).table()
    assert "shape (8): mean inf, std nan, min 1, max inf, norm inf" in text


def test_matrix_ops_show_their_rule_with_shapes():
    rng = np.random.default_rng(0)
    X = cr.tensor(rng.normal(size=(4, 3)), name="X")
    W = leaf(rng.normal(size=(3, 5)), "W")
    b = leaf(np.zeros(5), "b")
    W2 = leaf(rng.normal(size=(5, 2)), "V")
    logits = cr.nn.functional.linear(X, W, b).sigmoid() @ W2
    trace = explain(cr.nn.functional.cross_entropy(logits, np.array([0, 1, 1, 0])))
    rules = {(s.op, trace.values[e.value].name): e.rule for s in trace.steps for e in s.inputs}
    assert rules[("MatMul", "V")] == "dW = Xᵀ·dY: (5, 4)·(4, 2) → (5, 2)"
    assert rules[("MatMul", "sigmoid1")] == "dX = dY·Wᵀ: (4, 2)·(2, 5) → (4, 5)"
    assert rules[("Affine", "W")] == "dW = Xᵀ·dY: (3, 4)·(4, 5) → (3, 5)"
    assert rules[("Affine", "b")] == "db = Σ dY: (4, 5) → (5)"
    # a one-element output: its local gradient is the node's own backward with upstream 1
    loss_step = trace.steps[0]
    assert loss_step.op == "SoftmaxWithLoss"
    # the step states its derivative in words and symbols: the op's docstring sentence
    assert loss_step.rule.startswith("softmax cross-entropy: ")
    assert "dX = (softmax(x) − t) / N · dL" in loss_step.rule
    assert trace.steps[1].rule.startswith("matmul: out = X·W gives dX = ")
    z = logits.data
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(4), [0, 1, 1, 0]] -= 1
    np.testing.assert_allclose(loss_step.inputs[0].local, p / 4, rtol=1e-12)
    assert "dW = Xᵀ·dY: (3, 4)·(4, 5) → (3, 5)" in trace.table()


def test_reductions_and_shape_ops():
    x = leaf(np.arange(6.0).reshape(2, 3))
    trace = explain(x.T.reshape(6).sum() * 2.0)
    by_op = {s.op: s for s in trace.steps}
    assert set(by_op) == {"Mul", "Sum", "Reshape", "Transpose"}
    assert by_op["Reshape"].inputs[0].rule.endswith(": (6) → (3, 2)")
    assert by_op["Transpose"].inputs[0].rule.endswith(": (3, 2) → (2, 3)")
    np.testing.assert_array_equal(trace[x].grad, np.full((2, 3), 2.0))


# ----- the rule text ---------------------------------------------------------------------------
class Cube(cr.Function):
    """cube: d/dx x³ = 3x²"""

    def forward(self, x):
        self.saved = (x,)
        return x**3

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * 3 * x**2


class NoDoc(cr.Function):
    def forward(self, x):
        return x * 1.0

    def backward(self, grad_out):
        return grad_out


def test_rule_is_the_derivative_attribute_or_the_docstring():
    x = leaf(2.0, "x")
    trace = explain(NoDoc()(Cube()(x)))
    assert [s.rule for s in trace.steps] == ["NoDoc", "cube: d/dx x³ = 3x²"]
    assert float(trace.steps[1].inputs[0].local) == 12.0  # backward with upstream 1


class WrongSquare(Elementwise):
    """square: d/dx x² = 2x (its backward is wrong on purpose)"""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return x * x

    def local(self):
        return (2.0 * self.saved[0],)

    def backward(self, grad_out):
        return (3.0 * self.saved[0] * grad_out,)


def test_a_backward_that_disagrees_with_its_local_gradient_is_flagged():
    trace = explain(WrongSquare()(leaf(2.0, "x")))
    (edge,) = trace.steps[0].inputs
    assert (float(edge.local), float(edge.downstream), edge.check) == (4.0, 6.0, "mismatch")
    assert "✗" in trace.table()


def test_an_infinite_upstream_through_indexing_or_max_is_no_mismatch():
    # ∂(x[1]·∞)/∂x = [0, ∞, 0]: indexing routes the ∞ and sends exactly 0 elsewhere, where
    # the local gradient [0, 1, 0] is 0; max multiplies its mask, 0·∞ = NaN. Neither is ✗.
    for pick in (lambda x: x[1], lambda x: x.max()):
        x = leaf([1.0, 3.0, 2.0], "x")
        trace = explain(pick(x) * np.inf)
        (edge,) = trace.steps[-1].inputs
        assert edge.local.tolist() == [0.0, 1.0, 0.0]
        assert edge.check == "exact"


class OnlyBackward(Elementwise):
    """double: d/dx 2x = 2"""

    __slots__ = ()

    def forward(self, x):
        return 2.0 * x

    def backward(self, grad_out):  # no local(): explain falls back to the rule
        return (2.0 * grad_out,)


def test_an_elementwise_node_without_local_is_shown_by_its_rule():
    x = leaf([1.0, 2.0], "x")
    trace = explain(OnlyBackward()(x).sum())
    step = trace.steps[1]
    assert (step.op, step.elementwise) == ("OnlyBackward", False)
    assert step.inputs[0].rule == "double: d/dx 2x = 2: (2) → (2)"
    np.testing.assert_array_equal(trace["x"].grad, [2.0, 2.0])


# ----- backward semantics ----------------------------------------------------------------------
def test_explain_accumulates_into_grad_like_backward():
    w = leaf(3.0, "w")
    w.grad = np.array(1.0)
    out = w * w
    trace = explain(out, retain_graph=True)
    assert float(trace["w"].grad) == 6.0  # this pass only
    assert float(w.grad) == 7.0  # added to what was there
    explain(out)  # the graph was retained: a second pass adds again
    assert float(w.grad) == 13.0
    with pytest.raises(RuntimeError, match="already released"):
        explain(out)


def test_trace_keeps_the_values_it_saw():
    w = leaf(0.5, "w")
    trace = explain(w * 4.0)
    w.data -= 0.1 * w.grad  # an optimizer step changes the tensor in place
    assert float(trace["w"].data) == 0.5
    rows = [line.split() for line in trace.table().splitlines()]
    assert ["w", "0.5", "4", "4", "✓"] in rows


def test_non_scalar_output_takes_an_upstream_gradient():
    x = leaf([1.0, 2.0], "x")
    trace = explain(x * x, grad=np.array([0.5, -1.0]))
    np.testing.assert_array_equal(trace.output.grad, [0.5, -1.0])
    np.testing.assert_array_equal(trace["x"].grad, [1.0, -4.0])
    with pytest.raises(RuntimeError, match=r"explain: the output has shape \(2\).*grad="):
        explain(x * x)


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Tensor"):
        explain(3.0)
    with pytest.raises(ValueError, match="lang must be one of"):
        explain(leaf(1.0) * 2.0, lang="fr")
    with pytest.raises(RuntimeError, match="does not require gradients"):
        explain(cr.tensor(1.0) * 2.0)


def test_repr_and_type():
    trace = explain(examples.apple())
    assert isinstance(trace, Trace)
    assert repr(trace) == "<Trace of price: 2 nodes, 5 tensors>"


def test_gradients_summed_over_broadcast_axes_are_marked():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), name="x")
    b, s = leaf([1.0, 2.0, 3.0], "b"), leaf(2.0, "s")
    text = explain(((x + b) * s).sum()).table()
    rows = {line.split()[0]: line for line in text.splitlines()[4:] if line.startswith(" ")}
    # ∂L/∂bⱼ = s summed over the 2 rows = 4; ∂L/∂s = Σ (x + b) = 1+3+5 + 4+6+8 = 27
    assert rows["b"].split()[-6:] == ["1", "[4,", "4,", "4]", "✓", "Σ"]
    assert rows["s"].split()[-3:] == ["27", "✓", "Σ"]
    assert not rows["add1"].endswith("Σ")
    assert "Σ = summed over the broadcast axes" in text.splitlines()[1]
    assert "Σ = summed" not in explain(examples.apple()).table()


def test_trailing_zeros_are_dropped_within_a_few_epsilons_as_the_docs_say():
    eps = np.finfo(np.float64).eps
    product = 0.1 * 0.7  # stored as 0.06999999999999999, 1 epsilon (relative) from 0.07
    assert product != 0.07
    assert abs(product - 0.07) <= 4 * eps * 0.07
    a, b = cr.tensor(0.1, dtype="float64"), cr.tensor(0.7, dtype="float64", requires_grad=True)
    assert explain(a * b).table().startswith("Backward pass of L = 0.07: ")
    further = 0.07 * (1 + 1e-14)  # about 45 epsilons away: the zeros show it is not 0.07
    c = cr.tensor(further, dtype="float64", requires_grad=True)
    assert explain(c * 1.0).table().startswith("Backward pass of L = 0.07000000: ")


def test_a_model_names_its_parameters():
    cr.manual_seed(0)  # float32 weights: the tolerances below hold for these, not for any
    model = cr.nn.Sequential(cr.nn.Linear(2, 3), cr.nn.Sigmoid(), cr.nn.Linear(3, 1))
    x = np.array([[0.1, 0.2]], dtype=np.float32)
    trace = explain((model(cr.tensor(x)) ** 2).sum(), model=model)
    found = [v.name for v in trace.values if v.kind == "parameter"]
    assert found == ["0.weight", "0.bias", "2.weight", "2.bias"]  # not w1 … w4
    # by hand in NumPy: L = (σ(xW0 + b0)W2 + b2)², so ∂L/∂b2 = 2·out, ∂L/∂b0 = 2·out·W2ᵀ·h(1 − h)
    w0, b0, w2, b2 = (p.data for p in model.parameters())
    h = 1 / (1 + np.exp(-(x @ w0 + b0)))
    out = h @ w2 + b2
    np.testing.assert_allclose(trace["2.bias"].grad, 2 * out[0], rtol=1e-6, atol=1e-7)
    expected = (2 * out @ w2.T * h * (1 - h))[0]
    np.testing.assert_allclose(trace["0.bias"].grad, expected, rtol=1e-5, atol=1e-7)
    assert "Chain rule for ∂L/∂2.bias" in trace.transcript(of="2.bias")


def test_a_model_does_not_rename_a_named_parameter():
    model = cr.nn.Linear(2, 1)
    model.weight.name = "W"
    trace = explain(model(cr.tensor([[1.0, 2.0]])).sum(), model=model)
    assert [v.name for v in trace.values if v.kind == "parameter"] == ["W", "bias"]
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        explain(model(cr.tensor([[1.0, 2.0]])).sum(), model="linear")


def test_a_model_name_never_duplicates_a_name_the_user_gave():
    model = cr.nn.Linear(2, 1)
    other = cr.tensor([[3.0]], requires_grad=True, name="weight")  # the user's own "weight"
    trace = explain((model(cr.tensor([[1.0, 2.0]])) * other).sum(), model=model)
    names = [v.name for v in trace.values]
    assert len(names) == len(set(names))
    assert trace["weight"].data.tolist() == [[3.0]]  # the user's tensor keeps the name
    assert "bias" in names  # the model still names the parameter nobody else named


def test_a_frozen_one_element_parameter_named_by_the_model_is_an_input_not_a_constant():
    model = cr.nn.Linear(2, 1)
    model.bias.requires_grad = False
    trace = explain(model(cr.tensor([[1.0, 2.0]])).sum(), model=model)
    assert trace["bias"].kind == "input"


@pytest.mark.parametrize("decimals", [-1, 2.5, "3", True, 18])
def test_decimals_must_be_a_small_non_negative_integer(decimals):
    x = cr.tensor(2.0, requires_grad=True)
    with pytest.raises(ValueError, match="decimals must be an integer from 0 to 17"):
        explain(x * 3.0, decimals=decimals)


def test_an_empty_matrix_shows_its_shape():
    x = cr.tensor(np.zeros((0, 3)), dtype="float64", requires_grad=True, name="x")
    table = explain((x * 2.0).sum()).table()
    assert "∂L/∂x = [] (shape (0, 3))" in table  # [] alone would not say (0, 3)
    ko = explain((x * 2.0).sum(), lang="ko").table()
    assert "[] (형상 (0, 3))" in ko


@pytest.mark.parametrize(
    ("loss", "logits_rule", "target_rule"),
    [
        ("cross_entropy", "dXᵢ = (softmax(xᵢ) − tᵢ) · dLᵢ", "dTᵢ = −log softmax(xᵢ) · dLᵢ"),
        ("bce", "dXᵢ = (σ(xᵢ) − tᵢ) · dLᵢ", "dTᵢ = −xᵢ · dLᵢ"),
    ],
)
def test_a_loss_target_that_requires_grad_is_shown_its_own_rule(loss, logits_rule, target_rule):
    # ∂L/∂t is −log softmax(x)·dL (cross-entropy) or −x·dL (BCE), not the logits' rule
    x = cr.tensor([[0.2, -1.0, 0.5], [1.5, 0.3, -0.7]], requires_grad=True, name="x")
    t = cr.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], requires_grad=True, name="t")
    functional = cr.nn.functional
    fn = (
        functional.cross_entropy
        if loss == "cross_entropy"
        else functional.binary_cross_entropy_with_logits
    )
    each = fn(x, t, reduction="none")
    total = (each * np.arange(1.0, each.size + 1).reshape(each.shape)).sum()
    trace = cr.explain(total)
    rules = {trace.values[e.value].name: e.rule for s in trace.steps for e in s.inputs}
    assert rules["x"].startswith(logits_rule)
    assert rules["t"].startswith(target_rule)


def test_summaries_of_small_values_keep_four_significant_digits():
    # x = 0.00012, 0.00024, …, 0.00960 (80 values): mean 0.00486, max 0.0096, by hand
    x = leaf(np.arange(1.0, 81.0).reshape(8, 10) * 1.2e-4)
    text = explain((x * 2.0).sum()).table()
    assert "shape (8, 10): mean 0.00486, std 0.002771, min 0.00012, max 0.0096" in text


def test_a_batch_of_one_label_is_an_input_not_a_constant():
    # a one-element data array (labels of a batch of one) is x1, not the number "1"; a
    # Python number in the code (the 2 in x ** 2) keeps its value as its name
    model = cr.nn.Linear(3, 2, dtype="float64")
    loss = cr.nn.SoftmaxCrossEntropy()(model(cr.tensor(np.ones((1, 3)))), np.array([1]))
    trace = explain(loss * 2.0, model=model)
    kinds = {v.name: v.kind for v in trace.values}
    assert kinds["x2"] == "input"
    assert kinds["2"] == "constant"


class FreesSaved(cr.Function):
    """triple_sum: d(Σ 3x)/dxᵢ = 3."""

    def forward(self, x):
        self.saved = (x,)
        return np.array(3.0 * x.sum())

    def backward(self, grad_out):
        (x,) = self.saved
        self.saved = None  # lets go of its input, as backward runs only once
        return np.full_like(x, 3.0) * grad_out


def test_a_function_whose_backward_runs_only_once_is_explained_by_its_rule():
    # L = 2·Σ 3w: ∂L/∂w = 6 for every element, as an ordinary backward gives it
    w, w_plain = leaf([1.0, 2.0], "w"), leaf([1.0, 2.0], "w")
    (FreesSaved()(w_plain) * 2.0).backward()
    trace = explain(FreesSaved()(w) * 2.0)
    assert w.grad.tolist() == w_plain.grad.tolist() == [6.0, 6.0]
    edge = trace.step(2).edge(0)
    assert edge.local is None
    assert edge.downstream.tolist() == [6.0, 6.0]
    assert "triple_sum: d(Σ 3x)/dxᵢ = 3: () → (2)" in trace.table()


def test_a_name_with_a_combining_accent_keeps_the_table_aligned():
    # x̄ is x and a combining macron: one column on a terminal, as x is
    x = leaf(2.0, "x")
    mean = x * 3.0
    mean.name = "x\u0304"
    lines = explain(mean * mean).table().splitlines()
    column = lines[3].index("forward value")
    drawn = ["".join(c for c in line if not unicodedata.combining(c)) for line in lines[4:9]]
    # L = 36, x̄ = 6 (twice), x̄ = 6 again as the output of step 2, then x = 2
    assert [line[column:].split()[0] for line in drawn] == ["36", "6", "6", "6", "2"]
    assert all(line[column - 2 : column] == "  " for line in drawn)


def test_a_leaf_explained_on_its_own_lists_the_gradient_added_to_its_grad():
    w = leaf([1.0, 2.0], "w")
    text = explain(w, grad=np.array([3.0, 4.0])).table()
    assert w.grad.tolist() == [3.0, 4.0]  # what backward added: the upstream gradient
    assert text.endswith(
        "Gradients of the leaves (added to .grad, as backward does):\n  ∂w/∂w = [3, 4]"
    )


def test_reshaping_one_element_is_not_marked_as_a_sum_over_broadcast_axes():
    # L = reshape(3w, (1, 1)): its backward reshapes [[1]] to [1], nothing is summed
    w = leaf([2.0], "w")
    text = explain(cr.reshape(w * 3.0, (1, 1))).table()
    assert "Σ" not in text
    assert (
        "mul1    [6]                               [1]             [1]                  ✓\n" in text
    )
    # a bias added to every row is summed over the rows: Σ
    b = leaf([1.0, 2.0], "b")
    trace = explain((cr.tensor(np.ones((3, 2)), dtype=F64) + b).sum())
    assert trace["b"].grad.tolist() == [3.0, 3.0]
    assert "✓ Σ" in trace.table()
