"""The stacked recurrent layers `RNN`, `LSTM` and `GRU`, with PyTorch's arguments, shapes,
parameters (``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``, shaped as PyTorch's so its state loads as it is) and initialisation,
running the steps of `_recurrent.py` over time. Each layer and direction computes the
input's part of its gates for the whole sequence in one `linear`; the loop over time
steps holds only the hidden state's product and the gates."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._generator import generator_or_default
from .._tensor import Tensor
from ._layers import _parameter_dtype, dropout, linear
from ._module import Module
from ._recurrent import STEPS, initialise, input_tensor, new_parameters, rnn_mode, states

_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _check_dropout(who: str, p, num_layers: int) -> float:
    """The dropout between layers: a number in [0, 1]; above 0 with one layer it does
    nothing, and PyTorch's warning says so."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(
            f"{who}: dropout must be a number in [0, 1] (the probability of zeroing an "
            f"element of a layer's output before the next layer), got {p!r}"
        )
    if p > 0 and num_layers == 1:
        warnings.warn(
            f"{who}: dropout is applied between recurrent layers only, so dropout={p} "
            "expects num_layers greater than 1, but got num_layers=1",
            UserWarning,
            stacklevel=3,
        )
    return float(p)


class _Recurrent(Module):
    """What `RNN`, `LSTM` and `GRU` share, as PyTorch's ``RNNBase``: the arguments, the
    parameters of each layer k and direction, the run over a sequence and the repr."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers,
        bias,
        batch_first,
        dropout,
        bidirectional,
        dtype,
        generator,
    ):
        name = type(self).__name__
        sizes = {"input_size": input_size, "hidden_size": hidden_size}
        check_counts(name, **sizes, num_layers=num_layers)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias = flag(name, "bias", bias)
        self.batch_first = flag(name, "batch_first", batch_first)
        self.dropout = _check_dropout(name, dropout, num_layers)
        self.bidirectional = flag(name, "bidirectional", bidirectional)
        generator_or_default(generator, name)  # refused here, not at the first training call
        self.generator = generator
        dtype = _parameter_dtype(name, dtype)
        for k in range(num_layers):
            for d in range(self._directions):
                new_parameters(self, self._names(k, d), self._shapes(k), dtype)
        initialise(self, hidden_size, generator)

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _names(self, k: int, d: int) -> tuple[str, ...]:
        """PyTorch's names of layer k's parameters in direction d (1: reversed)."""
        suffix = f"_l{k}_reverse" if d else f"_l{k}"
        return tuple(name + suffix for name in _NAMES)

    def _shapes(self, k: int) -> tuple:
        """The shapes of layer k's parameters: (gates·H, its input size), (gates·H, H), and
        (gates·H,) for each bias, None without biases."""
        gates = STEPS[self.mode][0] * self.hidden_size
        size = self.input_size if k == 0 else self._directions * self.hidden_size
        bias = (gates,) if self.bias else None
        return (gates, size), (gates, self.hidden_size), bias, bias

    def forward(self, input, hx=None):
        x = self._sequence(input)  # (L, N, H_in), or (L, H_in) unbatched
        batched = x.ndim == 3
        x = x if batched else x.reshape(x.shape[0], 1, self.input_size)
        state = self._initial_state(hx, x, batched)  # each (layers·D, N, H)
        out, finals = self._layers(x, state)  # (L, N, D·H), [(h, c) per layer and direction]
        last = tuple(ops.stack([f[i] for f in finals]) for i in range(len(state)))
        if not batched:
            out = out.reshape(out.shape[0], out.shape[2])
            last = tuple(s.reshape(s.shape[0], self.hidden_size) for s in last)
        elif self.batch_first:
            out = ops.swapaxes(out, 0, 1)
        return out, (last if len(last) == 2 else last[0])

    def _sequence(self, input) -> Tensor:
        """The input checked, time first: (L, N, H_in), or (L, H_in) unbatched."""
        size = self.input_size
        names = "(N, L, {0}) or (L, {0})" if self.batch_first else "(L, N, {0}) or (L, {0})"
        x = input_tensor(self._who(), input, self._dtype(), size, (2, 3), names.format(size))
        if x.ndim == 3 and self.batch_first:
            x = ops.swapaxes(x, 0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{self._who()}: expects a sequence of length > 0, got {x.shape}")
        return x

    def _initial_state(self, hx, x: Tensor, batched: bool) -> tuple:
        """The initial state(s) as (layers·D, N, H) Tensors; unbatched, (layers·D, H)."""
        n = self.num_layers * self._directions
        shape = (n, x.shape[1], self.hidden_size) if batched else (n, self.hidden_size)
        dtype = np.result_type(x.dtype, self._dtype())
        shown = x.shape if batched else (x.shape[0], self.input_size)
        if batched and self.batch_first:
            shown = (shown[1], shown[0], shown[2])
        parts = states(self._who(), hx, STEPS[self.mode][2], shape, dtype, shown)
        return parts if batched else tuple(p.reshape(n, 1, self.hidden_size) for p in parts)

    def _layers(self, x: Tensor, state: tuple) -> tuple[Tensor, list]:
        """Every layer over the sequence x (L, N, H_in), dropout between layers."""
        finals = []
        for k in range(self.num_layers):
            if k:
                x = dropout(x, self.dropout, self.training, self.generator)
            outs = []
            for d in range(self._directions):
                i = k * self._directions + d
                out, last = self._direction(x, tuple(s[i] for s in state), k, d)
                outs.append(out)
                finals.append(last)
            x = outs[0] if len(outs) == 1 else ops.concatenate(outs, axis=-1)
        return x, finals

    def _direction(self, x: Tensor, state: tuple, k: int, d: int) -> tuple[Tensor, tuple]:
        """Layer k in direction d (1: from the last step to the first) over x (L, N, in):
        its outputs (L, N, H) and its last state."""
        w_ih, w_hh, b_ih, b_hh = (getattr(self, name) for name in self._names(k, d))
        step = STEPS[self.mode][1]
        xw = linear(x, w_ih.T, b_ih)  # (L, N, gates·H): the input's part of every step
        w_hh = w_hh.T  # (H, gates·H), transposed once for all steps
        outs = [None] * x.shape[0]
        for t in reversed(range(len(outs))) if d else range(len(outs)):
            state = step(xw[t], state, w_hh, b_hh)
            outs[t] = state[0]
        return ops.stack(outs), state

    def _dtype(self) -> np.dtype:
        return self.weight_ih_l0.dtype

    def _who(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, value, default in (
            ("bias", self.bias, True),
            ("batch_first", self.batch_first, False),
            ("dropout", self.dropout, 0),
            ("bidirectional", self.bidirectional, False),
        ):
            s += f", {name}={value}" if value != default else ""
        return s


class RNN(_Recurrent):
    """A stack of Elman RNN layers, as PyTorch's ``nn.RNN``: each step is `RNNCell`'s,
    h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh) (relu with ``nonlinearity="relu"``).

    The input is (L, N, input_size), (N, L, input_size) with ``batch_first``, or unbatched
    (L, input_size). Returns ``(output, h_n)``: ``output`` (L, N, D·hidden_size) (batch
    first likewise; unbatched (L, D·hidden_size)) holds the last layer's h at every step,
    both directions side by side (D = 2 when ``bidirectional``); ``h_n`` (num_layers·D, N,
    hidden_size) (unbatched (num_layers·D, hidden_size)) the last state of every layer and
    direction, from ``hx`` of the same shape (zeros when None).

    Parameters as PyTorch's, so its state loads as it is: ``weight_ih_l{k}`` (gates·hidden,
    in), in = input_size for k = 0 and D·hidden_size after, ``weight_hh_l{k}`` (gates·hidden,
    hidden), ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (gates·hidden,) (none with
    ``bias=False``), and the same with ``_reverse`` for the backward direction, all from
    U(−1/√hidden_size, 1/√hidden_size) drawn with ``generator`` (a
    ``numpy.random.Generator``), or the library's, which `manual_seed` seeds, when None. In
    training, ``dropout`` zeroes elements of every layer's output but the last's with that
    probability (the mask from ``generator`` too). Packed sequences (``PackedSequence``) are
    not supported: pad the batch instead. ``dtype`` as in `Linear`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        self.nonlinearity = nonlinearity
        settings = (num_layers, bias, batch_first, dropout, bidirectional, dtype, generator)
        super().__init__(rnn_mode("RNN", nonlinearity), input_size, hidden_size, *settings)


