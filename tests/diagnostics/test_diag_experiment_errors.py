"""``chainrule experiment`` on bad flags: one line on stderr naming the flag, exit status 1,
and no work done first (no table printed, nothing written)."""

from __future__ import annotations

import pytest

from chainrule import _cli
from chainrule.diagnostics import _plot


@pytest.fixture(autouse=True)
def _no_pictures(monkeypatch):
    monkeypatch.setattr(_plot, "have_matplotlib", lambda: False)  # CSVs are enough here


def refused(capsys, *argv) -> str:
    """The one stderr line of a ``chainrule experiment ...`` that must fail at once."""
    capsys.readouterr()
    code = _cli.main(["experiment", *map(str, argv)])
    printed = capsys.readouterr()
    if code != 1 or printed.out or len(printed.err.splitlines()) != 1:
        pytest.fail(f"exit status {code}, stdout {printed.out[:200]!r}, stderr {printed.err!r}")
    return printed.err.strip()


SMALL_INIT = ("init", "--layers", 2, "--units", 8, "--samples", 20)


def test_an_out_that_is_a_file_is_refused_before_the_work(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    err = refused(capsys, *SMALL_INIT, "--out", afile)
    assert err == f"chainrule experiment: error: --out {afile}: exists and is not a directory"
    assert afile.read_text() == "keep me"


def test_an_out_under_a_file_is_refused_before_the_work(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    sub = tmp_path / "afile" / "sub"
    err = refused(capsys, "optimizers", "--steps", 2, "--epochs", 0, "--out", sub)
    assert err.endswith(f"--out {sub}: cannot create the directory (Not a directory)")


def test_an_empty_out_is_refused_as_train_refuses_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, *SMALL_INIT, "--out", "")
    assert err == (
        "chainrule experiment: error: --out is empty; give a directory for the results "
        "(or leave --out out)"
    )
    assert list(tmp_path.iterdir()) == []  # not runs/experiment-init


def test_a_failed_run_removes_the_directories_it_made(tmp_path, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("chainrule.experiments._command.init_experiment", fail)
    err = refused(capsys, *SMALL_INIT, "--out", tmp_path / "new" / "deeper")
    assert err.startswith("chainrule experiment: error: out of memory")
    assert list(tmp_path.iterdir()) == []
