"""A user's review of checkpoints and the command line: what saving, loading and the
`chainrule` command did wrong with unusual values, paths and flags."""

from __future__ import annotations

import codecs
import json
import re
import shutil
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import save as safetensors_bytes

import chainrule as cr
from chainrule import _cli, _run, nn
from chainrule._checkpoint_format import _digest, read_checkpoint


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A one-epoch classification run and a one-epoch regression run, the first with a
    --data-dir (iris and diabetes do not read it)."""
    root = tmp_path_factory.mktemp("runs")
    (root / "data").mkdir()
    small = ["--epochs", "1", "--hidden", "4", "--no-progress"]
    for name, extra in (("iris", ["--data-dir", str(root / "data")]), ("diabetes", [])):
        argv = ["train", "--dataset", name, *small, *extra, "--out", str(root / name)]
        assert _cli.main(argv) == 0
    return root


MISSING = object()  # a value for `forged` that removes the field


def forged(run, tmp_path, **changes):
    """A copy of ``run`` whose checkpoint's training state has ``changes`` (dotted names
    reach inside: ``config.data_dir``; `MISSING` removes one), with the digest recomputed
    as anyone can."""
    copy = tmp_path / "forged"
    shutil.copytree(run, copy)
    tensors, metadata = read_checkpoint(copy / "model.safetensors")
    training = json.loads(metadata["training"])
    for name, value in changes.items():
        *parents, last = name.split(".")
        inner = training
        for parent in parents:
            inner = inner[parent]
        inner[last] = value
        if value is MISSING:
            del inner[last]
    metadata = {**metadata, "training": json.dumps(training)}
    metadata["sha256"] = _digest(tensors, metadata)
    (copy / "model.safetensors").write_bytes(safetensors_bytes(tensors, metadata=metadata))
    return copy


def error_line(capsys, argv) -> str:
    """The one stderr line of a ``chainrule`` command that fails with status 1."""
    capsys.readouterr()
    code = _cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert (code, len(err.splitlines())) == (1, 1), err
    return err.strip()


@pytest.mark.parametrize(
    "value",
    [np.longdouble(1.5), np.clongdouble(1), np.datetime64("NaT"), np.datetime64(5, "ns")],
    ids=["longdouble", "clongdouble", "NaT", "datetime64-ns"],
)
def test_numpy_scalars_without_a_json_value_are_refused_by_type(tmp_path, value):
    """A longdouble's item() is a longdouble again (it recursed until RecursionError); a
    date's is None or a bare int (NaT loaded back as None, 5 ns as the int 5)."""
    path = tmp_path / "c.safetensors"
    with pytest.raises(TypeError, match=f"save: .*type {type(value).__name__} "):
        cr.save(path, nn.Linear(2, 1), when=value)
    assert not path.exists()


def test_many_arrays_in_the_training_state_save_in_linear_time(tmp_path):
    """Each array's key was found by scanning every key before it: 16,000 arrays took 13 s
    to save (and 0.2 s to load). Each array keeps its own value through the round trip."""
    arrays = [np.full(1, i, dtype=np.int64) for i in range(20_000)]
    path = tmp_path / "c.safetensors"
    start = time.perf_counter()
    cr.save(path, nn.Linear(2, 1), arrays=arrays)
    assert time.perf_counter() - start < 4.0
    loaded = cr.load(path)["arrays"]
    assert [int(a[0]) for a in loaded] == list(range(20_000))


def test_a_path_given_as_bytes_saves_and_loads(tmp_path):
    """``open`` takes bytes paths; save and load refused them (Path does not)."""
    model, other = nn.Linear(2, 1), nn.Linear(2, 1)
    path = bytes(tmp_path / "c.safetensors")
    assert cr.save(path, model, step=3) == tmp_path / "c.safetensors"
    assert cr.load(path, other) == {"step": 3}
    assert np.array_equal(other.weight.data, model.weight.data)


