"""Where a training run is, and resuming it there: the position a checkpoint or
`TrainState.resume_point` records, checked against the run that is to continue from it."""

from __future__ import annotations

import numpy as np

from ._generator import default_generator
from ._history import History, restored

#: what a resume point records (`TrainState.resume_point`)
POSITION_KEYS = ("epoch", "batch", "step", "loader_state", "meter")


def loader_state(loader):
    return loader.state_dict() if hasattr(loader, "state_dict") else None


def resume_point(resume_from, history: History | None, epochs: int, loader):
    """(resume point, history, the callbacks' saved states or None) from what ``fit`` was
    given as ``resume_from``: a checkpoint's training state (what `chainrule.load` returns
    for a `callbacks.ModelCheckpoint` file) or a `TrainState.resume_point()`; checked."""
    if not isinstance(resume_from, dict):
        raise TypeError(
            "fit: resume_from must be the training state chainrule.load(path, model, "
            "optimizer) returns for a checkpoint, or a TrainState.resume_point(); got a "
            f"{type(resume_from).__name__}"
        )
    if "position" in resume_from:
        point, history = from_checkpoint(resume_from, history, epochs, loader)
        return point, history, resume_from.get("callbacks")
    _check_keys(resume_from, where="resume_from")
    rows = len(history.epoch) if history is not None and history.epoch else None
    check_point(resume_from, epochs, loader, rows)  # an empty history: a new record
    return resume_from, history, None


def from_checkpoint(saved: dict, history: History | None, epochs: int, loader):
    """(resume point, history) from a checkpoint's training state; restores the library
    generator's state when the checkpoint holds one (last: a refused state changes nothing)."""
    point = saved["position"]
    _check_keys(point)
    try:
        if history is None and "history" in saved:
            history = restored(saved["history"])
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"fit: resume_from holds no usable training state ({e})") from None
    check_point(point, epochs, loader, None if history is None else len(history.epoch))
    try:
        if "rng" in saved:
            np.random.default_rng().bit_generator.state = saved["rng"]  # checked on a spare
            default_generator().bit_generator.state = saved["rng"]
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"fit: resume_from holds no usable training state ({e})") from None
    return point, history


def _check_keys(point, where: str = "resume_from's position") -> None:
    missing = set(POSITION_KEYS) - set(point if isinstance(point, dict) else ())
    if missing:
        raise ValueError(
            f"fit: {where} lacks {', '.join(sorted(missing))}: resume from the training "
            "state chainrule.load returns for a file callbacks.ModelCheckpoint (or chainrule "
            "train) wrote, or from a TrainState.resume_point(); a file of cr.save(path, "
            "model, optimizer, ...) records no position in a run (load it, then fit "
            "without resume_from; initial_epoch= continues its epoch count)"
        )


def trained(point: dict) -> tuple[int, str]:
    """What a resume point has trained: the least total of epochs that holds it (an epoch
    stopped after some of its batches counts) and, in words, "2 epochs and 9 batches of
    epoch 3"."""
    epoch, batch = point["epoch"], point["batch"]
    part = f" and {plural(batch, 'batch', 'batches')} of epoch {epoch + 1}" if batch else ""
    return (epoch + 1 if batch else epoch), f"{plural(epoch, 'epoch')}{part}"


def plural(n: int, word: str, many: str = "") -> str:
    """``n`` and ``word``, or its plural ``many`` (``word`` + s) unless ``n`` is 1: "1
    epoch", "9 batches"."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def check_point(point: dict, epochs: int, loader, rows: int | None) -> None:
    """A resume point ``fit`` can continue from: one this run can be at (`position_problem`),
    with ``epochs`` (the total) reaching past what it has already trained -- else fit would
    return a model trained further than its history says. A point in the middle of an
    epoch counts batches: the batch size must be the one it was taken with."""
    saved, now = point.get("batch_size"), getattr(loader, "batch_size", None)
    if counted(point["batch"]) and point["batch"] and saved is not None and saved != now:
        raise ValueError(  # first: the batch may be beyond an epoch of the other size
            f"fit: resume_from stopped in the middle of an epoch with batch_size {saved}; "
            f"resume with that batch size, not {now} (it can change between epochs)"
        )
    problem = position_problem(point, loader, rows)
    if problem is not None:
        raise ValueError(f"fit: resume_from's {problem}")
    least, words = trained(point)
    if epochs < least:
        raise ValueError(
            f"fit: resume_from has already trained {words}; epochs is the total, so it must "
            f"be at least {least} (got {epochs})"
        )


def position_problem(point: dict, loader, rows: int | None) -> str | None:
    """What makes ``point`` a position this run cannot be at, in words that name the field
    (``"position.batch" is 50, beyond an epoch's 41``), or None: counts that are
    non-negative integers, the epoch its history has reached (``rows``: the history's
    epochs, None when there is none yet), a batch within the epoch, the running sums of an
    epoch stopped part-way, and a state the loader takes (loaded into ``loader``: fit
    loads it again when it starts)."""
    for key in ("epoch", "batch", "step"):
        value = point[key]
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            return f'"position.{key}" must be a non-negative integer, got {value!r}'
    if rows is not None and point["epoch"] != rows:
        return f'"position.epoch" is {point["epoch"]}, but the history has {plural(rows, "epoch")}'
    if hasattr(loader, "__len__") and point["batch"] > len(loader):
        return f'"position.batch" is {point["batch"]}, beyond an epoch\'s {len(loader)}'
    meter = point["meter"]
    if (meter is None and point["batch"]) or not (meter is None or _is_meter(meter)):
        return '"position.meter" is not the running sums of the epoch it stopped in'
    if point["loader_state"] is not None:
        try:
            loader.load_state_dict(point["loader_state"])
        except (AttributeError, TypeError, ValueError, KeyError):
            return '"position.loader_state" is not the state of the run\'s data loader'
    return None


def _is_meter(meter) -> bool:
    """Whether ``meter`` is an epoch's running sums as a resume point records them
    (`Meter`): samples, loss, correct predictions (None where no batch had an accuracy)
    and (older points lack them) whether some batch had none, the rows left out of the
    accuracy (labelled ignore_index), at most the samples, and the sum of the batch
    means' weights (`Meter.weight`), a number ≥ 0."""
    if not isinstance(meter, (list, tuple)) or len(meter) not in (3, 4, 5, 6):
        return False
    n, loss, correct, *rest = meter
    return (
        counted(n)
        and _number(loss)
        and (correct is None or _number(correct))
        and all(isinstance(u, bool) for u in rest[:1])
        and all(counted(i) and i <= n for i in rest[1:2])
        and all(_number(w) and w >= 0 for w in rest[2:])
    )


def counted(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0


def _number(x) -> bool:
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)
