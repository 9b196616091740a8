"""anomaly: what `cr.detect_anomaly()` costs, and that it costs nothing when off.

Two workloads, each timed with anomaly mode off and on, interleaved (off, on, off, on ...):

- one SGD training step of the MLP 784-256-256-10 (see `mlp`) at batch 128, float32;
- the scalar chain of `engine_overhead` (0-d float64, ``y·a + b`` repeated), forward and
  backward, where the per-op checks weigh most against NumPy's tiny work.

On: every op's output is checked for NaN/inf, every recorded node remembers the line of
user code that created it and copies the arrays it saved, and backward compares those
copies and checks every gradient. Off: one flag test per op and one per backward call.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

from . import mlp
from ._common import interleaved, medians, paired_ratio

COLUMNS = ["workload", "size", "off ms", "on ms", "on/off"]
BATCH = 128


def training_step_contenders(batch: int) -> tuple[dict, float]:
    """The same step twice (same weights, same batches), off and on; and the largest
    difference between their losses over a few steps (0: anomaly mode changes nothing)."""
    p = mlp.problem(batch)
    off, on_step = mlp.contenders(p)["chainrule"], mlp.contenders(p)["chainrule"]

    def on():
        with cr.detect_anomaly():
            return on_step()

    difference = max(abs(off() - on()) for _ in range(3))
    return {"off": off, "on": on}, difference


def chain(n: int) -> float:
    """Forward and backward of the scalar chain of n ops; returns the input's gradient."""
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    y = x
    for i in range(n):
        y = y * 1.0000001 if i % 2 == 0 else y + 1e-9
    y.backward()
    return float(x.grad)


def chain_contenders(n: int) -> dict:
    def on():
        with cr.detect_anomaly():
            return chain(n)

    return {"off": lambda: chain(n), "on": on}


def run(quick: bool = False) -> dict:
    batch, n_chain = (4, 200) if quick else (BATCH, 10_000)
    rounds, block = (2, 1) if quick else (20, 4)
    steps, difference = training_step_contenders(batch)
    cases = [
        ("training step, MLP 784-256-256-10", f"batch {batch}", steps),
        ("scalar chain, forward + backward", f"{n_chain} ops", chain_contenders(n_chain)),
    ]
    rows, results = [], []
    for name, size, contenders in cases:
        samples = interleaved(contenders, rounds, block, warmup=1 if quick else 3)
        ms = {k: v * 1e3 for k, v in medians(samples).items()}
        ratio = paired_ratio(samples, "on", "off")
        rows.append([name, size, ms["off"], ms["on"], ratio])
        results.append({"workload": name, "size": size, "median_ms": ms, "ratio": ratio})
    return {
        "title": "anomaly mode: cost of cr.detect_anomaly() on and off",
        "columns": COLUMNS,
        "rows": rows,
        "notes": [
            f"medians of {rounds} rounds of blocks of {block} calls, off and on in turn; "
            "on/off: median of the per-round ratios",
            f"training losses with anomaly mode on and off differ by {difference:.3g} "
            "(the checks change no value)",
            "off costs one flag test per op and one per backward call: compare the "
            "engine_overhead and training_step tables with and without this change",
        ],
        "loss_difference": float(np.float64(difference)),
        "results": results,
    }
