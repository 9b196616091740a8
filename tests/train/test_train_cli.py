"""The ``chainrule`` command, run in-process through `chainrule._cli.main`.

Runs use the bundled digits and a few epochs. Expected values come from the files a run
writes, a NumPy forward pass over the saved weights, or a second, uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _cli_run import main as _main
from safetensors.numpy import load_file

import chainrule as cr
from chainrule import _cli
from chainrule._config import OPTIMIZERS, Config
from chainrule._run_setup import load_splits

RUN_FILES = {"config.json", "history.csv", "metrics.json", "model.safetensors", "curves.png"}
HISTORY_HEADER = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]


def _cli_run(capsys, argv):
    capsys.readouterr()
    code = _main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _train(out, *flags):
    code = _main(["train", "--out", out, *flags])
    assert code == 0
    return Path(out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def run3(runs):
    """A 3-epoch run of the default configuration."""
    return _train(runs / "run3", "--epochs", 3)


@pytest.fixture(scope="module")
def linear_run(runs):
    """A run of a model with no hidden layer (a single weight matrix)."""
    return _train(runs / "linear", "--epochs", 2, "--hidden", "")


@pytest.fixture
def corrupt_run(run3, tmp_path):
    run = tmp_path / "corrupt"
    shutil.copytree(run3, run)
    (run / "model.safetensors").write_bytes(b"\x00not a checkpoint" * 10)
    return run


def _read_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _history_rows(run):
    with open(run / "history.csv", newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _model_tensors(run):
    return load_file(run / "model.safetensors")


def _numpy_logits(run, X):
    """The saved MLP's outputs computed with NumPy in float64 (ReLU between layers)."""
    tensors = _model_tensors(run)
    layers = sorted({int(k.split("/")[1].split(".")[0]) for k in tensors if k.startswith("model/")})
    h = np.asarray(X, dtype=np.float64)
    for i, idx in enumerate(layers):
        h = h @ tensors[f"model/{idx}.weight"].astype(np.float64)
        h = h + tensors[f"model/{idx}.bias"].astype(np.float64)
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def _assert_one_line_error(code, err, expected_code=1):
    assert code == expected_code
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error" in lines[0]
    return lines[0]


# ----- the run directory --------------------------------------------------------------------
def test_the_run_directory_holds_every_file(run3):
    names = {p.name for p in run3.iterdir()}
    assert names >= RUN_FILES - {"curves.png"}
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]


def test_config_json_records_the_run(run3):
    config = _read_json(run3 / "config.json")
    assert config["dataset"] == "digits"
    assert config["epochs"] == 3
    assert config["hidden"] == [100]
    assert config["activation"] == "relu"
    assert config["init"] == "he"
    assert config["optimizer"] == "adam"
    assert config["seed"] == 0
    assert config["batch_size"] == 32
    assert config["lr"] == 0.01  # Adam's default learning rate, as the docs give it


def test_history_csv_has_a_header_and_one_row_per_epoch(run3):
    rows = _history_rows(run3)
    assert rows[0] == HISTORY_HEADER
    body = rows[1:]
    assert [r[0] for r in body] == ["1", "2", "3"]
    values = np.array([[float(v) for v in r[1:]] for r in body])
    assert np.all(np.isfinite(values))
    assert np.all((values[:, [1, 3]] >= 0) & (values[:, [1, 3]] <= 1))  # accuracies
    assert values[-1, 0] < values[0, 0]  # the training loss went down


def test_metrics_json_matches_a_numpy_evaluation_of_the_saved_model(run3):
    metrics = _read_json(run3 / "metrics.json")
    assert {"test_accuracy", "test_loss", "epochs", "seconds"} <= set(metrics)
    assert metrics["epochs"] == 3
    assert metrics["seconds"] > 0
    X_te, y_te = load_splits(Config(**_read_json(run3 / "config.json"))).test
    z = _numpy_logits(run3, X_te)
    zmax = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - zmax).sum(axis=1)) + zmax[:, 0]
    loss = float(np.mean(lse - z[np.arange(len(y_te)), y_te]))
    accuracy = float(np.mean(z.argmax(axis=1) == y_te))
    assert metrics["test_accuracy"] == pytest.approx(accuracy, abs=1.5 / len(y_te))
    assert metrics["test_loss"] == pytest.approx(loss, rel=1e-4)
    assert metrics["test_accuracy"] > 0.8  # three epochs are plenty for digits


