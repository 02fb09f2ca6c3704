"""Bad parameters get a clear answer naming the field, never a stack trace."""

from __future__ import annotations

import pytest

from .conftest import add_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(world, client_for):
    add_series(
        facility=world.hospital,
        kpi="readmission_rate_30d",
        numerators=[5, 6, 4, 7, 5, 6],
        denominators=[50, 55, 48, 60, 52, 50],
    )
    add_series(
        facility=world.hospital,
        kpi="occupancy_pct",
        numerators=[110, 90, 95, 100, 97, 99],
        denominators=[100] * 6,
    )
    return client_for(world.users["executive"])


def _base(world):
    return f"/quality/facility/{world.hospital.pk}"


def test_dashboard_with_bad_filters_still_renders_with_the_error(world, client):
    for query in (
        "grain=year",
        "start=March&end=2024-13",
        "rules=western-electric",
        "start=2025-01&end=2024-01",
    ):
        page = client.get(f"{_base(world)}/?{query}")
        assert page.status_code == 200, query
        assert 'class="field-error"' in page.content.decode(), query


BAD_CHART_OPTIONS = [
    ("rules=mdc&chart=p", "Making Data Count rules use the I (XmR) chart only"),
    ("rules=anhoej&chart=c", "choose one of p, pp, i, run"),
    ("rules=anhoej&chart=i&exclude=two", "expected whole point numbers"),
    ("rules=anhoej&chart=xbar", "Select a valid choice"),
    ("freeze=1", "greater than or equal to 2"),
]


def test_kpi_page_explains_bad_chart_options(world, client):
    for query, message in BAD_CHART_OPTIONS:
        page = client.get(f"{_base(world)}/kpi/readmission_rate_30d/?{query}")
        assert page.status_code == 400, query
        assert message in page.content.decode(), query


def test_p_chart_of_occupancy_over_100_percent_is_explained_not_crashed(world, client):
    page = client.get(f"{_base(world)}/kpi/occupancy_pct/?rules=anhoej&chart=p")
    assert page.status_code == 200
    assert "cannot be drawn for these data (Jan 2023)" in page.content.decode()


def test_exports_with_bad_options_answer_400_in_words(world, client):
    for suffix in ("chart.png", "chart.csv"):
        response = client.get(f"{_base(world)}/kpi/readmission_rate_30d/{suffix}?rules=mdc&chart=pp")
        assert response.status_code == 400
        assert "chart" in response.content.decode()


def test_unknown_kpi_and_bad_board_month(world, client):
    assert client.get(f"{_base(world)}/kpi/mortality/").status_code == 404
    page = client.get(f"{_base(world)}/board/?month=last-spring")
    assert page.status_code == 200 and "is not a month" in page.content.decode()


def test_api_kpi_spc_refuses_bad_options_as_problem_json(world, client):
    response = client.get(
        "/api/quality/spc",
        {"kpi": "readmission_rate_30d", "facility_id": world.hospital.pk, "rules": "mdc", "chart": "p"},
    )
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "chart"
    unknown = client.get("/api/quality/spc", {"kpi": "nope", "facility_id": world.hospital.pk})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kpi"
    bad_grain = client.get("/api/quality/values", {"grain": "fortnight"})
    assert bad_grain.status_code == 422 and bad_grain.json()["errors"][0]["field"] == "grain"


def test_adhoc_spc_names_the_bad_row(world, client):
    ok = client.post(
        "/api/quality/spc", {"y": [3, 4, 5, 30, 4, 3, 5], "chart": "c"}, content_type="application/json"
    )
    assert ok.status_code == 200
    # c̄ = 54/7; UCL = c̄ + 3√c̄ ≈ 16.05: only the 30 is outside.
    assert [p["sigma_signal"] for p in ok.json()["points"]] == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
    ]
    assert "above the upper control limit" in ok.json()["signals"][0]["text"]
    bad = client.post(
        "/api/quality/spc",
        {"y": [3, 4, 12], "n": [10, 10, 10], "chart": "p"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {"field": "y", "row": 2, "message": bad.json()["errors"][0]["message"]}
    assert "larger than its denominator" in bad.json()["errors"][0]["message"]
    mismatch = client.post("/api/quality/spc", {"y": [1, 2, 3], "n": [1, 2]}, content_type="application/json")
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "n"
