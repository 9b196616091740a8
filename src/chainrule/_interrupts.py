"""Ctrl-C at safe points: `fit` holds a SIGINT that arrives during a training step until
the step is done, so that the checkpoint saved on the way out is consistent."""

from __future__ import annotations

import signal
import threading


class Interrupts:
    """While active (in the main thread, with Python's default SIGINT handler), a Ctrl-C
    that arrives inside ``with self.critical:`` is held until that block ends: an interrupt
    never lands between an optimizer's update and the step counter, so a checkpoint saved
    on the way out describes weights and position that belong together. Inside ``with
    self.patient:`` (callbacks at an epoch's end, which may be slow) it is held too, but a
    second Ctrl-C stops at once: a hung callback can always be interrupted."""

    def __init__(self):
        self.depth, self.hard, self.pending, self.previous = 0, 0, False, None
        self.critical = Critical(self, hard=True)
        self.patient = Critical(self, hard=False)

    def __enter__(self) -> Interrupts:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None

    def _handle(self, signum, frame) -> None:
        if self.depth and not (self.pending and self.hard == 0):
            self.pending = True
        else:  # outside any block, or a second Ctrl-C in a patient one
            self.pending = False
            raise KeyboardInterrupt


class Critical:
    """``with interrupts.critical:`` or ``with interrupts.patient:`` -- see `Interrupts`."""

    __slots__ = ("hard", "owner")

    def __init__(self, owner: Interrupts, hard: bool):
        self.owner, self.hard = owner, hard

    def __enter__(self) -> None:
        self.owner.depth += 1
        self.owner.hard += self.hard

    def __exit__(self, exc_type, exc, tb) -> None:
        owner = self.owner
        owner.depth -= 1
        owner.hard -= self.hard
        if owner.depth == 0 and owner.pending and exc_type is None:
            owner.pending = False
            raise KeyboardInterrupt
