"""A training run from a config: data, model, optimizer, the loop, and the run directory.

A run directory holds ``config.json``, ``history.csv``, ``metrics.json``,
``model.safetensors`` (a full checkpoint: weights, optimizer state, training state) and,
when matplotlib is installed, ``curves.png``. ``--resume DIR`` continues from the
checkpoint exactly: same weights, same data order, same losses.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import _generator, data, nn
from ._atomic_write import atomic_write, temporary_target
from ._checkpoint import load, save
from ._checkpoint_format import CheckpointError
from ._config import (
    ACTIVATIONS,
    OPTIMIZERS,
    Config,
    _shown,
    config_from,
    config_json,
    dataset_key,
    init_value,
)
from ._evaluation import evaluate
from ._files import read_regular
from ._history import History, checkpoint_form, restored
from ._position import POSITION_KEYS, plural, position_problem, trained
from ._training import fit
from .data._split import can_stratify

CHECKPOINT, SPLIT_SEED = "model.safetensors", 0
TRAINED = (CHECKPOINT, "history.csv", "metrics.json")  # written once an epoch has ended
RUN_FILES = (*TRAINED, "config.json", "curves.png")
IMAGES = ("digits", "mnist", "fashion_mnist")
#: the training-state key of the SHA-256 of the config.json that a checkpoint's config
#: replaces (a resumed run's changed config.json is written after its checkpoint)
REPLACES = "replaces_config"


# ----- data ------------------------------------------------------------------------------
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


# ----- model -----------------------------------------------------------------------------
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


def _check_initial_weights(cfg: Config, model: nn.Sequential) -> None:
    """The weights ``--init`` drew must be finite in the model's float32."""
    for name, value in model.state_dict().items():
        if not np.isfinite(value).all():
            raise ValueError(
                f"--init {cfg.init}: the initial weights ({name}) overflow float32; "
                "choose a smaller standard deviation"
            )


def loss_for(task: str):
    """MSE for regression, Softmax-with-Loss for classification."""
    return nn.MSELoss() if task == "regression" else nn.SoftmaxCrossEntropy()


# ----- the run ---------------------------------------------------------------------------
def shown(path) -> str:
    """``path`` as a message shows it, on one line: a byte of its name that is not UTF-8
    (which Python holds as a lone surrogate, unprintable on a strict UTF-8 stdout) as
    ``\\xNN``, and a control character (a newline) as its escape, ``\\n``, the way
    ``ls -b`` and a bytes repr show them."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" else c for c in text)


def say(line: str) -> None:
    """Print ``line`` on stdout; a character its encoding lacks (an ``é`` under
    ``PYTHONIOENCODING=ascii``) as a backslash escape, not an error after the run."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    print(line.encode(encoding, "backslashreplace").decode(encoding))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during `train`; the message says where the last checkpoint is."""


