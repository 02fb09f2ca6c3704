"""Quality API, mounted at /api/quality: KPI definitions, stored KPI values, SPC of a KPI series,
ad-hoc SPC of any series, KPI targets and the KPI rebuild.

Every read goes through the quality selectors (restricted to the caller), and the SPC of a KPI is
built by ``dashboards.kpi_card`` — the very function behind the dashboards and the CSV/PNG
exports — so the API, the page and the exports always agree. Errors are problem+json: 422 with
field (and row) detail for bad parameters or series, 404 for what is outside the caller's reach.

``GET /spc`` and ``POST /spc`` take the options of ``carehelm spc``: chart, rules, freeze, part
(repeatable or comma-separated), exclude, screen_mr, improvement, target.
"""

import datetime as dt
import math

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from carehelm.engines.kpi import KPI_DEFINITIONS
from carehelm.engines.spc import SpcInputError, spc
from carehelm.quality import selectors, services
from carehelm.quality.catalogue import PRESENTATIONS
from carehelm.quality.control_charts import ChartOptions
from carehelm.quality.dashboards import Level, kpi_card
from carehelm.quality.models import Grain, KpiTarget
from carehelm.validation import FieldProblem, InvalidInput

router = Router(tags=["quality"])
MAX_ADHOC_POINTS = 100_000


class DefinitionOut(Schema):
    name: str
    title: str
    numerator: str
    denominator: str
    exclusions: str
    source_fields: list[str]
    unit_of_measure: str
    grains: list[str]
    levels: list[str]
    default_chart: str
    charts: list[str]
    improvement: str


class KpiValueOut(Schema):
    grain: str
    period: dt.date
    facility_id: int
    unit_id: int | None
    kpi: str
    numerator: float | None
    denominator: float | None
    value: float | None
    computed_at: dt.datetime


class TargetOut(Schema):
    id: int
    kpi: str
    facility_id: int
    unit_id: int | None
    value: float
    note: str
    updated_at: dt.datetime


class TargetIn(Schema):
    kpi: str
    facility_id: int
    unit_id: int | None = None
    value: float
    note: str = ""


class RebuildIn(Schema):
    facility_id: int | None = None


class RunRef(Schema):
    id: int
    status: str
    progress: float
    url: str


class AdhocSpcIn(Schema):
    y: list[float | None] = Field(
        ..., description="one value per row (null = missing); counts for p, pp, c, u, up"
    )
    x: list[str | float | None] | None = Field(None, description="subgroup key per row (dates sort as text)")
    n: list[float | None] | None = Field(
        None, description="denominator per row (p, pp, u, up; optional for i)"
    )
    chart: str = "i"
    rules: str = "anhoej"
    freeze: int | None = None
    part: list[int] = []
    exclude: list[int] = []
    screen_mr: bool = False
    improvement: str = "increase"
    target: float | None = None


class SpcPartOut(Schema):
    part: int
    n_useful: int | None
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    runs_signal: bool


class KpiSpcPointOut(Schema):
    x: str = Field(..., description="first day of the period")
    label: str
    y: float | None = Field(..., description="in the KPI's unit of measure (percentages ×100)")
    numerator: float | None
    denominator: float | None
    cl: float | None
    lcl: float | None
    ucl: float | None
    part: int
    baseline: bool
    included: bool
    sigma_signal: bool
    special_cause: str | None
    signal: str = Field(
        ..., description="common cause, improvement, concern, neutral, outside limits, unusual run"
    )


class KpiSpcOut(Schema):
    kpi: str
    title: str
    unit_of_measure: str
    grain: str
    chart: str
    rules: str
    improvement: str
    target: float | None
    scale: float
    points: list[KpiSpcPointOut]
    parts: list[SpcPartOut]
    variation_icon: str | None
    assurance_icon: str | None
    signals: list[str] = Field(..., description="each signal in plain words")
    left_out: list[str] = Field(..., description="periods not charted, and why")
    error: str | None = Field(..., description="why no chart could be drawn, if none was")


