"""Keras's callbacks that watch a run rather than steer it: `TerminateOnNaN`, which turns
fit's error at a NaN or infinite loss into a clean stop, and `CSVLogger`, one row per
epoch in a file that a resumed run continues exactly. Re-exported by
`chainrule.callbacks`."""

from __future__ import annotations

import csv
import os
import warnings

import numpy as np

from ._anomaly import user_frame
from ._arguments import count, flag
from ._callbacks import Callback
from ._monitoring import check_keys


class TerminateOnNaN(Callback):
    """Stop training when the loss of a batch becomes NaN or infinite, as Keras's.

    ``fit`` checks every batch's loss itself, before the optimizer steps: without this
    callback a NaN or infinite loss is a `FloatingPointError`; with it, training stops
    there cleanly. The check is per batch, on the training loss (not on ``val_loss``, as
    in Keras). The run ends as the error would leave it, without raising: the optimizer
    did not take that batch's step (the weights are those of the step before; layers with
    running statistics saw the batch), the unfinished epoch has no row in the `History`
    (its earlier epochs' rows are kept) and no checkpoint, and ``on_train_end`` runs. A
    `RuntimeWarning`, attributed to the line of your code that called ``fit``, names the
    epoch and batch (both counted from 1), the step and the loss; ``message`` keeps it
    (None while no loss went wrong).

    Unlike Keras's, whose step has already made the weights NaN when it looks at the
    loss, the weights stay finite and the stopped epoch logs no NaN row. It keeps no
    state: a run resumed from the last checkpoint trains that epoch again and, the run
    being the same, stops at the same batch, as the uninterrupted run did.
    """

    #: fit stops, rather than raises, at a NaN or infinite loss when a callback says so
    terminates_on_nan = True

    def __init__(self):
        self.message = None

    def on_train_begin(self, state) -> None:
        """Forget the message of an earlier ``fit``."""
        self.message = None

    def terminate(self, state, reason: str) -> None:
        """Called by ``fit`` at a non-finite loss (``reason``: "the loss became nan"),
        before it stops: keep and warn the message."""
        self.message = (
            f"TerminateOnNaN: {reason} in epoch {state.epoch + 1}, batch {state.batch + 1} "
            f"(step {state.step}): training stopped; the optimizer did not take this step "
            "and the epoch has no row in the history"
        )
        # attributed to the user's line that called fit, not to fit's loop
        warnings.warn(self.message, RuntimeWarning, stacklevel=user_frame()[1])