class _Saver:
    """Writes the checkpoint and history after every epoch; keeps the state for Ctrl-C."""

    saves_training = True  # fit calls it after the other callbacks (see ModelCheckpoint)

    def __init__(self, out: Path):
        self.out, self.state, self.about = out, None, {}
        self.seconds_before, self.start = 0.0, time.perf_counter()
        self.config_json = None  # a resumed run's config.json, written after its checkpoint
        self.replaces = None  # the SHA-256 of the config.json it replaces

    def prepare(self, cfg: Config, splits: Splits, seconds_before: float) -> _Saver:
        self.about = {"config": asdict(cfg), "task": splits.task, "scaler": _json(splits.scaler)}
        if splits.target_scaler is not None:  # predict gives outputs in the target's units
            self.about["target_scaler"] = _json(splits.target_scaler)
        self.seconds_before = seconds_before
        return self

    def after_interrupt(self, resumed: bool) -> str:
        """Save the training so far, if it began; say where the last checkpoint is. A
        further Ctrl-C during that save stops it (the checkpoint is written atomically, so
        the one before stays whole) and still says where the last checkpoint is."""
        path = self.out / CHECKPOINT
        if self.state is not None:
            with contextlib.suppress(KeyboardInterrupt):
                self.save()
            if not path.exists():  # stopped inside the run's first checkpoint write
                return "no checkpoint was written yet"
        elif not (resumed and path.exists()):  # a resumed run's checkpoint is untouched
            return "no checkpoint was written yet"
        where = f"the last checkpoint is {shown(path)}"
        return f"{where}; continue with chainrule train --resume {shown(self.out)}"

    def on_train_begin(self, state) -> None:
        self.state, self.start = state, time.perf_counter()

    def seconds(self) -> float:
        """Seconds of training so far, over this run and the runs it resumes."""
        return self.seconds_before + time.perf_counter() - self.start

    def on_epoch_end(self, state, logs) -> None:
        self.save()

    def save(self) -> None:
        s, pending = self.state, {}
        if self.config_json is not None:  # a kill before config.json: see unwritten_config
            pending[REPLACES] = self.replaces
        save(
            self.out / CHECKPOINT,
            s.model,
            s.optimizer,
            position=s.resume_point(),
            history=checkpoint_form(s.history),  # its columns as tensors: cheap per epoch
            rng=_generator.default_generator().bit_generator.state,
            seconds=self.seconds(),
            **self.about,
            **pending,
        )
        if self.config_json is not None:  # now the checkpoint holds this configuration
            atomic_write(self.out / "config.json", self.config_json)
            self.config_json = None
        write_history(self.out / "history.csv", s.history)


def train(
    cfg: Config,
    out: Path,
    resume: bool = False,
    progress=None,
    log=say,
    diagnose=False,
    download=False,
) -> dict:
    """Run (or resume) training into ``out``; return the metrics written to metrics.json.

    On resume, ``cfg`` (the saved config with any changes the caller allowed) is written
    back to config.json and its learning rate replaces the checkpoint's. ``diagnose`` adds
    a `diagnostics.Monitor` writing into ``out/diagnostics``. A Ctrl-C saves the training
    so far and raises `Interrupted`, which says where the checkpoint is (or that there is
    none yet). A new run first removes what an earlier run wrote into ``out`` (`clear_run`),
    once its data and model are ready."""
    saver = _Saver(out)
    try:
        return _train(cfg, out, saver, resume, progress, log, diagnose, download)
    except KeyboardInterrupt:
        raise Interrupted(saver.after_interrupt(resume)) from None


def _train(cfg: Config, out: Path, saver: _Saver, resume, progress, log, diagnose, download):
    cfg.validate()
    if diagnose or not resume:  # before anything is written: clear_run looks in there too
        check_diagnostics_dir(out)
    splits = load_splits(cfg, download)
    _generator.manual_seed(cfg.seed)
    model = build_model(cfg, splits.train[0].shape[1], splits.n_out)
    opt = OPTIMIZERS[cfg.optimizer](model.parameters(), lr=cfg.lr)
    loader = data.DataLoader(
        data.ArrayDataset(*splits.train), batch_size=cfg.batch_size, shuffle=True, seed=cfg.seed
    )
    history, position, seconds = History(), None, 0.0
    if resume:
        history, position, seconds, state = _resume(out, model, opt, loader)
        least, words = trained(position)
        if cfg.epochs < least:  # before anything in the run is rewritten
            raise ValueError(
                f"{out} has already trained {words}; --epochs is the total, so it must be at "
                f"least {least} (got {cfg.epochs})"
            )
        _update_config(out, saver, cfg, state)
        for group in opt.param_groups:  # a --force'd new rate wins over the saved one
            group["lr"] = cfg.lr
        log(_resuming(out, position, len(history.epoch), cfg.epochs))
        done = len(history.epoch)
        metrics = _finished(out, log, done) if done >= cfg.epochs else None
        if metrics is not None:  # nothing to train: every file stays as it is
            return metrics
    out.mkdir(parents=True, exist_ok=True)
    if not resume:  # a new run (over an old one with --force): the data and model are ready
        clear_run(out)
        atomic_write(out / "config.json", config_json(cfg))
    callbacks = [saver.prepare(cfg, splits, seconds)]
    monitor = None
    if diagnose:
        from .diagnostics import monitor_for_run

        monitor = monitor_for_run(out)
        monitor.continue_from(len(history.epoch))  # a resumed run keeps its earlier records
        callbacks.append(monitor)
    loss_fn = loss_for(splits.task)
    try:
        fit(
            model,
            loss_fn,
            opt,
            loader,
            cfg.epochs,
            val_data=splits.val,
            callbacks=callbacks,
            progress=progress,
            history=history,
            resume_from=position,
        )
    except BaseException:
        if monitor is not None:  # a run that died is the one most in need of its diagnosis
            with contextlib.suppress(Exception):  # the run's own error is the one to report
                monitor.save(monitor.out_dir)
        raise
    if saver.config_json is not None:  # no epoch was left to end: the change is saved now
        saver.save()
    return _finish(out, model, loss_fn, splits, history, saver.seconds(), log)


