"""``chainrule explain``: main(args) with a parser built by add_arguments."""

from __future__ import annotations

import argparse
import math
import shutil

import pytest
from _explain_reference import LR, WEIGHTS, assignments, seed_forward, seed_updated

import chainrule.examples as examples
from chainrule._explain import explain
from chainrule._explain._cli import EXAMPLES, add_arguments, main

HAS_DOT = shutil.which("dot") is not None
NAMES = ["seed-network", "add-mul", "sigmoid-graph", "softmax-with-loss", "apple"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="chainrule explain")
    add_arguments(parser)
    code = main(parser.parse_args(list(argv)))
    out, err = capsys.readouterr()
    return code, out, err


def section(text: str, title: str) -> dict[str, float]:
    """The ``name = value`` lines of the report section that starts with ``title``."""
    (block,) = [b for b in text.split("\n\n") if b.startswith(title)]
    return assignments(block)


def test_the_examples_are_the_issues_names():
    assert list(EXAMPLES) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_example_runs(capsys, name):
    code, out, err = run(capsys, "--example", name)
    assert code == 0
    assert err == ""
    assert out.startswith(EXAMPLES[name].title["en"])
    assert "Chain rule for ∂" in out


def test_seed_network_report(capsys):
    code, out, _ = run(capsys, "--example", "seed-network")
    assert code == 0
    forward = section(out, "Forward values:")
    expected = {**seed_forward(WEIGHTS), **WEIGHTS, "x1": 0.1, "x2": 0.2, "t1": 0.4, "t2": 0.6}
    assert forward == pytest.approx(expected, abs=5e-9)
    assert "  E = 0.02397190" in out  # 8 decimals, as the tutorial writes it
    assert [f"Chain rule for ∂E/∂W{i}" in out for i in range(1, 9)] == [True] * 8
    assert out.count("W5⁺ = W5 − η·∂E/∂W5 = 0.45 − 0.5 × ") == 1
    updated = section(out, f"Updated weights (η = {LR}):")
    assert updated == pytest.approx(seed_updated(WEIGHTS), abs=5e-9)
    after = section(out, "E after the update:")
    assert after["E"] == pytest.approx(seed_forward(seed_updated(WEIGHTS))["E"], abs=5e-9)
    assert after["E"] < forward["E"]  # one step of gradient descent lowers the error
    assert "step  op" not in out  # the table only with --table


def test_seed_network_table_on_request(capsys):
    _, out, _ = run(capsys, "--example", "seed-network", "--table")
    assert "step  op" in out
    assert "Fan-out" in out


def test_softmax_example_numbers(capsys):
    _, out, _ = run(capsys, "--example", "softmax-with-loss")
    e = [math.exp(v) for v in (0.3, 2.9, 4.0)]
    p = [v / sum(e) for v in e]
    want = f"∂L/∂x = [[{p[0]:.8f}, {p[1]:.8f}, {p[2] - 1:.8f}]]"
    assert want in out


def test_korean(capsys):
    code, out, _ = run(capsys, "--example", "seed-network", "--lang", "ko")
    assert code == 0
    assert out.startswith(EXAMPLES["seed-network"].title["ko"])
    assert "순전파 값:" in out
    assert "연쇄 법칙으로 구한 ∂E/∂W5" in out
    assert "갱신 후의 E:" in out


@pytest.mark.parametrize(
    ("fmt", "marks"),
    [
        ("markdown", ("## ", "| step | op |", "**Chain rule for ∂f/∂x**")),
        ("latex", ("\\section*{", "\\begin{aligned}", "\\frac{\\partial f}{\\partial x}")),
    ],
)
def test_formats(capsys, fmt, marks):
    code, out, _ = run(capsys, "--example", "add-mul", "--format", fmt)
    assert code == 0
    for mark in marks:
        assert mark in out


def test_seed_network_latex(capsys):
    _, out, _ = run(capsys, "--example", "seed-network", "--format", "latex")
    assert "$W_{5} = 0.45$" in out
    assert "W_{5}^{+} &=" in out


def test_dot_file(capsys, tmp_path):
    path = tmp_path / "apple.dot"
    code, _, _ = run(capsys, "--example", "apple", "--dot", str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == explain(examples.apple()).to_dot()


def test_render_without_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    code, out, err = run(capsys, "--example", "apple", "--render", str(tmp_path / "a.svg"))
    assert code == 1
    assert out == ""  # the files come first: a failure shows before the report
    assert err.startswith("chainrule explain: error: rendering needs the Graphviz 'dot'")
    assert "apt-get install graphviz" in err


@pytest.mark.skipif(
    not HAS_DOT, reason="Graphviz 'dot' is not installed (apt-get install graphviz)"
)
def test_render(capsys, tmp_path):
    path = tmp_path / "add-mul.svg"
    code, _, _ = run(capsys, "--example", "add-mul", "--render", str(path))
    assert code == 0
    assert "<svg" in path.read_text(encoding="utf-8")


def test_list_and_missing_example(capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == NAMES
    code, out, err = run(capsys)
    assert code == 2
    assert "--example NAME" in err


def test_unknown_example_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        run(capsys, "--example", "pear")


def test_sigmoid_graph_report_sets_the_four_local_gradients_against_the_fused_one(capsys):
    _, out, _ = run(capsys, "--example", "sigmoid-graph")
    x = 0.5
    y = 1.0 / (1.0 + math.exp(-x))
    block = next(b for b in out.split("\n\n") if b.startswith("The four nodes' local gradients"))
    lines = block.splitlines()[1:]
    want = [-(y**2), 1.0, math.exp(-x), -1.0, y * (1 - y), y * (1 - y)]
    assert [float(line.rsplit(" = ", 1)[1]) for line in lines] == pytest.approx(want, abs=5e-9)
    assert lines[-1].strip().startswith("∂y_node/∂x = y(1 − y) = ")


def test_table_with_latex_is_refused_in_one_line(capsys):
    from chainrule._cli import main as chainrule_main

    argv = ["explain", "--example", "seed-network", "--format", "latex", "--table"]
    code = chainrule_main(argv)
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert err == (
        "chainrule explain: error: --table has no LaTeX form: "
        "use --format text or markdown for the table\n"
    )
