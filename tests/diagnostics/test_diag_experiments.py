"""The experiments reproduce the tutorials' facts, as inequalities on measured numbers."""

from __future__ import annotations

import argparse
import csv

import numpy as np
import pytest

from chainrule import experiments
from chainrule.diagnostics import _plot


@pytest.fixture(scope="module")
def init_result():
    return experiments.init_experiment()  # the full 1000 × 100, five layers: ~0.1 s


def test_the_grid_is_complete(init_result):
    assert len(init_result.stats) == 3 * 4
    assert all(len(layers) == 5 for layers in init_result.stats.values())
    assert len(init_result.rows()) == 60


def test_sigmoid_with_std_1_saturates_near_0_and_1(init_result):
    saturated = init_result.column("sigmoid", "std 1", "saturated")
    std = init_result.column("sigmoid", "std 1", "std")
    assert np.all(saturated > 0.25)  # a quarter or more of the units pass no gradient
    assert np.all(std > 0.4)  # piled at both ends: a two-point distribution has std 0.5
    assert np.all(init_result.column("sigmoid", "Xavier", "saturated") < 0.01)


def test_std_001_collapses_sigmoid_to_one_half(init_result):
    mean = init_result.column("sigmoid", "std 0.01", "mean")
    std = init_result.column("sigmoid", "std 0.01", "std")
    assert np.all(np.abs(mean - 0.5) < 0.01)
    assert np.all(std < 0.03)
    assert std[-1] < std[0]
    assert np.all(init_result.column("sigmoid", "Xavier", "std") > 0.1)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_std_001_collapses_tanh_and_relu_to_zero_layer_by_layer(init_result, activation):
    std = init_result.column(activation, "std 0.01", "std")
    mean = init_result.column(activation, "std 0.01", "mean")
    assert np.all(np.diff(std) < 0)  # shrinking at every layer ...
    assert np.all(std[1:] / std[:-1] < 0.2)  # ... by a large factor each time
    assert std[-1] < 1e-4
    assert np.all(np.abs(mean) < 0.05)


def test_he_keeps_relu_activations_spread(init_result):
    std = init_result.column("relu", "He", "std")
    assert 0.5 < std[-1] / std[0] < 2
    assert np.all(std > 0.5)
    assert np.all(init_result.column("relu", "He", "dead") < 0.05)
    xavier = init_result.column("relu", "Xavier", "std")
    assert xavier[-1] / xavier[0] < 0.5  # Xavier halves ReLU's variance at every layer


def test_xavier_keeps_tanh_unsaturated_and_spread(init_result):
    std = init_result.column("tanh", "Xavier", "std")
    assert np.all(std > 0.25)
    assert np.all(init_result.column("tanh", "Xavier", "saturated") < 0.01)
    assert np.all(init_result.column("tanh", "std 1", "saturated") > 0.5)


def test_the_table_lists_every_row(init_result):
    lines = init_result.table().splitlines()
    assert lines[0].split() == ["activation", "init", "layer", "mean", "std", "saturated", "dead"]
    assert len(lines) == 2 + 60
    assert lines[2].split()[:4] == ["sigmoid", "std", "1", "1"]


def parse(argv):
    parser = argparse.ArgumentParser(prog="chainrule experiment")
    experiments.add_arguments(parser)
    return parser.parse_args(argv)


def test_the_init_command_writes_its_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_plot, "have_matplotlib", lambda: False)  # the PNG is tested elsewhere
    out = tmp_path / "init"
    args = parse(["init", "--layers", "3", "--units", "20", "--samples", "50", "--out", str(out)])
    assert experiments.main(args) == 0
    printed = capsys.readouterr()
    assert "saturated" in printed.out
    assert "matplotlib is not installed" in printed.err
    with open(out / "init_stats.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 * 4 * 3
    first = rows[0]
    assert (first["activation"], first["init"], first["layer"]) == ("sigmoid", "std 1", "1")
    assert rows[-1]["dead"] != ""
    assert rows[0]["dead"] == ""


def test_the_optimizers_command_writes_paths_and_losses(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_plot, "have_matplotlib", lambda: False)
    out = tmp_path / "opt"
    args = parse(["optimizers", "--steps", "5", "--epochs", "2", "--out", str(out)])
    assert experiments.main(args) == 0
    text = capsys.readouterr().out
    assert "test_accuracy" in text
    with open(out / "trajectories.csv", newline="") as fh:
        steps = list(csv.DictReader(fh))
    assert len(steps) == 6 * 6
    assert (steps[1]["optimizer"], float(steps[1]["x"])) == ("SGD", pytest.approx(-6.335))
    with open(out / "losses.csv", newline="") as fh:
        losses = list(csv.DictReader(fh))
    assert [row["epoch"] for row in losses] == ["1", "2"]
    for name in experiments.NETWORK_OPTIMIZERS:
        assert float(losses[1][name]) < float(losses[0][name]) < 2.5  # ln 10 ≈ 2.30 at start


def test_the_optimizer_experiment_trains_the_same_network_from_the_same_start():
    result = experiments.optimizer_experiment(steps=3, epochs=1)
    assert set(result.losses) == set(experiments.NETWORK_OPTIMIZERS)
    assert all(0.5 < acc <= 1 for acc in result.test_accuracy.values())
    first = experiments._optimizers.digits_network(0)
    again = experiments._optimizers.digits_network(0)
    for p, q in zip(first.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_bad_arguments_are_errors(tmp_path):
    with pytest.raises(ValueError, match="--layers"):
        experiments.main(parse(["init", "--layers", "0", "--out", str(tmp_path)]))
    with pytest.raises(ValueError, match="--epochs must be an integer from 0 to 1000, got -1"):
        experiments.main(parse(["optimizers", "--epochs", "-1", "--out", str(tmp_path)]))
    with pytest.raises(SystemExit):
        parse(["optimizers", "--function", "himmelblau"])


def test_rosenbrock_takes_rates_that_converge_in_the_valley(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(_plot, "have_matplotlib", lambda: False)
    args = parse(
        ["optimizers", "--function", "rosenbrock", "--epochs", "0", "--out", str(tmp_path)]
    )
    assert experiments.main(args) == 0
    text = capsys.readouterr().out
    assert "nan" not in text
    assert "note:" not in text
    result = experiments.optimizer_experiment("rosenbrock", steps=3000, epochs=0)
    assert result.trajectory_lrs["SGD"] == 0.001
    for row in result.trajectory_rows():
        assert row["distance"] < 0.5, row  # from (−1.5, 2), 2.7 away from (1, 1)


def test_a_path_that_diverges_is_named_under_the_table():
    # SGD's y grows 2.9-fold a step on the saddle at lr 0.95: inf within 700 steps
    result = experiments.optimizer_experiment("saddle", steps=1000, epochs=0)
    assert np.isnan(result.trajectories["SGD"][-1]).all()
    notes = [
        line for line in experiments._optimizers.summary(result).splitlines() if "note" in line
    ]
    assert notes == [
        "note: SGD diverged on saddle at the rate shown (nan from there on): fewer --steps shows "
        "the path before that, and chainrule.optim.playground takes other rates"
    ]
