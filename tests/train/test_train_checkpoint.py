"""`cr.save` / `cr.load`: round trips, files that are not checkpoints, and atomic writes."""

from __future__ import annotations

import errno
import json
import os
import pickle
import struct

import numpy as np
import pytest
from safetensors.numpy import save as safetensors_bytes

import chainrule as cr
from chainrule._atomic_write import atomic_write
from chainrule._checkpoint_format import CheckpointError, read_checkpoint


def _model(hidden=5, seed=0):
    cr.manual_seed(seed)
    return cr.nn.Sequential(cr.nn.Linear(3, hidden), cr.nn.Tanh(), cr.nn.Linear(hidden, 2))


def _trained(seed=0, steps=3):
    """A model and an Adam optimizer that has taken a few steps (so it has state)."""
    model = _model(seed=seed)
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        _adam_step(model, opt, rng.normal(size=(4, 3)).astype(np.float32), rng.integers(0, 2, 4))
    return model, opt


def _adam_step(model, opt, x, y):
    loss = cr.nn.SoftmaxCrossEntropy()(model(cr.tensor(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_state_equal(a, b):
    assert set(a) == set(b)
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def _assert_optim_state_equal(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert set(a["state"]) == set(b["state"])
    for i, entry in a["state"].items():
        other = b["state"][i]
        assert set(entry) == set(other), i
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(value, other[key]), (i, key)
            else:
                assert value == other[key], (i, key)


TRAINING_STATE = {
    "epoch": 3,
    "step": 1234,
    "lr": 0.001,
    "tiny": 1e-300,
    "neg": -2.5,
    "flag": True,
    "nothing": None,
    "name": "digits ✓",
    "sizes": [100, 100],
    "nested": {1: {"a": [1, 2.5, None]}, 2: [{"x": None}], "k": {10: 0.1}},
    "empty": {},
    "empty_list": [],
    "big": 2**80 + 1,
}


# ----- round trips ---------------------------------------------------------------------------
def test_save_load_round_trip_of_model_optimizer_and_training_state(tmp_path):
    model, opt = _trained(seed=0)
    path = tmp_path / "ckpt.safetensors"
    returned = cr.save(path, model, opt, **TRAINING_STATE)
    assert os.fspath(returned) == os.fspath(path)

    fresh_model, _ = _trained(seed=1)  # different weights and optimizer state
    fresh_opt = cr.optim.Adam(fresh_model.parameters(), lr=0.9)
    training = cr.load(path, fresh_model, fresh_opt)

    assert training == TRAINING_STATE
    assert type(training["nested"][1]["a"][1]) is float
    assert list(training["nested"]) == [1, 2, "k"]  # int keys stay ints
    _assert_state_equal(fresh_model.state_dict(), model.state_dict())
    _assert_optim_state_equal(fresh_opt.state_dict(), opt.state_dict())
    assert fresh_opt.param_groups[0]["lr"] == 0.05


def test_a_loaded_optimizer_continues_exactly_like_the_original(tmp_path):
    model, opt = _trained(seed=2)
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt)
    twin = _model(seed=3)
    twin_opt = cr.optim.Adam(twin.parameters(), lr=0.05)
    cr.load(path, twin, twin_opt)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x, y = rng.normal(size=(4, 3)).astype(np.float32), rng.integers(0, 2, 4)
        _adam_step(model, opt, x, y)
        _adam_step(twin, twin_opt, x, y)
    _assert_state_equal(twin.state_dict(), model.state_dict())


def test_load_without_a_model_returns_the_training_state(tmp_path):
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt, epoch=7)
    assert cr.load(path) == {"epoch": 7}


def test_a_checkpoint_is_a_plain_safetensors_file_with_our_marker(tmp_path):
    from safetensors.numpy import load_file

    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt, epoch=1)
    tensors = load_file(path)
    for name, value in model.state_dict().items():
        assert np.array_equal(tensors[f"model/{name}"], value)
    (n,) = struct.unpack("<Q", path.read_bytes()[:8])
    header = json.loads(path.read_bytes()[8 : 8 + n])
    assert header["__metadata__"]["format"] == "chainrule-checkpoint"
    tensors2, meta = read_checkpoint(path)
    assert set(tensors2) == set(tensors)
    assert json.loads(meta["training"]) == {"epoch": 1}


def test_saving_an_unsupported_value_is_a_type_error(tmp_path):
    model = _model()
    path = tmp_path / "ckpt.safetensors"
    with pytest.raises(TypeError, match="set"):
        cr.save(path, model, weird={1, 2})
    assert list(tmp_path.iterdir()) == []


def test_arrays_in_the_training_state_round_trip_with_shape_and_dtype(tmp_path):
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    state = {
        "best": np.array([1.5, 2.5]),
        "loss": np.array(0.25, np.float32),  # 0-d, as loss.data
        "counts": {"seen": np.arange(6, dtype=np.int32).reshape(2, 3).T},  # not contiguous
        "empty": np.zeros((0, 3)),
        "flags": [np.array([True, False])],
    }
    cr.save(path, model, opt, **state)
    loaded = cr.load(path, _model(), cr.optim.Adam(_model().parameters(), lr=0.01))
    flat = {
        "best": loaded["best"],
        "loss": loaded["loss"],
        "seen": loaded["counts"]["seen"],
        "empty": loaded["empty"],
        "flags": loaded["flags"][0],
    }
    want = {**state, "seen": state["counts"]["seen"], "flags": state["flags"][0]}
    for key, value in flat.items():
        assert value.shape == want[key].shape, key
        assert value.dtype == want[key].dtype, key
        assert np.array_equal(value, want[key]), key


def test_a_training_state_pointing_at_an_optimizer_tensor_is_refused(tmp_path):
    # what the save of earlier versions wrote for an array in the training state: a reference
    # into the optimizer's tensors (and no array). It must not load as Adam's moments.
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt, epoch=1)
    tensors, meta = read_checkpoint(path)
    meta = {**meta, "training": json.dumps({"best": {"__array__": "optimizer/0"}})}
    meta.pop("sha256")
    from chainrule._checkpoint_format import _digest

    meta["sha256"] = _digest(tensors, meta)  # a well-formed file otherwise
    path.write_bytes(safetensors_bytes(tensors, metadata=meta))
    with pytest.raises(CheckpointError, match="missing tensor 'optimizer/0'"):
        cr.load(path, _model(), cr.optim.Adam(_model().parameters(), lr=0.01))


