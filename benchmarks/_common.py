"""What every benchmark shares: interleaved timing, the check that contenders do the same
work, the machine, the BLAS peak, PyTorch.

Machines that run this are shared and noisy, so contenders are never timed one after the
other: they alternate (A B C A B C ...) within one run, each sample is the mean of a block
of calls, and results are medians of those samples. A block mean keeps the occasional slow
call (a garbage-collector pass, say) in the figure, as a user would see it; the median
over blocks drops the noise of other processes.
"""

from __future__ import annotations

import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata

import numpy as np


def interleaved(
    contenders: dict[str, Callable[[], object]],
    rounds: int,
    block: int = 1,
    warmup: int = 1,
    pause: float = 0.0,
) -> dict[str, list[float]]:
    """Seconds per call of each contender, one sample per round: the mean of a block of
    calls, the contenders' blocks alternating within each round.

    ``pause`` seconds of sleep before each block, followed by one untimed call, let the
    previous contender's thread pool go idle: BLAS and OpenMP threads spin for a while
    after their work ends, which would otherwise steal the cores from the next contender.
    """
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            if pause:
                time.sleep(pause)
                fn()
            start = time.perf_counter()
            for _ in range(block):
                fn()
            samples[name].append((time.perf_counter() - start) / block)
    return samples


def medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(s) for name, s in samples.items()}


def paired_ratio(samples: dict[str, list[float]], a: str, b: str) -> float:
    """Median over rounds of a's time / b's time in the same round: the two blocks ran
    back to back, so slow changes in the machine's load cancel out."""
    return statistics.median(x / y for x, y in zip(samples[a], samples[b]))


def timing_note(rounds: int, contenders: str, pause: float) -> str:
    """The note saying how a table's times and ratios were taken by `interleaved`."""
    paused = (
        f", each block after a {pause} s pause and an untimed step (so that no library's "
        "spinning threads slow the next)"
        if pause
        else ""
    )
    return (
        f"times: medians of {rounds} rounds of blocks of steps, {contenders} in turn{paused}; "
        "ratios: medians of the per-round ratios"
    )


# ----- the same work --------------------------------------------------------------------------
def loop_step(model, loss_fn, opt) -> Callable:
    """step(x, labels) -> loss as a Python float: one step of a user's training loop
    (zero_grad, forward and loss, backward, optimizer step) with the public API."""

    def step(x, labels):
        opt.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def cycling(step, batches):
    """A zero-argument callable running ``step`` on the next batch of the cycle."""
    batches = itertools.cycle(batches)
    return lambda: step(*next(batches))


def loss_agreement(
    contenders: dict[str, Callable[[], float]], reference: str, steps: int = 3
) -> float:
    """Largest relative difference between each contender's losses over its first steps
    and the reference's: from the same weights and batches, evidence of the same work."""
    losses = {name: np.array([fn() for _ in range(steps)]) for name, fn in contenders.items()}
    ref = losses[reference]
    return max(float(np.max(np.abs(v - ref) / np.abs(ref))) for v in losses.values())


def require_agreement(agree: float, limit: float, where: str) -> None:
    """Refuse to time contenders whose losses differ by more than ``limit``: they would not
    be timing the same work."""
    if not agree <= limit:  # NaN is refused too
        raise RuntimeError(
            f"{where}: the contenders' losses differ by {agree:.3g} (relative) over their "
            f"first steps, more than {limit:g}"
        )


def agreement_note(agree: float, steps: int = 3) -> str:
    """The note reporting `loss_agreement`."""
    return (
        f"the contenders' losses over their first {steps} steps from the same weights agree "
        f"to {agree:.1g} (relative)"
    )


# ----- the machine --------------------------------------------------------------------------
def blas_threads() -> int:
    """Threads NumPy's BLAS uses (threadpoolctl when installed, else the usual variables)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    if hasattr(os, "sched_getaffinity"):  # OpenBLAS counts the CPUs this process may use
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """What the figures depend on: CPU, cores, BLAS threads, Python, NumPy, PyTorch."""
    return {
        "cpu": cpu_name(),
        "logical_cpus": os.cpu_count(),
        "blas_threads": blas_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "torch": _version("torch"),  # not imported here: it would load 10⁵ objects for the GC
        "platform": platform.platform(terse=True),
    }


def matmul_peak(quick: bool = False) -> float:
    """Measured float32 matrix-multiply peak of this machine in GFLOP/s (best of a few)."""
    best = 0.0
    rng = np.random.default_rng(0)
    for n in (256,) if quick else (512, 1024, 2048):
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        out = np.empty((n, n), np.float32)
        np.matmul(a, b, out=out)  # warm-up
        reps = 2 if quick else max(3, int(2e10 / n**3))
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(reps):
                np.matmul(a, b, out=out)
            best = max(best, 2 * n**3 * reps / (time.perf_counter() - start) / 1e9)
    return best


def _blas() -> str | None:
    """NumPy's BLAS as its build describes it, e.g. "OpenBLAS 0.3.31 ... DYNAMIC_ARCH ..."."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):  # an older NumPy, or a build that does not say
        return None
    about = blas.get("openblas configuration") or f"{blas.get('name')} {blas.get('version')}"
    return " ".join(about.split())


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


# ----- PyTorch, when installed --------------------------------------------------------------
TORCH_MISSING = (
    "PyTorch is not installed (or does not import): its columns are skipped "
    "(make bench-torch installs a CPU build)"
)


def import_torch():
    """The torch module, set to BLAS's thread count, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(blas_threads())
    return torch


# ----- output --------------------------------------------------------------------------------
def table(columns: list[str], rows: list[list]) -> str:
    """A plain-text table: numbers right-aligned, text left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def _cell(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)
