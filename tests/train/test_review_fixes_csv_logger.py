"""Review of the callbacks, schedules and optimizer switches: each test
is a problem found, fixed in the same change."""

from __future__ import annotations

import csv

import numpy as np
from _scripted import quiet_fit

import chainrule as cr
from chainrule.callbacks import CSVLogger

X = np.random.default_rng(16).normal(size=(24, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def _fit(callbacks, epochs=2):
    cr.manual_seed(0)
    model = cr.nn.Linear(4, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    return quiet_fit(model, opt, (X, Y), epochs, callbacks)


def test_csv_logger_appending_to_a_file_whose_last_line_has_no_line_end(tmp_path):
    # the first row written went on the end of the file's last line ("0,1.00,1.51...")
    path = tmp_path / "log.csv"
    path.write_text("epoch,accuracy,loss\n0,0.5,1.0", encoding="utf-8")
    history = _fit([CSVLogger(path, append=True)])
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[:2] == [["epoch", "accuracy", "loss"], ["0", "0.5", "1.0"]]
    assert [float(r[2]) for r in rows[2:]] == history.history["loss"]
    assert [r[0] for r in rows[2:]] == ["0", "1"]
