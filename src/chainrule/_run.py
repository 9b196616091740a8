"""A training run from a config: its optimizer, the loop, its checkpoints and resuming it.
Beside it: its data and model (`_run_setup.py`), the files of its directory
(`_run_files.py`) and its results (`_run_results.py`).

A run directory holds ``config.json``, ``history.csv``, ``metrics.json``,
``model.safetensors`` (a full checkpoint: weights, optimizer state, training state) and,
when matplotlib is installed, ``curves.png``. ``--resume DIR`` continues from the
checkpoint exactly: same weights, same data order, same losses.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import asdict
from pathlib import Path

from . import _generator, data
from ._atomic_write import atomic_write
from ._checkpoint import load, save
from ._checkpoint_format import CheckpointError
from ._config import OPTIMIZERS, Config, config_json
from ._history import History, checkpoint_form, restored
from ._position import POSITION_KEYS, plural, position_problem, trained
from ._run_files import (
    CHECKPOINT,
    REPLACES,
    _bytes,
    _kill_left,
    _sha256,
    check_diagnostics_dir,
    clear_run,
    shown,
    training_field,
)
from ._run_results import _finish, _finished, write_history
from ._run_setup import Splits, build_model, load_splits, loss_for
from ._training import fit


def say(line: str) -> None:
    """Print ``line`` on stdout; a character its encoding lacks (an ``é`` under
    ``PYTHONIOENCODING=ascii``) as a backslash escape, not an error after the run."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    print(line.encode(encoding, "backslashreplace").decode(encoding))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during `train`; the message says where the last checkpoint is."""


def _json(scaler) -> dict:
    return {k: v.tolist() for k, v in scaler.state_dict().items()}


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


def _continued(out: Path, saver: _Saver, cfg: Config, model, opt, loader, log):
    """A resumed run's history, position and seconds so far, read from its checkpoint into
    ``model``, ``opt`` and ``loader``; and its metrics when it has no epoch left to train
    (else None). Its config.json is brought up to date and ``cfg``'s learning rate set."""
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
    return history, position, seconds, metrics


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
        history, position, seconds, metrics = _continued(out, saver, cfg, model, opt, loader, log)
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
