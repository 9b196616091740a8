"""``chainrule evaluate`` and ``chainrule predict``: a finished run's model, loaded from its
checkpoint, on test data or on the user's inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._checkpoint_format import CheckpointError
from ._cli_run_dir import _check_matches_checkpoint, _checkpoint_shapes, _run_config

_AS_TRAINED = " (the model is built from it)"
#: what evaluate and predict build the model and read its inputs from (the optimizer, the
#: learning rate or the data's directory do not change what the checkpoint computes)
_MODEL_KEYS = ("dataset", "hidden", "activation")


def _sizes(n_in: int, n_out: int) -> str:
    return f"{n_in} features and {n_out} output{'' if n_out == 1 else 's'}"


def _load_checkpoint(run_dir: Path, model) -> dict:
    """The checkpoint's weights into ``model`` (which must all be finite); its training state."""
    from ._checkpoint import load
    from ._run_files import CHECKPOINT

    state = load(run_dir / CHECKPOINT, model)
    for name, value in model.state_dict().items():
        if not np.isfinite(value).all():
            raise CheckpointError(
                f"{run_dir / CHECKPOINT}: the model's {name} holds NaN or infinite values"
            )
    return state


def _load_run(run_dir: Path, dataset: str | None = None, data_dir: str | None = None):
    """The run's config, its data splits (for the input and output sizes) and its model."""
    from ._run_setup import build_model, load_splits

    cfg = _run_config(run_dir)
    _check_matches_checkpoint(run_dir, cfg, _AS_TRAINED, _MODEL_KEYS)
    cfg.dataset = cfg.dataset if dataset is None else dataset
    cfg.data_dir = cfg.data_dir if data_dir is None else data_dir
    splits = load_splits(cfg)
    sizes = splits.train[0].shape[1], splits.n_out
    expected = _checkpoint_shapes(run_dir) if dataset is not None else sizes
    if sizes != expected:  # another data set: say so, not which weight failed to load
        raise ValueError(
            f"--dataset {dataset} has {_sizes(*sizes)}, but the model in {run_dir} takes "
            f"{_sizes(*expected)}; evaluate it on a data set with the same features"
        )
    model = build_model(cfg, *sizes)
    return cfg, splits, model, _load_checkpoint(run_dir, model)


def _standardizer(path: Path, state: dict, key: str, n: int, what: str):
    """The `Standardizer` saved as ``state[key]``, checked: finite, for ``n`` ``what``."""
    from . import data
    from ._run_files import training_field

    scaler, saved = data.Standardizer(), training_field(path, state, key, dict, "predict")
    try:
        scaler.load_state_dict(saved)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f'{path}: the training state\'s "{key}" is malformed ({e})') from None
    if scaler.mean.shape != (n,):
        raise CheckpointError(
            f'{path}: the training state\'s "{key}" is for {scaler.mean.shape} {what}, '
            f"the model {'takes' if what == 'features' else 'gives'} {n}"
        )
    return scaler


def _task_and_scaler(path: Path, state: dict, n_in: int):
    """The run's task and input scaling, from its checkpoint's training state."""
    from ._run_files import training_field

    training_field(path, state, "scaler", dict, "predict")  # present first: as ever
    task = training_field(path, state, "task", str, "predict")
    if task not in ("classification", "regression"):
        raise CheckpointError(f'{path}: the training state\'s "task" is unknown: {task!r}')
    return task, _standardizer(path, state, "scaler", n_in, "features")


def _evaluate(args) -> int:
    from ._evaluation import evaluate
    from ._run_results import in_target_units
    from ._run_setup import loss_for

    _, splits, model, _ = _load_run(Path(args.run_dir), args.dataset, args.data_dir)
    metrics = evaluate(model, loss_for(splits.task), splits.test)
    if not np.isfinite(metrics["loss"]):  # NaN would print as NaN, which is not JSON
        raise ValueError(
            f"{args.run_dir}: the test loss is not finite ({metrics['loss']}): the model's "
            "outputs overflow on the test data"
        )
    result = {f"test_{k}": v for k, v in metrics.items()}
    if splits.target_scaler is not None:  # a regression: the loss of the standardised target
        result["test_mse"] = in_target_units(metrics["loss"], splits.target_scaler)
    print(json.dumps(result, indent=2))
    return 0


def _predict(args) -> int:
    from ._evaluation import predict
    from ._inputs import read_inputs, refuse_non_finite_outputs, scaled_inputs
    from ._run_files import CHECKPOINT
    from ._run_setup import build_model

    run_dir = Path(args.run_dir)
    cfg = _run_config(run_dir)
    _check_matches_checkpoint(run_dir, cfg, _AS_TRAINED, _MODEL_KEYS)
    n_in, n_out = _checkpoint_shapes(run_dir)
    model = build_model(cfg, n_in, n_out)
    state = _load_checkpoint(run_dir, model)
    task, scaler = _task_and_scaler(run_dir / CHECKPOINT, state, n_in)
    path = Path(args.input_file)
    rows, source = read_inputs(path, n_in)
    out = predict(model, scaled_inputs(source, rows, scaler))
    refuse_non_finite_outputs(source, out)
    if task == "regression":  # the model predicts the standardised target
        target = _standardizer(run_dir / CHECKPOINT, state, "target_scaler", 1, "targets")
        with np.errstate(over="ignore"):  # beyond the model's float range: inf, refused
            out = target.inverse_transform(out.astype(np.float64)).astype(out.dtype)
        refuse_non_finite_outputs(source, out)
    for value in out.argmax(axis=1) if task != "regression" else out[:, 0]:
        print(value)
    return 0
