"""Where a training run is, and resuming it there: the position a checkpoint or
`TrainState.resume_point` records, checked against the run that is to continue from it."""

from __future__ import annotations

import numpy as np

from ._generator import default_generator
from ._history import History


def loader_state(loader):
    return loader.state_dict() if hasattr(loader, "state_dict") else None


def from_checkpoint(saved: dict, history: History | None, epochs: int, loader):
    """(resume point, history) from a checkpoint's training state; restores the library
    generator's state when the checkpoint holds one (last: a refused state changes nothing)."""
    point = saved["position"]
    missing = {"epoch", "batch", "step", "loader_state", "meter"} - set(
        point if isinstance(point, dict) else ()
    )
    if missing:
        raise ValueError(f"fit: resume_from's position lacks {', '.join(sorted(missing))}")
    check_point(point, epochs, loader)
    try:
        if history is None and "history" in saved:
            history = History(**saved["history"])
        if "rng" in saved:
            np.random.default_rng().bit_generator.state = saved["rng"]  # checked on a spare
            default_generator().bit_generator.state = saved["rng"]
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"fit: resume_from holds no usable training state ({e})") from None
    return point, history


def trained(point: dict) -> tuple[int, str]:
    """What a resume point has trained: the least total of epochs that holds it (an epoch
    stopped after some of its batches counts) and, in words, "2 epochs and 9 batches of
    epoch 3"."""
    epoch, batch = point["epoch"], point["batch"]
    part = f" and {batch} batches of epoch {epoch + 1}" if batch else ""
    return (epoch + 1 if batch else epoch), f"{epoch} epochs{part}"


def check_point(point: dict, epochs: int, loader) -> None:
    """``epochs`` (the total) must reach past what the resumed run has already trained:
    else fit would return a model trained further than its history says. A point in the
    middle of an epoch counts batches: the batch size must be the one it was taken with."""
    saved, now = point.get("batch_size"), getattr(loader, "batch_size", None)
    if point["batch"] and saved is not None and saved != now:
        raise ValueError(
            f"fit: resume_from stopped in the middle of an epoch with batch_size {saved}; "
            f"resume with that batch size, not {now} (it can change between epochs)"
        )
    least, words = trained(point)
    if epochs < least:
        raise ValueError(
            f"fit: resume_from has already trained {words}; epochs is the total, so it must "
            f"be at least {least} (got {epochs})"
        )
