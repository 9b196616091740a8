"""Files: the Monitor's tables hold its numbers; every picture is a real PNG of a sensible size."""

from __future__ import annotations

import csv
import json
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag
from chainrule import experiments
from chainrule.diagnostics import _plot
from chainrule.experiments import _optimizers


def png_size(path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_png(path, min_width=300, min_height=200):
    width, height = png_size(path)
    assert min_width <= width <= 4000, (path.name, width)
    assert min_height <= height <= 4000, (path.name, height)
    assert path.stat().st_size > 5000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A short run with `monitor_for_run`, as `chainrule train --diagnose` would make."""
    out = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(48, 6)), rng.integers(0, 3, size=48)
    gen = np.random.default_rng(1)
    model = cr.nn.Sequential(
        cr.nn.Linear(6, 16, init="xavier", generator=gen),
        cr.nn.Tanh(),
        cr.nn.Linear(16, 16, generator=gen),
        cr.nn.ReLU(),
        cr.nn.Linear(16, 3, init="xavier", generator=gen),
    )
    monitor = diag.monitor_for_run(out, warn=False)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 3, callbacks=[monitor], progress=False)
    return out / "diagnostics", monitor


def test_the_csv_tables_hold_the_records(run_dir):
    out, monitor = run_dir
    with open(out / "activations.csv", newline="") as fh:
        acts = list(csv.DictReader(fh))
    assert len(acts) == 3 * 2  # epochs × activation layers
    last = monitor.records[-1].activations
    assert [(r["layer"], r["kind"]) for r in acts[-2:]] == [("1", "tanh"), ("3", "relu")]
    assert float(acts[-2]["std"]) == last[0].std
    assert float(acts[-1]["dead"]) == last[1].dead
    assert acts[-1]["saturated"] == ""
    with open(out / "gradients.csv", newline="") as fh:
        grads = list(csv.DictReader(fh))
    assert len(grads) == 3 * 6
    row = grads[-1]
    assert (row["epoch"], row["parameter"], row["layer"]) == ("3", "4.bias", "4")
    assert float(row["grad_norm"]) == monitor.records[-1].grad_norms["4.bias"]


def test_the_json_holds_histograms_and_logs(run_dir):
    out, monitor = run_dir
    about = json.loads((out / "stats.json").read_text())
    assert [e["epoch"] for e in about["epochs"]] == [1, 2, 3]
    tanh = about["epochs"][0]["activations"][0]
    assert sum(tanh["counts"]) == 48 * 16
    assert (tanh["edges"][0], tanh["edges"][-1]) == (-1.0, 1.0)
    assert about["epochs"][2]["logs"]["loss"] == monitor.records[2].logs["loss"]
    assert about["alerts"] == []


def test_the_monitor_draws_two_pngs(run_dir):
    pytest.importorskip("matplotlib")
    out, _ = run_dir
    assert_png(out / "activations.png")
    assert_png(out / "gradients.png")


def test_without_matplotlib_the_tables_are_written_and_a_note_given(tmp_path, monkeypatch):
    monkeypatch.setattr(_plot, "have_matplotlib", lambda: False)
    lines = []
    model = cr.nn.Sequential(cr.nn.Linear(2, 3), cr.nn.Sigmoid(), cr.nn.Linear(3, 2))
    monitor = diag.Monitor(model, warn=lines.append, probe=np.ones((4, 2)))
    monitor.records.append(monitor.record(1, {"loss": 0.5}))
    paths = monitor.save(tmp_path)
    assert sorted(p.name for p in paths) == ["activations.csv", "gradients.csv", "stats.json"]
    assert len(lines) == 1
    assert "matplotlib is not installed" in lines[0]


def test_the_init_histograms(tmp_path):
    pytest.importorskip("matplotlib")
    result = experiments.init_experiment(layers=3, units=20, samples=100)
    paths = experiments.write_init_outputs(result, tmp_path)
    assert [p.name for p in paths] == ["init_stats.csv", "init_histograms.png"]
    assert_png(tmp_path / "init_histograms.png", min_width=1000)


def test_the_optimizer_pictures(tmp_path):
    pytest.importorskip("matplotlib")
    result = experiments.optimizer_experiment(steps=10, epochs=1)
    experiments.write_optimizer_outputs(result, tmp_path)
    assert_png(tmp_path / "trajectories.png", min_width=800)
    assert_png(tmp_path / "losses.png")


def test_the_docs_image_is_the_optimizer_experiments():
    from pathlib import Path

    image = Path(__file__).resolve().parents[2] / "docs" / "images" / "optimizer_trajectories.png"
    assert_png(image, min_width=800)
    assert _optimizers.TRAJECTORY_OPTIMIZERS["SGD"][1]["lr"] == 0.95


def test_a_run_that_dies_keeps_its_diagnosis(tmp_path, capsys):
    # SGD at lr 10 from weights of std 3 blows up in the first epoch: fit stops at an
    # infinite loss, and the exploding-gradient alert it raised on the way is on disk
    from chainrule import _cli

    out = tmp_path / "run"
    argv = ["train", "--diagnose", "--hidden", "100,100", "--init", "3", "--optimizer", "sgd",
            "--lr", "10", "--out", str(out), "--no-progress"]  # fmt: skip
    assert _cli.main(argv) == 1
    assert "the loss became" in capsys.readouterr().err
    about = json.loads((out / "diagnostics" / "stats.json").read_text())
    assert [a["kind"] for a in about["alerts"]] == ["exploding"]
    assert about["epochs"] == []  # it died before the first epoch's record
    # nothing was trained there: a new run may take the directory without --force
    assert _cli.main(["train", "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    assert not (out / "diagnostics").exists()  # the dead run's diagnosis went with it


def test_the_init_figure_names_the_number_of_inputs(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    titles = []
    real = _plot.save_png

    def keep_title(fig, path, dpi):
        titles.append(fig._suptitle.get_text())
        return real(fig, path, dpi)

    monkeypatch.setattr(_plot, "save_png", keep_title)
    result = experiments.init_experiment(layers=2, units=10, samples=200)
    experiments._initialisation.plot_init_histograms(result, tmp_path / "h.png")
    assert titles == ["activations per layer (1 → last), 200 random inputs"]
