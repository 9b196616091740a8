"""docs/explain.md: its examples run and print what the page shows; its images exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import chainrule as cr
import chainrule.examples
from chainrule._explain import explain

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "explain.md").read_text(encoding="utf-8")
# a ```python block and the plain ``` block right after it, which shows its output
PAIRS = re.findall(r"```python\n(.*?)```\n\n```\n(.*?)```", PAGE, re.S)


@pytest.fixture
def public_names(monkeypatch):
    """``cr.explain`` (the function, not the subpackage) and ``cr.examples``, as
    chainrule/__init__.py exports them."""
    monkeypatch.setattr(cr, "explain", explain, raising=False)
    monkeypatch.setattr(cr, "examples", chainrule.examples, raising=False)


def test_the_page_has_examples():
    assert len(PAIRS) == 3


@pytest.mark.parametrize(("code", "shown"), PAIRS, ids=[f"block{i}" for i in range(len(PAIRS))])
def test_example_prints_what_the_page_shows(code, shown, capsys, public_names):
    exec(compile(code, "docs/explain.md", "exec"), {"__name__": "docs_example"})
    assert capsys.readouterr().out == shown


def test_images():
    svg = (DOCS / "images" / "seed-network.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    assert "</svg>" in svg
    for label in ("W5", "h1", "0.51998934", "0.02397190"):
        assert label in svg
    png = (DOCS / "images" / "seed-network.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 10_000
    assert "images/seed-network.svg" in PAGE
    assert "images/seed-network.png" in PAGE