def _raw_diabetes_splits():
    """The diabetes training targets and test split in the targets' own units, cut here from
    the raw data as the run cuts them (20% held out, then 10% of the rest for validation)."""
    from chainrule._run_setup import SPLIT_SEED

    split = cr.data.train_test_split
    bundle = cr.data.load_diabetes()
    X, X_te, y, y_te = split(bundle.X, bundle.y, 0.2, SPLIT_SEED)
    _, _, y_tr, _ = split(X, y, 0.1, SPLIT_SEED + 1)
    return y_tr.astype(np.float64), X_te, y_te.astype(np.float64)


def test_a_regression_run_reports_its_error_in_the_targets_units(tmp_path, capsys):
    run = _train(tmp_path / "diabetes", "--dataset", "diabetes", "--epochs", 5)
    metrics = _read_json(run / "metrics.json")
    assert set(metrics) == {"test_accuracy", "test_loss", "test_mse", "epochs", "seconds"}
    assert metrics["test_accuracy"] is None  # MSE: accuracy does not apply
    # predict's outputs are in the targets' units: their squared error against the raw test
    # targets is test_mse; the loss is that of the standardised target (over the variance)
    y_tr, X_te, y_te = _raw_diabetes_splits()
    np.save(tmp_path / "x.npy", X_te)
    code, out, _ = _cli_run(capsys, ["predict", run, tmp_path / "x.npy"])
    assert code == 0
    pred = np.array([float(v) for v in out.split()])
    assert metrics["test_mse"] == pytest.approx(np.mean((pred - y_te) ** 2), rel=1e-5)
    assert metrics["test_loss"] == pytest.approx(metrics["test_mse"] / y_tr.var(), rel=1e-9)
    code, out, _ = _cli_run(capsys, ["evaluate", run])
    assert json.loads(out) == {k: metrics[k] for k in ("test_loss", "test_mse")}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_fits_the_regression_at_its_default_rate(tmp_path, optimizer):
    # the diabetes targets (25-346) once made plain gradient descent diverge in 3 steps
    run = _train(tmp_path / optimizer, "--dataset", "diabetes", "--optimizer", optimizer)
    y_tr, _, y_te = _raw_diabetes_splits()
    guess = float(np.mean((y_te - y_tr.mean()) ** 2))  # always predicting the mean: ~5,900
    assert _read_json(run / "metrics.json")["test_mse"] < 0.65 * guess


def test_seconds_count_the_training_of_every_run_a_resume_continues(tmp_path):
    run = _train(tmp_path / "run", "--epochs", 2)
    first = cr.load(run / "model.safetensors")["seconds"]  # at the last checkpoint
    assert 0 < first <= _read_json(run / "metrics.json")["seconds"]
    assert _main(["train", "--resume", run, "--epochs", 2]) == 0  # nothing left to train
    assert _read_json(run / "metrics.json")["seconds"] >= first
    assert _main(["train", "--resume", run, "--epochs", 3]) == 0
    assert _read_json(run / "metrics.json")["seconds"] > first


def test_curves_png_is_written_when_matplotlib_is_installed(run3):
    pytest.importorskip("matplotlib")
    data = (run3 / "curves.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_checkpoint_loads_into_the_configured_model(run3):
    from chainrule._run_setup import build_model

    cfg = Config(**_read_json(run3 / "config.json"))
    model = build_model(cfg, 64, 10)
    training = cr.load(run3 / "model.safetensors", model)
    assert isinstance(training, dict)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, _model_tensors(run3)[f"model/{name}"])


