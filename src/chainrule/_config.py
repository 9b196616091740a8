"""A run's configuration: the `Config` of `chainrule train` and its config.json.

`Config.validate` checks values given as flags; `read_config` checks a config.json that
may have been edited or damaged, field by field, naming the file and the field.
"""

from __future__ import annotations

import codecs
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import data, nn, optim
from ._files import read_regular
from .data._registry import dataset_key

OPTIMIZERS = {
    "sgd": optim.SGD,
    "momentum": optim.Momentum,
    "nesterov": optim.Nesterov,
    "adagrad": optim.AdaGrad,
    "rmsprop": optim.RMSProp,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "adamax": optim.Adamax,
    "nadam": optim.NAdam,
    "radam": optim.RAdam,
    "adadelta": optim.Adadelta,
    "asgd": optim.ASGD,
}
DEFAULT_LR = {
    "sgd": 0.1,
    "momentum": 0.05,
    "nesterov": 0.05,
    "adagrad": 0.05,
    "rmsprop": 0.001,
    "adam": 0.01,
    "adamw": 0.01,
    "adamax": 0.01,
    "nadam": 0.01,
    "radam": 0.01,
    "adadelta": 1.0,
    "asgd": 0.1,
}
#: a regression's defaults (on its standardised target): a mean squared error curves more
#: than softmax-with-loss does, and plain gradient descent at 0.1, or with momentum at
#: 0.05, diverges within a few steps on the diabetes data; these are the usual defaults
#: of Keras and PyTorch (Adam 0.001), with SGD at half of Keras's 0.01 to keep a margin;
#: Adamax and NAdam at PyTorch's 0.002, RAdam at 0.003 (its first steps are plain momentum
#: steps, and at 0.001 its 30 epochs end where Adam's 10 do)
REGRESSION_LR = {
    "sgd": 0.005,
    "momentum": 0.001,
    "nesterov": 0.001,
    "adagrad": 0.05,
    "rmsprop": 0.001,
    "adam": 0.001,
    "adamw": 0.001,
    "adamax": 0.002,
    "nadam": 0.002,
    "radam": 0.003,
    "adadelta": 1.0,
    "asgd": 0.005,
}
MAX_HIDDEN = 100_000  # units in a layer: two such layers' weights are already 40 GB
ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "gelu": nn.GELU,
    "selu": nn.SELU,
    "celu": nn.CELU,
    "mish": nn.Mish,
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
    "hardtanh": nn.Hardtanh,
    "softsign": nn.Softsign,
    "prelu": nn.PReLU,
}


@dataclass
class Config:
    """Everything that defines a run (written to config.json)."""

    dataset: str = "digits"
    hidden: list[int] = field(default_factory=lambda: [100])
    activation: str = "relu"
    init: str = "he"
    optimizer: str = "adam"
    lr: float | None = None
    batch_size: int = 32
    epochs: int = 30
    seed: int = 0
    data_dir: str | None = None

    def validate(self) -> Config:
        if dataset_key(self.dataset) not in data.DATASETS:  # before a run directory is named
            raise ValueError(
                f"unknown dataset {self.dataset!r}; known datasets: {', '.join(data.DATASETS)}"
            )
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("activation", self.activation, ACTIVATIONS)
        for flag, value in (("--epochs", self.epochs), ("--batch-size", self.batch_size)):
            if value < 1:
                raise ValueError(f"{flag} must be a positive integer, got {value}")
        if any(h < 1 or h > MAX_HIDDEN for h in self.hidden):
            sizes = ",".join(map(str, self.hidden))
            raise ValueError(
                f"--hidden sizes must be positive integers up to {MAX_HIDDEN} (a wider layer "
                f"would not fit in memory), got {sizes}"
            )
        if self.lr is None:
            regression = data.TASKS[dataset_key(self.dataset)] == "regression"
            self.lr = (REGRESSION_LR if regression else DEFAULT_LR)[self.optimizer]
        if not _in_range(self.lr):
            raise ValueError(f"--lr must be positive and below {FLOAT32_MAX:.3g}, got {self.lr}")
        init_value(self.init)
        if self.seed < 0:
            raise ValueError(f"--seed must be a non-negative integer, got {self.seed}")
        return self


