"""Static checks on the source: nothing unsafe, no validation that lives in `assert`, and
modules within the line budget."""

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


#: the style guide's budget: a module under ~300 lines, split before it grows past it
MAX_LINES = 300


def _only_re_exports(tree: ast.Module) -> bool:
    """Whether a module holds nothing but imports, its docstring, ``__all__`` and names
    bound to other names or constants (a package's ``__init__.py`` that re-exports)."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Assign) and isinstance(
            node.value, (ast.Name, ast.Attribute, ast.Constant, ast.List)
        ):
            continue
        return False
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_module_keeps_to_the_line_budget(path):
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    re_exports = path.name == "__init__.py" and _only_re_exports(ast.parse(text))
    assert lines <= MAX_LINES or re_exports, (
        f"{path.relative_to(SRC)} has {lines} lines, more than {MAX_LINES}: split it by "
        "concept (style guide, habit 8)"
    )


def test_the_line_budget_check_sees_code_in_an_init_file():
    # an __init__.py with a function of its own is held to the budget like any module
    assert _only_re_exports(ast.parse('"""doc"""\nfrom .x import y\n__all__ = ["y"]\nz = y\n'))
    assert not _only_re_exports(ast.parse("from .x import y\ndef f():\n    return y\n"))
