"""SPC of stored KPI series: the same numbers as the reference implementations, and a chart spec,
sentences and icons that show the engine's signals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from carehelm.quality.catalogue import presentation
from carehelm.quality.chart_specs import spc_spec
from carehelm.quality.control_charts import ChartOptions
from carehelm.quality.dashboards import Level, kpi_card

from .conftest import add_series

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def layer_values(spec: dict, layer: dict) -> list[dict]:
    """The data rows of one layer (Altair moves them to the top-level ``datasets``)."""
    data = layer.get("data") or spec.get("data")
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def _montgomery_7_4():
    with open(FIXTURES / "tbl_07.04.csv") as fh:
        rows = list(csv.DictReader(fh))
    with open(FIXTURES / "tbl_7.4_1_expected.csv") as fh:
        expected = list(csv.DictReader(fh))
    return [float(r["count"]) for r in rows], [float(r["size"]) for r in rows], expected


def test_readmission_p_chart_matches_qicharts2_in_percent(world, client_for):
    """Montgomery table 7.4 as 25 months of readmissions / index discharges: the API's P chart is
    qicharts2's ``qic(chart = "p")`` reference ×100, with point 11 above the upper limit."""
    counts, sizes, expected = _montgomery_7_4()
    add_series(facility=world.hospital, kpi="readmission_rate_30d", numerators=counts, denominators=sizes)
    client = client_for(world.users["executive"])
    doc = client.get(
        "/api/quality/spc",
        {"kpi": "readmission_rate_30d", "facility_id": world.hospital.pk, "rules": "anhoej", "chart": "p"},
    ).json()
    assert doc["chart"] == "p" and len(doc["points"]) == 25
    for point, ref in zip(doc["points"], expected, strict=True):
        for key in ("y", "cl", "lcl", "ucl"):
            assert point[key] == pytest.approx(100 * float(ref[key]), abs=1e-9)
        assert point["sigma_signal"] == (ref["sigma.signal"] == "True")
    assert [k + 1 for k, p in enumerate(doc["points"]) if p["signal"] == "outside limits"] == [11]
    assert any("above the upper control limit" in s and "Nov 2023" in s for s in doc["signals"])


def test_making_data_count_limits_match_nhsrplotthedots(world, client_for):
    case = json.loads((FIXTURES / "nhsr_standard_r1.json").read_text())
    add_series(facility=world.hospital, kpi="ed_los_median_minutes", values=case["y"])
    client = client_for(world.users["executive"])
    doc = client.get(
        "/api/quality/spc",
        {
            "kpi": "ed_los_median_minutes",
            "facility_id": world.hospital.pk,
            "rules": "mdc",
            "screen_mr": "true",
        },
    ).json()
    printed = case["expected_printed"]
    for point in doc["points"]:
        assert float(f"{point['cl']:.7g}") == printed["mean"]
        assert float(f"{point['lcl']:.6g}") == printed["lpl"]
        assert float(f"{point['ucl']:.7g}") == printed["upl"]


# Length of stay 4.0/4.2 alternating for a year (mean 4.1), then 4.3/4.5 for 8 months. Overall
# mean 4.22: the first 12 points are a run below it (improvement: lower is better), the last 8 a
# run above it (concern). AMR = (18 × 0.2 + 0.1) / 19, so the process limits are 4.22 ± 0.518 and
# the near-limit lines 4.22 ± 0.345: nothing is outside or close to a limit.
ALOS = [4.0, 4.2] * 6 + [4.3, 4.5] * 4


def test_chart_spec_colours_exactly_the_points_the_rules_flag(world):
    add_series(
        facility=world.hospital,
        unit=world.icu,
        kpi="average_length_of_stay",
        numerators=[v * 10 for v in ALOS],
        denominators=[10] * len(ALOS),
    )
    chart = kpi_card(
        world.users["executive"],
        Level(world.hospital, world.icu),
        "average_length_of_stay",
        grain="month",
        options=ChartOptions(rules="mdc"),
    )
    spec = spc_spec(chart)
    point_layer = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    values = layer_values(spec, point_layer)
    assert [v["signal"] for v in values] == ["improvement"] * 12 + ["concern"] * 8
    assert [round(v["value"], 9) for v in values] == ALOS
    colour_scale = next(
        layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer.get("encoding", {})
    )
    colours = dict(zip(colour_scale["domain"], colour_scale["range"], strict=True))
    assert colours["concern"] != colours["improvement"] != colours["common cause"]
    assert chart.variation_icon == "concern_high"
    assert chart.signals == [
        "12 points below the mean from Jan 2023 to Dec 2023: special cause, improvement.",
        "8 points above the mean from Jan 2024 to Aug 2024: special cause, concern.",
    ]


