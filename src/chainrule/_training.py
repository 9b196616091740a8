"""The training loop: `fit`, `evaluate`, `predict`, and the `History` it returns.

The loop knows nothing about the model: it feeds mini-batches, calls the loss, runs
backward and steps the optimizer. Callbacks (`callbacks.py`) see every epoch's logs and can
stop training, save checkpoints or change the learning rate.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ._generator import default_generator
from ._grad_mode import no_grad
from ._interrupts import Interrupts
from ._quiet import quietly
from ._tensor import Tensor


@dataclass
class History:
    """What `fit` returns: per-epoch ``history["loss"]``, ``["accuracy"]`` (classification),
    ``["val_loss"]``, ``["val_accuracy"]``, like Keras' History."""

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Add one epoch's logs as a new row (a new column gets NaN for earlier epochs)."""
        rows = len(self.epoch)
        self.epoch.append(epoch)
        for k, v in logs.items():
            column = self.history.setdefault(k, [])
            column.extend([float("nan")] * (rows - len(column)))
            column.append(float(v))

    def fill(self) -> None:
        """Give every column a value for every epoch: NaN where an epoch logged none."""
        for column in self.history.values():
            column.extend([float("nan")] * (len(self.epoch) - len(column)))

    def update_last(self, logs: dict[str, float]) -> None:
        """Make the last row hold ``logs`` as a callback left them: keys it added (such as
        the learning rate a schedule just set) and values it changed, as Keras's History
        records the logs after every other callback."""
        row = len(self.epoch)
        for k, v in logs.items():
            column = self.history.setdefault(k, [])
            if len(column) < row:
                column.extend([float("nan")] * (row - 1 - len(column)))
                column.append(float(v))
            else:
                column[row - 1] = float(v)


class _Meter:
    """Running loss and accuracy over an epoch: the loss of the whole epoch as the loss
    function reduces a batch (a sample-weighted mean of batch means; with
    ``reduction="sum"`` the sum of batch sums), whatever the batch size. Accuracy is
    logged only when every batch had one: targets whose rows look one-hot in some batches
    only (multi-label 0/1 targets) get none."""

    def __init__(self, summed: bool = False):
        self.n, self.loss, self.correct, self.unscored = 0, 0.0, None, False
        self.summed = summed

    def add(self, loss: float, correct: float | None, n: int) -> None:
        self.n += n
        self.loss += loss if self.summed else loss * n
        if correct is None:
            self.unscored = True
        else:
            self.correct = (self.correct or 0) + correct

    def logs(self, prefix: str = "") -> dict[str, float]:
        logs = {f"{prefix}loss": self.loss if self.summed else self.loss / max(self.n, 1)}
        if self.correct is not None and not self.unscored:
            logs[f"{prefix}accuracy"] = self.correct / max(self.n, 1)
        return logs


@dataclass
class TrainState:
    """Where training is: shared with callbacks. A callback may set ``stop_training``: set
    in ``on_batch_end`` it ends the epoch after that batch (validation and ``on_epoch_end``
    still run, on the batches trained), set in ``on_epoch_end`` it ends training after
    that epoch -- as in Keras."""

    model: object
    optimizer: object
    loss_fn: object
    loader: object
    history: History
    epoch: int = 0  # the current epoch, counted from 0
    epochs_done: int = 0  # epochs whose row is in the history
    step: int = 0
    batch: int = 0  # batches finished in the current epoch
    epoch_loader_state: dict | None = None  # the loader's RNG state when this epoch began
    meter: _Meter | None = None  # set from an epoch's first batch until its row is in history
    stop_training: bool = False
    input_dtype: object = None  # floating batches are cast to it (see `input_dtype`)
    callbacks: list = field(default_factory=list)  # fit's callbacks, in their order
    #: True while the epoch is one a resume point caught after it began (its
    #: on_epoch_begin already ran before the run stopped, so its effects are restored)
    epoch_resumed: bool = False

    def resume_point(self) -> dict:
        """JSON-able position in training; ``fit(resume_from=...)`` continues from it exactly.

        Mid-epoch (validation included, until the epoch's row is in the history) it records
        the loader state at the epoch's start, the batches done and the running sums;
        between epochs, the next epoch and the loader's current state.
        """
        if self.meter is None:  # between epochs
            return {
                "epoch": self.epochs_done,
                "batch": 0,
                "step": self.step,
                "loader_state": _loader_state(self.loader),
                "meter": None,
            }
        m = self.meter
        return {
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "loader_state": self.epoch_loader_state,
            "meter": [m.n, m.loss, m.correct, m.unscored],
            "batch_size": getattr(self.loader, "batch_size", None),  # what `batch` counts
        }