class AdhocPointOut(Schema):
    x: str | float | int | None
    y: float | None
    cl: float | None
    lcl: float | None
    ucl: float | None
    part: int
    baseline: bool
    included: bool
    sigma_signal: bool
    special_cause: str | None
    rule: str | None
    direction: int
    near_lcl: float | None
    near_ucl: float | None
    rows: list[int]


class SignalOut(Schema):
    kind: str
    part: int
    first: int
    last: int
    x_first: str | float | int | None
    x_last: str | float | int | None
    verdict: str
    text: str


class AdhocSpcOut(Schema):
    chart: str
    rules: str
    points: list[AdhocPointOut]
    parts: list[SpcPartOut]
    variation_icon: str | None
    assurance_icon: str | None
    signals: list[SignalOut]


def _definition(name: str) -> dict:
    pres = PRESENTATIONS[name]
    d = KPI_DEFINITIONS[name].as_dict()
    d.update(default_chart=pres.default_chart, charts=list(pres.charts), improvement=pres.improvement)
    return d


@router.get("/definitions", response=list[DefinitionOut])
def list_definitions(request):
    """Every KPI's written definition: numerator, denominator, exclusions, source fields."""
    return [_definition(name) for name in PRESENTATIONS]


@router.get("/definitions/{kpi}", response=DefinitionOut)
def get_definition(request, kpi: str):
    if kpi not in PRESENTATIONS:
        from django.http import Http404

        raise Http404
    return _definition(kpi)


def _check_kpi_and_grain(kpi: str | None, grain: str | None) -> None:
    problems = []
    if kpi and kpi not in PRESENTATIONS:
        problems.append(
            FieldProblem(field="kpi", value=kpi, message="unknown KPI; see /api/quality/definitions")
        )
    if grain and grain not in Grain.values:
        problems.append(FieldProblem(field="grain", value=grain, message="choose day, week or month"))
    if problems:
        raise InvalidInput(problems, title="The query is not valid.")


@router.get("/values", response=list[KpiValueOut])
@paginate(LimitOffsetPagination)
def list_values(
    request,
    facility_id: int | None = None,
    unit_id: int | None = None,
    level: str = "",
    kpi: str = "",
    grain: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
):
    """Stored KPI values you may see. ``level=facility`` gives facility totals only, ``level=unit``
    unit rows only; ``start``/``end`` bound the period (its first day), inclusive."""
    _check_kpi_and_grain(kpi, grain)
    if level not in ("", "facility", "unit"):
        raise InvalidInput([FieldProblem(field="level", value=level, message="choose facility or unit")])
    qs = selectors.kpi_values(request.auth)
    if facility_id is not None:
        qs = qs.filter(facility_id=facility_id)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if level:
        qs = qs.filter(unit__isnull=(level == "facility"))
    if kpi:
        qs = qs.filter(kpi=kpi)
    if grain:
        qs = qs.filter(grain=grain)
    if start is not None:
        qs = qs.filter(period__gte=start)
    if end is not None:
        qs = qs.filter(period__lte=end)
    return qs.order_by("facility_id", "unit_id", "kpi", "grain", "period")


def _level(request, facility_id: int, unit_id: int | None) -> Level:
    facility = selectors.facility_for(request.auth, facility_id) if unit_id is None else None
    if unit_id is not None:
        unit = selectors.unit_for(request.auth, unit_id)
        if unit.facility_id != facility_id:
            raise InvalidInput([FieldProblem(field="unit_id", message="the unit is not in that facility")])
        return Level(unit.facility, unit)
    return Level(facility)