@pytest.mark.parametrize(("target", "icon"), [(4.0, "inconsistent"), (5.0, "pass"), (3.5, "fail")])
def test_target_line_and_assurance_icon(world, target, icon):
    """Lower is better for length of stay: a target above the upper limit (4.738) is always met,
    one below the lower limit (3.702) never."""
    from carehelm.quality import services

    add_series(
        facility=world.hospital,
        unit=world.icu,
        kpi="average_length_of_stay",
        numerators=[v * 10 for v in ALOS],
        denominators=[10] * len(ALOS),
    )
    services.set_target(
        actor=world.users["unit_manager"],
        kpi="average_length_of_stay",
        facility=world.hospital,
        unit=world.icu,
        value=target,
    )
    chart = kpi_card(
        world.users["unit_manager"],
        Level(world.hospital, world.icu),
        "average_length_of_stay",
        grain="month",
        options=ChartOptions(rules="mdc"),
    )
    assert chart.assurance_icon == icon
    spec = spc_spec(chart)
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1 and layer_values(spec, rules[0]) == [{"target": target}]


def test_anhoej_run_chart_on_the_dashboard_uses_the_median(world):
    add_series(facility=world.hospital, kpi="admissions", values=[10, 12, 11, 13, 40, 12, 11])
    chart = kpi_card(
        world.users["executive"],
        Level(world.hospital),
        "admissions",
        grain="month",
        options=ChartOptions(rules="anhoej", chart="run"),
    )
    assert {p.cl for p in chart.points} == {12.0}
    assert all(p.lcl is None and p.ucl is None for p in chart.points)
    assert chart.assurance_icon is None and chart.variation_icon is None


def test_dashboard_page_shows_every_kpi_with_data_its_definition_and_signals(world, client_for):
    add_series(
        facility=world.hospital,
        unit=world.icu,
        kpi="average_length_of_stay",
        numerators=[v * 10 for v in ALOS],
        denominators=[10] * len(ALOS),
    )
    add_series(
        facility=world.hospital, unit=world.icu, kpi="admissions", values=[30 + k % 3 for k in range(20)]
    )
    page = client_for(world.users["unit_manager"]).get(f"/quality/unit/{world.icu.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Average length of stay" in html and "Admissions" in html
    assert "8 points above the mean from Jan 2024 to Aug 2024: special cause, concern." in html
    assert presentation("average_length_of_stay").definition.numerator[:40] in html
    assert html.count('class="chart"') == 2


def test_api_part_option_recalculates_the_centre_line_after_a_change(world, client_for):
    add_series(
        facility=world.hospital,
        unit=world.icu,
        kpi="average_length_of_stay",
        numerators=[v * 10 for v in ALOS],
        denominators=[10] * len(ALOS),
    )
    query = {"kpi": "average_length_of_stay", "facility_id": world.hospital.pk, "unit_id": world.icu.pk}
    doc = (
        client_for(world.users["executive"])
        .get("/api/quality/spc", {**query, "rules": "anhoej", "chart": "i", "part": "12"})
        .json()
    )
    assert {round(p["cl"], 9) for p in doc["points"][:12]} == {4.1}
    assert {round(p["cl"], 9) for p in doc["points"][12:]} == {4.4}
    assert [p["part"] for p in doc["points"]] == [1] * 12 + [2] * 8


def test_the_month_in_progress_is_left_out_and_named(world):
    """Data run to 15 Jun 2024: June's admissions so far would read as a fall, so June is not charted."""
    import datetime as dt

    add_series(
        facility=world.hospital,
        kpi="admissions",
        values=[100, 104, 98, 101, 99, 50],
        start=dt.date(2024, 1, 1),
    )
    add_series(
        facility=world.hospital, kpi="admissions", values=[3] * 15, start=dt.date(2024, 6, 1), grain="day"
    )
    chart = kpi_card(
        world.users["executive"], Level(world.hospital), "admissions", grain="month", options=ChartOptions()
    )
    assert [p.label for p in chart.points] == ["Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024", "May 2024"]
    assert chart.left_out == ["Jun 2024 (not complete: data to 15 Jun 2024)"]


def test_the_month_in_which_the_history_begins_is_left_out_and_named(world):
    """History starts on 20 Jan 2024: January holds 12 days of admissions and would be flagged as a fall."""
    import datetime as dt

    add_series(
        facility=world.hospital,
        kpi="admissions",
        values=[40, 101, 99, 100, 102],
        start=dt.date(2024, 1, 1),
    )
    add_series(
        facility=world.hospital, kpi="admissions", values=[3] * 12, start=dt.date(2024, 1, 20), grain="day"
    )
    add_series(
        facility=world.hospital, kpi="admissions", values=[3] * 31, start=dt.date(2024, 5, 1), grain="day"
    )
    chart = kpi_card(
        world.users["executive"], Level(world.hospital), "admissions", grain="month", options=ChartOptions()
    )
    assert [p.label for p in chart.points] == ["Feb 2024", "Mar 2024", "Apr 2024", "May 2024"]
    assert chart.left_out == ["Jan 2024 (not complete: data from 20 Jan 2024)"]
