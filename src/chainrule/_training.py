"""The training loop: `fit`, `evaluate`, `predict`, and the `TrainState` callbacks see.

The loop knows nothing about the model: it feeds mini-batches, calls the loss, runs
backward and steps the optimizer. Callbacks (`_callbacks.py`) see every epoch's logs and can
stop training, save checkpoints or change the learning rate. Beside it: what it logs
(`_history.py`), the data it is given (`_fit_data.py`), how it calls callbacks
(`_callback_calls.py`) and where a run is when it resumes (`_position.py`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ._arguments import flag
from ._callback_calls import (
    call,
    checked_callbacks,
    epoch_end,
    load_callback_states,
    stops_at_nan,
    warn_unknown_hooks,
)
from ._fit_data import (
    arrays_to_weigh,
    as_input,
    batching,
    check_finite,
    check_loader_settings,
    class_sample_weight,
    evaluation_loader,
    input_dtype,
    split_validation,
    train_loader,
    unpacked,
)
from ._generator import default_generator
from ._grad_mode import no_grad
from ._history import History
from ._interrupts import Interrupts
from ._metrics import Meter, batch_metrics, is_summed
from ._position import loader_state, resume_point
from ._sample_weights import batch_loss, check_class_weight, is_weighted, per_element
from ._tensor import Tensor
from .data import IterableDataset

__all__ = ["History", "TrainState", "evaluate", "fit", "predict", "train_step"]


@dataclass
class TrainState:
    """Where training is: shared with callbacks. A callback may set ``stop_training``: set
    in ``on_batch_end`` it ends the epoch after that batch (validation and ``on_epoch_end``
    still run, on the batches trained), set in ``on_epoch_end`` it ends training after
    that epoch -- as in Keras. Set in ``on_train_begin`` or ``on_epoch_begin`` it ends
    training before that epoch trains a batch (Keras trains one first): a resumed
    `EarlyStopping` that had stopped the run stops it again there."""

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
    meter: Meter | None = None  # set from an epoch's first batch until its row is in history
    stop_training: bool = False
    input_dtype: object = None  # floating batches are cast to it (see `input_dtype`)
    callbacks: list = field(default_factory=list)  # fit's callbacks, in their order
    #: whether fit validates every epoch (its logs then hold val_loss): a callback that
    #: monitors a val_ value can refuse a run without validation data before it trains
    validates: bool = False
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
                "loader_state": loader_state(self.loader),
                "meter": None,
            }
        m = self.meter
        return {
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "loader_state": self.epoch_loader_state,
            "meter": [m.n, m.loss, m.correct, m.unscored, m.ignored, m.weight],
            "batch_size": getattr(self.loader, "batch_size", None),  # what `batch` counts
        }


def train_step(
    model, loss_fn, optimizer, x: np.ndarray, y: np.ndarray, dtype=None, *, sample_weight=None
):
    """One mini-batch: forward, loss, backward, optimizer step. Returns (loss, output).

    ``dtype``: the float dtype floating inputs are cast to (see `input_dtype`).
    ``sample_weight``: the batch's weights (N,), as Keras weighs a batch's loss: Σ wᵢ·lᵢ / N
    (see `fit`); the loss must be able to give each sample's loss. A loss that
    is NaN or infinite raises `FloatingPointError` before the optimizer steps (after the
    forward pass: layers that keep running statistics have seen the batch), except the NaN
    mean of a batch with nothing to score (every label the loss's ``ignore_index``, or of
    class weight 0): that batch is skipped, no backward and no step, as there is nothing
    to learn from it (its gradients would be zeros, on which Adam's momentum still moves).

    An optimizer that evaluates the loss itself, several times a step (`optim.LBFGS`),
    is given a closure doing the forward pass, loss and backward; the loss and output
    returned are those of its first evaluation, before any move, as PyTorch's step
    returns."""
    x = as_input(x, dtype)
    if getattr(optimizer, "needs_closure", False):
        return _closure_step(model, loss_fn, optimizer, x, y, sample_weight)
    optimizer.zero_grad()  # first: the old gradients are freed before the new graph is built
    out = model(x)
    loss = batch_loss(loss_fn, out, y, sample_weight)
    value = loss.item()
    if not np.isfinite(value):
        if _nothing_scored(value, out, y, loss_fn):
            return value, out
        raise FloatingPointError(f"the loss became {value}")
    loss.backward()
    optimizer.step()
    return value, out


class _NothingScoredError(Exception):
    """Raised by `_closure_step`'s closure at a first loss with nothing to score, so that
    the optimizer does not step."""


def _closure_step(model, loss_fn, optimizer, x, y, sample_weight):
    """`train_step` for an optimizer whose step calls a closure: the same checks on the
    first loss, made inside the closure before anything moves."""
    first = []

    def closure():
        optimizer.zero_grad()
        out = model(x)
        loss = batch_loss(loss_fn, out, y, sample_weight)
        if not first:
            value = loss.item()
            first.append((value, out))
            if not np.isfinite(value):
                if _nothing_scored(value, out, y, loss_fn):
                    raise _NothingScoredError
                raise FloatingPointError(f"the loss became {value}")
        loss.backward()
        return loss

    with contextlib.suppress(_NothingScoredError):
        optimizer.step(closure)
    return first[0]


def _nothing_scored(value: float, out: Tensor, y: np.ndarray, loss_fn) -> bool:
    """Whether a NaN loss is the 0/0 mean of a batch whose rows all weigh nothing."""
    if not np.isnan(value) or is_summed(loss_fn):
        return False
    metrics = batch_metrics(out, y, loss_fn)
    return metrics is not None and metrics[3] == 0


#: the order of fit's first arguments, named in the errors for calls that mix them up
_ORDER = "fit(model, loss_fn, optimizer, train_data, epochs)"


def _explained_binding(fn):
    """``fn`` whose calls Python would refuse with a bare TypeError (Keras's habit
    ``fit(model, loss_fn, optimizer, X, y, epochs=1)``: "multiple values for argument
    'epochs'") name fit's order instead; its signature and docstring are ``fn``'s."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(_binding_problem(args, e, signature)) from None
        return fn(*args, **kwargs)

    return checked


def _binding_problem(args: tuple, error: TypeError, signature) -> str:
    if len(args) > 4 and _looks_like_data(args[4]):
        return _SPLIT_DATA
    return f"fit: {error}; its arguments are {', '.join(signature.parameters)}"


_SPLIT_DATA = (
    "fit takes the training data as one argument, (X, y): fit(model, loss_fn, optimizer, "
    "(X, y), epochs=...), not fit(model, loss_fn, optimizer, X, y, ...) as in Keras"
)


def _looks_like_data(value) -> bool:
    """Whether an argument is an array of samples (Keras's ``y``) rather than a count."""
    return isinstance(value, (np.ndarray, Tensor, list, tuple))


@_explained_binding
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
    *,
    validation_data=None,
    validation_split: float | None = None,
    verbose=None,
    class_weight: dict | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs of mini-batch gradient descent.

    ``train_data`` / ``val_data`` may be a `DataLoader`, a dataset or an ``(X, y)`` pair,
    also as a list ``[X, y]``, or Keras's ``(X, y, sample_weight)``; for any but a
    `DataLoader`, ``batch_size`` (default 32), ``shuffle`` (default True; False for an
    `IterableDataset`, a stream read in order) and ``seed`` build the loader (given with a
    `DataLoader` that has other settings, they are an error). A batch must be ``(x, y)``
    or ``(x, y, sample_weight)`` (a dict batch is refused: give the loader a
    ``collate_fn``). Returns
    a `History` with per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``
    (accuracy for class scores against labels, over the rows not labelled the loss's
    ``ignore_index``, or one-hot rows, and binary accuracy -- logit
    > 0, or probability > 0.5 for BCELoss, predicts 1 -- for a binary cross-entropy loss
    on 0/1 targets). ``progress``: a
    tqdm bar per epoch with the running loss, left on screen with the epoch's logs (loss,
    accuracy, val_loss, val_accuracy), as Keras ends an epoch's line; None shows it when
    stderr is a terminal or in Jupyter.
    ``initial_epoch`` and ``history`` continue an earlier run; ``resume_from`` continues
    one exactly: a `TrainState.resume_point()` (mid-epoch too), or the training state
    `chainrule.load` returns from a `callbacks.ModelCheckpoint` checkpoint (its position,
    history and random-generator state are restored). A position the run cannot be at (a
    negative count, a batch beyond an epoch's, an epoch other than the history's length,
    a loader state of another kind of loader) is a `ValueError` naming its field, raised
    before anything changes.

    A NaN or infinite loss stops training with a `FloatingPointError` before the optimizer
    takes that step (or ends it quietly under a `callbacks.TerminateOnNaN`), except a
    batch with nothing to score -- every label the loss's ``ignore_index``, or of class
    weight 0 -- whose mean is 0/0: it is skipped (no backward, no step) and weighs nothing
    in the epoch's loss, as if the data had not held it.

    Keras's names are read too: ``validation_data`` is ``val_data`` (give one of them);
    ``verbose`` 0 is ``progress=False``, 1, 2 or True ``progress=True`` (the bar ends on
    the epoch's line either way) and "auto" the default (give ``verbose`` or
    ``progress``); ``validation_split=0.2`` validates on the last fifth of ``(X, y)``
    arrays, taken before any shuffling, and trains on the rest, as Keras does (not with
    ``val_data``, nor with a dataset or DataLoader, which have no order to take it from).
    A loss, optimizer or callback in the wrong place (``fit(model, opt, loss_fn, ...)``,
    a loss named by a string, a function as a callback) is a TypeError before training.

    Sample weights, as Keras 3's: ``sample_weight`` (N,) in ``(X, y, sample_weight)``
    (finite, >= 0; Keras's temporal weights (N, T) are refused), or ``class_weight={class:
    weight}`` for ``(X, y)`` arrays, which gives each sample the weight of its label (of
    the arg-max of one-hot or probability rows; 1.0 for a class left out; keys checked
    against the model's classes). Not both, as Keras refuses both; class_weight weighs the
    training data only. A batch's loss is then Keras's Σ wᵢ·lᵢ / N over the loss of each
    element, asked of the loss with ``reduction="none"`` (a loss module or a loss function
    with that keyword: a lambda is a TypeError), so a sample's positions or outputs are
    averaged as the loss's mean averages them (N counts the rows or positions scored, not
    those labelled ``ignore_index``, and is Σ weight[y] for a loss with class weights of
    its own, as its mean divides); with ``reduction="sum"``, Σ wᵢ·lᵢ. The
    epoch's loss is Σ wᵢ·lᵢ / N over all the data. Accuracy is not weighted (Keras's
    ``metrics``, not ``weighted_metrics``). ``(X, y, None)`` is ``(X, y)``, as Keras unpacks it.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        if _looks_like_data(epochs):  # fit(model, loss_fn, opt, X, y)
            raise TypeError(_SPLIT_DATA)
        raise TypeError(f"fit: epochs must be an int (the total number), got {epochs!r}")
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)):
        raise TypeError(f"fit: initial_epoch must be an int, got {initial_epoch!r}")
    if initial_epoch < 0:
        raise ValueError(f"fit: initial_epoch must be >= 0, got {initial_epoch}")
    if resume_from is not None and initial_epoch != 0:
        raise ValueError(
            f"fit: initial_epoch={initial_epoch} with resume_from: the resume point holds "
            "its own epoch (give one or the other)"
        )
    _check_roles(loss_fn, optimizer)
    callbacks = checked_callbacks(callbacks)
    progress = _progress_setting(progress, verbose)
    val_data = _validation(val_data, validation_data)
    if validation_split is not None:
        train_data, val_data = split_validation(train_data, validation_split, val_data)
    train_data = _class_weighted(model, train_data, class_weight)
    if shuffle is not None:
        shuffle = flag("fit", "shuffle", shuffle)
    check_loader_settings(train_data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    summed = is_summed(loss_fn)  # and reduction="none" refused, before anything changes
    batch_size = 32 if batch_size is None else batch_size
    # a resumed run's random state is the one restored: a loader made here must not move it
    # by drawing its seed (dropout would then draw other numbers than the first run did)
    kept = default_generator().bit_generator.state if resume_from is not None else None
    if shuffle is None:  # True, as Keras's, but for a stream, which has no order to shuffle
        shuffle = not isinstance(train_data, IterableDataset)
    loader = train_loader(train_data, batch_size, shuffle, seed)
    if _epoch_length(loader, "train_data") == 0:
        raise ValueError(
            f"fit: the training data is empty ({batching(loader)}): no batch to train on"
        )
    check_finite(loader, "the training data", input_dtype(model))
    if val_data is not None:
        val_data = evaluation_loader(val_data, batch_size)
        if _epoch_length(val_data, "val_data") == 0:
            raise ValueError(
                f"fit: val_data is empty ({batching(val_data)}): nothing to validate on"
            )
        check_finite(val_data, "val_data", input_dtype(model))
    if is_weighted(loader) or is_weighted(val_data):
        per_element(loss_fn)  # a TypeError now for a loss that cannot weigh each sample
    if kept is not None:
        default_generator().bit_generator.state = kept
    saved_callbacks = None
    if resume_from is not None:
        resume_from, history, saved_callbacks = resume_point(resume_from, history, epochs, loader)
    state = TrainState(model, optimizer, loss_fn, loader, history or History(), initial_epoch)
    state.input_dtype = input_dtype(model)
    state.epochs_done, state.validates = initial_epoch, val_data is not None
    if resume_from is not None:
        _restore_position(state, resume_from)
    state.callbacks = callbacks
    warn_unknown_hooks(callbacks)
    show = _show_progress(progress)
    with Interrupts() as interrupts:
        defer = interrupts.critical
        call(callbacks, "on_train_begin", state)
        if saved_callbacks is not None:  # after on_train_begin, which starts them afresh
            load_callback_states(callbacks, saved_callbacks)
        for epoch in range(state.epoch, epochs):
            if state.meter is None:  # a new epoch (not the one being resumed)
                state.epoch_loader_state = loader_state(loader)
                state.epoch, state.batch, state.meter = epoch, 0, Meter(summed)
                state.epoch_resumed = False
            call(callbacks, "on_epoch_begin", state)
            if state.stop_training:  # asked before the epoch trained: it is not begun
                if not state.epoch_resumed:
                    state.meter = None
                break
            bar = _progress_bar(loader, show, f"epoch {epoch + 1}/{epochs}")
            with bar or contextlib.nullcontext():  # closed when the epoch ends, or fails
                logs = _train_epoch(state, callbacks, bar, defer)
                if logs is None:  # stopped at a NaN loss (TerminateOnNaN): no row
                    break
                if val_data is not None:
                    logs.update(evaluate(model, loss_fn, val_data, batch_size, prefix="val_"))
                if bar is not None:  # the line ends with the epoch's logs, val_ ones too
                    _show_logs(bar, logs)
            with interrupts.patient:  # the callbacks' work goes with the row, unless forced
                with defer:  # the row and the position move together
                    state.history.append(epoch, logs)
                    state.epochs_done, state.meter = epoch + 1, None
                epoch_end(callbacks, state, logs)
            if state.stop_training:
                break
        call(callbacks, "on_train_end", state)
    return state.history


def _epoch_length(loader, what: str) -> int:
    """``len(loader)``, the batches of an epoch; a loader over a sampler without len()
    (PyTorch lets one be) is a TypeError saying why fit needs one."""
    try:
        return len(loader)
    except TypeError as e:
        source = "dataset" if isinstance(loader.dataset, IterableDataset) else "sampler"
        raise TypeError(
            f"fit: {what} is a DataLoader whose {source} has no len() ({e}); fit counts the "
            "batches of an epoch (an empty one is an error, and a resume point says how "
            f"far it went): give the {source} a __len__"
        ) from None


def _class_weighted(model, data, class_weight):
    """``data`` with the sample weights Keras makes of ``class_weight`` (see
    `class_sample_weight`): ``(X, y)`` arrays become ``(X, y, w)``. The keys are checked
    against the model's classes, read from its output for the first sample (eval mode,
    no graph): the number of class scores, or 2 for one output a sample (binary)."""
    if class_weight is None:
        return data
    check_class_weight(class_weight)
    X, y = arrays_to_weigh(data, "fit", "class_weight")
    weights = class_sample_weight(y, class_weight)  # refuses targets of more than 2 dims
    if len(X):
        check_class_weight(class_weight, _classes(predict(model, X[:1])))
    return X, y, weights


def _classes(out: np.ndarray) -> int:
    """The number of classes an output (1, ...) scores."""
    if out.ndim > 2:
        raise ValueError(
            f"fit: class_weight weighs a sample by its class; the model's outputs, of shape "
            f"{out.shape[1:]} a sample, score a class per position: give sample_weight, or "
            "the loss's weight="
        )
    return out.shape[1] if out.ndim == 2 and out.shape[1] > 1 else 2


def _check_roles(loss_fn, optimizer) -> None:
    """A TypeError, before anything trains, for a loss or optimizer fit cannot use: the
    two swapped (``fit(model, opt, loss_fn, ...)``), a loss named by a string (Keras's
    ``loss="mse"``), or either one not what it must be."""
    if _is_optimizer(loss_fn):
        raise TypeError(
            f"fit: loss_fn is an optimizer ({type(loss_fn).__name__}); the order is {_ORDER}"
        )
    if isinstance(loss_fn, str):
        raise TypeError(
            f"fit: loss_fn must be a loss function, not the name {loss_fn!r} (Keras's loss "
            "names are not read): give cr.nn.CrossEntropyLoss(), cr.nn.MSELoss() or a "
            "function loss_fn(output, target) such as cr.nn.functional.cross_entropy"
        )
    if not callable(loss_fn):
        raise TypeError(
            "fit: loss_fn must be callable, loss_fn(output, target) -> a scalar Tensor; got "
            f"{type(loss_fn).__name__} {loss_fn!r:.40}; the order is {_ORDER}"
        )
    if not _is_optimizer(optimizer):
        raise TypeError(
            "fit: optimizer must be an optimizer with step() and zero_grad(), such as "
            f"cr.optim.SGD(model.parameters(), lr=0.1); got {type(optimizer).__name__} "
            f"{optimizer!r:.40}; the order is {_ORDER}"
        )


def _is_optimizer(obj) -> bool:
    """Whether ``obj`` has what `train_step` calls on an optimizer."""
    return callable(getattr(obj, "step", None)) and callable(getattr(obj, "zero_grad", None))


def _validation(val_data, validation_data):
    """The validation data given as ``val_data`` or as Keras's ``validation_data``."""
    if validation_data is None:
        return val_data
    if val_data is not None:
        raise TypeError(
            "fit: got both val_data and validation_data (Keras's name for it); give one"
        )
    return validation_data


def _progress_setting(progress: bool | None, verbose) -> bool | None:
    """``progress`` from Keras's ``verbose``: 0 hides the bar, 1, 2 or True show it,
    "auto" (or None) leaves the default."""
    if verbose is None:
        return progress
    if progress is not None:
        raise TypeError("fit: got both progress and verbose (Keras's name for it); give one")
    if isinstance(verbose, str):
        if verbose == "auto":
            return None
    elif verbose in (0, 1, 2):  # False and True among them
        return bool(verbose)
    raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto' (as Keras's), got {verbose!r}")


