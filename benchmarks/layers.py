"""layers: one SGD training step of a small CNN and of an LSTM classifier, chainrule
against PyTorch on the CPU.

- CNN: (N, 1, 28, 28) → Conv2d(1, 16, 3, padding=1) → ReLU → MaxPool2d(2) → Conv2d(16, 32,
  3, padding=1) → ReLU → MaxPool2d(2) → Flatten → Linear(32·7·7, 10), at batch 32 and 128;
- LSTM: (L=50, N, 32) → LSTM(32, 64) → the last step's h → Linear(64, 10), at batch 32.

Both with cross-entropy and plain SGD, in float32. Each network is written once against a
library's ``nn`` (chainrule's layers take PyTorch's arguments) and built in both. PyTorch's
copy loads chainrule's initial weights, Linear's transposed (chainrule keeps W as (in, out),
PyTorch as (out, in); Conv2d and LSTM share PyTorch's layouts), and both cycle through the
same batches; their losses over the first steps must agree before they are timed. Without
PyTorch, chainrule's column stands alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import chainrule as cr

from ._common import (
    TORCH_MISSING,
    agreement_note,
    cycling,
    import_torch,
    interleaved,
    loop_step,
    loss_agreement,
    medians,
    paired_ratio,
    require_agreement,
    timing_note,
)

LR, CLASSES, SEQUENCE, FEATURES, HIDDEN = 0.01, 10, 50, 32, 64
ROUNDS, WARMUP, PAUSE = 20, 5, 0.2
AGREEMENT = 1e-5  # largest relative loss difference accepted (float32 sums differ ~1e-7)
# (network, batch, steps per timed block)
CASES = [("CNN", 32, 16), ("CNN", 128, 4), ("LSTM", 32, 4)]
QUICK_CASES = [("CNN", 2, 1), ("LSTM", 2, 1)]
COLUMNS = ["network", "input", "chainrule ms", "PyTorch ms", "cr/PyTorch"]


# ----- the networks, in either library ------------------------------------------------------
def cnn(nn):
    """The small CNN for (N, 1, 28, 28) images, from ``nn`` (chainrule's or PyTorch's)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, 7, 7)
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, CLASSES),
    )


def lstm_classifier(nn):
    """LSTM(32, 64), then Linear(64, 10) on the last step's h, from ``nn``."""

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, HIDDEN)
            self.fc = nn.Linear(HIDDEN, CLASSES)

        def forward(self, x):  # x: (L, N, 32)
            _, (h, _) = self.lstm(x)  # h: (1, N, 64), the last step's
            return self.fc(h[-1])

    return LSTMClassifier()


NETWORKS = {"CNN": cnn, "LSTM": lstm_classifier}


# ----- the problem: weights and batches -------------------------------------------------------
@dataclass
class Problem:
    """A network's builder, chainrule's initial state and a cycle of batches (x, labels)."""

    network: str
    weights: dict[str, np.ndarray]
    transposed: frozenset[str]  # Linear weights: (in, out) here, (out, in) in PyTorch
    batches: list[tuple[np.ndarray, np.ndarray]]

    def build(self, nn):
        """The network, freshly initialised, from ``nn`` (chainrule's or PyTorch's)."""
        return NETWORKS[self.network](nn)


def problem(network: str, batch: int, n_batches: int = 4, seed: int = 0) -> Problem:
    """Initial weights drawn by chainrule's initialisers, seeded, and random batches."""
    cr.manual_seed(seed)
    model = NETWORKS[network](cr.nn)
    linear = frozenset(
        f"{name}.weight" for name, m in model.named_modules() if isinstance(m, cr.nn.Linear)
    )
    rng = np.random.default_rng(seed)
    if network == "CNN":
        shape, draw = (batch, 1, 28, 28), rng.random  # pixels in [0, 1)
    else:
        shape, draw = (SEQUENCE, batch, FEATURES), rng.standard_normal
    batches = [
        (draw(shape, dtype=np.float32), rng.integers(0, CLASSES, batch)) for _ in range(n_batches)
    ]
    return Problem(network, model.state_dict(), linear, batches)


