"""The command line's edges found by a newcomer's use: a Ctrl-C while the command is
still importing, and ``explain --render`` when Graphviz fails or is interrupted (an
earlier image must stay as it was, and no temporary file may be left beside it)."""

from __future__ import annotations

import errno
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _cli_run import error_line, main

from chainrule import examples
from chainrule._explain import _dot, explain

HAS_DOT = shutil.which("dot") is not None
PREVIOUS = b"<svg>the image an earlier run drew</svg>\n"

# ----- Ctrl-C while the command imports ---------------------------------------------------
#: Run ``chainrule --help`` in a fresh interpreter that sends itself a real SIGINT as the
#: module argv[1] begins to import: an import hook stands in for a user's fast Ctrl-C at
#: that exact point, with no timing involved. argv[2] says how the command is started:
#: "-m" as ``python -m chainrule``, "script" as the installed ``chainrule`` script does.
_INTERRUPTED_IMPORT = textwrap.dedent(
    """
    import os, runpy, signal, sys

    target, how = sys.argv[1], sys.argv[2]

    class CtrlC:
        def find_spec(self, name, path=None, module=None):
            if name == target:
                os.kill(os.getpid(), signal.SIGINT)  # Python raises KeyboardInterrupt here
            return None

    sys.meta_path.insert(0, CtrlC())
    sys.argv = ["chainrule", "--help"]
    if how == "-m":
        runpy.run_module("chainrule", run_name="__main__", alter_sys=True)
    else:  # what the console script generated from [project.scripts] runs
        from chainrule.__main__ import main
        sys.exit(main())
    """
)


@pytest.mark.parametrize("how", ["-m", "script"])
def test_ctrl_c_while_the_command_line_imports_exits_130_in_one_line(how):
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IMPORT, "chainrule._cli", how],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "chainrule: interrupted\n"
    assert done.stdout == ""


@pytest.mark.xfail(
    strict=True,
    reason="`import chainrule` (numpy with it) runs before chainrule.__main__ can catch "
    "anything: python -m and the console script both import the package first",
)
def test_ctrl_c_while_the_package_imports_numpy_exits_130_in_one_line():
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IMPORT, "numpy", "script"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == "chainrule: interrupted\n"


def test_the_import_hook_runs_the_command_when_nothing_interrupts_it():
    # the harness above runs the real command: without the Ctrl-C, --help prints the usage
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IMPORT, "no.such.module", "script"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: chainrule")


# ----- explain --render: whole or not at all ----------------------------------------------
def _fake_dot(directory: Path, then: str) -> Path:
    """An executable ``dot`` in ``directory`` that writes half an SVG (to the file after
    -o when given one, and to its stdout), then runs ``then``."""
    script = directory / "dot"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            """
            import os, signal, sys, time
            half = b"<svg><g>half of a drawing"
            if "-o" in sys.argv:
                with open(sys.argv[sys.argv.index("-o") + 1], "wb") as fh:
                    fh.write(half)
            sys.stdout.buffer.write(half)
            sys.stdout.flush()
            """
        )
        + then
        + "\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


