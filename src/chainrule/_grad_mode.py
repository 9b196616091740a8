"""Whether operations record a graph: `no_grad` and `enable_grad`.

The flag lives on a class so the hot path reads one attribute; both context managers
restore the previous state in ``finally``, so an exception never leaves it changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True when new operations record a graph for backward."""
    return _GradMode.enabled


@contextlib.contextmanager
def _set_grad(enabled: bool) -> Iterator[None]:
    previous = _GradMode.enabled
    _GradMode.enabled = enabled
    try:
        yield
    finally:
        _GradMode.enabled = previous


def no_grad():
    """Context manager: operations inside record no graph (for inference and updates)."""
    return _set_grad(False)


def enable_grad():
    """Context manager: record a graph again, even inside `no_grad`."""
    return _set_grad(True)
