"""Reads of the quality app, always through ``restrict(user, "view")``.

Public API:

- ``may_see_quality(user)``: whether the Quality pages exist for this user (not for staff-only users).
- ``kpi_values(user) -> QuerySet[KpiValue]``: every stored KPI value the user may see.
- ``facilities_for(user)`` / ``units_for(user)``: where the user may open a dashboard
  (facility dashboards need facility reach; unit dashboards unit or facility reach).
- ``facility_for(user, pk)`` / ``unit_for(user, pk)``: one of those, or ``Http404``.
- ``series(user, *, facility, unit, kpi, grain, start=None, end=None) -> list[KpiValue]``.
- ``kpis_with_data(user, *, facility, unit, grain) -> list[str]``: KPIs that have values there.
- ``target_for(user, *, kpi, facility, unit) -> KpiTarget | None`` and ``targets(user)``.
- ``last_rebuild(user)``: the latest KPI-rebuild Run the user may see.
- ``latest_period(user, *, facility, unit, grain)``: the last period with values.
- ``computed_at(user)``: when the values the user sees were last computed.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Min, Q
from django.http import Http404

from carehelm.accounts.scope import reach
from carehelm.organization.models import Facility, Unit
from carehelm.quality.models import KpiTarget, KpiValue
from carehelm.runs.models import Run


def may_see_quality(user) -> bool:
    r = reach(user, "view")
    return bool(r.everything or r.facility_ids or r.unit_ids)


def kpi_values(user):
    return KpiValue.objects.restrict(user, "view")


def computed_at(user) -> dt.datetime | None:
    """When the KPI values the user sees were last computed."""
    return kpi_values(user).aggregate(m=Max("computed_at"))["m"]


def targets(user):
    return KpiTarget.objects.restrict(user, "view").select_related("facility", "unit")


def facilities_for(user):
    r = reach(user, "view")
    if r.everything:
        return Facility.objects.all()
    return Facility.objects.filter(pk__in=r.facility_ids)


def units_for(user):
    r = reach(user, "view")
    units = Unit.objects.select_related("facility")
    if r.everything:
        return units.all()
    return units.filter(Q(facility_id__in=r.facility_ids) | Q(pk__in=r.unit_ids))


def facility_for(user, pk) -> Facility:
    try:
        return facilities_for(user).get(pk=int(pk))
    except (Facility.DoesNotExist, TypeError, ValueError):
        raise Http404("no such facility, or outside what you may see") from None


def unit_for(user, pk) -> Unit:
    try:
        return units_for(user).get(pk=int(pk))
    except (Unit.DoesNotExist, TypeError, ValueError):
        raise Http404("no such unit, or outside what you may see") from None


def _level(qs, facility: Facility, unit: Unit | None):
    qs = qs.filter(facility=facility)
    return qs.filter(unit=unit) if unit is not None else qs.filter(unit__isnull=True)


def series(
    user,
    *,
    facility: Facility,
    unit: Unit | None,
    kpi: str,
    grain: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[KpiValue]:
    qs = _level(kpi_values(user), facility, unit).filter(kpi=kpi, grain=grain)
    if start is not None:
        qs = qs.filter(period__gte=start)
    if end is not None:
        qs = qs.filter(period__lte=end)
    return list(qs.order_by("period"))


def kpis_with_data(user, *, facility: Facility, unit: Unit | None, grain: str) -> list[str]:
    qs = _level(kpi_values(user), facility, unit).filter(grain=grain)
    return list(qs.values_list("kpi", flat=True).distinct())


def latest_period(user, *, facility: Facility, unit: Unit | None, grain: str) -> dt.date | None:
    return _level(kpi_values(user), facility, unit).filter(grain=grain).aggregate(m=Max("period"))["m"]


def earliest_period(user, *, facility: Facility, unit: Unit | None, grain: str) -> dt.date | None:
    return _level(kpi_values(user), facility, unit).filter(grain=grain).aggregate(m=Min("period"))["m"]


def target_for(user, *, kpi: str, facility: Facility, unit: Unit | None) -> KpiTarget | None:
    return _level(targets(user), facility, unit).filter(kpi=kpi).first()


def last_rebuild(user) -> Run | None:
    return Run.objects.restrict(user, "view").filter(kind="kpi.rebuild").order_by("-created_at").first()
