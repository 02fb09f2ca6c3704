"""Census and bed board pages (thin: selectors read, the organization service writes bed status).

Who sees what: executives and compliance every unit, a facility administrator their facilities'
units, a unit manager their units, a staff member the board of their home unit (visit numbers and
expected discharges only; no encounter lists). Changing an empty bed's status (cleaned, closed,
blocked...) is for those who may change the unit: executive, facility administrator, unit manager.
The ADT intake log is facility-wide: executives, compliance and facility administrators.

Pages: ``/census/`` (``?at=`` replays a past instant), ``/census/<unit id>/`` (bed board, htmx refresh
every 10 s), ``POST /census/beds/<bed id>/status/``, ``/census/feed/`` (ADT intake log).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from carehelm.accounts.scope import reach
from carehelm.activity import selectors
from carehelm.activity.forms import BedStatusForm, CensusAtForm
from carehelm.activity.models import UnitStay
from carehelm.organization.models import Bed
from carehelm.organization.services import set_bed_status
from carehelm.validation import InvalidInput, NotAllowed

REFRESH_SECONDS = 10


def census(request):
    form = CensusAtForm(request.GET or None)
    at = form.cleaned_data.get("at") if form.is_valid() else None
    data = selectors.census_at(at, user=request.user)
    units = {u.code + "@" + u.facility.code: u for u in selectors.census_units(request.user)}
    rows = [{**row, "unit_obj": units.get(row["unit"] + "@" + row["facility"])} for row in data["units"]]
    totals = {
        k: sum(r[k] for r in rows)
        for k in ("occupied", "pending_in", "pending_out", "unavailable", "open", "staffed_beds")
    }
    totals["occupancy_pct"] = (
        round(100.0 * totals["occupied"] / totals["staffed_beds"], 1) if totals["staffed_beds"] else None
    )
    context = {
        "form": form,
        "rows": rows,
        "totals": totals,
        "at": at,
        "replay": at is not None,
        "refresh": REFRESH_SECONDS,
        "may_see_feed": _may_see_feed(request.user),
    }
    template = "activity/_census_table.html" if request.htmx else "activity/census.html"
    return render(request, template, context)


def _may_see_feed(user) -> bool:
    """The intake log is facility-wide: executives, compliance and facility administrators."""
    r = reach(user, "view")
    return r.everything or bool(r.facility_ids)


def feed_log(request):
    if not _may_see_feed(request.user):
        raise PermissionDenied("the ADT intake log is for facility administrators and executives")
    status = request.GET.get("status") or None
    if status not in (None, "applied", "refused", "duplicate"):
        status = None
    rows = list(selectors.adt_log(request.user, status=status))
    return render(request, "activity/adt_log.html", {"rows": rows, "status": status})


def _visible_unit(request, unit_id):
    return get_object_or_404(selectors.census_units(request.user).select_related("facility"), pk=unit_id)


def _may_change(user, unit) -> bool:
    r = reach(user, "change")
    return r.everything or unit.facility_id in r.facility_ids or unit.pk in r.unit_ids


def bed_board(request, unit_id: int):
    unit = _visible_unit(request, unit_id)
    summary = next(
        (
            r
            for r in selectors.census_at(None, user=request.user, facility=unit.facility)["units"]
            if r["unit"] == unit.code
        ),
        None,
    )
    context = {
        "unit": unit,
        "summary": summary,
        "tiles": selectors.bed_board(unit),
        "unplaced": selectors.unplaced_in_unit(unit),
        "now": timezone.now(),
        "refresh": REFRESH_SECONDS,
        "may_change": _may_change(request.user, unit),
        "status_form": BedStatusForm(),
    }
    template = "activity/_bed_board.html" if request.htmx else "activity/bed_board.html"
    return render(request, template, context)


def bed_status(request, bed_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    bed = get_object_or_404(
        Bed.objects.restrict(request.user, "view").select_related("room__unit"), pk=bed_id
    )
    unit = bed.room.unit
    if not selectors.census_units(request.user).filter(pk=unit.pk).exists():
        raise Http404
    form = BedStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a bed status.")
    elif UnitStay.objects.filter(bed=bed, end_at__isnull=True).exists():
        messages.error(request, f"Bed {bed} has a patient in it; its status follows the ADT feed.")
    else:
        try:
            set_bed_status(
                actor=request.user,
                bed=bed,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed:
            raise PermissionDenied("you may not change beds in this unit") from None
        except InvalidInput as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Bed {bed} is now {bed.get_status_display().lower()}.")
    return redirect("bed-board", unit_id=unit.pk)
