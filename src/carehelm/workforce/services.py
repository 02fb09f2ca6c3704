"""Writes for staff and credentials, including the all-or-nothing CSV imports.

Every function is keyword-only, runs in one transaction, validates before writing, checks the
actor's reach (``actor=None`` is the system) and records an audit event.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from carehelm.accounts.scope import reach
from carehelm.audit.services import diff, record, snapshot
from carehelm.organization.models import Unit
from carehelm.permissions import require
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed
from carehelm.workforce.models import (
    CredentialType,
    EmploymentType,
    JobRole,
    Skill,
    Staff,
    StaffCredential,
    VerificationResult,
)

STAFF_FIELDS = (
    "employee_number", "first_name", "last_name", "email", "phone", "job_role", "home_unit", "fte",
    "employment_type", "hire_date", "hourly_rate",
)  # fmt: skip


def _full_clean(instance, *, exclude=None, row=None, file=None) -> list[FieldProblem]:
    try:
        instance.full_clean(exclude=exclude, validate_unique=True)
    except ValidationError as exc:
        return [
            FieldProblem(field=f if f != "__all__" else "row", message=" ".join(m), row=row, file=file)
            for f, m in exc.message_dict.items()
        ]
    return []


def _check_unit_reach(actor, action: str, units: list[Unit]) -> None:
    if actor is None:
        return
    r = reach(actor, action)
    for unit in units:
        if r.everything or unit.facility_id in r.facility_ids or unit.pk in r.unit_ids:
            continue
        raise NotAllowed(f"you may not {action} staff in {unit}")


@transaction.atomic
def create_staff(
    *,
    actor=None,
    employee_number: str,
    first_name: str,
    last_name: str,
    job_role: JobRole,
    home_unit: Unit,
    hire_date: dt.date,
    hourly_rate: Decimal,
    fte: Decimal = Decimal("1.00"),
    employment_type: str = EmploymentType.FULL_TIME,
    email: str = "",
    phone: str = "",
    float_units: list[Unit] | None = None,
    skills: list[Skill] | None = None,
    user=None,
) -> Staff:
    _check_unit_reach(actor, "add", [home_unit])
    staff = Staff(
        employee_number=employee_number, first_name=first_name, last_name=last_name, email=email, phone=phone,
        job_role=job_role, home_unit=home_unit, hire_date=hire_date, hourly_rate=hourly_rate, fte=fte,
        employment_type=employment_type, user=user,
    )  # fmt: skip
    problems = _full_clean(staff)
    if problems:
        raise InvalidInput(problems)
    staff.save()
    if float_units:
        staff.float_units.set(float_units)
    if skills:
        staff.skills.set(skills)
    record(actor=actor, action="staff.created", obj=staff, summary=f"Staff member {employee_number} added", changes=diff({}, snapshot(staff)))
    return staff


@transaction.atomic
def update_staff(*, actor=None, staff: Staff, float_units=None, skills=None, **changes) -> Staff:
    require(actor, "change", staff)
    allowed = set(STAFF_FIELDS) | {"active", "user"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput([FieldProblem(field=f, message="cannot be changed here") for f in sorted(unknown)])
    if "home_unit" in changes:
        _check_unit_reach(actor, "change", [changes["home_unit"]])
    before = snapshot(staff)
    for k, v in changes.items():
        setattr(staff, k, v)
    problems = _full_clean(staff)
    if problems:
        raise InvalidInput(problems)
    staff.save()
    changed = diff(before, snapshot(staff))
    if float_units is not None:
        old = sorted(u.code for u in staff.float_units.all())
        staff.float_units.set(float_units)
        new = sorted(u.code for u in float_units)
        if old != new:
            changed["float_units"] = [old, new]
    if skills is not None:
        old = sorted(s.code for s in staff.skills.all())
        staff.skills.set(skills)
        new = sorted(s.code for s in skills)
        if old != new:
            changed["skills"] = [old, new]
    record(actor=actor, action="staff.updated", obj=staff, summary=f"Staff member {staff.employee_number} updated", changes=changed)
    return staff


@transaction.atomic
def record_credential(
    *,
    actor=None,
    staff: Staff,
    credential_type: CredentialType,
    number: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> StaffCredential:
    """Add a credential, or record a renewal of the one the person already holds of that type.

    A renewal replaces number, issuer and dates, and clears the primary-source verification:
    the new document has not been checked yet.
    """
    require(actor, "change", staff)
    problems = _credential_problems(credential_type, issued_on, expires_on)
    existing = StaffCredential.objects.filter(staff=staff, credential_type=credential_type).first()
    if problems:
        raise InvalidInput(problems)
    issuer = issuer or credential_type.issuing_body
    if existing is None:
        cred = StaffCredential.objects.create(
            staff=staff, credential_type=credential_type, number=number, issuer=issuer, issued_on=issued_on,
            expires_on=expires_on,
        )  # fmt: skip
        record(actor=actor, action="credential.added", obj=cred, summary=f"{credential_type.code} added for {staff.employee_number}",
               changes=diff({}, snapshot(cred, ["number", "issuer", "issued_on", "expires_on"])))
        return cred
    before = snapshot(existing)
    existing.number = number or existing.number
    existing.issuer = issuer
    existing.issued_on = issued_on
    existing.expires_on = expires_on
    existing.verified_by = None
    existing.verified_at = None
    existing.verification_source = ""
    existing.verification_result = ""
    existing.save()
    record(actor=actor, action="credential.renewed", obj=existing,
           summary=f"{credential_type.code} renewed for {staff.employee_number} until {expires_on or 'no expiry'}",
           changes=diff(before, snapshot(existing)))
    return existing


def _credential_problems(credential_type, issued_on, expires_on, *, row=None, file=None) -> list[FieldProblem]:
    problems = []
    if issued_on and expires_on and expires_on < issued_on:
        problems.append(FieldProblem(field="expires_on", message="is before the issue date", row=row, file=file))
    if credential_type.renewal_months and not expires_on:
        problems.append(FieldProblem(field="expires_on", row=row, file=file,
                                     message=f"{credential_type.code} renews every {credential_type.renewal_months} months; an expiry date is required"))
    return problems


@transaction.atomic
def verify_credential(
    *, actor=None, credential: StaffCredential, source: str, result: str = VerificationResult.VERIFIED
) -> StaffCredential:
    """Record primary-source verification: who checked, when, against which source, the result."""
    require(actor, "verify", credential)
    problems = []
    if not source.strip():
        problems.append(FieldProblem(field="source", message="name the primary source checked (e.g. state board of nursing)"))
    if result not in VerificationResult.values:
        problems.append(FieldProblem(field="result", message=f"expected one of {', '.join(VerificationResult.values)}"))
    if problems:
        raise InvalidInput(problems)
    before = snapshot(credential)
    credential.verified_by = actor
    credential.verified_at = timezone.now()
    credential.verification_source = source.strip()
    credential.verification_result = result
    credential.save()
    record(actor=actor, action="credential.verified", obj=credential,
           summary=f"{credential.credential_type.code} of {credential.staff.employee_number}: {result} against {source.strip()}",
           changes=diff(before, snapshot(credential)))
    return credential


# --- CSV imports -------------------------------------------------------------------------------------

STAFF_CSV_COLUMNS = (
    "employee_number", "first_name", "last_name", "email", "phone", "job_role", "facility", "home_unit",
    "float_units", "fte", "employment_type", "hire_date", "hourly_rate", "skills",
)  # fmt: skip
STAFF_CSV_REQUIRED = ("employee_number", "first_name", "last_name", "job_role", "facility", "home_unit", "hire_date",
                      "hourly_rate")
CREDENTIAL_CSV_COLUMNS = ("employee_number", "credential", "number", "issuer", "issued_on", "expires_on",
                          "verification_source", "verification_result")
CREDENTIAL_CSV_REQUIRED = ("employee_number", "credential")


def _shared_scope(units: list[Unit]) -> dict:
    """Scope an import's summary event to the one unit (or facility) all its rows belong to, so the
    manager who imported it sees it in their trail; a file spanning facilities stays system-wide."""
    unit_ids = {u.pk for u in units}
    facility_ids = {u.facility_id for u in units}
    return {
        "unit_id": unit_ids.pop() if len(unit_ids) == 1 else None,
        "facility_id": facility_ids.pop() if len(facility_ids) == 1 else None,
    }


@dataclass
class ImportResult:
    created: int
    updated: int
    filename: str

    @property
    def total(self) -> int:
        return self.created + self.updated


def _read_csv(content: bytes | str, filename: str, columns, required) -> list[tuple[int, dict]]:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput([FieldProblem(file=filename, field="file", message="is not UTF-8 text")]) from None
    else:
        content = content.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in columns]
    problems = [FieldProblem(file=filename, row=1, field=c, message="required column is missing") for c in missing]
    problems += [FieldProblem(file=filename, row=1, field=c, message=f"unknown column; expected {', '.join(columns)}")
                 for c in unknown]
    if problems:
        raise InvalidInput(problems)
    rows = []
    for index, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(FieldProblem(file=filename, row=index, field="row", message="has more values than the header"))
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        rows.append((index, row))
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput([FieldProblem(file=filename, field="file", message="has no data rows")])
    return rows


def _parse_date(value: str, field: str, row: int, filename: str, problems: list) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(FieldProblem(file=filename, row=row, field=field, value=value, message="expected a date as YYYY-MM-DD"))
        return None


def _parse_decimal(value: str, field: str, row: int, filename: str, problems: list, *, lo=None, hi=None):
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        problems.append(FieldProblem(file=filename, row=row, field=field, value=value, message="expected a number"))
        return None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        problems.append(FieldProblem(file=filename, row=row, field=field, value=value,
                                     message=f"expected a number between {lo} and {hi}"))
        return None
    return number


@transaction.atomic
def import_staff_csv(*, actor=None, content: bytes | str, filename: str = "staff.csv") -> ImportResult:
    """Create or update staff from CSV. Any bad row refuses the whole file; each problem is named."""
    if actor is not None and reach(actor, "add").nothing:
        raise NotAllowed("your role may not import staff")
    rows = _read_csv(content, filename, STAFF_CSV_COLUMNS, STAFF_CSV_REQUIRED)
    roles = {r.code: r for r in JobRole.objects.all()}
    skills = {s.code: s for s in Skill.objects.all()}
    units = {(u.facility.code, u.code): u for u in Unit.objects.select_related("facility")}
    existing = {s.employee_number: s for s in Staff.objects.filter(employee_number__in=[r["employee_number"] for _, r in rows])}
    r_add = reach(actor, "add") if actor is not None else None
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    plans = []
    for index, row in rows:
        before = len(problems)
        for col in STAFF_CSV_REQUIRED:
            if not row.get(col):
                problems.append(FieldProblem(file=filename, row=index, field=col, message="is required"))
        number = row.get("employee_number", "")
        if number in seen:
            problems.append(FieldProblem(file=filename, row=index, field="employee_number", value=number,
                                         message=f"repeats row {seen[number]}"))
        seen[number] = index
        role = roles.get(row.get("job_role", ""))
        if row.get("job_role") and role is None:
            problems.append(FieldProblem(file=filename, row=index, field="job_role", value=row["job_role"],
                                         message="unknown job role code"))
        facility_code = row.get("facility", "")
        home = units.get((facility_code, row.get("home_unit", "")))
        if row.get("home_unit") and home is None:
            problems.append(FieldProblem(file=filename, row=index, field="home_unit", value=row["home_unit"],
                                         message=f"no unit with this code in facility {facility_code!r}"))
        if home is not None and r_add is not None and not (
            r_add.everything or home.facility_id in r_add.facility_ids or home.pk in r_add.unit_ids
        ):
            problems.append(FieldProblem(file=filename, row=index, field="home_unit", value=row["home_unit"],
                                         message="is outside the units you manage"))
        floats = []
        for code in filter(None, (c.strip() for c in row.get("float_units", "").split(";"))):
            unit = units.get((facility_code, code))
            if unit is None:
                problems.append(FieldProblem(file=filename, row=index, field="float_units", value=code,
                                             message=f"no unit with this code in facility {facility_code!r}"))
            else:
                floats.append(unit)
        skill_objs = []
        for code in filter(None, (c.strip() for c in row.get("skills", "").split(";"))):
            if code not in skills:
                problems.append(FieldProblem(file=filename, row=index, field="skills", value=code, message="unknown skill code"))
            else:
                skill_objs.append(skills[code])
        fte = _parse_decimal(row.get("fte") or "1", "fte", index, filename, problems, lo=Decimal("0.05"), hi=Decimal("1.5"))
        rate = (_parse_decimal(row["hourly_rate"], "hourly_rate", index, filename, problems, lo=Decimal("0"), hi=Decimal("2000"))
                if row.get("hourly_rate") else None)
        hire = _parse_date(row.get("hire_date", ""), "hire_date", index, filename, problems)
        employment = row.get("employment_type") or EmploymentType.FULL_TIME
        if employment not in EmploymentType.values:
            problems.append(FieldProblem(file=filename, row=index, field="employment_type", value=employment,
                                         message=f"expected one of {', '.join(EmploymentType.values)}"))
        if len(problems) > before:
            continue
        values = dict(first_name=row["first_name"], last_name=row["last_name"], email=row.get("email", ""),
                      phone=row.get("phone", ""), job_role=role, home_unit=home, fte=fte, employment_type=employment,
                      hire_date=hire, hourly_rate=rate)
        target = existing.get(number) or Staff(employee_number=number)
        if target.pk and r_add is not None and not Staff.objects.filter(pk=target.pk).restrict(actor, "change").exists():
            problems.append(FieldProblem(file=filename, row=index, field="employee_number", value=number,
                                         message="belongs to a staff member outside the units you manage"))
            continue
        before_snapshot = snapshot(target) if target.pk else {}
        for k, v in values.items():
            setattr(target, k, v)
        problems += _full_clean(target, exclude=["user"], row=index, file=filename)
        plans.append((target, before_snapshot, floats, skill_objs))
    if problems:
        raise InvalidInput(problems, title=f"{filename} was not imported: {len(problems)} problem(s); nothing was saved.")
    created = updated = 0
    for staff, before_snapshot, floats, skill_objs in plans:
        is_new = staff.pk is None
        staff.save()
        staff.float_units.set(floats)
        staff.skills.set(skill_objs)
        if is_new:
            created += 1
        else:
            updated += 1
        record(actor=actor, action="staff.created" if is_new else "staff.updated", obj=staff,
               summary=f"Staff member {staff.employee_number} {'added' if is_new else 'updated'} by import of {filename}",
               changes=diff(before_snapshot, snapshot(staff)))
    record(actor=actor, action="staff.imported", object_type="import", object_id=filename,
           summary=f"Imported {filename}: {created} staff added, {updated} updated",
           **_shared_scope([p[0].home_unit for p in plans]))
    return ImportResult(created=created, updated=updated, filename=filename)


@transaction.atomic
def import_credentials_csv(*, actor=None, content: bytes | str, filename: str = "credentials.csv") -> ImportResult:
    if actor is not None and reach(actor, "change").nothing:
        raise NotAllowed("your role may not import credentials")
    rows = _read_csv(content, filename, CREDENTIAL_CSV_COLUMNS, CREDENTIAL_CSV_REQUIRED)
    types = {t.code: t for t in CredentialType.objects.all()}
    staff_qs = Staff.objects.filter(employee_number__in=[r["employee_number"] for _, r in rows])
    staff_by_number = {s.employee_number: s for s in staff_qs}
    allowed_ids = (set(staff_qs.restrict(actor, "change").values_list("pk", flat=True)) if actor is not None
                   else {s.pk for s in staff_by_number.values()})
    can_verify = actor is None or not reach(actor, "verify").nothing
    problems: list[FieldProblem] = []
    plans = []
    seen: dict[tuple, int] = {}
    for index, row in rows:
        before = len(problems)
        staff = staff_by_number.get(row["employee_number"])
        if not row["employee_number"]:
            problems.append(FieldProblem(file=filename, row=index, field="employee_number", message="is required"))
        elif staff is None:
            problems.append(FieldProblem(file=filename, row=index, field="employee_number", value=row["employee_number"],
                                         message="no staff member with this employee number"))
        elif staff.pk not in allowed_ids:
            problems.append(FieldProblem(file=filename, row=index, field="employee_number", value=row["employee_number"],
                                         message="belongs to a staff member outside the units you manage"))
        ctype = types.get(row["credential"])
        if not row["credential"]:
            problems.append(FieldProblem(file=filename, row=index, field="credential", message="is required"))
        elif ctype is None:
            problems.append(FieldProblem(file=filename, row=index, field="credential", value=row["credential"],
                                         message="unknown credential type code"))
        key = (row["employee_number"], row["credential"])
        if key in seen:
            problems.append(FieldProblem(file=filename, row=index, field="credential", value=row["credential"],
                                         message=f"repeats row {seen[key]} for the same person"))
        seen[key] = index
        issued = _parse_date(row.get("issued_on", ""), "issued_on", index, filename, problems)
        expires = _parse_date(row.get("expires_on", ""), "expires_on", index, filename, problems)
        result = row.get("verification_result", "")
        if result and result not in VerificationResult.values:
            problems.append(FieldProblem(file=filename, row=index, field="verification_result", value=result,
                                         message=f"expected one of {', '.join(VerificationResult.values)} or empty"))
        if result and not row.get("verification_source"):
            problems.append(FieldProblem(file=filename, row=index, field="verification_source",
                                         message="is required when a verification result is given"))
        if result and not can_verify:
            problems.append(FieldProblem(file=filename, row=index, field="verification_result",
                                         message="your role may not record primary-source verification"))
        if ctype is not None and not (row.get("expires_on") and expires is None):
            problems += _credential_problems(ctype, issued, expires, row=index, file=filename)
        if len(problems) > before:
            continue
        plans.append((staff, ctype, row, issued, expires, result))
    if problems:
        raise InvalidInput(problems, title=f"{filename} was not imported: {len(problems)} problem(s); nothing was saved.")
    existing = {(c.staff_id, c.credential_type_id): c
                for c in StaffCredential.objects.filter(staff__in=[p[0] for p in plans])}
    created = updated = 0
    now = timezone.now()
    for staff, ctype, row, issued, expires, result in plans:
        cred = existing.get((staff.pk, ctype.pk))
        before_snapshot = snapshot(cred) if cred else {}
        if cred is None:
            cred = StaffCredential(staff=staff, credential_type=ctype)
            created += 1
        else:
            updated += 1
        cred.number = row.get("number", "")
        cred.issuer = row.get("issuer") or ctype.issuing_body
        cred.issued_on = issued
        cred.expires_on = expires
        cred.verification_result = result
        cred.verification_source = row.get("verification_source", "") if result else ""
        cred.verified_at = now if result else None
        cred.verified_by = actor if result else None
        cred.save()
        record(actor=actor, action="credential.imported", obj=cred, summary=f"{ctype.code} of {staff.employee_number} imported from {filename}",
               changes=diff(before_snapshot, snapshot(cred)))
    record(actor=actor, action="credentials.imported", object_type="import", object_id=filename,
           summary=f"Imported {filename}: {created} credentials added, {updated} updated",
           **_shared_scope([p[0].home_unit for p in plans]))
    return ImportResult(created=created, updated=updated, filename=filename)
