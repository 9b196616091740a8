"""Ops the explain tests share (user-defined Functions with known rounding)."""

from __future__ import annotations

import chainrule as cr


class Inverse(cr.Function):
    """inv: d(1/x)/dx = −1/x² — backward divides first, so it rounds unlike local × upstream."""

    def forward(self, x):
        self.saved = (x,)
        return 1 / x

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out / (x * x) * -1
