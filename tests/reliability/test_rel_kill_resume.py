"""Never lose a run: `chainrule train` killed with SIGKILL (or interrupted with SIGINT) at
many points, then resumed with `chainrule train --resume` until it finishes, ends with the
same bytes as a run that was never stopped: the whole model.safetensors (weights, optimizer
state, training state) and history.csv.

Every run is a real subprocess with BLAS pinned to one thread. Kill points:

- 20 random ones (6 under python -O): once the run has written config.json, a sleep of a
  seeded uniform fraction of the training time measured on the uninterrupted reference run
  (config.json to metrics.json);
- the edges, by polling the run directory: at once, once config.json exists (no checkpoint
  yet), as soon as the first checkpoint appears, mid-epoch, during the last epoch, after
  the last checkpoint but before metrics.json;
- exact ones, with a small harness that runs the real command line in-process and kills
  itself from inside it (the library has no kill hook of its own): at the first and the
  last training step, and inside a checkpoint write (half-written, before the rename,
  after the rename).

Also here: SIGINT exits 130 with one line and a valid checkpoint; resuming with a changed
configuration is refused unless ``--force``; the same seed gives the same bytes in two
processes with different PYTHONHASHSEED.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reliability_conftest import chainrule_cmd, has_traceback, note, python_cmd, subprocess_env

import chainrule as cr
from chainrule import _cli
from chainrule._checkpoint_format import read_checkpoint
from chainrule._config import Config
from chainrule._run_setup import build_model, load_splits

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

EPOCHS, BATCH = 6, 4
CONFIG = ["--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--hidden", "32", "--seed", "3"]
# the suite's second pass (python -O, which `make test` runs for the asserts it strips)
# repeats every edge and exact point but only 6 of the random ones: the same code again
RANDOM_KILLS, KILL_SEED = (6 if sys.flags.optimize else 20), 20240607
FILES = ("model.safetensors", "history.csv")
POLL = 0.002  # seconds between looks at the run directory; busy polling would steal a core


def content(path: Path) -> object:
    """What must be bit-identical in a run file. For the checkpoint: its parsed header
    (safetensors writes the metadata keys in a per-process random order, so the header's
    bytes vary between identical runs) and its data section, byte for byte. The training
    state's ``seconds`` (wall time) is left out, and with it the digest that covers it."""
    data = path.read_bytes()
    if path.suffix != ".safetensors":
        return data
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header["__metadata__"]
    training = json.loads(meta.pop("training"))
    training.pop("seconds")  # KeyError if a checkpoint lacks it
    meta.pop("sha256")
    return header, training, data[8 + n :]


def same(run: Path, ref: Path, name: str) -> bool:
    return (run / name).exists() and content(run / name) == content(ref / name)