def test_train_prints_a_summary(tmp_path, capsys):
    code, out, err = _cli_run(capsys, ["train", "--epochs", 2, "--out", tmp_path / "r"])
    assert code == 0
    assert "test accuracy" in out
    assert str(tmp_path / "r") in out
    assert err == ""  # no progress bar when stderr is not a terminal


def test_the_default_run_reaches_97_percent(tmp_path):
    # The acceptance target: `chainrule train` with no flag but --out is digits,
    # hidden 100, ReLU, He, Adam, 30 epochs (its time is measured by benchmarks/end_to_end)
    run = _train(tmp_path / "default")
    config = _read_json(run / "config.json")
    assert (config["dataset"], config["hidden"], config["epochs"]) == ("digits", [100], 30)
    assert (config["activation"], config["init"], config["optimizer"]) == ("relu", "he", "adam")
    metrics = _read_json(run / "metrics.json")
    assert metrics["epochs"] == 30
    assert metrics["test_accuracy"] >= 0.97
    assert len(_history_rows(run)) == 31


def test_chainrule_without_a_command_runs_train(monkeypatch):
    seen = []
    monkeypatch.setitem(_cli._COMMANDS, "train", lambda args: seen.append(args) or 0)
    assert _main([]) == 0
    assert len(seen) == 1
    assert seen[0].command == "train"


# ----- evaluate and predict -----------------------------------------------------------------
def test_evaluate_prints_the_test_metrics_as_json(run3, capsys):
    code, out, _ = _cli_run(capsys, ["evaluate", run3])
    assert code == 0
    result = json.loads(out)
    metrics = _read_json(run3 / "metrics.json")
    assert result["test_accuracy"] == metrics["test_accuracy"]
    assert result["test_loss"] == pytest.approx(metrics["test_loss"], rel=1e-12)


def _digits_rows(n=60):
    digits = cr.data.load_digits()
    return digits.X[:n].astype(np.float32), digits.y[:n]


def _expected_classes(run, raw):
    # images are scaled by the training split's largest pixel value (16 for digits)
    return _numpy_logits(run, raw / 16.0).argmax(axis=1)


def _predict_lines(capsys, run, path):
    code, out, err = _cli_run(capsys, ["predict", run, path])
    assert code == 0, err
    return [int(line) for line in out.split()]


@pytest.mark.parametrize("which", ["run3", "linear_run"])
@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_predict_prints_one_class_per_row(request, tmp_path, capsys, which, suffix):
    run = request.getfixturevalue(which)
    raw, labels = _digits_rows()
    path = tmp_path / f"inputs{suffix}"
    if suffix == ".npy":
        np.save(path, raw)
    else:
        np.savetxt(path, raw, delimiter=",", fmt="%g")
    expected = _expected_classes(run, raw)
    for _ in range(8):  # the same answer every time
        classes = _predict_lines(capsys, run, path)
        assert len(classes) == len(raw)
        assert np.mean(np.array(classes) == expected) >= 58 / 60  # float32 vs float64 ties
    assert np.mean(np.array(classes) == labels) >= 0.8


@pytest.mark.parametrize("dtype", [np.float16, np.int16, np.uint8, ">f8"])
def test_predict_reads_inputs_of_any_number_dtype_without_a_warning(
    linear_run, tmp_path, capsys, dtype
):
    raw, _ = _digits_rows()  # whole numbers 0..16: exact in each dtype
    path = tmp_path / "inputs.npy"
    np.save(path, raw.astype(dtype))
    assert _predict_lines(capsys, linear_run, path) == list(_expected_classes(linear_run, raw))


