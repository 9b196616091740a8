"""Checkpoints from strangers: every hostile file raises `cr.CheckpointError` naming the file
and the problem, changes nothing in the model or optimizer, runs nothing and stays within a
small multiple of its own size in memory.

The cases: pickles with a payload that would create a sentinel file, NumPy files with object
arrays, PyTorch files (emulated, and the real thing when torch is installed), every
truncation and every single-bit flip of a small valid checkpoint, safetensors headers with
huge sizes, overlapping or missing offsets, malformed metadata, and checkpoints whose tensors
do not fit the model or the optimizer. Files a stranger could forge *with* a valid digest
(the digest is a checksum, not a signature) are built with `forge`.
"""

from __future__ import annotations

import io
import json
import pathlib
import pickle
import re
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from reliability_conftest import (
    note,
    peak_memory,
    python_cmd,
    record,
    same_snapshot,
    small_model,
    snapshot,
    subprocess_env,
    trained,
)
from safetensors.numpy import load as safetensors_load
from safetensors.numpy import save as safetensors_bytes

import chainrule as cr
from chainrule._checkpoint_format import _digest, read_checkpoint

MARK = {"format": "chainrule-checkpoint", "version": "1"}
KIB, MIB = 1 << 10, 1 << 20


# ----- building files ---------------------------------------------------------------------
def saved_bytes(tmp_path, model, opt=None, **training) -> bytes:
    path = tmp_path / "source.safetensors"
    cr.save(path, model, opt, **training)
    data = path.read_bytes()
    path.unlink()
    return data


def parts(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON header and the tensors of a valid checkpoint's bytes."""
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), safetensors_load(data)


def forge(tensors: dict[str, np.ndarray], metadata: dict[str, str], digest=True) -> bytes:
    """A safetensors file with our marker and, unless told otherwise, a matching digest."""
    metadata = {**MARK, **metadata}
    if digest:
        metadata["sha256"] = _digest(tensors, metadata)
    return safetensors_bytes(tensors, metadata=metadata)


def raw(header, data: bytes = b"") -> bytes:
    """A length prefix, ``header`` (an object, dumped to JSON, or bytes) and ``data``."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def with_mark(**tensors) -> dict:
    return {"__metadata__": {**MARK, "training": "{}"}, **tensors}


def entry(dtype: str, shape: list, start: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [start, end]}


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    """A small valid checkpoint: a 3-4-2 MLP, Adam with state, and a training state."""
    model, opt = trained()
    return saved_bytes(tmp_path_factory.mktemp("good"), model, opt, epoch=2, note="fine")


def good_parts(good: bytes):
    header, tensors = parts(good)
    return tensors, {k: v for k, v in header["__metadata__"].items() if k != "sha256"}


# ----- the check every hostile file goes through -----------------------------------------
def target():
    """A model and optimizer (with state) that a hostile load must leave as they were."""
    return trained(seed=9)


def assert_rejected(path, pattern: str, parser="checkpoint", bound=None):
    """cr.load raises CheckpointError naming ``path`` and matching ``pattern``; the model
    and optimizer are unchanged; the peak allocation is within ``bound`` bytes (by default
    4 × the file size + 1 MiB: a deeply nested header costs up to ~0.5 MiB of stack frames
    before Python's recursion limit stops it, whatever the file size)."""
    model, opt = target()
    before = snapshot(model, opt)
    peak, _, error = peak_memory(lambda: cr.load(path, model, opt))
    size = path.stat().st_size if path.is_file() else 0
    outcome = "documented error" if isinstance(error, cr.CheckpointError) else "other"
    record(parser, outcome, peak, size)
    assert isinstance(error, cr.CheckpointError), f"{type(error).__name__}: {error}"
    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert re.search(pattern, message, re.DOTALL), message
    assert "\n" not in message or "does not fit" in message, message
    assert same_snapshot(snapshot(model, opt), before), "a failed load changed the model"
    bound = 4 * size + MIB if bound is None else bound
    assert peak <= bound, f"peak allocation {peak} bytes for a file of {size} bytes"
    return message


# ----- the table ----------------------------------------------------------------------------
def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _npy_object_array() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"weights": [1.0]}, None], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _npz_object_arrays() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, w=np.array([{"weights": [1.0]}], dtype=object), b=np.zeros(3))
    return buf.getvalue()


