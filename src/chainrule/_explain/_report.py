"""The printed report of a worked example (`chainrule explain --example NAME`): its title,
trace and transcripts, and for the seed network the forward values, the SGD step and the
error recomputed after it, in text, Markdown or LaTeX."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..ops import softmax
from ..optim import SGD
from ._examples import SEED_LR, add_mul, apple, seed_network, sigmoid_graph, softmax_with_loss
from ._format import fmt
from ._labels import label
from ._latex import tex_math, tex_number, tex_text

_DIGITS = re.compile(r"(\d+)")


#: the seed network's tensors in the order the tutorial computes them
SEED_ORDER = (
    *("x1", "x2", "W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"),
    *("z1", "h1", "z2", "h2", "z3", "o1", "z4", "o2", "t1", "t2", "E"),
)


@dataclass(frozen=True)
class Example:
    """A worked example: how to build it and what to call it."""

    build: Callable
    title: dict[str, str]


EXAMPLES = {
    "seed-network": Example(
        seed_network,
        {
            "en": "The 2-2-2 sigmoid network: one gradient-descent step by hand (η = 0.5)",
            "ko": "2-2-2 시그모이드 신경망: 손으로 하는 경사 하강법 한 단계 (η = 0.5)",
        },
    ),
    "add-mul": Example(
        add_mul,
        {
            "en": "f = (x + y)·z: add passes the upstream gradient on, mul swaps its inputs",
            "ko": "f = (x + y)·z: 덧셈 노드는 상류 기울기를 그대로, 곱셈 노드는 입력을 바꿔 곱한다",
        },
    ),
    "sigmoid-graph": Example(
        sigmoid_graph,
        {
            "en": "Sigmoid as ×(−1), exp, +1 and 1/x nodes next to the fused node: y(1 − y)",
            "ko": "×(−1), exp, +1, 1/x 노드로 그린 시그모이드와 하나의 시그모이드 노드: y(1 − y)",
        },
    ),
    "softmax-with-loss": Example(
        softmax_with_loss,
        {
            "en": "Softmax-with-Loss on 3 classes: the gradient is softmax(x) − t",
            "ko": "3개 클래스의 Softmax-with-Loss: 기울기는 softmax(x) − t",
        },
    ),
    "apple": Example(
        apple,
        {
            "en": "The apple-shopping graph: price = apple × count × tax",
            "ko": "사과 쇼핑 계산 그래프: 가격 = 사과 × 개수 × 소비세",
        },
    ),
}


def report(name: str, trace, fmt_: str = "text", table: bool = False) -> str:
    """The printed report of example ``name``: its trace and the transcripts."""
    title = EXAMPLES[name].title[trace.lang]
    parts = [_heading(title, fmt_)]
    if name == "seed-network":
        parts += _seed_parts(trace, fmt_, table)
    elif name == "softmax-with-loss":
        parts += [_softmax_section(trace, fmt_), *_tables(trace, fmt_)]
        parts += _transcripts(trace, fmt_, None)
    elif name == "sigmoid-graph":
        parts += [_sigmoid_section(trace, fmt_), *_tables(trace, fmt_)]
        parts += _transcripts(trace, fmt_, None)
    else:
        parts += [*_tables(trace, fmt_), *_transcripts(trace, fmt_, None)]
    return "\n\n".join(p for p in parts if p)


def _heading(text: str, fmt_: str) -> str:
    if fmt_ == "latex":
        return f"\\section*{{{tex_text(text)}}}"
    return f"## {text}" if fmt_ == "markdown" else text


def _tables(trace, fmt_: str) -> list[str]:
    if fmt_ == "latex":
        return []  # the LaTeX output holds the transcripts; the table is text or Markdown
    return [trace.to_markdown() if fmt_ == "markdown" else trace.table()]


def _transcripts(trace, fmt_: str, lr) -> list[str]:
    return [trace.transcript(v.name, lr=lr, fmt=fmt_) for v in _parameters(trace)]


def _parameters(trace) -> list:
    """The leaves that require grad, in natural order of their names (W2 before W10)."""
    found = [v for v in trace.values if v.kind == "parameter"]
    return sorted(
        found, key=lambda v: [int(p) if p.isdigit() else p for p in _DIGITS.split(v.name)]
    )


def _section(title: str, lines: list[tuple[str, str]], fmt_: str) -> str:
    """``name = value`` lines under a title, in the output format."""
    if fmt_ == "markdown":
        return f"**{title}**\n\n" + "\n".join(f"- {n} = {v}" for n, v in lines)
    if fmt_ == "latex":
        body = " \\\\\n".join(f"${tex_math(n)} = {tex_number(v)}$" for n, v in lines)
        return f"\\paragraph{{{tex_text(title)}}}\n{body}"
    return f"{title}:\n" + "\n".join(f"  {n} = {v}" for n, v in lines)


def _seed_parts(trace, fmt_: str, table: bool) -> list[str]:
    lang = trace.lang
    shown = [trace[name] for name in SEED_ORDER]
    weights = _parameters(trace)
    parts = [_section(label(lang, "example_forward"), _pairs(trace, shown), fmt_)]
    if table:
        parts += _tables(trace, fmt_)
    parts += _transcripts(trace, fmt_, SEED_LR)
    updated = _sgd_step(trace, weights)
    parts.append(_section(label(lang, "example_updated", lr=SEED_LR), updated, fmt_))
    return [*parts, _seed_after(trace, weights, fmt_)]


def _seed_after(trace, weights, fmt_: str) -> str:
    """E computed again (forward only) with the updated weights."""
    after = seed_network({v.name: trace.tensor(v.name).item() for v in weights})
    out = trace.output
    line = (out.name, fmt(trace, out, after.data))
    return _section(label(trace.lang, "example_after", out=out.name), [line], fmt_)


def _softmax_section(trace, fmt_: str) -> str:
    """softmax(x) next to t: the gradient in the table below is their difference."""
    x, t = trace["x"], trace["t"]
    y = softmax(x.data, axis=1).data  # a forward value, shown for comparison only
    lines = [
        ("softmax(x)", fmt(trace, x, y)),
        ("t", fmt(trace, t)),
        ("softmax(x) − t", fmt(trace, x, y - t.data)),
    ]
    return _section(label(trace.lang, "example_forward"), lines, fmt_)


def _sigmoid_section(trace, fmt_: str) -> str:
    """The four nodes' recorded local gradients, their product, and the fused node's."""
    local = {(s.op, trace.values[e.value].name): e.local for s in trace.steps for e in s.inputs}
    x = trace["x"]
    four = [
        ("∂y_graph/∂c = −y_graph²", local[("Div", "c")]),
        ("∂c/∂b", local[("Add", "b")]),
        ("∂b/∂a = exp(−x)", local[("Exp", "a")]),
        ("∂a/∂x", local[("Mul", "x")]),
    ]
    product = four[0][1] * four[1][1] * four[2][1] * four[3][1]
    lines = [(n, fmt(trace, x, v)) for n, v in four]
    lines.append(("∂y_graph/∂c × ∂c/∂b × ∂b/∂a × ∂a/∂x", fmt(trace, x, product)))
    lines.append(("∂y_node/∂x = y(1 − y)", fmt(trace, x, local[("Sigmoid", "x")])))
    return _section(label(trace.lang, "example_sigmoid"), lines, fmt_)


def _pairs(trace, values) -> list[tuple[str, str]]:
    return [(v.name, fmt(trace, v)) for v in values]


def _sgd_step(trace, weights) -> list[tuple[str, str]]:
    """One step of the library's own SGD on the weights (their .grad came from explain)."""
    tensors = [trace.tensor(v.name) for v in weights]
    SGD(tensors, lr=SEED_LR).step()
    return [(v.name, fmt(trace, v, t.data)) for v, t in zip(weights, tensors)]
