"""kernels: the training step's pieces, hand-written NumPy against PyTorch.

The training_step benchmark compares whole steps. This one times the pieces a step of the
MLP 784-256-256-10 is made of, each written the fastest way in each library, to show where
a NumPy library stands against PyTorch before any graph bookkeeping: the matrix products
(NumPy calls its BLAS, PyTorch its own kernels), the SGD update of the largest weight
(NumPy needs two passes, g·η then w − that, on one core; PyTorch has a fused ``add_``
that runs on every thread it has), and ReLU forward and backward.

Every kernel alternates NumPy and PyTorch blocks with a pause before each (spinning thread
pools, see `_common.interleaved`); the update is also timed with PyTorch on one thread, to
tell its fused kernel from its threads. Without PyTorch the NumPy column stands alone.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from ._common import TORCH_MISSING, import_torch, interleaved, medians, paired_ratio

BATCH, LR = 512, 0.01
ROUNDS, PAUSE = 15, 0.1
COLUMNS = ["kernel", "shapes", "NumPy µs", "PyTorch µs", "NumPy/PyTorch"]


def kernels(batch: int, rng: np.random.Generator) -> list[tuple[str, str, dict]]:
    """(name, shapes, kernel): a kernel holds NumPy's arrays and function (``numpy``,
    ``numpy_args``) and PyTorch's (``torch``, ``torch_args``: the same values, laid out
    as PyTorch's own step has them -- `nn.Linear` keeps W as (out, in))."""

    def a(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    x, w1, w2 = a(batch, 784), a(784, 256), a(256, 256)
    g, h = a(batch, 256), a(batch, 256)
    return [
        (
            "forward product, layer 1",
            f"({batch},784)·(784,256)",
            _kernel(np.matmul, (x, w1), lambda x, wt: x @ wt.T, (x, w1.T)),
        ),
        (
            "dW, layer 1",
            f"({batch},784)ᵀ·({batch},256)",
            _kernel(lambda x, g: x.T @ g, (x, g), lambda x, g: g.T @ x, (x, g)),
        ),
        (
            "dX, layer 2",
            f"({batch},256)·(256,256)ᵀ",
            _kernel(lambda g, w: g @ w.T, (g, w2), lambda g, wt: g @ wt, (g, w2.T)),
        ),
        ("SGD update of W1", "(784,256)", _update(a(784, 256), a(784, 256))),
        ("ReLU forward", f"({batch},256)", _kernel(_relu, (h,), lambda h: h.relu(), (h,))),
        (
            "ReLU backward",
            f"({batch},256)",
            _kernel(lambda g, h: g * (h > 0), (g, h), _torch_relu_backward, (g, h)),
        ),
    ]


def _kernel(numpy_fn, numpy_args, torch_fn, torch_args) -> dict:
    return {
        "numpy": numpy_fn,
        "numpy_args": numpy_args,
        "torch": torch_fn,
        "torch_args": torch_args,
    }


def _relu(h):
    return np.maximum(h, 0)


def _torch_relu_backward(g, h):
    """The kernel PyTorch's autograd runs for ReLU's backward."""
    import torch

    return torch.ops.aten.threshold_backward.default(g, h, 0.0)


def _update(w, g) -> dict:
    """W ← W − η·g: NumPy scales the gradient in place (the hand-written step's way; a
    library cannot, as the user holds ``.grad``), PyTorch fuses both into one pass. The
    NumPy version scales by η and by 1/η in turn, so that repeated calls do not shrink
    the gradient into subnormal numbers (which are slow)."""
    scales = itertools.cycle([np.float32(LR), np.float32(1 / LR)])

    def numpy_update(w, g):
        g *= next(scales)
        w -= g

    return _kernel(numpy_update, (w, g), lambda w, g: w.add_(g, alpha=-LR), (w, g))


def run(quick: bool = False) -> dict:
    torch = import_torch()
    batch = 8 if quick else BATCH
    rows, results = [], []
    for name, shapes, k in kernels(batch, np.random.default_rng(0)):
        r = measure(k, torch, quick)
        results.append({"kernel": name, "shapes": shapes, **r})
        rows.append(_row(name, shapes, r))
        if name.startswith("SGD update") and torch is not None:
            name = f"{name}, PyTorch on 1 thread"
            r = measure(k, torch, quick, torch_threads=1)
            results.append({"kernel": name, "shapes": shapes, **r})
            rows.append(_row(name, shapes, r))
    notes = [
        f"batch {batch}, float32; medians of {2 if quick else ROUNDS} rounds of ~20 ms blocks, "
        f"NumPy and PyTorch in turn{'' if quick else f', each block after a {PAUSE} s pause'}",
        "NumPy/PyTorch above 1: PyTorch's kernel is faster; the NumPy figures are the floor "
        "under any library built on NumPy (its own work comes on top)",
    ]
    if torch is None:
        notes.append(TORCH_MISSING)
    return {
        "title": "kernels: the training step's pieces, NumPy against PyTorch",
        "columns": COLUMNS,
        "rows": rows,
        "notes": notes,
        "results": results,
    }


def measure(kernel: dict, torch=None, quick: bool = False, torch_threads: int | None = None):
    """Median µs per call of the NumPy and (when installed) the PyTorch version."""
    arrays = [a.copy() for a in kernel["numpy_args"]]
    contenders = {"numpy": _bound(kernel["numpy"], arrays)}
    if torch is not None:
        tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in kernel["torch_args"]]
        contenders["torch"] = _bound(kernel["torch"], tensors)
    block = 2 if quick else _block(contenders["numpy"])
    rounds, pause = (2, 0.0) if quick else (ROUNDS, PAUSE)
    previous = torch.get_num_threads() if torch is not None else None
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    try:
        samples = interleaved(contenders, rounds, block, warmup=3, pause=pause)
    finally:
        if previous is not None:
            torch.set_num_threads(previous)
    out = {"median_us": {k: v * 1e6 for k, v in medians(samples).items()}, "block": block}
    if "torch" in samples:
        out["ratio"] = paired_ratio(samples, "numpy", "torch")
    return out


def _row(name: str, shapes: str, r: dict) -> list:
    us = r["median_us"]
    return [name, shapes, us["numpy"], us.get("torch"), r.get("ratio")]


def _bound(fn, args):
    return lambda: fn(*args)


def _block(fn, seconds: float = 0.02) -> int:
    """Calls per block: about ``seconds`` of the NumPy version."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    return max(4, int(seconds / once))
