"""LaTeX output: every character pdflatex cannot read is converted (Hangul is left to XeLaTeX)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from _explain_ops import Inverse

import chainrule as cr
from chainrule._explain import explain
from chainrule._explain._latex import tex_ascii, tex_math, tex_text
from chainrule._explain._report import EXAMPLES, report

HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def foreign(text: str) -> set[str]:
    """Characters of ``text`` that are neither ASCII nor Hangul."""
    return {c for c in text if ord(c) > 127 and not HANGUL.match(c)}


def leaf(value, name):
    return cr.tensor(value, dtype="float64", requires_grad=True, name=name)


def example_reports(lang: str) -> list[str]:
    return [report(name, explain(ex.build(), lang=lang), "latex") for name, ex in EXAMPLES.items()]


def transcripts(lang: str) -> list[str]:
    """LaTeX transcripts of scalar and tensor graphs, with hooks, ≈ and names in Unicode."""
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.normal(size=(4, 3)), name="X")
    w, b = leaf(rng.normal(size=(3, 2)), "W"), leaf(np.zeros(2), "b")
    h = cr.sigmoid(x @ w + b)
    tensors = explain((h * h).mean(), lang=lang)
    y_hat = leaf(0.5, "ŷ")  # a user's name with an accent, a Greek letter and a superscript
    sigma = leaf(0.25, "σ²")
    hooked = y_hat * sigma
    hooked.register_hook(lambda g: g * 10)
    names = explain(hooked * hooked + y_hat, lang=lang)
    one_path = explain(cr.sigmoid(Inverse()(cr.tensor(1.7, requires_grad=True, name="a"))), lang)
    return [
        tensors.transcript(of="b", lr=0.1, fmt="latex"),
        tensors.transcript(of="W", fmt="latex"),
        names.transcript(of="ŷ", lr=0.1, fmt="latex"),
        names.transcript(of="σ²", fmt="latex"),
        one_path.transcript(of="a", fmt="latex"),
        explain(cr.examples.seed_network(), lang=lang).transcript(of="W1", lr=0.5, fmt="latex"),
    ]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_latex_of_every_example_and_transcript_is_ascii_apart_from_hangul(lang):
    for text in [*example_reports(lang), *transcripts(lang)]:
        assert foreign(text) == set(), text


def test_the_reviewed_lines_are_converted():
    sigmoid = report("sigmoid-graph", explain(cr.examples.sigmoid_graph()), "latex")
    assert "$\\partial\\text{y\\_graph}/\\partial c = -\\text{y\\_graph}^{2} = -0.38" in sigmoid
    softmax = report("softmax-with-loss", explain(cr.examples.softmax_with_loss()), "latex")
    assert "$\\mathrm{softmax}(x) - t = [[" in softmax
    assert "\\paragraph{Chain rule for $\\partial$L/$\\partial$x (1, 3)}" in softmax
    assert "path 1: x -> SoftmaxWithLoss (#1) -> L ()" in softmax  # in the verbatim block
    seed = report("seed-network", explain(cr.examples.seed_network()), "latex")
    assert seed.startswith("\\section*{The 2-2-2 sigmoid network: one gradient-descent step")
    assert "($\\eta$ = 0.5)}" in seed.splitlines()[0]
    assert "% engine: 0.02592286 (exact)" in seed


def test_korean_is_left_as_it_is():
    seed = report("seed-network", explain(cr.examples.seed_network(), lang="ko"), "latex")
    assert seed.startswith("\\section*{2-2-2 시그모이드 신경망: 손으로 하는 경사 하강법 한 단계")
    assert "\\text{경로 1} &= \\frac{\\partial E}{\\partial o_{1}}" in seed


@pytest.mark.parametrize(
    ("text", "maths", "running", "ascii_"),
    [
        ("∂L/∂x", r"\partial L/\partial x", r"$\partial$L/$\partial$x", "dL/dx"),
        ("−y²", "-y^{2}", "$-$y$^{2}$", "-y^2"),
        ("Xᵀ·dY", r"X^{\top}\cdot\mathrm{dY}", r"X$^{\top}\cdot$dY", "X^T*dY"),
        ("η × σ", r"\eta \times \sigma", r"$\eta$ $\times$ $\sigma$", "eta * sigma"),
        (
            "Σ xᵢ ≈ 1",
            r"\Sigma x_{i} \approx 1",
            r"$\Sigma$ x$_{i}$ $\approx$ 1",
            "Sigma x_i ~= 1",
        ),
        ("a → b", r"a \to b", r"a $\to$ b", "a -> b"),
        ("1 ✓, 2 ✗", r"1 \text{(exact)}, 2 \text{(mismatch)}", "1 (exact), 2 (mismatch)", None),
        ("x_1 & 50%", r"x_{1} \& 50\%", r"x\_1 \& 50\%", "x_1 & 50%"),
    ],
)
def test_characters(text, maths, running, ascii_):
    assert tex_math(text) == maths
    assert tex_text(text) == running
    assert tex_ascii(text) == (ascii_ if ascii_ is not None else running)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_pdflatex_compiles_the_english_output(tmp_path):
    body = "\n\n".join([*example_reports("en"), *transcripts("en")])
    document = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
    (tmp_path / "explain.tex").write_text(document + body + "\n\\end{document}\n", "utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "explain.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout.decode("utf-8", "replace")[-2000:]
    assert (tmp_path / "explain.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_capital_greek_letter_that_looks_latin_is_drawn_as_that_letter():
    a = leaf(0.5, "Α")  # GREEK CAPITAL LETTER ALPHA, not the Latin A
    tex = explain(a * a).transcript(of="Α", fmt="latex")
    assert "\\mathrm{A}" in tex
    assert "Alpha" not in tex.split("\n", 1)[1]  # the maths draws the letter, not its name


def test_control_characters_in_a_name_become_visible_escapes():
    x = cr.tensor(2.0, dtype="float64", requires_grad=True, name="a\tb\x00c")
    tex = cr.explain(x * x * 3.0).transcript(of=x, fmt="latex")
    assert not any(ch < " " and ch != "\n" for ch in tex)
    assert "a\\textbackslash{}x09b\\textbackslash{}x00c" in tex
