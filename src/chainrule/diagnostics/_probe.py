"""Each layer's output on a probe batch, computed in eval mode without a graph.

A `Sequential` (nested ones too) is walked layer by layer, which needs nothing but its
public iteration. Any other model, or any other module with layers of its own inside a
`Sequential`, is run once while `Module`'s call recorder (the one behind `Module.summary`)
lists every module call; the leaf modules' calls are kept.
Either way the model's modes are restored afterwards and nothing is recorded for backward.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from .. import nn
from .._fit_data import as_input, input_dtype
from .._grad_mode import no_grad
from .._tensor import Tensor
from ..nn import _module
from ..nn._module_hooks import has_forward_hooks
from ._stats import SETTINGS

_KINDS = (
    (nn.Sigmoid, "sigmoid"),
    (nn.Tanh, "tanh"),
    (nn.LeakyReLU, "leaky_relu"),
    (nn.ELU, "elu"),
    (nn.SiLU, "silu"),
    (nn.Softplus, "softplus"),
    (nn.GELU, "gelu"),
    (nn.SELU, "selu"),
    (nn.CELU, "celu"),
    (nn.Mish, "mish"),
    (nn.ReLU6, "relu6"),  # a Hardtanh: before it
    (nn.Hardtanh, "hardtanh"),
    (nn.Hardsigmoid, "hardsigmoid"),
    (nn.Hardswish, "hardswish"),
    (nn.LogSigmoid, "logsigmoid"),
    (nn.Softsign, "softsign"),
    (nn.Tanhshrink, "tanhshrink"),
    (nn.Softshrink, "softshrink"),
    (nn.Hardshrink, "hardshrink"),
    (nn.Threshold, "threshold"),
    (nn.PReLU, "prelu"),
    (nn.ReLU, "relu"),
)


def activation_kind(module: nn.Module) -> str | None:
    """The activation's name ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "silu",
    "softplus", "gelu", "selu", "celu", "mish", "relu6", "hardtanh", "hardsigmoid",
    "hardswish", "logsigmoid", "softsign", "tanhshrink", "softshrink", "hardshrink",
    "threshold", "prelu") for an activation layer, else None."""
    return next((kind for cls, kind in _KINDS if isinstance(module, cls)), None)


def layer_outputs(model: nn.Module, x: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """``(layer name, kind, output array)`` for each activation layer of ``model`` on ``x``,
    in the order they ran; every leaf layer (kind = its class name) when there is none. A
    layer called more than once is named ``name#2``, ``name#3``, … from its second call."""
    return outputs_of(layer_calls(model, x))


def layer_calls(model: nn.Module, x: np.ndarray) -> list[tuple[str, nn.Module, np.ndarray]]:
    """``(layer name, layer, output array)`` for each leaf layer call of ``model`` on ``x``
    (in eval mode, without a graph), in the order they ran. ``x`` is cast as `fit` casts
    a batch: to the model's float dtype, indices for an `nn.Embedding` first left alone."""
    x = as_input(np.asarray(x), input_dtype(model))  # as `fit` casts a batch
    with _eval_mode(model), no_grad():
        return _run(model, x)


def outputs_of(calls) -> list[tuple[str, str, np.ndarray]]:
    """`layer_outputs` from the `layer_calls` of one run."""
    return [(n, kind, out) for n, kind, out, _ in probed(calls)]


def probed(calls) -> list[tuple[str, str, np.ndarray, dict]]:
    """`outputs_of`, each with the layer's settings that its statistics depend on (ELU's
    and CELU's ``alpha``, softplus's ``beta`` and ``threshold``, Hardtanh's bounds;
    `_stats.SETTINGS`)."""
    seen: dict[str, int] = {}
    named = []
    for n, m, out in calls:
        seen[n] = seen.get(n, 0) + 1
        named.append((n if seen[n] == 1 else f"{n}#{seen[n]}", m, out))
    acts = [
        (n, kind, out, _settings(kind, m)) for n, m, out in named if (kind := activation_kind(m))
    ]
    return acts or [(n, type(m).__name__.lower(), out, {}) for n, m, out in named]


def _settings(kind: str, module: nn.Module) -> dict:
    return {name: getattr(module, name) for name in SETTINGS.get(kind, ())}


def _run(model: nn.Module, x: Tensor) -> list[tuple[str, nn.Module, np.ndarray]]:
    calls: list = []
    if _walkable(model):
        _walk(model, x, "", calls)
    else:
        _record(model, x, "", calls)
    return calls


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def _walk(seq: nn.Sequential, x: Tensor, prefix: str, calls: list) -> Tensor:
    """Run ``seq`` on ``x``, appending ``(name, layer, output)`` for each leaf layer; a
    layer with layers of its own inside (a block) has its leaf calls recorded."""
    for i, layer in enumerate(seq):
        name = f"{prefix}.{i}" if prefix else str(i)
        if _walkable(layer):
            x = _walk(layer, x, name, calls)
        elif _is_leaf(layer):
            x = layer(x)
            calls.append((name, layer, x.data))
        else:
            x = _record(layer, x, name, calls)
    return x


def _walkable(module: nn.Module) -> bool:
    """A Sequential whose call is only its layers' calls in turn: no forward hook of its
    own (which would change its input or output) and Sequential's own forward (neither a
    subclass's nor one set on the instance, which its call runs as PyTorch's does)."""
    return (
        isinstance(module, nn.Sequential)
        and type(module).forward is nn.Sequential.forward
        and "forward" not in vars(module)
        and not has_forward_hooks(module)
    )


def _is_leaf(module: nn.Module) -> bool:
    return next(module.named_children(), None) is None


def _record(model: nn.Module, x: Tensor, prefix: str, calls: list):
    """Run ``model`` on ``x`` while the call recorder lists its module calls; append
    ``(name, layer, output)`` for each leaf call (names under ``prefix``); return the output."""
    names = {id(m): _joined(prefix, name) for name, m in model.named_modules()}
    _module._Recorder.calls = recorded = []
    try:
        out = model(x)
    finally:
        _module._Recorder.calls = None
    calls.extend(
        (names.get(id(m), type(m).__name__), m, y.data)
        for m, y in recorded
        if _is_leaf(m) and isinstance(y, Tensor)
    )
    return out


def _joined(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name
