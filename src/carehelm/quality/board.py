"""The one-page monthly summary a manager takes to the board, as HTML and as PDF.

Public API:

- ``report_month(user, level) -> date | None``: the last complete month with data (default).
- ``board_summary(user, level, *, month=None, months=24) -> BoardSummary``: the headline KPIs
  (``catalogue.HEADLINE_KPIS`` present at that level), each as a Making Data Count XmR chart of
  the ``months`` months up to ``month`` (PNG via vl-convert, embedded as a data URI so the HTML
  page and the PDF are the same document), the month's value against the previous month and the
  target, the variation and assurance icons, and the signals that touch the last six months.
- ``pdf_from_html(html) -> bytes``: prints the standalone HTML with headless Chromium
  (``CAREHELM_CHROMIUM`` or ``chromium`` on PATH); raises ``PdfUnavailable`` when it cannot.

Why Chromium for the PDF: it is already required (Debian's ``chromium`` runs the browser tests and
.ci/run installs it), it prints the very HTML the page shows, and it needs no new Python or system
package; WeasyPrint would add Pango and a second CSS engine, ReportLab a second layout.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from carehelm.quality import selectors
from carehelm.quality.catalogue import HEADLINE_KPIS
from carehelm.quality.chart_specs import png
from carehelm.quality.control_charts import ChartOptions, KpiChart, period_label
from carehelm.quality.dashboards import Level, kpi_card

RECENT_MONTHS = 6


class PdfUnavailable(RuntimeError):
    pass


@dataclass
class BoardItem:
    chart: KpiChart
    image: str = ""  # data URI of the PNG
    value: float | None = None
    previous: float | None = None
    recent_signals: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class BoardSummary:
    level: Level
    month: dt.date | None
    items: list[BoardItem]
    generated_at: dt.datetime

    @property
    def month_label(self) -> str:
        return period_label(self.month, "month") if self.month else ""


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def report_month(user, level: Level) -> dt.date | None:
    last_day = selectors.latest_period(user, facility=level.facility, unit=level.unit, grain="day")
    if last_day is None:
        return selectors.latest_period(user, facility=level.facility, unit=level.unit, grain="month")
    if (last_day + dt.timedelta(days=1)).month != last_day.month:
        return last_day.replace(day=1)
    return _add_months(last_day.replace(day=1), -1)


def board_summary(
    user, level: Level, *, month: dt.date | None = None, months: int = 24, with_images: bool = True
) -> BoardSummary:
    from django.utils import timezone

    month = month or report_month(user, level)
    items: list[BoardItem] = []
    if month is not None:
        present = set(selectors.kpis_with_data(user, facility=level.facility, unit=level.unit, grain="month"))
        start = _add_months(month, -(months - 1))
        recent_from = _add_months(month, -(RECENT_MONTHS - 1))
        for kpi in HEADLINE_KPIS:
            if kpi not in present:
                continue
            chart = kpi_card(
                user, level, kpi, grain="month", options=ChartOptions(rules="mdc"), start=start, end=month
            )
            item = BoardItem(chart)
            by_period = {p.period: p.value for p in chart.points}
            item.value = by_period.get(month)
            item.previous = by_period.get(_add_months(month, -1))
            item.recent_signals = [
                text
                for text, (_first, last) in zip(chart.signals, chart.signal_spans, strict=True)
                if chart.points[last].period >= recent_from
            ]
            if with_images and chart.points:
                data = png(chart, width=330, height=120, scale=2)
                item.image = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            items.append(item)
    return BoardSummary(level, month, items, timezone.localtime())


def _chromium() -> str | None:
    for candidate in (os.environ.get("CAREHELM_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


def pdf_from_html(html: str, *, timeout: float = 90) -> bytes:
    exe = _chromium()
    if exe is None:
        raise PdfUnavailable(
            "PDF export needs Chromium (Debian package 'chromium'); print the HTML page instead."
        )
    with tempfile.TemporaryDirectory(prefix="carehelm-board-") as tmp:
        source, target = Path(tmp, "board.html"), Path(tmp, "board.pdf")
        source.write_text(html, encoding="utf-8")
        command = [
            exe,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp, 'profile')}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(f"Chromium could not print the summary: {exc}") from exc
        if not target.is_file() or target.stat().st_size == 0:
            raise PdfUnavailable("Chromium did not produce a PDF; print the HTML page instead.")
        return target.read_bytes()
