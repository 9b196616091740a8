"""Module.summary() without an input shape: the layers and their parameter counts, nothing
run; and the text shows as the table at the interactive prompt."""

from __future__ import annotations

import chainrule as cr


def _rows(text):
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("==="))
    return lines[start:end]


def test_each_layer_is_a_row_with_its_count_worked_by_hand():
    model = cr.nn.Sequential(cr.nn.Linear(10, 32), cr.nn.Tanh(), cr.nn.Linear(32, 1))
    rows = _rows(model.summary())
    assert [r.split()[:2] for r in rows] == [["0", "(Linear)"], ["1", "(Tanh)"], ["2", "(Linear)"]]
    assert [r.split()[-1] for r in rows] == [str(10 * 32 + 32), "0", str(32 + 1)]
    assert all(r.split()[2] == "?" for r in rows)
    assert "Total params: 385" in model.summary()
    assert "model.summary((1, 784))" in model.summary()


def test_nothing_runs_so_a_model_that_cannot_run_yet_is_summarised():
    class Unfinished(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = cr.nn.Linear(3, 2)

        def forward(self, x):
            raise NotImplementedError

    text = Unfinished().summary()
    assert _rows(text)[0].split()[-1] == "8"
    assert "Total params: 8" in text


def test_a_shared_layer_is_counted_once():
    shared = cr.nn.Linear(4, 4)
    model = cr.nn.Sequential(shared, cr.nn.ReLU(), shared)
    text = model.summary()
    assert "Total params: 20" in text
    counts = [r.split()[-1] for r in _rows(text)]
    assert counts.count("20") == 1  # the module appears once in the model's modules


def test_the_text_is_a_str_whose_repr_is_the_table():
    model = cr.nn.Sequential(cr.nn.Linear(2, 3))
    text = model.summary((1, 2))
    assert isinstance(text, str)
    assert repr(text) == str(text)
    assert "\n" in repr(text)
    assert "(1, 3)" in text
