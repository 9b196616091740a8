"""The ``chainrule`` sub-commands beyond train/evaluate/predict, and run-directory details.

Expected values come from NumPy computations written here, the files a command writes, or
the operating system (file modes).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import time

import numpy as np
import pytest
from _cli_run import main as _main

import chainrule as cr
from chainrule import _cli, _cli_train
from chainrule._atomic_write import atomic_write
from chainrule._config import Config


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


def test_a_resumed_run_keeps_its_earlier_diagnostics(tmp_path, capsys):
    # 2 epochs, then resumed to 4: the same tables as 4 epochs in one go
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert _main(["train", "--epochs", 4, "--diagnose", "--out", ref, "--no-progress"]) == 0
    assert _main(["train", "--epochs", 2, "--diagnose", "--out", run, "--no-progress"]) == 0
    assert _main(["train", "--resume", run, "--epochs", 4, "--diagnose", "--no-progress"]) == 0
    for name in ("activations.csv", "gradients.csv"):
        got = (run / "diagnostics" / name).read_text(encoding="utf-8")
        assert got == (ref / "diagnostics" / name).read_text(encoding="utf-8"), name
    epochs = json.loads((run / "diagnostics" / "stats.json").read_text(encoding="utf-8"))
    assert [r["epoch"] for r in epochs["epochs"]] == [1, 2, 3, 4]


def test_a_condition_that_holds_across_a_resume_is_announced_once(tmp_path, capsys):
    # a deep sigmoid network: vanishing gradients from the first epoch on, and still at the
    # resume point; the resumed run must not raise the alert a second time
    flags = ["--activation", "sigmoid", "--hidden", ",".join(["32"] * 8), "--init", "0.05",
             "--diagnose", "--no-progress"]  # fmt: skip
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert _main(["train", *flags, "--epochs", 4, "--out", ref]) == 0
    assert _main(["train", *flags, "--epochs", 2, "--out", run]) == 0
    capsys.readouterr()
    assert _main(["train", "--resume", run, "--epochs", 4, "--diagnose", "--no-progress"]) == 0
    assert "vanishing" not in capsys.readouterr().err
    alerts = [
        json.loads((d / "diagnostics" / "stats.json").read_text(encoding="utf-8"))["alerts"]
        for d in (ref, run)
    ]
    assert alerts[0] == alerts[1]
    assert [a["kind"] for a in alerts[0]] == ["vanishing"]


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


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "private.safetensors"
    target.write_bytes(b"old")
    target.chmod(0o600)
    atomic_write(target, b"new")
    assert os.stat(target).st_mode & 0o777 == 0o600


def test_atomic_write_reads_the_umask_when_it_writes(tmp_path):
    old = os.umask(0o077)
    try:
        written = atomic_write(tmp_path / "new", b"x")
    finally:
        os.umask(old)
    assert os.stat(written).st_mode & 0o777 == 0o600


def _aged(path, data=b"half", seconds=3600):
    path.write_bytes(data)
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_atomic_write_removes_temporary_files_a_killed_writer_left(tmp_path):
    fcntl = pytest.importorskip("fcntl")  # POSIX: a live writer holds a lock on its file
    target = tmp_path / "model.safetensors"
    stale = _aged(tmp_path / ".model.safetensors.abc12_yz.tmp")
    just_killed = _aged(tmp_path / ".model.safetensors.z9y8x7w6.tmp", seconds=5)  # unheld
    brand_new = tmp_path / ".model.safetensors.n0n0n0n0.tmp"  # made this instant: a writer
    brand_new.write_bytes(b"")  # may not have locked it yet, so it is spared
    live = tmp_path / ".model.safetensors.k3j2h1g0.tmp"  # a writer at work: locked
    live.write_bytes(b"in flight")
    other = _aged(tmp_path / ".model.safetensors.best.q1w2e3r4.tmp")  # another file's
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert not stale.exists()
    assert not just_killed.exists()
    assert brand_new.exists()
    assert live.exists()
    assert other.exists()


def test_a_stale_file_that_cannot_be_removed_does_not_fail_the_save(tmp_path):
    target = tmp_path / "model.safetensors"
    blocker = tmp_path / ".model.safetensors.abcdefgh.tmp"
    blocker.mkdir()  # unlink fails on a directory
    past = time.time() - 3600
    os.utime(blocker, (past, past))
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


def test_predict_takes_one_sample_saved_as_a_vector(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--out", run, "--no-progress"]) == 0
    one = tmp_path / "one.npy"
    np.save(one, np.zeros(64, np.float32))
    capsys.readouterr()
    assert _main(["predict", run, one]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 1
    assert int(lines[0]) in range(10)


def test_a_flag_value_that_names_a_command_is_still_a_value(monkeypatch):
    seen = []
    monkeypatch.setitem(_cli._COMMANDS, "train", lambda args: seen.append(args) or 0)
    assert _main(["--epochs", 1, "--out", "explain"]) == 0
    assert (seen[0].command, seen[0].out) == ("train", "explain")


def test_a_multi_line_message_becomes_one_readable_line():
    message = "load_state_dict failed:\n  missing: a.weight\n\n  unexpected: b.bias\nstop"
    assert _cli._one_line(ValueError(message)) == (
        "load_state_dict failed: missing: a.weight; unexpected: b.bias; stop"
    )


def test_a_bare_memory_error_still_says_what_happened():
    assert _cli._one_line(MemoryError()) == "out of memory (the model or the data is too large)"


def test_resuming_mid_epoch_with_another_batch_size_is_refused(
    tmp_path, capsys, monkeypatch, interrupt_at_step
):
    run = tmp_path / "run"
    interrupt_at_step(5)
    assert _main(["train", "--epochs", 1, "--out", run, "--no-progress"]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    argv = ["train", "--resume", run, "--batch-size", 64, "--force", "--no-progress"]
    assert _main(argv) == 1
    err = capsys.readouterr().err
    assert "stopped in the middle of an epoch with --batch-size 32" in err


# ----- run directories: nothing is overwritten by accident -------------------------------------
def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "Traceback" not in err
    return err


def test_training_into_a_run_directory_is_refused_and_changes_nothing(tmp_path, capsys):
    run = tmp_path / "wine"
    assert _main(["train", "--dataset", "wine", "--epochs", 1, "--out", run]) == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert _main(["train", "--epochs", 1, "--out", run]) == 1
    err = _error_line(capsys)
    assert f"--out {run} already holds a run; continue it with --resume {run}" in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert _main(["train", "--epochs", 1, "--out", run, "--force"]) == 0  # on purpose
    assert json.loads((run / "config.json").read_text())["dataset"] == "digits"


def test_a_forced_new_run_leaves_nothing_of_the_old_run_beside_it(tmp_path, monkeypatch, capsys):
    # the old run's checkpoint, metrics, curves and diagnostics go when the new run starts,
    # so a crash before the new run's first checkpoint cannot leave the old model beside the
    # new config.json; a file of the user's stays
    run = tmp_path / "run"
    argv = ["train", "--dataset", "wine", "--epochs", 1, "--out", run, "--diagnose"]
    assert _main([*argv, "--no-progress"]) == 0
    assert (run / "diagnostics" / "stats.json").exists()
    (run / "notes.txt").write_text("mine")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cr._training, "train_step", crash)
    assert _main(["train", "--epochs", 1, "--out", run, "--force", "--no-progress"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "notes.txt"]
    assert json.loads((run / "config.json").read_text())["dataset"] == "digits"
    monkeypatch.undo()
    assert _main(["train", "--resume", run, "--no-progress"]) == 0  # starts from epoch 0
    assert "has no checkpoint" in capsys.readouterr().err
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 1


def test_a_forced_run_that_fails_before_training_leaves_the_old_run_intact(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(["train", "--dataset", "wine", "--epochs", 1, "--out", run]) == 0
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    empty = tmp_path / "no-mnist-here"
    empty.mkdir()
    argv = ["train", "--dataset", "mnist", "--data-dir", empty, "--out", run, "--force"]
    assert _main(argv) == 1
    assert "no-mnist-here" in _error_line(capsys)
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


def test_training_into_a_directory_of_other_files_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert _main(["train", "--epochs", 1, "--out", tmp_path]) == 1
    assert "is not empty (it holds notes.txt); choose a new" in _error_line(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_run_stopped_before_its_first_checkpoint_may_start_again(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    config = json.dumps(dataclasses.asdict(Config()))  # all a run writes before its first epoch
    (run / "config.json").write_text(config)
    (run / ".model.safetensors.abcd1234.tmp").write_bytes(b"partial")
    assert _main(["train", "--epochs", 1, "--out", run]) == 0


def test_two_runs_in_the_same_second_get_two_directories(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_cli_train.time, "strftime", lambda fmt: "20261201-120000")
    assert _main(["train", "--epochs", 1]) == 0
    assert _main(["train", "--epochs", 1]) == 0
    names = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert names == ["digits-20261201-120000", "digits-20261201-120000-2"]


def test_a_dataset_spelled_loosely_names_its_run_directory_by_its_own_name(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_cli_train.time, "strftime", lambda fmt: "20261201-120000")
    assert _main(["train", "--epochs", 1, "--dataset", " Breast-Cancer"]) == 0
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["breast_cancer-20261201-120000"]


def test_an_empty_out_is_refused_rather_than_taken_as_the_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _main(["train", "--epochs", 1, "--out", ""]) == 1
    assert "--out is empty" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_default_run_that_fails_before_training_leaves_no_directory(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert _main(["train", "--dataset", "mnist", "--data-dir", tmp_path / "none"]) == 1
    assert "mnist" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dataset", ["a/b", "../elsewhere", "nope"])
def test_an_unknown_dataset_is_named_and_leaves_no_directory(
    tmp_path, monkeypatch, capsys, dataset
):
    # refused before a run directory is named after it (a slash made it a path)
    monkeypatch.chdir(tmp_path)
    assert _main(["train", "--dataset", dataset]) == 1
    assert f"unknown dataset {dataset!r}" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_resuming_with_fewer_epochs_than_trained_is_refused_and_changes_nothing(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 3, "--out", run]) == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert _main(["train", "--resume", run, "--epochs", 2]) == 1
    assert "has already trained 3 epochs; --epochs is the total" in _error_line(capsys)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_resuming_with_fewer_epochs_than_begun_mid_epoch_is_refused(
    tmp_path, capsys, monkeypatch, interrupt_at_step
):
    # digits trains on 41 batches of 32 an epoch: step 50 begins the 9th of epoch 2, so the
    # weights hold 8 batches of epoch 2, and a run of 1 epoch cannot be made of them
    run = tmp_path / "run"
    interrupt_at_step(50)
    assert _main(["train", "--epochs", 3, "--out", run, "--no-progress"]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert _main(["train", "--resume", run, "--epochs", 1, "--no-progress"]) == 1
    assert _error_line(capsys).endswith(
        "has already trained 1 epoch and 8 batches of epoch 2; --epochs is the total, so it "
        "must be at least 2 (got 1)"
    )
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert _main(["train", "--resume", run, "--epochs", 2, "--no-progress"]) == 0
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2


def test_resume_and_out_together_are_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--out", run]) == 0
    assert _main(["train", "--resume", run, "--out", tmp_path / "other"]) == 1
    assert "--out cannot be used with --resume" in _error_line(capsys)


def test_a_relative_data_dir_is_stored_absolute(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--data-dir", "somewhere", "--out", run]) == 0
    saved = json.loads((run / "config.json").read_text())["data_dir"]
    assert saved == str(tmp_path / "somewhere")
    assert _main(["train", "--resume", run, "--epochs", 2, "--data-dir", "somewhere"]) == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--init", "foo"], r"--init takes he, xavier, normal or a positive standard deviation"),
        (["--init", "-1"], r"--init takes .* got '-1'"),
        (["--init", "nan"], r"--init takes .* got 'nan'"),
        (["--seed", "-1"], r"--seed must be a non-negative integer, got -1"),
        (["--lr", "nan"], r"--lr must be positive and below 3.4e\+38, got nan"),
        (
            ["--epochs", "0"],
            r"^chainrule train: error: --epochs must be a positive integer, got 0$",
        ),
        (["--batch-size", "-3"], r": --batch-size must be a positive integer, got -3$"),
        (["--hidden", "100,0"], r": --hidden sizes must be positive integers up to .*, got 100,0$"),
        (["--hidden", "-5"], r": --hidden sizes must be positive integers up to .*, got -5$"),
        (
            ["--hidden", "8,100000000000000000000"],
            r": --hidden sizes must be positive integers up to 100000 \(a wider layer would not "
            r"fit in memory\), got 8,100000000000000000000$",
        ),
    ],
)
def test_bad_flag_values_are_named_and_leave_no_run(tmp_path, capsys, flags, message):
    run = tmp_path / "run"
    assert _main(["train", "--epochs", 1, "--out", run, *flags]) == 1
    assert re.search(message, _error_line(capsys))
    assert not run.exists()


def test_hidden_sizes_with_an_empty_item_are_a_usage_error(capsys):
    assert _main(["train", "--hidden", "64,,64"]) == 2
    assert "--hidden takes sizes like 100,100" in capsys.readouterr().err


def test_debug_may_follow_the_command(tmp_path):
    with pytest.raises(ValueError, match="--lr must be positive"):
        _cli.main(["train", "--debug", "--lr", "-1", "--out", str(tmp_path / "r")])


def test_a_file_given_as_a_run_directory(tmp_path, capsys):
    path = tmp_path / "afile"
    path.write_text("x")
    assert _main(["evaluate", path]) == 1
    assert f"{path}: not a run directory (it is a file)" in _error_line(capsys)


# ----- predict: files as users make them ----------------------------------------------------
@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("iris") / "run"
    assert _main(["train", "--dataset", "iris", "--epochs", 2, "--out", run]) == 0
    return run


ROW = "5.1,3.5,1.4,0.2\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need os.mkfifo")
@pytest.mark.parametrize("name", ["inputs.csv", "inputs.npy"])
def test_predict_refuses_a_named_pipe_instead_of_waiting_for_it(iris_run, tmp_path, capsys, name):
    pipe = tmp_path / name
    os.mkfifo(pipe)  # nobody writes: a reader that opened it would wait for ever
    assert _main(["predict", iris_run, pipe]) == 1
    assert "not a regular file" in _error_line(capsys)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("header.csv", "a,b,c,d\n" + ROW, r"not a CSV of numbers \(line 1, column 1: 'a' is not "
         r"a number\); predict reads comma-separated numbers, one sample per line, without a "
         r"header row$"),
        ("ragged.csv", ROW + "5.1,3.5,1.4\n", r"\(line 2 has 3 values, line 1 has 4\); predict "
         r"reads"),
        ("empty.csv", "", r"empty.csv: no input rows"),
        ("text.npy", "a,b,c,d\n" + ROW, r"cannot read it as a NumPy .npy file \(not a .npy array "
         r"of numbers\); save the inputs with np.save"),
        ("archive.npy", None, r"cannot read it as a NumPy .npy file \(an .npz archive of "
         r"several arrays\)"),
    ],
)  # fmt: skip
def test_predict_names_what_is_wrong_with_an_input_file(
    iris_run, tmp_path, capsys, name, content, message
):
    path = tmp_path / name
    if content is None:  # np.savez under a .npy name
        with open(path, "wb") as fh:
            np.savez(fh, a=np.zeros((2, 4)), b=np.ones(3))
    else:
        path.write_text(content, encoding="utf-8")
    assert _main(["predict", iris_run, path]) == 1
    err = _error_line(capsys)
    assert re.search(message, err), err
    assert "usecols" not in err


def test_predict_reads_a_csv_with_a_byte_order_mark_and_an_upper_case_suffix(
    iris_run, tmp_path, capsys
):
    plain = tmp_path / "plain.csv"
    plain.write_text(ROW * 2, encoding="utf-8")
    assert _main(["predict", iris_run, plain]) == 0
    want = capsys.readouterr().out
    excel = tmp_path / "EXCEL.CSV"
    excel.write_text(ROW * 2, encoding="utf-8-sig")  # as Excel saves "CSV UTF-8"
    assert _main(["predict", iris_run, excel]) == 0
    assert capsys.readouterr().out == want


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--render", "graph.jpg"], r"--render graph.jpg: the name must end in .svg, .png or .pdf"),
        (["--dot", "."], r"--dot \.: is a directory; give a file name"),
        (["--render", "nowhere/graph.svg"], r"the directory nowhere does not exist"),
    ],
)
def test_explain_refuses_an_output_file_before_printing(
    tmp_path, monkeypatch, capsys, flags, message
):
    monkeypatch.chdir(tmp_path)
    assert _main(["explain", "--example", "add-mul", *flags]) == 1
    out = capsys.readouterr()
    assert out.out == ""  # nothing printed before the error
    assert re.search(message, out.err)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_explain_writes_its_files_before_printing(capsys):
    # /proc takes no new files, even from root: the error comes before the report
    assert _main(["explain", "--example", "add-mul", "--dot", "/proc/chainrule-test.dot"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert "chainrule explain: error:" in out.err


def test_version(capsys):
    assert _main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"chainrule {cr.__version__}"


# ----- --download, with the network replaced ---------------------------------------------------
def _idx(array: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return head + array.astype(np.uint8).tobytes()


def test_train_download_fetches_verifies_and_trains(tmp_path, monkeypatch, capsys):
    import gzip
    import hashlib

    from chainrule.data import _download, _mnist

    rng = np.random.default_rng(0)
    arrays = {
        "train": (rng.integers(0, 256, (60, 28, 28)), np.arange(60) % 10),
        "t10k": (rng.integers(0, 256, (20, 28, 28)), np.arange(20) % 10),
    }
    payloads = {}
    for part, (images, labels) in arrays.items():
        payloads[f"{part}-images-idx3-ubyte.gz"] = gzip.compress(_idx(images), mtime=0)
        payloads[f"{part}-labels-idx1-ubyte.gz"] = gzip.compress(_idx(labels), mtime=0)
    table = {n: _mnist._Remote(len(p), hashlib.sha256(p).hexdigest()) for n, p in payloads.items()}
    monkeypatch.setitem(_mnist._FILES, "mnist", table)
    fetched = []

    def fetch(url: str, max_bytes: int) -> bytes:
        fetched.append(url)
        return payloads[url.rsplit("/", 1)[1]][: max_bytes + 1]

    monkeypatch.setattr(_download, "_fetch", fetch)
    root, run = tmp_path / "mnist", tmp_path / "run"
    assert _main(["train", "--dataset", "mnist", "--data-dir", root, "--epochs", 1,
                  "--hidden", "8", "--out", run]) == 1  # fmt: skip
    assert "or add --download to fetch and verify them" in _error_line(capsys)
    assert fetched == []
    assert _main(["train", "--dataset", "mnist", "--data-dir", root, "--download",
                  "--epochs", 1, "--hidden", "8", "--out", run]) == 0  # fmt: skip
    assert sorted(p.name for p in root.iterdir()) == sorted(payloads)
    assert len(fetched) == 4
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 1


def test_download_is_only_for_mnist_files(tmp_path, capsys):
    assert _main(["train", "--dataset", "iris", "--download", "--out", tmp_path / "r"]) == 1
    assert "--download applies to mnist and fashion_mnist, not iris" in _error_line(capsys)
