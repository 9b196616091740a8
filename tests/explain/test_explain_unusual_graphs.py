"""explain on graphs the other explain tests do not build: names that hold a newline or a
tab in the plain-text outputs; the summary of a large tensor whose elements are all equal;
the generated names of intermediates made by user Functions with underscores in their names.

Every expected gradient is the engine's own, from a separate backward on a rebuilt graph,
or worked out by hand in the test.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

_NAME = "two\nlines\tand a tab"
_SHOWN = "two\\x0alines\\x09and a tab"


def _graph(name: str):
    """L = Σ w·w with ``w`` = [1, 2]: ∂L/∂w = 2w = [2, 4], by hand."""
    w = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name=name)
    return w, (w * w).sum()


def _engine_grad(name: str) -> np.ndarray:
    w, out = _graph(name)
    out.backward()
    return np.asarray(w.grad)


def test_a_newline_or_tab_in_a_name_keeps_every_plain_table_row_on_one_line():
    _, out = _graph(_NAME)
    text = cr.explain(out).table()
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("step"))
    # the header, then per step its output row and one row per operand: 1 + 2 + 3
    rows = lines[header : lines.index("", header)]
    assert len(rows) == 6, text
    assert "\t" not in text
    # every operand row has its check mark under the header's "check"
    column = rows[0].index("check")
    assert [row[column] for row in rows[1:] if row.startswith(" ")] == ["✓"] * 3
    assert np.array_equal(_engine_grad(_NAME), [2.0, 4.0])
    assert f"  ∂L/∂{_SHOWN} = [2, 4]" in lines
    assert f"  {_SHOWN}: [1, 2] (via step 2 (Mul)) + [1, 2] (via step 2 (Mul)) = [2, 4]" in lines


def test_a_newline_in_the_outputs_name_keeps_the_title_on_one_line():
    _, out = _graph("w")
    out.name = "L\nsum"
    lines = cr.explain(out).table().splitlines()
    assert lines[0] == "Backward pass of L\\x0asum = 5: 2 nodes in backward order"
    assert "  ∂L\\x0asum/∂w = [2, 4]" in lines


def test_a_newline_in_a_name_keeps_every_transcript_line_indented():
    # scalar graph: L = exp(w·w) at w = 1, each path e¹ × 1, sum 2e
    w = cr.tensor(1.0, dtype="float64", requires_grad=True, name="n\nm")
    text = cr.explain((w * w).exp()).transcript(of=w, lr=0.5)
    lines = text.splitlines()
    assert lines[0] == "Chain rule for ∂L/∂n\\x0am: 2 paths from n\\x0am to L, summed"
    assert all(line.startswith("  ") for line in lines[1:]), text
    # the continuation lines stand under the "∂L/∂mul1" they continue
    assert lines[1] == "  path 1: ∂L/∂mul1 × ∂mul1/∂n\\x0am (as input 1)"
    assert lines[2] == "        = 2.71828183 × 1"
    assert f"  ∂L/∂n\\x0am = 2.71828183 + 2.71828183 = {2 * np.e:.8f}" in lines


def test_a_newline_in_a_name_keeps_the_vector_transcripts_lines_whole():
    trace = cr.explain(_graph(_NAME)[1])
    text = trace.transcript(of=_NAME).splitlines()
    assert all(line.startswith("  ") for line in text[1:]), text
    assert text[-1] == f"  ∂L/∂{_SHOWN} = [2, 4]"
    code = trace.transcript(of=_NAME, fmt="markdown").split("```")[1].strip("\n").splitlines()
    assert code[0].startswith("This graph is not scalar")
    assert code[-1] == f"∂L/∂{_SHOWN} = [2, 4]"
    assert not any(line.startswith("lines") for line in code), code
    assert np.array_equal(_engine_grad(_NAME), [2.0, 4.0])


def test_a_large_gradient_of_equal_elements_is_summarised_with_no_spread():
    # L = mean of a (10, 10) tensor: every element of ∂L/∂w is 1/100 (NumPy's own std of
    # 100 copies of 0.01 is 1.7e-18, a rounding of the mean, not a spread)
    w = cr.tensor(np.ones((10, 10)), dtype="float64", requires_grad=True, name="w")
    text = cr.explain(w.mean()).table()
    engine = cr.tensor(np.ones((10, 10)), dtype="float64", requires_grad=True)
    engine.mean().backward()
    assert np.array_equal(np.asarray(engine.grad), np.full((10, 10), 0.01))
    expected = "shape (10, 10): mean 0.01, std 0, min 0.01, max 0.01, norm 0.1"
    assert f"  ∂L/∂w = {expected}" in text.splitlines()
    # but inf − inf is NaN: the spread of equal infinities is undefined, as NumPy says
    w = cr.tensor(np.full(8, np.inf), dtype="float64", requires_grad=True, name="w")
    text = cr.explain((w * 2).sum()).table()
    assert "shape (8): mean inf, std nan, min inf, max inf, norm inf" in text


class _Twice(cr.Function):
    """twice: d(2x)/dx = 2"""

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return 2 * grad_out


class Plus_One(cr.Function):  # noqa: N801 -- the underscore is what the test is about
    """plus one: d(x + 1)/dx = 1"""

    def forward(self, x):
        return x + 1

    def backward(self, grad_out):
        return grad_out


def test_an_intermediate_of_a_private_or_underscored_function_is_named_in_snake_case():
    # L = Σ (2w + 1)·w at w = [1, 2]: ∂L/∂w = 4w + 1 = [5, 9], by hand
    w = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name="w")
    out = (Plus_One()(_Twice()(w)) * w).sum()
    trace = cr.explain(out)
    names = [v.name for v in trace.values if v.kind == "intermediate"]
    assert names == ["twice1", "plus_one1", "mul1"]
    assert np.array_equal(trace["w"].grad, [5.0, 9.0])


class SELUTimesTwo(cr.Function):
    """twice: d(2x)/dx = 2, under a name that starts with an acronym"""

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return 2 * grad_out


def test_an_intermediate_of_a_function_named_with_an_acronym_keeps_the_acronym_whole():
    # L = Σ 2w·w at w = [1, 3]: ∂L/∂w = 4w = [4, 12], by hand
    w = cr.tensor([1.0, 3.0], dtype="float64", requires_grad=True, name="w")
    trace = cr.explain((SELUTimesTwo()(w) * w).sum())
    names = [v.name for v in trace.values if v.kind == "intermediate"]
    assert names == ["selu_times_two1", "mul1"]
    assert np.array_equal(trace["w"].grad, [4.0, 12.0])


def test_the_convolution_and_max_pooling_rules_are_worded_in_korean():
    x = cr.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True, name="x")
    w = cr.tensor(np.ones((1, 1, 2, 2)), requires_grad=True, name="w")
    out = cr.nn.functional.max_pool2d(cr.nn.functional.conv2d(x, w), 3).sum()
    trace = cr.explain(out, lang="ko")
    table = trace.table()
    assert "각 창의 기울기를 입력 위치로 되돌려 더한다" in table
    assert "각 창의 최댓값 위치" in table
    # the window's sum of x·1 is largest at the bottom right: 10 + 11 + 14 + 15 = 50
    assert trace["L"].data == 50.0
    assert np.array_equal(trace["w"].grad, [[[[10.0, 11.0], [14.0, 15.0]]]])
