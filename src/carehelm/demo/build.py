"""The deterministic demo health system.

Riverbend Health: a 250-bed general hospital (Riverbend General), a family medical practice (Oak
Street) and a long-term care home (Willow Grove), about 400 staff with a realistic role mix, FTEs,
pay and skills, credentials with a realistic spread of expiry dates (some expired, some expiring
this month, a few unverified, a few required ones missing), and one demo user per role.

Fixed seed, and dates relative to the day it is loaded, so "expiring this month" is always true.
``build_demo(scale=0.1)`` builds a smaller version for tests. Later domain apps add their own demo
data (shift types, demand, patient activity) through ``carehelm.demo.registry``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from carehelm.accounts.models import Role
from carehelm.accounts.services import create_user, grant_role
from carehelm.audit.services import record
from carehelm.demo.names import FIRST_NAMES, LAST_NAMES
from carehelm.organization.models import Bed, Facility, FacilityKind, HealthSystem, Room, Unit, UnitKind
from carehelm.workforce.models import (
    CredentialRequirement,
    CredentialType,
    EmploymentType,
    JobRole,
    Skill,
    Staff,
    StaffCredential,
    VerificationResult,
)
from carehelm.workforce.selectors import requirements_for

DEMO_PASSWORD = "carehelm-demo"
DEMO_SEED = 20260101

# (username, first, last, role, facility code, unit code, description)
DEMO_USERS = [
    ("exec", "Evelyn", "Marsh", Role.EXECUTIVE, None, None, "executive — the whole health system"),
    ("facility.admin", "Farid", "Haddad", Role.FACILITY_ADMIN, "rgh", None, "administrator of Riverbend General Hospital"),
    ("manager.icu", "Monica", "Reyes", Role.UNIT_MANAGER, "rgh", "ICU", "nurse unit manager, Intensive Care"),
    ("manager.medsurg", "Martin", "Okonkwo", Role.UNIT_MANAGER, "rgh", "MS4", "nurse unit manager, Medical-Surgical 4"),
    ("compliance", "Clara", "Lindqvist", Role.COMPLIANCE, None, None, "compliance officer — credentials across the system"),
    ("nurse.icu", "Noah", "Tanaka", Role.STAFF, "rgh", "ICU", "ICU staff nurse — own record and shifts"),
]

# Staffing per unit: job role code -> head count at scale 1. Tuned so the system has ~400 staff.
HOSPITAL_UNITS = [
    # code, name, kind, staffed beds, rooms of (beds per room), cost centre, staffing
    ("ICU", "Intensive Care", UnitKind.ICU, 16, 1, "6010", {"rn": 30, "charge-rn": 4, "cna": 3, "physician": 3, "unit-clerk": 1}),
    ("ED", "Emergency Department", UnitKind.EMERGENCY, 24, 1, "6020", {"rn": 28, "charge-rn": 3, "cna": 4, "physician": 6, "np": 2, "unit-clerk": 2}),
    ("MS3", "Medical Ward 3", UnitKind.INPATIENT_WARD, 32, 2, "6103", {"rn": 20, "charge-rn": 3, "lpn": 3, "cna": 6, "unit-clerk": 1}),
    ("MS4", "Medical-Surgical 4", UnitKind.INPATIENT_WARD, 32, 2, "6104", {"rn": 20, "charge-rn": 3, "lpn": 3, "cna": 6, "unit-clerk": 1}),
    ("MS5", "Surgical Ward 5", UnitKind.INPATIENT_WARD, 32, 2, "6105", {"rn": 18, "charge-rn": 3, "lpn": 2, "cna": 6, "unit-clerk": 1}),
    ("MS6", "Medical Ward 6", UnitKind.INPATIENT_WARD, 32, 2, "6106", {"rn": 18, "charge-rn": 2, "lpn": 2, "cna": 5, "unit-clerk": 1}),
    ("SDU", "Cardiac Step-down", UnitKind.INPATIENT_WARD, 20, 2, "6030", {"rn": 14, "charge-rn": 2, "cna": 3}),
    ("ONC", "Oncology", UnitKind.INPATIENT_WARD, 20, 2, "6040", {"rn": 12, "charge-rn": 2, "cna": 3}),
    ("OBS", "Short Stay / Observation", UnitKind.INPATIENT_WARD, 16, 2, "6050", {"rn": 8, "charge-rn": 1, "cna": 2}),
    ("MAT", "Maternity", UnitKind.MATERNITY, 28, 2, "6060", {"rn": 16, "charge-rn": 2, "cna": 3, "physician": 2}),
    ("PAED", "Paediatrics", UnitKind.INPATIENT_WARD, 22, 2, "6070", {"rn": 13, "charge-rn": 2, "cna": 2, "physician": 1}),
    ("OR", "Operating Theatres", UnitKind.OPERATING_THEATRE, 0, 0, "6080", {"rn": 14, "cna": 2, "physician": 4}),
    ("OPD", "Outpatient Clinic", UnitKind.OUTPATIENT, 0, 0, "6090", {"rn": 4, "lpn": 2, "maa": 2, "physician": 2}),
    ("ADM", "Administration", UnitKind.ADMINISTRATIVE, 0, 0, "1000", {"hospital-administrator": 1, "cmo": 1, "practice-manager": 2, "dept-coordinator": 3, "maa": 3}),
]
CLINIC_UNITS = [
    ("FM", "Family Medicine", UnitKind.OUTPATIENT, 0, 0, "7010", {"physician": 4, "np": 2, "rn": 3, "lpn": 3, "maa": 3}),
    ("FO", "Front Office", UnitKind.ADMINISTRATIVE, 0, 0, "7000", {"practice-manager": 1, "dept-coordinator": 1, "maa": 3}),
]
LTC_UNITS = [
    ("RES", "Residential Care", UnitKind.INPATIENT_WARD, 60, 2, "8010", {"rn": 6, "lpn": 6, "cna": 16, "dept-coordinator": 1}),
    ("MEM", "Memory Care", UnitKind.INPATIENT_WARD, 24, 2, "8020", {"rn": 3, "lpn": 3, "cna": 8}),
]

FACILITIES = [
    ("rgh", "Riverbend General Hospital", FacilityKind.HOSPITAL, "1200 River Road, Riverbend", HOSPITAL_UNITS),
    ("oak", "Oak Street Family Practice", FacilityKind.CLINIC, "48 Oak Street, Riverbend", CLINIC_UNITS),
    ("willow", "Willow Grove Care Home", FacilityKind.LONG_TERM_CARE, "7 Willow Lane, Easton", LTC_UNITS),
]

UNIT_SKILLS = {
    UnitKind.ICU: ["critical-care", "iv-therapy", "telemetry"],
    UnitKind.EMERGENCY: ["emergency", "triage", "iv-therapy"],
    UnitKind.MATERNITY: ["obstetrics", "neonatal"],
    UnitKind.OPERATING_THEATRE: ["perioperative", "anaesthesia-recovery"],
    UnitKind.INPATIENT_WARD: ["iv-therapy", "wound-care", "telemetry"],
    UnitKind.OUTPATIENT: ["phlebotomy", "scheduling"],
    UnitKind.ADMINISTRATIVE: ["billing", "scheduling"],
}

HOURLY_RATE = {"cna": (17, 23), "lpn": (25, 33), "rn": (38, 56), "charge-rn": (46, 62), "np": (55, 72),
               "physician": (110, 190), "unit-clerk": (17, 22), "maa": (17, 24), "dept-coordinator": (23, 31),
               "practice-manager": (30, 45), "hospital-administrator": (60, 110), "cmo": (130, 200)}

VERIFY_SOURCES = {
    "licence": "State Board of Nursing / Medical Board online licence verification",
    "registration": "Issuing registry online lookup",
    "life_support": "AHA eCard verification",
    "management": "Certifying body directory",
    "other": "Issuing body",
}


@dataclass
class DemoSummary:
    facilities: int = 0
    units: int = 0
    beds: int = 0
    staff: int = 0
    credentials: int = 0
    users: list[tuple[str, str]] = field(default_factory=list)


def _scaled(count: int, scale: float) -> int:
    return max(1, round(count * scale)) if count else 0


@transaction.atomic
def build_demo(*, scale: float = 1.0, seed: int = DEMO_SEED, today: dt.date | None = None,
               with_extras: bool = True) -> DemoSummary:
    """Build the demo health system into an empty database. ``scale`` shrinks staff and beds for tests."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    summary = DemoSummary()
    roles = {r.code: r for r in JobRole.objects.all()}
    skills = {s.code: s for s in Skill.objects.all()}
    ctypes = {t.code: t for t in CredentialType.objects.all()}
    requirements = list(CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False))

    system = HealthSystem.objects.create(name="Riverbend Health", code="riverbend")
    units_by_code: dict[tuple[str, str], Unit] = {}
    staffing: list[tuple[Unit, dict]] = []
    for fcode, fname, fkind, address, unit_specs in FACILITIES:
        facility = Facility.objects.create(health_system=system, code=fcode, name=fname, kind=fkind, address=address,
                                           phone=f"+1 555 01{len(units_by_code):02d}")
        summary.facilities += 1
        for ucode, uname, ukind, beds, per_room, cost_centre, mix in unit_specs:
            n_beds = _scaled(beds, scale) if beds else 0
            unit = Unit.objects.create(facility=facility, code=ucode, name=uname, kind=ukind, cost_centre=cost_centre,
                                       staffed_beds=n_beds)
            units_by_code[(fcode, ucode)] = unit
            summary.units += 1
            summary.beds += _add_beds(unit, n_beds, per_room)
            staffing.append((unit, {k: _scaled(v, scale) for k, v in mix.items()}))

    # People, deterministic: names drawn without replacement from the product of the pools.
    name_pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(name_pairs)
    staff_rows: list[Staff] = []
    float_plan: list[tuple[int, list[Unit]]] = []
    skill_plan: list[tuple[int, list[Skill]]] = []
    serial = 0
    for unit, mix in staffing:
        siblings = [u for (fc, _), u in units_by_code.items()
                    if fc == unit.facility.code and u.pk != unit.pk and u.kind in (UnitKind.INPATIENT_WARD,)]
        for role_code, count in mix.items():
            for _ in range(count):
                serial += 1
                first, last = name_pairs[serial]
                lo, hi = HOURLY_RATE[role_code]
                fte = rng.choices([Decimal("1.00"), Decimal("0.90"), Decimal("0.80"), Decimal("0.60"), Decimal("0.50")],
                                  weights=[50, 15, 20, 10, 5])[0]
                employment = (EmploymentType.FULL_TIME if fte >= Decimal("0.8") else EmploymentType.PART_TIME)
                if rng.random() < 0.05 and role_code in ("rn", "cna", "lpn"):
                    employment = rng.choice([EmploymentType.CASUAL, EmploymentType.AGENCY])
                staff = Staff(
                    employee_number=f"{unit.facility.code.upper()}-{serial:04d}",
                    first_name=first, last_name=last,
                    email=f"{first.lower().replace('-', '')}.{last.lower().replace(chr(39), '')}{serial}@riverbend.example",
                    phone=f"+1 555 2{serial:03d} {rng.randint(1000, 9999)}",
                    job_role=roles[role_code], home_unit=unit, fte=fte, employment_type=employment,
                    hire_date=today - dt.timedelta(days=rng.randint(60, 365 * 22)),
                    hourly_rate=Decimal(f"{rng.uniform(lo, hi):.2f}"),
                )
                staff_rows.append(staff)
                floats = []
                if role_code in ("rn", "cna", "lpn") and siblings and rng.random() < 0.3:
                    floats = rng.sample(siblings, k=min(len(siblings), rng.randint(1, 2)))
                float_plan.append((len(staff_rows) - 1, floats))
                pool = UNIT_SKILLS.get(unit.kind, [])
                chosen = [skills[c] for c in pool if rng.random() < 0.7]
                if role_code == "charge-rn":
                    chosen.append(skills["charge"])
                if role_code in ("rn", "charge-rn") and rng.random() < 0.2:
                    chosen.append(skills["preceptor"])
                skill_plan.append((len(staff_rows) - 1, chosen))
    bulk_create_with_history(staff_rows, Staff, batch_size=500)
    saved = list(Staff.objects.filter(employee_number__in=[s.employee_number for s in staff_rows])
                 .select_related("home_unit", "job_role").order_by("employee_number"))
    by_number = {s.employee_number: s for s in saved}
    staff_rows = [by_number[s.employee_number] for s in staff_rows]
    for index, floats in float_plan:
        if floats:
            staff_rows[index].float_units.set(floats)
    for index, chosen in skill_plan:
        if chosen:
            staff_rows[index].skills.set(chosen)
    summary.staff = len(staff_rows)

    users = _demo_users(system, units_by_code, staff_rows, summary)
    verifier = users.get("compliance")

    creds: list[StaffCredential] = []
    for person in staff_rows:
        wanted = {r.credential_type.code for r in requirements_for(person, requirements)}
        if person.job_role.code in ("practice-manager", "hospital-administrator", "cmo", "dept-coordinator"):
            wanted |= {c for c in ("cmm", "cmpe", "fache", "cphq", "chc", "cpps", "cphims") if rng.random() < 0.35}
        for code in sorted(wanted):
            if rng.random() < 0.012 and person.employee_number != users.get("_nurse_number"):
                continue  # a required credential nobody recorded: shows as "missing"
            ctype = ctypes[code]
            creds.append(_credential(rng, person, ctype, today, verifier))
    bulk_create_with_history(creds, StaffCredential, batch_size=500)
    summary.credentials = len(creds)
    _guarantee_board_examples(rng, staff_rows, ctypes, today)

    record(action="demo.loaded", object_type="demo", object_id=str(seed),
           summary=f"Demo health system loaded: {summary.facilities} facilities, {summary.units} units, "
                   f"{summary.staff} staff, {summary.credentials} credentials")
    if with_extras:
        from carehelm.demo.registry import run_extra_steps

        run_extra_steps(rng=rng, today=today, scale=scale)
    return summary


