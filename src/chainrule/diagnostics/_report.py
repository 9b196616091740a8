"""The Monitor's files: ``stats.json``, ``activations.csv``, ``gradients.csv`` and, with
matplotlib, ``activations.png`` and ``gradients.png``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .._atomic_write import atomic_write
from . import _plot
from ._records import Alert, EpochRecord

ACTIVATION_COLUMNS = ("epoch", "layer", "kind", "mean", "std", "saturated", "dead")
GRADIENT_COLUMNS = ("epoch", "parameter", "layer", "grad_norm")


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    """``rows`` as CSV with a header; None is an empty cell, floats keep full precision."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return atomic_write(path, buf.getvalue().encode())


def _cell(value) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def write_tables(
    out_dir: Path, records: list[EpochRecord], alerts: list[Alert], ongoing=()
) -> list[Path]:
    """Write the JSON of every record and alert, and the two CSV tables. ``ongoing``: the
    alert kinds that held at the last record (kept so that a resumed run does not raise
    them again)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    about = {
        "epochs": [r.to_json() for r in records],
        "alerts": [a._asdict() for a in alerts],
        "ongoing": sorted(ongoing),
    }
    return [
        atomic_write(out_dir / "stats.json", json.dumps(about, indent=1).encode()),
        write_csv(
            out_dir / "activations.csv",
            ACTIVATION_COLUMNS,
            [row for r in records for row in r.activation_rows()],
        ),
        write_csv(
            out_dir / "gradients.csv",
            GRADIENT_COLUMNS,
            [row for r in records for row in r.gradient_rows()],
        ),
    ]


#: every file the Monitor writes into its directory
FILES = ("stats.json", "activations.csv", "gradients.csv", "activations.png", "gradients.png")


def write_plots(out_dir: Path, records: list[EpochRecord]) -> list[Path]:
    """Draw the two PNGs (nothing when matplotlib is missing or nothing was recorded)."""
    if not records or not _plot.have_matplotlib():
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if any(r.activations for r in records):
        paths.append(_plot.plot_activations(records, out_dir / "activations.png"))
    if records[-1].layer_grad_norms:
        paths.append(_plot.plot_gradients(records, out_dir / "gradients.png"))
    return paths
