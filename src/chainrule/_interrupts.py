"""Ctrl-C at safe points: `fit` holds a SIGINT that arrives during a training step until
the step is done, so that the checkpoint saved on the way out is consistent."""

from __future__ import annotations

import signal
import threading


class Interrupts:
    """While active (in the main thread, with Python's default SIGINT handler), a Ctrl-C
    that arrives inside ``with self.critical:`` is held until that block ends: an interrupt
    never lands between an optimizer's update and the step counter, so a checkpoint saved
    on the way out describes weights and position that belong together."""

    def __init__(self):
        self.depth, self.pending, self.previous = 0, False, None
        self.critical = Critical(self)

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
        if self.depth:
            self.pending = True
        else:
            raise KeyboardInterrupt


class Critical:
    """``with interrupts.critical:`` -- see `Interrupts`."""

    __slots__ = ("owner",)

    def __init__(self, owner: Interrupts):
        self.owner = owner

    def __enter__(self) -> None:
        self.owner.depth += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        owner = self.owner
        owner.depth -= 1
        if owner.depth == 0 and owner.pending and exc_type is None:
            owner.pending = False
            raise KeyboardInterrupt
