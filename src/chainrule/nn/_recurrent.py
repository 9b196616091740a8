"""The recurrent cells `RNNCell`, `LSTMCell` and `GRUCell`, with PyTorch's arguments,
parameters (``weight_ih`` (gates·hidden, input), ``weight_hh`` (gates·hidden, hidden),
``bias_ih`` and ``bias_hh`` (gates·hidden,), all from U(−1/√hidden, 1/√hidden)) and gate
order, and the one-step functions the stacked layers of `_recurrent_layers.py` share, with
`through_time`, their loop over time on packed rows.

A step is composed from core ops (`linear`, `sigmoid`, `tanh`, `relu`, `chunk`), so its
gradient needs no rule of its own, backpropagation through time is the engine's, and
`explain` shows every node. A step takes the input's part of the gates, W_ih·x + b_ih,
computed beforehand (for a whole sequence at once in the layers), so only the hidden
state's product is left in the loop over time."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._tensor import Tensor
from ._init import uniform_
from ._layers import _parameter_dtype, linear
from ._module import Module, Parameter
from ._norm import _as_input
from ._packed import row_starts


# ----- one step -----------------------------------------------------------------------------
# Each step maps (xw, state, w_hh, b_hh) to the new state: xw = W_ih·x + b_ih (N, gates·H),
# state a tuple (h,) or (h, c) of (N, H), w_hh the transposed weight (H, gates·H).
def _tanh_step(xw, state, w_hh, b_hh) -> tuple:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    return (ops.tanh(xw + linear(state[0], w_hh, b_hh)),)


def _relu_step(xw, state, w_hh, b_hh) -> tuple:
    """h' = relu(W_ih x + b_ih + W_hh h + b_hh)."""
    return (ops.relu(xw + linear(state[0], w_hh, b_hh)),)


def _lstm_step(xw, state, w_hh, b_hh) -> tuple:
    """PyTorch's LSTM, gates in the order i, f, g, o: i, f, o = σ(·), g = tanh(·) of
    W_i* x + b_i* + W_h* h + b_h*; c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')."""
    h, c = state
    i, f, g, o = ops.chunk(xw + linear(h, w_hh, b_hh), 4, dim=-1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c), c


def _gru_step(xw, state, w_hh, b_hh) -> tuple:
    """PyTorch's GRU, gates in the order r, z, n: r, z = σ(W_i* x + b_i* + W_h* h + b_h*),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h."""
    h = state[0]
    x_r, x_z, x_n = ops.chunk(xw, 3, dim=-1)
    h_r, h_z, h_n = ops.chunk(linear(h, w_hh, b_hh), 3, dim=-1)
    r, z = ops.sigmoid(x_r + h_r), ops.sigmoid(x_z + h_z)
    n = ops.tanh(x_n + r * h_n)
    return ((1 - z) * n + z * h,)


# mode: (gates, step, tensors in the state)
STEPS = {
    "RNN_TANH": (1, _tanh_step, 1),
    "RNN_RELU": (1, _relu_step, 1),
    "LSTM": (4, _lstm_step, 2),
    "GRU": (3, _gru_step, 1),
}


def rnn_mode(who: str, nonlinearity) -> str:
    """The mode of an Elman RNN with ``nonlinearity`` "tanh" or "relu"."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{who}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return f"RNN_{nonlinearity.upper()}"


# ----- over time ----------------------------------------------------------------------------
def through_time(step, xw: Tensor, state: tuple, weights: tuple, sizes: list, reverse: bool):
    """``step`` over time, as the layers run it: xw (Σ sizes, gates·H) holds the input's
    part of the gates in packed order, sizes[t] rows for step t, taken by the first
    sizes[t] sequences of the batch (sorted longest first; all N for a padded batch), so a
    sequence stops at its own last step and its state then stays as it was. In reverse,
    each sequence starts at its own last step, from its initial state. Returns the outputs
    h of every row (Σ sizes, H) and every sequence's last state, each (N, H)."""
    starts = row_starts(sizes)
    order = reversed(range(len(sizes))) if reverse else range(len(sizes))
    first, ended, outs = state, [], [None] * len(sizes)
    if reverse and sizes[-1] < state[0].shape[0]:
        state = tuple(s[: sizes[-1]] for s in first)
    for t in order:
        state = _resize(state, first, sizes[t], ended)
        state = step(xw[starts[t] : starts[t] + sizes[t]], state, *weights)
        outs[t] = state[0]
    if ended:  # the shorter sequences' states, kept from the step they ended at
        state = tuple(
            ops.concatenate([s, *(e[i] for e in reversed(ended))]) for i, s in enumerate(state)
        )
    return ops.concatenate(outs), state


def _resize(state: tuple, first: tuple, n: int, ended: list) -> tuple:
    """The state of the first n sequences: those after the n-th have ended (their rows
    moved to ``ended``), or those up to the n-th not yet running start here from ``first``,
    their initial state."""
    rows = state[0].shape[0]
    if n < rows:
        ended.append(tuple(s[n:] for s in state))
        return tuple(s[:n] for s in state)
    if n > rows:
        return tuple(ops.concatenate([s, f[rows:n]]) for s, f in zip(state, first))
    return state


# ----- shared by the cells and the layers ---------------------------------------------------
def new_parameters(module: Module, names, shapes, dtype) -> None:
    """Set ``module``'s parameters ``names`` to empty arrays of ``shapes`` (None for a shape
    None: no bias)."""
    for name, shape in zip(names, shapes):
        setattr(module, name, None if shape is None else Parameter(np.empty(shape, dtype)))


