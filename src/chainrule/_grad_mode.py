"""Whether operations record a graph: `no_grad`, `enable_grad` and `set_grad_enabled`.

The flag is one attribute the hot path reads, kept per thread as in PyTorch: a
``no_grad`` block in one thread does not stop another from recording (each thread starts
with recording on). Both context managers restore the previous state on exit, even when an
exception leaves the block. The same machinery sets the process-wide flags of anomaly mode
and strict mode (`_SetGlobal`: on while any thread's block is open).
"""

from __future__ import annotations

import functools
import inspect
import threading


class _PerThread(threading.local):
    """A flag with a value per thread; every thread starts with the class default."""

    enabled = True


_GradMode = _PerThread()


def is_grad_enabled() -> bool:
    """True when new operations record a graph for backward."""
    return _GradMode.enabled


class _SetMode:
    """Context manager and decorator (``@mode`` or ``@mode()``) setting ``_flag.enabled``.

    A subclass names the class holding the flag (``_flag``) and the value to set
    (``enabled``). The previous value is restored on exit, exceptions included; nesting
    and re-entering one instance work (each entry pushes the value it replaced).
    """

    _flag: object
    enabled: bool

    def __init__(self, func=None):
        if func is not None and not callable(func):
            raise TypeError(
                f"{type(self).__name__} takes no arguments (or, as a decorator, the function "
                f"to decorate), got {func!r}"
            )
        self._saved = threading.local()  # per thread: one instance may be entered in several
        self._func = func
        if func is not None:
            functools.update_wrapper(self, func)

    def _previous(self) -> list[bool]:
        stack = getattr(self._saved, "stack", None)
        if stack is None:
            stack = self._saved.stack = []
        return stack

    def __enter__(self) -> None:
        self._previous().append(self._flag.enabled)
        self._flag.enabled = self.enabled

    def __exit__(self, *exc) -> None:
        self._flag.enabled = self._previous().pop()

    def __call__(self, *args, **kwargs):
        if self._func is None:  # @mode(): called with the function to decorate
            return type(self)(args[0])
        if inspect.isgeneratorfunction(self._func):
            return self._generate(self._func(*args, **kwargs))
        with type(self)():
            return self._func(*args, **kwargs)

    def _generate(self, gen):
        """Run a decorated generator with the mode set while its body runs (each resume),
        and as it was outside, between the values it yields."""
        mode = type(self)
        try:
            with mode():
                value = gen.send(None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    with mode():
                        gen.close()
                    raise
                except BaseException as e:  # thrown in: the generator's body handles it
                    with mode():
                        value = gen.throw(e)
                else:
                    with mode():
                        value = gen.send(sent)
        except StopIteration as stop:
            return stop.value

    def __get__(self, obj, objtype=None):
        # a decorated method: bound to its object as a function would be
        if obj is None or self._func is None:
            return self
        return functools.partial(self.__call__, obj)


class _SetGlobal(_SetMode):
    """`_SetMode` for a process-wide flag (anomaly mode, strict mode), which blocks in
    several threads may turn on at overlapping times: the flag is on while any block is
    open, and goes back to the value before the first block when the last one closes (a
    value saved per thread and restored on exit would switch it off inside another
    thread's block, or leave it on for good)."""

    _lock = threading.Lock()

    def __enter__(self) -> None:  # the flag class declares open_blocks = 0, before = False
        flag = self._flag
        with self._lock:
            if flag.open_blocks == 0:
                flag.before = flag.enabled
            flag.open_blocks += 1
            flag.enabled = self.enabled

    def __exit__(self, *exc) -> None:
        flag = self._flag
        with self._lock:
            flag.open_blocks -= 1
            if flag.open_blocks == 0:
                flag.enabled = flag.before


class _SetGrad(_SetMode):
    _flag = _GradMode


class no_grad(_SetGrad):  # noqa: N801 (lowercase like a function, as in PyTorch)
    """Operations inside record no graph (for inference and parameter updates).

    Use as ``with cr.no_grad(): ...`` or as a decorator."""

    enabled = False


class enable_grad(_SetGrad):  # noqa: N801
    """Record a graph again, even inside `no_grad` (context manager or decorator)."""

    enabled = True


class set_grad_enabled(_SetGrad):  # noqa: N801
    """Record a graph when ``mode`` is True, not when False, as PyTorch's: a plain call
    ``cr.set_grad_enabled(False)`` sets the mode at once (in this thread) and keeps it;
    ``with cr.set_grad_enabled(mode): ...`` puts back, on leaving, the mode from before the
    call; as a decorator, the function runs under `enable_grad` or `no_grad`."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):  # bool(...) of a tensor or a string would guess
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        super().__init__()
        self.enabled, self._before = mode, _GradMode.enabled
        _GradMode.enabled = mode

    def __enter__(self) -> None:  # the mode is already set: leaving restores the one before
        self._previous().append(self._before)
        _GradMode.enabled = self.enabled

    def __call__(self, func):
        _GradMode.enabled = self._before  # a decorator changes nothing until func runs
        return (enable_grad if self.enabled else no_grad)(func)