@pytest.fixture
def failing_dot(tmp_path, monkeypatch):
    """A ``dot`` on PATH (the only one) that writes half a file, then exits 1."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_dot(bin_dir, 'sys.stderr.write("Error: out of memory\\n"); sys.exit(1)')
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def _previous_image(tmp_path: Path, name: str = "graph.svg") -> Path:
    out = tmp_path / "out"
    out.mkdir()
    path = out / name
    path.write_bytes(PREVIOUS)
    return path


def test_a_failing_dot_leaves_an_earlier_image_as_it_was(failing_dot, tmp_path):
    path = _previous_image(tmp_path)
    with pytest.raises(RuntimeError, match=r"Graphviz dot failed \(1\): Error: out of memory"):
        explain(examples.apple()).render(path)
    assert path.read_bytes() == PREVIOUS
    assert sorted(p.name for p in path.parent.iterdir()) == ["graph.svg"]


def test_a_failing_dot_leaves_no_file_where_there_was_none(failing_dot, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="Graphviz dot failed"):
        explain(examples.apple()).render(out / "graph.png")
    assert list(out.iterdir()) == []


def test_ctrl_c_while_dot_draws_leaves_an_earlier_image_as_it_was(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # a real SIGINT to this process while it waits for dot, which is still running: dot
    # keeps its stdout open until it is killed, so the wait cannot have ended before
    _fake_dot(bin_dir, "os.kill(os.getppid(), signal.SIGINT)\ntime.sleep(600)")
    monkeypatch.setenv("PATH", str(bin_dir))
    path = _previous_image(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        explain(examples.apple()).render(path)
    assert path.read_bytes() == PREVIOUS
    assert sorted(p.name for p in path.parent.iterdir()) == ["graph.svg"]


def test_explain_render_with_a_failing_dot_is_one_line_and_keeps_the_image(
    failing_dot, tmp_path, capsys
):
    path = _previous_image(tmp_path)
    argv = ["explain", "--example", "apple", "--render", path]
    line = error_line(capsys, argv, 1)
    assert line.startswith("chainrule explain: error: render: Graphviz dot failed (1)")
    assert path.read_bytes() == PREVIOUS
    assert sorted(p.name for p in path.parent.iterdir()) == ["graph.svg"]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_render_replaces_an_earlier_image_and_keeps_its_permissions(tmp_path):
    path = _previous_image(tmp_path)
    path.chmod(0o640)
    assert explain(examples.apple()).render(path) == path
    svg = path.read_text(encoding="utf-8")
    assert "<svg" in svg
    assert "</svg>" in svg
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["graph.svg"]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_render_through_a_symbolic_link_draws_into_its_file(tmp_path):
    target = _previous_image(tmp_path, "real.svg")
    link = target.parent / "graph.svg"
    link.symlink_to(target.name)
    explain(examples.apple()).render(link)
    assert link.is_symlink()
    assert "</svg>" in target.read_text(encoding="utf-8")


def test_explain_render_that_cannot_write_its_file_names_the_flag(tmp_path, monkeypatch, capsys):
    # a drawing dot finished, whose file cannot be written (as in a read-only directory,
    # which root, running these tests in some containers, could write anyway)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_dot(bin_dir, "sys.exit(0)")
    monkeypatch.setenv("PATH", str(bin_dir))

    def refused(path, data):
        raise PermissionError(errno.EACCES, f"cannot write {path}: Permission denied")

    monkeypatch.setattr(_dot, "atomic_write", refused)
    path = _previous_image(tmp_path)
    line = error_line(capsys, ["explain", "--example", "apple", "--render", path], 1)
    assert line == f"chainrule explain: error: --render {path}: Permission denied"
    assert path.read_bytes() == PREVIOUS


def test_explain_refuses_dot_and_render_into_one_file(tmp_path, capsys):
    # the drawing would silently replace the DOT text just written there
    path = tmp_path / "graph.svg"
    argv = [
        "explain",
        "--example",
        "apple",
        "--dot",
        path,
        "--render",
        tmp_path / "." / "graph.svg",
    ]
    line = error_line(capsys, argv, 1)
    assert line.startswith("chainrule explain: error: --dot and --render name one file")
    assert list(tmp_path.iterdir()) == []


# ----- resuming with a value no run can have ----------------------------------------------
@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """A finished one-epoch iris run, made by the command."""
    out = tmp_path_factory.mktemp("runs") / "iris"
    argv = ["train", "--dataset", "iris", "--hidden", "4", "--epochs", "1", "--out", out]
    assert main([*argv, "--no-progress"]) == 0
    return out


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
        (["--activation", "swish"], "unknown activation 'swish'"),
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (["--lr", "-1"], "--lr must be positive"),
        (["--init", "kaiming"], "--init takes he, xavier, normal"),
    ],
)
def test_resume_with_an_invalid_value_says_what_is_wrong_not_to_force_it(
    iris_run, capsys, flags, named
):
    # it said "refusing to resume with a changed configuration ...; pass --force", and
    # --force then failed on the value itself
    before = {p.name: p.read_bytes() for p in iris_run.iterdir()}
    line = error_line(capsys, ["train", "--resume", iris_run, *flags, "--no-progress"], 1)
    assert named in line
    assert "--force" not in line
    assert {p.name: p.read_bytes() for p in iris_run.iterdir()} == before
