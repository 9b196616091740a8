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


def _must_not_run(*args, **kwargs):
    pytest.fail("the experiment ran before its flags were checked")


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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("init", "--layers", 0), "--layers must be an integer from 1 to 20, got 0"),
        (("init", "--layers", 10**20), f"--layers must be an integer from 1 to 20, got {10**20}"),
        (("init", "--units", 10**20), f"--units must be an integer from 1 to 1000, got {10**20}"),
        (
            ("init", "--samples", 10**6),
            "--samples must be an integer from 1 to 100000, got 1000000",
        ),
        (("init", "--bins", 10**8), "--bins must be an integer from 1 to 200, got 100000000"),
        (
            ("optimizers", "--steps", 10**20),
            f"--steps must be an integer from 1 to 10000, got {10**20}",
        ),
        (("optimizers", "--epochs", 1001), "--epochs must be an integer from 0 to 1000, got 1001"),
        (("init", "--seed", -1), "--seed must be a non-negative integer, got -1"),
        (("optimizers", "--seed", -1), "--seed must be a non-negative integer, got -1"),
    ],
)
def test_every_size_and_the_seed_are_checked_before_the_work(
    tmp_path, capsys, monkeypatch, argv, message
):
    for job in ("init_experiment", "optimizer_experiment"):  # unchecked, some would never end
        monkeypatch.setattr(f"chainrule.experiments._command.{job}", _must_not_run)
    out = tmp_path / "out"
    assert refused(capsys, *argv, "--out", out) == f"chainrule experiment: error: {message}"
    assert not out.exists()


def test_the_init_network_is_bounded_as_a_whole(tmp_path, capsys):
    argv = ("init", "--layers", 20, "--units", 1000, "--samples", 1000, "--out", tmp_path / "o")
    assert refused(capsys, *argv).endswith(
        "--samples × --units × --layers must be at most 10,000,000 (every layer's outputs are "
        "kept), got 1000 × 1000 × 20"
    )


def test_a_run_removes_its_own_earlier_files_it_does_not_write(tmp_path, capsys):
    out = tmp_path / "mix"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    argv = ["experiment", "optimizers", "--steps", 2, "--out", out]
    assert _cli.main([*map(str, argv), "--epochs", "1"]) == 0
    assert (out / "losses.csv").is_file()
    capsys.readouterr()
    assert _cli.main([*map(str, argv), "--epochs", "0", "--function", "saddle"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "trajectories.csv"]
    assert "removed losses.csv: an earlier run's, which this run does not write" in (
        capsys.readouterr().out
    )


def test_one_experiment_does_not_write_beside_the_other(tmp_path, capsys):
    out = tmp_path / "mix"
    argv = ("optimizers", "--steps", 2, "--epochs", 0, "--out", out)
    assert _cli.main(["experiment", *map(str, argv)]) == 0
    err = refused(capsys, *SMALL_INIT, "--out", out)
    assert err == (
        f"chainrule experiment: error: --out {out} holds the results of "
        "`chainrule experiment optimizers` (trajectories.csv); choose another --out"
    )
    assert sorted(p.name for p in out.iterdir()) == ["trajectories.csv"]
