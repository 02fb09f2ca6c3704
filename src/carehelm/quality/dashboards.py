"""Building the SPC charts of a facility or unit from stored KPI values, for pages, exports and the API.

Public API:

- ``Level(facility, unit)``: where a dashboard looks (``unit`` None = the facility's own figures).
- ``kpi_card(user, level, kpi, *, grain, options, start=None, end=None) -> KpiChart``: one KPI's
  chart, with the stored target applied (``options.target`` overrides it); a trailing period the
  data do not yet cover (this month so far) is left out and listed in ``left_out``.
- ``dashboard(user, level, *, grain, rules, start=None, end=None) -> list[KpiChart]``: every KPI
  with values at that level and grain, in catalogue order, each with its default chart.
- ``date_range(grain, start, end)``: the period filter for month inputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carehelm.organization.models import Facility, Unit
from carehelm.quality import selectors
from carehelm.quality.catalogue import PRESENTATIONS, presentation
from carehelm.quality.control_charts import ChartOptions, KpiChart, kpi_chart, period_label
from carehelm.quality.forms import month_end


@dataclass(frozen=True)
class Level:
    facility: Facility
    unit: Unit | None = None

    @property
    def name(self) -> str:
        return self.unit.name if self.unit is not None else self.facility.name

    @property
    def path(self) -> str:
        return (
            f"/quality/unit/{self.unit.pk}/"
            if self.unit is not None
            else f"/quality/facility/{self.facility.pk}/"
        )


def date_range(
    grain: str, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    # A month range includes every day and week starting in its last month.
    return start, (month_end(end) if end is not None else None)


def period_last_day(period: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return month_end(period)
    if grain == "week":
        return period + dt.timedelta(days=6)
    return period


def kpi_card(
    user,
    level: Level,
    kpi: str,
    *,
    grain: str,
    options: ChartOptions,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> KpiChart:
    """One KPI's chart. A period the data do not cover from its first to its last day (this month
    so far, or the month in which the history begins) is left out and named: a part-month of
    admissions would read as a fall, and be flagged as special cause."""
    pres = presentation(kpi)
    start, end = date_range(grain, start, end)
    rows = selectors.series(
        user, facility=level.facility, unit=level.unit, kpi=kpi, grain=grain, start=start, end=end
    )
    target = selectors.target_for(user, kpi=kpi, facility=level.facility, unit=level.unit)
    data_end = selectors.latest_period(user, facility=level.facility, unit=level.unit, grain="day")
    data_start = selectors.earliest_period(user, facility=level.facility, unit=level.unit, grain="day")
    incomplete = []
    if data_end is not None and grain != "day":
        incomplete = [r for r in rows if period_last_day(r.period, grain) > data_end]
        rows = [r for r in rows if period_last_day(r.period, grain) <= data_end]
    leading = []
    if data_start is not None and grain != "day":
        # Only the period the history begins in is part-covered; one wholly before it has no day data
        # behind it (values loaded at month grain only) and is shown as it is.
        leading = [r for r in rows if r.period < data_start <= period_last_day(r.period, grain)]
        rows = [r for r in rows if r not in leading]
    chart = kpi_chart(rows, pres, options, grain=grain, target=target.value if target else None)
    chart.left_out += [
        f"{period_label(r.period, grain)} (not complete: data from {data_start:%d %b %Y})" for r in leading
    ] + [f"{period_label(r.period, grain)} (not complete: data to {data_end:%d %b %Y})" for r in incomplete]
    return chart


def dashboard(
    user, level: Level, *, grain: str, rules: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[KpiChart]:
    present = set(selectors.kpis_with_data(user, facility=level.facility, unit=level.unit, grain=grain))
    return [
        kpi_card(user, level, kpi, grain=grain, options=ChartOptions(rules=rules), start=start, end=end)
        for kpi in PRESENTATIONS
        if kpi in present
    ]
