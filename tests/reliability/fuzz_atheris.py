"""Coverage-guided fuzzing of the two file parsers with atheris: optional, for long runs.

    pip install atheris
    python tests/reliability/fuzz_atheris.py seeds CORPUS         # a valid file of each kind
    python tests/reliability/fuzz_atheris.py checkpoint CORPUS -rss_limit_mb=1024 -runs=200000
    python tests/reliability/fuzz_atheris.py idx CORPUS -rss_limit_mb=1024 -max_total_time=600

Each input is written to a file and read as a user's file would be: `cr.load` into a small
model and its optimizer, or `read_idx` (raw, and gzip when the input starts with gzip's
magic). The documented error (`CheckpointError`, `IDXFormatError`) ends the input; any other
exception is a finding, which atheris reports with the input that caused it, and so is a
process growing past ``-rss_limit_mb``. CI runs the seeded hypothesis targets next to this
file instead; test_rel_atheris_harness.py feeds these same functions a few inputs, so that
the harness cannot rot while atheris is not installed.
"""

from __future__ import annotations

import contextlib
import gzip
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.data import IDXFormatError, read_idx

USAGE = "usage: fuzz_atheris.py {checkpoint,idx} [CORPUS] [libFuzzer flags] | seeds DIR"


class Targets:
    """The one-input functions, each reading its bytes from a file in ``directory``."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / "input"
        cr.manual_seed(0)
        self.model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
        self.opt = cr.optim.Adam(self.model.parameters(), lr=0.01)

    def checkpoint(self, data: bytes) -> None:
        self.path.write_bytes(data)
        with contextlib.suppress(cr.CheckpointError):
            cr.load(self.path, self.model, self.opt)

    def idx(self, data: bytes) -> None:
        self.path.write_bytes(data)
        with contextlib.suppress(IDXFormatError):
            read_idx(self.path)


def write_seeds(directory: str | Path) -> list[Path]:
    """A valid checkpoint of the fuzzed model and two small valid IDX files, to start from."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    targets = Targets(out)
    loss = targets.model(cr.tensor(np.ones((2, 3), np.float32))).sum()
    loss.backward()
    targets.opt.step()
    cr.save(out / "seed.safetensors", targets.model, targets.opt, epoch=1)
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    idx = struct.pack(">HBB3I", 0, 0x08, 3, *images.shape) + images.tobytes()
    (out / "seed.idx").write_bytes(idx)
    (out / "seed.idx.gz").write_bytes(gzip.compress(idx, mtime=0))
    return [out / "seed.safetensors", out / "seed.idx", out / "seed.idx.gz"]


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "seeds":
        for path in write_seeds(argv[2]):
            print(path)
        return 0
    if len(argv) < 2 or argv[1] not in ("checkpoint", "idx"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        import atheris
    except ImportError:
        print(
            "fuzz_atheris: atheris is not installed (pip install atheris); the seeded "
            "hypothesis fuzz targets in tests/reliability run without it",
            file=sys.stderr,
        )
        return 2
    atheris.instrument_all()  # coverage of every loaded Python function guides the search
    with tempfile.TemporaryDirectory() as tmp:
        target = getattr(Targets(tmp), argv[1])
        atheris.Setup([argv[0], *argv[2:]], target)
        atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
