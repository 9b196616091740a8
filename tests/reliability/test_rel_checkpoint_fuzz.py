"""Fuzz target for the checkpoint loader: hypothesis-driven, seeded, with a fixed budget.

Four generators: byte-level damage to a valid checkpoint (flips, overwrites, insertions,
deletions, truncation, splices); header-aware edits (shapes, dtypes, offsets, metadata),
with the digest either kept or re-forged as a stranger could; random bytes; and random JSON
headers behind a valid length prefix. Whatever comes in, `cr.load` either raises
`CheckpointError` or, for a forged file that happens to be a valid checkpoint, loads it:
no other exception, ever. CI runs `CI_BUDGET` examples per generator (derandomized, so the
same ones every run); ``-m slow`` runs `LONG_BUDGET`.
"""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from reliability_conftest import fuzz_settings, peak_memory, record, trained

import chainrule as cr
from chainrule._checkpoint_format import _digest

CI_BUDGET, LONG_BUDGET = 150, 5000
BUDGETS = [
    pytest.param(CI_BUDGET, id="ci"),
    pytest.param(LONG_BUDGET, id="long", marks=pytest.mark.slow),
]
DTYPES = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64"]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    model, opt = trained()
    path = tmp_path_factory.mktemp("fuzz") / "good.safetensors"
    cr.save(path, model, opt, epoch=2, history={"loss": [1.5, 0.5]})
    return path.read_bytes()


@pytest.fixture
def check(tmp_path):
    """``check(data, may_load)``: load ``data`` into a model + optimizer; return the outcome."""
    path = tmp_path / "fuzz.safetensors"
    model, opt = trained(seed=9)

    def run(data: bytes, may_load: bool) -> str:
        path.write_bytes(data)
        peak, _, error = peak_memory(lambda: cr.load(path, model, opt))
        if error is None:
            outcome = "accepted (forged, valid)"
        elif isinstance(error, cr.CheckpointError):
            outcome = "documented error"
        else:
            outcome = "other"
        record("checkpoint fuzz", outcome, peak, len(data))
        assert outcome != "other", f"{type(error).__name__}: {error}"
        assert may_load or error is not None, "a damaged file loaded without an error"
        assert peak <= 4 * len(data) + (1 << 20), (peak, len(data))
        return outcome

    return run


# ----- byte-level damage ----------------------------------------------------------------------
def _edits(size: int):
    pos = st.integers(0, max(size - 1, 0))
    return st.lists(
        st.one_of(
            st.tuples(st.just("flip"), pos, st.integers(0, 7)),
            st.tuples(st.just("set"), pos, st.integers(0, 255)),
            st.tuples(st.just("insert"), pos, st.binary(min_size=1, max_size=16)),
            st.tuples(st.just("delete"), pos, st.integers(1, 64)),
            st.tuples(st.just("truncate"), pos),
            st.tuples(st.just("splice"), pos, pos, st.integers(1, 64)),
        ),
        min_size=1,
        max_size=4,
    )


def _apply(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, at, *args in edits:
        at = min(at, max(len(out) - 1, 0))
        if kind == "flip" and out:
            out[at] ^= 1 << args[0]
        elif kind == "set" and out:
            out[at] = args[0]
        elif kind == "insert":
            out[at:at] = args[0]
        elif kind == "delete":
            del out[at : at + args[0]]
        elif kind == "truncate":
            del out[at:]
        elif kind == "splice":
            src, n = args
            out[at : at + n] = out[src : src + n]
    return bytes(out)


@pytest.mark.parametrize("budget", BUDGETS)
def test_byte_level_damage(good, check, budget):
    @fuzz_settings(budget)
    @given(edits=_edits(len(good)))
    def run(edits):
        damaged = _apply(good, edits)
        assume(damaged != good)
        check(damaged, may_load=False)

    run()


# ----- header-aware edits ---------------------------------------------------------------------
def _split(data: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def _join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + body


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@st.composite
def _header_edit(draw, header: dict, body_size: int):
    """A copy of ``header`` with one field of one tensor, or one metadata entry, changed."""
    header = json.loads(json.dumps(header))
    names = sorted(k for k in header if k != "__metadata__")
    meta = header["__metadata__"]
    what = draw(st.sampled_from(["shape", "dtype", "offsets", "rename", "metadata", "drop"]))
    name = draw(st.sampled_from(names))
    size = st.integers(0, body_size + 16) | st.integers(0, 2**64)
    if what == "shape":
        header[name]["shape"] = draw(
            st.lists(st.integers(0, 2**33) | st.integers(0, 9), max_size=5)
        )
    elif what == "dtype":
        header[name]["dtype"] = draw(st.sampled_from(DTYPES))
    elif what == "offsets":
        header[name]["data_offsets"] = [draw(size), draw(size)]
    elif what == "rename":
        header[draw(st.text(min_size=1, max_size=12))] = header.pop(name)
    elif what == "metadata":
        key = draw(st.sampled_from([*sorted(meta), "extra"]))
        meta[key] = draw(st.text(max_size=40) | JSON.map(json.dumps))
    else:
        key = draw(st.sampled_from([name, *sorted(meta)]))
        (meta if key in meta else header).pop(key)
    return header


def _reforged(header: dict, body: bytes) -> bytes | None:
    """``header`` + ``body`` with a digest recomputed as a stranger would, if parseable."""
    from safetensors.numpy import load

    meta = header.get("__metadata__", {})
    try:
        tensors = load(_join(header, body))
    except Exception:  # not even safetensors: nothing to digest
        return None
    meta["sha256"] = _digest(tensors, {k: v for k, v in meta.items() if k != "sha256"})
    return _join(header, body)


@pytest.mark.parametrize("budget", BUDGETS)
def test_header_edits_with_and_without_a_forged_digest(good, check, budget):
    header, body = _split(good)

    @fuzz_settings(budget)
    @given(edited=_header_edit(header, len(body)), forge=st.booleans())
    def run(edited, forge):
        assume(edited != header)
        forged = _reforged(edited, body) if forge else None
        if forged is None:
            check(_join(edited, body), may_load=False)
        else:
            check(forged, may_load=True)

    run()


# ----- random input ---------------------------------------------------------------------------
@pytest.mark.parametrize("budget", BUDGETS)
def test_random_bytes(check, budget):
    @fuzz_settings(budget)
    @given(data=st.binary(max_size=4096))
    def run(data):
        check(data, may_load=False)

    run()


@pytest.mark.parametrize("budget", BUDGETS)
def test_random_json_headers_with_our_marker(check, budget):
    marker = {"format": "chainrule-checkpoint", "version": "1"}

    @fuzz_settings(budget)
    @given(
        header=st.dictionaries(st.text(max_size=10), JSON, max_size=6),
        meta=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
        body=st.binary(max_size=64),
    )
    def run(header, meta, body):
        header["__metadata__"] = {**meta, **marker}
        check(_join(header, body), may_load=False)

    run()


def test_a_forged_valid_checkpoint_does_load(good, check):
    """The control for ``may_load``: re-forging an unchanged header gives a loadable file."""
    header, body = _split(good)
    assert check(_reforged(header, body), may_load=True) == "accepted (forged, valid)"
