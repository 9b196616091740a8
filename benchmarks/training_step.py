"""training_step: one SGD step of the MLP 784-256-256-10 (see `mlp`) at batch 32, 128 and
512, chainrule against hand-written NumPy (the limit) and PyTorch on the CPU, and against
its own nodes replayed without the graph (the floor of a recorded-step mode).

Reports median milliseconds per step, the ratios chainrule/NumPy and chainrule/PyTorch,
and the GFLOP/s each achieves in its matrix products against the machine's measured
float32 matmul peak.
"""

from __future__ import annotations

from . import mlp
from ._common import (
    TORCH_MISSING,
    agreement_note,
    import_torch,
    interleaved,
    matmul_peak,
    medians,
    paired_ratio,
    require_agreement,
    timing_note,
)

ROUNDS, PAUSE = 40, 0.2
AGREEMENT = 1e-4  # largest relative loss difference accepted (float32 sums differ ~1e-7)
COLUMNS = [
    "batch",
    "chainrule ms",
    "NumPy ms",
    "PyTorch ms",
    "cr/NumPy",
    "cr/PyTorch",
    "cr GFLOP/s",
    "NumPy GFLOP/s",
    "PyTorch GFLOP/s",
    "replayed ms",
    "cr/replayed",
]


def run(quick: bool = False) -> dict:
    torch = import_torch()
    peak = matmul_peak(quick)
    results, rows = [], []
    for batch in (4,) if quick else (32, 128, 512):
        r = measure(batch, torch, quick)
        results.append(r)
        ms = r["median_ms"]
        gflops = {k: r["matmul_flops"] / (v * 1e-3) / 1e9 for k, v in ms.items()}
        rows.append(
            [
                batch,
                ms["chainrule"],
                ms["numpy"],
                ms.get("torch"),
                r["ratio_numpy"],
                r.get("ratio_torch"),
                gflops["chainrule"],
                gflops["numpy"],
                gflops.get("torch"),
                ms["replayed"],
                r["ratio_replayed"],
            ]
        )
    notes = [
        f"float32 matmul peak of this machine: {peak:.0f} GFLOP/s (best of square products)",
        "GFLOP/s counts the matrix products only (forward, dW, dX)",
        "replayed: chainrule's own nodes (Affine, ReLU, SoftmaxWithLoss) and SGD called in "
        "order on arrays, without Tensors, graph or engine: the floor of a mode that "
        "replays a recorded step; cr/replayed is what such a mode could save at most",
        agreement_note(max(r["loss_agreement"] for r in results)),
        timing_note(
            2 if quick else ROUNDS,
            "chainrule, NumPy, the replayed nodes and PyTorch",
            0.0 if quick else PAUSE,
        ),
    ]
    if torch is None:
        notes.append(TORCH_MISSING)
    return {
        "title": "training step: MLP 784-256-256-10, ReLU, softmax cross-entropy, SGD, float32",
        "columns": COLUMNS,
        "rows": rows,
        "notes": notes,
        "matmul_peak_gflops": peak,
        "results": results,
    }


def measure(batch: int, torch=None, quick: bool = False) -> dict:
    """Median ms per step of each contender at one batch size, timed interleaved."""
    p = mlp.problem(batch)
    agree = mlp.agreement(p, torch)
    require_agreement(agree, AGREEMENT, f"training_step, batch {batch}")
    block = 2 if quick else max(4, 4096 // batch)  # 4,096 rows: ~35-150 ms per block here
    rounds, warmup, pause = (2, 2, 0.0) if quick else (ROUNDS, 20, PAUSE)
    samples = interleaved(mlp.contenders(p, torch), rounds, block, warmup, pause)
    ms = {k: v * 1e3 for k, v in medians(samples).items()}
    out = {
        "batch": batch,
        "median_ms": ms,
        "ratio_numpy": paired_ratio(samples, "chainrule", "numpy"),
        "ratio_replayed": paired_ratio(samples, "chainrule", "replayed"),
        "matmul_flops": p.matmul_flops(),
        "loss_agreement": agree,
        "steps_timed": rounds * block,
        "samples_ms": {k: [t * 1e3 for t in v] for k, v in samples.items()},
    }
    if "torch" in ms:
        out["ratio_torch"] = paired_ratio(samples, "chainrule", "torch")
    return out