def test_predict_a_single_row_csv(linear_run, tmp_path, capsys):
    raw, _ = _digits_rows(1)
    path = tmp_path / "one.csv"
    np.savetxt(path, raw, delimiter=",", fmt="%g")
    assert _predict_lines(capsys, linear_run, path) == list(_expected_classes(linear_run, raw))


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("too_few_features.npy", lambda p: np.save(p, np.ones((3, 10), np.float32))),
        ("half_rows.npy", lambda p: np.save(p, np.ones((2, 32), np.float32))),
        ("half_rows.csv", lambda p: np.savetxt(p, np.ones((4, 32)), delimiter=",")),
        ("too_many.csv", lambda p: np.savetxt(p, np.ones((2, 65)), delimiter=",")),
        ("images.npy", lambda p: np.save(p, np.ones((2, 8, 8, 2), np.float32))),
    ],
)
def test_predict_rejects_rows_with_the_wrong_number_of_features(
    linear_run, tmp_path, capsys, name, make
):
    path = tmp_path / name
    make(path)
    code, out, err = _cli_run(capsys, ["predict", linear_run, path])
    line = _assert_one_line_error(code, err)
    assert "64" in line
    assert "feature" in line
    assert out == ""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("inputs.txt", b"1,2,3\n"),
        ("text.csv", b"a,b,c\n"),
        ("missing.npy", None),
        ("notnumpy.npy", b"this is not an npy file"),
    ],
)
def test_predict_rejects_malformed_input_files(linear_run, tmp_path, capsys, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, _, err = _cli_run(capsys, ["predict", linear_run, path])
    _assert_one_line_error(code, err)


def test_a_missing_input_file_is_named_with_the_reason_and_no_errno(linear_run, tmp_path, capsys):
    path = tmp_path / "missing.npy"
    code, _, err = _cli_run(capsys, ["predict", linear_run, path])
    line = _assert_one_line_error(code, err)
    assert line == f"chainrule predict: error: {path}: No such file or directory"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(2, "No such file or directory", "in.npy"), "in.npy: No such file or directory"),
        (
            OSError(18, "Invalid cross-device link", "a", None, "b"),
            "a -> b: Invalid cross-device link",
        ),
        (
            OSError(21, "cannot write model.safetensors: Is a directory"),
            "cannot write model.safetensors: Is a directory",
        ),
        (OSError("no errno at all"), "no errno at all"),
    ],
)
def test_an_os_error_is_shown_as_file_and_reason(error, expected):
    assert _cli._one_line(error) == expected


def test_predict_never_unpickles_an_npy_file(linear_run, tmp_path, capsys):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, [1, 2]], dtype=object), allow_pickle=True)
    code, _, err = _cli_run(capsys, ["predict", linear_run, path])
    _assert_one_line_error(code, err)


# ----- resuming -----------------------------------------------------------------------------
def _assert_same_run(run, ref):
    tensors, ref_tensors = _model_tensors(run), _model_tensors(ref)
    assert set(tensors) == set(ref_tensors)
    for key in ref_tensors:
        assert np.array_equal(tensors[key], ref_tensors[key]), key
    assert (run / "history.csv").read_bytes() == (ref / "history.csv").read_bytes()
    metrics, ref_metrics = _read_json(run / "metrics.json"), _read_json(ref / "metrics.json")
    for key in ("test_accuracy", "test_loss", "epochs"):
        assert metrics[key] == ref_metrics[key], key


def test_resume_with_more_epochs_matches_an_uninterrupted_run(run3, tmp_path):
    run = _train(tmp_path / "short", "--epochs", 1)
    assert len(_history_rows(run)) == 2
    assert _main(["train", "--resume", run, "--epochs", 3]) == 0
    _assert_same_run(run, run3)


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes_the_run(
    run3, tmp_path, capsys, monkeypatch, interrupt_at_step
):
    interrupt_at_step(5)
    run = tmp_path / "interrupted"
    code, _, err = _cli_run(capsys, ["train", "--epochs", 3, "--out", run])
    assert code == 130
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "interrupt" in err
    monkeypatch.undo()

    # the checkpoint is loadable and records the position: 4 batches into epoch 0
    from chainrule._run_setup import build_model

    model = build_model(Config(**_read_json(run / "config.json")), 64, 10)
    training = cr.load(run / "model.safetensors", model)
    assert training["position"]["epoch"] == 0
    assert training["position"]["batch"] == 4
    assert training["position"]["step"] == 4
    assert not (run / "metrics.json").exists()

    code, _, err = _cli_run(capsys, ["train", "--resume", run])
    assert code == 0, err
    _assert_same_run(run, run3)


