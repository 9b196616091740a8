"""A new user's reports on ``chainrule explain`` and its neighbours: the advice without
Graphviz, where the files went, the examples' Python names, a missing Hangul font, and the
wording of strict mode, README and the example scripts."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

import chainrule as cr
import chainrule.examples as examples
from chainrule import _cli
from chainrule._explain import GraphvizNotFoundError, _dot, explain
from chainrule._explain._report import EXAMPLES

HAS_DOT = shutil.which("dot") is not None
ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``chainrule explain ARGV`` through the command's own parser."""
    code = _cli.main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def only_on_path(tmp_path: Path, monkeypatch, fc_list: str | None, keep: bool) -> None:
    """PATH becomes a directory holding a fake ``fc-list`` (which prints ``fc_list``; none
    if it is None), followed by the real PATH when ``keep`` (dot stays found)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    if fc_list is not None:
        fake = bin_ / "fc-list"
        fake.write_text(f"#!/bin/sh\nprintf '%s' '{fc_list}'\n", encoding="utf-8")
        fake.chmod(0o755)
    path = str(bin_) + (os.pathsep + os.environ["PATH"] if keep else "")
    monkeypatch.setenv("PATH", path)


# ----- 1. without Graphviz the command line offers --dot, not a Python call -----------------
def test_render_without_dot_suggests_the_dot_flag(capsys, tmp_path, monkeypatch):
    only_on_path(tmp_path, monkeypatch, None, keep=False)
    code, out, err = run(capsys, "--example", "add-mul", "--render", str(tmp_path / "out.png"))
    assert code == 1
    assert out == ""  # the render comes before the report: nothing is printed
    assert err.startswith("chainrule explain: error: rendering needs the Graphviz 'dot'")
    assert err.endswith("or write the DOT text with --dot FILE and render it elsewhere\n")
    assert "to_dot" not in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.png").exists()
    # Python's message keeps Python's way
    with pytest.raises(GraphvizNotFoundError, match=r"trace\.to_dot\(\) and render it"):
        explain(examples.apple()).render(tmp_path / "a.svg")


def test_render_without_dot_names_the_dot_file_already_written(capsys, tmp_path, monkeypatch):
    only_on_path(tmp_path, monkeypatch, None, keep=False)
    dot, png = tmp_path / "g.dot", tmp_path / "g.png"
    code, out, err = run(capsys, "--example", "apple", "--dot", str(dot), "--render", str(png))
    assert code == 1
    assert out == ""
    wrote, error = err.splitlines()
    assert wrote == f"chainrule explain: wrote {dot}"
    assert error.endswith(f"; the DOT text is in {dot}, to render where Graphviz is installed")
    assert dot.read_text(encoding="utf-8").startswith("digraph chainrule_trace {")


# ----- 2. "wrote FILE" on stderr; stdout is the report alone ----------------------------------
def test_dot_says_where_the_file_went_on_stderr(capsys, tmp_path):
    _, report, _ = run(capsys, "--example", "add-mul")
    path = tmp_path / "add-mul.dot"
    code, out, err = run(capsys, "--example", "add-mul", "--dot", str(path))
    assert code == 0
    assert out == report  # a pipe reading stdout gets what it got without --dot
    assert err == f"chainrule explain: wrote {path}\n"
    assert path.read_text(encoding="utf-8") == explain(examples.add_mul()).to_dot()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_render_says_where_each_file_went(capsys, tmp_path):
    _, report, _ = run(capsys, "--example", "apple")
    dot, svg = tmp_path / "apple.dot", tmp_path / "apple.svg"
    code, out, err = run(capsys, "--example", "apple", "--dot", str(dot), "--render", str(svg))
    assert code == 0
    assert out == report
    assert err.splitlines() == [f"chainrule explain: wrote {p}" for p in (dot, svg)]
    assert svg.read_bytes().lstrip().startswith(b"<?xml")


# ----- 3. the Python names of the examples are accepted ---------------------------------------
@pytest.mark.parametrize("name", [name for name in EXAMPLES if "-" in name])
def test_an_example_may_be_named_as_its_python_function(capsys, name):
    python_name = name.replace("-", "_")
    assert hasattr(examples, python_name)  # cr.examples.seed_network, ...
    _, expected, _ = run(capsys, "--example", name)
    code, out, err = run(capsys, "--example", python_name)
    assert (code, out, err) == (0, expected, "")


def test_an_unknown_example_is_refused_with_the_valid_names(capsys):
    with pytest.raises(SystemExit) as info:
        _cli.main(["explain", "--example", "seed_netwrk"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule explain: error: argument --example: unknown example ")
    assert "'seed_netwrk'" in err  # as typed, not as normalised
    assert "choose one of " + ", ".join(EXAMPLES) in err
    assert err.count("\n") == 1


# ----- 4. a missing Hangul font is named, with the package to install -------------------------
KOREAN_DOT = explain(examples.add_mul(), lang="ko").to_dot()
ENGLISH_DOT = explain(examples.add_mul()).to_dot()


@pytest.mark.parametrize(
    ("fc_list", "dot_text", "lacks"),
    [
        ("", KOREAN_DOT, True),  # fontconfig knows no font for Korean
        ("Noto Sans CJK KR\n", KOREAN_DOT, False),
        ("", ENGLISH_DOT, False),  # nothing in Hangul to draw
        (None, KOREAN_DOT, False),  # no fc-list (Windows): nothing is known, nothing said
    ],
    ids=["no-font", "font", "no-hangul", "no-fc-list"],
)
def test_lacks_hangul_font_asks_fontconfig(tmp_path, monkeypatch, fc_list, dot_text, lacks):
    only_on_path(tmp_path, monkeypatch, fc_list, keep=False)
    assert _dot.lacks_hangul_font(dot_text) is lacks


def test_a_failing_fc_list_says_nothing(tmp_path, monkeypatch):
    only_on_path(tmp_path, monkeypatch, None, keep=False)
    fake = tmp_path / "bin" / "fc-list"
    fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    assert _dot.lacks_hangul_font(KOREAN_DOT) is False


def test_a_tensor_named_in_hangul_counts_too(tmp_path, monkeypatch):
    only_on_path(tmp_path, monkeypatch, "", keep=False)
    x = cr.tensor(2.0, dtype="float64", requires_grad=True, name="가중치")
    assert _dot.lacks_hangul_font(explain(x * 3.0).to_dot())  # lang="en", a Korean name


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
@pytest.mark.parametrize(
    ("lang", "fc_list", "warned"),
    [("ko", "", True), ("ko", "NanumGothic\n", False), ("en", "", False)],
)
def test_render_warns_of_boxes_for_korean_without_a_font(
    capsys, tmp_path, monkeypatch, lang, fc_list, warned
):
    only_on_path(tmp_path, monkeypatch, fc_list, keep=True)
    svg = tmp_path / "x.svg"
    code, out, err = run(capsys, "--example", "add-mul", "--lang", lang, "--render", str(svg))
    assert code == 0
    assert out.startswith(EXAMPLES["add-mul"].title[lang])
    lines = err.splitlines()
    assert lines[0] == f"chainrule explain: wrote {svg}"
    if warned:
        assert len(lines) == 2
        assert lines[1].startswith("chainrule explain: warning: no font with Hangul")
        assert f"the Korean labels in {svg} show as boxes" in lines[1]
        assert "fonts-noto-cjk or fonts-nanum" in lines[1]
    else:
        assert len(lines) == 1


# ----- 5. strict mode's messages are sentences; check_graph's count is documented -----------
def strict_messages() -> dict[str, str]:
    """One message of each kind strict mode warns, keyed by a word of it."""
    w = cr.tensor([1.0, 2.0], requires_grad=True, name="w")
    x = cr.tensor([1.0, 2.0], name="x")
    with cr.strict(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ = w.grad  # no backward yet
        _ = x.grad  # does not require grad
        _ = (w * 2.0).grad  # a non-leaf
        for _ in range(2):  # no zero_grad between the two
            (w * w).sum().backward()
        w -= 1.0  # rebinds the name to a new node
    texts = [str(c.message) for c in caught if issubclass(c.category, cr.StrictModeWarning)]
    kinds = ("no backward", "does not require", "non-leaf", "adding to", "-= on")
    return {k: next(t for t in texts if k in t) for k in kinds}


def test_every_strict_mode_message_ends_with_a_period():
    messages = strict_messages()
    assert len(set(messages.values())) == 5
    for kind, text in messages.items():
        assert text.endswith("."), kind
        assert not text.endswith(".."), kind


def test_readme_says_what_check_graph_returns():
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    assert cr.check_graph((x * x + 1.0).sigmoid()) == 3  # mul, add, sigmoid
    assert cr.check_graph(x) == 0  # a leaf: no node to check
    section = README.split("## When something goes wrong")[1].split("\n## ")[0]
    assert "returns the number of nodes it checked" in " ".join(section.split())
    assert "number of nodes checked" in cr.check_graph.__doc__


# ----- 6, 7. the example scripts and Linear, as README and docstrings say them ---------------
SCRIPTS = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_docstrings_run_them_with_the_venv_python(script):
    doc = script.read_text(encoding="utf-8").split('"""')[1]
    usage = [line.strip() for line in doc.splitlines() if f"examples/{script.name}" in line]
    assert usage
    assert all(line.startswith(f".venv/bin/python examples/{script.name}") for line in usage)
    assert "`.venv/bin/python examples/regression.py`" in " ".join(README.split())


