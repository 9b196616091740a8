"""`Monitor`: a `fit` callback that measures what the vanishing-gradient lesson talks about.

Per recorded epoch it keeps each activation layer's statistics on a fixed probe batch and
each parameter's gradient norm, and warns (one line each) when gradients vanish or explode
or the loss stops being finite.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .._arguments import check_counts
from .._callbacks import Callback
from .._explain._values import norm  # the Euclidean norm, scaled: no overflow of squares
from .._tensor import Tensor
from ..data._collate import fetch
from . import _checks, _plot, _report
from ._monitor_args import check_model, check_out_dir, check_probe, checked_thresholds
from ._probe import layer_calls, probed
from ._records import Alert, EpochRecord, layer_of
from ._stats import activation_stats

Warn = bool | Callable[[str], None]


class Monitor(Callback):
    """Record activations and gradients per layer while `chainrule.fit` trains.

    Activations: after each recorded epoch, a fixed probe batch goes through the model in
    eval mode without a graph, and every activation layer's output is summarised (mean,
    std, histogram; for the activations with a flat end the output tells (sigmoid, tanh,
    ELU, softplus, SELU, CELU, LogSigmoid, Softsign, Hardtanh, ReLU6, Hardsigmoid) the
    share of saturated units, whose local gradient is below 1% of its maximum; for ReLU
    the share of dead units, never positive on the probe; None where a statistic does not
    apply). The probe is
    ``probe`` or the first ``probe_size`` training samples in dataset order, so the
    loader's random state, and hence training, is untouched.

    Gradients: after every batch of a recorded epoch, each parameter's ``.grad`` norm (and
    each layer's, over all its parameters); the record holds their mean over the epoch's
    batches (those in which the parameter had a gradient).

    Warnings (one line each, when a condition starts): vanishing gradients (first layer's
    norm below ``thresholds.vanish`` of the last layer's), exploding gradients (a layer's
    norm above ``thresholds.explode`` in any batch, or its epoch mean ``thresholds.growth``
    times the previous record's), non-finite gradients or losses. ``warn``: True prints to
    stderr, False stays silent, a callable receives each line (e.g.
    ``logging.getLogger(...).warning``). ``alerts`` keeps them all.

    Args:
        model: the model; None takes the one `fit` trains.
        every: record every ``every``-th epoch (1 = all).
        histogram_bins: bins per activation histogram.
        out_dir: when given, ``stats.json``, ``activations.csv``, ``gradients.csv`` are
            written there after each record and each warning (so a run that `fit` stops
            at a nan loss keeps the warning that came first), and ``activations.png``,
            ``gradients.png`` (with matplotlib) when training ends.
        warn: where warnings go (see above).
        probe: the inputs to probe the activations with, shape (N, features...).
        probe_size: how many training samples make the default probe.
        thresholds: when to warn (`Thresholds`).
    """

    def __init__(
        self,
        model=None,
        every: int = 1,
        histogram_bins: int = 30,
        out_dir: str | Path | None = None,
        warn: Warn = True,
        probe: np.ndarray | None = None,
        probe_size: int = 256,
        thresholds: _checks.Thresholds | None = None,
    ) -> None:
        check_counts("Monitor", every=every, histogram_bins=histogram_bins, probe_size=probe_size)
        check_model(model)
        self.model, self.every, self.bins = model, every, histogram_bins
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.warn, self.probe, self.probe_size = warn, probe, probe_size
        self.thresholds = checked_thresholds(thresholds)
        self.records: list[EpochRecord] = []
        self.alerts: list[Alert] = []
        self._recording = False
        self._param_sums: dict[str, list[float]] = {}  # name -> [sum of norms, batches]
        self._layer_sums: dict[str, list[float]] = {}
        self._ongoing: set[str] = set()  # alert kinds raised at the previous record
        self._raised: set[str] = set()  # alert kinds raised at the current record

    # ----- the callback hooks ---------------------------------------------------------------
    def on_train_begin(self, state) -> None:
        """Take the model and the probe batch; a probe the model cannot take, or an
        ``out_dir`` that cannot be a directory, is refused now, not after the first
        recorded epoch's training. Both are kept only once checked: a monitor refused here
        takes the model and data of the next `fit` it is given."""
        if self.out_dir is not None:
            check_out_dir(self.out_dir)
        model = state.model if self.model is None else self.model
        probe = probe_batch(state.loader, self.probe_size) if self.probe is None else self.probe
        check_probe(model, probe)
        self.model, self.probe = model, probe

    def on_epoch_begin(self, state) -> None:
        """Decide whether this epoch is recorded; reset the gradient sums."""
        self._recording = (state.epoch + 1) % self.every == 0
        self._param_sums, self._layer_sums = {}, {}

    def on_batch_end(self, state) -> None:
        """Add this batch's gradient norms; warn at once when one is not finite or above
        ``thresholds.explode`` (before the weights, then the loss, turn to nan)."""
        if not self._recording:
            return
        norms = grad_norms(self.model)
        layers = layer_norms(norms)
        _accumulate(self._param_sums, norms)
        _accumulate(self._layer_sums, layers)
        found = {
            "nonfinite_gradients": _checks.nonfinite_gradients(norms),
            "exploding": _checks.exploding(layers, {}, self.thresholds),
        }
        for kind, message in found.items():
            if message:
                self._alert(state.epoch + 1, kind, message)

    def on_epoch_end(self, state, logs: dict) -> None:
        """Probe the activations, store the record, check it, write the tables."""
        if not self._recording:
            return
        record = self.record(state.epoch + 1, logs)
        self._check(record, self.records[-1] if self.records else None)
        self.records.append(record)
        self._ongoing, self._raised = self._raised, set()
        if self.out_dir is not None:
            _report.write_tables(self.out_dir, self.records, self.alerts, self._ongoing)

    def on_train_end(self, state) -> None:
        """Write every file (the PNGs too) when ``out_dir`` is set."""
        if self.out_dir is not None:
            self.save(self.out_dir)

    # ----- records, checks, files -----------------------------------------------------------
    def record(self, epoch: int, logs: dict | None = None) -> EpochRecord:
        """The statistics now, as the record of ``epoch`` with its logged values ``logs``:
        activations on the probe, gradient norms averaged so far."""
        if self.model is None or self.probe is None:
            raise RuntimeError("Monitor.record: no model or probe yet (give them, or fit first)")
        calls = layer_calls(self.model, self.probe)
        return EpochRecord(
            epoch=epoch,
            logs=dict(logs or {}),
            activations=[
                activation_stats(name, kind, y, self.bins, **settings)
                for name, kind, y, settings in probed(calls)
            ],
            grad_norms=_means(self._param_sums),
            layer_grad_norms=_means(dict(_in_call_order(self._layer_sums, calls))),
        )

    def _check(self, record: EpochRecord, before: EpochRecord | None) -> None:
        t, norms = self.thresholds, record.layer_grad_norms
        previous = before.layer_grad_norms if before is not None else {}
        exploding = _checks.exploding(norms, previous, t)
        blown = exploding or "exploding" in self._raised  # then a small ratio is no vanishing
        found = {
            "nonfinite_loss": _checks.nonfinite_loss(record.logs),
            "vanishing": None if blown else _checks.vanishing(norms, t),
            "exploding": exploding,
        }
        for kind, message in found.items():
            if message:
                self._alert(record.epoch, kind, message)

    def _alert(self, epoch: int, kind: str, message: str) -> None:
        """Warn when a condition starts: not again while it lasts from record to record."""
        if kind in self._raised:
            return
        self._raised.add(kind)
        if kind in self._ongoing:
            return
        self.alerts.append(Alert(epoch, kind, message))
        if self.out_dir is not None:  # on disk at once, before a `warn` that may raise
            _report.write_tables(self.out_dir, self.records, self.alerts, self._ongoing)
        self._say(f"chainrule diagnostics: epoch {epoch}: {message}")

    def _say(self, line: str) -> None:
        if callable(self.warn):
            self.warn(line)
        elif self.warn:
            tqdm.write(line, file=sys.stderr)  # keeps a progress bar intact

    def continue_from(self, epochs_done: int) -> None:
        """Take back the records and alerts of the first ``epochs_done`` epochs from
        ``out_dir``'s stats.json (a resumed run's earlier part), so the files keep them, and
        the conditions that held then, so they are not announced again.

        A run stopped in the middle of an epoch records that epoch's gradient norms over
        the batches after the resume only (the partial sums are not in the checkpoint)."""
        path = None if self.out_dir is None else self.out_dir / "stats.json"
        if path is None or not path.exists():
            return
        try:
            about = json.loads(path.read_text(encoding="utf-8"))
            records = [EpochRecord.from_json(r) for r in about["epochs"]]
            alerts = [Alert(int(a["epoch"]), a["kind"], a["message"]) for a in about["alerts"]]
            ongoing = {str(kind) for kind in about.get("ongoing", [])}
        except (OSError, ValueError, KeyError, TypeError) as e:
            self._say(f"chainrule diagnostics: {path}: unreadable ({e}); starting afresh")
            return
        self.records = [r for r in records if r.epoch <= epochs_done]
        self.alerts = [a for a in alerts if a.epoch <= epochs_done]
        if self.records and len(self.records) == len(records):  # resumed at the last record
            self._ongoing = ongoing

    def save(self, out_dir: str | Path) -> list[Path]:
        """Write the tables and (with matplotlib) the PNGs into ``out_dir``; return the paths."""
        out_dir = Path(out_dir)
        paths = _report.write_tables(out_dir, self.records, self.alerts, self._ongoing)
        if self.records and not _plot.have_matplotlib():
            self._say(f"chainrule diagnostics: {_plot.MISSING}")
        return paths + _report.write_plots(out_dir, self.records)


def _in_call_order(layers: dict, calls) -> list[tuple]:
    """The layers in the order the forward pass first called them (the first layer is the
    one nearest the input, whatever order the model declared them in); a layer holding
    parameters of its own besides layers (a block) takes the place of its first layer
    called; layers the probe did not see keep their places after those."""
    first: dict[str, int] = {}
    for name, _, _ in calls:
        first.setdefault(name, len(first))

    def place(layer: str) -> int:
        inside = [i for name, i in first.items() if name.startswith(f"{layer}.")]
        return first.get(layer, min(inside, default=len(first)))

    return sorted(layers.items(), key=lambda item: place(item[0]))


def probe_batch(loader, size: int) -> np.ndarray:
    """The first ``size`` inputs of ``loader``'s dataset, in dataset order (no shuffling,
    so the loader's random state is not touched)."""
    dataset = getattr(loader, "dataset", None)
    if dataset is None:
        raise ValueError(
            f"Monitor: cannot take a probe batch from a {type(loader).__name__}; "
            "pass probe=<array of inputs>"
        )
    return _first_inputs(dataset, np.arange(min(size, len(dataset))))


