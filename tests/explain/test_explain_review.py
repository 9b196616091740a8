"""The transcript's update line on less-travelled inputs: a learning rate as SGD takes
it, only for a leaf; inf and NaN without NumPy warnings. A scalar graph whose node shows
only its rule is not called "not scalar". LaTeX writes numbers in scientific notation,
inf and NaN as maths. Korean rules hold no English words.

Expected numbers are worked out by hand or in NumPy in each test.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import chainrule as cr


def _leaf(value, name: str, dtype: str = "float64"):
    return cr.tensor(value, dtype=dtype, requires_grad=True, name=name)


def test_an_update_through_inf_is_nan_without_a_numpy_warning():
    # L = w·w at w = inf: ∂L/∂w = 2w = inf, and w − η·inf = inf − inf = NaN
    w = _leaf(math.inf, "w")
    trace = cr.explain(w * w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would be raised here
        text = trace.transcript(of=w, lr=0.1)
    assert text.splitlines()[-1].strip() == "w⁺ = w − η·∂L/∂w = inf − 0.1 × inf = nan"


def test_a_learning_rate_is_refused_for_a_tensor_the_graph_computes():
    # h = 3x is not a parameter: no optimizer updates it, so there is no h⁺ to show
    x = _leaf(2.0, "x")
    h = x * 3.0
    h.name = "h"
    trace = cr.explain(h * h)
    with pytest.raises(ValueError, match="h is computed"):
        trace.transcript(of=h, lr=0.1)
    assert "h⁺" not in trace.transcript(of=h)  # without lr, its chain rule as before
    # for the leaf: x⁺ = 2 − 0.1 × ∂L/∂x, with ∂L/∂x = 2·h·3 = 36
    assert trace.transcript(of=x, lr=0.1).splitlines()[-1].strip().endswith("= 2 − 0.1 × 36 = -1.6")


@pytest.mark.parametrize("lr", ["0.1", True, -0.5, math.nan, math.inf, np.array([0.1, 0.2])])
def test_a_learning_rate_must_be_a_finite_number_at_least_zero_as_sgd_takes_it(lr):
    w = _leaf([1.0, 2.0], "w")
    trace = cr.explain((w * w).sum())
    with pytest.raises(ValueError, match="transcript: lr must be"):
        trace.transcript(of=w, lr=lr)
    with pytest.raises(ValueError, match="lr must be"):  # the optimizer's own word on it
        cr.optim.SGD([w], lr=lr)


def test_a_numpy_learning_rate_updates_a_float32_weight_in_float32_as_sgd_does():
    # w = 0.62654048 (float32), L = σ(w²): SGD computes w − 0.1·g in float32 whatever
    # type the 0.1 has; the update line is the same for 0.1 and np.float64(0.1)
    value = 0.6265404784005448
    w = _leaf(value, "w", "float32")
    trace = cr.explain(cr.sigmoid(w * w))
    w32 = np.float32(value)
    s = 1 / (1 + np.exp(-(np.float64(w32) ** 2)))
    g = np.float32(s * (1 - s) * 2 * w32)
    stepped = w32 - np.float32(0.1) * g  # float32 arithmetic
    for lr in (0.1, np.float64(0.1), np.float32(0.1)):
        new = trace.transcript(of=w, lr=lr).splitlines()[-1].split(" = ")[-1]
        assert new == "0.59639", lr
        assert float(new) == pytest.approx(float(stepped), abs=5e-7)


class Squaring(cr.Function):
    """d/dx x² = 2x"""

    def forward(self, x):
        self.saved = (x,)
        return x * x

    def backward(self, grad_out):
        (x,) = self.saved
        self.saved = None  # lets go of what it saved: it cannot run a second time
        return 2 * x * grad_out


def test_a_scalar_graph_with_a_node_that_shows_only_its_rule_is_not_called_not_scalar():
    # L = sin(x²) at x = 0.3: ∂L/∂x = cos(0.09)·0.6; the squaring node's backward cannot
    # run again, so it has no local gradient and the transcript walks the nodes instead
    x = _leaf(0.3, "x")
    for lang in ("en", "ko"):
        text = cr.explain(cr.sin(Squaring()(x)), lang=lang).transcript(of=x)
        assert "not scalar" not in text
        assert "스칼라 그래프가 아니다" not in text
        assert text.splitlines()[-1].strip() == f"∂L/∂x = {math.cos(0.09) * 0.6:.8f}"
    # a graph of tensors still says so
    v = _leaf([0.3, 0.4], "v")
    assert "not scalar" in cr.explain(cr.sin(Squaring()(v)).sum()).transcript(of=v)


def test_latex_writes_scientific_notation_inf_and_nan_as_maths():
    # L = (w·1e-20)·2 at w = 3e-5: the factors are ∂L/∂mul1 = 2 and ∂mul1/∂w = 1e-20
    w = _leaf(3e-5, "w")
    tex = cr.explain((w * 1e-20) * 2.0).transcript(of=w, fmt="latex", lr=0.5)
    # ∂L/∂w = 2 × 1e-20 = 2e-20; w⁺ = 3e-5 − 0.5 × 2e-20 = 3e-5 (to 8 digits)
    assert "2 \\times 1 \\times 10^{-20} = 2 \\times 10^{-20}" in tex
    assert "3 \\times 10^{-5} - 0.5 \\times 2 \\times 10^{-20} = 3 \\times 10^{-5}" in tex
    assert "e-20" not in tex.split("\\]")[0]  # in maths "1e-20" would read 1e minus 20
    # inf and NaN: L = w·w at w = inf, the update inf − 0.5·inf
    w = _leaf(math.inf, "w")
    tex = cr.explain(w * w).transcript(of=w, fmt="latex", lr=0.5)
    maths = tex.split("\\[")[1].split("\\]")[0]
    assert "\\infty + \\infty = \\infty" in maths
    assert "= \\infty - 0.5 \\times \\infty = \\mathrm{NaN}" in maths
    assert "inf " not in maths.replace("\\infty", "")
    assert "% engine: inf (exact)" in tex  # a comment stays plain text


def test_the_korean_rules_of_a_gelu_second_derivative_hold_no_english_words():
    # GELU's backward under create_graph records φ(x) = e^(−x²/2)/√(2π) as a NormalPDF
    # node, whose rule had an English "(0 at ±inf)" in Korean output
    x = _leaf([0.5, -1.0], "x")
    (g,) = cr.autograd.grad(cr.nn.functional.gelu(x).sum(), [x], create_graph=True)
    trace = cr.explain(g.sum(), lang="ko")
    rules = {s.op: s.rule for s in trace.steps}
    assert rules["NormalPDF"] == "normal_pdf: d/dx φ(x) = −x·φ(x) (±inf에서 0)"
    for rule in rules.values():
        assert not re.search(r"\b(at|in|of|the|for)\b", rule), rule
    # and what it shows is d/dx φ(x) = −x·φ(x), the engine's second derivative of GELU:
    # d²/dx² x·Φ(x) = 2φ(x) − x²φ(x)
    phi = np.exp(-(np.array([0.5, -1.0]) ** 2) / 2) / math.sqrt(2 * math.pi)
    assert trace["x"].grad == pytest.approx(phi * (2 - np.array([0.5, -1.0]) ** 2), abs=1e-12)