@pytest.mark.parametrize("name", [".", "..", "new/.", "new/.."])
def test_a_path_ending_in_a_dot_names_a_directory(tmp_path, monkeypatch, name):
    """``save("new/.")`` wrote a file named ``new`` (Path drops the dot); ``"."`` failed
    as "cannot write .: Device or resource busy". ``open(name, "wb")`` refuses them all."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises((IsADirectoryError, FileNotFoundError)):
        open(name, "wb").close()  # the truth to match: it never opens
    with pytest.raises(IsADirectoryError, match=rf"cannot write {re.escape(name)}: the path names"):
        cr.save(name, nn.Linear(2, 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_path_is_named_as_empty(tmp_path, monkeypatch):
    """Path("") is ".": save said "cannot write .: Device or resource busy" and load
    ".: ... not a regular file"; ``open("")`` says no such file."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="cannot write '': the path is empty"):
        cr.save("", nn.Linear(2, 1))
    with pytest.raises(cr.CheckpointError, match=r"^'': cannot read the checkpoint: .*empty"):
        cr.load("", nn.Linear(2, 1))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("saved", [5, ["data"], "data\0"], ids=["int", "list", "NUL"])
def test_resume_names_a_checkpoint_whose_data_dir_is_no_path(runs, tmp_path, capsys, saved):
    """A forged ``config.data_dir`` that is no file name: an int or a list went to Path()
    (a TypeError traceback), a NUL to resolve() ("error: embedded null byte")."""
    run = forged(runs / "iris", tmp_path, **{"config.data_dir": saved})
    line = error_line(capsys, ["train", "--resume", run, "--epochs", 2])
    assert line.startswith(f"chainrule train: error: {run / 'config.json'} differs from the ")
    assert "(data_dir: " in line


def test_predict_names_a_missing_or_malformed_target_scaler_once(runs, tmp_path, capsys):
    """The target's scaler was read inside the check of its contents: its own error came
    back wrapped, naming the file twice ("is malformed (<file>: ... is not an object)")."""
    np.save(tmp_path / "x.npy", np.zeros((1, 10)))
    for n, value in enumerate((5, MISSING)):
        run = forged(runs / "diabetes", tmp_path / str(n), target_scaler=value)
        line = error_line(capsys, ["predict", run, tmp_path / "x.npy"])
        assert line.startswith(f"chainrule predict: error: {run / 'model.safetensors'}: ")
        assert line.count("model.safetensors") == 1, line
        assert '"target_scaler"' in line


def test_resume_refuses_an_empty_out_as_it_refuses_any_out(runs, tmp_path, capsys):
    """``--out ''`` is refused for a new run, and any --out with --resume; together they
    were accepted, the empty --out silently ignored."""
    run = tmp_path / "iris"
    shutil.copytree(runs / "iris", run)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    line = error_line(capsys, ["train", "--resume", run, "--out", "", "--epochs", 2])
    assert (
        line
        == f"chainrule train: error: --out cannot be used with --resume: the run continues in {run}"
    )
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_save_in_torch_save_order_names_the_order(tmp_path):
    """``torch.save(model.state_dict(), path)`` is the habit; ``cr.save`` in that order said
    "expected a module or its state_dict() to save, got str" of the path, and wrote nothing."""
    model = nn.Linear(2, 1)
    path = tmp_path / "c.safetensors"
    for first in (model.state_dict(), model):
        for second in (path, str(path)):
            with pytest.raises(TypeError, match=r"^save: the path comes first, save\(path, model"):
                cr.save(first, second)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("op", [cr.save, cr.load])
@pytest.mark.parametrize("path", [None, 3])
def test_a_path_of_another_type_names_the_function(op, path):
    """os.fsdecode's "expected str, bytes or os.PathLike object, not int" named neither the
    function nor the argument."""
    with pytest.raises(TypeError, match=rf"^{op.__name__}: path must be a file name .* got "):
        op(path, nn.Linear(2, 1))