def test_training_loop_says_where_its_checkpoint_goes():
    doc = (ROOT / "examples" / "training_loop.py").read_text(encoding="utf-8").split('"""')[1]
    assert "digits.safetensors in the current directory" in " ".join(doc.split())


def test_compare_optimizers_offers_its_own_download_flag():
    text = (ROOT / "examples" / "compare_optimizers.py").read_text(encoding="utf-8")
    doc = " ".join(text.split('"""')[1].split())
    assert "With --download, missing MNIST files are first fetched" in doc
    command = "train --dataset mnist --download"  # the command line the docstring names
    assert f"`chainrule {command}`" in doc
    args = _cli._parser().parse_args(command.split())  # a command line that parses
    assert (args.dataset, args.download) == ("mnist", True)


def test_readme_says_linear_weights_are_in_by_out():
    layer = cr.nn.Linear(3, 2)
    assert layer.weight.shape == (3, 2)  # (in, out): PyTorch's is (out, in)
    x = cr.tensor([[1.0, 2.0, 3.0]])
    assert layer(x).data == pytest.approx(x.data @ layer.weight.data + layer.bias.data)
    text = " ".join(README.split())
    assert "`x @ W + b` with `W` of shape (n_in, n_out)" in text
    assert "PyTorch state needs its Linear weights transposed" in text
