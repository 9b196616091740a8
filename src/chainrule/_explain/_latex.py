"""Text for LaTeX: every character pdflatex cannot read written as a command or in ASCII.

explain's words and rules use ∂, −, ×, ², η, ᵀ, → and other symbols. In LaTeX output they
become commands, in maths (``tex_math``: ∂ → ``\\partial``, ² → ``^{2}``, η → ``\\eta``) or
in running text (``tex_text``: η → ``$\\eta$``), and plain ASCII where no command can stand:
comments and verbatim blocks (``tex_ascii``: ∂ → d, ² → ^2, → → ->, ✓ → (exact)). Greek
letters, superscripts, subscripts and accents are converted by their Unicode names; any
other symbol is written as its Unicode name in brackets. Hangul is kept as it is: Korean
output needs XeLaTeX (or the kotex package), as any Korean LaTeX document does.
"""

from __future__ import annotations

import re
import unicodedata

#: symbols: (maths command, ASCII spelling)
_SYMBOLS = {
    "∂": (r"\partial", "d"),
    "−": ("-", "-"),
    "×": (r"\times", "*"),
    "·": (r"\cdot", "*"),
    "÷": (r"\div", "/"),
    "±": (r"\pm", "+/-"),
    "→": (r"\to", "->"),
    "ᵀ": (r"^{\top}", "^T"),  # the transpose, not a superscript letter T
    "←": (r"\leftarrow", "<-"),
    "≈": (r"\approx", "~="),
    "≤": (r"\leq", "<="),
    "≥": (r"\geq", ">="),
    "≠": (r"\neq", "!="),
    "≪": (r"\ll", "<<"),
    "∞": (r"\infty", "inf"),
    "√": (r"\surd", "sqrt"),
    "‖": (r"\|", "||"),
    "⊙": (r"\odot", "(.)"),
    "⟨": (r"\langle", "<"),
    "⟩": (r"\rangle", ">"),
    "⌊": (r"\lfloor", "floor("),
    "⌋": (r"\rfloor", ")"),
    "′": ("'", "'"),
    "½": (r"\tfrac{1}{2}", "1/2"),
    "…": (r"\ldots", "..."),
}
#: marks and punctuation written in words: (running text, ASCII)
_WORDS = {
    "✓": ("(exact)", "(exact)"),
    "✗": ("(mismatch)", "(mismatch)"),
    "—": ("---", "--"),
    "–": ("--", "-"),
    "‘": ("`", "'"),
    "’": ("'", "'"),
    "“": ("``", '"'),
    "”": ("''", '"'),
}
#: combining accents: (maths command, running-text command)
_ACCENTS = {
    "\u0300": (r"\grave", r"\`"),
    "\u0301": (r"\acute", r"\'"),
    "\u0302": (r"\hat", r"\^"),
    "\u0303": (r"\tilde", r"\~"),
    "\u0304": (r"\bar", r"\="),
    "\u0307": (r"\dot", r"\."),
    "\u0308": (r"\ddot", r"\""),
}
#: capital Greek letters that have a command (the others look like Latin letters)
_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi"}
_CAPITALS.add("Omega")
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\n": " ",  # a blank line (a paragraph break) is an error inside \text{} or a heading
}
_MATH_ESCAPES = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%"}
_MATH_ESCAPES.update({"$": r"\$", "#": r"\#", "~": r"\sim ", "\n": " "})
_JOINED = re.compile(r"(?<!\\)\$\$")  # one inline formula closing where the next opens
# a command needs a space after it only before a letter: "\eta \times" is "\eta\times"
_COMMAND_SPACE = re.compile(r"(\\[A-Za-z]+) (?![A-Za-z])")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_TOKEN = re.compile(r"(\d+(?:\.\d+)?(?:e[-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)")
_SCIENTIFIC = re.compile(r"(\d+(?:\.\d+)?)e([-+]?\d+)")
_NOT_FINITE = re.compile(r"\b(?:inf|nan)\b")


def tex_text(text: str) -> str:
    """``text`` for running LaTeX text (a heading, ``\\text{}``): specials escaped,
    symbols as inline maths, ``(η = 0.5)`` → ``($\\eta$ = 0.5)``."""
    return _JOINED.sub("", _convert(text, "text"))  # $\Sigma$$_{i}$ → $\Sigma_{i}$


def tex_ascii(text: str) -> str:
    """``text`` in ASCII (Hangul kept), for LaTeX comments and verbatim blocks:
    ``∂L/∂W = Xᵀ·dY`` → ``dL/dW = X^T*dY``."""
    return _convert(text, "ascii")


def tex_math(text: str) -> str:
    """A formula written in explain's plain text as LaTeX maths: names by `tex_name`,
    ``∂y/∂c = −y²`` → ``\\partial y/\\partial c = -y^{2}``."""
    out, end = [], 0
    for m in _TOKEN.finditer(text):
        out.append(_convert(text[end : m.start()], "math"))
        out.append(m.group(1) or tex_name(m.group(2)))
        end = m.end()
    return _COMMAND_SPACE.sub(r"\1", "".join([*out, _convert(text[end:], "math")]))