def _update_config(out: Path, saver: _Saver, cfg: Config, state: dict) -> None:
    """A resumed run's config.json, from its checkpoint's training ``state``: first the
    checkpoint's own configuration, if a kill stopped its write (`unwritten_config`);
    then ``cfg``, if it differs, after the next checkpoint (until then config.json says
    what the last one holds), which records the SHA-256 of the file it replaces."""
    path, new = out / "config.json", config_json(cfg)
    old = _bytes(path)
    left = _kill_left(out / CHECKPOINT, state, old)
    if left is not None:  # left by a kill: that write is finished now
        old = config_json(left)
        atomic_write(path, old)
    if old != new:
        saver.config_json, saver.replaces = new, _sha256(old)


def _bytes(path: Path) -> bytes:
    """The bytes of ``path``; none if it cannot be read."""
    try:
        return read_regular(path)
    except OSError:
        return b""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unwritten_config(out: Path) -> Config | None:
    """The configuration of the checkpoint in ``out`` when config.json is the file that
    configuration replaces (a run resumed with a change, killed after writing the
    checkpoint but before config.json); None otherwise, and when there is no checkpoint."""
    path = out / CHECKPOINT
    if not path.is_file():
        return None
    return _kill_left(path, load(path), read_regular(out / "config.json"))


def _kill_left(path: Path, state: dict, config: bytes) -> Config | None:
    """The configuration in the training ``state`` of the checkpoint ``path`` when the
    bytes ``config`` of config.json are those of the file it replaces; else None."""
    if _replaced_digest(path, state) != _sha256(config):
        return None
    saved = training_field(path, state, "config", dict, "--resume")
    return config_from(saved, f"{path}: the training state's config")


_SHA256 = re.compile("[0-9a-f]{64}")


def _replaced_digest(path: Path, state: dict) -> str | None:
    """The SHA-256 (64 hex digits) of the config.json that the configuration in the
    training ``state`` of the checkpoint ``path`` replaces; None when it replaces none (or
    the checkpoint is older than the field). Anything else is refused, naming the field."""
    digest = state.get(REPLACES)
    if REPLACES not in state or (isinstance(digest, str) and _SHA256.fullmatch(digest)):
        return digest
    got = _shown(digest) if isinstance(digest, str) else _kind(digest)
    raise CheckpointError(
        f'{path}: the training state\'s "{REPLACES}" must be the SHA-256 of a config.json, '
        f"64 lowercase hex digits; got {got}"
    )


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return "an array"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    return names.get(type(value), "an object" if isinstance(value, dict) else "null")