def test_a_zero_dimensional_parameter_round_trips(tmp_path):
    class Scale(cr.nn.Module):
        def __init__(self, value):
            super().__init__()
            self.s = cr.nn.Parameter(np.array(value, np.float32))

    path = tmp_path / "ckpt.safetensors"
    cr.save(path, Scale(2.5))
    restored = Scale(0.0)
    cr.load(path, restored)
    assert restored.s.shape == ()
    assert restored.s.item() == 2.5


def test_an_array_of_text_in_the_training_state_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="cannot store an array of dtype <U1"):
        cr.save(tmp_path / "ckpt.safetensors", _model(), names=np.array(["a", "b"]))
    assert list(tmp_path.iterdir()) == []


def test_saving_into_a_missing_directory_names_the_path(tmp_path):
    path = tmp_path / "missing" / "ckpt.safetensors"
    with pytest.raises(FileNotFoundError, match=f"cannot write {path}"):
        cr.save(path, _model())
    assert list(tmp_path.iterdir()) == []


def test_saving_over_a_directory_names_the_path_and_leaves_nothing(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    path.mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        cr.save(path, _model())
    assert str(raised.value) == f"[Errno {errno.EISDIR}] cannot write {path}: Is a directory"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
    assert list(path.iterdir()) == []


def test_load_asking_for_an_optimizer_a_checkpoint_lacks(tmp_path):
    model, _ = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model)
    other = _model(seed=5)
    before = _snapshot(other)
    with pytest.raises(CheckpointError, match="optimizer"):
        cr.load(path, other, cr.optim.Adam(other.parameters(), lr=0.1))
    _assert_state_equal(other.state_dict(), before)


