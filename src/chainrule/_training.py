"""The training loop: `fit`.

The loop knows nothing about the model: it feeds mini-batches, calls the loss, runs
backward and steps the optimizer. Callbacks (`_callbacks.py`) see every epoch's logs and can
stop training, save checkpoints or change the learning rate. Beside it: the `TrainState`
callbacks see (`_train_state.py`), one step (`_train_step.py`), `evaluate` and `predict`
(`_evaluation.py`), the checks of its arguments (`_fit_arguments.py`), its progress bar
(`_fit_progress.py`), what it logs (`_history.py`, per batch `_metrics.py`), the data it is
given (`_fit_data.py`) and its sample weights (`_sample_weights.py`), how it calls callbacks
(`_callback_calls.py`) and where a run is when it resumes (`_position.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from ._arguments import flag
from ._callback_calls import (
    call,
    checked_callbacks,
    epoch_end,
    load_callback_states,
    stops_at_nan,
    warn_unknown_hooks,
)
from ._evaluation import evaluate
from ._fit_arguments import (
    _check_epochs,
    _check_roles,
    _class_weighted,
    _explained_binding,
    _loaders,
    _progress_setting,
    _validation,
)
from ._fit_data import (
    check_loader_settings,
    input_dtype,
    split_validation,
    unpacked,
)
from ._fit_progress import _progress_bar, _show_logs, _show_progress
from ._generator import default_generator
from ._history import History
from ._interrupts import Interrupts
from ._metrics import Meter, batch_metrics, is_summed
from ._position import loader_state, resume_point
from ._sample_weights import is_weighted, per_element
from ._train_state import TrainState, _restore_position
from ._train_step import train_step

__all__ = ["fit"]


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
    _check_epochs(epochs, initial_epoch, resume_from)
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
    loader, val_data = _loaders(model, train_data, val_data, batch_size, shuffle, seed)
    if is_weighted(loader) or is_weighted(val_data):
        per_element(loss_fn)  # a TypeError now for a loss that cannot weigh each sample
    if kept is not None:
        default_generator().bit_generator.state = kept
    state, saved_callbacks = _initial_state(
        model, optimizer, loss_fn, loader, history, initial_epoch, epochs, resume_from
    )
    state.validates = val_data is not None
    state.callbacks = callbacks
    warn_unknown_hooks(callbacks)
    show = _show_progress(progress)
    return _train_epochs(state, epochs, val_data, batch_size, show, saved_callbacks, summed)


def _initial_state(model, optimizer, loss_fn, loader, history, initial_epoch, epochs, resume):
    """fit's `TrainState` at its start, ``initial_epoch``, or at the point ``resume`` holds
    (its history and position restored); and the callbacks' states it holds (or None)."""
    saved_callbacks = None
    if resume is not None:
        resume, history, saved_callbacks = resume_point(resume, history, epochs, loader)
    state = TrainState(model, optimizer, loss_fn, loader, history or History(), initial_epoch)
    state.input_dtype = input_dtype(model)
    state.epochs_done = initial_epoch
    if resume is not None:
        _restore_position(state, resume)
    return state, saved_callbacks


def _begin_epoch(state: TrainState, callbacks, loader, epoch: int, summed: bool) -> bool:
    """Begin ``epoch`` (unless it is the one being resumed) and call on_epoch_begin; False
    when a callback stopped training there, before the epoch trained a batch."""
    if state.meter is None:  # a new epoch (not the one being resumed)
        state.epoch_loader_state = loader_state(loader)
        state.epoch, state.batch, state.meter = epoch, 0, Meter(summed)
        state.epoch_resumed = False
    call(callbacks, "on_epoch_begin", state)
    if state.stop_training:  # asked before the epoch trained: it is not begun
        if not state.epoch_resumed:
            state.meter = None
        return False
    return True


def _train_epochs(state: TrainState, epochs, val_data, batch_size, show, saved_callbacks, summed):
    """fit's epochs, from ``state.epoch`` to ``epochs`` (each validated on ``val_data``
    when given), between the callbacks' on_train_begin and on_train_end; its `History`."""
    model, loss_fn, loader, callbacks = state.model, state.loss_fn, state.loader, state.callbacks
    with Interrupts() as interrupts:
        defer = interrupts.critical
        call(callbacks, "on_train_begin", state)
        if saved_callbacks is not None:  # after on_train_begin, which starts them afresh
            load_callback_states(callbacks, saved_callbacks)
        for epoch in range(state.epoch, epochs):
            if not _begin_epoch(state, callbacks, loader, epoch, summed):
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
