"""Writes of the quality app: rebuilding the stored KPI values and setting KPI targets.

Public API (keyword-only, one transaction each, audited):

- ``rebuild_kpis(*, actor=None, facility_ids=None, frames=None, as_of=None, run_id=None) -> dict``
  recomputes every KPI of the facilities with the KPI engine and replaces their ``KpiValue`` rows
  (all or nothing). ``frames`` (an ``ActivityFrames``) skips reading the activity tables, for
  tests and imports that already hold the data. With ``run_id`` progress goes to that Run and a
  cancel request stops the rebuild with nothing changed; ``on_progress(fraction, message)`` is
  called as it goes (the CLI's progress bar).
- ``start_kpi_rebuild(*, actor, facility_ids=None) -> Run``: queue ``tasks.rebuild_kpis_task``.
- ``set_target(*, actor, kpi, facility, unit=None, value, note="") -> KpiTarget`` and
  ``delete_target(*, actor, target)``.
- ``may_rebuild(user, facility_ids)``, ``may_set_target(user, facility, unit)``.

Why stored rather than computed per page view: on the demo's two years (172,000 encounters,
184,000 unit stays) the engine takes about 2.6 s and reading the activity tables several more
(bench/results/quality.md); a dashboard draws a dozen charts and is opened far more often than
activity changes, so the rebuild runs as a background task and every page reads indexed rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from carehelm.accounts.scope import reach
from carehelm.audit.services import record
from carehelm.engines.kpi import KPI_DEFINITIONS, KpiInputError, compute_kpis
from carehelm.organization.models import Facility, Unit
from carehelm.quality.models import KpiTarget, KpiValue
from carehelm.quality.sources import ActivityFrames, activity_frames
from carehelm.runs import services as runs
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed

log = logging.getLogger(__name__)
INSERT_BATCH = 5_000


_INSERT_COLUMNS = (
    "grain",
    "period",
    "facility_id",
    "unit_id",
    "kpi",
    "numerator",
    "denominator",
    "value",
    "computed_at",
)


def _insert_sql() -> str:
    qn = connection.ops.quote_name
    return (
        f"INSERT INTO {qn(KpiValue._meta.db_table)} ({', '.join(qn(c) for c in _INSERT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))})"
    )


def may_rebuild(user, facility_ids: Iterable[int] | None = None) -> bool:
    """Executives and facility admins rebuild the KPIs of their facilities (a whole-facility job)."""
    r = reach(user, "manage")
    if r.everything:
        return True
    if facility_ids is None:
        return bool(r.facility_ids)
    return bool(r.facility_ids) and set(facility_ids) <= set(r.facility_ids)


def may_set_target(user, facility: Facility, unit: Unit | None) -> bool:
    """Unit managers set their units' targets; facility admins and executives any in reach."""
    r = reach(user, "change")
    if r.everything or facility.pk in r.facility_ids:
        return True
    return unit is not None and unit.pk in r.unit_ids


def _finite(value) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def rebuild_kpis(
    *,
    actor=None,
    facility_ids: Iterable[int] | None = None,
    frames: ActivityFrames | None = None,
    as_of=None,
    run_id: int | None = None,
    on_progress: Callable[[float, str], None] | None = None,
) -> dict:
    if facility_ids is None:
        facility_ids = list(Facility.objects.values_list("pk", flat=True))
    facility_ids = sorted(set(facility_ids))
    if actor is not None and not may_rebuild(actor, facility_ids):
        raise NotAllowed("Only executives and facility admins rebuild KPIs, for their own facilities.")

    def progress(fraction: float, message: str) -> None:
        if on_progress is not None:
            on_progress(fraction, message)
        if run_id is not None:
            runs.report(run_id, progress=fraction, message=message)

    progress(0.02, "reading activity")
    if frames is None:
        frames = activity_frames(facility_ids)
    facilities = {
        code: pk for pk, code in Facility.objects.filter(pk__in=facility_ids).values_list("pk", "code")
    }

    def engine_progress(step: int, steps: int, label: str) -> None:
        progress(0.1 + 0.5 * step / steps, f"computing KPIs: {label}")

    if frames.empty:
        rows = None
    else:
        try:
            rows = compute_kpis(
                frames.encounters,
                frames.unit_stays,
                frames.staffed_beds,
                as_of=as_of,
                on_progress=engine_progress,
            )
        except KpiInputError as exc:
            raise InvalidInput(
                [FieldProblem(field=exc.field or "activity", message=str(exc), row=exc.row, file=exc.source)],
                title="The activity data cannot be turned into KPIs; nothing was changed.",
            ) from exc
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    values: list[tuple] = []
    skipped_units: set[str] = set()
    if rows is not None:
        for grain, period, facility, unit, kpi, num, den, value in rows.itertuples(index=False, name=None):
            facility_id = facilities.get(facility)
            if facility_id is None:
                continue
            unit_id = None
            if unit is not None:
                unit_id = frames.unit_ids.get((facility, unit))
                if unit_id is None:  # activity without a configured unit: in the facility total only
                    skipped_units.add(f"{facility}/{unit}")
                    continue
            period_value = ops.adapt_datefield_value(dt.date.fromisoformat(period))
            values.append(
                (
                    grain,
                    period_value,
                    facility_id,
                    unit_id,
                    kpi,
                    _finite(num),
                    _finite(den),
                    _finite(value),
                    now,
                )
            )
    progress(0.65, f"saving {len(values):,} KPI values")
    with transaction.atomic():
        # Raw delete and executemany: 4x faster than delete()/bulk_create() on 100,000+ rows
        # (bench/results/quality.md), and KpiValue has no signals, history or dependants to honour.
        KpiValue.objects.filter(facility_id__in=facility_ids)._raw_delete(KpiValue.objects.db)
        with connection.cursor() as cursor:
            for start in range(0, len(values), INSERT_BATCH):
                cursor.executemany(_insert_sql(), values[start : start + INSERT_BATCH])
                progress(
                    0.65 + 0.35 * min(1.0, (start + INSERT_BATCH) / max(1, len(values))),
                    f"saved {min(start + INSERT_BATCH, len(values)):,} of {len(values):,} KPI values",
                )
        for facility_id in facility_ids:
            record(
                action="quality.kpis_rebuilt",
                summary=f"KPIs rebuilt ({len(values):,} values)",
                object_type="quality.kpivalue",
                object_id="",
                facility_id=facility_id,
                actor=actor,
            )
    result = {
        "values": len(values),
        "facilities": len(facility_ids),
        "encounters": int(len(frames.encounters)),
    }
    if skipped_units:
        result["units_not_configured"] = sorted(skipped_units)
    return result