@router.get("/spc", response=KpiSpcOut)
def kpi_spc(
    request,
    kpi: str,
    facility_id: int,
    unit_id: int | None = None,
    grain: str = "month",
    start: dt.date | None = None,
    end: dt.date | None = None,
    chart: str = "",
    rules: str = "mdc",
    freeze: int | None = None,
    part: list[str] = Query(None),
    exclude: list[str] = Query(None),
    screen_mr: bool = False,
    improvement: str = "",
    target: float | None = None,
):
    """The SPC chart of one stored KPI series, as drawn on the dashboard: points in the KPI's unit of
    measure (percentages ×100), limits, signals in words, icons. ``unit_id`` omitted = facility level."""
    _check_kpi_and_grain(kpi, grain)
    level = _level(request, facility_id, unit_id)
    options = ChartOptions.parse(
        chart=chart,
        rules=rules,
        freeze=freeze,
        parts=part,
        exclude=exclude,
        screen_mr=screen_mr,
        improvement=improvement,
        target=target,
    )
    result = kpi_card(request.auth, level, kpi, grain=grain, options=options, start=start, end=end)
    return result.to_dict()


@router.post("/spc", response=AdhocSpcOut)
def adhoc_spc(request, payload: AdhocSpcIn):
    """Any series through the SPC engine (the ``carehelm spc --json`` document plus the explained
    signals); bad rows answer 422 naming the row (0-based) and field."""
    size = len(payload.y)
    problems = []
    if size == 0:
        problems.append(FieldProblem(field="y", message="no values"))
    if size > MAX_ADHOC_POINTS:
        problems.append(FieldProblem(field="y", message=f"at most {MAX_ADHOC_POINTS:,} rows"))
    for name in ("x", "n"):
        values = getattr(payload, name)
        if values is not None and len(values) != size:
            problems.append(FieldProblem(field=name, message=f"has {len(values)} rows; y has {size}"))
    if payload.target is not None and not math.isfinite(payload.target):
        problems.append(FieldProblem(field="target", message="must be a finite number"))
    if problems:
        raise InvalidInput(problems, title="The series is not valid.")
    try:
        result = spc(
            payload.y,
            payload.x,
            payload.n,
            chart=payload.chart,
            freeze=payload.freeze,
            parts=payload.part,
            exclude=payload.exclude,
            screen_mr=payload.screen_mr,
            rules=payload.rules,
            improvement=payload.improvement,
            target=payload.target,
        )
    except SpcInputError as exc:
        raise InvalidInput(
            [FieldProblem(field=exc.field or "options", message=str(exc), row=exc.row)],
            title="The series cannot be charted.",
        ) from exc
    return result.to_dict(extended=True)


@router.get("/targets", response=list[TargetOut])
def list_targets(request, facility_id: int | None = None, unit_id: int | None = None, kpi: str = ""):
    qs = selectors.targets(request.auth)
    if facility_id is not None:
        qs = qs.filter(facility_id=facility_id)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if kpi:
        qs = qs.filter(kpi=kpi)
    return qs


@router.put("/targets", response=TargetOut)
def put_target(request, payload: TargetIn):
    """Create or replace the target of a KPI in a facility (``unit_id`` null) or unit."""
    level = _level(request, payload.facility_id, payload.unit_id)
    return services.set_target(
        actor=request.auth,
        kpi=payload.kpi,
        facility=level.facility,
        unit=level.unit,
        value=payload.value,
        note=payload.note,
    )


@router.delete("/targets/{target_id}", response={204: None})
def delete_target(request, target_id: int):
    target = get_object_or_404(KpiTarget.objects.restrict(request.auth, "view"), pk=target_id)
    services.delete_target(actor=request.auth, target=target)
    return 204, None


@router.post("/rebuild", response={202: RunRef})
def rebuild(request, payload: RebuildIn):
    """Queue a KPI rebuild (executives: all facilities or one; facility admins: theirs)."""
    ids = [selectors.facility_for(request.auth, payload.facility_id).pk] if payload.facility_id else None
    run = services.start_kpi_rebuild(actor=request.auth, facility_ids=ids)
    return 202, {"id": run.pk, "status": run.status, "progress": run.progress, "url": f"/api/runs/{run.pk}"}