class LSTM(_Recurrent):
    """A stack of LSTM layers, as PyTorch's ``nn.LSTM``: each step is `LSTMCell`'s (gates
    i, f, g, o). Shapes, parameters (4·hidden_size gate rows), dropout and generator as
    `RNN`'s, but the result is ``(output, (h_n, c_n))``, from ``hx`` a pair (h_0, c_0) of
    `RNN`'s state shape. PyTorch's ``proj_size`` is refused unless 0; packed sequences are
    not supported."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        if proj_size != 0:
            raise ValueError(
                f"LSTM: proj_size is not supported (got {proj_size!r}); only proj_size=0, "
                "an LSTM without projections"
            )
        self.proj_size = 0
        settings = (num_layers, bias, batch_first, dropout, bidirectional, dtype, generator)
        super().__init__("LSTM", input_size, hidden_size, *settings)


class GRU(_Recurrent):
    """A stack of GRU layers, as PyTorch's ``nn.GRU``: each step is `GRUCell`'s (gates r, z,
    n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). Shapes, parameters (3·hidden_size
    gate rows), dropout and generator as `RNN`'s: the result is ``(output, h_n)``. Packed
    sequences are not supported."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        settings = (num_layers, bias, batch_first, dropout, bidirectional, dtype, generator)
        super().__init__("GRU", input_size, hidden_size, *settings)
