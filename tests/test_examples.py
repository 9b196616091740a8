"""The scripts in examples/ run as the README shows them, and fail cleanly on bad input."""

from __future__ import annotations

import gzip
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "compare_optimizers.py"
ROWS = ("GD", "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def _idx(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes, as MNIST's are."""
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return head + array.astype(np.uint8).tobytes()


def _write_mnist(root: Path, parts=("train-images", "train-labels", "t10k-images", "t10k-labels")):
    """Small MNIST-format files (raw, and the test images gzipped) with 120 / 20 samples."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images": rng.integers(0, 256, (120, 28, 28)),
        "train-labels": np.arange(120) % 10,
        "t10k-images": rng.integers(0, 256, (20, 28, 28)),
        "t10k-labels": np.arange(20) % 10,
    }
    root.mkdir()
    for part in parts:
        name = f"{part}-idx{3 if 'images' in part else 1}-ubyte"
        data = _idx(arrays[part])
        if part == "t10k-images":
            (root / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (root / name).write_bytes(data)


def test_compare_optimizers_prints_a_row_per_optimizer(tmp_path):
    done = _run("--epochs", "2", cwd=tmp_path)  # no ./data: the bundled digits
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("64-50-10 MLP")
    assert lines[0].endswith("1797 training samples of the bundled digits")
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == list(ROWS)
    for name, (_, _lr, loss, acc, _seconds) in rows.items():
        assert math.isfinite(float(loss)), name
        assert 0 < float(loss) < math.log(10) + 0.5, name  # below or near chance level
        assert acc.endswith("%"), name
    assert float(rows["Adam"][2]) < float(rows["GD"][2])  # mini-batches beat one step an epoch


def test_compare_optimizers_rejects_bad_input_in_one_line():
    for args, message in (
        (("--epochs", "0"), "a positive number of epochs, got '0'"),
        (
            ("--mnist", "/nonexistent-dir"),
            "/nonexistent-dir/train-images-idx3-ubyte[.gz] not found; pass --download to fetch it",
        ),
    ):
        done = _run(*args)
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_compare_optimizers_download_with_the_files_there_fetches_nothing(tmp_path):
    _write_mnist(tmp_path / "mnist")  # all four present: load_mnist has nothing to fetch
    done = _run("--epochs", "1", "--mnist", str(tmp_path / "mnist"), "--download")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith(
        f"samples of MNIST-format files from {tmp_path / 'mnist'}"
    )


def test_compare_optimizers_uses_mnist_when_its_four_files_are_in_data(tmp_path):
    _write_mnist(tmp_path / "data")
    done = _run("--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == (
        "784-50-10 MLP, ReLU, softmax cross-entropy, 1 epoch, 120 training samples of "
        "MNIST-format files from data"
    )
    assert [line.split()[0] for line in lines[2:]] == list(ROWS)


def test_compare_optimizers_takes_the_digits_unless_all_four_mnist_files_are_there(tmp_path):
    _write_mnist(tmp_path / "data", parts=("train-images", "train-labels", "t10k-images"))
    done = _run("--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("64-50-10 MLP")
    assert "1797 training samples of the bundled digits" in done.stdout.splitlines()[0]


def test_compare_optimizers_mnist_flag_names_the_directory(tmp_path):
    _write_mnist(tmp_path / "elsewhere")
    done = _run("--epochs", "1", "--mnist", str(tmp_path / "elsewhere"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("784-50-10 MLP")
    where = tmp_path / "elsewhere"
    assert f"120 training samples of MNIST-format files from {where}" in done.stdout


# ----- the four teaching examples --------------------------------------------------------------
EXAMPLES = SCRIPT.parent


def _example(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _ok(name: str, *args: str, cwd: Path | None = None) -> str:
    done = _example(name, *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no warnings either
    return done.stdout


def _number(line: str, after: str) -> float:
    """The number that follows ``after`` in ``line`` (a trailing % divides by 100)."""
    word = line.split(after, 1)[1].split()[0].rstrip(",;)")
    return float(word.rstrip("%")) / 100 if word.endswith("%") else float(word)


def test_custom_function_checks_its_op_and_trains_with_it():
    lines = _ok("custom_function.py", "--epochs", "30", "--seed", "1").splitlines()
    tails, check, losses, accuracy = lines
    assert tails == "softplus(-1000) = 0, softplus(1000) = 1000"  # stable: no inf, no warning
    assert check.startswith("gradcheck passed (first and second order)")
    # the engine's second derivative of softplus at 0.5 against σ(1 − σ) computed by hand
    second, by_hand = _number(check, "softplus''(0.5) ="), _number(check, "σ(1 − σ) =")
    s = 1 / (1 + math.exp(-0.5))
    assert second == by_hand == round(s * (1 - s), 8)
    assert _number(losses, "last") < _number(losses, "first epoch") / 10
    assert _number(accuracy, "test accuracy:") >= 0.9  # 3 classes: chance is about 0.4


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_training_loop_learns_with_each_optimizer_and_its_checkpoint_reloads(optimizer, tmp_path):
    out = _ok("training_loop.py", "--optimizer", optimizer, "--epochs", "2", cwd=tmp_path)
    *epochs, saved = out.splitlines()
    assert [line.split()[:2] for line in epochs] == [["epoch", "1"], ["epoch", "2"]]
    losses = [_number(line, "loss") for line in epochs]
    assert losses[1] < losses[0]
    assert _number(epochs[-1], "test accuracy") >= 0.85  # 10 classes: chance is 0.1
    assert saved == "saved digits.safetensors (epoch 2); reloaded model agrees: True"
    assert (tmp_path / "digits.safetensors").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["digits.safetensors"]  # no temporary left


def test_training_loop_checkpoint_holds_the_trained_model(tmp_path):
    import chainrule as cr

    _ok("training_loop.py", "--epochs", "3", "--checkpoint", "ck.safetensors", cwd=tmp_path)
    model = cr.nn.Sequential(cr.nn.Linear(64, 100), cr.nn.ReLU(), cr.nn.Linear(100, 10))
    assert cr.load(tmp_path / "ck.safetensors", model) == {"epoch": 3}
    digits = cr.data.load_digits()
    accuracy = np.mean(cr.predict(model, digits.X / 16).argmax(axis=1) == digits.y)
    assert accuracy >= 0.93  # the weights are the trained ones, not a fresh model's


def test_regression_mse_falls_and_the_rate_follows_the_schedule():
    lines = _ok("regression.py", "--epochs", "12").splitlines()
    assert lines[0].split() == ["epoch", "lr", "train", "MSE", "test", "MSE"]
    rows = [line.split() for line in lines[1:-1]]
    assert [int(r[0]) for r in rows] == list(range(13))  # row 0: before training
    rates = [float(r[1]) for r in rows[1:]]
    assert rates == [0.005] * 10 + [0.0025] * 2  # StepLR halves it after 10 epochs
    train, test = [float(r[2]) for r in rows], [float(r[3]) for r in rows]
    assert train[-1] < train[0] / 2
    assert train[-1] < 0.6  # 1 is the MSE of predicting the mean
    assert test[-1] < 0.8
    assert lines[-1].startswith("test RMSE in the target's units: ")
    assert _number(lines[-1], "units:") < _number(lines[-1], "target std")


def test_backward_by_hand_prints_the_trace_and_agrees_with_a_finite_difference():
    out = _ok("backward_by_hand.py", "--x", "-1.5", "--target", "0", "--lr", "0.5")
    # the gradient worked out here: ∂E/∂w = 2(y − t) · y(1 − y) · x
    y = 1 / (1 + math.exp(-(0.5 * -1.5 + 0.1)))
    expected = f"{2 * y * y * (1 - y) * -1.5:.8f}"
    assert out.startswith("Backward pass of E = ")
    assert f"∂E/∂w = {expected}\n" in out  # the table's list of leaf gradients
    assert "∂E/∂w = ∂E/∂y × ∂y/∂z × ∂z/∂w" in out  # the transcript's chain
    assert f"engine: ∂E/∂w = {expected} ✓" in out
    assert out.splitlines()[-1] == (
        f"finite difference: ∂E/∂w ≈ {expected}; engine: {expected}; agree"
    )


@pytest.mark.parametrize(
    ("script", "args", "status", "message"),
    [
        ("custom_function.py", ("--epochs", "0"), 2, "--epochs must be at least 1, got 0"),
        ("training_loop.py", ("--optimizer", "lbfgs"), 2, "invalid choice: 'lbfgs'"),
        ("regression.py", ("--epochs", "ten"), 2, "invalid int value: 'ten'"),
        ("backward_by_hand.py", ("--x", "nan"), 2, "must be finite numbers"),
        ("transformer_reverse.py", ("--epochs", "-1"), 2, "--epochs must be at least 1, got -1"),
        (
            "training_loop.py",
            ("--epochs", "1", "--checkpoint", "/nonexistent-dir/ck.safetensors"),
            1,
            "training_loop.py: cannot save the checkpoint: ",
        ),
    ],
    ids=[
        "custom-epochs",
        "loop-optimizer",
        "regression-epochs",
        "by-hand-nan",
        "transformer-epochs",
        "loop-save",
    ],
)
def test_the_examples_refuse_bad_input_in_one_line(script, args, status, message):
    done = _example(script, *args)
    assert done.returncode == status
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]  # argparse puts its usage line before it
    assert message in last
    errors = [line for line in done.stderr.splitlines() if "error" in line or "cannot" in line]
    assert errors == [last]


def test_sequence_lstm_learns_the_adding_problem_beyond_chance():
    lines = _ok("sequence_lstm.py").splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["epoch", str(e)] for e in range(1, 13)]
    assert _number(lines[-1], "test accuracy") >= 0.85  # two classes: chance is 0.5


def test_transformer_reverse_learns_to_reverse_whole_sequences():
    lines = _ok("transformer_reverse.py", "--epochs", "5").splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["epoch", str(e)] for e in range(1, 6)]
    # ten symbols: chance is 0.1 a symbol and 1e-8 a sequence of eight
    assert _number(lines[-1], "test accuracy") >= 0.95
    assert float(lines[-1].split(", ")[1].split("%")[0]) >= 90


def test_transformer_reverse_targets_are_the_mirrored_symbols():
    sys.path.insert(0, str(EXAMPLES))
    try:
        from transformer_reverse import LENGTH, SYMBOLS, reversal
    finally:
        sys.path.remove(str(EXAMPLES))
    X, Y = reversal(20, np.random.default_rng(3))
    assert X.shape == Y.shape == (20, LENGTH)
    assert X.max() < SYMBOLS
    for x, y in zip(X, Y):
        assert [int(y[i]) for i in range(LENGTH)] == [int(x[LENGTH - 1 - i]) for i in range(LENGTH)]


def test_sequence_lstm_labels_are_the_marked_sum_worked_by_hand():
    sys.path.insert(0, str(EXAMPLES))
    try:
        from sequence_lstm import STEPS, adding_problem
    finally:
        sys.path.remove(str(EXAMPLES))
    X, y = adding_problem(50, np.random.default_rng(3))
    assert X.shape == (STEPS, 50, 2)
    assert np.array_equal(X[:, :, 1].sum(axis=0), np.full(50, 2))  # two marks each
    for i in range(50):
        marked = [X[t, i, 0] for t in range(STEPS) if X[t, i, 1] == 1]
        assert y[i] == int(float(marked[0]) + float(marked[1]) > 1)