def clear_run(out: Path) -> None:
    """Remove what an earlier run wrote into ``out`` (a new run over it, ``--force``):
    a new run never sits beside an old run's model, metrics, curves or diagnostics, which a
    crash before its first checkpoint would leave mixed. config.json goes first, then the
    checkpoint: a kill on the way leaves a directory that ``--resume`` refuses (no config),
    never the old config alone, which it would train again from epoch 0 in place of the
    forced one. Other files in ``out``, temporary-looking ones included, are left alone."""
    from .diagnostics._report import FILES

    names = ("config.json", *[n for n in RUN_FILES if n != "config.json"])
    paths = [out / name for name in names] + _temporaries(out, RUN_FILES)
    diagnostics = out / "diagnostics"
    if diagnostics.is_dir():
        paths += [diagnostics / name for name in FILES] + _temporaries(diagnostics, FILES)
    for path in paths:
        path.unlink(missing_ok=True)
    if diagnostics.is_dir() and not any(diagnostics.iterdir()):
        diagnostics.rmdir()


def is_temporary(path: Path, names) -> bool:
    """Whether ``path`` is a temporary file that `atomic_write` makes for one of the files
    ``names`` (`temporary_target`), which a killed write leaves behind."""
    return temporary_target(path.name) in names and path.is_file()


def _temporaries(directory: Path, names) -> list[Path]:
    return [p for p in directory.glob(".*.tmp") if is_temporary(p, names)]


def check_diagnostics_dir(out: Path) -> None:
    """A run keeps its diagnostics in the directory ``out/diagnostics``: anything else of
    that name is refused before the run writes anything."""
    path = out / "diagnostics"
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"{path}: not a directory, but the run keeps its diagnostics there; move or "
            "rename it, or choose another --out"
        )


def training_field(path: Path, state: dict, key: str, kind: type, needed_by: str):
    """``state[key]`` from a checkpoint's training state, checked to be a ``kind``; a file
    saved by ``cr.save`` rather than by a run may lack it."""
    if key not in state:
        raise CheckpointError(
            f'{path}: the training state has no "{key}", which {needed_by} needs; '
            "is it a checkpoint written by chainrule train?"
        )
    if not isinstance(state[key], kind):
        raise CheckpointError(f'{path}: the training state\'s "{key}" is not {_a(kind)}')
    return state[key]


def _a(kind: type) -> str:
    return {dict: "an object", str: "a string"}.get(kind, f"a {kind.__name__}")


def _resume(out: Path, model, opt, loader) -> tuple[History, dict, float, dict]:
    path, batch_size = out / CHECKPOINT, loader.batch_size
    state = load(path, model, opt)
    keys = ("history", "rng", "position", "config")
    history, rng, position, config = (
        training_field(path, state, k, dict, "--resume") for k in keys
    )
    try:
        history = restored(history)
        _generator.default_generator().bit_generator.state = rng
        saved_batch = config["batch_size"]
        position = {k: position[k] for k in POSITION_KEYS}
    except (KeyError, TypeError, ValueError) as e:
        missing = "missing " if isinstance(e, KeyError) else ""
        raise CheckpointError(f"{path}: no resumable training state ({missing}{e})") from None
    if position["batch"] and batch_size != saved_batch:  # the position counts batches
        raise ValueError(
            f"{out / CHECKPOINT}: stopped in the middle of an epoch with --batch-size "
            f"{saved_batch}; resume with that batch size (it can change between epochs)"
        )
    problem = position_problem(position, loader, len(history.epoch))
    if problem is not None:
        raise CheckpointError(f"{path}: the training state's {problem}")
    seconds = state.get("seconds", 0.0)  # training time before this run (absent: unknown)
    if not isinstance(seconds, (int, float)) or not seconds >= 0:
        seconds = 0.0
    return history, position, float(seconds), state


def _resuming(out: Path, position: dict, done: int, epochs: int) -> str:
    """Where a resumed run continues, on one line before the run's summary (on stdout: a
    failing run's stderr stays one line)."""
    if done >= epochs:
        return (
            f"chainrule train: {shown(out)} has trained all {plural(epochs, 'epoch')}; "
            "nothing to resume"
        )
    where = f"epoch {position['epoch'] + 1}"
    if position["batch"]:
        where += f" after batch {position['batch']}"
    return f"chainrule train: resuming {shown(out)} at {where} of {epochs}"


