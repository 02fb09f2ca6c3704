"""NHSRplotthedots 0.2.2 references (fixtures/nhsrplotthedots): MDC limits, rules and icons."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from carehelm.engines.spc import mdc

from .cli_runner import FIXTURES, run_cli

FOLDER = FIXTURES / "nhsrplotthedots"
DATA = json.loads((FOLDER / "fixtures.json").read_text())
CASES = {case["id"]: case for case in DATA["cases"]}
VECTORS = DATA["rule_unit_vectors"]
CONTRACT_ICON = {"consistent_pass": "pass", "consistent_fail": "fail"}


def _signif(value: float, digits: int = 7) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def test_every_case_is_covered() -> None:
    assert set(CASES) == {
        "standard_r1",
        "standard_r2_outlier_screened",
        "standard_r3_outlier_unscreened",
        "two_in_three_opposite_sides",
        "icons_s1_s4",
    }


@pytest.mark.parametrize(
    "case_id", ["standard_r1", "standard_r2_outlier_screened", "standard_r3_outlier_unscreened"]
)
def test_standard_limits(case_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[case_id]
    result = run_cli(case["cli"], FOLDER, capsys)
    assert result["rules"] == "mdc"
    assert [p["y"] for p in result["points"]] == case["y"]
    printed = case["expected_printed"]
    for point in result["points"]:
        assert _signif(point["cl"]) == printed["mean"]
        assert _signif(point["lcl"]) == printed["lpl"]
        assert _signif(point["ucl"]) == printed["upl"]
        assert point["special_cause"] in {
            "special_cause_improvement",
            "special_cause_concern",
            "special_cause_neutral_high",
            "special_cause_neutral_low",
            "common_cause",
        }


def test_two_in_three_on_opposite_sides_is_not_a_signal(capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES["two_in_three_opposite_sides"]
    result = run_cli(case["cli"], FOLDER, capsys)
    assert [p["special_cause"] for p in result["points"][-2:]] == case["expected"]["last_two_point_types"]


def _icons(result: dict) -> list[str | None]:
    return [result["variation_icon"], result["assurance_icon"]]


def _contract(icons: list[str | None]) -> list[str | None]:
    return [CONTRACT_ICON.get(icon, icon) if icon is not None else None for icon in icons]


@pytest.mark.parametrize("variant", ["no_target", "target_0.5"])
def test_icons(variant: str, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES["icons_s1_s4"]
    result = run_cli(case["cli"][variant], FOLDER, capsys)
    assert _icons(result) == _contract(case["expected"][variant])


@pytest.mark.parametrize("half", [0, 1], ids=["first12", "last12"])
def test_icons_per_facet(half: int, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES["icons_s1_s4"]
    result = run_cli(case["cli"]["facet_each12_target_0.5"][half], FOLDER, capsys)
    assert _icons(result) == _contract(case["expected"]["facet_each12_target_0.5"][half])


@pytest.mark.parametrize("pair", VECTORS["seven_point_one_side_mean"], ids=str)
def test_seven_point_one_side_mean(pair: list) -> None:
    given, expected = pair
    assert mdc.seven_point_one_side_mean(np.array(given, dtype=float)).tolist() == expected


@pytest.mark.parametrize("pair", VECTORS["part_of_seven_trend"], ids=str)
def test_part_of_seven_trend(pair: list) -> None:
    given, expected = pair
    assert mdc.part_of_seven_trend(np.array(given, dtype=float)).tolist() == expected


@pytest.mark.parametrize("pair", VECTORS["seven_point_trend"], ids=str)
def test_seven_point_trend(pair: list) -> None:
    given, expected = pair
    assert mdc.seven_point_trend(np.array(given, dtype=float)).tolist() == expected


@pytest.mark.parametrize("pair", VECTORS["two_in_three(close, rtm)"], ids=str)
def test_two_in_three(pair: list) -> None:
    (close, side), expected = pair
    assert mdc.two_in_three(np.array(close), np.array(side)).tolist() == expected


@pytest.mark.parametrize("pair", VECTORS["part_of_two_in_three"], ids=str)
def test_part_of_two_in_three(pair: list) -> None:
    (close, side), expected = pair
    flagged = mdc.part_of_two_in_three(mdc.two_in_three(np.array(close), np.array(side)), np.array(close))
    assert flagged.tolist() == expected


@pytest.mark.parametrize("row", VECTORS["assurance (lpl, upl, target=4)"], ids=str)
def test_assurance(row: list) -> None:
    (lpl, upl), improvement, expected = row
    assert mdc.assurance_icon(4.0, lpl, upl, improvement) == CONTRACT_ICON.get(expected, expected)


def test_assurance_needs_a_target_and_a_direction() -> None:
    assert mdc.assurance_icon(None, 1.0, 3.0, "increase") is None
    assert mdc.assurance_icon(4.0, 1.0, 3.0, "neutral") is None


def test_special_cause_priority_is_stated_as_implemented() -> None:
    # Priority "Above UCL/Below LCL > 7 Point Trend > 2 in 3 > 7 Points Above/Below CL": a point
    # outside the limits that is also the end of a 7-point trend is an outside-limits point.
    assert VECTORS["special_cause_priority"].startswith("Above UCL/Below LCL > 7 Point Trend > 2 in 3")
    y = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0])
    limits = mdc.MdcLimits(mean=0.5, lpl=-1.0, upl=2.0, near_lpl=-0.5, near_upl=1.5)
    rules, direction, causes = mdc.classify_points(y, limits, "increase")
    assert rules[-1] == "outside_limits" and direction[-1] == 1
    assert rules[:7] == ["trend"] * 7 and causes[0] == "special_cause_improvement"