def _restore_position(state: TrainState, point: dict) -> None:
    state.epoch, state.batch, state.step = point["epoch"], point["batch"], point["step"]
    state.epochs_done = point["epoch"]
    if point["loader_state"] is not None:
        state.loader.load_state_dict(point["loader_state"])
    if point["meter"] is not None:  # mid-epoch: this epoch's permutation is drawn again
        state.epoch_resumed = True
        state.meter = Meter(is_summed(state.loss_fn))
        m = state.meter
        m.n, m.loss, m.correct, *rest = point["meter"]  # older points have three to five
        m.unscored = bool(rest and rest[0])
        m.ignored = int(rest[1]) if len(rest) > 1 else 0
        m.weight = float(rest[2]) if len(rest) > 2 else m.n - m.ignored
        state.epoch_loader_state = point["loader_state"]


def _train_epoch(state: TrainState, callbacks, bar, defer) -> dict | None:
    """Train one epoch; ``bar`` (None without one) counts its batches and shows the running
    loss, and is left open for `_show_logs` to end the epoch's line with its logs. None
    when a callback stopped training at a NaN or infinite loss (`stops_at_nan`)."""
    state.model.train()
    meter, skip = state.meter, state.batch
    weighted = is_weighted(state.loader)  # its weights were checked when it was made
    for i, batch in enumerate(state.loader):  # one iter(): one shuffled order an epoch
        x, y, w = unpacked(batch, "fit", weighted)
        if i < skip:  # already trained on before the run was interrupted
            if bar is not None:
                bar.update()
            continue
        with defer:  # a Ctrl-C waits for the step: weights and position stay consistent
            try:
                loss, out = train_step(
                    state.model,
                    state.loss_fn,
                    state.optimizer,
                    x,
                    y,
                    state.input_dtype,
                    sample_weight=w,
                )
            except FloatingPointError as e:  # the weights are those of the step before
                if stops_at_nan(callbacks, state, str(e)):
                    return None
                raise FloatingPointError(
                    f"fit: {e} at step {state.step}; the optimizer did not take this step "
                    "(a smaller learning rate is the usual cure; layers with running "
                    "statistics, such as BatchNorm1d, saw the batch)"
                ) from None
            meter.add(loss, batch_metrics(out, y, state.loss_fn), len(x))
            state.step += 1
            state.batch += 1
        if bar is not None:
            bar.set_postfix(loss=f"{meter.mean_loss():.4f}", refresh=False)
            bar.update()
        call(callbacks, "on_batch_end", state)
        if state.stop_training:  # a callback asked to stop: this epoch ends here
            break
    return meter.logs()


