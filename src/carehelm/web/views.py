"""Home dashboard and the error pages. Views are thin: selectors read, templates show."""

from __future__ import annotations

from collections import Counter

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carehelm.organization.models import Facility, Unit
from carehelm.web import charts
from carehelm.workforce import selectors as workforce
from carehelm.workforce.models import Staff


def home(request):
    user = request.user
    today = workforce.today()
    facilities = Facility.objects.restrict(user, "view").prefetch_related("units")
    units = Unit.objects.restrict(user, "view").select_related("facility")
    staff = Staff.objects.restrict(user, "view").filter(active=True)
    counts, chart_rows = workforce.credential_overview(user, on=today)
    # Count over plain rows: restrict() may add DISTINCT, and a DISTINCT over (facility, name) would
    # count two people with the same name once.
    staff_by_facility = Counter(
        Staff.objects.filter(pk__in=staff.values("pk")).values_list("home_unit__facility_id", flat=True))
    unit_counts = Counter(Unit.objects.filter(pk__in=units.values("pk")).values_list("facility_id", flat=True))
    facility_cards = [
        {"facility": f, "units": unit_counts.get(f.pk, 0), "staff": staff_by_facility.get(f.pk, 0)} for f in facilities
    ]
    own = Staff.objects.filter(user=user).select_related("job_role", "home_unit").first()
    return render(request, "web/home.html", {
        "facility_cards": facility_cards,
        "unit_count": units.count(),
        "staff_count": staff.count(),
        "counts": counts,
        "chart_spec": charts.credential_status_by_unit(chart_rows) if chart_rows else None,
        "own_staff": own,
        "today": today,
    })


@require_GET
def healthz(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def forbidden(request, exception=None):
    return render(request, "web/error.html", {"code": 403, "title": "Not allowed",
                                              "text": "Your role does not give you access to this page."}, status=403)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # Scripts reading the API expect problem+json for every error, unknown addresses included.
        from carehelm.api.problems import problem

        return problem(request, 404, "Not found.", kind="not-found", detail="There is no such API address.")
    return render(request, "web/error.html", {"code": 404, "title": "Not found",
                                              "text": "There is no such page, or it is outside what you may see."},
                  status=404)


def server_error(request):
    return render(request, "web/error.html", {"code": 500, "title": "Something went wrong",
                                              "text": "The error has been logged. Please try again or tell your administrator."},
                  status=500)
