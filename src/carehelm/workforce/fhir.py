"""FHIR R4 export and import of the organization, its staff and their credentials.

The Django-level mapping between Carehelm rows and FHIR resources:

=====================  ==========================================================================
Carehelm               FHIR R4
=====================  ==========================================================================
HealthSystem           Organization (identifier ``sid/health-system``)
Facility               Organization (identifier ``sid/facility``, ``type`` = facility kind,
                       ``partOf`` = the health system)
Unit                   Location, physicalType ``wa`` (identifiers ``sid/unit-code`` and
                       ``sid/unit`` = "facility/unit"; ``type`` = unit kind; extensions for the
                       cost centre and staffed beds; managingOrganization = facility)
Room, Bed              Location, physicalType ``ro`` / ``bd``, ``partOf`` the unit / room; a bed's
                       ``operationalStatus`` is its HL7 v2 table 0116 code (reserved and blocked,
                       which 0116 lacks, use Carehelm's ``bed-status`` code system)
Staff                  Practitioner (identifier ``sid/employee-number``, name, telecom) with one
                       ``qualification`` per credential: identifier = credential number, code =
                       credential type, issuer = display-only Reference, period = issued/expiry,
                       primary-source verification in the ``credential-verification`` extension
Staff (employment)     PractitionerRole: practitioner, organization = facility of the home unit,
                       location = home unit then float units, code = job role, specialty = skills,
                       period.start = hire date, extensions for home unit, FTE, employment type
                       and hourly rate
=====================  ==========================================================================

Not carried: login accounts (``Staff.user``) and the user who verified a credential (only the
verifier's username, as text). Credential types, job roles and skills are reference data: the
bundle names them by code and the importing database must know the codes.

FHIR version: fhir.resources 8.x defaults to R5 and ships no R4 package, so resources are
validated with its R4B classes (``fhir.resources.R4B``, FHIR 4.3.0). R4B is R4 (4.0.1) plus
changes confined to the medication-definition, evidence and subscription resources
(https://hl7.org/fhir/R4B/history.html); Organization, Location, Practitioner, PractitionerRole,
Bundle and the data types used here are unchanged, so an R4B-valid bundle of them is a valid R4
bundle. R5 is not wire-compatible (e.g. Location.physicalType became ``form``; Organization's
telecom and address moved into ``contact``), which is why the default classes are not used.

Public API
----------
``export_bundle(user) -> dict``
    A Bundle of type ``collection`` holding the rows ``user`` may view (``user=None`` is the
    system: everything). Validated before it is returned; recorded as a ``fhir.exported`` audit
    event. References use ``urn:uuid`` fullUrls derived from natural keys (codes, employee
    numbers), so the same data always exports to the same ids; a reference to a unit or facility
    outside the export is a logical reference (``Reference.identifier``). References of the
    ``Type/id`` form are accepted on import too.
``import_bundle(*, actor=None, bundle, filename="bundle.json", on_progress=None) -> FhirImportSummary``
    Validates the whole bundle (fhir.resources, then references, codes and identifiers) and
    raises ``InvalidInput`` naming each problem by entry index (``row``) and FHIRPath-like field
    (``entry[12].resource.qualification[0].period.end``); nothing is written on any error. Then
    creates or updates (by codes and employee numbers) in one transaction, audited row by row,
    plus one ``fhir.imported`` event. With an actor, only executives and facility administrators
    may import, and only into facilities they manage.
``validate_bundle(data) -> list[FieldProblem]``
    The fhir.resources R4B validation alone.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from carehelm.accounts.models import Role
from carehelm.accounts.scope import has_role, reach
from carehelm.audit.services import diff, record, snapshot
from carehelm.organization import services as org_services
from carehelm.organization.models import (
    Bed,
    BedStatus,
    Facility,
    FacilityKind,
    HealthSystem,
    Room,
    Unit,
    UnitKind,
)
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed
from carehelm.workforce import services as wf_services
from carehelm.workforce.models import (
    CredentialType,
    EmploymentType,
    JobRole,
    Skill,
    Staff,
    StaffCredential,
    VerificationResult,
)

BASE = "https://carehelm.org/fhir"
SID_HEALTH_SYSTEM = f"{BASE}/sid/health-system"
SID_FACILITY = f"{BASE}/sid/facility"
SID_UNIT_CODE = f"{BASE}/sid/unit-code"
SID_UNIT = f"{BASE}/sid/unit"  # "facility-code/unit-code": unique across the health system
SID_EMPLOYEE = f"{BASE}/sid/employee-number"
SID_CREDENTIAL_NUMBER = f"{BASE}/sid/credential-number"
CS_FACILITY_KIND = f"{BASE}/CodeSystem/facility-kind"
CS_UNIT_KIND = f"{BASE}/CodeSystem/unit-kind"
CS_JOB_ROLE = f"{BASE}/CodeSystem/job-role"
CS_CREDENTIAL_TYPE = f"{BASE}/CodeSystem/credential-type"
CS_SKILL = f"{BASE}/CodeSystem/skill"
CS_BED_STATUS = f"{BASE}/CodeSystem/bed-status"
EXT_COST_CENTRE = f"{BASE}/StructureDefinition/cost-centre"
EXT_STAFFED_BEDS = f"{BASE}/StructureDefinition/staffed-beds"
EXT_VERIFICATION = f"{BASE}/StructureDefinition/credential-verification"
EXT_HOME_UNIT = f"{BASE}/StructureDefinition/home-unit"
EXT_FTE = f"{BASE}/StructureDefinition/fte"
EXT_EMPLOYMENT_TYPE = f"{BASE}/StructureDefinition/employment-type"
EXT_HOURLY_RATE = f"{BASE}/StructureDefinition/hourly-rate"
CS_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
CS_ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
CS_V2_0116 = "http://terminology.hl7.org/CodeSystem/v2-0116"
V2_0116_CODES = {"O", "U", "H", "C", "I", "K"}  # the rest of BedStatus is ours (CS_BED_STATUS)
CURRENCY = "USD"

# Deterministic ids: the same natural key always gives the same urn:uuid, in any database.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
SUPPORTED_TYPES = ("Organization", "Location", "Practitioner", "PractitionerRole")


def _uuid(*key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(key)))


def _coding(system: str, code: str, display: str = "") -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _ref(resource_id: str, display: str = "") -> dict:
    out = {"reference": f"urn:uuid:{resource_id}"}
    if display:
        out["display"] = display
    return out


def _entry(resource: dict) -> dict:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _number(value: Decimal) -> int | float:
    # JSON has no decimal type; FTE and rates have two places, which a float carries exactly enough.
    return int(value) if value == value.to_integral_value() else float(value)


# --- export -----------------------------------------------------------------------------------------


def _system_id(hs: HealthSystem) -> str:
    return _uuid("Organization", "health-system", hs.code)


def _facility_id(f: Facility) -> str:
    return _uuid("Organization", "facility", f.code)


def _unit_id(u: Unit) -> str:
    return _uuid("Location", "unit", u.facility.code, u.code)


def _room_id(r: Room) -> str:
    return _uuid("Location", "room", r.unit.facility.code, r.unit.code, r.name)


def _bed_id(b: Bed) -> str:
    return _uuid("Location", "bed", b.room.unit.facility.code, b.room.unit.code, b.room.name, b.label)


def _practitioner_id(s: Staff) -> str:
    return _uuid("Practitioner", s.employee_number)


def _role_id(s: Staff) -> str:
    return _uuid("PractitionerRole", s.employee_number)


def _unit_ref(unit: Unit, exported: set[int]) -> dict:
    if unit.pk in exported:
        return _ref(_unit_id(unit), unit.name)
    # Outside what the user may see: a logical reference an importing database can resolve.
    return {
        "identifier": {"system": SID_UNIT, "value": f"{unit.facility.code}/{unit.code}"},
        "display": unit.name,
    }


def _facility_ref(facility: Facility, exported: set[int]) -> dict:
    if facility.pk in exported:
        return _ref(_facility_id(facility), facility.name)
    return {"identifier": {"system": SID_FACILITY, "value": facility.code}, "display": facility.name}


def _organization_resources(facilities: list[Facility]) -> list[dict]:
    out = []
    for hs in sorted({f.health_system for f in facilities}, key=lambda h: h.code):
        out.append({
            "resourceType": "Organization", "id": _system_id(hs), "active": True,
            "identifier": [{"system": SID_HEALTH_SYSTEM, "value": hs.code}],
            "type": [{"coding": [_coding(CS_ORGANIZATION_TYPE, "prov", "Healthcare Provider")]}],
            "name": hs.name,
        })  # fmt: skip
    for f in facilities:
        org = {
            "resourceType": "Organization", "id": _facility_id(f), "active": True,
            "identifier": [{"system": SID_FACILITY, "value": f.code}],
            "type": [{"coding": [_coding(CS_FACILITY_KIND, f.kind, f.get_kind_display())]}],
            "name": f.name,
            "partOf": _ref(_system_id(f.health_system), f.health_system.name),
        }  # fmt: skip
        if f.phone:
            org["telecom"] = [{"system": "phone", "value": f.phone, "use": "work"}]
        if f.address:
            org["address"] = [{"use": "work", "text": f.address}]
        out.append(org)
    return out


def _location_resources(units: list[Unit], rooms: list[Room], beds: list[Bed]) -> list[dict]:
    out = []
    for u in units:
        loc = {
            "resourceType": "Location", "id": _unit_id(u), "status": "active", "mode": "instance",
            "identifier": [{"system": SID_UNIT_CODE, "value": u.code},
                           {"system": SID_UNIT, "value": f"{u.facility.code}/{u.code}"}],
            "name": u.name,
            "type": [{"coding": [_coding(CS_UNIT_KIND, u.kind, u.get_kind_display())]}],
            "physicalType": {"coding": [_coding(CS_PHYSICAL_TYPE, "wa", "Ward")]},
            "managingOrganization": _ref(_facility_id(u.facility), u.facility.name),
            "extension": [{"url": EXT_STAFFED_BEDS, "valueUnsignedInt": u.staffed_beds}],
        }  # fmt: skip
        if u.cost_centre:
            loc["extension"].insert(0, {"url": EXT_COST_CENTRE, "valueString": u.cost_centre})
        out.append(loc)
    for r in rooms:
        out.append({
            "resourceType": "Location", "id": _room_id(r), "status": "active", "mode": "instance", "name": r.name,
            "physicalType": {"coding": [_coding(CS_PHYSICAL_TYPE, "ro", "Room")]},
            "managingOrganization": _ref(_facility_id(r.unit.facility), r.unit.facility.name),
            "partOf": _ref(_unit_id(r.unit), r.unit.name),
        })  # fmt: skip
    for b in beds:
        system = CS_V2_0116 if b.status in V2_0116_CODES else CS_BED_STATUS
        out.append({
            "resourceType": "Location", "id": _bed_id(b), "status": "active", "mode": "instance", "name": b.label,
            "operationalStatus": _coding(system, b.status, b.get_status_display()),
            "physicalType": {"coding": [_coding(CS_PHYSICAL_TYPE, "bd", "Bed")]},
            "managingOrganization": _ref(_facility_id(b.room.unit.facility), b.room.unit.facility.name),
            "partOf": _ref(_room_id(b.room), str(b.room)),
        })  # fmt: skip
    return out


def _qualification(c: StaffCredential) -> dict:
    q: dict = {
        "code": {
            "coding": [_coding(CS_CREDENTIAL_TYPE, c.credential_type.code, c.credential_type.name)],
            "text": c.credential_type.name,
        }
    }
    if c.number:
        q["identifier"] = [{"system": SID_CREDENTIAL_NUMBER, "value": c.number}]
    period = {}
    if c.issued_on:
        period["start"] = c.issued_on.isoformat()
    if c.expires_on:
        period["end"] = c.expires_on.isoformat()
    if period:
        q["period"] = period
    if c.issuer:
        q["issuer"] = {"display": c.issuer}
    if c.verification_result:
        parts = [{"url": "result", "valueCode": c.verification_result}]
        if c.verification_source:
            parts.append({"url": "source", "valueString": c.verification_source})
        if c.verified_at:
            parts.append({"url": "date", "valueDateTime": c.verified_at.isoformat()})
        if c.verified_by_id:
            parts.append({"url": "verifier", "valueString": c.verified_by.get_username()})
        q["extension"] = [{"url": EXT_VERIFICATION, "extension": parts}]
    return q


def _practitioner_resources(
    staff: list[Staff],
    credentials: dict[int, list[StaffCredential]],
    unit_ids: set[int],
    facility_ids: set[int],
) -> list[dict]:
    out = []
    for s in staff:
        p: dict = {
            "resourceType": "Practitioner", "id": _practitioner_id(s), "active": s.active,
            "identifier": [{"use": "official", "system": SID_EMPLOYEE, "value": s.employee_number}],
            "name": [{"use": "official", "family": s.last_name, "given": [s.first_name],
                      "text": f"{s.first_name} {s.last_name}"}],
        }  # fmt: skip
        telecom = []
        if s.email:
            telecom.append({"system": "email", "value": s.email, "use": "work"})
        if s.phone:
            telecom.append({"system": "phone", "value": s.phone, "use": "work"})
        if telecom:
            p["telecom"] = telecom
        quals = [_qualification(c) for c in credentials.get(s.pk, [])]
        if quals:
            p["qualification"] = quals
        out.append(p)
        floats = sorted(s.float_units.all(), key=lambda u: (u.facility.code, u.code))
        role: dict = {
            "resourceType": "PractitionerRole", "id": _role_id(s), "active": s.active,
            "extension": [
                {"url": EXT_HOME_UNIT, "valueReference": _unit_ref(s.home_unit, unit_ids)},
                {"url": EXT_FTE, "valueDecimal": _number(s.fte)},
                {"url": EXT_EMPLOYMENT_TYPE, "valueCode": s.employment_type},
                {"url": EXT_HOURLY_RATE, "valueMoney": {"value": _number(s.hourly_rate), "currency": CURRENCY}},
            ],
            "period": {"start": s.hire_date.isoformat()},
            "practitioner": _ref(_practitioner_id(s), s.full_name),
            "organization": _facility_ref(s.home_unit.facility, facility_ids),
            "code": [{"coding": [_coding(CS_JOB_ROLE, s.job_role.code, s.job_role.name)]}],
            "location": [_unit_ref(u, unit_ids) for u in [s.home_unit, *floats]],
        }  # fmt: skip
        skills = sorted(s.skills.all(), key=lambda k: k.code)
        if skills:
            role["specialty"] = [{"coding": [_coding(CS_SKILL, k.code, k.name)]} for k in skills]
        out.append(role)
    return out


def _visible(qs, user):
    return qs if user is None else qs.restrict(user, "view")


def export_bundle(user) -> dict:
    """The FHIR R4 collection Bundle of everything ``user`` may view (``None``: the system, all rows)."""
    facilities = list(_visible(Facility.objects.all(), user).select_related("health_system").order_by("code"))
    units = list(
        _visible(Unit.objects.all(), user).select_related("facility").order_by("facility__code", "code")
    )
    rooms = list(
        _visible(Room.objects.all(), user)
        .select_related("unit__facility")
        .order_by("unit__facility__code", "unit__code", "name")
    )
    beds = list(
        _visible(Bed.objects.all(), user)
        .select_related("room__unit__facility")
        .order_by("room__unit__facility__code", "room__unit__code", "room__name", "label")
    )
    staff_qs = _visible(Staff.objects.all(), user)
    staff = list(
        staff_qs.select_related("job_role", "home_unit__facility")
        .prefetch_related("float_units__facility", "skills")
        .order_by("employee_number")
    )
    creds: dict[int, list[StaffCredential]] = {}
    cred_qs = _visible(StaffCredential.objects.filter(staff__in=[s.pk for s in staff]), user)
    for c in cred_qs.select_related("credential_type", "verified_by").order_by("credential_type__code"):
        creds.setdefault(c.staff_id, []).append(c)
    resources = (
        _organization_resources(facilities)
        + _location_resources(units, rooms, beds)
        + _practitioner_resources(staff, creds, {u.pk for u in units}, {f.pk for f in facilities})
    )
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/Bundle"]},
        "type": "collection",
        "timestamp": timezone.now().isoformat(timespec="seconds"),
        "entry": [_entry(r) for r in resources],
    }
    problems = validate_bundle(bundle)
    if problems:  # pragma: no cover - a bug in the mapping above, never the user's fault
        raise RuntimeError("exported bundle does not validate: " + "; ".join(str(p) for p in problems[:5]))
    # Staff contact details and pay leave the system in this file: the trail says who took what.
    record(action="fhir.exported", object_type="export", object_id=bundle["id"], actor=user,
           summary=f"FHIR bundle exported: {len(facilities)} facilities, {len(units)} units, {len(staff)} staff, "
                   f"{sum(len(c) for c in creds.values())} credentials")  # fmt: skip
    return bundle


# --- validation -------------------------------------------------------------------------------------


def _fhirpath(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate_bundle(data: dict, *, filename: str | None = None) -> list[FieldProblem]:
    """Validate against the FHIR R4 (R4B classes) models; each problem names entry and path."""
    from fhir.resources.R4B.bundle import Bundle  # lazily: the models take a moment to load
    from pydantic import ValidationError as PydanticError

    try:
        Bundle.model_validate(data)
    except PydanticError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            row = loc[1] if len(loc) > 1 and loc[0] == "entry" and isinstance(loc[1], int) else None
            problems.append(
                FieldProblem(
                    file=filename,
                    row=row,
                    field=_fhirpath(loc) or "bundle",
                    message=err.get("msg", "is not valid FHIR R4"),
                )
            )
        return problems
    return []


# --- import -----------------------------------------------------------------------------------------


@dataclass
class FhirImportSummary:
    filename: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool, n: int = 1) -> None:
        if n:
            target = self.created if created else self.updated
            target[kind] = target.get(kind, 0) + n

    def describe(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated))
        parts = [
            f"{kind}: {self.created.get(kind, 0)} added, {self.updated.get(kind, 0)} updated"
            for kind in kinds
        ]
        return f"Imported {self.filename}: " + ("; ".join(parts) if parts else "nothing changed")

    def as_dict(self) -> dict:
        return {"filename": self.filename, "created": self.created, "updated": self.updated}


@dataclass
class _Plan:
    """Everything the bundle says, checked and keyed by natural keys, ready to write."""

    systems: dict = field(default_factory=dict)  # code -> {name}
    facilities: dict = field(default_factory=dict)  # code -> {system, name, kind, address, phone}
    units: dict = field(default_factory=dict)  # (fac, code) -> {name, kind, cost_centre, staffed_beds}
    rooms: dict = field(default_factory=dict)  # (fac, unit, name) -> {}
    beds: dict = field(default_factory=dict)  # (fac, unit, room, label) -> {status}
    staff: dict = field(default_factory=dict)  # employee number -> {fields, credentials: [...]}


class _Reader:
    """Reads the validated bundle into a _Plan, collecting every problem with its entry and path."""

    def __init__(self, data: dict, filename: str):
        self.filename = filename
        self.problems: list[FieldProblem] = []
        self.entries: list[tuple[int, dict]] = []
        self.by_ref: dict[str, int] = {}
        self.identity: dict[int, tuple] = {}  # entry index -> ("system", code) / ("unit", key) ...
        self.plan = _Plan()
        self.roles = {r.code: r for r in JobRole.objects.all()}
        self.ctypes = {t.code: t for t in CredentialType.objects.all()}
        self.skills = {s.code: s for s in Skill.objects.all()}
        for index, entry in enumerate(data.get("entry") or []):
            resource = entry.get("resource")
            path = f"entry[{index}]"
            if not isinstance(resource, dict):
                self.problem(index, f"{path}.resource", "is missing")
                continue
            rtype = resource.get("resourceType")
            if rtype not in SUPPORTED_TYPES:
                self.problem(
                    index,
                    f"{path}.resource.resourceType",
                    f"{rtype} is not imported; expected one of {', '.join(SUPPORTED_TYPES)}",
                )
                continue
            self.entries.append((index, resource))
            for key in filter(
                None, (entry.get("fullUrl"), resource.get("id") and f"{rtype}/{resource['id']}")
            ):
                if key in self.by_ref:
                    self.problem(index, f"{path}.fullUrl", f"{key} repeats entry[{self.by_ref[key]}]")
                self.by_ref[key] = index

    def problem(self, index: int | None, path: str, message: str, value=None) -> None:
        self.problems.append(
            FieldProblem(
                file=self.filename,
                row=index,
                field=path,
                message=message,
                value=None if value is None else str(value),
            )
        )

    def of_type(self, rtype: str, physical: str | None = None):
        for index, res in self.entries:
            if res["resourceType"] != rtype:
                continue
            if physical is not None and _physical_type(res) != physical:
                continue
            yield index, res, f"entry[{index}].resource"

    # References -----------------------------------------------------------------------------------

    def target(self, ref: dict | None, path: str, index: int, kind: str):
        """The natural key a reference points at, if it is a ``kind`` (in the bundle or, logically, in the db)."""
        if not ref:
            self.problem(index, path, "is required")
            return None
        if "reference" in ref:
            target = self.by_ref.get(ref["reference"])
            identity = self.identity.get(target) if target is not None else None
            if target is None:
                self.problem(
                    index, f"{path}.reference", "refers to no entry of this bundle", ref["reference"]
                )
            elif identity is None or identity[0] != kind:
                self.problem(
                    index,
                    f"{path}.reference",
                    f"refers to entry[{target}], which is not a {kind}",
                    ref["reference"],
                )
            else:
                return identity[1]
            return None
        ident = ref.get("identifier") or {}
        value = ident.get("value", "")
        if kind == "facility" and ident.get("system") == SID_FACILITY:
            if value in self.plan.facilities or Facility.objects.filter(code=value).exists():
                return value
            self.problem(
                index, f"{path}.identifier", "no facility with this code in the bundle or the database", value
            )
        elif kind == "unit" and ident.get("system") == SID_UNIT and "/" in value:
            key = tuple(value.split("/", 1))
            if key in self.plan.units or Unit.objects.filter(facility__code=key[0], code=key[1]).exists():
                return key
            self.problem(
                index, f"{path}.identifier", "no unit with this code in the bundle or the database", value
            )
        else:
            self.problem(index, path, f"expected a reference to a {kind} entry or a {kind} identifier")
        return None

    # Resources ------------------------------------------------------------------------------------

    def read(self) -> _Plan:
        for index, res, path in self.of_type("Organization"):
            self.organization_identity(index, res, path)
        for index, res, path in self.of_type("Organization"):
            if self.identity.get(index, ("",))[0] == "facility":
                self.facility(index, res, path)
        known_physical = {"wa", "ro", "bd"}
        for index, res, path in self.of_type("Location"):
            if _physical_type(res) not in known_physical:
                self.problem(
                    index,
                    f"{path}.physicalType",
                    f"expected a {CS_PHYSICAL_TYPE} code wa (unit), ro (room) or bd (bed)",
                )
        for index, res, path in self.of_type("Location", "wa"):
            self.unit(index, res, path)
        for index, res, path in self.of_type("Location", "ro"):
            self.room(index, res, path)
        for index, res, path in self.of_type("Location", "bd"):
            self.bed(index, res, path)
        for index, res, path in self.of_type("Practitioner"):
            self.practitioner(index, res, path)
        for index, res, path in self.of_type("PractitionerRole"):
            self.practitioner_role(index, res, path)
        for number, s in self.plan.staff.items():
            if "job_role" not in s and not s.get("role_problem"):
                self.problem(
                    s["index"],
                    f"entry[{s['index']}].resource",
                    f"no PractitionerRole refers to practitioner {number}; job role, home unit and hire date are required",
                )
        return self.plan

    def organization_identity(self, index: int, res: dict, path: str) -> None:
        systems = {
            i.get("system"): (n, i.get("value", "")) for n, i in enumerate(res.get("identifier") or [])
        }
        name = res.get("name", "")
        if not name:
            self.problem(index, f"{path}.name", "is required")
        if SID_HEALTH_SYSTEM in systems:
            n, code = systems[SID_HEALTH_SYSTEM]
            if code in self.plan.systems:
                self.problem(index, f"{path}.identifier[{n}].value", "repeats another health system", code)
            self.plan.systems[code] = {"name": name}
            self.identity[index] = ("system", code)
        elif SID_FACILITY in systems:
            n, code = systems[SID_FACILITY]
            if code in self.plan.facilities:
                self.problem(index, f"{path}.identifier[{n}].value", "repeats another facility", code)
            self.plan.facilities[code] = {"name": name, "index": index, "path": path}
            self.identity[index] = ("facility", code)
        else:
            self.problem(
                index,
                f"{path}.identifier",
                f"expected an identifier with system {SID_HEALTH_SYSTEM} or {SID_FACILITY}",
            )

    def facility(self, index: int, res: dict, path: str) -> None:
        code = self.identity[index][1]
        plan = self.plan.facilities[code]
        plan["system"] = self.target(res.get("partOf"), f"{path}.partOf", index, "system")
        plan["kind"] = self.code_in(
            res.get("type"), CS_FACILITY_KIND, f"{path}.type", index, FacilityKind.values, "facility kind"
        )
        plan["phone"] = next(
            (t.get("value", "") for t in res.get("telecom") or [] if t.get("system") == "phone"), ""
        )
        plan["address"] = next((a.get("text", "") for a in res.get("address") or []), "")

    def code_in(self, concepts, system: str, path: str, index: int, allowed, label: str, *, required=True):
        """The code of ``system`` in a CodeableConcept (or list of them), checked against ``allowed``."""
        many = isinstance(concepts, list)
        concepts = concepts if many else [concepts] if concepts else []
        for n, concept in enumerate(concepts):
            for m, coding in enumerate(concept.get("coding") or []):
                if coding.get("system") == system:
                    code = coding.get("code", "")
                    where = f"{path}[{n}].coding[{m}].code" if many else f"{path}.coding[{m}].code"
                    if code not in allowed:
                        self.problem(index, where, f"unknown {label} code", code)
                        return None
                    return code
        if required:
            self.problem(index, path, f"expected a {label} coding with system {system}")
        return None

    def unit(self, index: int, res: dict, path: str) -> None:
        facility = self.target(
            res.get("managingOrganization"), f"{path}.managingOrganization", index, "facility"
        )
        code = next(
            (i.get("value", "") for i in res.get("identifier") or [] if i.get("system") == SID_UNIT_CODE), ""
        )
        if not code:
            self.problem(index, f"{path}.identifier", f"expected an identifier with system {SID_UNIT_CODE}")
        kind = self.code_in(
            res.get("type"), CS_UNIT_KIND, f"{path}.type", index, UnitKind.values, "unit kind"
        )
        ext = _extensions(res)
        beds = ext.get(EXT_STAFFED_BEDS, {}).get("valueUnsignedInt", 0)
        if facility is None or not code:
            return
        key = (facility, code)
        if key in self.plan.units:
            self.problem(index, f"{path}.identifier", f"repeats unit {code} of facility {facility}", code)
        self.plan.units[key] = {
            "name": res.get("name", ""),
            "kind": kind,
            "staffed_beds": beds,
            "index": index,
            "cost_centre": ext.get(EXT_COST_CENTRE, {}).get("valueString", ""),
        }
        self.identity[index] = ("unit", key)

    def room(self, index: int, res: dict, path: str) -> None:
        unit = self.target(res.get("partOf"), f"{path}.partOf", index, "unit")
        if not res.get("name"):
            self.problem(index, f"{path}.name", "is required (the room name)")
        elif unit is not None:
            key = (*unit, res["name"])
            if key in self.plan.rooms:
                self.problem(index, f"{path}.name", "repeats another room of the same unit", res["name"])
            self.plan.rooms[key] = {"index": index}
            self.identity[index] = ("room", key)

    def bed(self, index: int, res: dict, path: str) -> None:
        room = self.target(res.get("partOf"), f"{path}.partOf", index, "room")
        status = BedStatus.UNOCCUPIED
        coding = res.get("operationalStatus")
        if coding:
            if (
                coding.get("system") not in (CS_V2_0116, CS_BED_STATUS)
                or coding.get("code") not in BedStatus.values
            ):
                self.problem(
                    index,
                    f"{path}.operationalStatus.code",
                    f"expected an HL7 v2 table 0116 bed status ({', '.join(BedStatus.values)})",
                    coding.get("code"),
                )
            else:
                status = coding["code"]
        if not res.get("name"):
            self.problem(index, f"{path}.name", "is required (the bed label)")
        elif room is not None:
            key = (*room, res["name"])
            if key in self.plan.beds:
                self.problem(index, f"{path}.name", "repeats another bed of the same room", res["name"])
            self.plan.beds[key] = {"status": status, "index": index}

    def practitioner(self, index: int, res: dict, path: str) -> None:
        idents = res.get("identifier") or []
        n, number = next(
            ((n, i.get("value", "")) for n, i in enumerate(idents) if i.get("system") == SID_EMPLOYEE),
            (None, ""),
        )
        if not number:
            self.problem(
                index, f"{path}.identifier", f"expected an employee number (identifier system {SID_EMPLOYEE})"
            )
            return
        if number in self.plan.staff:
            self.problem(
                index,
                f"{path}.identifier[{n}].value",
                f"repeats the employee number of entry[{self.plan.staff[number]['index']}]",
                number,
            )
            return
        names = res.get("name") or []
        official = next((nm for nm in names if nm.get("use") == "official"), names[0] if names else {})
        first = " ".join(official.get("given") or [])
        last = official.get("family", "")
        if not first:
            self.problem(index, f"{path}.name[0].given", "is required")
        if not last:
            self.problem(index, f"{path}.name[0].family", "is required")
        telecom = res.get("telecom") or []
        staff = {
            "index": index, "path": path, "first_name": first, "last_name": last,
            "email": next((t.get("value", "") for t in telecom if t.get("system") == "email"), ""),
            "phone": next((t.get("value", "") for t in telecom if t.get("system") == "phone"), ""),
            "active": res.get("active", True), "credentials": [],
        }  # fmt: skip
        seen: dict[str, int] = {}
        for q, qual in enumerate(res.get("qualification") or []):
            credential = self.qualification(index, f"{path}.qualification[{q}]", qual)
            if credential is None:
                continue
            code = credential["type"].code
            if code in seen:
                self.problem(
                    index,
                    f"{path}.qualification[{q}].code",
                    f"repeats qualification[{seen[code]}]; one credential per type",
                    code,
                )
            seen[code] = q
            staff["credentials"].append(credential)
        self.plan.staff[number] = staff
        self.identity[index] = ("practitioner", number)

    def qualification(self, index: int, path: str, qual: dict) -> dict | None:
        code = self.code_in(
            qual.get("code"), CS_CREDENTIAL_TYPE, f"{path}.code", index, self.ctypes, "credential type"
        )
        period = qual.get("period") or {}
        issued = self.date(period.get("start"), f"{path}.period.start", index)
        expires = self.date(period.get("end"), f"{path}.period.end", index)
        number = next((i.get("value", "") for i in qual.get("identifier") or []), "")
        verification = _extensions(qual).get(EXT_VERIFICATION)
        result = source = verifier = ""
        verified_at = None
        if verification:
            parts = {e.get("url"): e for e in verification.get("extension") or []}
            result = parts.get("result", {}).get("valueCode", "")
            source = parts.get("source", {}).get("valueString", "")
            verifier = parts.get("verifier", {}).get("valueString", "")
            when = parts.get("date", {}).get("valueDateTime")
            verified_at = dt.datetime.fromisoformat(when) if when and len(when) > 10 else None
            if verified_at is not None and timezone.is_naive(verified_at):
                verified_at = timezone.make_aware(verified_at)
            ext_path = f"{path}.extension[{EXT_VERIFICATION}]"
            if result not in VerificationResult.values:
                self.problem(
                    index,
                    f"{ext_path}.result",
                    f"expected one of {', '.join(VerificationResult.values)}",
                    result,
                )
            if result and not source:
                self.problem(index, f"{ext_path}.source", "is required when a verification result is given")
        if code is None:
            return None
        ctype = self.ctypes[code]
        for p in wf_services._credential_problems(ctype, issued, expires):
            self.problem(index, f"{path}.period.end", p.message)
        return {
            "type": ctype,
            "number": number,
            "issuer": (qual.get("issuer") or {}).get("display", ""),
            "issued_on": issued,
            "expires_on": expires,
            "verification_result": result,
            "verification_source": source,
            "verified_at": verified_at,
            "verifier": verifier,
            "path": path,
        }

    def date(self, value, path: str, index: int) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            self.problem(index, path, "expected a full date (YYYY-MM-DD)", value)
            return None

    def practitioner_role(self, index: int, res: dict, path: str) -> None:
        number = self.target(res.get("practitioner"), f"{path}.practitioner", index, "practitioner")
        if number is None:
            return
        staff = self.plan.staff[number]
        if "job_role" in staff:
            self.problem(
                index,
                f"{path}.practitioner",
                f"practitioner {number} already has a PractitionerRole (entry[{staff['role_index']}])",
            )
            return
        staff["role_index"] = index
        staff["role_problem"] = True  # unless everything below reads
        before = len(self.problems)
        facility = self.target(res.get("organization"), f"{path}.organization", index, "facility")
        role = self.code_in(res.get("code"), CS_JOB_ROLE, f"{path}.code", index, self.roles, "job role")
        ext = _extensions(res)
        locations = [
            self.target(ref, f"{path}.location[{n}]", index, "unit")
            for n, ref in enumerate(res.get("location") or [])
        ]
        home_ref = ext.get(EXT_HOME_UNIT, {}).get("valueReference")
        if home_ref:
            home = self.target(home_ref, f"{path}.extension[{EXT_HOME_UNIT}].valueReference", index, "unit")
        elif locations:
            home = locations[0]
        else:
            home = None
            self.problem(index, f"{path}.location", "is required: the home unit comes first")
        if home is not None and facility is not None and home[0] != facility:
            self.problem(
                index, f"{path}.organization", f"is not the facility of the home unit ({home[0]})", facility
            )
        hire = self.date((res.get("period") or {}).get("start"), f"{path}.period.start", index)
        if hire is None and not (res.get("period") or {}).get("start"):
            self.problem(index, f"{path}.period.start", "is required (the hire date)")
        fte = self.decimal(
            ext.get(EXT_FTE, {}).get("valueDecimal", 1),
            f"{path}.extension[{EXT_FTE}]",
            index,
            Decimal("0.05"),
            Decimal("1.5"),
        )
        money = ext.get(EXT_HOURLY_RATE, {}).get("valueMoney")
        rate = None
        if not money or money.get("value") is None:
            self.problem(index, f"{path}.extension[{EXT_HOURLY_RATE}]", "is required (hourly rate)")
        else:
            rate = self.decimal(
                money["value"],
                f"{path}.extension[{EXT_HOURLY_RATE}].valueMoney.value",
                index,
                Decimal("0"),
                Decimal("2000"),
            )
        employment = ext.get(EXT_EMPLOYMENT_TYPE, {}).get("valueCode", EmploymentType.FULL_TIME)
        if employment not in EmploymentType.values:
            self.problem(
                index,
                f"{path}.extension[{EXT_EMPLOYMENT_TYPE}]",
                f"expected one of {', '.join(EmploymentType.values)}",
                employment,
            )
        skills = []
        for n, concept in enumerate(res.get("specialty") or []):
            code = self.code_in(
                concept, CS_SKILL, f"{path}.specialty[{n}]", index, self.skills, "skill", required=False
            )
            if code:
                skills.append(code)
        if len(self.problems) > before:
            return
        staff.update(
            job_role=role,
            home_unit=home,
            float_units=[u for u in locations if u != home],
            fte=fte,
            hourly_rate=rate,
            employment_type=employment,
            hire_date=hire,
            skills=skills,
            role_problem=False,
        )

    def decimal(self, value, path: str, index: int, lo: Decimal, hi: Decimal) -> Decimal | None:
        try:
            number = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            self.problem(index, path, "expected a number", value)
            return None
        if not lo <= number <= hi:
            self.problem(index, path, f"expected a number between {lo} and {hi}", value)
            return None
        return number


def _physical_type(res: dict) -> str | None:
    for coding in (res.get("physicalType") or {}).get("coding") or []:
        if coding.get("system") == CS_PHYSICAL_TYPE:
            return coding.get("code")
    return None


def _extensions(element: dict) -> dict[str, dict]:
    return {e.get("url"): e for e in element.get("extension") or []}


def _load(bundle: dict | str | bytes, filename: str) -> dict:
    if isinstance(bundle, (str, bytes)):
        try:
            bundle = json.loads(bundle)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(
                [FieldProblem(file=filename, field="file", message=f"is not JSON: {exc}")],
                title=f"{filename} was not imported; nothing was saved.",
            ) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidInput(
            [FieldProblem(file=filename, field="resourceType", message="expected a FHIR Bundle")],
            title=f"{filename} was not imported; nothing was saved.",
        )
    return bundle


def _check_reach(actor, plan: _Plan) -> None:
    if actor is None:
        return
    if not has_role(actor, Role.EXECUTIVE, Role.FACILITY_ADMIN):
        raise NotAllowed("only executives and facility administrators may import a FHIR bundle")
    r = reach(actor, "manage")
    if r.everything:
        return
    existing = dict(Facility.objects.filter(code__in=plan.facilities).values_list("code", "pk"))
    for code in plan.facilities:
        if code not in existing:
            raise NotAllowed(f"you may not add facility {code}; only an executive may")
        if existing[code] not in r.facility_ids:
            raise NotAllowed(f"you may not import into facility {code}")
    for code in plan.systems:
        if not HealthSystem.objects.filter(code=code).exists():
            raise NotAllowed(f"you may not add health system {code}; only an executive may")


def _clean_problems(instance, index: int, path: str, filename: str, exclude=None) -> list[FieldProblem]:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        return [
            FieldProblem(
                file=filename,
                row=index,
                field=path if f == "__all__" else f"{path} ({f})",
                message=" ".join(m),
            )
            for f, m in exc.message_dict.items()
        ]
    return []


def import_bundle(
    *,
    actor=None,
    bundle: dict | str | bytes,
    filename: str = "bundle.json",
    on_progress: Callable[[int, int], None] | None = None,
) -> FhirImportSummary:
    """Create or update the organization, staff and credentials a FHIR R4 Bundle describes; all or nothing.

    ``on_progress(done, total)`` is called as staff members are written (the bulk of the work).
    """
    data = _load(bundle, filename)
    title = f"{filename} was not imported: {{n}} problem(s); nothing was saved."
    problems = validate_bundle(data, filename=filename)
    if problems:
        raise InvalidInput(problems, title=title.format(n=len(problems)))
    reader = _Reader(data, filename)
    plan = reader.read()
    if reader.problems:
        raise InvalidInput(reader.problems, title=title.format(n=len(reader.problems)))
    _check_reach(actor, plan)
    return _write(actor, plan, filename, title, on_progress)


@transaction.atomic
def _write(actor, plan: _Plan, filename: str, title: str, on_progress=None) -> FhirImportSummary:
    summary = FhirImportSummary(filename=filename)
    # Services validate again, but without entry positions; model-level problems are caught first here.
    problems: list[FieldProblem] = []
    systems = {}
    for code, values in plan.systems.items():
        hs = HealthSystem.objects.filter(code=code).first()
        if hs is None:
            hs = org_services.create_health_system(actor=actor, name=values["name"], code=code)
            summary.count("health systems", True)
        elif hs.name != values["name"]:
            before = snapshot(hs)
            hs.name = values["name"]
            hs.save()
            record(
                action="health_system.updated",
                obj=hs,
                summary=f"Health system {hs.name} updated from {filename}",
                changes=diff(before, snapshot(hs)),
            )
            summary.count("health systems", False)
        systems[code] = hs
    facilities = {}
    for code, v in plan.facilities.items():
        hs = systems.get(v["system"]) or HealthSystem.objects.get(code=v["system"])
        fac = Facility.objects.filter(code=code).first()
        fields = {
            "health_system": hs,
            "name": v["name"],
            "kind": v["kind"],
            "address": v["address"],
            "phone": v["phone"],
        }
        if fac is None:
            probe = Facility(code=code, **fields)
            problems += _clean_problems(probe, v["index"], v["path"], filename)
            if not problems:
                fac = org_services.create_facility(actor=actor, code=code, **fields)
                summary.count("facilities", True)
        elif any(getattr(fac, k) != val for k, val in fields.items()):
            before = snapshot(fac)
            for k, val in fields.items():
                setattr(fac, k, val)
            problems += _clean_problems(fac, v["index"], v["path"], filename)
            fac.save()
            record(
                action="facility.updated",
                obj=fac,
                summary=f"Facility {fac.name} updated from {filename}",
                changes=diff(before, snapshot(fac)),
            )
            summary.count("facilities", False)
        facilities[code] = fac
    _raise_if(problems, title)

    def facility(code: str) -> Facility:
        return facilities.get(code) or Facility.objects.get(code=code)

    units = {}
    for (fcode, code), v in plan.units.items():
        fac = facility(fcode)
        path = f"entry[{v['index']}].resource"
        fields = {k: v[k] for k in ("name", "kind", "cost_centre", "staffed_beds")}
        unit = Unit.objects.filter(facility=fac, code=code).first()
        if unit is None:
            problems += _clean_problems(Unit(facility=fac, code=code, **fields), v["index"], path, filename)
            if not problems:
                unit = org_services.create_unit(actor=actor, facility=fac, code=code, **fields)
                summary.count("units", True)
        elif any(getattr(unit, k) != val for k, val in fields.items()):
            unit = org_services.update_unit(actor=actor, unit=unit, **fields)
            summary.count("units", False)
        units[(fcode, code)] = unit
    _raise_if(problems, title)

    def unit_of(key) -> Unit:
        return units.get(key) or Unit.objects.select_related("facility").get(
            facility__code=key[0], code=key[1]
        )

    rooms = {}
    for key in plan.rooms:
        unit = unit_of(key[:2])
        room = Room.objects.filter(unit=unit, name=key[2]).first()
        if room is None:
            labels = [bed[3] for bed in plan.beds if bed[:3] == key]
            room = org_services.add_room_with_beds(
                actor=actor, unit=unit, room_name=key[2], bed_labels=labels
            )
            summary.count("rooms", True)
            summary.count("beds", True, len(labels))
        rooms[key] = room
    for key, v in plan.beds.items():
        room = rooms.get(key[:3]) or Room.objects.get(unit=unit_of(key[:2]), name=key[2])
        bed = Bed.objects.filter(room=room, label=key[3]).first()
        if bed is None:
            bed = Bed.objects.create(room=room, label=key[3])
            record(action="bed.created", obj=bed, summary=f"Bed {bed} added from {filename}")
            summary.count("beds", True)
        if bed.status != v["status"]:
            org_services.set_bed_status(
                actor=actor, bed=bed, status=v["status"], reason=f"imported from {filename}"
            )

    roles = {r.code: r for r in JobRole.objects.all()}
    skills = {s.code: s for s in Skill.objects.all()}
    for done, (number, s) in enumerate(plan.staff.items(), start=1):
        if on_progress is not None:
            on_progress(done, len(plan.staff))
        values = {
            "first_name": s["first_name"], "last_name": s["last_name"], "email": s["email"], "phone": s["phone"],
            "job_role": roles[s["job_role"]], "home_unit": unit_of(s["home_unit"]), "fte": s["fte"],
            "employment_type": s["employment_type"], "hire_date": s["hire_date"], "hourly_rate": s["hourly_rate"],
        }  # fmt: skip
        floats = [unit_of(k) for k in s["float_units"]]
        skill_objs = [skills[c] for c in s["skills"]]
        staff = Staff.objects.filter(employee_number=number).first()
        probe = Staff(employee_number=number, **values) if staff is None else copy.copy(staff)
        for k, val in values.items():
            setattr(probe, k, val)
        problems += _clean_problems(probe, s["index"], s["path"], filename, exclude=["user"])
        if problems:
            continue
        if staff is None:
            staff = wf_services.create_staff(
                actor=actor, employee_number=number, float_units=floats, skills=skill_objs, **values
            )
            summary.count("staff", True)
            if not s["active"]:
                staff = wf_services.update_staff(actor=actor, staff=staff, active=False)
        else:
            changed = {k: val for k, val in values.items() if getattr(staff, k) != val}
            if s["active"] != staff.active:
                changed["active"] = s["active"]
            same_floats = {u.pk for u in staff.float_units.all()} == {u.pk for u in floats}
            same_skills = {k.pk for k in staff.skills.all()} == {k.pk for k in skill_objs}
            if changed or not same_floats or not same_skills:
                wf_services.update_staff(
                    actor=actor, staff=staff, float_units=floats, skills=skill_objs, **changed
                )
                summary.count("staff", False)
        for c in s["credentials"]:
            _write_credential(actor, staff, c, filename, summary)
    _raise_if(problems, title)
    record(
        action="fhir.imported",
        object_type="import",
        object_id=filename,
        actor=actor,
        summary=summary.describe()[:300],
        changes={"created": summary.created, "updated": summary.updated},
    )
    return summary


def _write_credential(actor, staff: Staff, c: dict, filename: str, summary: FhirImportSummary) -> None:
    ctype = c["type"]
    fields = {
        "number": c["number"],
        "issuer": c["issuer"] or ctype.issuing_body,
        "issued_on": c["issued_on"],
        "expires_on": c["expires_on"],
    }
    cred = StaffCredential.objects.filter(staff=staff, credential_type=ctype).first()
    is_new = cred is None
    document_changed = is_new or any(getattr(cred, k) != v for k, v in fields.items())
    verification_changed = bool(c["verification_result"]) and (
        is_new
        or (cred.verification_result, cred.verification_source)
        != (c["verification_result"], c["verification_source"])
    )
    if not (document_changed or verification_changed):
        return
    if document_changed:
        # record_credential treats a change of document as a renewal and clears verification;
        # the bundle's verification (if any) is put back below.
        cred = wf_services.record_credential(actor=actor, staff=staff, credential_type=ctype, **fields)
        if cred.number != c["number"]:  # record_credential keeps the old number when given none
            cred.number = c["number"]
            cred.save(update_fields=["number"])
    summary.count("credentials", is_new)
    if c["verification_result"] and (cred.verification_result, cred.verification_source) != (
        c["verification_result"],
        c["verification_source"],
    ):
        before = snapshot(cred)
        cred.verification_result = c["verification_result"]
        cred.verification_source = c["verification_source"]
        cred.verified_at = c["verified_at"] or timezone.now()
        cred.verified_by = (
            get_user_model().objects.filter(username=c["verifier"]).first() if c["verifier"] else None
        )
        cred.save()
        record(
            action="credential.verified",
            obj=cred,
            summary=f"{ctype.code} of {staff.employee_number}: verification imported from {filename}",
            changes=diff(before, snapshot(cred)),
        )


def _raise_if(problems: list[FieldProblem], title: str) -> None:
    if problems:
        raise InvalidInput(problems, title=title.format(n=len(problems)))
