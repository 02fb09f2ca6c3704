"""Quality pages: the overview, facility and unit SPC dashboards, one KPI's chart with its options,
target and exports (PNG, CSV), the KPI definitions, and the monthly board summary (HTML, PDF).

Views are thin: selectors read (restricted to the user), ``dashboards``/``board`` build the charts,
services write. Bad query parameters show as form errors on the page (400 for exports), never a
stack trace.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from carehelm.quality import board as board_module
from carehelm.quality import selectors, services
from carehelm.quality.catalogue import CHART_LABELS, PRESENTATIONS
from carehelm.quality.chart_specs import png, spc_spec, spec_json
from carehelm.quality.control_charts import RULE_LABELS, ChartOptions
from carehelm.quality.dashboards import Level, dashboard, kpi_card
from carehelm.quality.forms import ChartOptionsForm, DashboardForm, MonthField, TargetForm
from carehelm.validation import InvalidInput, NotAllowed


def _require_quality(request) -> None:
    if not selectors.may_see_quality(request.user):
        raise PermissionDenied


def _level(request, scope: str, pk: int) -> Level:
    _require_quality(request)
    if scope == "facility":
        return Level(selectors.facility_for(request.user, pk))
    if scope == "unit":
        unit = selectors.unit_for(request.user, pk)
        return Level(unit.facility, unit)
    raise Http404


def _kpi(kpi: str):
    if kpi not in PRESENTATIONS:
        raise Http404("no such KPI")
    return PRESENTATIONS[kpi]


@require_GET
def index(request):
    _require_quality(request)
    user = request.user
    units = list(selectors.units_for(user).order_by("facility__name", "name"))
    facilities = list(selectors.facilities_for(user))
    by_facility: dict = {}
    for unit in units:
        by_facility.setdefault(unit.facility, []).append(unit)
    visible_facility_ids = {f.pk for f in facilities}
    rows = [
        {"facility": f, "dashboard": f.pk in visible_facility_ids, "units": us}
        for f, us in by_facility.items()
    ]
    rows += [{"facility": f, "dashboard": True, "units": []} for f in facilities if f not in by_facility]
    return render(
        request,
        "quality/index.html",
        {
            "rows": rows,
            "run": selectors.last_rebuild(user),
            "may_rebuild": services.may_rebuild(user),
            "has_values": selectors.kpi_values(user).exists(),
            "computed_at": selectors.computed_at(user),
        },
    )


@require_POST
def rebuild(request):
    _require_quality(request)
    facility = request.POST.get("facility")
    try:
        ids = [selectors.facility_for(request.user, facility).pk] if facility else None
        run = services.start_kpi_rebuild(actor=request.user, facility_ids=ids)
    except NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("quality-index")
    messages.success(request, "KPI rebuild started; the dashboards update when it finishes.")
    return redirect(f"/quality/?run={run.pk}")


@require_GET
def definitions(request):
    _require_quality(request)
    return render(
        request,
        "quality/definitions.html",
        {
            "items": [(p, p.definition) for p in PRESENTATIONS.values()],
            "chart_labels": CHART_LABELS,
        },
    )


@require_GET
def level_dashboard(request, scope: str, pk: int):
    level = _level(request, scope, pk)
    form = DashboardForm(request.GET or None)
    settings = form.settings()
    charts = dashboard(
        request.user,
        level,
        grain=settings["grain"],
        rules=settings["rules"],
        start=settings["start"],
        end=settings["end"],
    )
    cards = [{"chart": c, "spec": spec_json(spc_spec(c, height=180)) if c.points else None} for c in charts]
    units = []
    if level.unit is None:
        units = list(selectors.units_for(request.user).filter(facility=level.facility).order_by("name"))
    return render(
        request,
        "quality/dashboard.html",
        {
            "level": level,
            "scope": scope,
            "form": form,
            "cards": cards,
            "settings": settings,
            "units": units,
            "query": request.GET.urlencode(),
            "rule_label": RULE_LABELS[settings["rules"]],
            "facility_visible": selectors.facilities_for(request.user).filter(pk=level.facility.pk).exists(),
        },
    )


def _chart_for(request, level: Level, kpi: str):
    """The chart of one KPI with the page's options; (form, chart or None)."""
    pres = _kpi(kpi)
    form = ChartOptionsForm(request.GET or None)
    options = form.options() if request.GET else ChartOptions()
    if options is None:
        return form, None
    settings = form.settings() if request.GET else {"grain": "month", "start": None, "end": None}
    try:
        chart = kpi_card(
            request.user,
            level,
            pres.kpi,
            grain=settings["grain"],
            options=options,
            start=settings["start"],
            end=settings["end"],
        )
    except InvalidInput as exc:
        for problem in exc.problems:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        return form, None
    return form, chart


