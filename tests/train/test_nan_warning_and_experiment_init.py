"""Follow-ups: `callbacks.TerminateOnNaN`'s warning points at the line of
the user's ``fit(...)`` call; ``chainrule experiment init --activations`` takes the names
``chainrule train --activation`` does."""

from __future__ import annotations

import csv
import inspect
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.callbacks import TerminateOnNaN

X = np.random.default_rng(16).normal(size=(12, 3)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)
_QUIET = {"batch_size": 4, "progress": False}


class _NaNAtStep:
    """Cross-entropy, NaN from the ``at``-th call on (counted from 1)."""

    def __init__(self, at):
        self.at, self.calls = at, 0
        self.loss = cr.nn.SoftmaxCrossEntropy()

    def __call__(self, out, y):
        self.calls += 1
        loss = self.loss(out, y)
        return loss * math.nan if self.calls >= self.at else loss


def _model():
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2))
    return model, cr.optim.SGD(model.parameters(), lr=0.1)


# --- TerminateOnNaN's warning is attributed to the fit call -----------------------------


def test_terminate_on_nan_warning_points_at_the_fit_call():
    model, opt = _model()
    loss = _NaNAtStep(at=2)
    line = inspect.currentframe().f_lineno + 2
    with pytest.warns(RuntimeWarning, match="TerminateOnNaN") as caught:
        cr.fit(model, loss, opt, (X, Y), 3, callbacks=[TerminateOnNaN()], **_QUIET)
    [warning] = caught
    assert warning.filename == __file__
    assert warning.lineno == line


def _fit_in_a_helper(model, opt, loss):
    line = inspect.currentframe().f_lineno + 1
    cr.fit(model, loss, opt, (X, Y), 2, callbacks=[TerminateOnNaN()], **_QUIET)
    return line


def test_terminate_on_nan_warning_points_at_the_innermost_user_line():
    # the fit call inside a helper of the user's: the helper's line, not the test's
    model, opt = _model()
    with pytest.warns(RuntimeWarning, match=r"epoch 1, batch 1 \(step 0\)") as caught:
        line = _fit_in_a_helper(model, opt, _NaNAtStep(at=1))
    [warning] = caught
    assert (warning.filename, warning.lineno) == (__file__, line)


# --- chainrule experiment init takes chainrule train's activations ----------------------

SMALL_INIT = ["experiment", "init", "--layers", "2", "--units", "8", "--samples", "20"]


def _init_rows(tmp_path, capsys, *flags):
    from chainrule import _cli
    from chainrule.diagnostics import _plot

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_plot, "have_matplotlib", lambda: False)  # the CSV is enough here
        code = _cli.main([*SMALL_INIT, *flags, "--out", str(tmp_path)])
    capsys.readouterr()
    assert code == 0
    with open(tmp_path / "init_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_experiment_init_runs_the_activations_asked_for(tmp_path, capsys):
    rows = _init_rows(tmp_path, capsys, "--activations", "elu", "leaky_relu", "softplus")
    # 3 activations × 4 inits × 2 layers, in the order asked for
    assert [r["activation"] for r in rows] == ["elu"] * 8 + ["leaky_relu"] * 8 + ["softplus"] * 8
    for r in rows:
        assert r["dead"] == ""  # ReLU's statistic only
        assert (r["saturated"] == "") == (r["activation"] == "leaky_relu")


def test_experiment_init_runs_the_tutorials_three_by_default(tmp_path, capsys):
    rows = _init_rows(tmp_path, capsys)
    assert list(dict.fromkeys(r["activation"] for r in rows)) == ["sigmoid", "tanh", "relu"]


def test_experiment_init_offers_the_names_chainrule_train_does(capsys):
    from chainrule import _cli
    from chainrule._config import ACTIVATIONS

    with pytest.raises(SystemExit) as exit_:
        _cli.main([*SMALL_INIT, "--activations", "swish"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "invalid choice: 'swish'" in err
    assert all(repr(name) in err for name in ACTIVATIONS)  # softplus, silu, … included
