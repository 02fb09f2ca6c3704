"""Staff directory, staff detail, credential board, imports. Thin: selectors read, services write."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from carehelm.accounts.scope import can
from carehelm.audit.selectors import events_for
from carehelm.organization.models import Facility, Unit
from carehelm.validation import InvalidInput, NotAllowed
from carehelm.workforce import selectors, services
from carehelm.workforce import status as cs
from carehelm.workforce.forms import CredentialForm, ImportForm, VerificationForm
from carehelm.workforce.models import EmploymentType, JobRole, Staff, StaffCredential


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def staff_list(request):
    f = request.GET
    qs = selectors.staff_list(request.user, q=f.get("q", "").strip(), facility=_int(f.get("facility")),
                              unit=_int(f.get("unit")), job_role=f.get("role", ""),
                              employment_type=f.get("employment", ""),
                              active=None if f.get("include_inactive") else True)
    page = Paginator(qs, 50).get_page(f.get("page"))
    return render(request, "workforce/staff_list.html", {
        "page": page,
        "facilities": Facility.objects.restrict(request.user, "view"),
        "units": Unit.objects.restrict(request.user, "view").select_related("facility"),
        "roles": JobRole.objects.all(),
        "employment_types": EmploymentType.choices,
        "f": f,
        "querystring": _without_page(f),
        "can_import": can(request.user, "add"),
    })


def _without_page(query) -> str:
    q = query.copy()
    q.pop("page", None)
    return q.urlencode()


def staff_detail(request, staff_id: int):
    staff = get_object_or_404(
        Staff.objects.restrict(request.user, "view").select_related("job_role", "job_role__next_role", "home_unit",
                                                                     "home_unit__facility", "user"),
        pk=staff_id,
    )
    today = selectors.today()
    creds = [(c, cs.status_of(c, today)) for c in staff.credentials.select_related("credential_type", "verified_by")]
    missing = selectors.missing_required_credentials(Staff.objects.filter(pk=staff.pk))
    may_change = Staff.objects.restrict(request.user, "change").filter(pk=staff.pk).exists()
    may_verify = Staff.objects.restrict(request.user, "verify").filter(pk=staff.pk).exists()
    return render(request, "workforce/staff_detail.html", {
        "staff": staff,
        "creds": creds,
        "missing": missing,
        "gap": selectors.development_gap(staff, on=today),
        "events": events_for(request.user, staff_id=staff.pk)[:50],
        "may_change": may_change,
        "may_verify": may_verify,
        "credential_form": CredentialForm(),
        "verification_form": VerificationForm(),
        "float_units": staff.float_units.all(),
        "skills": staff.skills.all(),
    })


@require_POST
def credential_record(request, staff_id: int):
    staff = get_object_or_404(Staff.objects.restrict(request.user, "view"), pk=staff_id)
    form = CredentialForm(request.POST)
    if form.is_valid():
        try:
            cred = services.record_credential(actor=request.user, **form.cleaned_data, staff=staff)
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_error(p.field if p.field in form.fields else None, p.message)
        except NotAllowed as exc:
            messages.error(request, str(exc))
            return redirect("staff-detail", staff.pk)
        else:
            messages.success(request, f"{cred.credential_type.name} recorded for {staff.full_name}, "
                                      f"valid until {cred.expires_on or 'no expiry'}. It awaits primary-source verification.")
            return redirect("staff-detail", staff.pk)
    messages.error(request, "The credential was not saved: " + "; ".join(
        f"{(form.fields[k].label or k.replace('_', ' ')) if k in form.fields else 'form'}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("staff-detail", staff.pk)


@require_POST
def credential_verify(request, credential_id: int):
    cred = get_object_or_404(selectors.credentials_for(request.user), pk=credential_id)
    form = VerificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Verification not recorded: name the primary source you checked.")
        return redirect("staff-detail", cred.staff_id)
    try:
        services.verify_credential(actor=request.user, credential=cred, **form.cleaned_data)
    except (InvalidInput, NotAllowed) as exc:
        messages.error(request, f"Verification not recorded: {exc}")
    else:
        messages.success(request, f"{cred.credential_type.name} of {cred.staff.full_name}: {form.cleaned_data['result']}.")
    return redirect("staff-detail", cred.staff_id)


def expiry_board(request):
    f = request.GET
    within = _int(f.get("within")) or 90
    within = within if within in (7, 30, 60, 90) else 90
    status = f.get("status", "")
    statuses = {status} if status in (cs.EXPIRED, cs.EXPIRING, cs.UNVERIFIED, cs.MISSING) else None
    rows = selectors.expiry_board(request.user, facility=_int(f.get("facility")), unit=_int(f.get("unit")),
                                  within=within, statuses=statuses)
    if f.get("format") == "csv":
        return _board_csv(rows)
    return render(request, "workforce/expiry_board.html", {
        "rows": rows,
        "f": f,
        "within": within,
        "status": status,
        "facilities": Facility.objects.restrict(request.user, "view"),
        "units": Unit.objects.restrict(request.user, "view").select_related("facility"),
        "querystring": f.urlencode(),
    })


def _board_csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="credential-expiry-board.csv"'
    writer = csv.writer(response)
    writer.writerow(["employee_number", "name", "facility", "unit", "job_role", "credential", "number", "expires_on",
                     "days_left", "status", "verification"])
    for r in rows:
        writer.writerow([_safe_cell(v) for v in [
            r.staff.employee_number, r.staff.full_name, r.staff.home_unit.facility.code, r.staff.home_unit.code,
            r.staff.job_role.code if hasattr(r.staff, "job_role") else "", r.credential_type.code,
            r.credential.number if r.credential else "", r.credential.expires_on if r.credential else "",
            "" if r.status.days_left is None else r.status.days_left, r.status.status,
            (r.credential.verification_result or "unverified") if r.credential else "",
        ]])
    return response


def _safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (names and numbers come from imports)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def import_page(request):
    if not can(request.user, "add"):
        return render(request, "web/error.html", {"code": 403, "title": "Not allowed",
                                                  "text": "Your role may not import staff or credentials."}, status=403)
    problems = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        importer = services.import_staff_csv if form.cleaned_data["kind"] == "staff" else services.import_credentials_csv
        try:
            result = importer(actor=request.user, content=upload.read(), filename=upload.name)
        except InvalidInput as exc:
            problems = exc
        else:
            messages.success(request, f"{result.filename}: {result.created} added, {result.updated} updated.")
            return redirect("staff-import")
    return render(request, "workforce/import.html", {
        "form": form, "problems": problems,
        "staff_columns": services.STAFF_CSV_COLUMNS, "staff_required": services.STAFF_CSV_REQUIRED,
        "credential_columns": services.CREDENTIAL_CSV_COLUMNS, "credential_required": services.CREDENTIAL_CSV_REQUIRED,
    })


def credential_history(request, credential_id: int):
    cred = get_object_or_404(selectors.credentials_for(request.user), pk=credential_id)
    return render(request, "workforce/credential_history.html", {
        "cred": cred, "history": cred.history.select_related("history_user").all()[:100],
    })


__all__ = ["staff_list", "staff_detail", "credential_record", "credential_verify", "expiry_board", "import_page",
           "StaffCredential"]
