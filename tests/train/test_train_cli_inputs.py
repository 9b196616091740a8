"""predict's input files: a .npy whose header does not fit the file is named before any
memory is allocated for it, and CSV lines are counted one way (the line in the file, from 1).

The run is small (the bundled digits, 8 hidden units, one epoch), made by the command itself.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from _cli_run import error_line as _error_line
from _cli_run import main as _main


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert _main(["train", "--epochs", 1, "--hidden", 8, "--out", out, "--no-progress"]) == 0
    return out


def _npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_a_npy_header_that_declares_more_than_the_file_holds_is_named(run, tmp_path, capsys):
    path = tmp_path / "lies.npy"  # 200 bytes that declare 477 GiB
    data = _npy_bytes(np.zeros((2, 64))).replace(b"(2, 64)", b"(1000000000, 64)")
    path.write_bytes(data[:200])
    assert _error_line(capsys, ["predict", run, path]) == (
        f"chainrule predict: error: {path}: truncated, or its header is wrong: it declares "
        "shape (1000000000, 64) of float64 (512,000,000,000 bytes of data), but only 72 bytes "
        "follow it"
    )


def test_a_truncated_npy_says_truncated(run, tmp_path, capsys):
    path = tmp_path / "cut.npy"
    path.write_bytes(_npy_bytes(np.zeros((2, 64)))[:-8])
    line = _error_line(capsys, ["predict", run, path])
    assert line.startswith(f"chainrule predict: error: {path}: truncated, or its header is wrong")
    assert line.endswith("(1,024 bytes of data), but only 1,016 bytes follow it")


def test_a_npy_cut_inside_its_header_says_truncated(run, tmp_path, capsys):
    path = tmp_path / "cut.npy"
    path.write_bytes(_npy_bytes(np.zeros((2, 64)))[:9])
    line = _error_line(capsys, ["predict", run, path])
    assert line.startswith(
        f"chainrule predict: error: {path}: cannot read it as a NumPy .npy file (truncated in "
        "its header: "
    )


def test_a_fortran_ordered_npy_reads_as_its_rows(run, tmp_path, capsys):
    x = np.arange(2 * 64, dtype=np.float64).reshape(2, 64) % 16
    np.save(tmp_path / "c.npy", x)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    assert _main(["predict", run, tmp_path / "c.npy"]) == 0
    want = capsys.readouterr().out
    assert _main(["predict", run, tmp_path / "f.npy"]) == 0
    assert capsys.readouterr().out == want


_ROW = ",".join(["1"] * 64)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a,b\n" + _ROW + "\n", "(line 1, column 1: 'a' is not a number)"),  # a header row
        (
            _ROW + "\n\n" + _ROW.replace("1", "x", 1) + "\n",
            "(line 3, column 1: 'x' is not a number)",
        ),
        (_ROW + "\r\n\r\n" + _ROW[:-2] + "\r\n", "(line 3 has 63 values, line 1 has 64)"),
        ("# inputs\n" + _ROW + "\n", "(line 1, column 1: '# inputs' is not a number)"),
    ],
)
def test_a_csv_that_is_not_numbers_names_its_line_in_the_file(run, tmp_path, capsys, text, where):
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert _error_line(capsys, ["predict", run, path]) == (
        f"chainrule predict: error: {path}: not a CSV of numbers {where}; predict reads "
        "comma-separated numbers, one sample per line, without a header row"
    )


@pytest.mark.parametrize(("bad", "what"), [("nan", "is NaN or infinite"), ("1e39", "is too large")])
def test_a_bad_value_in_a_csv_names_its_line_in_the_file(run, tmp_path, capsys, bad, what):
    path = tmp_path / "x.csv"
    path.write_text(f"{_ROW}\n\n{_ROW}\n{_ROW.replace('1', bad)}\n", encoding="utf-8")
    line = _error_line(capsys, ["predict", run, path])
    assert line.startswith(f"chainrule predict: error: {path}: the input at line 4, feature 1 (")
    assert what in line
