"""end_to_end: the default ``chainrule train`` run to its accuracy target (≥ 97% on the test
split), against the same model, data order and hyper-parameters in PyTorch.

Three figures: the command itself as a user runs it (a fresh process: start-up, imports,
a checkpoint after every epoch, the plot); the same training in process with `cr.fit`
(no files); and PyTorch's loop in process. The in-process pair alternates, and each
figure is the median of the runs.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import digits
from ._common import TORCH_MISSING, import_torch

COLUMNS = ["contender", "seconds", "test accuracy", "epochs to target", "seconds to target"]
PAUSE = 0.2  # seconds before each in-process run: the other library's threads stop spinning


def command(epochs: int | None = None) -> dict:
    """Wall time of ``python -m chainrule train`` in a fresh process, and its metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "chainrule", "train", "--out", tmp, "--no-progress"]
        if epochs is not None:
            args += ["--epochs", str(epochs)]
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        wall = time.perf_counter() - start
        metrics = json.loads((Path(tmp) / "metrics.json").read_text(encoding="utf-8"))
        with open(Path(tmp) / "history.csv", encoding="utf-8", newline="") as fh:
            val_accuracy = [float(row["val_accuracy"]) for row in csv.DictReader(fh)]
    first = next((i for i, a in enumerate(val_accuracy) if a >= digits.TARGET_ACCURACY), None)
    return {
        "seconds": wall,
        "test_accuracy": metrics["test_accuracy"],
        "loop_seconds": metrics["seconds"],
        "first_epoch_at_target": None if first is None else first + 1,
    }


def _median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (its accuracy and epochs come with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def run(quick: bool = False) -> dict:
    epochs, repeats, pause = (1, 1, 0.0) if quick else (None, 5, PAUSE)
    torch = import_torch()
    runs = {"command": [], "chainrule": [], "torch": []}
    for _ in range(repeats):
        time.sleep(pause)
        runs["chainrule"].append(digits.chainrule_run(epochs))
        if torch is not None:
            time.sleep(pause)
            runs["torch"].append(digits.torch_run(torch, epochs))
    for _ in range(1 if quick else 3):
        runs["command"].append(command(epochs))
    med = {k: _median_run(v) for k, v in runs.items() if v}
    names = {
        "command": "`chainrule train` (fresh process, files)",
        "chainrule": "chainrule cr.fit (in process)",
        "torch": "PyTorch (in process)",
    }
    rows = [
        [
            names[k],
            r["seconds"],
            r["test_accuracy"],
            r.get("first_epoch_at_target"),
            r.get("seconds_to_target"),
        ]
        for k, r in med.items()
    ]
    notes = [
        f"default configuration: {'1 epoch (quick)' if quick else '30 epochs'}, MLP 64-100-10, "
        "ReLU, He init, Adam lr 0.01, batch 32, validation after every epoch; target: "
        f"validation accuracy ≥ {digits.TARGET_ACCURACY:.0%} (epochs to target), test accuracy "
        "at the end",
        f"medians of {repeats} alternating in-process runs"
        f"{'' if quick else f', each after a {PAUSE} s pause'}; the command's own training loop "
        f"(with a checkpoint after every epoch) took {med['command']['loop_seconds']:.2f} s of "
        "its wall time, the rest is start-up, imports, data loading, the test and the plot",
    ]
    if "torch" in med:
        ratio = med["chainrule"]["seconds"] / med["torch"]["seconds"]
        notes.append(f"chainrule / PyTorch, in process: {ratio:.2f}")
    else:
        notes.append(TORCH_MISSING)
    return {
        "title": "end to end: the default `chainrule train` run (digits)",
        "columns": COLUMNS,
        "rows": rows,
        "notes": notes,
        "runs": runs,
        "median": med,
    }
