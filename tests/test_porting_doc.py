"""docs/porting.md: its chainrule examples run as written, and the names its tables give exist.

Convention (stated at the top of the guide): ```python blocks are chainrule code and run
here; ```python torch, ```python keras and ```text blocks are not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import chainrule as cr

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "porting.md"
TEXT = GUIDE.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)
TABLE = [line for line in TEXT.splitlines() if line.startswith("| `")]
SPANS = [span for line in TABLE for span in re.findall(r"`([^`]+)`", line)]
NAMES = sorted({m for span in SPANS for m in re.findall(r"\b(?:cr|chainrule)(?:\.\w+)+", span)})
# `x.name` and `model.name` in the chainrule column: a Tensor's and a module's attributes
COLUMN = [line.split(" | ")[1] for line in TABLE if line.count(" | ") >= 2]
METHODS = sorted(
    {
        (owner, name)
        for cell in COLUMN
        for span in re.findall(r"`([^`]+)`", cell)
        for owner, name in re.findall(r"\b(x|p|model)\.(\w+)", span)
    }
)


def test_the_guide_has_runnable_blocks_and_tables():
    # the parametrised tests below would collect nothing if the patterns stopped matching
    assert len(BLOCKS) >= 5
    assert len(TABLE) >= 40
    assert len(NAMES) >= 40
    assert len(METHODS) >= 15
    assert "```python torch\n" in TEXT
    assert "```python keras\n" in TEXT


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_guide_example_runs(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # examples may write files
    exec(compile(code, str(GUIDE), "exec"), {"__name__": "porting_example"})
    assert capsys.readouterr().out.strip()  # each example prints something


def _resolve(path: str):
    obj = cr
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path", NAMES)
def test_every_name_in_the_tables_exists(path):
    try:
        _resolve(path)
    except AttributeError:
        pytest.fail(f"docs/porting.md names {path}, which does not exist")


@pytest.mark.parametrize(("owner", "name"), METHODS, ids=[f"{o}.{n}" for o, n in METHODS])
def test_every_method_in_the_chainrule_column_exists(owner, name):
    examples = {
        "x": cr.tensor([[1.0]]),
        "p": cr.tensor([1.0], requires_grad=True),
        "model": cr.nn.Sequential(cr.nn.Linear(1, 1)),
    }
    assert hasattr(examples[owner], name), f"docs/porting.md uses {owner}.{name}"
