"""Smoke test of the benchmark suite: every benchmark runs at a tiny size and reports a
well-formed table, so the suite never rots. No timing is asserted."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # benchmarks/ is a folder of the repository, not installed

from benchmarks import run  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    run.main(["--quick", "--json", str(out)])
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_benchmark_ran(results):
    assert set(results["benchmarks"]) == set(run.BENCHMARKS)
    assert results["machine"]["blas_threads"] >= 1


def test_the_json_says_how_and_where_it_was_made(results):
    assert results["command"].startswith("python -m benchmarks --quick --json ")
    machine = results["machine"]
    assert {"cpu", "logical_cpus", "blas_threads", "blas", "python", "numpy", "torch"} <= set(
        machine
    )


@pytest.mark.parametrize("name", list(run.BENCHMARKS))
def test_each_table_is_well_formed(results, name):
    table = results["benchmarks"][name]
    assert table["rows"]
    for row in table["rows"]:
        assert len(row) == len(table["columns"])
        numbers = [v for v in row if isinstance(v, (int, float))]
        assert numbers
        assert all(math.isfinite(v) and v >= 0 for v in numbers)


def test_contenders_do_the_same_work(results):
    for r in results["benchmarks"]["training_step"]["results"]:
        assert r["loss_agreement"] < 1e-4  # same weights, same batches: the same losses


def test_a_contender_doing_other_work_is_refused(monkeypatch):
    from benchmarks import mlp, training_step

    numpy_step = mlp.numpy_step

    def without_the_last_row(p):  # trains on one sample fewer per batch
        step = numpy_step(p)
        return lambda x, labels: step(x[:-1], labels[:-1])

    monkeypatch.setattr(mlp, "numpy_step", without_the_last_row)
    with pytest.raises(RuntimeError, match="losses differ"):
        training_step.measure(4, quick=True)


def test_torch_is_measured_or_reported_missing(results):
    step = results["benchmarks"]["training_step"]
    measured = ["torch" in r["median_ms"] for r in step["results"]]
    if not all(measured):
        assert not any(measured)
        assert any("PyTorch is not installed" in n for n in step["notes"])


def test_layers_times_the_cnn_and_the_lstm_on_their_inputs(results):
    layers = results["benchmarks"]["layers"]
    shapes = {r["network"]: r["input_shape"] for r in layers["results"]}
    assert shapes == {"CNN": [2, 1, 28, 28], "LSTM": [50, 2, 32]}  # --quick: batch 2
    for r in layers["results"]:
        assert r["median_ms"]["chainrule"] > 0
        if "torch" in r["median_ms"]:  # same weights, same batches: the same losses
            assert r["loss_agreement"] < 1e-5
            assert r["ratio_torch"] > 0


def test_layers_refuses_a_contender_doing_other_work(monkeypatch):
    torch = pytest.importorskip("torch")
    from benchmarks import layers

    chainrule_step = layers.chainrule_step

    def without_the_last_sample(p):  # trains on one sample fewer per batch
        step = chainrule_step(p)
        return lambda x, labels: step(x[:-1], labels[:-1])

    monkeypatch.setattr(layers, "chainrule_step", without_the_last_sample)
    with pytest.raises(RuntimeError, match="losses differ"):
        layers.measure("CNN", 4, 1, torch, quick=True)


def test_layers_copies_the_weights_into_pytorch_in_its_layout():
    torch = pytest.importorskip("torch")
    from benchmarks import layers

    for network in ("CNN", "LSTM"):
        p = layers.problem(network, 3)
        x, _ = p.batches[0]
        with torch.no_grad():
            want = layers.torch_model(p, torch)(torch.from_numpy(x)).numpy()
        got = layers.chainrule_model(p)(x).data
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=network)


def test_memory_covers_the_step_and_the_digits_epoch(results):
    memory = results["benchmarks"]["memory"]
    assert len(memory["rows"]) == 2
    assert all(memory[case]["numpy"] > 0 for case in ("mlp_step", "digits_epoch"))


def test_saved_activations_are_released_by_backward(results):
    release = results["benchmarks"]["memory"]["release"]
    assert release["default"]["saved_arrays"] > 0
    assert release["default"]["saved_arrays_alive_after_backward"] == 0
    kept = release["retain_graph"]
    assert kept["saved_arrays_alive_after_backward"] == kept["saved_arrays"]


def test_without_torch_the_comparison_is_skipped_with_a_note(monkeypatch):
    from benchmarks import training_step

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    result = training_step.run(quick=True)
    assert all("torch" not in r["median_ms"] for r in result["results"])
    assert any("PyTorch is not installed" in n for n in result["notes"])
    assert all(row[3] is None for row in result["rows"])  # the PyTorch column shows "—"


def test_layers_without_torch_show_chainrule_alone(monkeypatch):
    from benchmarks import layers

    monkeypatch.setitem(sys.modules, "torch", None)
    result = layers.run(quick=True)
    assert all(set(r["median_ms"]) == {"chainrule"} for r in result["results"])
    assert all(r["loss_agreement"] is None for r in result["results"])
    assert all(row[2] > 0 and row[3] is None and row[4] is None for row in result["rows"])
    assert any("PyTorch is not installed" in n for n in result["notes"])


def test_kernels_without_torch_show_numpy_alone(monkeypatch):
    from benchmarks import kernels

    monkeypatch.setitem(sys.modules, "torch", None)
    result = kernels.run(quick=True)
    assert len(result["rows"]) == len(kernels.kernels(4, np.random.default_rng(0)))
    assert all(row[2] > 0 and row[3] is None and row[4] is None for row in result["rows"])
    assert any("PyTorch is not installed" in n for n in result["notes"])


def test_kernels_compute_the_same_values_in_both_libraries():
    torch = pytest.importorskip("torch")
    from benchmarks import kernels

    for name, _, k in kernels.kernels(4, np.random.default_rng(1)):
        if name.startswith("SGD update"):  # in place; the first NumPy call scales by η
            w, g = (a.copy() for a in k["numpy_args"])
            k["numpy"](w, g)
            tw, tg = (torch.from_numpy(a.copy()) for a in k["torch_args"])
            k["torch"](tw, tg)
            np.testing.assert_allclose(tw.numpy(), w, rtol=1e-6, atol=1e-7, err_msg=name)
            assert not np.array_equal(w, k["numpy_args"][0])  # it did update
            continue
        want = k["numpy"](*[a.copy() for a in k["numpy_args"]])
        tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in k["torch_args"]]
        got = k["torch"](*tensors).numpy()
        if name.startswith("dW"):
            got = got.T  # PyTorch's layout: W is (out, in)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3, err_msg=name)  # float32 sums