def initialise(module: Module, hidden_size: int, generator) -> None:
    """Every parameter from U(−1/√hidden_size, 1/√hidden_size), in their order, as
    PyTorch's ``reset_parameters``."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        uniform_(p, -bound, bound, generator)


def input_tensor(who: str, x, dtype, size: int, ranks: tuple[int, int], names: str) -> Tensor:
    """``x`` as a Tensor (an integer one in ``dtype``) whose rank is one of ``ranks`` and
    whose last axis has ``size`` features, or a ValueError naming the shapes (``names``)."""
    x = _as_input(x, dtype)
    if x.ndim not in ranks or x.shape[-1] != size:
        raise ValueError(f"{who}: expects an input of shape {names}, got {x.shape}")
    return x


def states(who: str, hx, count: int, shape: tuple, dtype, input_shape: tuple) -> tuple:
    """The initial state: ``count`` Tensors of ``shape`` (h, or h and c), zeros when ``hx``
    is None, else ``hx`` (a pair (h, c) when ``count`` is 2) checked."""
    if hx is None:
        return tuple(Tensor(np.zeros(shape, dtype)) for _ in range(count))
    if count == 2 and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise ValueError(f"{who}: hx must be a pair (h, c), got {type(hx).__name__}")
    parts = tuple(_as_input(p, dtype) for p in (hx if count == 2 else (hx,)))
    for name, p in zip("hc", parts):
        if p.shape != shape:
            raise ValueError(
                f"{who}: the state {name} must have shape {shape} for an input of shape "
                f"{input_shape}, got {p.shape}"
            )
    return parts


# ----- the cells ----------------------------------------------------------------------------
class _Cell(Module):
    """What the cells share: parameters, checks, one step of an input (N, H_in) or (H_in,)
    from ``hx`` (zeros when None), and PyTorch's repr."""

    def __init__(self, mode, input_size, hidden_size, bias, dtype, generator):
        name = type(self).__name__
        check_counts(name, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.bias = flag(name, "bias", bias)
        self._mode = mode
        gates = STEPS[mode][0] * hidden_size
        shapes = ((gates, input_size), (gates, hidden_size), (gates,), (gates,))
        shapes = shapes if self.bias else (*shapes[:2], None, None)
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        new_parameters(self, names, shapes, _parameter_dtype(name, dtype))
        initialise(self, hidden_size, generator)

    def forward(self, input, hx=None):
        size = self.input_size
        names = f"(N, {size}) or ({size},)"
        x = input_tensor(self._who(), input, self.weight_ih.dtype, size, (1, 2), names)
        state = self._initial_state(hx, x)
        _, step, count = STEPS[self._mode]
        xw = linear(x.reshape(-1, self.input_size), self.weight_ih.T, self.bias_ih)
        state = step(xw, state, self.weight_hh.T, self.bias_hh)  # each (N, H)
        state = state if x.ndim == 2 else tuple(s.reshape(self.hidden_size) for s in state)
        return state if count == 2 else state[0]

    def _initial_state(self, hx, x: Tensor) -> tuple:
        """The state as (N, H) Tensors; an unbatched input's is (H,)."""
        shape = (*x.shape[:-1], self.hidden_size)
        dtype = np.result_type(x.dtype, self.weight_hh.dtype)
        count = STEPS[self._mode][2]
        parts = states(self._who(), hx, count, shape, dtype, x.shape)
        return parts if x.ndim == 2 else tuple(p.reshape(1, self.hidden_size) for p in parts)

    def _who(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"


class RNNCell(_Cell):
    """One step of an Elman RNN, as PyTorch's ``nn.RNNCell``:

        h' = tanh(W_ih x + b_ih + W_hh h + b_hh)      (relu with ``nonlinearity="relu"``)

    input (N, input_size) or unbatched (input_size,), ``hx`` of the same batch shape with
    hidden_size features (zeros when None); returns h'. ``weight_ih`` (hidden, input),
    ``weight_hh`` (hidden, hidden), ``bias_ih`` and ``bias_hh`` (hidden,) (none with
    ``bias=False``), all from U(−1/√hidden_size, 1/√hidden_size) drawn with ``generator``
    (a ``numpy.random.Generator``), or the library's, which `manual_seed` seeds, when None:
    a PyTorch state loads as it is. ``dtype`` as in `Linear`."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        mode = rnn_mode("RNNCell", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(mode, input_size, hidden_size, bias, dtype, generator)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else f"{s}, nonlinearity={self.nonlinearity}"


class LSTMCell(_Cell):
    """One step of an LSTM, as PyTorch's ``nn.LSTMCell`` (gates i, f, g, o in this order
    along the weights' first axis):

        i, f, o = σ(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')

    input as `RNNCell`'s; ``hx`` a pair (h, c) (zeros when None); returns (h', c').
    Parameters as `RNNCell`'s with 4·hidden_size rows."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        super().__init__("LSTM", input_size, hidden_size, bias, dtype, generator)


class GRUCell(_Cell):
    """One step of a GRU, as PyTorch's ``nn.GRUCell`` (gates r, z, n in this order along
    the weights' first axis):

        r, z = σ(W_i* x + b_i* + W_h* h + b_h*),  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        h' = (1 − z) ⊙ n + z ⊙ h

    input and ``hx`` as `RNNCell`'s; returns h'. Parameters as `RNNCell`'s with
    3·hidden_size rows."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        super().__init__("GRU", input_size, hidden_size, bias, dtype, generator)
