"""The trace as a table: plain text for the terminal, or Markdown.

Each step is one row for the node's output (forward value, upstream gradient, rule) and
one row per input (forward value, local gradient, downstream gradient, check). Below the
table: the fan-out sums and the leaves' gradients.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from ._labels import label
from ._values import value

CHECK = {"exact": "✓", "close": "≈", "mismatch": "✗", None: ""}
_COLUMNS = (
    "col_step",
    "col_op",
    "col_tensor",
    "col_forward",
    "upstream",
    "local",
    "downstream",
    "col_check",
    "col_rule",
)


def fmt(trace, v, array=None) -> str:
    """``array`` (default: the value's forward data) written with ``v``'s precision."""
    data = v.data if array is None else array
    return value(data, trace.lang, trace.decimals_of(v))


def rows(trace) -> list[list[str]]:
    """The table's body: for each step, its output row then one row per operand."""
    out = []
    for s in trace.steps:
        v = trace.values[s.output]
        out.append([str(s.number), s.op, v.name, fmt(trace, v), hooked(trace, v, s.upstream)])
        out[-1] += ["", "", "", s.rule]
        for slot, index in enumerate(s.operands):
            out.append(_operand_row(trace, s, slot, trace.values[index]))
    return out


def _operand_row(trace, step, slot: int, v) -> list[str]:
    e = step.edge(slot)
    none = label(trace.lang, "no_grad")
    if e is None:
        return ["", "", v.name, fmt(trace, v), "", none, none, "", ""]
    local = fmt(trace, v, e.local) if e.local is not None else e.rule
    down = fmt(trace, v, e.downstream) if e.downstream is not None else none
    check = CHECK[e.check] + (" Σ" if summed(step, e) else "")
    return ["", "", v.name, fmt(trace, v), "", local, down, check, ""]


def summed(step, e) -> bool:
    """Whether local × upstream was summed over broadcast axes to give the downstream."""
    if e.local is None or e.downstream is None:
        return False
    # a sum over axes of length 1 (an upstream of shape (1, 1) for an input of shape (1,))
    # adds nothing: only a product larger than the gradient was summed
    product = np.broadcast_shapes(e.local.shape, step.upstream.shape)
    return math.prod(product) != e.downstream.size


def header(trace) -> list[str]:
    """The column titles in the trace's language."""
    return [label(trace.lang, c) for c in _COLUMNS]


def intro(trace) -> list[str]:
    """The title line and the law the table checks."""
    out = trace.output
    n = len(trace.steps)
    title = label(trace.lang, "title", out=out.name, value=fmt(trace, out), n=n, s="s"[: n != 1])
    legend = label(trace.lang, "checked")
    if any(summed(s, e) for s in trace.steps for e in s.inputs):
        legend += ", " + label(trace.lang, "summed")
    return [title, label(trace.lang, "law") + f" ({legend})"]


def fanout_lines(trace) -> list[str]:
    """One line per fan-out value: each branch's contribution, then their sum."""
    lines = []
    for v in trace.values:
        if not v.is_fanout or v.grad is None:
            continue
        lines.append(f"{v.name}: {branch_sum(trace, v)}")
    return lines


def branch_sum(trace, v) -> str:
    """``a (via #i op) + b (via #j op) = total`` for a fan-out value ``v``; a negative
    contribution in parentheses, as the transcript writes its sums."""
    parts = []
    for number, slot in v.consumers:
        s = trace.step(number)
        via = label(trace.lang, "via", step=number, op=s.op)
        value = fmt(trace, v, s.edge(slot).downstream)
        parts.append(f"{f'({value})' if value.startswith('-') else value} ({via})")
    return " + ".join(parts) + f" = {hooked(trace, v)}"


def hooked(trace, v, grad=None) -> str:
    """``v``'s gradient (``grad``, else ``v.grad``); when a hook changed it, what arrived
    (the sum of the branches) and what the hook made of it."""
    if v.before_hooks is None:
        return fmt(trace, v, v.grad if grad is None else grad)
    after = label(trace.lang, "hooked", value=fmt(trace, v, v.grad))
    return f"{fmt(trace, v, v.before_hooks)}; {after}"


def leaf_lines(trace) -> list[str]:
    """``∂out/∂w = …`` for every leaf that requires grad (the output too when it is a leaf:
    backward adds its upstream gradient to its .grad)."""
    out = trace.output.name
    return [
        f"∂{out}/∂{v.name} = {hooked(trace, v)}"
        for v in trace.values
        if v.grad is not None and (v.kind == "parameter" or _leaf_output(v))
    ]


def _leaf_output(v) -> bool:
    return v.kind == "output" and v.producer is None


# ----- plain text ----------------------------------------------------------------------------
def width(text: str) -> int:
    """Columns a string takes in a terminal: Hangul and other wide characters count 2,
    combining accents (the bar of x̄) and other zero-width characters 0."""
    return sum(_columns(c) for c in text)


def _columns(c: str) -> int:
    if unicodedata.category(c) in ("Mn", "Me", "Cf"):  # drawn over the previous character
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


# a newline or tab in a name would break a row or its alignment: every control character
# is written as \xNN (the DOT text uses this table, all but its newline)
_TEXT_CONTROL = str.maketrans({c: f"\\x{c:02x}" for c in [*range(32), 127]})


def plain(text: str) -> str:
    """``text`` on one line for the terminal: a control character reads ``\\xNN``."""
    return text.translate(_TEXT_CONTROL)


def _pad(text: str, n: int) -> str:
    return text + " " * (n - width(text))


def _aligned(table: list[list[str]]) -> list[str]:
    table = [[plain(c) for c in row] for row in table]
    widths = [max(width(row[i]) for row in table) for i in range(len(table[0]))]
    return ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in table]


