"""How `fit` calls its callbacks: each hook in the list's order (the training savers last at
an epoch's end), a warning for hooks it never calls, and the callbacks' states that a
checkpoint keeps."""

from __future__ import annotations

import difflib
import inspect
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._train_state import TrainState


def call(callbacks, hook: str, *args) -> None:
    """Call ``hook`` on every callback that has it, in the list's order."""
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            method(*args)


def epoch_end(callbacks, state: TrainState, logs: dict) -> None:
    """on_epoch_end of every callback, in the list's order, except that those that save the
    training (``saves_training``, as `ModelCheckpoint`) come after all the others, so that
    a checkpoint holds what they did (a schedule's step and logged ``lr``, EarlyStopping's
    count); what one adds to ``logs`` reaches the history before the next is called. Before
    any of them saves, each one's ``before_saving(state, logs)`` runs (`ModelCheckpoint`
    takes this epoch's best there), so that every checkpoint holds every saver's state of
    this epoch, not of the last one for the savers listed after it."""
    savers = [cb for cb in callbacks if _saves_training(cb)]
    for cb in [cb for cb in callbacks if not _saves_training(cb)]:
        _epoch_end(cb, state, logs)
    call(savers, "before_saving", state, logs)
    for cb in savers:
        _epoch_end(cb, state, logs)
    state.history.fill()


def _epoch_end(callback, state: TrainState, logs: dict) -> None:
    method = getattr(callback, "on_epoch_end", None)
    if method is not None:
        method(state, logs)
        state.history.update_last(logs)


_HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end")


#: Keras's hooks that fit has no counterpart of: a callback written for Keras that defines
#: one would be ignored in silence
KERAS_ONLY = (
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


def warn_unknown_hooks(callbacks) -> None:
    """A method fit never calls that is named as a Keras hook (``on_train_batch_end``) or
    nearly as one of fit's (a misspelling) would be ignored in silence: say so."""
    for cb in callbacks:
        methods = {n for k in type(cb).__mro__ for n, v in vars(k).items() if callable(v)}
        unknown = sorted(
            n
            for n in methods
            if n.startswith("on_")
            and n not in _HOOKS
            and (n in KERAS_ONLY or difflib.get_close_matches(n, _HOOKS, n=1, cutoff=0.85))
        )
        if unknown:
            warnings.warn(
                f"fit: the callback {type(cb).__name__} has {', '.join(unknown)}, which fit "
                f"never calls; its hooks are {', '.join(_HOOKS)}",
                UserWarning,
                stacklevel=4,  # the caller of fit (through its argument check)
            )
        keras_style = [
            f"{hook}({name}, ...)"
            for hook in _HOOKS
            if (name := _first_parameter(getattr(cb, hook, None))) in _KERAS_FIRST
        ]
        if keras_style:
            warnings.warn(
                f"fit: the callback {type(cb).__name__} has {', '.join(keras_style)}, as "
                "Keras writes its hooks, but fit gives every hook the TrainState first "
                "(on_epoch_end(state, logs), on_batch_end(state), the others (state)): the "
                "epoch is state.epoch (from 0), the model state.model, and "
                "state.stop_training = True stops training",
                UserWarning,
                stacklevel=4,  # the caller of fit (through its argument check)
            )


#: the names Keras gives the first argument of its hooks (on_epoch_end(epoch, logs),
#: on_batch_end(batch, logs), on_train_begin(logs)), where fit passes the TrainState
_KERAS_FIRST = ("epoch", "batch", "logs")


def _first_parameter(method) -> str | None:
    """The name of a bound hook's first positional parameter (None if it has none, or
    its signature cannot be read)."""
    if not callable(method):
        return None
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return params[0].name if params and params[0].kind in positional else None


def checked_callbacks(callbacks) -> list:
    """``callbacks`` as a list, each checked to be a callback: an object with at least one
    of fit's hooks (`callbacks.Callback`'s methods). A function, a class rather than an
    instance, or a lone callback not in a list is a TypeError, where fit would otherwise
    ignore it in silence or fail at its first call. None is no callbacks, as in Keras."""
    if callbacks is None:
        return []
    if any(hasattr(callbacks, hook) for hook in _HOOKS):
        raise TypeError(
            f"fit: callbacks must be a list of callbacks: callbacks=[{type(callbacks).__name__}"
            "(...)], not the callback itself"
        )
    try:
        listed = list(callbacks)
    except TypeError:
        raise TypeError(
            f"fit: callbacks must be a list of callbacks, got {type(callbacks).__name__}"
        ) from None
    for i, cb in enumerate(listed):
        _check_callback(i, cb)
    return listed


def _check_callback(i: int, cb) -> None:
    if isinstance(cb, type):
        raise TypeError(
            f"fit: callbacks[{i}] is the class {cb.__name__}; give an instance, {cb.__name__}(...)"
        )
    if not any(n.startswith("on_") and callable(getattr(cb, n, None)) for n in dir(cb)):
        # (one with Keras's hooks or misspelt ones only is warned about: it is a callback)
        raise TypeError(
            f"fit: callbacks[{i}] is a {type(cb).__name__}, not a callback: fit calls none of "
            f"its methods. Subclass cr.callbacks.Callback and override its hooks "
            f"({', '.join(_HOOKS)})"
        )


def stops_at_nan(callbacks, state: TrainState, reason: str) -> bool:
    """Whether fit stops, rather than raises, at a NaN or infinite loss: when a callback
    says so (``terminates_on_nan``, as `TerminateOnNaN`), each such one's
    ``terminate(state, reason)`` is called and ``state.stop_training`` set."""
    stoppers = [cb for cb in callbacks if getattr(cb, "terminates_on_nan", False) is True]
    for cb in stoppers:
        cb.terminate(state, reason)
    if stoppers:
        state.stop_training = True
    return bool(stoppers)


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