def _show_logs(bar, logs: dict) -> None:
    """End an epoch's bar with every value of its logs (loss, accuracy, val_loss,
    val_accuracy), as Keras ends an epoch's line, not the running training loss alone."""
    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)


#: evaluate's and predict's rows a batch (more than fit's: no graph is kept)
_BATCH = 256


def evaluate(
    model, loss_fn, data, batch_size: int | None = 256, prefix: str = "", *, sample_weight=None
) -> dict[str, float]:
    """Loss (and accuracy for classification) of ``model`` on ``data``, in eval mode: the
    mean over the samples, or the sum for a loss with ``reduction="sum"``.

    ``loss_fn`` is the loss the model trains with; ``data`` a `DataLoader` (read with its
    own batches, in order, every sample), a dataset or an ``(X, y)`` pair (read in batches
    of ``batch_size``), also Keras's ``(X, y, sample_weight)``; ``sample_weight`` (N,)
    weighs the samples of ``(X, y)`` arrays as `fit` does (the loss Σ wᵢ·lᵢ / N, accuracy
    unweighted). The keys are ``loss`` and ``accuracy`` with ``prefix`` before them
    (``prefix="val_"`` gives ``val_loss``). ``batch_size=None`` is the default, 256 (as
    Keras's None is its default).

    A dict, as Keras's ``evaluate(..., return_dict=True)``: read it by name,
    ``evaluate(...)["accuracy"]``. Unpacked as Keras's default list would be
    (``loss, acc = evaluate(...)``) it gives the keys, not the values."""
    if isinstance(batch_size, (np.ndarray, list, Tensor)):  # Keras's evaluate(x, y)
        raise TypeError(
            "evaluate takes the data as one argument: evaluate(model, loss_fn, (X, y)), "
            "not evaluate(model, loss_fn, X, y)"
        )
    if sample_weight is not None:
        data = (*arrays_to_weigh(data, "evaluate", "sample_weight"), sample_weight)
    loader = evaluation_loader(data, _BATCH if batch_size is None else batch_size, "evaluate")
    weighted = is_weighted(loader)
    if weighted:
        per_element(loss_fn, "evaluate")
    meter, dtype = Meter(is_summed(loss_fn)), input_dtype(model)
    with _evaluating(model), no_grad():
        for x, y, w in (unpacked(batch, "evaluate", weighted) for batch in loader):
            out = model(as_input(x, dtype))
            loss = batch_loss(loss_fn, out, y, w).item()
            meter.add(loss, batch_metrics(out, y, loss_fn), len(x))
    if meter.n == 0:
        raise ValueError(f"evaluate: the data is empty ({batching(loader)})")
    return meter.logs(prefix)


