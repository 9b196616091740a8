"""Tensor names with characters special to Markdown or LaTeX: shown as written, never
breaking the table, the code block, the comment or the verbatim block around them."""

from __future__ import annotations

import re

import chainrule as cr

_PIPE = re.compile(r"(?<!\\)\|")


def _graph(name: str):
    """A vector leaf ``name`` used twice (a fan-out), then summed: L = Σ w·w."""
    w = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name=name)
    return w, (w * w).sum()


def _table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| ")]


def test_a_newline_or_carriage_return_in_a_name_keeps_every_table_row_on_one_line():
    for name, shown in (("two\nlines", "two<br>lines"), ("car\rriage", "car\\\\x0driage")):
        _, out = _graph(name)
        text = cr.explain(out).to_markdown()
        rows = _table_rows(text)
        # header, rule, then per step its output row and one row per operand: 2 + 2 + 3
        assert len(rows) == 7, (name, text)
        assert {len(_PIPE.findall(row)) for row in rows} == {10}
        assert "\r" not in text
        assert f"- ∂L/∂{shown} = [2, 4]" in text


def test_markdown_escapes_emphasis_entities_and_links_in_names():
    _, out = _graph("_u_ a&lt;b [x](y) ~~s~~")
    text = cr.explain(out).to_markdown()
    shown = "\\_u\\_ a\\&lt;b [x\\](y) \\~\\~s\\~\\~"
    assert f"|  |  | {shown} | [1, 2] |" in text
    assert f"- ∂L/∂{shown} = [2, 4]" in text


def test_a_list_item_that_starts_with_a_name_cannot_become_a_heading_or_a_list():
    for name, item in (("# h", "\\# h"), ("- d", "\\- d"), ("+ p", "\\+ p"), ("1. n", "1\\. n")):
        _, out = _graph(name)
        fanout = [line for line in cr.explain(out).to_markdown().splitlines() if "(via" in line]
        assert fanout == [
            f"- {item}: [1, 2] (via step 2 (Mul)) + [1, 2] (via step 2 (Mul)) = [2, 4]"
        ]


def test_backticks_in_a_name_cannot_close_the_transcripts_code_block():
    scalar = cr.tensor(2.0, requires_grad=True, name="a```b")
    vector = cr.tensor([1.0, 2.0], requires_grad=True, name="a```b")
    for w, out in ((scalar, scalar * scalar), (vector, (vector * vector).sum())):
        lines = cr.explain(out).transcript(of=w, fmt="markdown").splitlines()
        fences = [i for i, line in enumerate(lines) if line.startswith("```")]
        assert fences == [2, len(lines) - 1], lines  # opened after the title, closed last
        assert lines[2] == lines[-1] == "````"


# ----- LaTeX -----------------------------------------------------------------------------------
def _outside_maths(tex: str) -> list[str]:
    """The lines of a scalar transcript around its display maths ``\\[ … \\]``."""
    lines = tex.splitlines()
    return lines[: lines.index("\\[")] + lines[lines.index("\\]") + 1 :]


def test_a_newline_in_a_name_cannot_end_a_latex_comment():
    w = cr.tensor(2.0, requires_grad=True, name="two\nlines")
    tex = cr.explain(w * w).transcript(of=w, fmt="latex")
    around = _outside_maths(tex)
    assert around[0] == "% Chain rule for dL/dtwo"
    assert around[1].startswith("% lines: 2 paths from two")
    assert all(line.startswith("% ") for line in around), around


def test_a_blank_line_in_a_name_is_no_paragraph_break_in_latex_text():
    scalar = cr.tensor(2.0, requires_grad=True, name="a\n\nb")
    vector = cr.tensor([1.0, 2.0], requires_grad=True, name="a\n\nb")
    for w, out in ((scalar, scalar * scalar), (vector, (vector * vector).sum())):
        tex = cr.explain(out).transcript(of=w, fmt="latex")
        body = tex.split("\\begin{verbatim}")[0]  # a verbatim block may hold blank lines
        assert "\n\n" not in body, tex
        assert "a  b" in body


def test_end_verbatim_in_a_name_cannot_close_the_verbatim_block():
    w = cr.tensor([1.0, 2.0], requires_grad=True, name="\\end{verbatim}")
    tex = cr.explain((w * w).sum()).transcript(of=w, fmt="latex")
    assert tex.count("\\end{verbatim}") == 1
    assert tex.endswith("\n\\end{verbatim}")
    assert "path 1: \\end {verbatim} -> Mul (#2, as input 1)" in tex


def test_korean_latex_writes_the_engine_check_in_korean():
    x = cr.tensor(2.0, requires_grad=True, name="x")
    assert (
        cr.explain(x * x, lang="ko")
        .transcript(of=x, fmt="latex")
        .endswith("% 엔진 값: 4 (정확히 같음)")
    )
    x = cr.tensor(0.0, requires_grad=True, name="x")
    h = cr.sqrt(x)  # two infinite paths of opposite signs: their sum is NaN, the engine's 0
    tex = cr.explain(h * 2.0 - h * 2.0, lang="ko").transcript(of=x, fmt="latex")
    assert "% 엔진 값: 0 (다름) (" in tex
    assert not {"exact", "mismatch"} & set(re.findall("[a-z]+", tex))
    x = cr.tensor(2.0, requires_grad=True, name="x")
    assert cr.explain(x * x).transcript(of=x, fmt="latex").endswith("% engine: 4 (exact)")
