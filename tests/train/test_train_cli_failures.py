"""``chainrule`` on damaged or hand-edited run directories, odd inputs, usage mistakes and
Ctrl-C: one line on stderr that names the file and what is wrong, never a traceback.

Runs are small (the bundled digits, 8 hidden units, one epoch), made by the command itself.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from chainrule import _cli


def _main(argv):
    try:
        return _cli.main([str(a) for a in argv])
    except SystemExit as e:
        return e.code


def _error_line(capsys, argv, code=1) -> str:
    """The single stderr line of a failing ``chainrule argv``."""
    capsys.readouterr()
    assert _main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.strip()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert _main(["train", "--epochs", 1, "--hidden", 8, "--out", out, "--no-progress"]) == 0
    return out


def _files(directory) -> dict:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


# ----- config.json --------------------------------------------------------------------------
def _with_config(run, tmp_path, text: bytes):
    damaged = tmp_path / "damaged"
    shutil.copytree(run, damaged)
    (damaged / "config.json").write_bytes(text)
    return damaged


def _edited(run, tmp_path, **changes):
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    return _with_config(run, tmp_path, json.dumps({**config, **changes}).encode())


def _assert_refused_by_every_command(capsys, damaged, message):
    """evaluate, predict and train --resume all refuse it the same way; nothing changes."""
    np.save(damaged.parent / "x.npy", np.zeros((1, 64)))
    before = _files(damaged)
    for argv in (
        ["evaluate", damaged],
        ["predict", damaged, damaged.parent / "x.npy"],
        ["train", "--resume", damaged, "--epochs", 2],
    ):
        line = _error_line(capsys, argv)
        assert line == f"chainrule {argv[0]}: error: {damaged / 'config.json'}: {message}"
    assert _files(damaged) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dataset", 5, 'field "dataset" must be one of digits, iris, wine, breast_cancer, '
                       "diabetes, mnist, fashion_mnist, got 5"),
        ("batch_size", 2.5, 'field "batch_size" must be a positive integer, got 2.5'),
        ("batch_size", True, 'field "batch_size" must be a positive integer, got true'),
        ("epochs", 0, 'field "epochs" must be a positive integer, got 0'),
        ("seed", 1.5, 'field "seed" must be a non-negative integer, got 1.5'),
        ("seed", -3, 'field "seed" must be a non-negative integer, got -3'),
        ("hidden", [8, "8"], 'field "hidden" must be a list of positive integers, got [8, "8"]'),
        ("hidden", 8, 'field "hidden" must be a list of positive integers, got 8'),
        ("activation", None, 'field "activation" must be one of relu, sigmoid, tanh, '
                             "leaky_relu, got null"),
        ("optimizer", ["adam"], 'field "optimizer" must be one of sgd, momentum, nesterov, '
                                'adagrad, rmsprop, adam, adamw, got ["adam"]'),
        ("init", 0.01, 'field "init" must be "he", "xavier", "normal" or a positive standard '
                       'deviation such as "0.01", got 0.01'),
        ("lr", "fast", "field \"lr\" must be a positive number (or null for the optimizer's "
                       'default), got "fast"'),
        ("lr", -0.1, "field \"lr\" must be a positive number (or null for the optimizer's "
                     "default), got -0.1"),
        ("data_dir", 3, 'field "data_dir" must be a directory name (or null), got 3'),
    ],
)  # fmt: skip
def test_a_config_field_of_the_wrong_type_or_range_is_named(
    run, tmp_path, capsys, field, value, message
):
    _assert_refused_by_every_command(capsys, _edited(run, tmp_path, **{field: value}), message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'\xff{"dataset": "digits"}', "not UTF-8 text (byte 0xff at offset 0)"),
        (b"[1, 2]", "must hold a JSON object of the run's settings, got [1, 2]"),
        (b'"digits"', 'must hold a JSON object of the run\'s settings, got "digits"'),
        (b"{}", 'field "dataset" is missing'),
    ],
)
def test_a_config_json_that_is_not_a_run_config_is_named(run, tmp_path, capsys, text, message):
    _assert_refused_by_every_command(capsys, _with_config(run, tmp_path, text), message)


def test_a_missing_or_unknown_config_field_is_named(run, tmp_path, capsys):
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    del config["seed"]
    missing = _with_config(run, tmp_path / "a", json.dumps(config).encode())
    _assert_refused_by_every_command(capsys, missing, 'field "seed" is missing')
    unknown = _edited(run, tmp_path / "b", momentum=0.9)
    _assert_refused_by_every_command(
        capsys,
        unknown,
        'unknown field "momentum"; a run\'s config has dataset, hidden, activation, init, '
        "optimizer, lr, batch_size, epochs, seed, data_dir",
    )


def test_a_config_with_the_default_learning_rate_as_null_still_evaluates(run, tmp_path, capsys):
    edited = _edited(run, tmp_path, lr=None)
    capsys.readouterr()
    assert _main(["evaluate", edited]) == 0
    assert json.loads(capsys.readouterr().out)["test_loss"] > 0
