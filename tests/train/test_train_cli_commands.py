"""The ``chainrule`` sub-commands beyond train/evaluate/predict, and run-directory details.

Expected values come from NumPy computations written here, the files a command writes, or
the operating system (file modes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from chainrule import _cli
from chainrule._checkpoint import atomic_write


def _main(argv):
    try:
        return _cli.main([str(a) for a in argv])
    except SystemExit as e:
        return e.code


def _seed_network_numpy():
    """The tutorials' 2-2-2 sigmoid network, one step of gradient descent, in NumPy."""
    x, t = np.array([0.1, 0.2]), np.array([0.4, 0.6])
    W = np.array([[0.3, 0.4], [0.25, 0.35]])  # W1 (x1→h1), W3 (x1→h2); W2 (x2→h1), W4
    V = np.array([[0.45, 0.7], [0.4, 0.6]])  # W5 (h1→o1), W7 (h1→o2); W6 (h2→o1), W8
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sig(x @ W)
    o = sig(h @ V)
    delta_o = (o - t) * o * (1 - o)
    dV = np.outer(h, delta_o)
    dW = np.outer(x, (V @ delta_o) * h * (1 - h))
    E = 0.5 * np.sum((t - o) ** 2)
    W5_new = V[0, 0] - 0.5 * dV[0, 0]
    return E, W5_new, W[0, 0] - 0.5 * dW[0, 0]


def test_explain_seed_network_prints_the_tutorial_numbers(capsys):
    assert _main(["explain", "--example", "seed-network"]) == 0
    out = capsys.readouterr().out
    E, W5_new, W1_new = _seed_network_numpy()
    assert f"E = {E:.8f}" in out
    assert re.search(rf"W5⁺ = .* = {W5_new:.8f}", out)
    assert re.search(rf"W1⁺ = .* = {W1_new:.8f}", out)


def test_explain_without_an_example_lists_them_and_exits_2(capsys):
    assert _main(["explain"]) == 2
    out, err = capsys.readouterr()
    assert "seed-network" in out
    assert "add-mul" in out
    assert "--example NAME" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_explain_render_draws_an_svg(tmp_path, capsys):
    svg = tmp_path / "graph.svg"
    assert _main(["explain", "--example", "add-mul", "--render", svg]) == 0
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml")
    assert "<svg" in text


def test_experiment_init_writes_its_table_and_figure(tmp_path, capsys):
    out = tmp_path / "init"
    argv = ["experiment", "init", "--layers", 2, "--units", 8, "--samples", 40, "--out", out]
    assert _main(argv) == 0
    assert (out / "init_stats.csv").is_file()
    rows = (out / "init_stats.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) > 1
    printed = capsys.readouterr().out
    assert "init_stats.csv" in printed


def test_flags_without_a_command_train(monkeypatch):
    seen = []
    monkeypatch.setitem(_cli._COMMANDS, "train", lambda args: seen.append(args) or 0)
    assert _main(["--epochs", 2]) == 0
    assert _main(["--debug", "--epochs", 3, "--seed", 4]) == 0
    assert [(a.command, a.epochs, a.debug) for a in seen] == [
        ("train", 2, False),
        ("train", 3, True),
    ]
    assert seen[1].seed == 4


def test_an_unknown_command_is_a_usage_error(capsys):
    assert _main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_train_diagnose_writes_the_statistics(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 2, "--diagnose", "--out", run, "--no-progress"]) == 0
    stats = json.loads((run / "diagnostics" / "stats.json").read_text(encoding="utf-8"))
    assert stats  # one record per epoch, written by the monitor
    assert (run / "diagnostics" / "gradients.csv").is_file()


def test_resume_with_more_epochs_records_them_in_config_json(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--out", run, "--no-progress"]) == 0
    assert _main(["train", "--resume", run, "--epochs", 2, "--no-progress"]) == 0
    assert json.loads((run / "config.json").read_text(encoding="utf-8"))["epochs"] == 2
    assert json.loads((run / "metrics.json").read_text(encoding="utf-8"))["epochs"] == 2


def test_atomic_write_gives_the_mode_a_plain_open_gives(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    written = atomic_write(tmp_path / "atomic", b"x")
    assert os.stat(written).st_mode & 0o777 == os.stat(plain).st_mode & 0o777


def test_atomic_write_removes_temporary_files_a_killed_writer_left(tmp_path):
    target = tmp_path / "model.safetensors"
    stale = [tmp_path / ".model.safetensors.abc123.tmp", tmp_path / ".model.safetensors.x.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    other = tmp_path / ".history.csv.abc.tmp"  # another file's temporary: not ours to remove
    other.write_bytes(b"half")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert not any(p.exists() for p in stale)
    assert other.exists()
    assert sorted(Path(tmp_path).iterdir()) == sorted([target, other])