def _torch_zip(payload=None) -> bytes:
    """The layout torch.save has written since PyTorch 1.6: a zip of archive/data.pkl etc."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(payload or {"w": [1.0, 2.0]}, protocol=2))
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/data/0", np.ones(2, np.float32).tobytes())
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def _torch_legacy(payload=None) -> bytes:
    """torch.save(..., _use_new_zipfile_serialization=False): pickles after a magic number."""
    head = [0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001}]
    return b"".join(pickle.dumps(x, protocol=2) for x in [*head, payload or {"w": 1}])


STRUCTURE = {  # name -> (bytes, pattern)
    "empty file": (b"", r"too short to be a checkpoint \(0 bytes\)"),
    "7 bytes": (b"\x01" * 7, r"too short"),
    "header length 2**64-1": (struct.pack("<Q", 2**64 - 1) + b"{}", r"header length \d+ exceeds"),
    "header length past the end": (struct.pack("<Q", 3) + b"{}", r"header length 3 exceeds"),
    "header not UTF-8": (raw(b"\xff\xfe\x00\x01"), r"header is not valid JSON"),
    "header not JSON": (raw(b"{'a': 1}"), r"header is not valid JSON"),
    "header nested 100000 deep": (raw(_deep(100_000).encode()), r"header is not valid JSON"),
    "header a JSON list": (raw([1, 2]), r"not a chainrule checkpoint"),
    "header without metadata": (raw({"a": entry("F32", [1], 0, 4)}, bytes(4)), r"no format"),
    "foreign format marker": (
        safetensors_bytes({"w": np.zeros(2, np.float32)}, metadata={"format": "pt"}),
        r"not a chainrule checkpoint",
    ),
    "unknown version": (
        raw({"__metadata__": {**MARK, "version": "2"}}),
        r"unsupported checkpoint version '2'",
    ),
    "pickle (protocol 2)": (pickle.dumps({"model/w": [1.0]}, protocol=2), r"exceeds the file"),
    "pickle (protocol 5)": (pickle.dumps({"model/w": [1.0]}, protocol=5), r"exceeds the file"),
    "NumPy .npy with an object array": (_npy_object_array(), r"exceeds the file size"),
    "NumPy .npz with object arrays": (_npz_object_arrays(), r"exceeds the file size"),
    "PyTorch zip (emulated)": (_torch_zip(), r"exceeds the file size"),
    "PyTorch legacy pickle (emulated)": (_torch_legacy(), r"exceeds the file size"),
    "shape of 2**31 x 2**31 doubles in 8 bytes": (
        raw(with_mark(w=entry("F64", [2**31, 2**31], 0, 8)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "shape product past 2**64": (
        raw(with_mark(w=entry("F32", [2**32, 2**32, 2**32], 0, 8)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "offsets far beyond the file": (
        raw(with_mark(w=entry("U8", [2**40], 0, 2**40)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "overlapping offsets": (
        raw(with_mark(a=entry("F32", [2], 0, 8), b=entry("F32", [2], 4, 12)), bytes(12)),
        r"not a valid safetensors file",
    ),
    "the same bytes for two tensors": (
        raw(with_mark(a=entry("F32", [2], 0, 8), b=entry("F32", [2], 0, 8)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "reversed offsets": (
        raw(with_mark(a=entry("F32", [2], 8, 0)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "a gap between tensors": (
        raw(with_mark(a=entry("F32", [1], 0, 4), b=entry("F32", [1], 8, 12)), bytes(12)),
        r"not a valid safetensors file",
    ),
    "bytes after the last tensor": (
        raw(with_mark(a=entry("F32", [2], 0, 8)), bytes(16)),
        r"not a valid safetensors file",
    ),
    "dtype, shape and offsets disagree": (
        raw(with_mark(a=entry("F32", [3], 0, 8)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "unknown dtype": (
        raw(with_mark(a=entry("Q32", [2], 0, 8)), bytes(8)),
        r"tensor 'a' has dtype 'Q32'",
    ),
    # valid safetensors dtypes that have no NumPy type (the library would raise KeyError)
    **{
        f"dtype {d}": (raw(with_mark(a=entry(d, [4], 0, 8)), bytes(8)), rf"dtype '{d}'")
        for d in ("BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2")
    },
    "negative dimension": (
        raw(with_mark(a=entry("F32", [-2], 0, 8)), bytes(8)),
        r"not a valid safetensors file",
    ),
    "100 dimensions": (
        raw(with_mark(a=entry("U8", [1] * 100, 0, 1)), bytes(1)),
        r"not a valid safetensors file",
    ),
    "a tensor entry that is not an object": (
        raw({**with_mark(), "a": [1, 2]}),
        r"not a valid safetensors file",
    ),
    "metadata value that is not a string": (
        raw({"__metadata__": {**MARK, "training": {"epoch": 1}}}),
        r"not a valid safetensors file",
    ),
}


@pytest.mark.parametrize("name", list(STRUCTURE))
def test_files_that_are_not_checkpoints(tmp_path, name):
    data, pattern = STRUCTURE[name]
    path = tmp_path / "model.safetensors"
    path.write_bytes(data)
    assert_rejected(path, pattern)
    with pytest.raises(cr.CheckpointError):  # the model-free reader agrees
        read_checkpoint(path)


def _metadata_cases(good: bytes) -> dict[str, tuple[bytes, str]]:
    """Marker and structure fine; digest missing or wrong, or forged over bad metadata."""
    tensors, meta = good_parts(good)
    first = sorted(tensors)[0]
    flipped = {**tensors, first: tensors[first].copy()}
    flipped[first].reshape(-1).view(np.uint8)[0] ^= 1
    opt_json = json.loads(meta["optimizer"])
    opt_json["param_groups"][0]["lr"] = 0.5
    lr_changed = {**meta, "optimizer": json.dumps(opt_json)}
    real_digest = _digest(tensors, meta)
    items = json.dumps({"param_groups": [], "state": {"__items__": [[0]]}})
    missing = json.dumps(
        {"param_groups": [], "state": {"__items__": [[0, {"m": {"__array__": "optimizer/99"}}]]}}
    )
    return {
        "no digest": (forge(tensors, meta, digest=False), r"has no sha256 digest"),
        "a tensor changed after saving": (
            forge(flipped, {**meta, "sha256": real_digest}, digest=False),
            r"digest does not match",
        ),
        "metadata changed after saving": (
            forge(tensors, {**lr_changed, "sha256": real_digest}, digest=False),
            r"digest does not match",
        ),
        "training state not JSON": (forge(tensors, {**meta, "training": "{epoch"}), r"malformed"),
        "training state nested 100000 deep": (
            forge(tensors, {**meta, "training": _deep(100_000)}),
            r"malformed metadata",
        ),
        "training state a list": (
            forge(tensors, {**meta, "training": "[1, 2]"}),
            r"training state is not an object",
        ),
        "optimizer state not JSON": (forge(tensors, {**meta, "optimizer": "nan"}), r"malformed"),
        "optimizer state nested 100000 deep": (
            forge(tensors, {**meta, "optimizer": _deep(100_000)}),
            r"malformed metadata",
        ),
        "optimizer refers to a missing tensor": (
            forge(tensors, {**meta, "optimizer": missing}),
            r"malformed metadata: .*missing tensor 'optimizer/99'",
        ),
        "optimizer items that are not pairs": (
            forge(tensors, {**meta, "optimizer": items}),
            r"malformed metadata",
        ),
        "optimizer state of the wrong type": (
            forge(tensors, {**meta, "optimizer": '"adam"'}),
            r"optimizer state does not fit",
        ),
    }


def _fit_cases(tmp_path, good: bytes) -> dict[str, tuple[bytes, str]]:
    """Valid files (saved by chainrule, or forged with a digest) that do not fit."""
    tensors, meta = good_parts(good)
    less = {k: v for k, v in tensors.items() if k != "model/2.bias"}
    more = {**tensors, "model/3.weight": np.zeros((2, 2), np.float32)}
    moments = {
        k: (np.zeros((7, 7), v.dtype) if k.startswith("optimizer/") else v)
        for k, v in tensors.items()
    }
    sgd_model = small_model()
    sgd = cr.optim.SGD(sgd_model.parameters(), lr=0.1, momentum=0.9)
    part_model = small_model()
    partial = cr.optim.Adam(list(part_model.parameters())[:2], lr=0.1)
    return {
        "a model tensor missing": (forge(less, meta), r"model state does not fit.*2\.bias"),
        "an extra model tensor": (forge(more, meta), r"model state does not fit.*3\.weight"),
        "mis-shaped model tensors": (
            saved_bytes(tmp_path, *trained(hidden=5)),
            r"model state does not fit.*shape mismatch",
        ),
        "no optimizer state": (saved_bytes(tmp_path, small_model()), r"holds no optimizer state"),
        "optimizer state of another optimizer": (
            saved_bytes(tmp_path, sgd_model, sgd),
            r"optimizer state does not fit.*hyper-parameters",
        ),
        "optimizer state for 2 of 4 parameters": (
            saved_bytes(tmp_path, part_model, partial),
            r"optimizer state does not fit.*4 parameters .* 2",
        ),
        "mis-shaped optimizer moments": (forge(moments, meta), r"optimizer state does not fit"),
    }


def test_malformed_metadata_and_digests(tmp_path, good):
    cases = _metadata_cases(good)
    for name, (data, pattern) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(data)
        assert_rejected(path, pattern)
    assert len(cases) == 11


def test_checkpoints_that_do_not_fit_the_model_or_optimizer(tmp_path, good):
    cases = _fit_cases(tmp_path, good)
    for name, (data, pattern) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(data)
        assert_rejected(path, pattern)
    assert len(cases) == 7


def test_missing_files_and_directories(tmp_path):
    assert_rejected(tmp_path / "missing.safetensors", r"cannot read the checkpoint")
    assert_rejected(tmp_path, r"cannot read the checkpoint")


def test_the_good_checkpoint_itself_loads(tmp_path, good):
    # the control for every case above: the unmutated file is accepted
    path = tmp_path / "good.safetensors"
    path.write_bytes(good)
    model, opt = target()
    assert cr.load(path, model, opt) == {"epoch": 2, "note": "fine"}


# ----- exhaustive damage to a valid file ------------------------------------------------------
def _undocumented(path, data: bytes, model, opt) -> Exception | None:
    """None if loading ``data`` raises CheckpointError; else what happened instead."""
    path.write_bytes(data)
    try:
        cr.load(path, model, opt)
    except cr.CheckpointError:
        record("checkpoint", "documented error")
        return None
    except Exception as e:  # reported by the caller
        record("checkpoint", "other")
        return e
    record("checkpoint", "accepted")
    return AssertionError("loaded without an error")


def test_every_truncation_is_rejected(tmp_path, good):
    path, (model, opt) = tmp_path / "cut.safetensors", target()
    others = {cut: _undocumented(path, good[:cut], model, opt) for cut in range(len(good))}
    others = {cut: e for cut, e in others.items() if e is not None}
    assert not others, f"truncations not rejected with CheckpointError: {others}"


def _flip(data: bytes, bit: int) -> bytes:
    damaged = bytearray(data)
    damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


@pytest.mark.parametrize(
    "stride",
    [pytest.param(7, id="every 7th bit"), pytest.param(1, id="every bit", marks=pytest.mark.slow)],
)
def test_single_bit_flips_are_rejected(tmp_path, good, stride):
    """The digest catches flips in the tensors' bytes, which safetensors cannot see. CI
    flips every 7th bit (7 is prime to 8, so every byte and every bit position is hit)."""
    path, (model, opt) = tmp_path / "flip.safetensors", target()
    bits = range(0, 8 * len(good), stride)
    others = {bit: _undocumented(path, _flip(good, bit), model, opt) for bit in bits}
    others = {bit: e for bit, e in others.items() if e is not None}
    assert not others, f"{len(others)} of {len(bits)} flips not rejected: {others}"


# ----- nothing from a file is ever run --------------------------------------------------------
class _Payload:
    """Unpickling this creates ``sentinel``: what a malicious checkpoint would do."""

    def __init__(self, sentinel: pathlib.Path, how: str):
        self.sentinel, self.how = sentinel, how

    def __reduce__(self):
        if self.how == "exec":
            return (exec, (f"open({str(self.sentinel)!r}, 'w').close()",))
        return (pathlib.Path.touch, (self.sentinel,))


def _armed_files(sentinel: pathlib.Path) -> dict[str, bytes]:
    files = {}
    for how in ("touch", "exec"):
        payload = _Payload(sentinel, how)
        for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
            files[f"pickle {how} p{protocol}"] = pickle.dumps(payload, protocol=protocol)
        buf = io.BytesIO()
        np.save(buf, np.array([payload, None], dtype=object), allow_pickle=True)
        files[f"npy {how}"] = buf.getvalue()
        files[f"torch zip {how}"] = _torch_zip(payload)
        files[f"torch legacy {how}"] = _torch_legacy(payload)
    return files


def test_the_payloads_are_armed(tmp_path):
    """The control: unpickled by anything else, each payload does create its sentinel."""
    sentinel = tmp_path / "control"
    for name, data in _armed_files(sentinel).items():
        if name.startswith("pickle"):
            pickle.loads(data)
        elif name.startswith("npy"):
            np.load(io.BytesIO(data), allow_pickle=True)
        elif name.startswith("torch zip"):
            pickle.loads(zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl"))
        else:
            unpickler = pickle.Unpickler(io.BytesIO(data))
            for _ in range(4):
                unpickler.load()
        assert sentinel.exists(), name
        sentinel.unlink()


def test_a_malicious_pickle_renamed_to_safetensors_never_runs(tmp_path):
    sentinel = tmp_path / "pwned"
    files = _armed_files(sentinel)
    for name, data in files.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(data)
        assert_rejected(path, r"exceeds the file size|not valid JSON|too short")
        with pytest.raises(cr.CheckpointError):
            read_checkpoint(path)
        assert not sentinel.exists(), name
    assert len(files) == 12


def test_a_real_torch_save_file_is_rejected_without_running_it(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    sentinel = tmp_path / "pwned"
    for zipped in (True, False):
        path = tmp_path / f"torch-{zipped}.safetensors"
        torch.save(
            {"w": torch.ones(2, 3), "evil": _Payload(sentinel, "touch")},
            path,
            _use_new_zipfile_serialization=zipped,
        )
        assert_rejected(path, r"exceeds the file size")
        assert not sentinel.exists()


# ----- memory: declared sizes are never allocated ---------------------------------------------
HUGE = {
    "header length 2**63": struct.pack("<Q", 2**63) + b"{}" + bytes(64),
    "2**31 x 2**31 doubles declared": raw(
        with_mark(w=entry("F64", [2**31, 2**31], 0, 8)), b"1" * 8
    ),
    "2**40 bytes of offsets": raw(with_mark(w=entry("U8", [2**40], 0, 2**40)), bytes(8)),
    "2**64 elements": raw(with_mark(w=entry("U8", [2**32, 2**32], 0, 8)), bytes(8)),
}


@pytest.mark.parametrize("name", list(HUGE))
def test_huge_declared_sizes_allocate_almost_nothing(tmp_path, name):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(HUGE[name])
    assert_rejected(path, r".", bound=64 * KIB)


# ----- memory: big hostile headers cost a bounded multiple of their size ----------------------
N_BOMB = 60_000  # about 180 kB of JSON


def _bombs(good: bytes) -> dict[str, tuple[bytes, str | None]]:
    """Files whose JSON makes many small Python objects; the pattern None means the file
    is valid (a stranger may legitimately send a checkpoint with a large training state)."""
    tensors, meta = good_parts(good)
    dicts = "[" + ",".join(["{}"] * N_BOMB) + "]"
    header_bomb = {**with_mark(), "x": json.loads(dicts)}
    many = with_mark(**{f"t{i}": entry("U8", [0], 0, 0) for i in range(N_BOMB // 8)})
    return {
        "header: a list of 60,000 empty objects": (raw(header_bomb), r"not a valid safetensors"),
        "header: 7,500 empty tensors": (raw(many), r"holds no optimizer state"),
        "training state: 60,000 empty objects": (
            forge(tensors, {**meta, "training": '{"x": ' + dicts + "}"}),
            None,
        ),
        "training state: 60,000 numbers": (
            forge(tensors, {**meta, "training": '{"x": [' + ",".join(["1"] * N_BOMB) + "]}"}),
            None,
        ),
    }


#: measured worst case: about 50 bytes allocated per byte of JSON (an empty dict, 2 bytes of
#: text, becomes a 64-byte Python object plus a list slot); reported in docs/reliability.md
JSON_FACTOR = 64


def _load_measured(path) -> tuple[int, object, BaseException | None]:
    model, opt = target()
    return peak_memory(lambda: cr.load(path, model, opt))


def test_json_heavy_files_stay_within_a_fixed_multiple_of_their_size(tmp_path, good):
    ratios = {}
    for name, (data, pattern) in _bombs(good).items():
        path = tmp_path / "bomb.safetensors"
        path.write_bytes(data)
        peak, training, error = _load_measured(path)
        ratios[name] = peak / len(data)
        if pattern is None:
            record("checkpoint", "accepted (valid, large)", peak, len(data))
            assert error is None, error
            assert len(training["x"]) == N_BOMB
        else:
            assert_rejected(path, pattern, bound=JSON_FACTOR * len(data))
        assert peak <= JSON_FACTOR * len(data), (name, peak, len(data))
    note("checkpoint memory (peak / file size)", **{k: round(v, 1) for k, v in ratios.items()})


RSS_PROBE = """
import sys
import chainrule as cr

def kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field))

try:
    cr.load(sys.argv[1])  # warm up: imports, first allocations
except cr.CheckpointError:
    pass
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident set size (VmHWM)
before = kib("VmRSS:")
try:
    cr.load(sys.argv[1])
    outcome = "loaded"
except cr.CheckpointError:
    outcome = "CheckpointError"
print(outcome, (kib("VmHWM:") - before) * 1024)
"""


def _rss_growth(path) -> tuple[str, int]:
    proc = subprocess.run(
        [*python_cmd(), "-c", RSS_PROBE, str(path)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=True,
    )
    outcome, grown = proc.stdout.split()
    return outcome, int(grown)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_peak_resident_memory_of_hostile_files(tmp_path, good):
    """tracemalloc does not see the Rust allocations of the safetensors parser; the peak
    resident set size does. Measured in a fresh process per file."""
    files = {name: data for name, (data, _) in _bombs(good).items()}
    files["2**31 x 2**31 doubles declared"] = HUGE["2**31 x 2**31 doubles declared"]
    growth = {}
    for name, data in files.items():
        path = tmp_path / "probe.safetensors"
        path.write_bytes(data)
        outcome, grown = _rss_growth(path)
        growth[name] = grown
        assert grown <= JSON_FACTOR * len(data) + 8 * MIB, (name, outcome, grown, len(data))
    note("checkpoint peak RSS growth (MiB)", **{k: round(v / MIB, 1) for k, v in growth.items()})
