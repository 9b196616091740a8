"""The diagnostics' limits: a limit of ``inf`` switches the vanishing rule off
(as it does the others), and a layer whose gradient had vanished and comes back to the
size of the other layers' is not reported as exploding."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag
from chainrule.diagnostics import _checks


# ----- Thresholds(vanish=inf) switches the vanishing rule off ------------------------------------
def test_vanish_inf_switches_the_vanishing_rule_off():
    off = diag.Thresholds(vanish=math.inf)
    # by any finite limit these vanish: 1e-9 of the last layer's norm
    assert _checks.vanishing({"0": 1e-9, "2": 1.0}, diag.Thresholds()) is not None
    assert _checks.vanishing({"0": 1e-9, "2": 1.0}, off) is None
    assert _checks.vanishing({"0": 0.5, "2": 1.0}, off) is None


def test_a_monitor_with_vanish_inf_never_warns_of_vanishing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype("float32")
    Y = rng.normal(size=(64, 1)).astype("float32")
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 1))
    lines: list[str] = []
    monitor = diag.Monitor(model, warn=lines.append, thresholds=diag.Thresholds(vanish=math.inf))
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    cr.fit(model, cr.nn.MSELoss(), opt, (X, Y), epochs=2, callbacks=[monitor], progress=False)
    norms = monitor.records[0].layer_grad_norms
    assert norms["0"] > 1e-2 * norms["2"]  # healthy: nothing near vanishing
    assert [a.kind for a in monitor.alerts] == []
    assert lines == []


# ----- a vanished layer recovering is not exploding --------------------------------------------
def test_a_vanished_layer_coming_back_is_not_exploding():
    t = diag.Thresholds()
    before = {"0": 5e-5, "2": 0.95}  # layer 0 at 5e-5 of the last: vanished
    now = {"0": 2e-2, "2": 0.9}  # 400× its old norm, still 45× below the last layer's
    assert _checks.exploding(now, before, t) is None


def test_growth_still_catches_real_explosions():
    t = diag.Thresholds()
    assert _checks.exploding({"0": 5.0, "2": 1.0}, {"0": 0.04, "2": 1.0}, t) is not None
    # from vanished to 10× the largest layer of the last record: exploding
    assert _checks.exploding({"0": 10.0, "2": 1.0}, {"0": 5e-5, "2": 0.95}, t) is not None
    assert _checks.exploding({"a": 5.0}, {"a": 0.04}, t) is not None  # one layer alone


def test_a_sigmoid_network_escaping_its_plateau_is_not_called_exploding():
    """Std-0.01 sigmoid layers under Adam: the first layer's gradient starts ~1e-5 of the
    last layer's and grows back as the network learns, never above what the largest
    layer already had. Nothing explodes; only the vanishing is announced."""
    digits = cr.data.load_digits()
    X, y = digits.X / 16, digits.y
    cr.manual_seed(0)
    layers, width = [], 64
    for _ in range(5):
        layers += [cr.nn.Linear(width, 100, init=0.01), cr.nn.Sigmoid()]
        width = 100
    model = cr.nn.Sequential(*layers, cr.nn.Linear(width, 10, init="xavier"))
    monitor = diag.Monitor(model, warn=False)
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    loss = cr.nn.SoftmaxCrossEntropy()
    cr.fit(model, loss, opt, (X, y), epochs=5, callbacks=[monitor], progress=False)
    norms = [r.layer_grad_norms for r in monitor.records]
    # the truth, from the records: no layer ever exceeds the previous record's largest norm
    # by 100×, and the first layer's norm did grow more than 100× from a vanished value
    for before, now in itertools.pairwise(norms):
        assert max(now.values()) < 100 * max(before.values())
    first = [n["0"] for n in norms]
    assert max(b / a for a, b in itertools.pairwise(first)) > 100
    kinds = [a.kind for a in monitor.alerts]
    assert "vanishing" in kinds
    assert "exploding" not in kinds


# ----- a run that fit stops keeps its warning on disk ------------------------------------------
def test_a_run_stopped_at_a_nan_loss_keeps_its_warning_in_out_dir(tmp_path):
    """He-initialised ReLU layers on the digits at lr 10 (100× a good rate): a layer's
    gradient norm passes 1e3 within the first steps, then the loss turns nan and `fit`
    raises. The warning came first; with ``out_dir`` it is on disk, not only in memory."""
    digits = cr.data.load_digits()
    X, y = digits.X / 16, digits.y
    cr.manual_seed(0)
    layers, width = [], 64
    for _ in range(5):
        layers += [cr.nn.Linear(width, 100, init="he"), cr.nn.ReLU()]
        width = 100
    model = cr.nn.Sequential(*layers, cr.nn.Linear(width, 10, init="xavier"))
    out = tmp_path / "diag"
    monitor = diag.Monitor(model, warn=False, out_dir=out)
    opt = cr.optim.SGD(model.parameters(), lr=10.0)
    with pytest.raises(FloatingPointError):
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), epochs=3, callbacks=[monitor],
               progress=False)  # fmt: skip
    assert [a.kind for a in monitor.alerts] == ["exploding"]
    about = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert [a["kind"] for a in about["alerts"]] == ["exploding"]
    assert about["alerts"][0]["message"] == monitor.alerts[0].message
    assert about["epochs"] == []  # it died before the first epoch's record


def test_the_files_are_written_before_a_warn_that_raises(tmp_path):
    # warn=warnings.warn under -W error raises at the warning: the files must be there
    monitor = diag.Monitor(cr.nn.Linear(2, 2), warn=_raise, out_dir=tmp_path / "diag")
    with pytest.raises(RuntimeError, match="told"):
        monitor._alert(0, "exploding", "told")
    about = json.loads((tmp_path / "diag" / "stats.json").read_text(encoding="utf-8"))
    assert [a["message"] for a in about["alerts"]] == ["told"]


def _raise(line: str) -> None:
    raise RuntimeError(line)
