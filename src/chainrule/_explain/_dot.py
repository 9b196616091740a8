"""The trace as an annotated graph: DOT text, and rendering it with Graphviz.

Value nodes are boxes (parameters filled, constants as plain text, the output bold); op
nodes are circles holding the op's symbol and step number, with the rule as tooltip. Each
edge is drawn twice, as the tutorials draw it: forward, in green, labelled with the value
that flows; backward, dashed red, labelled with the gradient the engine sent. A value used
by several nodes (fan-out) has a double border and shows Σ, the sum of its branches, and
below it, when a gradient hook changed that sum, what the hook returned.

The text depends only on the trace, so the same graph always gives the same DOT.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .._atomic_write import atomic_write
from ._format import _TEXT_CONTROL, fmt
from ._labels import label
from ._naming import op_name
from ._values import MAX_ELEMENTS, norm, number, shape

GREEN, RED = "#2e7d32", "#c62828"
#: Latin fonts first, then fonts with Hangul (Linux, Windows, macOS), so that Korean labels
#: (lang="ko", or a tensor's own name) render as text, not boxes; the same in every graph
FONT = "Helvetica,Arial,Noto Sans CJK KR,NanumGothic,Malgun Gothic,AppleGothic,sans-serif"
FORMATS = ("svg", "png", "pdf")
_SYMBOLS = {
    "Add": "+",
    "Sub": "−",
    "Mul": "×",
    "Div": "÷",
    "Neg": "−x",
    "Pow": "xʸ",
    "MatMul": "dot",
    "Exp": "exp",
    "Log": "log",
    "Sigmoid": "σ",
    "Sum": "Σ",
}
#: how to get dot; the Python API and the command line each add their own alternative
#: (trace.to_dot(), --dot FILE)
INSTALL = (
    "rendering needs the Graphviz 'dot' program, which is not on PATH. Install Graphviz "
    "(Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install graphviz; "
    "macOS: brew install graphviz; Windows: winget install graphviz; conda: conda install "
    "graphviz)"
)
_INSTALL = f"{INSTALL}, or write the DOT text with trace.to_dot() and render it elsewhere."
#: Hangul syllables, jamo and compatibility jamo: text that needs a Korean-capable font
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


class GraphvizNotFoundError(FileNotFoundError):
    """Raised by ``Trace.render`` when the Graphviz ``dot`` program is not installed."""


# control characters other than a newline (a tab, ESC, NUL in a name) break Graphviz's
# parser: they are drawn as \xNN, as the plain text draws them
_CONTROL = {c: escape for c, escape in _TEXT_CONTROL.items() if c != ord("\n")}


def _quote(text: str) -> str:
    text = text.translate(_CONTROL)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    text = text.translate(_CONTROL)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(trace, v, array) -> str:
    """An edge label: the numbers of a small tensor, else its shape and norm."""
    a = np.asarray(array)
    if a.size <= MAX_ELEMENTS:
        return fmt(trace, v, a)
    return f"{shape(a.shape)}\n{label(trace.lang, 'norm')} {number(norm(a), 4)}"


# ----- nodes --------------------------------------------------------------------------------
def _value_node(trace, v) -> str:
    attrs = {"shape": "box", "style": "rounded"}
    text = f"<B>{_html(v.name)}</B>"
    if v.kind == "parameter":
        attrs["style"] = "rounded,filled"
        attrs["fillcolor"] = "#fff3c4"
    elif v.kind == "constant":
        attrs = {"shape": "plaintext"}
    elif v.kind == "output":
        attrs["penwidth"] = "2"
        text += f" = {_html(fmt(trace, v))}"
    if v.is_fanout:
        attrs["peripheries"] = "2"
        text += f'<BR/><FONT COLOR="{RED}">{_html(_fanout_sum(trace, v))}</FONT>'
    text = text.replace("\n", "<BR/>")
    return f"  v{v.index} [{_attrs(attrs)}, label=<{text}>];"


def _fanout_sum(trace, v) -> str:
    """Σ of the branches; when a hook changed it, what the hook returned on a second line."""
    if v.before_hooks is None:
        return f"Σ {_short(trace, v, v.grad)}"
    after = label(trace.lang, "hooked", value=_short(trace, v, v.grad))
    return f"Σ {_short(trace, v, v.before_hooks)}\n{after}"


def _op_node(trace, step) -> str:
    symbol = _SYMBOLS.get(step.op, op_name(step.op))
    text = f'{_html(symbol)}<BR/><FONT POINT-SIZE="8">#{step.number}</FONT>'
    attrs = {"shape": "circle", "margin": "0.02", "tooltip": step.rule}
    return f"  s{step.number} [{_attrs(attrs)}, label=<{text}>];"


def _attrs(attrs: dict) -> str:
    return ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


# ----- edges --------------------------------------------------------------------------------
def _edge(a: str, b: str, colour: str, text: str, back: bool) -> str:
    attrs = {"color": colour, "fontcolor": colour, "label": text}
    if back:
        attrs.update(style="dashed", constraint="false", arrowhead="vee")
    return f"  {a} -> {b} [{_attrs(attrs)}];"


def _step_edges(trace, step) -> list[str]:
    out = trace.values[step.output]
    s = f"s{step.number}"
    lines = []
    for slot, index in enumerate(step.operands):
        v = trace.values[index]
        lines.append(_edge(f"v{index}", s, GREEN, _short(trace, v, v.data), False))
        e = step.edge(slot)
        if e is not None and e.downstream is not None:
            lines.append(_edge(s, f"v{index}", RED, _short(trace, v, e.downstream), True))
    lines.append(_edge(s, f"v{out.index}", GREEN, _short(trace, out, out.data), False))
    lines.append(_edge(f"v{out.index}", s, RED, _short(trace, out, step.upstream), True))
    return lines


def to_dot(trace) -> str:
    """The DOT text of the annotated graph."""
    legend = label(trace.lang, "dot_legend")
    lines = [
        "digraph chainrule_trace {",
        f"  graph [rankdir=LR, nodesep=0.3, ranksep=0.45, labelloc=b, fontsize=10, "
        f"fontname={_quote(FONT)}, "
        f"label={_quote(legend)}];",
        f"  node [fontname={_quote(FONT)}, fontsize=11];",
        f"  edge [fontname={_quote(FONT)}, fontsize=9, arrowsize=0.6];",
    ]
    lines += [_value_node(trace, v) for v in trace.values]
    forward = sorted(trace.steps, key=lambda s: -s.number)  # forward order: last step first
    lines += [_op_node(trace, s) for s in forward]
    for s in forward:
        lines += _step_edges(trace, s)
    return "\n".join([*lines, "}"]) + "\n"


# ----- rendering ----------------------------------------------------------------------------
#: seconds Graphviz may take before `render` gives up
TIMEOUT = 120


def render(dot_text: str, path: str | Path) -> Path:
    """Run Graphviz ``dot`` on ``dot_text``, writing ``path``; its suffix picks the format.

    The file is written whole or not at all: dot draws into memory, and only a finished
    drawing replaces ``path`` (`write_whole`), so a dot that fails, hangs or is
    interrupted leaves an earlier file as it was and no partial one."""
    path = Path(path)
    kind = path.suffix.lstrip(".").lower()
    if kind not in FORMATS:
        raise ValueError(f"render: {path} must end in one of .svg, .png, .pdf")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(_INSTALL)
    drawing = _run_dot([program, f"-T{kind}"], dot_text.encode("utf-8"), path)
    write_whole(path, drawing)
    return path


def _run_dot(argv: list[str], dot: bytes, path: Path) -> bytes:
    """What dot writes to its stdout; a RuntimeError if it fails, writes nothing or takes
    longer than TIMEOUT. On any way out, Ctrl-C included, dot is stopped and waited for
    (subprocess.run leaves it unreaped on a KeyboardInterrupt)."""
    with subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        try:
            out, err = proc.communicate(dot, timeout=TIMEOUT)
        except BaseException as e:
            proc.kill()
            proc.wait()
            if isinstance(e, subprocess.TimeoutExpired):
                raise RuntimeError(
                    f"render: Graphviz dot did not finish within {TIMEOUT} s writing {path}"
                ) from None
            raise
    if proc.returncode != 0:
        reason = err.decode("utf-8", "replace").strip()
        raise RuntimeError(f"render: Graphviz dot failed ({proc.returncode}): {reason}")
    if not out:
        raise RuntimeError(f"render: Graphviz dot wrote nothing for {path}")
    return out


def lacks_hangul_font(dot_text: str) -> bool:
    """Whether ``dot_text`` has Hangul that this machine has no font for, so that a drawing
    shows boxes. Only fontconfig can say (``fc-list :lang=ko``, a few milliseconds): where
    it is missing (Windows, say) or fails, the answer is False, as nothing is known."""
    program = shutil.which("fc-list")
    if program is None or not _HANGUL.search(dot_text):
        return False
    try:
        done = subprocess.run(
            [program, ":lang=ko", "family"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and not done.stdout.strip()


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (`atomic_write`: a failed write leaves
    an earlier file as it was); a device or pipe such as /dev/stdout is written to as it
    is, and a symbolic link keeps pointing at its file, which is replaced."""
    if path.exists() and not path.is_file():
        with open(path, "wb") as fh:
            fh.write(data)
    else:
        atomic_write(path.resolve() if path.is_symlink() else path, data)