def _loader(data, batch_size: int, shuffle: bool, seed):
    """A DataLoader for ``data``: a loader already, a dataset, or an ``(X, y)`` pair."""
    from .data import ArrayDataset, DataLoader

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        data = ArrayDataset(*data)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _evaluation_loader(data, batch_size: int):
    """A loader over every sample of ``data`` in order: a DataLoader that drops its last
    batch or shuffles is read again without doing either (Keras never leaves samples out
    of an evaluation)."""
    from .data import DataLoader

    if isinstance(data, DataLoader) and (data.drop_last or data.shuffle):
        whole = copy.copy(data)  # its own class and batching, in order, every sample
        whole.shuffle, whole.drop_last = False, False
        return whole
    return _loader(data, batch_size, False, None)


def _check_loader_settings(data, **given) -> None:
    """Settings given to fit for a DataLoader that has its own: an error, not ignored."""
    from .data import DataLoader

    if not isinstance(data, DataLoader):
        return
    clash = [
        f"{k}={v!r}"
        for k, v in given.items()
        if v is not None and (k == "seed" or getattr(data, k) != v)
    ]
    if clash:
        raise ValueError(
            f"fit: train_data is a DataLoader (batch_size={data.batch_size}, "
            f"shuffle={data.shuffle}), so {', '.join(clash)} would not apply; set them on "
            "the DataLoader"
        )


def input_dtype(model):
    """The dtype of the model's first floating parameter (None without one): fit, evaluate
    and predict cast numeric inputs (float, integer, bool) to it, as Keras casts inputs to
    a layer's dtype, so float64 data does not silently run a float32 model in float64."""
    params = model.parameters() if hasattr(model, "parameters") else ()
    return next((p.dtype for p in params if p.dtype.kind == "f"), None)


def _as_input(x: np.ndarray, dtype) -> Tensor:
    """``x`` as a Tensor of the model's float ``dtype``: floating, integer and boolean
    inputs are all cast, as Keras casts inputs to a layer's dtype (int64 data must not run
    a float32 model in float64, as NumPy's promotion would)."""
    if dtype is not None and x.dtype.kind in "biuf" and x.dtype != dtype:
        x = quietly(x.astype, (dtype,))  # beyond the dtype's range: ±inf, as IEEE casts give
    return Tensor(x)


def _batch_metrics(out: Tensor, y: np.ndarray, loss_fn=None) -> float | None:
    """Number of correct predictions in a batch, or None when accuracy does not apply.

    Class scores (N, C) against integer labels (N,) or one-hot rows (N, C) of any dtype:
    the arg-max must hit the label. With a binary cross-entropy loss, logits against 0/1
    targets of the same shape: a logit > 0 predicts 1, and a sample scores the fraction
    of its outputs predicted right (Keras' binary accuracy)."""
    pred = out.data
    if _is_binary(loss_fn):
        return _binary_correct(pred, y)
    if pred.ndim != 2 or pred.shape[1] < 2 or y.dtype.kind not in "iuf":
        return None
    if y.ndim == 1 and y.dtype.kind in "iu" and len(y) == len(pred):
        return int((pred.argmax(axis=1) == y).sum())
    if y.shape == pred.shape and np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
        return int((pred.argmax(axis=1) == y.argmax(axis=1)).sum())
    return None


def _is_binary(loss_fn) -> bool:
    from .nn import BCEWithLogitsLoss, functional

    return isinstance(loss_fn, BCEWithLogitsLoss) or (
        loss_fn is functional.binary_cross_entropy_with_logits
    )


def _binary_correct(logits: np.ndarray, y: np.ndarray) -> float | None:
    if logits.ndim == 0 or y.shape != logits.shape or not np.all((y == 0) | (y == 1)):
        return None  # soft targets (or a shape the loss refuses): no accuracy
    right = (logits > 0) == (y == 1)
    if right.ndim == 1:
        return int(right.sum())
    return float(right.reshape(len(right), -1).mean(axis=1).sum())


