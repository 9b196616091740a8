"""What a run trains, from its config: the data splits (scaled), the model and the loss."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data, nn
from ._config import ACTIVATIONS, Config, dataset_key, init_value
from .data._split import can_stratify

SPLIT_SEED = 0
IMAGES = ("digits", "mnist", "fashion_mnist")


@dataclass
class Splits:
    train: tuple
    val: tuple
    test: tuple
    task: str
    n_out: int
    scaler: object
    #: a regression's targets are standardised, as its inputs are (None for classification)
    target_scaler: object = None


def _scaler(key: str, X_tr: np.ndarray):
    """Images are scaled to [0, 1] (one scale for all pixels); tabular features are
    standardised per column, fitted on the training split only."""
    scaler = data.Standardizer().fit(X_tr)
    if key in IMAGES:
        peak = float(X_tr.max()) or 1.0
        scaler.load_state_dict(
            {"mean": np.zeros(X_tr.shape[1]), "scale": np.full(X_tr.shape[1], peak)}
        )
    return scaler


def _check_data_dir(root: str) -> None:
    """The MNIST-format files' directory, if it exists, must be one (a file given as
    --data-dir is named as such, not as a directory without the data)."""
    if Path(root).exists() and not Path(root).is_dir():
        raise ValueError(f"--data-dir {root}: not a directory; give the directory of the files")


def _idx_split(key: str, root: str, train: bool, download: bool):
    try:
        return data.load_dataset(key, root=root, train=train, download=download)
    except FileNotFoundError as e:  # the library's hint is a Python call; this is the command
        if not hasattr(e, "missing"):
            raise
        raise FileNotFoundError(
            f"{key}: {e.missing} not found; put the four MNIST-format files in {root} (raw "
            "or .gz), or add --download to fetch and verify them"
        ) from None


def load_splits(cfg: Config, download: bool = False) -> Splits:
    """Train / validation / test arrays; the test split is fixed (independent of --seed).
    Inputs are scaled (`_scaler`); a regression's targets are standardised too, fitted on
    the training split, so that every optimizer trains at its default learning rate (the
    diabetes targets, 25-346, give a mean squared error in the thousands and gradients to
    match: plain gradient descent at 0.1 diverges in three steps). ``download``: fetch
    missing MNIST-format files into the data directory first."""
    key = dataset_key(cfg.dataset)
    if download and key not in ("mnist", "fashion_mnist"):
        raise ValueError(f"--download applies to mnist and fashion_mnist, not {cfg.dataset}")
    if key in ("mnist", "fashion_mnist"):
        root = cfg.data_dir or "data"
        _check_data_dir(root)
        train, test = (_idx_split(key, root, part, download) for part in (True, False))
        X, y, X_te, y_te, task = train.X, train.y, test.X, test.y, train.task
        n_out = 10
    else:
        bundle = data.load_dataset(key)
        task, classify = bundle.task, bundle.task != "regression"
        stratify = classify and can_stratify(bundle.y, 0.2)  # a tiny set: at random
        X, X_te, y, y_te = data.train_test_split(bundle.X, bundle.y, 0.2, SPLIT_SEED, stratify)
        n_out = bundle.num_classes if classify else 1
    classify = task != "regression"
    stratify = classify and can_stratify(y, 0.1)
    X_tr, X_va, y_tr, y_va = data.train_test_split(X, y, 0.1, SPLIT_SEED + 1, stratify)
    scaler = _scaler(key, X_tr)
    X_tr, X_va, X_te = (scaler.transform(a) for a in (X_tr, X_va, X_te))
    target = None
    if not classify:
        y_tr, y_va, y_te = (a.reshape(-1, 1) for a in (y_tr, y_va, y_te))
        target = data.Standardizer().fit(y_tr)
        y_tr, y_va, y_te = (target.transform(a) for a in (y_tr, y_va, y_te))
    return Splits((X_tr, y_tr), (X_va, y_va), (X_te, y_te), task, n_out, scaler, target)


def _check_initial_weights(cfg: Config, model: nn.Sequential) -> None:
    """The weights ``--init`` drew must be finite in the model's float32."""
    for name, value in model.state_dict().items():
        if not np.isfinite(value).all():
            raise ValueError(
                f"--init {cfg.init}: the initial weights ({name}) overflow float32; "
                "choose a smaller standard deviation"
            )


def build_model(cfg: Config, n_in: int, n_out: int) -> nn.Sequential:
    """An MLP: Linear → activation for each hidden size, then a Linear output layer.
    A standard deviation too large for float32 (``--init 1e38``) is refused by name, not
    left to overflow into infinite weights and a NumPy warning."""
    init = init_value(cfg.init)
    layers, width = [], n_in
    with np.errstate(over="ignore"):  # an overflow is reported below
        for h in cfg.hidden:
            layers += [nn.Linear(width, h, init=init), ACTIVATIONS[cfg.activation]()]
            width = h
    model = nn.Sequential(*layers, nn.Linear(width, n_out, init="xavier"))
    _check_initial_weights(cfg, model)
    return model


def loss_for(task: str):
    """MSE for regression, Softmax-with-Loss for classification."""
    return nn.MSELoss() if task == "regression" else nn.SoftmaxCrossEntropy()