def table(trace) -> str:
    """The whole report as plain text."""
    lines = [*map(plain, intro(trace)), ""]
    if trace.steps:
        lines += _aligned([header(trace), *rows(trace)])
    for key, section in (("fanout_title", fanout_lines), ("leaves_title", leaf_lines)):
        body = section(trace)
        if body:
            lines += ["", label(trace.lang, key) + ":", *("  " + plain(b) for b in body)]
    return "\n".join(lines)


# ----- Markdown ------------------------------------------------------------------------------
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_~<>$|&"})
# a control character would end the line (a carriage return) or vanish: shown as \xNN
_MD_CONTROL = str.maketrans({c: f"\\\\x{c:02x}" for c in [*range(32), 127] if c != ord("\n")})
_LINK = re.compile(r"\](?=[(\[])")  # "](" or "][" would close a link's text
# what would turn a list item into a heading, a nested list or a quote
_BLOCK_START = re.compile(r"^(?:[#+-]|\d+[.)])")


def md(text: str) -> str:
    """``text`` as literal Markdown: the characters that would start emphasis,
    strikethrough, code, HTML, an entity, a link or (on GitHub) maths, or end a table cell,
    are escaped; a name such as ``<h>``, ``_x_`` or ``$x$`` shows as written. A newline is
    a ``<br>`` (a table row stays one line) and another control character reads ``\\xNN``."""
    text = _LINK.sub("\\\\]", text.translate(_MARKDOWN)).translate(_MD_CONTROL)
    return text.replace("\n", "<br>")


def md_item(text: str) -> str:
    """``text`` as one Markdown list item: `md`, with a first character that would start
    a heading or a nested list (``#``, ``-``, ``+``, ``1.``) escaped."""
    text = md(text)
    m = _BLOCK_START.match(text)
    if m is None:
        return f"- {text}"
    cut = m.end() - 1
    return f"- {text[:cut]}\\{text[cut:]}"


def fence(lines: list[str]) -> str:
    """``lines`` as a fenced code block, its fence longer than any run of backticks in
    them (a name with ``` cannot close it), each line one line (`plain`)."""
    body = "\n".join(plain(line) for line in lines)
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    mark = "`" * max(3, longest + 1)
    return f"{mark}\n{body}\n{mark}"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(md(c) for c in cells) + " |"


def markdown(trace) -> str:
    """The whole report as Markdown: a table and two lists."""
    title, law = intro(trace)
    lines = [f"**{md(title)}**", "", md(law), ""]
    if trace.steps:
        head = header(trace)
        lines += [_md_row(head), "| " + " | ".join(["---"] * len(head)) + " |"]
        lines += [_md_row(r) for r in rows(trace)]
    for key, section in (("fanout_title", fanout_lines), ("leaves_title", leaf_lines)):
        body = section(trace)
        if body:
            lines += ["", f"**{md(label(trace.lang, key))}**", "", *(md_item(b) for b in body)]
    return "\n".join(lines)
