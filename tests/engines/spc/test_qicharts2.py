"""Every qicharts2 0.8.1 reference (fixtures/qicharts2) reproduced through the CLI to 1e-9."""

from __future__ import annotations

import csv
import json

import pytest

from .cli_runner import FIXTURES, close, run_cli

FOLDER = FIXTURES / "qicharts2"
CALLS = json.loads((FOLDER / "CALLS.json").read_text())["calls"]
POINT_TABLES = sorted(name for name, call in CALLS.items() if not name.startswith("hai"))
MULTIPLY = {"ex_7.5_1": 50.0}


def _read_expected(name: str) -> list[dict[str, str]]:
    with (FOLDER / "expected" / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float | None:
    return None if text in ("", "NA", "NaN") else float(text)


def _flag(text: str) -> bool:
    assert text in ("True", "False"), text
    return text == "True"


def test_every_expected_file_has_a_test() -> None:
    on_disk = {path.stem for path in (FOLDER / "expected").glob("*.csv")}
    assert on_disk == set(CALLS)
    assert on_disk == set(POINT_TABLES) | {"hai_1", "hai_2"}


@pytest.mark.parametrize("name", POINT_TABLES)
def test_point_table(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(CALLS[name]["cli"], FOLDER, capsys)
    expected = _read_expected(name)
    factor = MULTIPLY.get(name, 1.0)
    assert len(result["points"]) == len(expected)
    for k, (point, row) in enumerate(zip(result["points"], expected, strict=True)):
        assert float(point["x"]) == float(row["x"]), k
        for column in ("y", "cl", "lcl", "ucl"):
            got = None if point[column] is None else point[column] * factor
            assert close(got, _number(row[column])), (k, column, got, row[column])
        assert point["part"] == int(row["part"])
        assert point["baseline"] is _flag(row["baseline"])
        assert point["included"] is _flag(row["include"])
        assert point["sigma_signal"] is _flag(row["sigma.signal"]), k
        assert point["special_cause"] is None
        part = result["parts"][point["part"] - 1]
        assert part["n_useful"] == int(row["n.useful"])
        for column in ("longest_run", "longest_run_max", "n_crossings", "n_crossings_min"):
            want = _number(row[column.replace("_", ".")])
            assert (part[column] is None) if want is None else part[column] == want, (column, part[column])
        assert part["runs_signal"] is _flag(row["runs.signal"])
    assert result["variation_icon"] is None and result["assurance_icon"] is None


def _summary(result: dict) -> dict[str, float]:
    """qicharts2's summary.qic of a one-part chart, from the contract JSON."""
    (part,) = result["parts"]
    points = result["points"]

    def mean_of(column: str) -> float:
        values = [p[column] for p in points if p[column] is not None]
        return sum(values) / len(values)

    return {
        "part": part["part"],
        "n.obs": sum(p["included"] for p in points),
        "n.useful": part["n_useful"],
        "longest.run": part["longest_run"],
        "longest.run.max": part["longest_run_max"],
        "n.crossings": part["n_crossings"],
        "n.crossings.min": part["n_crossings_min"],
        "runs.signal": int(part["runs_signal"]),
        "aLCL": mean_of("lcl"),
        "CL": mean_of("cl"),
        "aUCL": mean_of("ucl"),
        "sigma.signal": sum(p["sigma_signal"] for p in points),
    }


def _check_summary(got: dict[str, float], row: dict[str, str]) -> None:
    for column, value in got.items():
        assert close(float(value), float(row[column])), (column, value, row[column])


@pytest.mark.parametrize("screen", [False, True], ids=["unscreened", "screened"])
def test_hai_1_summary(screen: bool, capsys: pytest.CaptureFixture[str]) -> None:
    call = CALLS["hai_1"]["cli"] + (" --screen-mr" if screen else "")
    (row,) = _read_expected("hai_1")
    _check_summary(_summary(run_cli(call, FOLDER, capsys)), row)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["BAC", "CDI", "UTI"])
def test_hai_2_summary_per_infection(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    call = CALLS["hai_2"]["cli"][index]
    row = _read_expected("hai_2")[index]
    assert row["facet1"] in call
    _check_summary(_summary(run_cli(call, FOLDER, capsys)), row)


@pytest.mark.parametrize("name", POINT_TABLES)
def test_point_tables_do_not_depend_on_screening(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # README: no moving range is screened in these calls, so --screen-mr changes nothing.
    plain = run_cli(CALLS[name]["cli"], FOLDER, capsys)
    screened = run_cli(CALLS[name]["cli"] + " --screen-mr", FOLDER, capsys)
    assert screened == plain
