"""`Module`'s display: `ModuleDisplay` gives it PyTorch's repr (``extra_repr`` and the
nested layout of the children) and ``summary``, whose table `_summary.py` builds."""

from __future__ import annotations

from . import _module  # Module, read when a repr is made (it imports this)


class ModuleDisplay:
    """The display methods of `Module`."""

    def extra_repr(self) -> str:
        """The settings shown inside the parentheses of the repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's: the settings on one line in the parentheses; each child, and each line
        of settings over several lines, on a line of its own, indented."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []  # a container's settings first, as PyTorch's
        children = [(n, v) for n, v in self._members() if isinstance(v, _module.Module)]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({extra})"
        lines += [f"({name}): {child!r}" for name, child in children]
        body = "".join("\n  " + line.replace("\n", "\n  ") for line in lines)
        return f"{type(self).__name__}({body}\n)" if body else f"{type(self).__name__}()"

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of each layer's output shape and parameter count, and the totals. A
        container is a row only for parameters it holds itself (after its layers' rows), and
        a parameter counted in an earlier row shows as "0 (shared)": the rows add up to the
        total of the layers that ran.

        A zero input of ``input_shape`` (batch axis included, e.g. ``(1, 784)``) is passed
        through the model in eval mode without recording a graph; the modes are restored.
        Without ``input_shape`` nothing runs: one row per layer the model holds, in order,
        with "?" for its output shape. The text is returned (``print`` it); at the
        interactive prompt it shows as the table.
        """
        from ._summary import summary  # here: _summary.py imports _module.py, which imports this

        return summary(self, input_shape)