def tex_number(text: str) -> str:
    """A number as explain writes it (or a small array of them) in maths, where ``2.5e-5``
    would read as 2.5e minus 5 and ``inf`` as i·n·f: ``2.5 \\times 10^{-5}``, ``\\infty``,
    ``\\mathrm{NaN}``."""
    text = _SCIENTIFIC.sub(r"\1 \\times 10^{\2}", text)
    return _NOT_FINITE.sub(lambda m: r"\infty" if m.group() == "inf" else r"\mathrm{NaN}", text)


def tex_name(name: str) -> str:
    """W5 → W_{5}, mul1 → \\mathrm{mul}_{1}, x → x; anything else in \\text{}."""
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if m:
        return f"{_tex_base(m.group(1))}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]+", name):
        return _tex_base(name)
    return "\\text{" + tex_text(name) + "}"


def _tex_base(letters: str) -> str:
    return letters if len(letters) == 1 else f"\\mathrm{{{letters}}}"


# ----- one character at a time --------------------------------------------------------------
def _convert(text: str, form: str) -> str:
    """``text`` in ``form`` ("math", "text" or "ascii"): runs of superscripts or
    subscripts together, each other character with the accents that follow it."""
    out, i = [], 0
    while i < len(text):
        script, j = None if text[i] in _SYMBOLS else _script(text[i]), i + 1
        if script:
            while j < len(text) and _script(text[j]) == script:
                j += 1
            out.append(_scripted(script, text[i:j], form))
        else:
            while j < len(text) and unicodedata.combining(text[j]):
                j += 1
            out.append(_char(text[i], text[i + 1 : j], form))
        i = j
    return "".join(out)


def _script(c: str) -> str | None:
    """The script a character is written in: "^" for superscripts (², ʸ), "_" for
    subscripts (ᵢ, ₁), None for the others."""
    kind = unicodedata.decomposition(c).split(" ")[0]
    return {"<super>": "^", "<sub>": "_"}.get(kind)


def _scripted(script: str, run: str, form: str) -> str:
    plain = unicodedata.normalize("NFKC", run)  # ᵀ → T, ⁻¹ → −1
    if form == "ascii":
        inner = _convert(plain, "ascii")
        return script + (inner if len(inner) == 1 else f"({inner})")
    maths = f"{script}{{{_convert(plain, 'math')}}}"
    return maths if form == "math" else f"${maths}$"


def _char(c: str, accents: str, form: str) -> str:
    """One character (with its combining ``accents``) in ``form``."""
    if (c < " " or c == "\x7f") and c != "\n":  # a control character, drawn as \xNN
        code = f"x{ord(c):02x}"
        return {"text": f"\\textbackslash{{}}{code}", "math": f"\\backslash\\mathrm{{{code}}}"}.get(
            form, f"\\{code}"
        )
    if c.isascii() and not accents:
        escapes = {"text": _TEXT_ESCAPES, "math": _MATH_ESCAPES}.get(form, {})
        return escapes.get(c, c)
    if _HANGUL.match(c):
        return c + accents
    split = unicodedata.normalize("NFD", c)  # é → e + ◌́
    if split != c:
        return _char(split[0], split[1:] + accents, form)
    if accents:
        return _accented(_char(c, "", form), accents, form)
    return _symbol(c, form)


def _accented(base: str, accents: str, form: str) -> str:
    """``base`` under its accents: ŷ → \\hat{y} (maths), \\^{y} (text), y^ (ASCII)."""
    for mark in accents:
        if form == "ascii":
            base += "^" if mark == "\u0302" else ""
        elif mark in _ACCENTS:
            base = f"{_ACCENTS[mark][form == 'text']}{{{base}}}"
    return base


def _symbol(c: str, form: str) -> str:
    """A symbol, Greek letter or mark without accents."""
    if c in _WORDS:
        text, ascii_ = _WORDS[c]
        return {"text": text, "ascii": ascii_}.get(form, f"\\text{{{text}}}")
    if c in _SYMBOLS:
        command, ascii_ = _SYMBOLS[c]
    else:
        command, ascii_ = _greek(c)
    if form == "ascii":
        return ascii_
    if form == "text":
        return f"${command}$"
    return command + " " if re.search(r"\\[A-Za-z]+$", command) else command


_LATIN = {  # capital Greek letters that look like Latin ones (LaTeX has no command)
    "Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
    "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T", "Chi": "X",
}  # fmt: skip


def _greek(c: str) -> tuple[str, str]:
    """(maths command, ASCII name) of a Greek letter, else its Unicode name in brackets."""
    name = unicodedata.name("μ" if c == "µ" else c, f"U+{ord(c):04X}")
    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if m is None:
        return f"\\text{{[{name}]}}", f"[{name}]"
    letter = m.group(2).lower().replace("lamda", "lambda")
    if m.group(1) == "CAPITAL":
        letter = letter.capitalize()
        if letter not in _CAPITALS:  # Alpha, Beta, …: drawn as the Latin letter
            return f"\\mathrm{{{_LATIN.get(letter, letter)}}}", letter
    if letter == "omicron":
        return "o", letter
    return "\\" + letter, letter
