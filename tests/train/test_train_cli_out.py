"""Where a new run goes (--out, runs/): a directory holding the user's files is never
overwritten, and what is in the way is named in one line.

Runs are small (the bundled digits, 8 hidden units, one epoch), made by the command itself.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from _cli_run import error_line as _error_line
from _cli_run import main as _main

from chainrule._config import Config

_TRAIN = ["train", "--epochs", 1, "--hidden", 8, "--no-progress"]


def _files(directory) -> dict:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def _run_config() -> str:
    return json.dumps(dataclasses.asdict(Config()))


def _stopped_run(directory, *names):
    """What a run stopped before its first checkpoint leaves, plus files ``names``."""
    directory.mkdir()
    (directory / "config.json").write_text(_run_config())
    for name in names:
        (directory / name).write_bytes(b"the user's")
    return directory


def test_a_config_json_that_is_not_a_run_s_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "u1"
    out.mkdir()
    (out / "config.json").write_text('{"my": "precious settings"}')
    line = _error_line(capsys, [*_TRAIN, "--out", out])
    assert line == (
        f"chainrule train: error: --out {out} is not empty (it holds config.json); choose a new "
        "or empty directory (or --force: a new run replaces only a run's own files)"
    )
    assert _files(out) == {"config.json": b'{"my": "precious settings"}'}


@pytest.mark.parametrize(
    "name",
    [".notes.tmp", ".model.safetensors.best.q1w2e3r4.tmp", ".model.safetensors.abc.tmp",
     ".mine.abcd1234.tmp"],
)  # fmt: skip
def test_a_temporary_looking_file_that_is_not_the_run_s_is_kept(tmp_path, capsys, name):
    out = _stopped_run(tmp_path / "run", name)
    line = _error_line(capsys, [*_TRAIN, "--out", out])
    assert f"--out {out} is not empty (it holds {name})" in line
    assert _files(out)[name] == b"the user's"
    assert _main([*_TRAIN, "--out", out, "--force"]) == 0  # --force replaces the run's files
    assert _files(out)[name] == b"the user's"  # and only those


def test_the_run_s_own_temporary_files_are_cleared(tmp_path, capsys):
    names = [".model.safetensors.abcd1234.tmp", ".config.json.a_b_c_d_.tmp"]
    out = _stopped_run(tmp_path / "run", *names)
    (out / "diagnostics").mkdir()
    (out / "diagnostics" / ".stats.json.zzzzzzzz.tmp").write_bytes(b"half")
    assert _main([*_TRAIN, "--out", out]) == 0
    assert not [n for n in _files(out) if n.endswith(".tmp")]
    assert not (out / "diagnostics").exists()  # nothing else was in it


def test_a_diagnostics_directory_with_the_user_s_files_is_kept(tmp_path, capsys):
    out = _stopped_run(tmp_path / "run")
    (out / "diagnostics").mkdir()
    (out / "diagnostics" / "mine.txt").write_text("notes")
    assert "(it holds diagnostics)" in _error_line(capsys, [*_TRAIN, "--out", out])
    assert _main([*_TRAIN, "--out", out, "--force", "--diagnose"]) == 0
    assert (out / "diagnostics" / "mine.txt").read_text() == "notes"
    assert (out / "diagnostics" / "stats.json").is_file()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_file_named_diagnostics_is_named_before_training(tmp_path, capsys, force):
    out = tmp_path / "u3"
    out.mkdir()
    (out / "diagnostics").write_text("mine")
    line = _error_line(capsys, [*_TRAIN, "--out", out, *force])
    assert line == (
        f"chainrule train: error: {out / 'diagnostics'}: not a directory, but the run keeps "
        "its diagnostics there; move or rename it, or choose another --out"
    )
    assert _files(out) == {"diagnostics": b"mine"}


def test_resume_with_diagnose_names_a_file_named_diagnostics(tmp_path, capsys):
    out = tmp_path / "run"
    assert _main([*_TRAIN, "--out", out]) == 0
    (out / "diagnostics").write_text("mine")
    before = _files(out)
    line = _error_line(capsys, ["train", "--resume", out, "--epochs", 2, "--diagnose"])
    assert f"{out / 'diagnostics'}: not a directory" in line
    assert _files(out) == before


@pytest.mark.parametrize("inside", ["sub", "sub/deeper"])
def test_an_out_inside_a_regular_file_is_named(tmp_path, capsys, inside):
    (tmp_path / "afile").write_text("mine")
    out = tmp_path / "afile" / inside
    assert _error_line(capsys, [*_TRAIN, "--out", out]) == (
        f"chainrule train: error: --out {out}: {tmp_path / 'afile'} is not a directory, so it "
        "cannot hold one"
    )
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_regular_file_named_runs_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").write_text("mine")
    assert _error_line(capsys, _TRAIN) == (
        "chainrule train: error: runs is not a directory, but new runs go in "
        "runs/<dataset>-<time>; rename it, or give the run a directory with --out"
    )
    assert (tmp_path / "runs").read_text() == "mine"
