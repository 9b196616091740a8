"""The methods of the elementwise ops: ``exp``, ``log``, ``sqrt``, ``abs``, the activations
(``relu``, ``sigmoid``, ``gelu``, ...), ``clip``, ``pow``, ``masked_fill``, one line each.
Mixed into `Tensor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _tensor

if TYPE_CHECKING:
    from ._tensor import Tensor

# ``_tensor.ops``, read at each call: the ops build Tensors, so `_tensor` imports them after
# the class exists (an attribute read, where an import inside each method would cost more
# than a 0-d op)


class ElementwiseMethods:
    """``x.exp()``, ``x.relu()``, ``x.clip(lo, hi)``, ...: each calls its op."""

    __slots__ = ()

    def square(self) -> Tensor:
        """x² elementwise (``x * x``), as PyTorch's ``square``."""
        return _tensor.ops.square(self)

    def masked_fill(self, mask, value) -> Tensor:
        """``value`` where the boolean ``mask`` is true, else this tensor, as PyTorch's
        ``masked_fill``; see `chainrule.ops.masked_fill`."""
        return _tensor.ops.masked_fill(self, mask, value)

    def exp(self) -> Tensor:
        """eˣ elementwise."""
        return _tensor.ops.exp(self)

    def log(self) -> Tensor:
        """Natural logarithm elementwise."""
        return _tensor.ops.log(self)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return _tensor.ops.sqrt(self)

    def abs(self) -> Tensor:
        """|x| elementwise (gradient 0 at 0)."""
        return _tensor.ops.abs(self)

    def sin(self) -> Tensor:
        """sin x elementwise."""
        return _tensor.ops.sin(self)

    def cos(self) -> Tensor:
        """cos x elementwise."""
        return _tensor.ops.cos(self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
        return _tensor.ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """Logistic sigmoid 1 / (1 + e⁻ˣ) elementwise."""
        return _tensor.ops.sigmoid(self)

    def relu(self) -> Tensor:
        """max(x, 0) elementwise (gradient 0 at 0)."""
        return _tensor.ops.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, ``negative_slope`` · x otherwise."""
        return _tensor.ops.leaky_relu(self, negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, α·(eˣ − 1) otherwise."""
        return _tensor.ops.elu(self, alpha)

    def gelu(self, *, approximate: str = "none") -> Tensor:
        """x·Φ(x) elementwise (GELU, Φ the standard normal CDF); ``approximate="tanh"`` for
        ½·x·(1 + tanh(√(2/π)(x + 0.044715x³))); see `chainrule.gelu`."""
        return _tensor.ops.gelu(self, approximate=approximate)

    def silu(self) -> Tensor:
        """x·σ(x) elementwise (SiLU, swish)."""
        return _tensor.ops.silu(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """(1/β)·ln(1 + e^(βx)) elementwise, x itself where βx > ``threshold``."""
        return _tensor.ops.softplus(self, beta, threshold)

    def clip(self, lo=None, hi=None, *, min=None, max=None) -> Tensor:
        """Values limited to [lo, hi] (either bound may be None); ``min=`` and ``max=`` name
        the same bounds, as in PyTorch and NumPy 2."""
        return _tensor.ops.clip(self, lo, hi, min=min, max=max)

    def clamp(self, min=None, max=None) -> Tensor:
        """PyTorch's name for `clip`: values limited to [min, max]."""
        return _tensor.ops.clip(self, min, max)

    def pow(self, y) -> Tensor:
        """``self ** y`` elementwise, as a method (PyTorch's ``pow``)."""
        return _tensor.ops.pow(self, y)