def init_value(init: str):
    """The weight init a --init flag names: he, xavier, normal or a positive std."""
    if not _is_init(init):
        raise ValueError(
            f"--init takes he, xavier, normal or a positive standard deviation such as 0.01, "
            f"got {init!r}"
        )
    return init if init in ("he", "xavier", "normal") else float(init)


def _is_init(init) -> bool:
    if not isinstance(init, str):
        return False
    try:
        std = float(init)
    except ValueError:
        std = math.nan
    return init in ("he", "xavier", "normal") or _in_range(std)


def _choice(what: str, value: str, known) -> None:
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}; choose from {', '.join(known)}")


# ----- config.json -----------------------------------------------------------------------
def _is_int(value, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


FLOAT32_MAX = 3.4028234663852886e38  # the models train in float32


def _in_range(x: float) -> bool:
    """Positive and within float32's range (NaN and inf are not)."""
    return 0 < x <= FLOAT32_MAX


def _is_lr(value) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return value is None or (number and _in_range(value))


def _one_of(known) -> tuple[str, object]:
    return f"one of {', '.join(known)}", lambda v: isinstance(v, str) and v in known


_FIELDS = {  # config.json field: (what it must be, its check)
    "dataset": (
        f"one of {', '.join(data.DATASETS)}",
        lambda v: isinstance(v, str) and dataset_key(v) in data.DATASETS,
    ),
    "hidden": (
        f"a list of positive integers up to {MAX_HIDDEN}",
        lambda v: isinstance(v, list) and all(_is_int(h, 1) and h <= MAX_HIDDEN for h in v),
    ),
    "activation": _one_of(ACTIVATIONS),
    "init": ('"he", "xavier", "normal" or a positive standard deviation such as "0.01"', _is_init),
    "optimizer": _one_of(OPTIMIZERS),
    "lr": ("a positive number within float32's range (or null for the default)", _is_lr),
    "batch_size": ("a positive integer", lambda v: _is_int(v, 1)),
    "epochs": ("a positive integer", lambda v: _is_int(v, 1)),
    "seed": ("a non-negative integer", lambda v: _is_int(v, 0)),
    "data_dir": (
        "a directory name (or null)",  # a NUL byte is in no file name: the OS refuses it
        lambda v: v is None or (isinstance(v, str) and "\0" not in v),
    ),
}


def read_config(path: Path) -> Config:
    """A run's config.json with every field's type and range checked: a damaged or
    hand-edited file is refused with a message naming the file and the field."""
    return config_from(_json_object(path), path)


def config_from(raw: dict, where) -> Config:
    """The `Config` of a run's settings as config.json holds them (or a checkpoint's
    training state), every field checked; a message names ``where`` and the field."""
    unknown = [k for k in raw if k not in _FIELDS]
    if unknown:
        raise ValueError(
            f'{where}: unknown field "{unknown[0]}"; a run\'s config has {", ".join(_FIELDS)}'
        )
    for name, (what, check) in _FIELDS.items():
        if name not in raw:
            raise ValueError(f'{where}: field "{name}" is missing')
        if not check(raw[name]):
            raise ValueError(f'{where}: field "{name}" must be {what}, got {_shown(raw[name])}')
    return Config(**raw).validate()


def config_json(cfg: Config) -> bytes:
    """The bytes of ``cfg``'s config.json."""
    return json.dumps(asdict(cfg), indent=2).encode()


def _json_object(path: Path) -> dict:
    data = read_regular(path)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0  # an editor's
    try:
        raw = json.loads(data[bom:].decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {e.object[e.start]:#x} at offset {bom + e.start})"
        ) from None
    except (ValueError, RecursionError) as e:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{path}: malformed config ({e})") from None
    if not isinstance(raw, dict):
        raise ValueError(
            f"{path}: must hold a JSON object of the run's settings, got {_shown(raw)}"
        )
    return raw


def _shown(value) -> str:
    """A value as config.json spells it, cut short."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