# ----- checkpoints that do not fit -----------------------------------------------------
def test_loading_into_a_model_of_other_shapes_lists_the_mismatch_and_changes_nothing(tmp_path):
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt)
    other = _model(hidden=7, seed=4)
    other_opt = cr.optim.Adam(other.parameters(), lr=0.1)
    before = _snapshot(other)
    with pytest.raises(CheckpointError) as info:
        cr.load(path, other, other_opt)
    message = str(info.value)
    assert str(path) in message
    for name in ("0.weight", "0.bias", "2.weight"):
        assert name in message
    assert "(3, 7)" in message
    assert "(3, 5)" in message
    assert isinstance(info.value, ValueError)
    _assert_state_equal(other.state_dict(), before)
    assert other_opt.state == {}


def test_an_optimizer_that_does_not_fit_leaves_the_model_unchanged(tmp_path):
    # cr.load's promise: nothing changes unless the whole file fits.
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt)
    other = _model(seed=6)
    before = _snapshot(other)
    partial_opt = cr.optim.Adam(list(other.parameters())[:2], lr=0.05)  # 2 of 4 parameters
    fits_not = r"optimizer state does not fit: .* 2 parameters in the optimizer but 4 in"
    with pytest.raises(CheckpointError, match=fits_not):
        cr.load(path, other, partial_opt)
    _assert_state_equal(other.state_dict(), before)


