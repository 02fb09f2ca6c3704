"""The permission matrix: five roles plus anonymous, in the pages and in the API.

Expected sets come from the role table in ``carehelm.accounts.scope`` (not from running the code):

- executive and compliance officer reach the whole health system;
- the facility administrator of the hospital reaches the hospital's units (ICU and med-surg);
- the ICU unit manager reaches the ICU (home staff and staff who float there);
- the ICU staff nurse reaches only their own record and credentials;
- anonymous reaches nothing: pages redirect to the login, the API answers 401 problem+json.

May: executive and facility admin view/add/change/verify; unit manager view and add/change staff and
credentials (not verify); compliance view and verify; staff view only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from carehelm.audit.services import record
from carehelm.workforce import services
from carehelm.workforce.models import StaffCredential
from tests import factories as f

PERSONAS = ["executive", "facility_admin", "unit_manager", "compliance", "staff", "anonymous"]

# Which of the three nurses (by home unit) each persona reaches.
STAFF_REACH = {
    "executive": {"icu", "medsurg", "clinic"},
    "facility_admin": {"icu", "medsurg"},
    "unit_manager": {"icu"},
    "compliance": {"icu", "medsurg", "clinic"},
    "staff": {"icu"},
    "anonymous": set(),
}
# Units and facilities: a unit manager and a staff member see their own unit and the facility it is in.
UNIT_REACH = {
    "executive": {"ICU", "MS4", "FM"},
    "facility_admin": {"ICU", "MS4"},
    "unit_manager": {"ICU"},
    "compliance": {"ICU", "MS4", "FM"},
    "staff": {"ICU"},
}
FACILITY_REACH = {
    "executive": {"rgh", "oak"},
    "facility_admin": {"rgh"},
    "unit_manager": {"rgh"},
    "compliance": {"rgh", "oak"},
    "staff": {"rgh"},
}
MAY_CHANGE_ICU = {"executive", "facility_admin", "unit_manager"}
MAY_VERIFY_ICU = {"executive", "facility_admin", "compliance"}
MAY_IMPORT = {"executive", "facility_admin", "unit_manager"}

LAST_NAMES = {"icu": "Okafor", "medsurg": "Lindqvist", "clinic": "Abara"}


@pytest.fixture
def matrix(world):
    """The world, each nurse with a BLS expiring in 20 days (so it is on the board) and audit events."""
    soon = timezone.localdate() + dt.timedelta(days=20)
    world.nurses = {"icu": world.icu_nurse, "medsurg": world.medsurg_nurse, "clinic": world.clinic_nurse}
    world.credentials = {}
    for key, nurse in world.nurses.items():
        world.credentials[key] = services.record_credential(
            staff=nurse,
            credential_type=f.credential_type("bls"),
            number=f"BLS-{key}",
            expires_on=soon,
            issued_on=soon - dt.timedelta(days=700),
        )
    # An event about the health system itself: only the whole-system roles see it.
    record(action="health_system.reviewed", obj=world.system, summary="Annual review")
    return world


@pytest.fixture
def as_persona(client, matrix):
    def login(persona):
        if persona != "anonymous":
            client.force_login(matrix.users[persona])
        return client

    return login


def _employee_numbers(matrix, keys) -> set[str]:
    return {matrix.nurses[k].employee_number for k in keys}


# --- pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_directory_lists_exactly_the_staff_in_reach(persona, as_persona, matrix):
    response = as_persona(persona).get("/staff/")
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        return
    assert response.status_code == 200
    page = response.content.decode()
    for key, name in LAST_NAMES.items():
        assert (name in page) == (key in STAFF_REACH[persona]), f"{persona} and {name}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_detail_opens_only_inside_reach_and_is_404_outside(persona, as_persona, matrix):
    c = as_persona(persona)
    for key, nurse in matrix.nurses.items():
        response = c.get(f"/staff/{nurse.pk}/")
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/login/")
        else:
            expected = 200 if key in STAFF_REACH[persona] else 404
            assert response.status_code == expected, f"{persona} opening {key} nurse"


@pytest.mark.parametrize("persona", PERSONAS)
def test_expiry_board_shows_rows_only_for_staff_in_reach(persona, as_persona, matrix):
    response = as_persona(persona).get("/credentials/expiry/")
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    page = response.content.decode()
    for key, nurse in matrix.nurses.items():
        assert (nurse.employee_number in page) == (key in STAFF_REACH[persona]), f"{persona} and {key}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_expiry_board_csv_export_has_rows_only_for_staff_in_reach(persona, as_persona, matrix):
    response = as_persona(persona).get("/credentials/expiry/?format=csv")
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["employee_number"] for r in rows} == _employee_numbers(matrix, STAFF_REACH[persona])
    # The BLS expiring in 20 days is on the export for every nurse in reach.
    bls = {r["employee_number"] for r in rows if r["credential"] == "bls"}
    assert bls == _employee_numbers(matrix, STAFF_REACH[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_audit_page_shows_only_events_about_objects_in_reach(persona, as_persona, matrix):
    response = as_persona(persona).get("/audit/")
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    page = response.content.decode()
    for key, nurse in matrix.nurses.items():
        assert (f"bls added for {nurse.employee_number}" in page) == (key in STAFF_REACH[persona])
    assert ("Annual review" in page) == (persona in {"executive", "compliance"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_unit_page_lists_only_units_in_reach(persona, as_persona, matrix):
    response = as_persona(persona).get("/units/")
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    units = {u.code for u in response.context["units"]}
    assert units == UNIT_REACH[persona]


# --- API -------------------------------------------------------------------------------------------


def _api_get(client, url):
    response = client.get(url)
    return response.status_code, (response.json() if response.status_code == 200 else response)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_staff_list_and_detail_follow_the_same_reach(persona, as_persona, matrix):
    c = as_persona(persona)
    status, body = _api_get(c, "/api/workforce/staff")
    if persona == "anonymous":
        assert status == 401
        assert body["Content-Type"] == "application/problem+json"
        return
    assert {s["employee_number"] for s in body["items"]} == _employee_numbers(matrix, STAFF_REACH[persona])
    assert body["count"] == len(STAFF_REACH[persona])
    for key, nurse in matrix.nurses.items():
        expected = 200 if key in STAFF_REACH[persona] else 404
        assert c.get(f"/api/workforce/staff/{nurse.pk}").status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_credentials_list_and_detail_follow_the_same_reach(persona, as_persona, matrix):
    c = as_persona(persona)
    status, body = _api_get(c, "/api/workforce/credentials")
    if persona == "anonymous":
        assert status == 401
        return
    assert {x["employee_number"] for x in body["items"]} == _employee_numbers(matrix, STAFF_REACH[persona])
    for key, cred in matrix.credentials.items():
        expected = 200 if key in STAFF_REACH[persona] else 404
        assert c.get(f"/api/workforce/credentials/{cred.pk}").status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_units_and_facilities_follow_the_same_reach(persona, as_persona, matrix):
    c = as_persona(persona)
    status, body = _api_get(c, "/api/organization/units")
    if persona == "anonymous":
        assert status == 401
        assert c.get("/api/organization/facilities").status_code == 401
        return
    assert {u["code"] for u in body["items"]} == UNIT_REACH[persona]
    status, body = _api_get(c, "/api/organization/facilities")
    assert {x["code"] for x in body["items"]} == FACILITY_REACH[persona]
    for unit in (matrix.icu, matrix.medsurg, matrix.clinic_unit):
        expected = 200 if unit.code in UNIT_REACH[persona] else 404
        assert c.get(f"/api/organization/units/{unit.pk}").status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_audit_events_follow_the_reach_of_their_objects(persona, as_persona, matrix):
    status, body = _api_get(as_persona(persona), "/api/audit/events?limit=500")
    if persona == "anonymous":
        assert status == 401
        return
    credential_events = {e["object_id"] for e in body["items"] if e["action"] == "credential.added"}
    assert credential_events == {str(matrix.credentials[k].pk) for k in STAFF_REACH[persona]}
    system_events = [e for e in body["items"] if e["action"] == "health_system.reviewed"]
    assert bool(system_events) == (persona in {"executive", "compliance"})


def test_unit_manager_sees_only_staff_of_the_units_they_manage_including_float_staff(client, world):
    floater = f.StaffFactory(home_unit=world.medsurg, last_name="Floatwell")
    floater.float_units.add(world.icu)
    client.force_login(world.users["unit_manager"])
    numbers = {s["employee_number"] for s in client.get("/api/workforce/staff").json()["items"]}
    assert numbers == {world.icu_nurse.employee_number, floater.employee_number}
    assert client.get(f"/staff/{world.medsurg_nurse.pk}/").status_code == 404


def test_staff_member_sees_only_their_own_record_and_credentials(client, matrix):
    client.force_login(matrix.users["staff"])
    me = client.get("/api/accounts/me").json()
    assert me["username"] == "nurse.icu" and not me["whole_system"]
    staff = client.get("/api/workforce/staff").json()["items"]
    assert [s["id"] for s in staff] == [matrix.icu_nurse.pk]
    creds = client.get("/api/workforce/credentials").json()["items"]
    assert {c["staff_id"] for c in creds} == {matrix.icu_nurse.pk}


# --- writes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_record_a_credential_for_the_icu_nurse_through_the_api(persona, as_persona, matrix):
    c = as_persona(persona)
    expires = (timezone.localdate() + dt.timedelta(days=700)).isoformat()
    response = c.post(
        f"/api/workforce/staff/{matrix.icu_nurse.pk}/credentials",
        {"credential_type": "acls", "number": "ACLS-1", "expires_on": expires},
        content_type="application/json",
    )
    held = StaffCredential.objects.filter(staff=matrix.icu_nurse, credential_type__code="acls").exists()
    if persona == "anonymous":
        assert response.status_code == 401
    elif persona in MAY_CHANGE_ICU:
        assert response.status_code == 201
        assert response.json()["status"] == "unverified"  # a new document awaits verification
    else:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
    assert held == (persona in MAY_CHANGE_ICU)


@pytest.mark.parametrize("persona", ["facility_admin", "unit_manager", "staff"])
def test_recording_a_credential_outside_reach_is_404_not_403(persona, as_persona, matrix):
    expires = (timezone.localdate() + dt.timedelta(days=700)).isoformat()
    response = as_persona(persona).post(
        f"/api/workforce/staff/{matrix.clinic_nurse.pk}/credentials",
        {"credential_type": "acls", "expires_on": expires},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not StaffCredential.objects.filter(
        staff=matrix.clinic_nurse, credential_type__code="acls"
    ).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_record_a_renewal_through_the_staff_page(persona, as_persona, matrix):
    new_expiry = timezone.localdate() + dt.timedelta(days=730)
    response = as_persona(persona).post(
        f"/staff/{matrix.icu_nurse.pk}/credentials/",
        {"credential_type": "bls", "number": "BLS-renewed", "expires_on": new_expiry.isoformat()},
    )
    assert response.status_code == 302
    cred = StaffCredential.objects.get(pk=matrix.credentials["icu"].pk)
    assert (cred.expires_on == new_expiry) == (persona in MAY_CHANGE_ICU)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_verify_a_credential_through_the_api(persona, as_persona, matrix):
    cred = matrix.credentials["icu"]
    response = as_persona(persona).post(
        f"/api/workforce/credentials/{cred.pk}/verify",
        {"source": "AHA eCard lookup"},
        content_type="application/json",
    )
    cred.refresh_from_db()
    if persona == "anonymous":
        assert response.status_code == 401
    elif persona in MAY_VERIFY_ICU:
        assert response.status_code == 200
        assert cred.verified_by == matrix.users[persona]
    else:
        assert response.status_code == 403
    assert (cred.verification_result == "verified") == (persona in MAY_VERIFY_ICU)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_verify_a_credential_through_the_staff_page(persona, as_persona, matrix):
    cred = matrix.credentials["icu"]
    as_persona(persona).post(
        f"/credentials/{cred.pk}/verify/", {"source": "AHA eCard lookup", "result": "verified"}
    )
    cred.refresh_from_db()
    assert (cred.verification_result == "verified") == (persona in MAY_VERIFY_ICU)


def test_facility_admin_cannot_verify_a_credential_in_another_facility(client, matrix):
    client.force_login(matrix.users["facility_admin"])
    cred = matrix.credentials["clinic"]
    response = client.post(
        f"/api/workforce/credentials/{cred.pk}/verify", {"source": "AHA"}, content_type="application/json"
    )
    assert response.status_code == 404
    cred.refresh_from_db()
    assert cred.verification_result == ""


STAFF_CSV = (
    "employee_number,first_name,last_name,job_role,facility,home_unit,hire_date,hourly_rate\n"
    "N-900,Noor,Haddad,rn,rgh,ICU,2024-02-01,48.50\n"
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_import_staff_on_the_import_page(persona, as_persona, matrix):
    c = as_persona(persona)
    page = c.get("/staff/import/")
    upload = io.BytesIO(STAFF_CSV.encode())
    upload.name = "staff.csv"
    c.post("/staff/import/", {"kind": "staff", "file": upload})
    imported = matrix.icu_nurse.__class__.objects.filter(employee_number="N-900").exists()
    if persona == "anonymous":
        assert page.status_code == 302
    elif persona in MAY_IMPORT:
        assert page.status_code == 200
    else:
        assert page.status_code == 403
    assert imported == (persona in MAY_IMPORT)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_import_staff_through_the_api(persona, as_persona, matrix):
    upload = io.BytesIO(STAFF_CSV.encode())
    upload.name = "staff.csv"
    response = as_persona(persona).post("/api/workforce/staff/import", {"file": upload})
    if persona == "anonymous":
        assert response.status_code == 401
    elif persona in MAY_IMPORT:
        assert response.status_code == 200, response.content
        assert response.json()["created"] == 1
    else:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_executive_and_the_facility_admin_may_add_a_unit_to_the_hospital(
    persona, as_persona, matrix
):
    response = as_persona(persona).post(
        "/api/organization/units",
        {
            "facility_id": matrix.hospital.pk,
            "name": "Cardiac Step-down",
            "code": "CSD",
            "kind": "inpatient_ward",
        },
        content_type="application/json",
    )
    created = matrix.hospital.units.filter(code="CSD").exists()
    if persona == "anonymous":
        assert response.status_code == 401
    elif persona in {"executive", "facility_admin"}:
        assert response.status_code == 201
    else:
        # A unit manager reaches the hospital only through their own unit; staff only their own record.
        assert response.status_code in (403, 404)
    assert created == (persona in {"executive", "facility_admin"})


def test_a_signed_in_user_without_any_role_sees_nothing(client, matrix):
    client.force_login(f.UserFactory(username="outsider"))
    assert client.get("/api/workforce/staff").json()["items"] == []
    assert client.get("/api/workforce/credentials").json()["items"] == []
    assert client.get("/api/organization/units").json()["items"] == []
    assert client.get("/api/audit/events").json()["items"] == []
    assert client.get(f"/staff/{matrix.icu_nurse.pk}/").status_code == 404
    page = client.get("/staff/").content.decode()
    assert not any(name in page for name in LAST_NAMES.values())
    rows = list(csv.DictReader(io.StringIO(client.get("/credentials/expiry/?format=csv").content.decode())))
    assert rows == []


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("unit_key", ["icu", "medsurg"])
def test_who_may_add_a_staff_member_to_a_unit_through_the_api(persona, unit_key, as_persona, matrix):
    unit = {"icu": matrix.icu, "medsurg": matrix.medsurg}[unit_key]
    payload = {
        "employee_number": "NEW-1",
        "first_name": "Amaru",
        "last_name": "Quispe",
        "job_role": "rn",
        "home_unit_id": unit.pk,
        "hire_date": "2025-09-01",
        "hourly_rate": "46.00",
    }
    response = as_persona(persona).post("/api/workforce/staff", payload, content_type="application/json")
    allowed = persona in {"executive", "facility_admin"} or (persona == "unit_manager" and unit_key == "icu")
    if persona == "anonymous":
        assert response.status_code == 401
    elif allowed:
        assert response.status_code == 201
    else:
        assert response.status_code in (403, 404)
    assert matrix.icu_nurse.__class__.objects.filter(employee_number="NEW-1").exists() == allowed