def test_ctrl_c_in_a_later_epoch_resumes_exactly(
    run3, tmp_path, capsys, monkeypatch, interrupt_at_step
):
    interrupt_at_step(60)  # digits: 41 batches per epoch, so this is in epoch 1
    run = tmp_path / "interrupted"
    code, _, _ = _cli_run(capsys, ["train", "--epochs", 3, "--out", run])
    assert code == 130
    monkeypatch.undo()
    assert len(_history_rows(run)) == 2  # epoch 1 finished and was recorded
    assert _main(["train", "--resume", run]) == 0
    _assert_same_run(run, run3)


@pytest.mark.parametrize("dataset", ["diabetes", "iris"])
def test_ctrl_c_in_an_epoch_with_no_accuracy_yet_resumes_exactly(
    dataset, tmp_path, capsys, monkeypatch, interrupt_at_step
):
    # the running sums of the stopped epoch have no accuracy (None): a regression's never
    # do (diabetes: 10 batches an epoch, stopped in the first), and neither does an epoch
    # stopped before its first batch (iris: 4 batches an epoch, stopped as epoch 1 began)
    ref = _train(tmp_path / "straight", "--dataset", dataset, "--epochs", 2)
    interrupt_at_step(5)
    run = tmp_path / "interrupted"
    code, _, _ = _cli_run(capsys, ["train", "--dataset", dataset, "--epochs", 2, "--out", run])
    assert code == 130
    monkeypatch.undo()
    code, _, err = _cli_run(capsys, ["train", "--resume", run])
    assert code == 0, err
    _assert_same_run(run, ref)


@pytest.mark.parametrize(
    ("dataset", "optimizer"),
    [("wine", "sgd"), ("breast_cancer", "momentum"), ("digits", "nesterov"),
     ("iris", "adagrad"), ("diabetes", "rmsprop"), ("breast_cancer", "adamw")],
)  # fmt: skip
def test_ctrl_c_resumes_exactly_with_every_optimizer(
    dataset, optimizer, tmp_path, capsys, monkeypatch, interrupt_at_step
):
    # each optimizer's state (velocities, squared-gradient sums, step counts) goes through
    # the checkpoint mid-epoch, with batches of 64 (the last one short)
    flags = ["--dataset", dataset, "--optimizer", optimizer, "--epochs", 2, "--batch-size", 64]
    ref = _train(tmp_path / "straight", *flags)
    interrupt_at_step(3)
    run = tmp_path / "interrupted"
    code, _, _ = _cli_run(capsys, ["train", *flags, "--out", run])
    assert code == 130
    monkeypatch.undo()
    code, _, err = _cli_run(capsys, ["train", "--resume", run])
    assert code == 0, err
    _assert_same_run(run, ref)


def test_resume_refuses_a_changed_configuration(run3, capsys):
    code, _, err = _cli_run(capsys, ["train", "--resume", run3, "--lr", 0.5])
    line = _assert_one_line_error(code, err)
    assert "--force" in line


