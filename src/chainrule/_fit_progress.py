"""fit's progress bar: whether it is shown, one bar an epoch, ended with the epoch's logs."""

from __future__ import annotations

import sys


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


def _show_logs(bar, logs: dict) -> None:
    """End an epoch's bar with every value of its logs (loss, accuracy, val_loss,
    val_accuracy), as Keras ends an epoch's line, not the running training loss alone."""
    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
