"""Anomaly mode against PyTorch's API: the ``check_nan`` argument of ``detect_anomaly`` and
``set_detect_anomaly``, and that the mode checks what it promises whichever form turns it on."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_detect_anomaly_takes_check_nan_true_as_in_pytorch():
    """``detect_anomaly(check_nan=True)`` is PyTorch's spelling of the default: it turns the
    mode on, checks, and restores the previous state on exit."""
    with cr.detect_anomaly(check_nan=True):
        assert cr.is_anomaly_enabled()
        x = cr.tensor(0.0, requires_grad=True, dtype="float64")
        with pytest.raises(cr.AnomalyError) as info:
            cr.log(x)
    assert info.value.op == "Log"
    assert info.value.phase == "forward"
    assert not cr.is_anomaly_enabled()


def test_detect_anomaly_with_check_nan_works_as_a_decorator():
    """``@cr.detect_anomaly(check_nan=True)`` decorates a function as ``@cr.detect_anomaly``."""

    @cr.detect_anomaly(check_nan=True)
    def inside() -> bool:
        """Whether anomaly mode is on while the function runs."""
        return cr.is_anomaly_enabled()

    assert inside()
    assert not cr.is_anomaly_enabled()


def test_set_detect_anomaly_takes_check_nan_true():
    """``set_detect_anomaly(True, check_nan=True)``, PyTorch's signature, turns the mode on."""
    try:
        cr.set_detect_anomaly(True, check_nan=True)
        assert cr.is_anomaly_enabled()
        x = cr.tensor(np.array([1.0, -1.0]), requires_grad=True)
        with pytest.raises(cr.AnomalyError):
            cr.sqrt(x)
    finally:
        cr.set_detect_anomaly(False)
    assert not cr.is_anomaly_enabled()


@pytest.mark.parametrize(
    "make",
    [
        lambda: cr.detect_anomaly(check_nan=False),
        lambda: cr.set_detect_anomaly(True, check_nan=False),
    ],
)
def test_check_nan_false_is_refused_not_ignored(make):
    """PyTorch's check_nan=False (record lines, do not raise on NaN) is not a mode chainrule
    has: it is refused, naming the argument, rather than silently checking anyway, and the
    mode is left off."""
    with pytest.raises(ValueError, match="check_nan=False"):
        make()
    assert not cr.is_anomaly_enabled()
