"""Transcripts: the chain rule for one leaf, written the way the tutorials write it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _explain_ops import Inverse
from _explain_reference import LR, WEIGHTS, numbers, seed_deltas, seed_forward, seed_gradients

import chainrule as cr
import chainrule.examples as examples
from chainrule._explain import explain


def leaf(value, name=None):
    return cr.tensor(value, dtype="float64", requires_grad=True, name=name)


@pytest.fixture(scope="module")
def seed():
    return explain(examples.seed_network())


def test_single_path_reads_like_the_tutorial(seed):
    f, d, g = seed_forward(WEIGHTS), seed_deltas(WEIGHTS), seed_gradients(WEIGHTS)
    lines = seed.transcript(of="W5").splitlines()
    assert lines[0] == "Chain rule for ∂E/∂W5"
    assert lines[1].strip() == "∂E/∂W5 = ∂E/∂o1 × ∂o1/∂z3 × ∂z3/∂W5"
    # a = ∂E/∂o1 = o1 − t1, b = ∂o1/∂z3 = o1(1 − o1), c = ∂z3/∂W5 = h1
    assert numbers(lines[2]) == pytest.approx([d["dE_do1"], d["do1_dz3"], f["h1"]], abs=5e-9)
    assert numbers(lines[3]) == pytest.approx([g["W5"]], abs=5e-9)
    assert lines[4].strip().startswith("engine: ∂E/∂W5 = ")
    assert lines[4].endswith("✓")


def test_two_paths_are_summed(seed):
    d, g = seed_deltas(WEIGHTS), seed_gradients(WEIGHTS)
    text = seed.transcript(of="W1")
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "Chain rule for ∂E/∂W1: 2 paths from W1 to E, summed"
    assert lines[1] == "path 1: ∂E/∂o1 × ∂o1/∂z3 × ∂z3/∂h1 × ∂h1/∂z1 × ∂z1/∂W1"
    assert lines[4] == "path 2: ∂E/∂o2 × ∂o2/∂z4 × ∂z4/∂h1 × ∂h1/∂z1 × ∂z1/∂W1"
    via_o1 = [d["dE_do1"], d["do1_dz3"], WEIGHTS["W5"], d["dh1_dz1"], 0.1]
    via_o2 = [d["dE_do2"], d["do2_dz4"], WEIGHTS["W7"], d["dh1_dz1"], 0.1]
    assert numbers(lines[2]) == pytest.approx(via_o1, abs=5e-9)
    assert numbers(lines[5]) == pytest.approx(via_o2, abs=5e-9)
    p1, p2 = math.prod(via_o1), math.prod(via_o2)
    total = numbers(lines[7].split("=", 1)[1])
    assert total == pytest.approx([p1, p2, g["W1"]], abs=5e-9)
    assert "engine: ∂E/∂W1 = " in text


def test_update_line(seed):
    g = seed_gradients(WEIGHTS)
    last = seed.transcript(of="W5", lr=LR).splitlines()[-1].strip()
    assert last.startswith("W5⁺ = W5 − η·∂E/∂W5 = 0.45 − 0.5 × ")
    assert numbers(last.split("=")[-1]) == pytest.approx([0.45 - LR * g["W5"]], abs=5e-9)


def test_of_accepts_the_tensor_itself():
    w = leaf(2.0, "w")
    x = leaf(3.0, "x")
    trace = explain(w * x + w)
    by_tensor = trace.transcript(of=w)
    assert by_tensor == trace.transcript(of="w")
    # L = w·x + w: two paths, x + 1 = 4
    assert "∂L/∂w = 3 + 1 = 4" in by_tensor


def test_expand_writes_every_node():
    trace = explain(examples.seed_network())
    line = trace.transcript(of="W5", expand=True).splitlines()[1]
    assert line.strip().startswith("∂E/∂W5 = ∂E/∂mul7 × ∂mul7/∂pow1 × ∂pow1/∂sub1 × ∂sub1/∂o1")


def test_unnamed_graph_writes_every_node():
    w = leaf(0.5)
    text = explain((w * 2.0).exp()).transcript(of=w)
    # L = exp(2w) with no names given: ∂L/∂mul1 = e^(2w) = e, ∂mul1/∂w1 = 2
    assert text.splitlines()[1].strip() == "∂L/∂w1 = ∂L/∂mul1 × ∂mul1/∂w1"
    assert numbers(text.splitlines()[2]) == pytest.approx([math.e, 2.0], abs=5e-9)


def test_sigmoid_paths_agree():
    trace = explain(examples.sigmoid_graph(0.5))
    y = 1 / (1 + math.exp(-0.5))
    lines = [line.strip() for line in trace.transcript(of="x").splitlines()]
    assert lines[1] == "path 1: ∂L/∂y_graph × ∂y_graph/∂c × ∂c/∂b × ∂b/∂a × ∂a/∂x"
    # 1 × (−y²) × 1 × exp(−x) × (−1), and then the fused node's y(1 − y)
    assert numbers(lines[2]) == pytest.approx([1, -(y**2), 1, math.exp(-0.5), -1], abs=5e-9)
    assert numbers(lines[3]) == pytest.approx([y * (1 - y)], abs=5e-9)
    assert numbers(lines[5]) == pytest.approx([1, y * (1 - y)], abs=5e-9)
    assert numbers(lines[6]) == pytest.approx([y * (1 - y)], abs=5e-9)


def test_markdown_and_latex():
    trace = explain(examples.apple())
    md = trace.transcript(of="apple", fmt="markdown")
    assert md.startswith("**Chain rule for ∂price/∂apple**")
    assert "∂price/∂apple = ∂price/∂apple_price × ∂apple_price/∂apple" in md
    tex = trace.transcript(of="apple", lr=0.01, fmt="latex")
    # an aligned block is only valid in maths mode: it comes inside \[ … \]
    assert "\\[\n\\begin{aligned}\n" in tex
    assert "\n\\end{aligned}\n\\]\n" in tex
    assert "\\frac{\\partial \\mathrm{price}}{\\partial \\text{apple\\_price}}" in tex
    assert "= 1.1 \\times 2 = 2.2" in tex
    # 100 − 0.01 × 2.2 = 99.978
    assert "\\mathrm{apple}^{+} &= \\mathrm{apple} - \\eta" in tex
    assert tex.count("99.978") == 1


def test_latex_names():
    trace = explain(examples.seed_network())
    tex = trace.transcript(of="W5", fmt="latex")
    assert "\\frac{\\partial E}{\\partial W_{5}} &= \\frac{\\partial E}{\\partial o_{1}}" in tex


def test_non_scalar_graph_says_so_and_shows_shapes():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.normal(size=(4, 3)), name="X")
    w = leaf(rng.normal(size=(3, 2)), "W")
    loss = (x @ w).tanh().sum()
    text = explain(loss).transcript(of=w, lr=0.1)
    assert "This graph is not scalar" in text
    assert "W → MatMul (#3) → matmul1 (4, 2) → Tanh (#2) → tanh1 (4, 2) → Sum (#1) → L ()" in text
    assert "[dW = Xᵀ·dY: (3, 4)·(4, 2) → (3, 2)]" in text
    expected = x.data.T @ (1 - np.tanh(x.data @ w.data) ** 2)  # d/dW Σ tanh(XW)
    assert numbers(text.splitlines()[-3].split("=", 1)[1]) == pytest.approx(
        expected.ravel().tolist(), abs=5e-9
    )
    assert text.splitlines()[-1].strip().startswith("W⁺ = W − η·∂L/∂W = [[")


def _line(text, start):
    found = [line.strip() for line in text.splitlines() if line.strip().startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def test_non_scalar_fan_out_shows_each_branch_then_the_sum_never_a_branch_as_the_whole():
    # L = Σ h², h = σ(XW + b): h feeds Mul twice. By hand: ∂L/∂h = 2h, ∂L/∂z = 2h·h(1 − h),
    # ∂L/∂b = Σ over rows of ∂L/∂z.
    X = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64", name="X")
    W, b = leaf([[0.5, -1.0], [2.0, 0.25]], "W"), leaf([0.1, -0.2], "b")
    h = cr.sigmoid(X @ W + b)
    text = explain((h * h).sum()).transcript(of="b")
    hv = 1 / (1 + np.exp(-(X.data @ W.data + b.data)))
    dz = 2 * hv * hv * (1 - hv)
    branches = [line for line in text.splitlines() if "one branch into sigmoid1" in line]
    assert len(branches) == 2
    for line in branches:  # each branch: the other factor, h
        assert numbers(line.split("=", 1)[1].split("[local")[0]) == pytest.approx(
            hv.ravel().tolist(), abs=5e-9
        )
    total = _line(text, "∂L/∂sigmoid1 =").rsplit("=", 1)[1]
    assert numbers(total) == pytest.approx((2 * hv).ravel().tolist(), abs=5e-9)
    dz_line = _line(text, "#3 Sigmoid: ∂L/∂add1 (2, 2) =").split("=", 1)[1].split("[local")[0]
    assert numbers(dz_line) == pytest.approx(dz.ravel().tolist(), abs=5e-9)
    db_line = _line(text, "#4 Add: ∂L/∂b (2) =").split("=", 1)[1].split("[local")[0]
    assert numbers(db_line) == pytest.approx(dz.sum(axis=0).tolist(), abs=5e-9)
    assert text.count("#3 Sigmoid") == 1  # every node once, not once per path
    assert "∂L/∂sigmoid1 (2, 2) =" not in text  # a single branch is never called ∂L/∂h


def test_too_many_paths_are_cut():
    x = leaf(1.0, "x")
    a = x
    for _ in range(7):  # each level doubles the paths: 2⁷ = 128 from x to the output
        a = a + a
    text = explain(a).transcript(of=x)
    assert "(more than 64 paths: the first 64 are shown)" in text
    assert "not scalar" not in text
    assert text.count("path ") == 64
    assert text.splitlines()[-1].strip() == "∂L/∂x = 128"


def test_errors():
    x = cr.tensor(1.0, dtype="float64", name="x")
    w = leaf(2.0, "w")
    trace = explain(w * x)
    with pytest.raises(ValueError, match="x does not require grad"):
        trace.transcript(of="x")
    with pytest.raises(ValueError, match="fmt must be one of"):
        trace.transcript(of="w", fmt="html")
    with pytest.raises(TypeError, match="'of' must be a Tensor or a name"):
        trace.transcript(of=3)
    with pytest.raises(ValueError, match="L is the output"):
        trace.transcript(of="L")


# ----- float32: the products run in the tensors' dtype ------------------------------------------
def test_float32_one_path_is_exact_and_its_locals_stay_float32():
    a = cr.tensor(0.5, requires_grad=True, name="a")  # float32, the default
    b = cr.tensor(0.3, requires_grad=True, name="b")
    trace = explain(cr.sigmoid(a * b + 2.0))
    # add's local gradient is the number 1: recorded as float32, like everything here
    assert {e.local.dtype for s in trace.steps for e in s.inputs} == {np.dtype(np.float32)}
    last = trace.transcript(of="a").splitlines()[-1]
    # one path, multiplied in float32 as the engine does: the same float32 number exactly
    assert last.endswith("✓"), last
    z = np.float32(0.5) * np.float32(0.3) + np.float32(2.0)
    y = 1 / (1 + np.exp(-z, dtype=np.float32))
    assert numbers(last) == pytest.approx([y * (1 - y) * 0.3], abs=5e-7)


def test_one_path_rounding_is_not_blamed_on_paths_meeting():
    a = cr.tensor(1.7, requires_grad=True, name="a")  # float32: this value rounds differently
    last = explain(cr.sigmoid(Inverse()(a))).transcript(of="a").splitlines()[-1]
    assert "≈" in last
    assert "paths" not in last
    assert "each node's backward rounds in its own order of operations" in last
    y = 1 / (1 + math.exp(-1 / 1.7))  # ∂L/∂a = σ'(1/a) × (−1/a²)
    assert numbers(last.split("≈")[0]) == pytest.approx([-y * (1 - y) / 1.7**2], abs=5e-6)


# ----- decimals: no nonzero number is written as 0 ----------------------------------------------
def test_few_decimals_never_write_a_nonzero_path_as_zero():
    d, g = seed_deltas(WEIGHTS), seed_gradients(WEIGHTS)
    text = explain(examples.seed_network(), decimals=3).transcript(of="W1", lr=LR)
    lines = [line.strip() for line in text.splitlines()]
    p1 = d["dE_do1"] * d["do1_dz3"] * WEIGHTS["W5"] * d["dh1_dz1"] * 0.1  # 0.00055995
    p2 = d["dE_do2"] * d["do2_dz4"] * WEIGHTS["W7"] * d["dh1_dz1"] * 0.1  # 0.00024893
    assert numbers(lines[3]) == pytest.approx([p1], rel=1e-2)
    assert numbers(lines[6]) == pytest.approx([p2], rel=1e-2)
    # the sum line holds as written: 5.60e-4 + 2.49e-4 = 8.09e-4
    a, b, total = numbers(lines[7].split("=", 1)[1])
    assert a + b == pytest.approx(total, abs=1e-6)
    assert total == pytest.approx(g["W1"], rel=1e-2)
    # W1⁺ = 0.3 − 0.5 × 8.09e-4: the gradient is shown, not 0.001 or 0.000
    old, lr, grad, new = numbers(lines[-1].split("=", 2)[2])
    assert (old, lr) == (0.3, 0.5)
    assert grad == pytest.approx(g["W1"], rel=1e-2)
    assert new == pytest.approx(0.3 - 0.5 * g["W1"], abs=5e-4)


@pytest.mark.parametrize("decimals", range(11))
def test_any_decimals_write_every_nonzero_number_nonzero(decimals):
    for x in (2.5e-9, 3e-5, 2.4893e-4, 4.9e-3, 0.06, 0.5, 0.99, 7.0, 1234.5, 3e9):
        for signed in (x, -x):
            w = leaf(1.0, "w")
            c = cr.tensor(signed, dtype="float64", name="c")
            last = explain(w * c, decimals=decimals).transcript(of=w).splitlines()[-1]
            (written,) = numbers(last.split("=")[1])  # engine: ∂L/∂w = c
            assert written != 0, last
            assert math.copysign(1, written) == math.copysign(1, signed), last
            assert abs(written - signed) <= 0.5 * abs(signed), last  # the leading digit


# ----- a path of one factor keeps the ∂a/∂b form ---------------------------------------------
def test_a_one_factor_path_names_its_factor():
    x = leaf(2.0, "x")
    trace = explain(x * x + x)  # L = x² + x: paths x·1, x·1 and 1; by hand 2 + 2 + 1 = 5
    lines = [line.strip() for line in trace.transcript(of="x").splitlines()]
    assert lines[7] == "path 3: ∂L/∂x = 1"
    assert lines[8] == "∂L/∂x = 2 + 2 + 1 = 5"
    tex = trace.transcript(of="x", fmt="latex")
    assert "\\text{path 3} &= \\frac{\\partial L}{\\partial x} = 1 \\\\" in tex
    # the transcript of a single one-factor path still writes it once
    y = leaf(2.0, "y")
    assert explain(y + 3.0).transcript(of=y).splitlines()[1].strip() == "∂L/∂y = 1"


def test_a_nan_gradient_agrees_with_the_nan_path_product():
    # x = NaN: ∂L/∂x = exp(3x)·3 is NaN both as the product of the path and from the engine
    x = leaf(float("nan"), "x")
    trace = explain((x * 3.0).exp())
    assert np.isnan(x.grad)
    last = trace.transcript(of="x").splitlines()[-1].strip()
    assert last == "engine: ∂L/∂x = nan ✓"


def test_a_factor_between_named_values_is_the_whole_derivative():
    # L = h·h + sin h with h = 3x (named) at x = 0.5: three routes from h to L, and the
    # factor ∂L/∂h is their sum, 2h + cos h = 3 + cos 1.5, not one route's share
    x = cr.tensor(0.5, dtype="float64", requires_grad=True, name="x")
    h = 3 * x
    h.name = "h"
    out = h * h + cr.sin(h)
    out.name = "L"
    text = cr.explain(out).transcript(of="x")
    dl_dh = 3 + math.cos(1.5)
    assert "∂L/∂x = ∂L/∂h × ∂h/∂x" in text
    assert f"= {dl_dh:.8f} × 3" in text
    assert f"= {3 * dl_dh:.8f}" in text
    assert "paths" not in text  # one sequence of named values: one term
    assert "✓" in text


def test_mse_of_a_named_prediction_shows_the_whole_derivative_of_the_loss():
    # L = (pred − 3)² with pred = 2w at w = 0.5: ∂L/∂pred = 2(1 − 3) = −4 (the table's
    # value), × ∂pred/∂w = 2 gives −8; mse_loss computes d·d, two routes to pred
    w = cr.tensor([[0.5]], dtype="float64", requires_grad=True, name="w")
    pred = cr.tensor([[2.0]], dtype="float64") @ w
    pred.name = "pred"
    trace = cr.explain(cr.nn.functional.mse_loss(pred, cr.tensor([[3.0]], dtype="float64")))
    assert trace["pred"].grad.item() == -4.0
    text = trace.transcript(of="w")
    assert "∂L/∂w = ∂L/∂pred × ∂pred/∂w\n        = (-4) × 2\n        = -8" in text


def test_a_path_through_float32_is_compared_with_float32_rounding():
    # L = 1.1·float64(2·float32(x)): ∂L/∂x = 2.2, which the engine forms through float32
    # (2.20000005); equal up to float32 rounding, not a mismatch
    x = cr.tensor(0.5, dtype="float64", requires_grad=True, name="x")
    text = cr.explain((x.astype("float32") * 2.0).astype("float64") * 1.1).transcript(of="x")
    assert "= 2.2\n" in text
    assert "engine: ∂L/∂x = 2.20000005 ≈" in text


def test_cancelling_infinite_paths_say_why_the_engine_differs():
    # L = 2√x − 2√x at x = 0: the paths are 2·∞ and −2·∞; the engine adds the branches
    # first (0) and takes 0 × ∞ as 0 -- with h named, the transcript does the same
    x = leaf(0.0, "x")
    h = cr.sqrt(x)
    text = cr.explain(h * 2.0 - h * 2.0).transcript(of=x)
    assert "∂L/∂x = inf + (-inf) = nan" in text
    assert "engine: ∂L/∂x = 0 ✗ (the paths' products are infinite with opposite signs" in text
    x = leaf(0.0, "x")
    h = cr.sqrt(x)
    h.name = "h"
    text = cr.explain(h * 2.0 - h * 2.0).transcript(of=x)
    assert "= 0 × inf\n        = 0\n  engine: ∂L/∂x = 0 ✓" in text


def test_markdown_shows_names_as_written():
    x = cr.tensor(2.0, requires_grad=True, name="<h>")
    y = x * x
    y.name = "$y$*"
    trace = cr.explain(y)
    md = trace.to_markdown()
    assert "| \\$y\\$\\* |" in md
    assert "- ∂\\$y\\$\\*/∂\\<h\\> = 4" in md
    assert "<h>" not in md.replace("\\<h\\>", "")
    assert (
        cr.explain(x * x * 3.0)
        .transcript(of=x, fmt="markdown")
        .startswith("**Chain rule for ∂L/∂\\<h\\>")
    )


def test_terms_that_sum_several_paths_are_called_routes():
    # a = 3x, b = a·a (named), L = b·a + 2a at x = 0.5: L = a³ + 2a, ∂L/∂x = (3a² + 2)·3
    # = 26.25. Through b: ∂L/∂b·∂b/∂a·∂a/∂x = 1.5·3·3 = 13.5 (∂b/∂a sums two paths);
    # past b: ∂L/∂a·∂a/∂x = (b + 2)·3 = 12.75, where b + 2 is only the part of ∂L/∂a not
    # through b (the whole is 3a² + 2 = 8.75), and the factor says so
    x = leaf(0.5, "x")
    a = 3 * x
    a.name = "a"
    b = a * a
    b.name = "b"
    out = b * a + a * 2.0
    out.name = "L"
    trace = cr.explain(out)
    text = trace.transcript(of="x")
    assert "2 routes from x to L through the tensors you named" in text
    assert "route 1: ∂L/∂b × ∂b/∂a × ∂a/∂x\n         = 1.5 × 3 × 3\n         = 13.5" in text
    assert "route 2: ∂L/∂a (not through b) × ∂a/∂x\n         = 4.25 × 3\n         = 12.75" in text
    assert "∂L/∂x = 13.5 + 12.75 = 26.25" in text
    assert "4 paths from x to L" in trace.transcript(of="x", expand=True)  # node by node
