"""FHIR R4 export and import: the round trip reproduces the organization, staff and credentials.

Expected values come from the rows each test builds (and from the FHIR R4 spec's element names),
never from the exporter's own output.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carehelm.accounts.models import RoleGrant
from carehelm.audit.models import AuditEvent
from carehelm.organization.models import Bed, BedStatus, Facility, HealthSystem, Room, Unit, UnitKind
from carehelm.validation import InvalidInput, NotAllowed
from carehelm.workforce.fhir import export_bundle, import_bundle
from carehelm.workforce.models import EmploymentType, Skill, Staff, StaffCredential, VerificationResult
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(world):
    """The ``world`` plus what the FHIR mapping must carry: credentials, floats, skills, rooms and beds."""
    world.hospital.address = "1 River Road, Riverbend"
    world.hospital.phone = "+1 555 0100"
    world.hospital.save()
    world.icu.cost_centre = "CC-4410"
    world.icu.save()
    ed = f.UnitFactory(
        facility=world.hospital, name="Emergency", code="ED", kind=UnitKind.EMERGENCY, staffed_beds=22
    )
    room = f.RoomFactory(unit=world.icu, name="101")
    f.BedFactory(room=room, label="A", status=BedStatus.OCCUPIED)
    f.BedFactory(room=room, label="B", status=BedStatus.BLOCKED)
    f.BedFactory(room=f.RoomFactory(unit=world.medsurg, name="402"), label="A", status=BedStatus.CONTAMINATED)

    nurse = world.icu_nurse
    nurse.email, nurse.phone = "ines.okafor@riverbend.example", "+1 555 0142"
    nurse.fte, nurse.hourly_rate, nurse.hire_date = Decimal("0.80"), Decimal("52.75"), dt.date(2018, 3, 12)
    nurse.employment_type = EmploymentType.PART_TIME
    nurse.save()
    nurse.float_units.set([world.medsurg, ed])
    nurse.skills.set(Skill.objects.filter(code__in=["critical-care", "iv-therapy"]))
    world.medsurg_nurse.job_role = f.job_role("charge-rn")
    world.medsurg_nurse.active = False
    world.medsurg_nurse.save()
    world.clinic_nurse.job_role = f.job_role("lpn")
    world.clinic_nurse.hourly_rate = Decimal("31")
    world.clinic_nurse.save()

    f.StaffCredentialFactory(
        staff=nurse,
        credential_type=f.credential_type("rn-licence"),
        number="RN-784512",
        issuer="California Board of Registered Nursing",
        issued_on=dt.date(2019, 5, 1),
        expires_on=dt.date(2027, 4, 30),
        verification_source="BRN licence lookup",
    )
    f.StaffCredentialFactory(
        staff=nurse,
        credential_type=f.credential_type("acls"),
        number="ACLS-0091",
        issued_on=dt.date(2025, 1, 10),
        expires_on=dt.date(2027, 1, 31),
        verification_result=VerificationResult.DISCREPANCY,
        verification_source="AHA eCard",
    )
    f.StaffCredentialFactory(
        staff=world.medsurg_nurse,
        credential_type=f.credential_type("bls"),
        number="",
        issued_on=dt.date(2024, 6, 1),
        expires_on=dt.date(2026, 6, 30),
        verification_result="",
        verification_source="",
        verified_at=None,
    )
    return world


def organization_rows() -> dict:
    """Every domain row by natural key, as plain values: what the round trip must reproduce."""
    return {
        "systems": sorted(HealthSystem.objects.values_list("code", "name")),
        "facilities": sorted(Facility.objects.values_list("code", "health_system__code", "name", "kind", "address", "phone")),
        "units": sorted(Unit.objects.values_list("facility__code", "code", "name", "kind", "cost_centre", "staffed_beds")),
        "rooms": sorted(Room.objects.values_list("unit__facility__code", "unit__code", "name")),
        "beds": sorted(Bed.objects.values_list("room__unit__code", "room__name", "label", "status")),
        "staff": sorted(
            (s.employee_number, s.first_name, s.last_name, s.email, s.phone, s.job_role.code,
             s.home_unit.facility.code, s.home_unit.code, sorted(u.code for u in s.float_units.all()),
             s.fte, s.employment_type, s.hire_date, s.hourly_rate, s.active, sorted(k.code for k in s.skills.all()))
            for s in Staff.objects.all()
        ),
        "credentials": sorted(
            StaffCredential.objects.values_list(
                "staff__employee_number", "credential_type__code", "number", "issuer", "issued_on", "expires_on",
                "verification_result", "verification_source", "verified_at",
            )
        ),
    }  # fmt: skip


def empty_the_database() -> None:
    StaffCredential.objects.all().delete()
    Staff.objects.all().delete()
    RoleGrant.objects.all().delete()
    Bed.objects.all().delete()
    Room.objects.all().delete()
    Unit.objects.all().delete()
    Facility.objects.all().delete()
    HealthSystem.objects.all().delete()


def validate_r4(bundle: dict) -> None:
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)


def entries(bundle: dict, resource_type: str) -> list[tuple[int, dict]]:
    return [
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == resource_type
    ]


def practitioner_entry(bundle: dict, employee_number: str) -> tuple[int, dict]:
    for index, res in entries(bundle, "Practitioner"):
        if any(i["value"] == employee_number for i in res["identifier"]):
            return index, res
    raise AssertionError(f"no Practitioner for {employee_number}")


# --- round trip ------------------------------------------------------------------------------------


def test_round_trip_into_an_empty_database_reproduces_organization_staff_and_credentials(organization):
    before = organization_rows()
    assert len(before["credentials"]) == 3 and len(before["staff"]) == 3  # the fixture built what we compare

    text = json.dumps(export_bundle(organization.users["executive"]))  # must be plain JSON
    bundle = json.loads(text)
    validate_r4(bundle)
    assert bundle["type"] == "collection"

    empty_the_database()
    assert Staff.objects.count() == Facility.objects.count() == 0
    summary = import_bundle(bundle=text, filename="riverbend.json")

    assert organization_rows() == before
    assert summary.created == {"health systems": 1, "facilities": 2, "units": 4, "rooms": 2, "beds": 3, "staff": 3,
                               "credentials": 3}  # fmt: skip
    assert AuditEvent.objects.filter(action="fhir.imported", object_id="riverbend.json").count() == 1
    assert AuditEvent.objects.filter(action="staff.created").count() >= 3


def test_reimporting_the_same_bundle_changes_nothing(organization):
    bundle = export_bundle(None)
    before = organization_rows()
    summary = import_bundle(bundle=bundle)
    assert summary.created == {} and summary.updated == {}
    assert organization_rows() == before


def test_import_updates_existing_rows_by_employee_number_and_codes(organization):
    bundle = export_bundle(None)
    index, res = practitioner_entry(bundle, organization.clinic_nurse.employee_number)
    res["name"][0]["family"] = "Abara-Lee"
    summary = import_bundle(bundle=bundle)
    assert summary.updated == {"staff": 1} and summary.created == {}
    organization.clinic_nurse.refresh_from_db()
    assert organization.clinic_nurse.last_name == "Abara-Lee"
    assert Staff.objects.count() == 3


def test_exported_practitioner_has_the_fhir_r4_shape(organization):
    bundle = export_bundle(organization.users["executive"])
    nurse = organization.icu_nurse
    _, practitioner = practitioner_entry(bundle, nurse.employee_number)
    assert {
        "system": "https://carehelm.org/fhir/sid/employee-number",
        "value": nurse.employee_number,
    }.items() <= (practitioner["identifier"][0].items())
    assert practitioner["name"][0]["family"] == "Okafor" and practitioner["name"][0]["given"] == ["Ines"]
    assert {"system": "email", "value": "ines.okafor@riverbend.example", "use": "work"} in practitioner[
        "telecom"
    ]
    licence = next(q for q in practitioner["qualification"] if q["code"]["coding"][0]["code"] == "rn-licence")
    assert licence["code"]["coding"][0]["system"] == "https://carehelm.org/fhir/CodeSystem/credential-type"
    assert licence["identifier"][0]["value"] == "RN-784512"
    assert licence["issuer"] == {"display": "California Board of Registered Nursing"}
    assert licence["period"] == {"start": "2019-05-01", "end": "2027-04-30"}

    roles = [r for _, r in entries(bundle, "PractitionerRole")
             if r["practitioner"]["reference"] == f"urn:uuid:{practitioner['id']}"]  # fmt: skip
    assert len(roles) == 1
    role = roles[0]
    assert role["period"] == {"start": "2018-03-12"}
    assert role["code"][0]["coding"][0]["code"] == "rn"
    # Every reference in the bundle resolves to an entry's fullUrl.
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert role["organization"]["reference"] in full_urls
    assert all(loc["reference"] in full_urls for loc in role["location"])
    assert len(role["location"]) == 3  # home unit and two float units


def test_units_and_beds_map_to_locations_with_hl7_codes(organization):
    bundle = export_bundle(None)
    locations = [r for _, r in entries(bundle, "Location")]
    icu = next(r for r in locations if {"system": "https://carehelm.org/fhir/sid/unit-code", "value": "ICU"}
               in r.get("identifier", []))  # fmt: skip
    assert icu["physicalType"]["coding"][0]["code"] == "wa"
    beds = [r for r in locations if r["physicalType"]["coding"][0]["code"] == "bd"]
    occupied = [b for b in beds if b["operationalStatus"]["code"] == "O"]
    assert len(occupied) == 1
    assert occupied[0]["operationalStatus"]["system"] == "http://terminology.hl7.org/CodeSystem/v2-0116"


# --- refusals --------------------------------------------------------------------------------------


def _refused(bundle) -> InvalidInput:
    empty_the_database()
    with pytest.raises(InvalidInput) as exc:
        import_bundle(bundle=bundle, filename="bad.json")
    assert HealthSystem.objects.count() == Facility.objects.count() == Unit.objects.count() == 0
    assert Staff.objects.count() == StaffCredential.objects.count() == 0
    assert not AuditEvent.objects.filter(action="fhir.imported").exists()
    return exc.value


def test_unknown_credential_code_refuses_the_whole_bundle_naming_the_entry(organization):
    bundle = export_bundle(None)
    index, practitioner = practitioner_entry(bundle, organization.icu_nurse.employee_number)
    practitioner["qualification"][1]["code"]["coding"][0]["code"] = "scuba-licence"
    problems = _refused(bundle).problems
    assert [(p.row, p.field, p.value) for p in problems] == [
        (index, f"entry[{index}].resource.qualification[1].code.coding[0].code", "scuba-licence")
    ]
    assert problems[0].file == "bad.json"


def test_broken_reference_is_refused(organization):
    bundle = export_bundle(None)
    index, role = entries(bundle, "PractitionerRole")[0]
    role["location"][0]["reference"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    problems = _refused(bundle).problems
    assert (index, f"entry[{index}].resource.location[0].reference") in [(p.row, p.field) for p in problems]


def test_invalid_fhir_is_refused_with_its_fhirpath(organization):
    bundle = export_bundle(None)
    index, practitioner = practitioner_entry(bundle, organization.icu_nurse.employee_number)
    practitioner["qualification"][0]["period"]["end"] = "2027-13-45"
    problems = _refused(bundle).problems
    assert [(p.row, p.field) for p in problems] == [
        (index, f"entry[{index}].resource.qualification[0].period.end")
    ]


def test_missing_employee_number_and_unknown_job_role_are_each_named(organization):
    bundle = export_bundle(None)
    index, practitioner = practitioner_entry(bundle, organization.clinic_nurse.employee_number)
    practitioner["identifier"] = []
    role_index, role = next((i, r) for i, r in entries(bundle, "PractitionerRole")
                            if r["practitioner"]["reference"] != f"urn:uuid:{practitioner['id']}")  # fmt: skip
    role["code"][0]["coding"][0]["code"] = "astronaut"
    fields = {(p.row, p.field) for p in _refused(bundle).problems}
    assert (index, f"entry[{index}].resource.identifier") in fields
    assert (role_index, f"entry[{role_index}].resource.code[0].coding[0].code") in fields


def test_a_problem_found_while_writing_still_leaves_nothing_written(organization):
    # fhir.resources does not check e-mail syntax; the model does, after organizations were written.
    bundle = export_bundle(None)
    index, practitioner = practitioner_entry(bundle, organization.icu_nurse.employee_number)
    practitioner["telecom"][0]["value"] = "not-an-email"
    problems = _refused(bundle).problems
    assert [p.row for p in problems] == [index]
    assert "email" in problems[0].field


def test_not_json_is_refused_naming_the_file(db):
    with pytest.raises(InvalidInput) as exc:
        import_bundle(bundle="{not json", filename="broken.json")
    assert exc.value.problems[0].file == "broken.json"


# --- scope -----------------------------------------------------------------------------------------


def test_unit_manager_exports_only_their_units_staff(organization):
    bundle = export_bundle(organization.users["unit_manager"])  # manages ICU
    validate_r4(bundle)
    numbers = {i["value"] for _, p in entries(bundle, "Practitioner") for i in p["identifier"]}
    assert numbers == {organization.icu_nurse.employee_number}
    unit_codes = {i["value"] for _, r in entries(bundle, "Location") for i in r.get("identifier", [])
                  if i["system"].endswith("/unit-code")}  # fmt: skip
    assert unit_codes == {"ICU"}
    facility_codes = {i["value"] for _, r in entries(bundle, "Organization") for i in r["identifier"]
                      if i["system"].endswith("/facility")}  # fmt: skip
    assert facility_codes == {"rgh"}


def test_float_staff_outside_the_export_use_logical_unit_references(organization):
    organization.medsurg_nurse.float_units.set([organization.icu])
    bundle = export_bundle(organization.users["unit_manager"])
    validate_r4(bundle)
    _, practitioner = practitioner_entry(bundle, organization.medsurg_nurse.employee_number)
    role = next(r for _, r in entries(bundle, "PractitionerRole")
                if r["practitioner"]["reference"] == f"urn:uuid:{practitioner['id']}")  # fmt: skip
    assert role["location"][0] == {"identifier": {"system": "https://carehelm.org/fhir/sid/unit", "value": "rgh/MS4"},
                                   "display": "Medical-Surgical 4"}  # fmt: skip
    # The logical reference resolves against the database on re-import.
    assert import_bundle(bundle=bundle).created == {}


def test_only_executives_and_facility_admins_may_import(organization):
    bundle = export_bundle(None)
    with pytest.raises(NotAllowed):
        import_bundle(actor=organization.users["unit_manager"], bundle=bundle)
    with pytest.raises(NotAllowed):  # the clinic is outside the hospital administrator's facility
        import_bundle(actor=organization.users["facility_admin"], bundle=bundle)
    hospital_only = export_bundle(organization.users["facility_admin"])
    assert import_bundle(actor=organization.users["facility_admin"], bundle=hospital_only).created == {}


# --- CLI and API -----------------------------------------------------------------------------------


def test_commands_round_trip_and_refuse_bad_files(organization, tmp_path, capsys):
    out = tmp_path / "bundle.json"
    call_command("export_fhir", out=str(out))
    before = organization_rows()
    empty_the_database()
    call_command("import_fhir", str(out))
    assert organization_rows() == before

    bad = json.loads(out.read_text())
    index, practitioner = practitioner_entry(bad, organization.icu_nurse.employee_number)
    practitioner["qualification"][0]["code"]["coding"][0]["code"] = "nope"
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps(bad))
    with pytest.raises(CommandError) as exc:
        call_command("import_fhir", str(bad_file))
    assert f"bad.json, entry {index}, entry[{index}].resource.qualification[0].code" in str(exc.value)


def test_import_command_exits_1_without_traceback(organization, tmp_path, capsys):
    from carehelm.cli import main

    bad_file = tmp_path / "bad.json"
    bad_file.write_text('{"resourceType": "Patient"}')
    with pytest.raises(SystemExit) as exc:
        main(["import_fhir", str(bad_file)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "bad.json" in err and "resourceType" in err and "Traceback" not in err


def test_api_bundle_and_import(organization, client_for):
    client = client_for(organization.users["executive"])
    response = client.get("/api/workforce/fhir/bundle")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    validate_r4(bundle)

    broken = copy.deepcopy(bundle)
    index, practitioner = practitioner_entry(broken, organization.icu_nurse.employee_number)
    practitioner["qualification"][0]["code"]["coding"][0]["code"] = "nope"
    response = client.post(
        "/api/workforce/fhir/import", data=json.dumps(broken), content_type="application/fhir+json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == index

    response = client.post(
        "/api/workforce/fhir/import", data=json.dumps(bundle), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["created"] == {}

    manager = client_for(organization.users["unit_manager"])
    response = manager.post(
        "/api/workforce/fhir/import", data=json.dumps(bundle), content_type="application/json"
    )
    assert response.status_code == 403


def test_export_is_recorded_in_the_audit_trail(organization):
    manager = organization.users["unit_manager"]
    export_bundle(manager)
    event = AuditEvent.objects.get(action="fhir.exported")
    assert event.actor == manager and "1 staff" in event.summary


def test_relative_references_without_full_urls_are_resolved(organization):
    # Another server's collection may name entries only by Type/id; references then use that form.
    bundle = export_bundle(None)
    text = json.dumps(bundle)
    for entry in bundle["entry"]:
        res = entry["resource"]
        text = text.replace(f'"urn:uuid:{res["id"]}"', f'"{res["resourceType"]}/{res["id"]}"')
    relative = json.loads(text)
    for entry in relative["entry"]:
        entry.pop("fullUrl")
    assert "urn:uuid" not in json.dumps(relative)
    before = organization_rows()
    empty_the_database()
    import_bundle(bundle=relative)
    assert organization_rows() == before
