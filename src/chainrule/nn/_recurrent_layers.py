"""The stacked recurrent layers `RNN`, `LSTM` and `GRU`, with PyTorch's arguments, shapes,
parameters (``weight_ih_l{k}[_reverse]``, …, so its state loads as it is) and init,
running `_recurrent.py`'s steps over time on packed rows (`through_time`): each layer and
direction computes the input's part of its gates in one `linear`, the loop only the rest."""

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
from ._packed import PackedSequence
from ._recurrent import (
    STEPS,
    initialise,
    input_tensor,
    new_parameters,
    rnn_mode,
    states,
    through_time,
)

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
        if isinstance(input, PackedSequence):
            return self._packed(input, hx)
        x = self._sequence(input)  # (L, N, H_in), or (L, H_in) unbatched
        steps, batch = x.shape[0], (x.shape[1] if x.ndim == 3 else None)
        first = batch is not None and self.batch_first
        given = (batch, steps, self.input_size) if first else x.shape
        state = self._initial_state(hx, x, batch, given)  # each (layers·D, N, H)
        if batch is None:  # a batch of one, whose rows are x's
            out, last = self._layers(x, state, [1] * steps)
            return out, _one(tuple(s.reshape(s.shape[0], self.hidden_size) for s in last))
        rows = x.reshape(steps * batch, self.input_size)  # time after time, as packed
        out, last = self._layers(rows, state, [batch] * steps)  # (L·N, D·H), (h, c)
        out = out.reshape(steps, batch, out.shape[-1])
        return (ops.swapaxes(out, 0, 1) if self.batch_first else out), _one(last)

    def _packed(self, packed: PackedSequence, hx):
        """The layers over a packed batch: a PackedSequence out, the last states (of each
        sequence's own last step) in the batch's original order, as ``hx``."""
        size, order, unsorted = self.input_size, packed.sorted_indices, packed.unsorted_indices
        x = input_tensor(self._who(), packed.data, self._dtype(), size, (2,), f"(rows, {size})")
        sizes = packed.batch_sizes.data.tolist()
        state = self._initial_state(hx, x, sizes[0], x.shape)
        state = state if order is None else tuple(s[:, order.data] for s in state)
        out, last = self._layers(x, state, sizes)
        last = last if unsorted is None else tuple(s[:, unsorted.data] for s in last)
        return packed._replace(data=out), _one(last)

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

    def _initial_state(self, hx, x: Tensor, batch: int | None, shown: tuple) -> tuple:
        """The initial state(s) as (layers·D, N, H) Tensors for a batch of N; unbatched
        (``batch`` None), given as (layers·D, H). ``shown``: the input's shape, for errors."""
        n = self.num_layers * self._directions
        shape = (n, self.hidden_size) if batch is None else (n, batch, self.hidden_size)
        dtype = np.result_type(x.dtype, self._dtype())
        parts = states(self._who(), hx, STEPS[self.mode][2], shape, dtype, shown)
        if batch is None:
            parts = tuple(p.reshape(n, 1, self.hidden_size) for p in parts)
        return parts

    def _layers(self, x: Tensor, state: tuple, sizes: list) -> tuple[Tensor, tuple]:
        """Every layer over x (rows, H_in), packed rows of ``sizes`` each step, dropout
        between layers: the last layer's outputs (rows, D·H) and the last states stacked
        (layers·D, N, H), h (and c)."""
        finals = []
        for k in range(self.num_layers):
            if k:
                x = dropout(x, self.dropout, self.training, self.generator)
            outs = []
            for d in range(self._directions):
                i = k * self._directions + d
                out, last = self._direction(x, tuple(s[i] for s in state), k, d, sizes)
                outs.append(out)
                finals.append(last)
            x = outs[0] if len(outs) == 1 else ops.concatenate(outs, axis=-1)
        return x, tuple(ops.stack([f[i] for f in finals]) for i in range(len(state)))

    def _direction(self, x: Tensor, state: tuple, k: int, d: int, sizes: list) -> tuple:
        """Layer k in direction d (1: from the last step to the first) over x (rows, in):
        its outputs (rows, H) and its last state."""
        w_ih, w_hh, b_ih, b_hh = (getattr(self, name) for name in self._names(k, d))
        step = STEPS[self.mode][1]
        xw = linear(x, w_ih.T, b_ih)  # (rows, gates·H): the input's part of every step
        weights = (w_hh.T, b_hh)  # (H, gates·H), transposed once for all steps
        return through_time(step, xw, state, weights, sizes, reverse=bool(d))

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


def _one(last: tuple):
    """The last states as the layers return them: (h, c) for an LSTM, else h."""
    return last if len(last) == 2 else last[0]


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
    probability (the mask from ``generator`` too). ``dtype`` as in `Linear`.

    A `PackedSequence` input (`chainrule.nn.utils.rnn`; data (Σ lengths, input_size)) gives
    a PackedSequence ``output`` of its batch sizes and order, and ``h_n`` at each sequence's
    own last step (where the reverse direction starts), ``hx`` and ``h_n`` in the batch's
    original order, as PyTorch's; ``batch_first`` does not apply to it.
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
    `RNN`'s state shape, and packed sequences as `RNN`'s. PyTorch's ``proj_size`` is refused
    unless 0."""

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
    gate rows), dropout, generator and packed sequences as `RNN`'s: the result is
    ``(output, h_n)``."""

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