def train_step(model, loss_fn, optimizer, x: np.ndarray, y: np.ndarray, dtype=None):
    """One mini-batch: forward, loss, backward, optimizer step. Returns (loss, output).

    ``dtype``: the float dtype floating inputs are cast to (see `input_dtype`). A loss that
    is NaN or infinite raises `FloatingPointError` before the optimizer steps (after the
    forward pass: layers that keep running statistics have seen the batch)."""
    optimizer.zero_grad()  # first: the old gradients are freed before the new graph is built
    out = model(_as_input(x, dtype))
    loss = loss_fn(out, y)
    value = loss.item()
    if not np.isfinite(value):
        raise FloatingPointError(f"the loss became {value}")
    loss.backward()
    optimizer.step()
    return value, out


def fit(
    model,
    loss_fn,
    optimizer,
    train_data,
    epochs: int,
    val_data=None,
    callbacks: Iterable = (),
    batch_size: int | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    initial_epoch: int = 0,
    history: History | None = None,
    resume_from: dict | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs of mini-batch gradient descent.

    ``train_data`` / ``val_data`` may be a `DataLoader`, a dataset or an ``(X, y)`` pair
    (then ``batch_size`` (default 32), ``shuffle`` (default True) and ``seed`` build the
    loader; given with a `DataLoader` that has other settings, they are an error). Returns
    a `History` with per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``
    (accuracy for class scores against labels or one-hot rows, and binary accuracy -- logit
    > 0 predicts 1 -- for a binary cross-entropy loss on 0/1 targets). ``progress``: a
    tqdm bar per epoch with the running loss, left on screen with the epoch's loss (Keras
    prints a line per epoch); None shows it when stderr is a terminal or in Jupyter.
    ``initial_epoch`` and ``history`` continue an earlier run; ``resume_from`` continues
    one exactly: a `TrainState.resume_point()` (mid-epoch too), or the training state
    `chainrule.load` returns from a `callbacks.ModelCheckpoint` checkpoint (its position,
    history and random-generator state are restored).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"fit: epochs must be an int (the total number), got {epochs!r}")
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)):
        raise TypeError(f"fit: initial_epoch must be an int, got {initial_epoch!r}")
    if initial_epoch < 0:
        raise ValueError(f"fit: initial_epoch must be >= 0, got {initial_epoch}")
    _check_loader_settings(train_data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    summed = _summed(loss_fn)  # and reduction="none" refused, before anything changes
    batch_size = 32 if batch_size is None else batch_size
    # a resumed run's random state is the one restored: a loader made here must not move it
    # by drawing its seed (dropout would then draw other numbers than the first run did)
    kept = default_generator().bit_generator.state if resume_from is not None else None
    loader = _loader(train_data, batch_size, True if shuffle is None else shuffle, seed)
    if len(loader) == 0:
        raise ValueError(
            f"fit: the training data is empty ({_batching(loader)}): no batch to train on"
        )
    _check_finite(loader, "the training data", input_dtype(model))
    if val_data is not None:
        val_data = _evaluation_loader(val_data, batch_size)
        if len(val_data) == 0:
            raise ValueError(
                f"fit: val_data is empty ({_batching(val_data)}): nothing to validate on"
            )
        _check_finite(val_data, "val_data", input_dtype(model))
    if kept is not None:
        default_generator().bit_generator.state = kept
    saved_callbacks = None
    if resume_from is not None and "position" in resume_from:  # a checkpoint's state
        saved_callbacks = resume_from.get("callbacks")
        resume_from, history = _from_checkpoint(resume_from, history, epochs, loader)
    elif resume_from is not None:  # a position (`TrainState.resume_point()`)
        _check_point(resume_from, epochs, loader)
    state = TrainState(model, optimizer, loss_fn, loader, history or History(), initial_epoch)
    state.input_dtype = input_dtype(model)
    state.epochs_done = initial_epoch
    if resume_from is not None:
        _restore_position(state, resume_from)
    callbacks = state.callbacks = list(callbacks)
    _warn_unknown_hooks(callbacks)
    with Interrupts() as interrupts:
        defer = interrupts.critical
        _call(callbacks, "on_train_begin", state)
        if saved_callbacks is not None:  # after on_train_begin, which starts them afresh
            load_callback_states(callbacks, saved_callbacks)
        for epoch in range(state.epoch, epochs):
            if state.meter is None:  # a new epoch (not the one being resumed)
                state.epoch_loader_state = _loader_state(loader)
                state.epoch, state.batch, state.meter = epoch, 0, _Meter(summed)
                state.epoch_resumed = False
            _call(callbacks, "on_epoch_begin", state)
            logs = _train_epoch(state, callbacks, _show_progress(progress), epochs, defer)
            if val_data is not None:
                logs.update(evaluate(model, loss_fn, val_data, batch_size, prefix="val_"))
            with interrupts.patient:  # the callbacks' work goes with the row, unless forced
                with defer:  # the row and the position move together
                    state.history.append(epoch, logs)
                    state.epochs_done, state.meter = epoch + 1, None
                _epoch_end(callbacks, state, logs)
            if state.stop_training:
                break
        _call(callbacks, "on_train_end", state)
    return state.history


def _epoch_end(callbacks, state: TrainState, logs: dict) -> None:
    """on_epoch_end of every callback, in the list's order, except that those that save the
    training (``saves_training``, as `ModelCheckpoint`) come after all the others, so that
    a checkpoint holds what they did (a schedule's step and logged ``lr``, EarlyStopping's
    count); what one adds to ``logs`` reaches the history before the next is called."""
    for cb in sorted(callbacks, key=_saves_training):  # stable: the list's order otherwise
        method = getattr(cb, "on_epoch_end", None)
        if method is not None:
            method(state, logs)
            state.history.update_last(logs)
    state.history.fill()


_HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end")


#: Keras's hooks that fit has no counterpart of: a callback written for Keras that defines
#: one would be ignored in silence
_KERAS_ONLY = (
    "on_batch_begin",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


def _warn_unknown_hooks(callbacks) -> None:
    """A method fit never calls that is named as a Keras hook (``on_train_batch_end``) or
    nearly as one of fit's (a misspelling) would be ignored in silence: say so."""
    for cb in callbacks:
        methods = {n for k in type(cb).__mro__ for n, v in vars(k).items() if callable(v)}
        unknown = sorted(
            n
            for n in methods
            if n.startswith("on_")
            and n not in _HOOKS
            and (n in _KERAS_ONLY or difflib.get_close_matches(n, _HOOKS, n=1, cutoff=0.85))
        )
        if unknown:
            warnings.warn(
                f"fit: the callback {type(cb).__name__} has {', '.join(unknown)}, which fit "
                f"never calls; its hooks are {', '.join(_HOOKS)}",
                UserWarning,
                stacklevel=3,
            )


def _saves_training(callback) -> bool:
    return getattr(callback, "saves_training", False) is True


def callback_states(callbacks) -> dict:
    """The state of every callback that has ``state_dict`` and ``load_state_dict`` (as
    `EarlyStopping` and `ModelCheckpoint`), keyed by class name (``Name-2`` for a second
    of one class): what `ModelCheckpoint` saves so that a resumed run's callbacks go on as
    if it had not stopped."""
    return {key: cb.state_dict() for key, cb in _stateful(callbacks)}


def load_callback_states(callbacks, saved) -> None:
    """Give each stateful callback its saved state (from `callback_states`); a callback
    with none saved starts afresh, a saved state with no callback is not used."""
    if not isinstance(saved, dict):
        raise ValueError("fit: resume_from's callbacks must be a dict of callback states")
    for key, cb in _stateful(callbacks):
        if key in saved:
            try:
                cb.load_state_dict(saved[key])
            except (TypeError, ValueError, KeyError) as e:
                raise ValueError(f"fit: resume_from's state of the callback {key}: {e}") from None


def _stateful(callbacks) -> list[tuple[str, object]]:
    keyed, seen = [], {}
    for cb in callbacks:
        if callable(getattr(cb, "state_dict", None)) and callable(
            getattr(cb, "load_state_dict", None)
        ):
            name = type(cb).__name__
            seen[name] = seen.get(name, 0) + 1
            keyed.append((name if seen[name] == 1 else f"{name}-{seen[name]}", cb))
    return keyed


def _summed(loss_fn) -> bool:
    """Whether ``loss_fn`` sums over a batch (``reduction="sum"``) rather than averaging;
    one that keeps every element (``"none"``) cannot train or be evaluated."""
    reduction = getattr(loss_fn, "reduction", "mean")
    if reduction == "none":
        raise ValueError(
            f"{type(loss_fn).__name__}(reduction='none') gives a loss per element; fit and "
            "evaluate need one number per batch: use reduction='mean' or 'sum'"
        )
    return reduction == "sum"


def _batching(loader) -> str:
    """How many samples a loader holds and how it batches them (for an empty-data error:
    ``drop_last`` can leave no batch from samples that exist)."""
    n = len(loader.dataset)
    return f"{n} samples, batch_size {loader.batch_size}, drop_last {loader.drop_last}"


def _check_finite(loader, what: str, dtype=None) -> None:
    """A clear error, up front, for NaN or infinity in a dataset's inputs or float targets,
    and for inputs too large for the model's float ``dtype`` (they would become inf)."""
    dataset = loader.dataset
    for name in ("X", "y"):
        a = getattr(dataset, name, None)
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc" and a.size:
            _check_array(a, f"fit: {what} holds", f"{name} of shape {a.shape}", name)
    X = getattr(dataset, "X", None)
    if dtype is not None and isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.size:
        limit = np.finfo(dtype).max
        wider = X.dtype.itemsize > np.dtype(dtype).itemsize
        if wider and (X.max() > limit or X.min() < -limit):  # no X-sized temporary
            bad = int(np.count_nonzero(np.abs(X) > limit))
            raise ValueError(
                f"fit: {what} holds {bad} input values beyond the range of the model's "
                f"{np.dtype(dtype)} (|x| > {limit:.4g}; X of shape {X.shape}): they would "
                "become infinite"
            )


def _check_array(a: np.ndarray, prefix: str, where: str, name: str) -> None:
    with np.errstate(all="ignore"):  # a sum is finite when every value is (no a-sized mask)
        if np.isfinite(np.add.reduce(a, axis=None)):
            return
    if not np.isfinite(a).all():  # inf or NaN, or only an overflowing sum: count exactly
        bad = int(a.size - np.isfinite(a).sum())
        kind = "input" if name == "X" else "target"
        raise ValueError(f"{prefix} {bad} NaN or infinite {kind} values ({where})")


def _loader_state(loader):
    return loader.state_dict() if hasattr(loader, "state_dict") else None


def _from_checkpoint(saved: dict, history: History | None, epochs: int, loader):
    """(resume point, history) from a checkpoint's training state; restores the library
    generator's state when the checkpoint holds one (last: a refused state changes nothing)."""
    point = saved["position"]
    missing = {"epoch", "batch", "step", "loader_state", "meter"} - set(
        point if isinstance(point, dict) else ()
    )
    if missing:
        raise ValueError(f"fit: resume_from's position lacks {', '.join(sorted(missing))}")
    _check_point(point, epochs, loader)
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


def _check_point(point: dict, epochs: int, loader) -> None:
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


def _restore_position(state: TrainState, point: dict) -> None:
    state.epoch, state.batch, state.step = point["epoch"], point["batch"], point["step"]
    state.epochs_done = point["epoch"]
    if point["loader_state"] is not None:
        state.loader.load_state_dict(point["loader_state"])
    if point["meter"] is not None:  # mid-epoch: this epoch's permutation is drawn again
        state.epoch_resumed = True
        state.meter = _Meter(_summed(state.loss_fn))
        m = state.meter
        m.n, m.loss, m.correct, *rest = point["meter"]  # older points have three items
        m.unscored = bool(rest and rest[0])
        state.epoch_loader_state = point["loader_state"]


def _train_epoch(state: TrainState, callbacks, show: bool, epochs: int, defer) -> dict:
    state.model.train()
    meter, skip = state.meter, state.batch
    bar = _progress_bar(state.loader, show, f"epoch {state.epoch + 1}/{epochs}")
    for i, (x, y) in enumerate(bar):
        if i < skip:  # already trained on before the run was interrupted
            continue
        with defer:  # a Ctrl-C waits for the step: weights and position stay consistent
            try:
                loss, out = train_step(
                    state.model, state.loss_fn, state.optimizer, x, y, state.input_dtype
                )
            except FloatingPointError as e:  # the weights are those of the step before
                raise FloatingPointError(
                    f"fit: {e} at step {state.step}; the optimizer did not take this step "
                    "(a smaller learning rate is the usual cure; layers with running "
                    "statistics, such as BatchNorm1d, saw the batch)"
                ) from None
            meter.add(loss, _batch_metrics(out, y, state.loss_fn), len(x))
            state.step += 1
            state.batch += 1
        _call(callbacks, "on_batch_end", state)
        if state.stop_training:  # a callback asked to stop: this epoch ends here
            break
        if show:
            bar.set_postfix(loss=f"{meter.loss / meter.n:.4f}", refresh=False)
    if show:
        bar.close()
    return meter.logs()


def evaluate(model, loss_fn, data, batch_size: int = 256, prefix: str = "") -> dict[str, float]:
    """Loss (and accuracy for classification) of ``model`` on ``data``, in eval mode: the
    mean over the samples, or the sum for a loss with ``reduction="sum"``."""
    if isinstance(batch_size, (np.ndarray, list, Tensor)):  # Keras's evaluate(x, y)
        raise TypeError(
            "evaluate takes the data as one argument: evaluate(model, loss_fn, (X, y)), "
            "not evaluate(model, loss_fn, X, y)"
        )
    loader = _evaluation_loader(data, batch_size)
    meter, dtype = _Meter(_summed(loss_fn)), input_dtype(model)
    with _evaluating(model), no_grad():
        for x, y in loader:
            out = model(_as_input(x, dtype))
            meter.add(loss_fn(out, y).item(), _batch_metrics(out, y, loss_fn), len(x))
    if meter.n == 0:
        raise ValueError(f"evaluate: the data is empty ({_batching(loader)})")
    return meter.logs(prefix)


def predict(model, x, batch_size: int = 256) -> np.ndarray:
    """Model outputs for the inputs ``x`` (an array), computed in eval mode without a graph;
    the model's modes are restored afterwards."""
    from .data._loader import check_batch_size

    check_batch_size("predict", batch_size)
    if isinstance(x, tuple) or hasattr(x, "dataset"):  # (X, y), a DataLoader
        raise TypeError(
            f"predict takes the inputs as one array (X), got a {type(x).__name__}; for (X, y) "
            "data pass X, and for a DataLoader the inputs of its dataset"
        )
    x, dtype = np.asarray(x), input_dtype(model)
    if len(x) == 0 and x.ndim < 2:  # nothing, not even a feature count
        return np.zeros((0,))
    starts = range(0, len(x), batch_size) if len(x) else [0]  # no rows: shape (0, outputs)
    with _evaluating(model), no_grad():
        outs = [model(_as_input(x[i : i + batch_size], dtype)).data for i in starts]
    return np.concatenate(outs)


@contextlib.contextmanager
def _evaluating(model):
    """Eval mode for the block; then every module's mode as it was (even after an error)."""
    modules = list(model.modules()) if hasattr(model, "modules") else []
    modes = [m.training for m in modules]
    if hasattr(model, "eval"):
        model.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.training = mode


def _call(callbacks, hook: str, *args) -> None:
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            method(*args)


def _show_progress(progress: bool | None) -> bool:
    """``progress`` as given; None: on a terminal, or in a Jupyter kernel (tqdm.auto then
    draws a notebook bar), as Keras's verbose="auto"."""
    if progress is None:
        return sys.stderr.isatty() or "ipykernel.zmqshell" in sys.modules
    return progress


def _progress_bar(loader, show: bool, desc: str):
    if not show:
        return loader
    from tqdm.auto import tqdm

    # one iterator, made here: tqdm.auto's bar calls iter() on what it wraps when made and
    # again when iterated, and each iter() of a shuffling loader draws an order, so a bar
    # given the loader would change the run (and a resume without a bar would differ)
    batches = iter(loader)
    # left on screen (leave=True): an epoch of the digits is shorter than tqdm's refresh
    # interval, and a bar cleared at its end would never have shown the loss
    return tqdm(batches, total=len(loader), desc=desc, leave=True, unit="batch", dynamic_ncols=True)
