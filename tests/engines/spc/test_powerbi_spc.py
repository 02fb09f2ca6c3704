"""PowerBI-SPC's chart-type tests (fixtures/powerbi_spc): 99 % limits of 11 chart types."""

from __future__ import annotations

import json

import pytest

from .cli_runner import FIXTURES, run_cli

FOLDER = FIXTURES / "powerbi_spc"
CALLS = json.loads((FOLDER / "CALLS.json").read_text())["calls"]
CASES = json.loads((FOLDER / "chart_type_fixtures.json").read_text())["cases"]
SCALE = {"p": 100.0, "pprime": 100.0, "u": 10000.0}


def test_every_case_has_a_call() -> None:
    assert set(CASES) == set(CALLS)
    assert len(CASES) == 11


@pytest.mark.parametrize("name", sorted(CASES))
def test_limits(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    result = run_cli(CALLS[name]["cli"], FOLDER, capsys)
    points = result["points"]
    digits = int(case["closeTo_digits"][0])
    tolerance = 0.5 * 10.0**-digits
    scale = SCALE.get(name, 1.0)
    assert [str(p["x"]) for p in points] == [str(k) for k in case["keys"]]
    # The g and t fixtures list one limit more than they have points (constant limits, the
    # TypeScript test only reads as many as there are points).
    assert len(case["ul99"]) == len(case["ll99"]) >= len(points)
    for k, point in enumerate(points):
        for column, expected in (("ucl", case["ul99"][k]), ("lcl", case["ll99"][k])):
            if expected is None:
                assert point[column] is None, (k, column)
                continue
            got = point[column] * scale
            # small relative slack for the float rounding of values sitting exactly on the edge
            assert abs(got - expected) <= tolerance * (1 + 1e-9), (k, column, got, expected)