# ----- files that are not checkpoints --------------------------------------------------------
@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail the test if anything tries to unpickle."""

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def _assert_rejected(path, model=None, whole_file_invalid=True):
    model = model or _model(seed=8)
    before = _snapshot(model)
    with pytest.raises(CheckpointError) as info:
        cr.load(path, model)
    assert str(path) in str(info.value)
    _assert_state_equal(model.state_dict(), before)
    if whole_file_invalid:  # not even readable as a checkpoint, model or no model
        with pytest.raises(CheckpointError):
            read_checkpoint(path)
    return str(info.value)


def test_missing_file(tmp_path):
    _assert_rejected(tmp_path / "nope.safetensors")


def test_a_directory_instead_of_a_file(tmp_path):
    _assert_rejected(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    _assert_rejected(path)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bytes(tmp_path, seed):
    path = tmp_path / "random.safetensors"
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _assert_rejected(path)


def test_a_huge_header_length(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 2**63) + b"{}" + b"\0" * 64)
    _assert_rejected(path)


@pytest.mark.parametrize("header", [b"[1, 2]", b'"text"', b"{", b"\xff\xfe{}"])
def test_a_header_that_is_not_a_json_object(tmp_path, header):
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    _assert_rejected(path)


def test_truncated_checkpoints_at_several_points(tmp_path):
    model, opt = _trained()
    good = tmp_path / "good.safetensors"
    cr.save(good, model, opt, epoch=2)
    data = good.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    cuts = sorted(
        {1, 7, 8, 9, 8 + n // 2, 8 + n - 1, 8 + n, 8 + n + 1, len(data) // 2, len(data) - 1}
    )
    for cut in cuts:
        path = tmp_path / f"cut{cut}.safetensors"
        path.write_bytes(data[:cut])
        _assert_rejected(path, _model(seed=9))


def test_trailing_garbage_is_rejected_or_ignored_but_never_crashes(tmp_path):
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt)
    path.write_bytes(path.read_bytes() + b"\x00garbage")
    other = _model(seed=10)
    try:
        cr.load(path, other)
    except CheckpointError:
        return
    _assert_state_equal(other.state_dict(), model.state_dict())


def test_a_safetensors_file_without_our_marker(tmp_path):
    tensors = {"model/0.weight": np.zeros((3, 5), np.float32)}
    for metadata in (None, {"format": "pt"}, {"something": "else"}):
        path = tmp_path / "foreign.safetensors"
        path.write_bytes(safetensors_bytes(tensors, metadata=metadata))
        message = _assert_rejected(path)
        assert "chainrule" in message


def test_a_checkpoint_of_an_unknown_version(tmp_path):
    path = tmp_path / "v2.safetensors"
    meta = {"format": "chainrule-checkpoint", "version": "2", "training": "{}"}
    path.write_bytes(safetensors_bytes({"model/x": np.zeros(2, np.float32)}, metadata=meta))
    assert "version" in _assert_rejected(path)


def test_malformed_training_metadata(tmp_path):
    path = tmp_path / "bad.safetensors"
    meta = {"format": "chainrule-checkpoint", "version": "1", "training": "{not json"}
    path.write_bytes(safetensors_bytes({"model/x": np.zeros(2, np.float32)}, metadata=meta))
    assert "malformed metadata" in _assert_rejected(path, whole_file_invalid=False)
    with pytest.raises(CheckpointError, match=r"bad\.safetensors: malformed metadata: Expecting"):
        cr.load(path)  # JSON's own reason for "{not json"


def test_optimizer_metadata_pointing_at_a_missing_tensor(tmp_path):
    model, _ = _trained()
    tensors = {f"model/{k}": v for k, v in model.state_dict().items()}
    optimizer_json = json.dumps(
        {"param_groups": [], "state": {"__items__": [[0, {"m": {"__array__": "optimizer/99"}}]]}}
    )
    meta = {"format": "chainrule-checkpoint", "version": "1", "optimizer": optimizer_json}
    path = tmp_path / "bad.safetensors"
    path.write_bytes(safetensors_bytes(tensors, metadata=meta))
    other = _model(seed=11)
    before = _snapshot(other)
    with pytest.raises(
        CheckpointError, match=r"malformed metadata: missing tensor 'optimizer/99'$"
    ):
        cr.load(path, other, cr.optim.Adam(other.parameters(), lr=0.1))
    _assert_state_equal(other.state_dict(), before)


@pytest.mark.usefixtures("no_unpickling")
def test_a_pickle_renamed_to_safetensors_is_rejected_without_unpickling(tmp_path):
    payload = {"model/0.weight": [[1.0, 2.0]], "epoch": 3}  # harmless plain data
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        blob = pickle.dumps(payload, protocol=protocol)
        path = tmp_path / f"p{protocol}.safetensors"
        path.write_bytes(blob)
        _assert_rejected(path)


@pytest.mark.usefixtures("no_unpickling")
def test_a_torch_style_zip_checkpoint_is_rejected(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"a": 1}))
    path = tmp_path / "model.safetensors"
    path.write_bytes(buf.getvalue())
    _assert_rejected(path)


# ----- atomic writes -------------------------------------------------------------------------
@pytest.fixture
def existing(tmp_path):
    """A directory holding one good checkpoint; returns (path, its bytes)."""
    model, opt = _trained()
    path = tmp_path / "ckpt.safetensors"
    cr.save(path, model, opt, epoch=1)
    return path, path.read_bytes()


def _assert_untouched(path, original):
    assert path.read_bytes() == original
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file


def _save_over(path):
    model, opt = _trained(seed=3, steps=5)
    cr.save(path, model, opt, epoch=2)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failing_fsync_leaves_the_previous_checkpoint(existing, monkeypatch, error):
    path, original = existing

    def failing_fsync(fd):
        raise error

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(type(error)):
        _save_over(path)
    monkeypatch.undo()
    _assert_untouched(path, original)
    assert cr.load(path, _model(seed=4)) == {"epoch": 1}


@pytest.mark.parametrize("error", [OSError(18, "Invalid cross-device link"), KeyboardInterrupt()])
def test_a_failing_rename_leaves_the_previous_checkpoint(existing, monkeypatch, error):
    path, original = existing

    def failing_replace(src, dst):
        raise error

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(type(error)):
        _save_over(path)
    monkeypatch.undo()
    _assert_untouched(path, original)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_failing_midway_leaves_the_previous_checkpoint(existing, monkeypatch, error):
    path, original = existing
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()
            return False

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise error

        def __getattr__(self, name):
            return getattr(self.fh, name)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(type(error)):
        _save_over(path)
    monkeypatch.undo()
    _assert_untouched(path, original)


def test_a_successful_save_replaces_the_file_and_leaves_nothing_else(existing):
    path, original = existing
    _save_over(path)
    assert path.read_bytes() != original
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert cr.load(path, _model(seed=4)) == {"epoch": 2}


def test_atomic_write_creates_new_files_and_replaces_old_ones(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write(path, b"first")
    assert path.read_bytes() == b"first"
    atomic_write(path, b"second, longer")
    assert path.read_bytes() == b"second, longer"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_atomic_write_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing" / "f.bin", b"x")
    assert list(tmp_path.iterdir()) == []


def test_a_path_that_is_not_a_regular_file_is_refused_without_reading(tmp_path):
    # a device such as /dev/zero would be read without end, a pipe would block forever
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(cr.CheckpointError, match="not a regular file"):
        cr.load(fifo)
    with pytest.raises(cr.CheckpointError, match="not a regular file"):
        cr.load(tmp_path)  # a directory
    if os.path.exists("/dev/zero"):
        with pytest.raises(cr.CheckpointError, match="not a regular file"):
            cr.load("/dev/zero")


def test_training_state_that_looks_like_the_format_s_markers_round_trips(tmp_path):
    path = tmp_path / "c.safetensors"
    state = {
        "ref": {"__array__": "training/0"},  # would read back as a reference
        "pairs": {"__items__": [[1, 2]]},  # would read back as {1: 2}
        "keys": {(1, 2): "tuple", 3: "int"},
    }
    cr.save(path, cr.nn.Linear(2, 2), **state)
    assert cr.load(path) == state


def test_dict_keys_that_are_nested_tuples_round_trip(tmp_path):
    path = tmp_path / "c.safetensors"
    state = {"keys": {(1, (2, 3)): "nested", ((), ("a", (4,))): "deeper", (5,): "flat"}}
    cr.save(path, cr.nn.Linear(2, 2), **state)
    assert cr.load(path) == state


def test_a_state_dict_may_hold_tensors_and_numpy_scalars(tmp_path):
    path = tmp_path / "s.safetensors"
    cr.save(path, {"w": cr.tensor([1.0, 2.0]), "steps": np.int64(7)})
    tensors, _ = read_checkpoint(path)
    np.testing.assert_array_equal(tensors["model/w"], [1.0, 2.0])
    assert tensors["model/steps"].shape == ()
    assert int(tensors["model/steps"]) == 7


def test_save_takes_a_state_dict_as_torch_save_does(tmp_path):
    path = tmp_path / "weights.safetensors"
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    cr.save(path, model.state_dict())
    cr.manual_seed(1)
    other = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    cr.load(path, other)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[name], value)


@pytest.mark.parametrize(
    ("thing", "message"),
    [
        ([1, 2], "expected a module or its state_dict"),
        ({"w": "text"}, "'w' does not"),
        ({"w": np.array(["a"])}, "'w' does not"),
    ],
)
def test_save_names_what_it_cannot_save(tmp_path, thing, message):
    with pytest.raises(TypeError, match=message):
        cr.save(tmp_path / "x.safetensors", thing)
    assert not (tmp_path / "x.safetensors").exists()


def test_save_names_an_optimizer_given_by_name_and_writes_nothing(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(
        TypeError, match=r"save: the optimizer argument must be an optimizer.*'adam'"
    ):
        cr.save(path, cr.nn.Linear(2, 2), "adam")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("model", "optimizer", "message"),
    [
        ("net", None, r"load: the model argument must be a module .*str 'net'"),
        ({"weight": np.zeros((2, 2))}, None, r"load: the model argument must be a module .*dict"),
        (None, "sgd", r"load: the optimizer argument must be an optimizer .*'sgd'"),
    ],
)
def test_load_names_a_model_or_optimizer_that_is_not_one(tmp_path, model, optimizer, message):
    path = tmp_path / "x.safetensors"
    net = cr.nn.Linear(2, 2)
    cr.save(path, net, cr.optim.SGD(net.parameters(), lr=0.1))
    before = path.read_bytes()
    with pytest.raises(TypeError, match=message):
        cr.load(path, model, optimizer)
    assert path.read_bytes() == before
