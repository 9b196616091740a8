"""The `TrainState` callbacks see: where training is, and its position restored on resume."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._history import History
from ._metrics import Meter, is_summed
from ._position import loader_state

__all__ = ["TrainState"]


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