def _first_inputs(dataset, idx: np.ndarray) -> np.ndarray:
    """The inputs at ``idx``, fetched as `DataLoader` fetches a batch."""
    return np.asarray(fetch(dataset, idx)[0])


def grad_norms(model) -> dict[str, float]:
    """Each parameter's gradient norm ‖g‖₂ by name (parameters without a gradient skipped)."""
    out = {}
    for name, p in model.named_parameters():
        g = p.grad.data if isinstance(p.grad, Tensor) else p.grad
        if g is not None:
            out[name] = norm(g)  # scaled first: 1e200 is exploding, not inf
    return out


def layer_norms(norms: dict[str, float]) -> dict[str, float]:
    """Each layer's gradient norm √(Σ ‖g‖²) over its parameters, from `grad_norms`' output;
    layers in model order."""
    layers: dict[str, list[float]] = {}
    for name, g in norms.items():
        layers.setdefault(layer_of(name), []).append(g)
    return {k: norm(v) for k, v in layers.items()}


def _accumulate(sums: dict[str, list[float]], values: dict[str, float]) -> None:
    for k, v in values.items():
        total = sums.setdefault(k, [0.0, 0])
        total[0] += v
        total[1] += 1


def _means(sums: dict[str, list[float]]) -> dict[str, float]:
    """Each name's mean over the batches that gave it a gradient (a parameter a batch did
    not reach has no ``.grad`` after ``zero_grad()``: that batch does not count for it)."""
    return {k: total / n for k, (total, n) in sums.items()}


def monitor_for_run(out_dir: str | Path, **kwargs) -> Monitor:
    """A `Monitor` of the model `fit` trains, writing into ``<out_dir>/diagnostics`` (what
    ``chainrule train --diagnose`` adds to the run's callbacks)."""
    return Monitor(None, out_dir=Path(out_dir) / "diagnostics", **kwargs)
