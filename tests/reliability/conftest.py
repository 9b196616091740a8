"""Shared helpers for the reliability tests (docs/reliability.md reports their figures).

- `FIGURES`: counters the tests fill in (hostile inputs per parser, documented errors,
  other exceptions, peak memory), printed in one block at the end of the run.
- `peak_memory(fn)`: the peak of Python-tracked allocations (NumPy reports its buffers to
  tracemalloc) while ``fn`` runs, and what ``fn`` returned or raised.
- `chainrule_cmd()`, `subprocess_env()`: the `chainrule` command in a subprocess, with
  BLAS pinned to one thread so that runs are bit-for-bit repeatable.
- Tests marked ``slow`` (long fuzzing) are skipped unless ``-m slow`` is given or
  ``CHAINRULE_SLOW=1`` is set; CI runs the short, seeded versions.
"""

from __future__ import annotations

import os
import re
import sys
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import chainrule as cr

# Test modules import these helpers as `from reliability_conftest import ...`: every
# conftest.py in the tree is imported under the one name `conftest` (tests/data has one
# too), so `from conftest import` could find the wrong one, depending on collection order.
sys.modules["reliability_conftest"] = sys.modules[__name__]

HERE = Path(__file__).resolve().parent
BLAS_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: figure name -> Counter; "peak:" keys keep a maximum instead of a sum
FIGURES: dict[str, Counter] = defaultdict(Counter)


def fuzz_settings(max_examples: int) -> settings:
    """Hypothesis settings for a fuzz target: the same cases on every run, no database."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ----- figures --------------------------------------------------------------------------------
def record(parser: str, outcome: str, peak: int | None = None, size: int | None = None) -> None:
    """Count one hostile input for ``parser`` and keep the worst peak memory seen."""
    fig = FIGURES[parser]
    fig["inputs"] += 1
    fig[outcome] += 1
    if peak is not None:
        fig["peak bytes"] = max(fig["peak bytes"], peak)
        if size and size >= 64 << 10:  # for small files the constant overhead dominates
            ratio = round(peak / size, 1)
            fig["peak / file size (files >= 64 KiB)"] = max(
                fig["peak / file size (files >= 64 KiB)"], ratio
            )


def note(figure: str, **values) -> None:
    """Record named values (e.g. run times) for the summary block."""
    FIGURES[figure].update(values)


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "reliability figures (docs/reliability.md)")
    for name in sorted(FIGURES):
        values = ", ".join(f"{k}={v}" for k, v in sorted(FIGURES[name].items()))
        terminalreporter.write_line(f"{name}: {values}")


# ----- memory ---------------------------------------------------------------------------------
def peak_memory(fn: Callable[[], object]) -> tuple[int, object, BaseException | None]:
    """(peak traced bytes, result, exception) of calling ``fn`` under tracemalloc."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result, error = None, None
    try:
        result = fn()
    except Exception as e:  # returned to the caller, which checks its type
        error = e
    peak = tracemalloc.get_traced_memory()[1] - base
    if not was_tracing:
        tracemalloc.stop()
    return peak, result, error


# ----- models and checkpoints -----------------------------------------------------------------
def small_model(hidden: int = 4, seed: int = 0) -> cr.nn.Sequential:
    cr.manual_seed(seed)
    return cr.nn.Sequential(cr.nn.Linear(3, hidden), cr.nn.ReLU(), cr.nn.Linear(hidden, 2))


def trained(hidden: int = 4, seed: int = 0, steps: int = 2):
    """A small model and an Adam optimizer that has state (moments, step counts)."""
    model = small_model(hidden, seed)
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = cr.tensor(rng.normal(size=(5, 3)).astype(np.float32))
        loss = cr.nn.SoftmaxCrossEntropy()(model(x), rng.integers(0, 2, 5))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def snapshot(model, opt=None):
    """Copies of everything a load could change."""
    state = {k: v.copy() for k, v in model.state_dict().items()}
    if opt is None:
        return state, None
    o = opt.state_dict()
    return state, (o["param_groups"], {i: dict(e) for i, e in o["state"].items()})


def same_snapshot(a, b) -> bool:
    (wa, oa), (wb, ob) = a, b
    if set(wa) != set(wb) or any(not np.array_equal(wa[k], wb[k]) for k in wa):
        return False
    if oa is None or ob is None:
        return oa is ob
    (ga, sa), (gb, sb) = oa, ob
    if ga != gb or set(sa) != set(sb):
        return False
    return all(
        set(sa[i]) == set(sb[i]) and all(np.array_equal(sa[i][k], sb[i][k]) for k in sa[i])
        for i in sa
    )


# ----- subprocesses ---------------------------------------------------------------------------
def python_cmd() -> list[str]:
    """This interpreter, with -O when the suite itself runs under -O."""
    return [sys.executable, *(["-O"] if sys.flags.optimize else [])]


def chainrule_cmd(*args: str) -> list[str]:
    return [*python_cmd(), "-m", "chainrule", *args]


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a `chainrule` subprocess: BLAS on one thread, no colour/tty tricks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(BLAS_ONE_THREAD)
    env.update(extra)
    return env


def has_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text


# ----- slow variants --------------------------------------------------------------------------
def _slow_requested(config) -> bool:
    markexpr = config.getoption("markexpr", "") or ""
    asked = re.search(r"(?<!not )\bslow\b", markexpr) is not None
    return asked or os.environ.get("CHAINRULE_SLOW") == "1"


def pytest_collection_modifyitems(config, items):
    if _slow_requested(config):
        return
    skip = pytest.mark.skip(reason="long variant: run with -m slow or CHAINRULE_SLOW=1")
    for item in items:
        if "slow" in item.keywords and HERE in item.path.resolve().parents:
            item.add_marker(skip)
