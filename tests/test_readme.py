"""The README's and docs' examples run as written, and what they name exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from chainrule import _cli_arguments

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CORE_FOLDERS = sorted(p.parent for p in (ROOT / "src" / "chainrule").glob("*/README.md"))
PACKAGES = sorted(p.parent for p in (ROOT / "src" / "chainrule").glob("*/__init__.py"))
TABLED = [ROOT / "src" / "chainrule", *CORE_FOLDERS]  # the package's own README, then each folder's


def _doc_blocks(path: Path) -> list[tuple[str, str]]:
    """(code, output) of each Python block of a doc; output is the plain block right after
    it (what the doc says it prints), or "" when there is none."""
    text = path.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```\n+(?:```\n(.*?)```)?", text, re.S)


DOC_BLOCKS = [(p, *b) for p in DOCS[1:] for b in _doc_blocks(p)]
DOC_IDS = [f"{p.stem}-block{i}" for p in DOCS[1:] for i in range(len(_doc_blocks(p)))]
COMMANDS = [
    (path, line.split("#")[0].strip())
    for path in DOCS
    for block in re.findall(r"```sh\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    for line in block.splitlines()
    if line.startswith("chainrule ")
]


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # examples may write files
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.strip()  # each example prints its results


def test_the_docs_have_examples_that_show_their_output():
    # the parametrised test below would collect nothing if the blocks were not found
    assert len(DOC_BLOCKS) >= 5
    assert sum(bool(shown) for _, _, shown in DOC_BLOCKS) >= 3


@pytest.mark.parametrize(
    ("path", "code", "shown"),
    DOC_BLOCKS,
    ids=DOC_IDS,
)
def test_docs_example_prints_what_the_doc_shows(path, code, shown, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(path), "exec"), {"__name__": "docs_example"})
    if shown:
        assert capsys.readouterr().out == shown


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize(("path", "line"), COMMANDS, ids=[line for _, line in COMMANDS])
def test_every_command_in_the_docs_parses(path, line):
    """Each `chainrule ...` line of a shell block uses commands and flags that exist."""
    args = shlex.split(line)[1:]
    try:
        _cli_arguments._parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{path.name}: {line!r} is refused by the command line")


def test_every_package_folder_has_a_readme():
    assert len(PACKAGES) >= 7
    assert [f.name for f in CORE_FOLDERS] == [p.name for p in PACKAGES]


@pytest.mark.parametrize("folder", TABLED, ids=[f.name for f in TABLED])
def test_a_folder_readme_names_each_module_and_only_existing_ones(folder):
    text = (folder / "README.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| `")]
    named = {name for line in table for name in re.findall(r"`(\w+\.py)`", line.split("|")[1])}
    modules = {p.name for p in folder.glob("*.py")} - {"__init__.py"}
    assert modules <= named, f"{folder.name}/README.md does not list {sorted(modules - named)}"
    assert named <= modules, f"{folder.name}/README.md lists missing {sorted(named - modules)}"