def _add_beds(unit: Unit, n_beds: int, per_room: int) -> int:
    if not n_beds:
        return 0
    beds = []
    room_no = 1
    made = 0
    while made < n_beds:
        room = Room.objects.create(unit=unit, name=f"{unit.code}-{room_no:02d}")
        for label in "AB"[:per_room] if per_room > 1 else "A":
            if made >= n_beds:
                break
            beds.append(Bed(room=room, label=label))
            made += 1
        room_no += 1
    bulk_create_with_history(beds, Bed, batch_size=500)
    return made


def _credential(rng: random.Random, person: Staff, ctype: CredentialType, today: dt.date, verifier) -> StaffCredential:
    months = ctype.renewal_months or 24
    # Issue dates spread over one renewal cycle, so expiries spread evenly over the next cycle;
    # ~4% are a little past expiry (the renewal has not reached us yet).
    if rng.random() < 0.04:
        expires = today - dt.timedelta(days=rng.randint(1, 75))
    else:
        expires = today + dt.timedelta(days=rng.randint(0, months * 30))
    issued = expires - dt.timedelta(days=months * 30 + rng.randint(-5, 5))
    verified = rng.random() > 0.03
    return StaffCredential(
        staff=person, credential_type=ctype, number=f"{ctype.code[:3].upper()}{rng.randint(100000, 999999)}",
        issuer=ctype.issuing_body, issued_on=issued, expires_on=expires if ctype.renewal_months else None,
        verified_by=verifier if verified else None,
        verified_at=timezone.now() - dt.timedelta(days=rng.randint(1, 300)) if verified else None,
        verification_source=VERIFY_SOURCES[ctype.kind] if verified else "",
        verification_result=VerificationResult.VERIFIED if verified else "",
    )