# ----- failures -----------------------------------------------------------------------------
def _under_a_file(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("I am a file")
    return blocker / "run"


FAILURES = {
    "unknown dataset": lambda t, run, bad: ["train", "--dataset", "nope", "--out", t / "o"],
    "unknown optimizer": lambda t, run, bad: ["train", "--optimizer", "nope", "--out", t / "o"],
    "unknown activation": lambda t, run, bad: ["train", "--activation", "nope", "--out", t / "o"],
    "zero hidden size": lambda t, run, bad: ["train", "--hidden", "100,0", "--out", t / "o"],
    "zero epochs": lambda t, run, bad: ["train", "--epochs", 0, "--out", t / "o"],
    "negative lr": lambda t, run, bad: ["train", "--lr", -1, "--out", t / "o"],
    "mnist files missing": lambda t, run, bad: [
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        t,
        "--out",
        t / "o",
    ],
    "unwritable --out": lambda t, run, bad: ["train", "--epochs", 1, "--out", _under_a_file(t)],
    "resume a missing run": lambda t, run, bad: ["train", "--resume", t / "missing"],
    "resume a corrupt run": lambda t, run, bad: ["train", "--resume", bad],
    "evaluate a missing run": lambda t, run, bad: ["evaluate", t / "missing"],
    "evaluate a corrupt checkpoint": lambda t, run, bad: ["evaluate", bad],
    "predict with a missing run": lambda t, run, bad: ["predict", t / "missing", t / "x.npy"],
    "predict with a corrupt checkpoint": lambda t, run, bad: ["predict", bad, t / "x.npy"],
    "evaluate on another dataset": lambda t, run, bad: ["evaluate", run, "--dataset", "iris"],
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_exit_1_with_one_line_and_no_traceback(case, run3, corrupt_run, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 64), np.float32))
    argv = FAILURES[case](tmp_path, run3, corrupt_run)
    code, _, err = _cli_run(capsys, argv)
    _assert_one_line_error(code, err)
    assert not (tmp_path / "o").exists()  # a failed start leaves no half-made run


def test_a_malformed_config_json(run3, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run3, run)
    (run / "config.json").write_text("{ not json")
    for argv in (["evaluate", run], ["train", "--resume", run]):
        code, _, err = _cli_run(capsys, argv)
        line = _assert_one_line_error(code, err)
        assert "config.json" in line


def test_a_bad_hidden_value_is_a_usage_error_without_traceback(tmp_path, capsys):
    code, _, err = _cli_run(capsys, ["train", "--hidden", "abc", "--out", tmp_path / "o"])
    assert code == 2
    assert "Traceback" not in err
    assert "--hidden" in err.strip().splitlines()[-1]
    assert not (tmp_path / "o").exists()


def test_debug_shows_the_exception(tmp_path, corrupt_run):
    with pytest.raises(ValueError, match="nope"):
        _cli.main(["--debug", "train", "--dataset", "nope", "--out", str(tmp_path / "o")])
    with pytest.raises(cr.CheckpointError):
        _cli.main(["--debug", "evaluate", str(corrupt_run)])


# ----- demo ---------------------------------------------------------------------------------
def _assert_apple_gradients(text):
    assert re.search(r"∂price/∂apple\s*=\s*2\.2\b", text), text
    assert re.search(r"∂price/∂count\s*=\s*110(\.0*)?\b", text), text
    assert re.search(r"∂price/∂tax\s*=\s*200(\.0*)?\b", text), text


def test_demo_prints_the_apple_graph_gradients(capsys):
    code, out, _ = _cli_run(capsys, ["demo"])
    assert code == 0
    _assert_apple_gradients(out)


def test_python_dash_m_chainrule_demo():
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "demo"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _assert_apple_gradients(result.stdout)


def test_drawing_the_curves_leaves_pyplots_backend_alone(tmp_path):
    # a notebook's backend must survive a run made from it: the curves are drawn on a
    # Figure of their own, never through pyplot
    pytest.importorskip("matplotlib")
    script = (
        "import matplotlib; matplotlib.use('svg'); from pathlib import Path; "
        "from chainrule._run_results import plot_curves; from chainrule import History; "
        "h = History(); h.append(0, {'loss': 1.0, 'accuracy': 0.5}); "
        f"drawn = plot_curves(Path({str(tmp_path / 'c.png')!r}), h); "
        "print(drawn, matplotlib.get_backend())"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "svg"]
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
