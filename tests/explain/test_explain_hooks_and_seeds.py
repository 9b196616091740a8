"""explain shows what the engine did when backward is given an upstream gradient or when
gradient hooks change a gradient, and tells rounding from real disagreement."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.ops._elementwise import Elementwise


def leaf(value, name):
    return cr.tensor(value, dtype="float64", requires_grad=True, name=name)


def test_a_given_upstream_gradient_is_a_factor_of_every_path():
    # L = (3w)·5 with upstream 2: ∂L/∂w as backward forms it = 2 × 5 × 3 = 30
    w = leaf(2.0, "w")
    text = cr.explain((w * 3.0) * 5.0, grad=np.array(2.0)).transcript(of="w", lr=0.1)
    assert "∂L/∂w = ∂L/∂L × ∂L/∂mul1 × ∂mul1/∂w" in text
    assert "= 2 × 5 × 3" in text
    assert "w⁺ = w − η·∂L/∂w = 2 − 0.1 × 30 = -1" in text


def test_a_hook_on_a_fan_out_value_shows_the_branch_sum_and_the_hooks_result():
    # h = 2w used three times: the branches sum to 1 + 6 + 6 = 13; the hook makes it 130,
    # which is what flows on: ∂L/∂w as the engine forms it = 130 × 2 = 260
    w = leaf(3.0, "w")
    h = w * 2
    h.name = "h"
    h.register_hook(lambda g: g * 10)
    trace = cr.explain(h * h + h)
    assert w.grad == 260.0
    table = trace.table()
    assert "h: 1 (via step 1 (Add)) + 6 (via step 2 (Mul)) + 6 (via step 2 (Mul)) = 13; " in table
    assert "after its hook: 130" in table
    assert "∂L/∂w = 260" in table
    text = trace.transcript(of="w")
    # the chain rule alone: ∂L/∂h = 2h + 1 = 13 over its three routes, times ∂h/∂w = 2
    assert "∂L/∂w = ∂L/∂h × ∂h/∂w\n        = 13 × 2\n        = 26" in text
    assert "engine: ∂L/∂w = 260 ✗ (a gradient hook on h changed what the engine passed on" in text
    # the graph's fan-out box: Σ of the branches, then the hook's result on its own line
    (box,) = [line for line in trace.to_dot().splitlines() if line.startswith("  v2 [")]
    assert ">Σ 13<BR/>after its hook: 130</FONT>" in box


def test_a_hook_on_a_leaf_shows_what_reaches_grad():
    w = leaf(3.0, "w")
    w.register_hook(lambda g: g * 10)
    table = cr.explain(w * w).table()
    assert w.grad == 60.0
    assert "∂L/∂w = 6; after its hook: 60" in table


class SlightlyWrong(Elementwise):
    """twice: d/dx 2x = 2 (its backward is off by one part in a million, on purpose)"""

    __slots__ = ()

    def forward(self, x):
        return 2.0 * x

    def local(self):
        return (2.0,)

    def backward(self, grad_out):
        return (2.0 * (1 + 1e-6) * grad_out,)


def test_a_small_real_difference_is_not_called_rounding():
    for scale in (1.0, 1e-9):  # a tiny gradient too: no absolute tolerance hides it
        w = leaf(3.0, "w")
        text = cr.explain(SlightlyWrong()(w) * scale).transcript(of="w")
        assert "✗" in text, text
        assert "≈" not in text, text


def test_a_hook_on_a_value_used_once_shows_in_its_upstream_cell():
    w = leaf(2.0, "w")
    h = w * 5.0
    h.name = "h"
    h.register_hook(lambda g: g * 10)
    table = cr.explain(h * 1.0).table()
    assert "1; after its hook: 10" in table  # what arrived at h, then what flowed on
    assert "∂L/∂w = 50" in table
    assert w.grad == 50.0


def test_a_hook_on_the_output_is_named_in_the_transcript():
    w = leaf(2.0, "w")
    out = w * 3.0
    out.register_hook(lambda g: g * 10)
    text = cr.explain(out).transcript(of="w")
    assert "= 10 × 3" in text
    assert "a gradient hook on L changed what the engine passed on" in text


def test_a_hook_that_only_looks_is_not_shown():
    seen = []
    w = leaf(3.0, "w")
    h = w * 2
    h.name = "h"
    h.register_hook(lambda g: seen.append(float(g)))  # returns None: the gradient stays
    trace = cr.explain(h * h + h)
    assert seen == [13.0]
    assert "after its hook" not in trace.table()
    assert "hook" not in trace.transcript(of="w")


def test_float16_rounding_is_rounding():
    w = cr.tensor(0.7, dtype="float16", requires_grad=True, name="w")
    text = cr.explain((w * 1.3 + w) * (w * 0.9)).transcript(of="w")
    assert "✗" not in text
