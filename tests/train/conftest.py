"""Fixtures the training tests share."""

from __future__ import annotations

import pytest

from chainrule import _training


@pytest.fixture
def interrupt_at_step(monkeypatch):
    """``arm(n)``: the n-th training step (counted from 1) raises KeyboardInterrupt, as a
    Ctrl-C landing as that step begins; ``monkeypatch.undo()`` disarms it."""

    def arm(n: int) -> None:
        real_step, calls = _training.train_step, []

        def interrupting_step(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            return real_step(*args, **kwargs)

        monkeypatch.setattr(_training, "train_step", interrupting_step)

    return arm