def _finished(out: Path, log, epochs_done: int) -> dict | None:
    """The metrics of a run that has trained all its ``epochs_done`` epochs, as its
    metrics.json has them, summarised; None when the file is missing, does not read as a
    run's metrics, or is of another number of epochs (killed before it was written, or
    after the last checkpoint of a longer run but before it was rewritten, or damaged:
    the run is then finished again, which rewrites it)."""
    try:
        metrics = json.loads(read_regular(out / "metrics.json"))
        line = summary_line(metrics, out)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    if metrics["epochs"] != epochs_done:
        return None
    log(line)
    return metrics


def _finish(out: Path, model, loss_fn, splits: Splits, history: History, seconds, log) -> dict:
    metrics = {
        **metrics_on_test(model, loss_fn, splits),
        "epochs": len(history.epoch),
        "seconds": seconds,
    }
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    write_history(out / "history.csv", history)
    plot_curves(out / "curves.png", history)
    log(summary_line(metrics, out))
    return metrics


def metrics_on_test(model, loss_fn, splits: Splits) -> dict:
    """The model's test accuracy (None, null in JSON, for a regression) and loss; for a
    regression also ``test_mse``, the mean squared error in the target's own units (the
    loss is that of the standardised target: ``test_mse`` = loss × scale²)."""
    test = evaluate(model, loss_fn, splits.test)
    metrics = {"test_accuracy": test.get("accuracy"), "test_loss": test["loss"]}
    if splits.target_scaler is not None:
        metrics["test_mse"] = in_target_units(test["loss"], splits.target_scaler)
    return metrics


def in_target_units(loss: float, target_scaler) -> float:
    """A mean squared error of the standardised target in the target's units (× scale²)."""
    return loss * float(target_scaler.scale[0]) ** 2


def summary_line(metrics: dict, out: Path) -> str:
    """The last line of a run: its test metrics, epochs, time and directory."""
    acc, mse = metrics.get("test_accuracy"), metrics.get("test_mse")
    if acc is not None:
        head = f"test accuracy {acc:.2%}, test loss {metrics['test_loss']:.4f}"
    elif mse is None:
        head = f"test loss (mean squared error) {metrics['test_loss']:.4f}"
    else:
        head = (
            f"test loss (mean squared error of the standardised target) "
            f"{metrics['test_loss']:.4f} ({mse:.4f} in the target's units)"
        )
    return (
        f"{head} after {plural(metrics['epochs'], 'epoch')} in {metrics['seconds']:.1f} s; "
        f"run saved in {shown(out)}"
    )


def _json(scaler) -> dict:
    return {k: v.tolist() for k, v in scaler.state_dict().items()}


def write_history(path: Path, history: History) -> None:
    """history.csv: one row per epoch with every logged value."""
    keys = list(history.history)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["epoch", *keys])
    for i, epoch in enumerate(history.epoch):
        writer.writerow([epoch + 1, *(repr(history.history[k][i]) for k in keys)])
    atomic_write(path, buf.getvalue().encode())


def plot_curves(path: Path, history: History) -> bool:
    """Loss and accuracy per epoch as a PNG, when matplotlib is installed (drawn on a
    ``Figure`` of its own: pyplot's global backend is left as the caller had it)."""
    from .diagnostics._plot import have_matplotlib, integer_ticks, new_figure, save_png

    if not have_matplotlib():
        return False
    h = history.history
    panels = [k for k in ("loss", "accuracy") if k in h]
    fig = new_figure(5 * len(panels), 3.5)
    epochs = np.asarray(history.epoch) + 1
    for ax, key in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        for name in (key, f"val_{key}"):
            if name in h:
                ax.plot(epochs, h[name], label=name)
        ax.set_xlabel("epoch")
        ax.set_title(key)
        integer_ticks(ax)
        ax.legend()
    save_png(fig, path)
    return True
