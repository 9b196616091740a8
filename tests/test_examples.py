"""The scripts in examples/ run as the README shows them, and fail cleanly on bad input."""

from __future__ import annotations

import gzip
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

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
        (("--mnist", "/nonexistent-dir"), "mnist: /nonexistent-dir/train-images-idx3-ubyte"),
    ):
        done = _run(*args)
        assert done.returncode == 2
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_compare_optimizers_uses_mnist_when_its_four_files_are_in_data(tmp_path):
    _write_mnist(tmp_path / "data")
    done = _run("--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == (
        "784-50-10 MLP, ReLU, softmax cross-entropy, 1 epochs, 120 training samples of "
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
