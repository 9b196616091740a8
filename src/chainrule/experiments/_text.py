"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence


def format_cell(value) -> str:
    """A float with 4 significant digits, None as "-", anything else as text."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """``rows`` as aligned columns under a header (text left-aligned, numbers right)."""
    cells = [[format_cell(row[c]) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [all(_is_number_or_none(row[c]) for row in rows) for c in columns]

    def line(values) -> str:
        parts = [v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), line("-" * w for w in widths), *map(line, cells)])


def _is_number_or_none(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
