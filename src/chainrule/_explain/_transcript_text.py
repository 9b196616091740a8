"""A transcript written out as text, Markdown or LaTeX (the content is built elsewhere)."""

from __future__ import annotations

from ._format import fence, md, plain, width
from ._labels import label
from ._latex import tex_ascii, tex_name, tex_number, tex_text


def _d(num: str, den: str) -> str:
    return f"∂{num}/∂{den}"


def _factor(num: str, den: str, note) -> str:
    """∂num/∂den, with its note (which input, which paths) in brackets when it has one."""
    return f"{_d(num, den)} ({note[0]})" if note else _d(num, den)


def _times(numbers: list[str]) -> str:
    return " × ".join(f"({n})" if n.startswith("-") else n for n in numbers)


def _title(data: dict, lang: str) -> str:
    title = label(lang, "tr_title", out=data["out"], leaf=data["leaf"])
    if len(data["terms"]) > 1:
        n, key = len(data["terms"]), "tr_routes" if data["routes"] else "tr_paths"
        title += ": " + label(lang, key, n=n, leaf=data["leaf"], out=data["out"])
    return title


def _term_label(data: dict, lang: str, i: int) -> str:
    """``path i``, or ``route i`` when the terms run between named tensors."""
    return label(lang, "tr_route" if data["routes"] else "tr_path", i=i)


def _update_line(data: dict) -> str:
    u, out, w = data["update"], data["out"], data["leaf"]
    step = f"{u['old']} − {u['lr']} × {_times([u['grad']])}"
    return f"{w}⁺ = {w} − η·{_d(out, w)} = {step} = {u['new']}"


# ----- scalar transcripts --------------------------------------------------------------------
def _term_lines(term: dict, head: str, whole: bool = False) -> list[str]:
    """``head chain`` / ``= factors`` / ``= product``; a single factor on one line,
    ``head ∂a/∂b = value`` (just ``head value`` when ``head`` is that factor already)."""
    pad = " " * (width(plain(head)) - 2)  # as the line is written
    names = " × ".join(_factor(num, den, note) for num, den, _, note in term["factors"])
    if len(term["factors"]) == 1:
        return [f"{head}{term['text']}" if whole else f"{head}{names} = {term['text']}"]
    values = _times([text for _, _, text, _ in term["factors"]])
    return [f"{head}{names}", f"{pad}= {values}", f"{pad}= {term['text']}"]


def _scalar_text(data: dict, lang: str) -> list[str]:
    """The transcript's lines, shared by the text and Markdown forms."""
    whole = _d(data["out"], data["leaf"])
    lines = []
    terms = data["terms"]
    if len(terms) == 1:
        lines += _term_lines(terms[0], f"{whole} = ", whole=True)
    else:
        for i, term in enumerate(terms, 1):
            lines += _term_lines(term, _term_label(data, lang, i) + ": ")
        parts = " + ".join(
            f"({t['text']})" if t["text"].startswith("-") else t["text"] for t in terms
        )
        lines.append(f"{whole} = {parts} = {data['sum']}")
    lines.append(f"{label(lang, 'tr_engine')}: {whole} = {data['engine']} {data['check']}")
    if data["update"]:
        lines.append(label(lang, "tr_update", lr=data["update"]["lr"]) + ":")
        lines.append(_update_line(data))
    return lines


def render_scalar(data: dict, fmt: str, lang: str) -> str:
    """A scalar-graph transcript in ``fmt`` ("text", "markdown" or "latex")."""
    if fmt == "latex":
        return _scalar_latex(data, lang)
    lines = _scalar_text(data, lang)
    if fmt == "markdown":
        return f"**{md(_title(data, lang))}**\n\n" + fence(lines)
    return _plain_text(_title(data, lang), lines)


def render_nonscalar(data: dict, fmt: str) -> str:
    """A transcript of a graph with tensors: the path lines under a title."""
    if fmt == "latex":  # a verbatim block can hold no command: its lines go in ASCII
        body = _verbatim(tex_ascii("\n".join(data["lines"])))
        title = tex_text(data["title"])
        return f"\\paragraph{{{title}}}\n\\begin{{verbatim}}\n{body}\n\\end{{verbatim}}"
    if fmt == "markdown":
        return f"**{md(data['title'])}**\n\n" + fence(data["lines"])
    return _plain_text(data["title"], data["lines"])