def start_kpi_rebuild(*, actor, facility_ids: Iterable[int] | None = None):
    """Queue a rebuild as a background task with a Run the page can follow and cancel."""
    from carehelm.quality.tasks import rebuild_kpis_task

    ids = sorted(set(facility_ids)) if facility_ids is not None else None
    if not may_rebuild(actor, ids):
        raise NotAllowed("Only executives and facility admins rebuild KPIs, for their own facilities.")
    if ids is None and not reach(actor, "manage").everything:
        ids = sorted(reach(actor, "manage").facility_ids)
    single = ids[0] if ids and len(ids) == 1 else None
    run = runs.start_run(kind="kpi.rebuild", title="KPI rebuild", actor=actor, facility_id=single)
    # Not obj=run: audit's _scope_of follows ``unit_id`` to a ``unit`` attribute a Run does not have.
    record(
        action="quality.kpi_rebuild_started",
        object_type="runs.run",
        object_id=str(run.pk),
        summary="KPI rebuild queued",
        facility_id=single,
        actor=actor,
    )
    result = rebuild_kpis_task.enqueue(run_id=run.pk, facility_ids=ids, actor_id=getattr(actor, "pk", None))
    run.task_id = str(getattr(result, "id", ""))[:64]
    run.save(update_fields=["task_id"])
    run.refresh_from_db()
    return run


def _check_target(kpi: str, facility: Facility, unit: Unit | None, value) -> float:
    problems = []
    if kpi not in KPI_DEFINITIONS:
        problems.append(FieldProblem(field="kpi", message=f"unknown KPI {kpi!r}", value=str(kpi)))
    if unit is not None and unit.facility_id != facility.pk:
        problems.append(
            FieldProblem(field="unit", message=f"unit {unit.code} is not in facility {facility.code}")
        )
    number = None
    try:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(
            FieldProblem(field="value", message="a target must be a finite number", value=str(value))
        )
    if problems:
        raise InvalidInput(problems, title="The target is not valid; nothing was saved.")
    return number  # type: ignore[return-value]


@transaction.atomic
def set_target(
    *, actor, kpi: str, facility: Facility, unit: Unit | None = None, value, note: str = ""
) -> KpiTarget:
    number = _check_target(kpi, facility, unit, value)
    if not may_set_target(actor, facility, unit):
        raise NotAllowed("You may set targets only for the units and facilities you manage.")
    target = KpiTarget.objects.filter(kpi=kpi, facility=facility, unit=unit).first()
    before = None if target is None else target.value
    if target is None:
        target = KpiTarget(kpi=kpi, facility=facility, unit=unit)
    target.value, target.note = number, note[:300]
    target.updated_by = actor if getattr(actor, "pk", None) else None
    target.save()
    where = unit.code if unit is not None else facility.code
    record(
        action="quality.target_set",
        obj=target,
        summary=f"Target for {kpi} in {where} set to {number:g}",
        changes={"value": [before, number]},
        facility_id=facility.pk,
        unit_id=getattr(unit, "pk", None),
    )
    return target


@transaction.atomic
def delete_target(*, actor, target: KpiTarget) -> None:
    if not may_set_target(actor, target.facility, target.unit):
        raise NotAllowed("You may remove targets only for the units and facilities you manage.")
    record(
        action="quality.target_removed",
        obj=target,
        summary=f"Target for {target.kpi} removed",
        changes={"value": [target.value, None]},
        facility_id=target.facility_id,
        unit_id=target.unit_id,
    )
    target.delete()