def kpi_detail(request, scope: str, pk: int, kpi: str):
    level = _level(request, scope, pk)
    pres = _kpi(kpi)
    may_target = services.may_set_target(request.user, level.facility, level.unit)
    target = selectors.target_for(request.user, kpi=kpi, facility=level.facility, unit=level.unit)
    target_form = TargetForm(
        initial={"value": target.value if target else None, "note": target.note if target else ""}
    )
    if request.method == "POST":
        if not may_target:
            raise PermissionDenied
        if request.POST.get("action") == "remove" and target is not None:
            services.delete_target(actor=request.user, target=target)
            messages.success(request, "Target removed.")
            return redirect(request.get_full_path())
        target_form = TargetForm(request.POST)
        if target_form.is_valid():
            try:
                services.set_target(
                    actor=request.user,
                    kpi=kpi,
                    facility=level.facility,
                    unit=level.unit,
                    value=target_form.cleaned_data["value"],
                    note=target_form.cleaned_data["note"],
                )
            except InvalidInput as exc:
                for problem in exc.problems:
                    target_form.add_error(None, str(problem))
            else:
                messages.success(request, "Target saved.")
                return redirect(request.get_full_path())
    elif request.method != "GET":
        return HttpResponse(status=405)
    form, chart = _chart_for(request, level, kpi)
    spec = spec_json(spc_spec(chart, height=300)) if chart is not None and chart.points else None
    return render(
        request,
        "quality/kpi_detail.html",
        {
            "level": level,
            "scope": scope,
            "pres": pres,
            "definition": pres.definition,
            "form": form,
            "chart": chart,
            "spec": spec,
            "target": target,
            "target_form": target_form,
            "may_target": may_target,
            "query": request.GET.urlencode(),
            "chart_labels": CHART_LABELS,
        },
        status=200 if chart is not None or not request.GET else 400,
    )


def _bad_request(form) -> HttpResponseBadRequest:
    lines = [f"{field}: {'; '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponseBadRequest(
        "The chart options are not valid.\n" + "\n".join(lines), content_type="text/plain; charset=utf-8"
    )


@require_GET
def kpi_png(request, scope: str, pk: int, kpi: str):
    level = _level(request, scope, pk)
    form, chart = _chart_for(request, level, kpi)
    if chart is None:
        return _bad_request(form)
    if not chart.points:
        return HttpResponseBadRequest(chart.error or "No data.", content_type="text/plain; charset=utf-8")
    title = f"{chart.pres.title} — {level.name}"
    response = HttpResponse(png(chart, title=title), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{_filename(level, kpi)}.png"'
    return response


@require_GET
def kpi_csv(request, scope: str, pk: int, kpi: str):
    level = _level(request, scope, pk)
    form, chart = _chart_for(request, level, kpi)
    if chart is None:
        return _bad_request(form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(level, kpi)}.csv"'
    writer = csv.writer(response)
    writer.writerow(chart.CSV_COLUMNS)
    writer.writerows(chart.csv_rows())
    return response


def _filename(level: Level, kpi: str) -> str:
    where = level.facility.code + (f"-{level.unit.code}" if level.unit is not None else "")
    return f"{where}-{kpi}".replace('"', "").replace(" ", "_")


def _board_context(request, level: Level) -> dict:
    month = None
    raw = request.GET.get("month")
    error = ""
    if raw:
        try:
            month = MonthField().clean(raw)
        except Exception:  # noqa: BLE001 - any bad month text is answered the same way
            error = f"“{raw}” is not a month; enter it as YYYY-MM. Showing the latest complete month."
    summary = board_module.board_summary(request.user, level, month=month)
    return {"summary": summary, "level": level, "error": error}


@require_GET
def board(request, scope: str, pk: int):
    level = _level(request, scope, pk)
    context = _board_context(request, level)
    context.update(scope=scope, query=request.GET.urlencode())
    return render(request, "quality/board.html", context)


def _inline_css() -> str:
    out = []
    for name in ("carehelm/carehelm.css", "quality/quality.css"):
        path = finders.find(name)
        if path:
            with open(path, encoding="utf-8") as fh:
                out.append(fh.read())
    return "\n".join(out)


@require_GET
def board_pdf(request, scope: str, pk: int):
    level = _level(request, scope, pk)
    context = _board_context(request, level)
    context["inline_css"] = _inline_css()
    html = render_to_string("quality/board_print.html", context, request=request)
    try:
        data = board_module.pdf_from_html(html)
    except board_module.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    month = context["summary"].month
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{_filename(level, 'board')}-{month:%Y-%m}" if month else _filename(level, "board")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