class CSVLogger(Callback):
    """Write every epoch's logs to a CSV file, one row an epoch, as Keras's.

    The columns are ``epoch`` (counted from 0, as Keras writes it) and the keys of the
    first epoch's logs, sorted (``accuracy``, ``loss``, ``lr``, ``val_loss``, …); the
    header is written once, above the first row. The keys are fixed then, as in Keras: a
    later epoch without one of them writes ``NA`` in its column, and a key first logged
    in a later epoch is left out with a `UserWarning` naming it (once), never written
    into another column. Numbers are written in full (``repr``), so they read back exact.

    The row of an epoch is written after every other callback has added its values to
    the logs (a `LearningRateScheduler`'s ``lr``, wherever it is in the list) and before
    any checkpoint of that epoch is saved, then the file is closed: a run killed loses at
    most the epoch it was in. With ``append=False`` a ``fit`` starts the file afresh; with
    ``append=True`` it adds rows to the file, under its header (the columns are then
    those of the header; a last line without its line end is given one first).

    Resumed from a `ModelCheckpoint` checkpoint, the file ends with exactly the rows of an
    uninterrupted run: the checkpoint holds the file's length at that epoch and the
    columns, and the resumed run cuts the file back to that length before writing on, so
    the rows of epochs logged after the checkpoint, which the run trains again, are not
    there twice (a file shorter than that length is an error naming it). A run resumed
    without the logger's state (``initial_epoch``, or a ``resume_point()`` without
    callbacks) follows ``append``, as Keras does.

    Unlike Keras's: a value that is a list or array is not written as a quoted list;
    there is no per-batch logging. A file that cannot be written is an `OSError` naming
    it, when training begins its first epoch.
    """

    #: fit calls `before_saving` after the other callbacks' on_epoch_end and before any
    #: checkpoint is written: the row is written there (see `ModelCheckpoint`)
    saves_training = True

    def __init__(self, filename, separator=",", append=False):
        if not isinstance(filename, (str, os.PathLike)) or not os.fspath(filename):
            raise TypeError(f"CSVLogger: filename must be a path, got {filename!r}")
        if not isinstance(separator, str) or len(separator) != 1 or separator in '\r\n"':
            raise ValueError(
                f"CSVLogger: separator must be one character (not a quote or a line end), "
                f"got {separator!r}"
            )
        self.filename = os.fspath(filename)
        self.separator, self.append = separator, flag("CSVLogger", "append", append)
        self._start()

    def _start(self) -> None:
        self.keys, self.size, self._left_out = None, 0, set()
        self._ready, self._resumed = False, False

    def on_train_begin(self, state) -> None:
        """Start afresh (a resumed ``fit`` then gives back the saved state)."""
        self._start()

    def on_epoch_begin(self, state) -> None:
        """Open the file as this ``fit`` needs it, once: afresh, to append, or cut back to
        a resumed checkpoint's length."""
        self._prepare()

    def on_train_end(self, state) -> None:
        """Cut a resumed file back even when no epoch was left to train."""
        self._prepare()

    def before_saving(self, state, logs: dict) -> None:
        """Write the epoch's row (every other callback has added its values to ``logs``;
        no checkpoint of the epoch is written yet)."""
        self._prepare()
        rows = [] if self.keys is not None else [self._fix_keys(logs)]
        self._warn_left_out(logs, state.epoch)
        rows.append([state.epoch, *(_cell(logs.get(k, "NA")) for k in self.keys[1:])])
        self._write(rows)

    def _fix_keys(self, logs: dict) -> list:
        """The columns, from the first logs; the header row to write."""
        self.keys = ["epoch", *sorted(k for k in logs if k != "epoch")]
        return self.keys

    def _warn_left_out(self, logs: dict, epoch: int) -> None:
        new = sorted(set(logs) - set(self.keys) - self._left_out)
        if new:
            self._left_out.update(new)
            warnings.warn(
                f"CSVLogger: {', '.join(map(repr, new))} first logged in epoch {epoch}, after "
                f"the columns of {self.filename!r} were fixed ({', '.join(self.keys)}): "
                "left out of the file",
                UserWarning,
                stacklevel=user_frame()[1],  # the user's line that called fit
            )

    def _write(self, rows: list) -> None:
        try:
            with open(self.filename, "a", newline="", encoding="utf-8") as f:
                csv.writer(f, delimiter=self.separator).writerows(rows)
        except OSError as e:
            raise _unwritable(self.filename, e) from None
        self.size = os.path.getsize(self.filename)

    def _prepare(self) -> None:
        if self._ready:
            return
        try:
            if self._resumed:
                self._cut_back()
            elif self.append:
                self._read_header()
            else:
                open(self.filename, "w", encoding="utf-8").close()
                self.size = 0
        except OSError as e:
            raise _unwritable(self.filename, e) from None
        self._ready = True

    def _cut_back(self) -> None:
        """Truncate the file to the length the checkpoint recorded."""
        size = os.path.getsize(self.filename) if os.path.exists(self.filename) else None
        if size is None or size < self.size:
            raise ValueError(
                f"CSVLogger: the checkpoint resumed from logged {self.size} bytes to "
                f"{self.filename!r}, which now has {'none' if size is None else size}: it "
                "was changed or replaced since (a new file needs a new CSVLogger state: drop "
                "its entry from the checkpoint's callbacks)"
            )
        with open(self.filename, "r+b") as f:
            f.truncate(self.size)

    def _read_header(self) -> None:
        """Appending: the columns are those of the file's header, if it has one."""
        if not os.path.exists(self.filename):
            open(self.filename, "w", encoding="utf-8").close()
        _end_last_line(self.filename)
        with open(self.filename, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f, delimiter=self.separator), None)
        self.keys = header or None
        self.size = os.path.getsize(self.filename)

    def state_dict(self) -> dict:
        """``{"keys": [str] | None, "size": int}``: the columns and the file's length in
        bytes after the last row written."""
        return {"keys": None if self.keys is None else list(self.keys), "size": self.size}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (a resumed ``fit`` does this from the checkpoint); the
        file is cut back to its length as the next epoch begins."""
        check_keys(state_dict, ("keys", "size"))
        keys = state_dict["keys"]
        if keys is not None and not (
            isinstance(keys, (list, tuple)) and all(isinstance(k, str) for k in keys)
        ):
            raise ValueError(f"keys must be a list of names or None, got {keys!r}")
        size = count("size", state_dict["size"], 0, "CSVLogger")
        self.keys = None if keys is None else list(keys)
        self.size, self._resumed, self._ready = size, True, False


def _cell(value):
    """A logged value as the csv module writes it: a NumPy number or 0-d array as the
    Python number it holds (a float is written in full, its repr)."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def _end_last_line(filename: str) -> None:
    """End the file's last line if it has no line end (a file written by hand or by
    another program), so that the next row starts a line of its own."""
    with open(filename, "rb+") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return
        f.seek(-1, os.SEEK_END)
        if f.read(1) not in (b"\n", b"\r"):
            f.write(b"\r\n")  # the csv module's line end


def _unwritable(filename: str, error: OSError) -> OSError:
    return type(error)(f"CSVLogger: cannot write the log {filename!r}: {error.strerror or error}")
