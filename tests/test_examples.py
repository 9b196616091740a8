"""The scripts in examples/ run as the README shows them, and fail cleanly on bad input."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "compare_optimizers.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_compare_optimizers_prints_a_row_per_optimizer():
    done = _run("--epochs", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("64-50-10 MLP")
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == ["GD", "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"]
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
