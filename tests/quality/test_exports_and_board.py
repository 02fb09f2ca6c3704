"""PNG and CSV exports of a KPI chart, and the monthly board summary as HTML and PDF."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pytest

from .conftest import add_series

pytestmark = pytest.mark.django_db

# 24 months of readmissions: 10 of 100 index discharges, then 25 of 100 in the last month.
READMITTED = [10, 11, 9, 10, 12, 8, 10, 11, 9, 10, 10, 11, 9, 10, 12, 8, 10, 11, 9, 10, 10, 11, 9, 25]


@pytest.fixture
def readmissions(world):
    add_series(
        facility=world.hospital, kpi="readmission_rate_30d", numerators=READMITTED, denominators=[100] * 24
    )
    add_series(
        facility=world.hospital,
        kpi="average_length_of_stay",
        numerators=[41 + k % 3 for k in range(24)],
        denominators=[10] * 24,
    )


def test_csv_export_has_one_row_per_period_in_percent(world, client_for, readmissions):
    response = client_for(world.users["executive"]).get(
        f"/quality/facility/{world.hospital.pk}/kpi/readmission_rate_30d/chart.csv?rules=anhoej&chart=p"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "rgh-readmission_rate_30d.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 24
    assert rows[0]["period"] == "2023-01-01" and float(rows[0]["value"]) == pytest.approx(10.0)
    # p̄ = 255 / 2400 (121 + 134 readmissions); the upper limit 3σ above it with n = 100.
    p = 255 / 2400
    assert float(rows[0]["centre_line"]) == pytest.approx(100 * p)
    assert float(rows[0]["upper_limit"]) == pytest.approx(100 * (p + 3 * (p * (1 - p) / 100) ** 0.5))
    assert rows[-1]["outside_limits"] == "True" and rows[-1]["signal"] == "outside limits"


def test_png_export_is_an_image(world, client_for, readmissions):
    response = client_for(world.users["executive"]).get(
        f"/quality/facility/{world.hospital.pk}/kpi/readmission_rate_30d/chart.png"
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n" and len(response.content) > 5000


def test_board_summary_shows_the_month_its_charts_and_signal_sentences(world, client_for, readmissions):
    page = client_for(world.users["executive"]).get(
        f"/quality/facility/{world.hospital.pk}/board/?month=2024-12"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dec 2024" in html
    assert "30-day all-cause readmission rate" in html and "Average length of stay" in html
    assert html.count('src="data:image/png;base64,') == 2
    assert "25.0 %" in html  # the month's value
    assert "Dec 2024: 25.0 % is above the upper process limit: special cause, concern." in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="the PDF is printed by Debian's chromium")
def test_board_summary_pdf_is_one_page(world, client_for, readmissions):
    response = client_for(world.users["executive"]).get(
        f"/quality/facility/{world.hospital.pk}/board.pdf?month=2024-12"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", response.content)) == 1
