"""The command line's edges found in the fourteenth round: a Ctrl-C while the command is
still importing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

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