def test_training_state_json_cannot_hold_is_refused_naming_save(tmp_path):
    """An integer past Python's digit limit for text, and a list that holds itself, ended
    in json's "Exceeds the limit (4300 digits)" and a RecursionError, naming neither save
    nor the state; nothing is written."""
    cycle = []
    cycle.append(cycle)
    if sys.get_int_max_str_digits() == 0:
        pytest.skip("integers of any length turn into text here (PYTHONINTMAXSTRDIGITS=0)")
    digits = 10 ** (sys.get_int_max_str_digits() + 1)
    path = tmp_path / "c.safetensors"
    with pytest.raises(ValueError, match=r"^save: cannot store the training state: .*digits"):
        cr.save(path, nn.Linear(2, 1), big=digits)
    with pytest.raises(ValueError, match=r"^save: the training state is nested too deeply"):
        cr.save(path, nn.Linear(2, 1), cycle=cycle)
    assert not path.exists()


def metrics_of(run) -> dict:
    """metrics.json without its seconds (which no two runs share)."""
    metrics = json.loads((run / "metrics.json").read_text())
    del metrics["seconds"]
    return metrics


def test_a_run_killed_after_its_last_checkpoint_rewrites_the_older_metrics(
    tmp_path, monkeypatch, capsys
):
    """A 2-epoch run resumed to 3 and killed between the third checkpoint and metrics.json:
    resuming again found metrics.json (of 2 epochs), printed "after 2 epochs" and kept it
    for good. The metrics must be those of a run of 3 epochs never stopped."""
    small = ["--dataset", "iris", "--hidden", "4", "--no-progress"]
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    assert _cli.main(["train", *small, "--epochs", "3", "--out", str(whole)]) == 0
    assert _cli.main(["train", *small, "--epochs", "2", "--out", str(stopped)]) == 0

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(_run, "_finish", killed)
        assert _cli.main(["train", "--resume", str(stopped), "--epochs", "3"]) == 130
    assert metrics_of(stopped)["epochs"] == 2  # the kill came before the rewrite
    capsys.readouterr()
    assert _cli.main(["train", "--resume", str(stopped), "--epochs", "3"]) == 0
    assert "after 3 epochs" in capsys.readouterr().out
    assert metrics_of(stopped) == metrics_of(whole)


def test_a_metrics_json_nested_past_the_recursion_limit_is_rewritten(runs, tmp_path):
    """A damaged metrics.json is rewritten by finishing the run again; one nested 100,000
    deep raised RecursionError out of the command (a traceback)."""
    run = tmp_path / "iris"
    shutil.copytree(runs / "iris", run)
    (run / "metrics.json").write_text("[" * 100_000)
    assert _cli.main(["train", "--resume", str(run), "--no-progress"]) == 0
    assert metrics_of(run) == metrics_of(runs / "iris")


def test_a_config_json_saved_with_a_byte_order_mark_reads(runs, tmp_path, capsys):
    """Editors on Windows may save UTF-8 with a BOM (predict's CSV reader takes it): such a
    config.json was "malformed config (Unexpected UTF-8 BOM ...)"."""
    run = tmp_path / "iris"
    shutil.copytree(runs / "iris", run)
    config = run / "config.json"
    config.write_bytes(codecs.BOM_UTF8 + config.read_bytes())
    capsys.readouterr()
    assert _cli.main(["evaluate", str(run)]) == 0
    with_bom = json.loads(capsys.readouterr().out)
    assert _cli.main(["evaluate", str(runs / "iris")]) == 0
    assert with_bom == json.loads(capsys.readouterr().out)
    config.write_bytes(codecs.BOM_UTF8 + b"\xff")  # a bad byte is still placed in the file
    assert error_line(capsys, ["evaluate", run]).endswith("not UTF-8 text (byte 0xff at offset 3)")