def _guarantee_board_examples(rng, staff_rows, ctypes, today) -> None:
    """Make sure each unit manager's board shows something expiring within 30 days."""
    for unit_code in ("ICU", "MS4"):
        nurses = [s for s in staff_rows if s.home_unit.code == unit_code and s.job_role.code == "rn" and s.user_id is None]
        if not nurses:
            continue
        person = nurses[len(nurses) // 2]
        cred = StaffCredential.objects.filter(staff=person, credential_type=ctypes["bls"]).first()
        if cred is not None:
            cred.expires_on = today + dt.timedelta(days=12)
            cred.issued_on = cred.expires_on - dt.timedelta(days=730)
            cred.verification_result = VerificationResult.VERIFIED
            cred.verification_source = cred.verification_source or VERIFY_SOURCES["life_support"]
            cred.save()


def _demo_users(system, units_by_code, staff_rows, summary) -> dict:
    users = {}
    for username, first, last, role, fcode, ucode, description in DEMO_USERS:
        user = create_user(username=username, password=DEMO_PASSWORD, first_name=first, last_name=last,
                           email=f"{username}@riverbend.example", is_staff=role == Role.EXECUTIVE)
        users[username] = user
        summary.users.append((username, description))
        if role == Role.STAFF:
            unit = units_by_code[(fcode, ucode)]
            person = next(s for s in staff_rows if s.home_unit_id == unit.pk and s.job_role.code == "rn")
            person.first_name, person.last_name, person.user = first, last, user
            person.email = user.email
            person.save()
            users["_nurse_number"] = person.employee_number
            continue
        facility = units_by_code[(fcode, ucode)].facility if ucode else (
            next(u.facility for (fc, _), u in units_by_code.items() if fc == fcode) if fcode else None)
        grant_role(user=user, role=role, health_system=system if role in (Role.EXECUTIVE, Role.COMPLIANCE) else None,
                   facility=facility if role == Role.FACILITY_ADMIN else None,
                   unit=units_by_code[(fcode, ucode)] if role == Role.UNIT_MANAGER else None)
    if users.get("exec"):
        users["exec"].is_superuser = True
        users["exec"].save(update_fields=["is_superuser"])
    return users


def database_is_empty() -> bool:
    return not HealthSystem.objects.exists()