def predict(model, x, batch_size: int | None = 256) -> np.ndarray:
    """Model outputs for the inputs ``x`` (an array), computed in eval mode without a graph,
    ``batch_size`` rows at a time (None: the default, 256, as Keras's None is its
    default); the model's modes are restored afterwards."""
    from .data import ArrayDataset
    from .data._loader_args import check_batch_size

    batch_size = _BATCH if batch_size is None else batch_size
    check_batch_size("predict", batch_size)
    # (X, y), an ArrayDataset (NumPy would fail on its pairs), a DataLoader
    if isinstance(x, (tuple, ArrayDataset)) or hasattr(x, "dataset"):
        raise TypeError(
            f"predict takes the inputs as one array (X), got a {type(x).__name__}; for (X, y) "
            "data pass X, for an ArrayDataset its X, and for a DataLoader the inputs of its "
            "dataset"
        )
    x, dtype = np.asarray(x), input_dtype(model)
    if len(x) == 0 and x.ndim < 2:  # nothing, not even a feature count
        return np.zeros((0,))
    starts = range(0, len(x), batch_size) if len(x) else [0]  # no rows: shape (0, outputs)
    with _evaluating(model), no_grad():
        outs = [model(as_input(x[i : i + batch_size], dtype)).data for i in starts]
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


def _show_progress(progress: bool | None) -> bool:
    """``progress`` as given; None: on a terminal, or in a Jupyter kernel (tqdm.auto then
    draws a notebook bar), as Keras's verbose="auto". Never without a stderr to draw on
    (a process started with it closed, where Python sets ``sys.stderr`` to None)."""
    if sys.stderr is None:
        return False
    if progress is None:
        return sys.stderr.isatty() or "ipykernel.zmqshell" in sys.modules
    return progress


def _progress_bar(loader, show: bool, desc: str):
    """A bar for one epoch of ``loader`` (None when not shown), advanced by hand: wrapping
    the loader, tqdm would call iter() on it (each iter() of a shuffling loader draws an
    order, so the bar would change the run) and close the bar when the batches run out,
    before validation's values could end its line."""
    if not show:
        return None
    from tqdm.auto import tqdm

    # left on screen (leave=True): an epoch of the digits is shorter than tqdm's refresh
    # interval, and a bar cleared at its end would never have shown the loss
    return tqdm(total=len(loader), desc=desc, leave=True, unit="batch", dynamic_ncols=True)
