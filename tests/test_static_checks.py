"""Static checks on the source: nothing unsafe, and no validation that lives in `assert`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chainrule"
FILES = sorted(SRC.rglob("*.py"))


def test_the_source_tree_is_found():
    assert len(FILES) > 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_assert_statements(path):
    """`python -O` strips asserts, so no check may depend on them."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert not lines, f"{path.name} uses assert on lines {lines}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_pickle_eval_exec(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not any(n.split(".")[0] in {"pickle", "cPickle", "dill"} for n in names), path
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec"}, f"{path.name}:{node.lineno}"
        if isinstance(node, ast.keyword):  # NumPy's default refuses object arrays: keep it
            assert node.arg != "allow_pickle", f"{path.name}:{node.lineno} sets allow_pickle"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_the_package_never_mentions_pickle(path):
    # stronger than the import check: no code path, comment or flag about it at all
    assert "pickle" not in path.read_text(encoding="utf-8").lower(), path
