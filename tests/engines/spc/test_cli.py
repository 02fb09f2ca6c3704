"""``carehelm spc`` end to end: the installed console script on fixtures, and bad input."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from carehelm.engines.spc.cli import main

from .cli_runner import FIXTURES, close

QICHARTS2 = FIXTURES / "qicharts2"
NHSR = FIXTURES / "nhsrplotthedots"


def _carehelm() -> list[str]:
    script = Path(sys.executable).with_name("carehelm")
    if script.exists():
        return [str(script)]
    found = shutil.which("carehelm")
    return [found] if found else [sys.executable, "-m", "carehelm.cli"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_carehelm(), "spc", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_console_script_reproduces_a_qicharts2_table() -> None:
    done = _run(
        ["inputs/tbl_06.07.csv", "--chart", "i", "--y", "cost", "--x", "weeks", "--freeze", "20", "--json"],
        QICHARTS2,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    with (QICHARTS2 / "expected" / "ex_6.5_3.csv").open(newline="") as handle:
        expected = list(csv.DictReader(handle))
    assert result["chart"] == "i" and result["rules"] == "anhoej"
    for point, row in zip(result["points"], expected, strict=True):
        for column in ("y", "cl", "lcl", "ucl"):
            assert close(point[column], float(row[column]))
        assert point["baseline"] is (row["baseline"] == "True")
    assert result["parts"][0]["n_crossings"] == float(expected[0]["n.crossings"])


def test_console_script_mdc_call() -> None:
    case = next(
        c for c in json.loads((NHSR / "fixtures.json").read_text())["cases"] if c["id"] == "icons_s1_s4"
    )
    args = case["cli"]["target_0.5"].split()[2:]
    done = _run(args, NHSR)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [result["variation_icon"], result["assurance_icon"]] == ["common_cause", "inconsistent"]
    assert set(result) == {"chart", "rules", "points", "parts", "variation_icon", "assurance_icon"}
    assert set(result["points"][0]) == {
        "x", "y", "cl", "lcl", "ucl", "part", "baseline", "included", "sigma_signal", "special_cause"
    }  # fmt: skip


def test_bad_value_exits_2_naming_file_line_and_column(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("month,count,size\n2024-01,3,10\n2024-02,three,10\n")
    done = _run(
        [str(data), "--chart", "p", "--y", "count", "--x", "month", "--n", "size", "--json"], tmp_path
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert "bad.csv" in done.stderr and "line 3" in done.stderr and "'count'" in done.stderr


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_missing_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "a.csv"
    data.write_text("month,count\n2024-01,3\n")
    err = _error([str(data), "--chart", "c", "--y", "events", "--x", "month", "--json"], capsys)
    assert "a.csv" in err and "no column 'events'" in err and "month, count" in err


def test_zero_denominator_for_a_p_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "p.csv"
    data.write_text("month,count,size\n2024-01,3,10\n2024-02,0,0\n")
    err = _error([str(data), "--chart", "p", "--y", "count", "--x", "month", "--n", "size", "--json"], capsys)
    assert "p.csv: line 3, column 'size'" in err and "greater than 0" in err


def test_non_positive_time_for_a_t_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "t.csv"
    data.write_text("days\n5\n\n7\n-1\n")
    err = _error([str(data), "--chart", "t", "--y", "days", "--json"], capsys)
    assert "t.csv: line 5, column 'days'" in err


def test_missing_file_and_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "cannot open" in _error([str(tmp_path / "none.csv"), "--chart", "i", "--y", "y"], capsys)
    assert "invalid choice" in _error([str(tmp_path / "none.csv"), "--chart", "zz", "--y", "y"], capsys)
    data = tmp_path / "y.csv"
    data.write_text("y\n1\n2\n")
    assert "XmR" in _error([str(data), "--chart", "c", "--y", "y", "--rules", "mdc"], capsys)


def test_missing_values_and_undefined_limits_are_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "gaps.csv"
    data.write_text("y\n4\nNA\n\n")
    capsys.readouterr()
    assert main([str(data), "--chart", "i", "--y", "y", "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out
    result = json.loads(out)
    assert [p["y"] for p in result["points"]] == [4.0, None]
    assert result["points"][0]["ucl"] is None  # no moving range: undefined limits
    assert [p["x"] for p in result["points"]] == [1, 2]


def test_text_output_explains_signals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "y.csv"
    data.write_text("y\n" + "\n".join(str(v) for v in [1] * 8 + [9] * 8) + "\n")
    capsys.readouterr()
    assert main([str(data), "--chart", "run", "--y", "y"]) == 0
    out = capsys.readouterr().out
    assert "8 points in a row below the centre line" in out
