"""Ctrl-C inside a training step waits for the step (`chainrule._interrupts`), in-process."""

from __future__ import annotations

import os
import signal

import pytest

from chainrule._interrupts import Interrupts


def _ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


def test_a_sigint_inside_a_critical_block_is_raised_when_the_block_ends():
    done = []

    def step(interrupts):
        with interrupts.critical:
            _ctrl_c()
            done.append("rest of the step")  # still runs: the signal is held
        done.append("after the block")  # never runs: the held interrupt is raised first

    with Interrupts() as interrupts, pytest.raises(KeyboardInterrupt):
        step(interrupts)
    assert done == ["rest of the step"]


def test_a_sigint_outside_a_critical_block_is_raised_at_once():
    done = []

    def work():
        _ctrl_c()
        done.append("after the signal")

    with Interrupts(), pytest.raises(KeyboardInterrupt):
        work()
    assert done == []


def test_the_previous_handler_is_restored():
    before = signal.getsignal(signal.SIGINT)
    with Interrupts():
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before


def test_a_program_with_its_own_handler_keeps_it():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda *a: seen.append("mine"))
    try:
        with Interrupts() as interrupts, interrupts.critical:
            _ctrl_c()
        assert seen == ["mine"]
    finally:
        signal.signal(signal.SIGINT, previous)