def _plain_text(title: str, lines: list[str]) -> str:
    """The title, then each line indented; a newline in a name breaks neither."""
    return "\n".join([plain(title), *("  " + plain(line) for line in lines)])


# ----- LaTeX ------------------------------------------------------------------------------------
def _frac(num: str, den: str) -> str:
    return f"\\frac{{\\partial {tex_name(num)}}}{{\\partial {tex_name(den)}}}"


def _tex_times(numbers: list[str]) -> str:
    return _times(numbers).replace("×", "\\times")


def _tex_factor(num: str, den: str, note) -> str:
    """`_factor` in LaTeX: the fraction, its note as a subscript of an evaluation bar."""
    if not note:
        return _frac(num, den)
    return f"\\left.{_frac(num, den)}\\right|_{{{note[1]}}}"


def _latex_row(head: str, term: dict, alone: bool) -> str:
    """One path: ``head &= chain = factors = product`` (``head &= product`` when the path
    is one factor and the whole transcript)."""
    chain = " \\times ".join(_tex_factor(n, d, note) for n, d, _, note in term["factors"])
    value = tex_number(term["text"])
    if len(term["factors"]) == 1:
        return f"{head} &= {value}" if alone else f"{head} &= {chain} = {value}"
    values = _tex_times([tex_number(text) for _, _, text, _ in term["factors"]])
    return f"{head} &= {chain} = {values} = {value}"


def _scalar_latex(data: dict, lang: str) -> str:
    """An ``aligned`` block in display maths; the title and the engine's check around it
    as comments (in ASCII: a comment may hold no command)."""
    whole, terms = _frac(data["out"], data["leaf"]), data["terms"]
    if len(terms) == 1:
        rows = [_latex_row(whole, terms[0], alone=True)]
    else:
        heads = [
            f"\\text{{{tex_text(_term_label(data, lang, i))}}}" for i in range(1, 1 + len(terms))
        ]
        rows = [_latex_row(head, term, alone=False) for head, term in zip(heads, terms)]
        parts = _times([tex_number(t["text"]) for t in terms]).replace("×", "+")
        rows.append(f"{whole} &= {parts} = {tex_number(data['sum'])}")
    if data["update"]:
        rows.append(_latex_update(data))
    body = " \\\\\n".join(rows)
    block = f"\\[\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n\\]"  # display maths
    engine = f"{label(lang, 'tr_engine')}: {data['engine']} {_check_words(data['check'], lang)}"
    return f"{_comment(_title(data, lang))}\n{block}\n{_comment(engine)}"


def _check_words(check: str, lang: str) -> str:
    """The engine check with ✓ and ✗ in words of ``lang`` (a comment is ASCII, and
    Korean output keeps no English word)."""
    for mark, key in (("✓", "tex_exact"), ("✗", "tex_mismatch")):
        check = check.replace(mark, label(lang, key))
    return check


def _comment(text: str) -> str:
    """``text`` as LaTeX comment lines, in ASCII: a newline in a name starts another
    comment line rather than ending the comment."""
    return "\n".join(f"% {line}" for line in tex_ascii(text).split("\n"))


def _verbatim(text: str) -> str:
    """``text`` for a verbatim block, which ends at the first ``\\end{verbatim}``: in a
    name that sequence is written with a space, ``\\end {verbatim}``, which does not end it."""
    return text.replace("\\end{verbatim}", "\\end {verbatim}")


def _latex_update(data: dict) -> str:
    u = {key: tex_number(text) for key, text in data["update"].items()}
    w, grad = tex_name(data["leaf"]), _frac(data["out"], data["leaf"])
    step = f"{u['old']} - {u['lr']} \\times {_times([u['grad']])}"
    return f"{w}^{{+}} &= {w} - \\eta {grad} = {step} = {u['new']}"
