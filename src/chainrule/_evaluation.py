"""A trained model's use: `evaluate` (its loss and accuracy on data) and `predict` (its
outputs), both in eval mode and without a graph."""

from __future__ import annotations

import contextlib

import numpy as np

from ._fit_data import arrays_to_weigh, as_input, batching, evaluation_loader, input_dtype, unpacked
from ._grad_mode import no_grad
from ._metrics import Meter, batch_metrics, is_summed
from ._sample_weights import batch_loss, is_weighted, per_element
from ._tensor import Tensor
from .data import ArrayDataset
from .data._loader_args import check_batch_size

__all__ = ["evaluate", "predict"]


#: evaluate's and predict's rows a batch (more than fit's: no graph is kept)
_BATCH = 256


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