# ----- running -----------------------------------------------------------------------------
def _start(args: list[str], hashseed: str, harness: str | None = None) -> subprocess.Popen:
    env = subprocess_env(PYTHONHASHSEED=hashseed)
    if harness is not None:
        env["CHAINRULE_TEST_STOP"] = harness
        cmd = [*python_cmd(), "-c", HARNESS, *args]
    else:
        cmd = chainrule_cmd(*args)
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _run(args: list[str], hashseed: str = "0") -> subprocess.CompletedProcess:
    return subprocess.run(
        chainrule_cmd(*args),
        env=subprocess_env(PYTHONHASHSEED=hashseed),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _history_rows(run: Path) -> int:
    try:
        return max(len((run / "history.csv").read_text().splitlines()) - 1, 0)
    except OSError:
        return 0


@dataclass
class Timeline:
    """Seconds from the start of an uninterrupted run until each file appeared."""

    config: float = 0.0
    first_checkpoint: float = 0.0
    metrics: float = 0.0
    end: float = 0.0
    epochs: list[float] = field(default_factory=list)

    @property
    def epoch_seconds(self) -> float:
        return (self.epochs[-1] - self.epochs[0]) / max(len(self.epochs) - 1, 1)


def _watched_run(run: Path, hashseed: str) -> Timeline:
    t0 = time.perf_counter()
    proc = _start(["train", *CONFIG, "--out", str(run)], hashseed)
    seen: dict[str, float] = {}
    rows = 0
    while proc.poll() is None:
        now = time.perf_counter() - t0
        for name in ("config.json", "model.safetensors", "metrics.json"):
            if name not in seen and (run / name).exists():
                seen[name] = now
        if _history_rows(run) > rows:
            rows = _history_rows(run)
            seen[f"epoch {rows}"] = now
        time.sleep(POLL)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    return Timeline(
        seen.get("config.json", 0.0),
        seen.get("model.safetensors", 0.0),
        seen.get("metrics.json", time.perf_counter() - t0),
        time.perf_counter() - t0,
        [v for k, v in sorted(seen.items()) if k.startswith("epoch")],
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Timeline]:
    """The uninterrupted run every stopped run must end up equal to."""
    run = tmp_path_factory.mktemp("reference") / "run"
    return run, _watched_run(run, hashseed="0")


# ----- one kill, then resume until done ----------------------------------------------------
@dataclass
class Trial:
    name: str
    hashseed: str
    stop: object  # a callable (proc, run) -> None, or a harness spec string
    alive_when_stopped: bool = True
    epochs_checkpointed: int | None = None
    resumes: int = 0
    stale_temp_files: int = 0
    problems: list[str] = field(default_factory=list)


@functools.cache
def steps_per_epoch() -> int:
    """Mini-batches per epoch of the configuration above (digits' training split)."""
    n = len(load_splits(Config()).train[0])
    return -(-n // BATCH)


def _kill_after(seconds: float):
    def stop(proc: subprocess.Popen, run: Path) -> None:
        time.sleep(seconds)

    return stop


def _kill_when(condition, then_sleep: float = 0.0):
    def stop(proc: subprocess.Popen, run: Path) -> None:
        while proc.poll() is None and not condition(run):
            time.sleep(POLL)
        time.sleep(then_sleep)

    return stop


def _stop_and_resume(trial: Trial, run: Path) -> Trial:
    if isinstance(trial.stop, str):  # the harness stops itself
        proc = _start(["train", *CONFIG, "--out", str(run)], trial.hashseed, trial.stop)
        proc.wait(timeout=120)
        if proc.returncode != -signal.SIGKILL:
            trial.problems.append(f"the harness did not stop (exit {proc.returncode})")
    else:
        proc = _start(["train", *CONFIG, "--out", str(run)], trial.hashseed)
        trial.stop(proc, run)
        trial.alive_when_stopped = proc.poll() is None
        if trial.alive_when_stopped:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    proc.stderr.close()
    trial.epochs_checkpointed = _checkpointed_epochs(run)
    trial.stale_temp_files = len(list(run.glob(".*.tmp"))) if run.exists() else 0
    while not (run / "metrics.json").exists() and trial.resumes < 4:
        trial.resumes += 1
        if (run / "model.safetensors").exists():
            done = _run(["train", "--resume", str(run)], trial.hashseed)
        else:  # stopped before the first checkpoint: nothing to resume, start again
            done = _run(["train", *CONFIG, "--out", str(run)], trial.hashseed)
        if done.returncode != 0:
            trial.problems.append(f"resume {trial.resumes} failed: {done.stderr.strip()}")
            break
    return trial


def _checkpointed_epochs(run: Path) -> int | None:
    try:
        return cr.load(run / "model.safetensors")["position"]["epoch"]
    except cr.CheckpointError:
        return None


def _compare(trial: Trial, run: Path, ref: Path) -> None:
    for name in FILES:
        if not same(run, ref, name):
            trial.problems.append(f"{name} differs from the uninterrupted run")
    metrics, ref_metrics = (json.loads((d / "metrics.json").read_text()) for d in (run, ref))
    if {k: metrics[k] for k in ("test_loss", "test_accuracy", "epochs")} != {
        k: ref_metrics[k] for k in ("test_loss", "test_accuracy", "epochs")
    }:
        trial.problems.append("metrics.json differs")


def _started(run: Path) -> bool:
    """Training has begun: config.json is written just before the first epoch."""
    return (run / "config.json").exists()


def _trials(timeline: Timeline) -> list[Trial]:
    rng = random.Random(KILL_SEED)
    training = timeline.metrics - timeline.config
    trials = [
        Trial(
            f"random {i + 1}: {u:.2f} of training", str(i + 1), _kill_when(_started, u * training)
        )
        for i, u in enumerate(sorted(rng.random() for _ in range(RANDOM_KILLS)))
    ]
    half_epoch = timeline.epoch_seconds / 2
    edges = {
        "at once": _kill_after(0.0),
        "config.json written, no checkpoint yet": _kill_when(_started),
        "the first checkpoint just appeared": _kill_when(
            lambda r: (r / "model.safetensors").exists()
        ),
        "mid-epoch (epoch 3)": _kill_when(lambda r: _history_rows(r) >= 2, half_epoch),
        "during the last epoch": _kill_when(lambda r: _history_rows(r) >= EPOCHS - 1, half_epoch),
        "after the last checkpoint, before metrics.json": _kill_when(
            lambda r: _history_rows(r) >= EPOCHS
        ),
    }
    trials += [Trial(f"edge: {n}", str(100 + i), stop) for i, (n, stop) in enumerate(edges.items())]
    exact = {
        "the first training step": "kill-step:1",
        "the last training step": f"kill-step:{EPOCHS * steps_per_epoch()}",
        "checkpoint 3 half-written": "kill-write:3:half",
        "checkpoint 3 written, before its rename": "kill-write:3:before-rename",
        "checkpoint 3 renamed, before the directory fsync": "kill-write:3:after-rename",
    }
    trials += [
        Trial(f"exact: {n}", str(200 + i), spec) for i, (n, spec) in enumerate(exact.items())
    ]
    return trials


def test_sigkill_at_random_and_edge_points_then_resume_is_bit_identical(reference, tmp_path):
    ref, timeline = reference
    trials = _trials(timeline)
    start = time.perf_counter()

    def one(item: tuple[int, Trial]) -> Trial:
        i, trial = item
        run = tmp_path / f"run{i}"
        _stop_and_resume(trial, run)
        if not trial.problems:
            _compare(trial, run, ref)
        return trial

    with ThreadPoolExecutor(max_workers=2) as pool:  # CI has two cores
        done = list(pool.map(one, enumerate(trials)))
    landed = [t.epochs_checkpointed for t in done]
    note(
        "kill and resume",
        kills=len(done),
        random_kills=RANDOM_KILLS,
        failures=sum(bool(t.problems) for t in done),
        resumes=sum(t.resumes for t in done),
        **{"kills before any checkpoint": landed.count(None)},
        **{f"kills after {e} checkpointed epochs": landed.count(e) for e in range(EPOCHS + 1)},
        **{"kills after the process had exited": sum(not t.alive_when_stopped for t in done)},
        **{"stale temporary files left by a kill": sum(t.stale_temp_files for t in done)},
        seconds=round(time.perf_counter() - start, 1),
        reference_run_seconds=round(timeline.end, 2),
    )
    failed = {t.name: t.problems for t in done if t.problems}
    assert not failed, failed
    assert sum(t.alive_when_stopped for t in done) >= len(done) - 3, "most kills came too late"


# ----- the harness: the real command line, stopping itself at an exact point ----------------
HARNESS = r"""
import os, signal, sys, tempfile
import chainrule._atomic_write as writer
import chainrule._training as tr
import chainrule.optim._optimizer as optimizer
from chainrule._cli import main

how, at, *rest = os.environ["CHAINRULE_TEST_STOP"].split(":")
at, where = int(at), (rest or [""])[0]
SIG = signal.SIGINT if how.startswith("int") else signal.SIGKILL
count = {"step": 0, "write": 0, "val": 0, "update": 0}
current = [None]

def stop():
    os.kill(os.getpid(), SIG)

def counted(kind):
    count[kind] += 1
    return how.endswith(kind) and count[kind] == at

real_step, real_evaluate = tr.train_step, tr.evaluate
real_update = optimizer.Optimizer._step_one

def update_one(self, *args, **kwargs):  # one parameter's update inside optimizer.step()
    real_update(self, *args, **kwargs)
    if counted("update"):
        stop()

def train_step(*args, **kwargs):
    if counted("step"):
        stop()
    return real_step(*args, **kwargs)

def evaluate(*args, **kwargs):
    if kwargs.get("prefix") == "val_" and counted("val"):
        stop()
    return real_evaluate(*args, **kwargs)

def mkstemp(*args, **kwargs):
    fd, name = tempfile.mkstemp(*args, **kwargs)
    mine = os.path.basename(name).startswith(".model.safetensors.")
    current[0] = "hit" if mine and counted("write") else None
    return fd, name

class File:
    def __init__(self, fh):
        self.fh = fh
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.fh.close()
    def write(self, data):
        if current[0] == "hit" and where == "half":
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            stop()
        return self.fh.write(data)
    def __getattr__(self, name):
        return getattr(self.fh, name)

class OS:
    def __getattr__(self, name):
        return getattr(os, name)
    def fdopen(self, fd, *args, **kwargs):
        return File(os.fdopen(fd, *args, **kwargs))
    def replace(self, src, dst):
        if current[0] == "hit" and where == "before-rename":
            stop()
        os.replace(src, dst)
        if current[0] == "hit" and where == "after-rename":
            stop()

class TempFile:
    mkstemp = staticmethod(mkstemp)

tr.train_step, tr.evaluate = train_step, evaluate
optimizer.Optimizer._step_one = update_one
writer.os, writer.tempfile = OS(), TempFile()
sys.exit(main(sys.argv[1:]))
"""


# ----- SIGINT -------------------------------------------------------------------------------
def _assert_interrupted_cleanly(proc: subprocess.Popen) -> str:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert not has_traceback(err), err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("chainrule train: interrupted; the last checkpoint is "), err
    assert "model.safetensors; continue with chainrule train --resume " in lines[0], err
    return err


def _assert_valid_checkpoint(run: Path) -> dict:
    cfg = Config(**json.loads((run / "config.json").read_text()))
    training = cr.load(run / "model.safetensors", build_model(cfg, 64, 10))
    assert 0 <= training["position"]["epoch"] <= EPOCHS
    return training


def test_sigint_during_training_exits_130_with_one_line_and_a_valid_checkpoint(reference, tmp_path):
    """A real SIGINT from outside, at seeded times after training has started: exit 130,
    one line, no traceback, a checkpoint that loads, and a resume that finishes the run.
    Whether the result is bit-identical depends on where the signal lands (see the two
    xfail tests below), so it is counted here, not asserted; the exact-point tests assert it."""
    ref, timeline = reference
    rng = random.Random(KILL_SEED + 1)
    identical = 0
    for i in range(3):
        run = tmp_path / f"run{i}"
        proc = _start(["train", *CONFIG, "--out", str(run)], str(300 + i))
        while proc.poll() is None and not (run / "model.safetensors").exists():
            time.sleep(POLL)
        time.sleep(rng.uniform(0, 3 * timeline.epoch_seconds))
        proc.send_signal(signal.SIGINT)
        _assert_interrupted_cleanly(proc)
        _assert_valid_checkpoint(run)
        done = _run(["train", "--resume", str(run)])
        assert done.returncode == 0, done.stderr
        assert (run / "metrics.json").exists()
        identical += all(same(run, ref, name) for name in FILES)
    note("SIGINT from outside", runs=3, **{"bit-identical after resume": identical})


# A Ctrl-C that arrives during a training step waits for the step to finish (fit defers
# it), so a signal sent as step 5 begins leaves 5 steps done.
SIGINT_POINTS = {  # name -> (harness spec, the position the checkpoint must record)
    "as step 5 begins (epoch 0)": (lambda: "int-step:5", lambda: (0, 5)),
    "as step 41 of epoch 3 begins": (
        lambda: f"int-step:{3 * steps_per_epoch() + 41}",
        lambda: (3, 41),
    ),
    "inside the write of checkpoint 2": (lambda: "int-write:2:before-rename", lambda: (2, 0)),
}


@pytest.mark.parametrize("where", list(SIGINT_POINTS))
def test_sigint_at_exact_points_then_resume_is_bit_identical(reference, tmp_path, where):
    ref, _ = reference
    spec, position = (f() for f in SIGINT_POINTS[where])
    run = tmp_path / "run"
    proc = _start(["train", *CONFIG, "--out", str(run)], "7", harness=spec)
    _assert_interrupted_cleanly(proc)
    training = _assert_valid_checkpoint(run)
    assert (training["position"]["epoch"], training["position"]["batch"]) == position
    assert not list(run.glob(".*.tmp")), "a temporary file was left behind"
    done = _run(["train", "--resume", str(run)])
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert same(run, ref, name), (where, name)


def test_sigint_inside_an_optimizer_step_then_resume_is_bit_identical(reference, tmp_path):
    ref, _ = reference
    run = tmp_path / "run"
    # 4 parameters: update 4·40 + 2 is the 2nd parameter's update of step 41
    proc = _start(["train", *CONFIG, "--out", str(run)], "9", harness="int-update:162")
    _assert_interrupted_cleanly(proc)
    assert cr.load(run / "model.safetensors")["position"]["step"] == 41  # the step finished
    assert _run(["train", "--resume", str(run)]).returncode == 0
    for name in FILES:
        assert same(run, ref, name), name


def test_sigint_during_validation_then_resume_is_bit_identical(reference, tmp_path):
    ref, _ = reference
    run = tmp_path / "run"
    proc = _start(["train", *CONFIG, "--out", str(run)], "8", harness="int-val:2")
    _assert_interrupted_cleanly(proc)
    assert _run(["train", "--resume", str(run)]).returncode == 0
    for name in FILES:
        assert same(run, ref, name), name


# ----- determinism --------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_bytes_under_another_hash_seed(reference, tmp_path):
    ref, _ = reference
    run = tmp_path / "twin"
    done = _run(["train", *CONFIG, "--out", str(run)], hashseed="4242")
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert same(run, ref, name), name
    assert (
        json.loads((run / "metrics.json").read_text())["test_loss"]
        == json.loads((ref / "metrics.json").read_text())["test_loss"]
    )


# ----- resuming with another configuration --------------------------------------------------
CHANGES = {  # flag -> a value different from the run's
    "--dataset": "wine",
    "--hidden": "16,16",
    "--activation": "tanh",
    "--init": "xavier",
    "--optimizer": "sgd",
    "--lr": "0.5",
    "--batch-size": "16",
    "--seed": "4",
    "--data-dir": "elsewhere",
}


def _main(argv: list[str]) -> int:
    try:
        return _cli.main(argv)
    except SystemExit as e:
        return e.code


@pytest.fixture
def finished(reference, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(reference[0], run)
    return run


@pytest.mark.parametrize("flag", list(CHANGES))
def test_resuming_with_a_changed_configuration_is_refused(finished, capsys, flag):
    before = {p.name: p.read_bytes() for p in finished.iterdir()}
    code = _main(["train", "--resume", str(finished), flag, CHANGES[flag]])
    err = capsys.readouterr().err
    assert code == 1
    assert not has_traceback(err)
    assert len(err.strip().splitlines()) == 1
    assert f"refusing to resume with a changed configuration ({flag} " in err
    assert "pass --force" in err
    assert {p.name: p.read_bytes() for p in finished.iterdir()} == before


def test_the_same_values_and_more_epochs_are_not_a_change(finished, capsys):
    argv = ["train", "--resume", str(finished), "--seed", "3", "--hidden", "32"]
    assert _main([*argv, "--epochs", str(EPOCHS + 1)]) == 0
    assert len(cr.load(finished / "model.safetensors")["history"]["epoch"]) == EPOCHS + 1


def test_force_resumes_with_a_change_that_fits(finished):
    argv = ["train", "--resume", str(finished), "--batch-size", "16", "--force"]
    assert _main([*argv, "--epochs", str(EPOCHS + 1)]) == 0
    assert len(cr.load(finished / "model.safetensors")["history"]["epoch"]) == EPOCHS + 1


def test_force_does_not_change_the_seed_of_a_run_that_continues(finished, capsys):
    # the weights, the shuffling and the generator come from the checkpoint: a new seed
    # would do nothing but be written into config.json
    before = {p.name: p.read_bytes() for p in finished.iterdir()}
    code = _main(["train", "--resume", str(finished), "--seed", "4", "--force"])
    err = capsys.readouterr().err
    assert code == 1
    assert "--seed cannot change when resuming (even with --force)" in err
    assert len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in finished.iterdir()} == before


def test_force_with_a_model_that_does_not_fit_fails_in_one_line(finished, capsys):
    code = _main(["train", "--resume", str(finished), "--hidden", "16", "--force"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 or "does not fit" in err
    assert "model state does not fit" in err
    assert not has_traceback(err)


def test_force_with_a_new_learning_rate_uses_it(finished):
    argv = ["train", "--resume", str(finished), "--lr", "0.5", "--force"]
    assert _main([*argv, "--epochs", str(EPOCHS + 1)]) == 0
    _, meta = read_checkpoint(finished / "model.safetensors")
    assert json.loads(meta["optimizer"])["param_groups"][0]["lr"] == 0.5
