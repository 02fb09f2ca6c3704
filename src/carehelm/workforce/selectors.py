"""Reads of staff and credentials, always through ``restrict(user, action)``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from carehelm.workforce import status as cs
from carehelm.workforce.models import CredentialRequirement, CredentialType, Staff, StaffCredential


def today() -> dt.date:
    return timezone.localdate()


def staff_list(user, *, q: str = "", facility: int | None = None, unit: int | None = None, job_role: str = "",
               employment_type: str = "", active: bool | None = True):
    qs = Staff.objects.restrict(user, "view").select_related("job_role", "home_unit", "home_unit__facility")
    if q:
        for term in q.split():
            qs = qs.filter(
                Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(employee_number__icontains=term)
                | Q(email__icontains=term)
            )
    if facility:
        qs = qs.filter(home_unit__facility_id=facility)
    if unit:
        qs = qs.filter(Q(home_unit_id=unit) | Q(float_units__id=unit)).distinct()
    if job_role:
        qs = qs.filter(job_role__code=job_role)
    if employment_type:
        qs = qs.filter(employment_type=employment_type)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("last_name", "first_name", "pk")


def credentials_for(user, *, action: str = "view"):
    return StaffCredential.objects.restrict(user, action).select_related(
        "staff", "staff__home_unit", "staff__home_unit__facility", "credential_type", "verified_by"
    )


def requirements_for(staff: Staff, requirements: list[CredentialRequirement] | None = None) -> list[CredentialRequirement]:
    """The credential requirements that apply to this person in their home unit."""
    reqs = requirements if requirements is not None else list(
        CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False)
    )
    kind = staff.home_unit.kind
    out = []
    for r in reqs:
        if r.for_next_role_only:
            continue
        if r.unit_id is not None and r.unit_id != staff.home_unit_id:
            continue
        if r.unit_kind and r.unit_kind != kind:
            continue
        if r.job_role_id is not None and r.job_role_id != staff.job_role_id:
            continue
        if r.job_role_id is None and not r.unit_kind and r.unit_id is None:
            continue
        out.append(r)
    return out


@dataclass(frozen=True)
class BoardRow:
    staff: Staff
    credential_type: CredentialType
    credential: StaffCredential | None
    status: cs.CredentialStatus

    @property
    def sort_key(self):
        order = {cs.EXPIRED: 0, cs.MISSING: 1, cs.EXPIRING: 2, cs.UNVERIFIED: 3, cs.VALID: 4}
        return (order[self.status.status], self.status.days_left if self.status.days_left is not None else 10**6,
                self.staff.last_name)


def missing_required_credentials(staff_qs, *, on: dt.date | None = None) -> list[BoardRow]:
    """Required-but-not-held credentials for every person in ``staff_qs`` (already restricted)."""
    reqs = list(CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False))
    staff = list(staff_qs.select_related("home_unit", "home_unit__facility", "job_role").prefetch_related("credentials"))
    rows = []
    for person in staff:
        held = {c.credential_type_id for c in person.credentials.all()}
        needed = {}
        for r in requirements_for(person, reqs):
            needed.setdefault(r.credential_type_id, r.credential_type)
        for type_id, ctype in needed.items():
            if type_id not in held:
                rows.append(BoardRow(person, ctype, None, cs.CredentialStatus(cs.MISSING, None, None)))
    return rows


def expiry_board(user, *, facility: int | None = None, unit: int | None = None, within: int = 90,
                 statuses: set[str] | None = None, on: dt.date | None = None) -> list[BoardRow]:
    """What needs attention: expired, expiring within ``within`` days, unverified, and missing."""
    on = on or today()
    statuses = statuses or {cs.EXPIRED, cs.EXPIRING, cs.UNVERIFIED, cs.MISSING}
    creds = credentials_for(user).filter(staff__active=True)
    staff_qs = Staff.objects.restrict(user, "view").filter(active=True)
    if facility:
        creds = creds.filter(staff__home_unit__facility_id=facility)
        staff_qs = staff_qs.filter(home_unit__facility_id=facility)
    if unit:
        # Same meaning as the staff directory's unit filter: home staff and those who float there.
        creds = creds.filter(Q(staff__home_unit_id=unit) | Q(staff__float_units__id=unit)).distinct()
        staff_qs = staff_qs.filter(Q(home_unit_id=unit) | Q(float_units__id=unit)).distinct()
    horizon = on + dt.timedelta(days=within)
    creds = creds.filter(
        Q(expires_on__lte=horizon) | ~Q(verification_result="verified")
    )
    rows = []
    for cred in creds:
        st = cs.status_of(cred, on)
        if st.status == cs.EXPIRING and st.days_left is not None and st.days_left > within:
            continue
        if st.status in statuses:
            rows.append(BoardRow(cred.staff, cred.credential_type, cred, st))
    if cs.MISSING in statuses:
        rows += missing_required_credentials(staff_qs, on=on)
    rows.sort(key=lambda r: r.sort_key)
    return rows


def credential_overview(user, *, on: dt.date | None = None) -> tuple[dict[str, int], list[dict]]:
    """Dashboard figures in a few aggregate queries: status counts, the 30/60/90-day windows, and
    the per-unit breakdown for the chart (``[{"unit", "status", "count"}]``, missing included)."""
    on = on or today()
    # A pk subquery, because restrict() may add DISTINCT, which would fold identical groups.
    visible = StaffCredential.objects.restrict(user, "view").filter(staff__active=True).values("pk")
    annotated = StaffCredential.objects.filter(pk__in=visible).annotate(st=cs.status_expression(on))
    counts: Counter = Counter()
    by_unit: Counter = Counter()
    for row in annotated.values("staff__home_unit__name", "st").annotate(n=Count("pk")).order_by():
        counts[row["st"]] += row["n"]
        by_unit[(row["staff__home_unit__name"], row["st"])] += row["n"]
    windows = annotated.filter(st__in=[cs.EXPIRING, cs.UNVERIFIED], expires_on__gte=on).aggregate(
        **{f"within_{w}": Count("pk", filter=Q(expires_on__lte=on + dt.timedelta(days=w))) for w in (30, 60, 90)}
    )
    missing = missing_required_credentials(Staff.objects.restrict(user, "view").filter(active=True), on=on)
    counts[cs.MISSING] = len(missing)
    for row in missing:
        by_unit[(row.staff.home_unit.name, cs.MISSING)] += 1
    figures = {k: counts.get(k, 0) for k in (cs.VALID, cs.EXPIRING, cs.EXPIRED, cs.UNVERIFIED, cs.MISSING)}
    figures.update({k: v or 0 for k, v in windows.items()})
    chart = [{"unit": unit, "status": cs.STATUS_LABELS[st].split(" ")[0], "count": n}
             for (unit, st), n in sorted(by_unit.items())]
    return figures, chart


def credential_counts(user, *, on: dt.date | None = None) -> dict[str, int]:
    """Counts for the home dashboard: expired, expiring in 30/60/90, unverified, missing."""
    return credential_overview(user, on=on)[0]


@dataclass(frozen=True)
class DevelopmentGap:
    current_role: object
    next_role: object | None
    held: list[CredentialType]
    missing: list[CredentialType]
    education: str

    @property
    def ready(self) -> bool:
        return self.next_role is not None and not self.missing


def development_gap(staff: Staff, *, on: dt.date | None = None) -> DevelopmentGap:
    """What this person holds against what the next role on their ladder requires."""
    on = on or today()
    nxt = staff.job_role.next_role
    if nxt is None:
        return DevelopmentGap(staff.job_role, None, [], [], "")
    wanted = [r.credential_type for r in CredentialRequirement.objects.filter(job_role=nxt).select_related("credential_type")]
    current = {c.credential_type_id for c in staff.credentials.all() if cs.status_of(c, on).status != cs.EXPIRED}
    held = [t for t in wanted if t.pk in current]
    missing = [t for t in wanted if t.pk not in current]
    return DevelopmentGap(staff.job_role, nxt, held, missing, nxt.education)