# ----- the contenders -----------------------------------------------------------------------
def chainrule_model(p: Problem) -> cr.nn.Module:
    """The network in chainrule with the problem's initial weights."""
    model = p.build(cr.nn)
    model.load_state_dict(p.weights)
    return model


def torch_model(p: Problem, torch):
    """The network in PyTorch with chainrule's initial weights, in PyTorch's layouts."""
    model = p.build(torch.nn)
    model.load_state_dict(
        {
            k: torch.from_numpy(np.ascontiguousarray(w.T) if k in p.transposed else w.copy())
            for k, w in p.weights.items()
        }
    )
    return model


def chainrule_step(p: Problem):
    """step(x, labels) -> loss with the public API, as a user's training loop would."""
    model = chainrule_model(p)
    loss_fn = cr.nn.CrossEntropyLoss()
    return loop_step(model, loss_fn, cr.optim.SGD(model.parameters(), lr=LR))


def torch_step(p: Problem, torch):
    """The same step in PyTorch on the CPU, from the same weights."""
    model = torch_model(p, torch)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    batches = {id(x): (torch.from_numpy(x), torch.from_numpy(y)) for x, y in p.batches}

    def step(x, labels):
        xt, yt = batches[id(x)]
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def contenders(p: Problem, torch=None) -> dict[str, Callable[[], float]]:
    """Zero-argument callables, one training step each on the next batch."""
    steps = {"chainrule": chainrule_step(p)}
    if torch is not None:
        steps["torch"] = torch_step(p, torch)
    return {name: cycling(step, p.batches) for name, step in steps.items()}


# ----- the benchmark ------------------------------------------------------------------------
def run(quick: bool = False) -> dict:
    torch = import_torch()
    results = [measure(*case, torch, quick) for case in (QUICK_CASES if quick else CASES)]
    rounds, _, pause = _timing(quick)
    notes = [timing_note(rounds, "chainrule and PyTorch", pause)]
    if torch is None:
        notes.append(TORCH_MISSING)
    else:
        notes.insert(0, agreement_note(max(r["loss_agreement"] for r in results)))
    return {
        "title": "training step: a small CNN and an LSTM classifier, cross-entropy, SGD, float32",
        "columns": COLUMNS,
        "rows": [_row(r) for r in results],
        "notes": notes,
        "results": results,
    }


def measure(network: str, batch: int, block: int, torch=None, quick: bool = False) -> dict:
    """Median ms per step of each contender on one case, timed interleaved."""
    p = problem(network, batch)
    agree = None
    if torch is not None:
        agree = loss_agreement(contenders(p, torch), "torch")
        require_agreement(agree, AGREEMENT, f"layers, {network} at batch {batch}")
    rounds, warmup, pause = _timing(quick)
    samples = interleaved(contenders(p, torch), rounds, block, warmup, pause)
    out = {
        "network": network,
        "batch": batch,
        "input_shape": list(p.batches[0][0].shape),
        "median_ms": {k: v * 1e3 for k, v in medians(samples).items()},
        "loss_agreement": agree,
        "steps_timed": rounds * block,
        "samples_ms": {k: [t * 1e3 for t in v] for k, v in samples.items()},
    }
    if torch is not None:
        out["ratio_torch"] = paired_ratio(samples, "chainrule", "torch")
    return out


def _timing(quick: bool) -> tuple[int, int, float]:
    """Rounds, warm-up steps and pause before each block."""
    return (2, 1, 0.0) if quick else (ROUNDS, WARMUP, PAUSE)


def _row(r: dict) -> list:
    ms = r["median_ms"]
    shape = "(" + ",".join(map(str, r["input_shape"])) + ")"
    return [r["network"], shape, ms["chainrule"], ms.get("torch"), r.get("ratio_torch")]
