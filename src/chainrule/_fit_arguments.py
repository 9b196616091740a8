"""fit's arguments: checked before anything trains (PyTorch's and Keras's mix-ups named),
Keras's names read, and the data made into its training and validation loaders."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ._evaluation import predict
from ._fit_data import (
    arrays_to_weigh,
    batching,
    check_finite,
    class_sample_weight,
    evaluation_loader,
    input_dtype,
    train_loader,
)
from ._sample_weights import check_class_weight
from ._tensor import Tensor
from .data import IterableDataset

#: the order of fit's first arguments, named in the errors for calls that mix them up
_ORDER = "fit(model, loss_fn, optimizer, train_data, epochs)"


_SPLIT_DATA = (
    "fit takes the training data as one argument, (X, y): fit(model, loss_fn, optimizer, "
    "(X, y), epochs=...), not fit(model, loss_fn, optimizer, X, y, ...) as in Keras"
)


def _looks_like_data(value) -> bool:
    """Whether an argument is an array of samples (Keras's ``y``) rather than a count."""
    return isinstance(value, (np.ndarray, Tensor, list, tuple))


def _binding_problem(args: tuple, error: TypeError, signature) -> str:
    if len(args) > 4 and _looks_like_data(args[4]):
        return _SPLIT_DATA
    return f"fit: {error}; its arguments are {', '.join(signature.parameters)}"


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


def _check_epochs(epochs, initial_epoch, resume_from) -> None:
    """``epochs`` and ``initial_epoch`` must be counts (``epochs`` given as Keras's ``y`` is
    named as such), and ``initial_epoch`` is not given with ``resume_from``."""
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


def _is_optimizer(obj) -> bool:
    """Whether ``obj`` has what `train_step` calls on an optimizer."""
    return callable(getattr(obj, "step", None)) and callable(getattr(obj, "zero_grad", None))


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


def _classes(out: np.ndarray) -> int:
    """The number of classes an output (1, ...) scores."""
    if out.ndim > 2:
        raise ValueError(
            f"fit: class_weight weighs a sample by its class; the model's outputs, of shape "
            f"{out.shape[1:]} a sample, score a class per position: give sample_weight, or "
            "the loss's weight="
        )
    return out.shape[1] if out.ndim == 2 and out.shape[1] > 1 else 2


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


def _loaders(model, train_data, val_data, batch_size: int, shuffle: bool | None, seed):
    """fit's training loader and validation loader (None without validation data), each
    refused when empty or holding values that are not finite."""
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
    return loader, val_data
