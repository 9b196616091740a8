"""lang="ko": the tutorials' Korean terms wherever explain writes text."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
import chainrule.examples as examples
from chainrule._explain import explain

TERMS = ("순전파", "역전파", "상류 기울기", "국소적 미분", "하류 기울기", "연쇄 법칙")
ENGLISH = (
    "upstream gradient",
    "local gradient",
    "downstream gradient",
    "Backward pass",
    "forward value",
    "Chain rule",
    "engine",
    "update with",
    "Fan-out",
    "green:",
)


@pytest.fixture(scope="module")
def korean():
    trace = explain(examples.seed_network(), lang="ko")
    return {
        "table": trace.table(),
        "markdown": trace.to_markdown(),
        "transcript": trace.transcript(of="W1", lr=0.5),
        "markdown transcript": trace.transcript(of="W1", fmt="markdown"),
        "dot": trace.to_dot(),
    }


def test_every_term_appears(korean):
    everything = "\n".join(korean.values())
    for term in TERMS:
        assert term in everything, term


@pytest.mark.parametrize("part", ["table", "markdown", "transcript", "markdown transcript", "dot"])
def test_no_english_labels_are_left(korean, part):
    for word in ENGLISH:
        assert word not in korean[part], (part, word)


def test_table_headers_in_korean(korean):
    header = korean["table"].splitlines()[3].split()
    assert header[:4] == ["단계", "연산", "텐서", "순전파"]
    assert "상류 기울기" in korean["table"].splitlines()[3]
    assert korean["table"].splitlines()[1] == (
        "하류 기울기 = 국소적 미분 × 상류 기울기 (✓ = 정확히 확인됨, ≈ = 반올림 오차 안에서 같음, "
        "✗ = 다름)"
    )


def test_transcript_in_korean(korean):
    lines = korean["transcript"].splitlines()
    assert lines[0] == "연쇄 법칙으로 구한 ∂E/∂W1: W1에서 E까지 경로 2개의 합"
    assert lines[1].strip().startswith("경로 1: ∂E/∂o1")
    assert any(line.strip().startswith("엔진 값: ∂E/∂W1 = ") for line in lines)
    assert any(line.strip() == "학습률 η = 0.5로 갱신:" for line in lines)


def test_korean_rules_keep_the_formula_only(korean):
    assert "mul: ∂(xy)/∂x = y, ∂(xy)/∂y = x" in korean["table"]
    assert "each input receives" not in korean["table"]
    assert "sigmoid: d/dx σ(x) = y(1 − y) (y = σ(x))" in korean["table"]


def test_english_is_the_default():
    text = explain(examples.apple()).table()
    assert "upstream gradient" in text
    assert "상류" not in text


PROSE = re.compile(
    r"\b(the|gradient|if|else|where|gives|and|for|with|each|input|element|summed|"
    r"over|receives|taken|ties|share|back|copied|unchanged)\b"
)


def test_korean_rules_of_matrix_reduction_and_shape_ops_have_no_english_prose():
    rng = np.random.default_rng(0)
    X = cr.tensor(rng.normal(size=(4, 3)), name="X")
    W = cr.tensor(rng.normal(size=(3, 5)), requires_grad=True, name="W")
    h = (X @ W).relu().clip(-1.0, 1.0).abs() + 1.0
    h = cr.maximum(h.sqrt(), 1.1).reshape(5, 4).T[1:]
    z = cr.concatenate([h, h], axis=0).mean(axis=1)
    trace = explain(cr.nn.functional.cross_entropy(z.reshape(2, 3), np.array([0, 2])), lang="ko")
    texts = {"table": trace.table(), "dot": trace.to_dot(), "path": trace.transcript(of=W)}
    for part, text in texts.items():
        found = PROSE.findall(text)
        assert not found, (part, found)
    # and the formulas are still there, with the op's name
    assert "matmul: dX = dY·Wᵀ, dW = Xᵀ·dY" in texts["table"]
    assert "dW = Xᵀ·dY: (3, 4)·(4, 5) → (3, 5)" in texts["table"]
    assert "relu: d/dx max(x, 0) = x > 0이면 1, 아니면 0" in texts["table"]
    assert "softmax_loss: dX = (softmax(x) − t) / N · dL" in texts["table"]


def _op_classes(cls=cr.Function):
    """Every Function subclass defined in chainrule (the ops and the layers' fused nodes)."""
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("chainrule.") and not sub.__name__.startswith("_"):
            yield sub
        yield from _op_classes(sub)


def test_every_op_s_korean_rule_has_no_english_prose():
    from chainrule._explain._rules import formula

    classes = sorted(
        {c for c in _op_classes() if c.forward is not cr.Function.forward},  # not the bases
        key=lambda c: c.__name__,
    )
    assert len(classes) > 30
    english = {}
    for cls in classes:
        rule = formula(object.__new__(cls), "ko")
        found = PROSE.findall(rule.split(": ", 1)[-1])  # after the op's name ("where: ...")
        if found:
            english[cls.__name__] = found
    assert not english
