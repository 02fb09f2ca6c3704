"""API errors are RFC 9457 problem+json with field-level detail; the schema is OpenAPI 3.1."""

from __future__ import annotations

import pytest

from carehelm.workforce.models import Staff

PROBLEM = "application/problem+json"


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.users["facility_admin"])
    return client


def _staff_payload(world, **overrides) -> dict:
    payload = {
        "employee_number": "P-1",
        "first_name": "Rosa",
        "last_name": "Mendes",
        "job_role": "rn",
        "home_unit_id": world.icu.pk,
        "hire_date": "2025-03-01",
        "hourly_rate": "47.00",
    }
    payload.update(overrides)
    return payload


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    assert "Traceback" not in response.content.decode()
    return body


def test_schema_validation_errors_name_each_field(admin_client, world):
    response = admin_client.post(
        "/api/workforce/staff",
        _staff_payload(world, hire_date="yesterday", hourly_rate="-3", first_name=""),
        content_type="application/json",
    )
    body = _assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"hire_date", "hourly_rate", "first_name"} <= fields
    assert all(e["message"] for e in body["errors"])
    assert not Staff.objects.filter(employee_number="P-1").exists()


def test_a_missing_required_field_is_named(admin_client, world):
    payload = _staff_payload(world)
    del payload["last_name"]
    body = _assert_problem(
        admin_client.post("/api/workforce/staff", payload, content_type="application/json"), 422
    )
    assert [e["field"] for e in body["errors"]] == ["last_name"]


def test_service_validation_errors_are_problems_too(admin_client, world):
    # A unique employee number is checked by the service, not the schema.
    payload = _staff_payload(world, employee_number=world.icu_nurse.employee_number)
    body = _assert_problem(
        admin_client.post("/api/workforce/staff", payload, content_type="application/json"), 422
    )
    assert [e["field"] for e in body["errors"]] == ["employee_number"]


def test_credential_with_expiry_before_issue_is_refused_with_the_field(admin_client, world):
    response = admin_client.post(
        f"/api/workforce/staff/{world.icu_nurse.pk}/credentials",
        {"credential_type": "bls", "issued_on": "2025-06-01", "expires_on": "2025-01-01"},
        content_type="application/json",
    )
    body = _assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["expires_on"]


def test_a_bad_query_parameter_is_a_problem(admin_client):
    body = _assert_problem(admin_client.get("/api/workforce/staff?facility_id=abc"), 422)
    assert [e["field"] for e in body["errors"]] == ["facility_id"]


def test_a_bad_enum_filter_is_a_problem(admin_client):
    body = _assert_problem(admin_client.get("/api/organization/facilities?kind=spaceport"), 422)
    assert [e["field"] for e in body["errors"]] == ["kind"]


def test_objects_outside_scope_are_404_problems_indistinguishable_from_absent_ones(admin_client, world):
    outside = _assert_problem(admin_client.get(f"/api/workforce/staff/{world.clinic_nurse.pk}"), 404)
    absent = _assert_problem(admin_client.get("/api/workforce/staff/999999"), 404)
    assert outside["title"] == absent["title"] and outside.get("detail") == absent.get("detail")
    _assert_problem(admin_client.get(f"/api/organization/units/{world.clinic_unit.pk}"), 404)
    _assert_problem(
        admin_client.patch(
            f"/api/workforce/staff/{world.clinic_nurse.pk}", {"phone": "1"}, content_type="application/json"
        ),
        404,
    )


def test_a_forbidden_write_is_a_403_problem(client, world):
    client.force_login(world.users["compliance"])
    response = client.patch(
        f"/api/workforce/staff/{world.icu_nurse.pk}", {"phone": "1"}, content_type="application/json"
    )
    _assert_problem(response, 403)


def test_anonymous_requests_get_401_problems_with_a_bearer_challenge(client, world):
    response = client.get("/api/workforce/staff")
    _assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unexpected_error_is_a_500_problem_without_a_stack_trace(client, world, monkeypatch):
    from carehelm.workforce import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire at /srv/secret/path")

    monkeypatch.setattr(selectors, "staff_list", broken)
    client.force_login(world.users["executive"])
    body = _assert_problem(client.get("/api/workforce/staff"), 500)
    assert "on fire" not in str(body) and "/srv/secret" not in str(body)


def test_openapi_schema_is_version_3_1_and_lists_the_endpoints(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    paths = schema["paths"]
    for path, method in [
        ("/api/organization/facilities", "get"),
        ("/api/organization/facilities", "post"),
        ("/api/organization/units", "get"),
        ("/api/organization/units/{unit_id}", "patch"),
        ("/api/workforce/staff", "get"),
        ("/api/workforce/staff", "post"),
        ("/api/workforce/staff/{staff_id}", "get"),
        ("/api/workforce/staff/{staff_id}", "patch"),
        ("/api/workforce/staff/import", "post"),
        ("/api/workforce/credentials", "get"),
        ("/api/workforce/credentials/{credential_id}", "get"),
        ("/api/workforce/staff/{staff_id}/credentials", "post"),
        ("/api/workforce/credentials/{credential_id}/verify", "post"),
        ("/api/workforce/credentials/import", "post"),
        ("/api/audit/events", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not in the schema"
    assert set(paths["/api/audit/events"]) == {"get"}  # the trail is read-only
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_api_docs_page_renders(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_an_unknown_job_role_or_skill_code_is_a_422_naming_the_field(admin_client, world):
    response = admin_client.post(
        "/api/workforce/staff", _staff_payload(world, job_role="astronaut"), content_type="application/json"
    )
    body = _assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["job_role"]
    response = admin_client.post(
        "/api/workforce/staff", _staff_payload(world, skills=["juggling"]), content_type="application/json"
    )
    body = _assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["skills"]
    assert not Staff.objects.filter(employee_number="P-1").exists()


def test_an_unknown_credential_type_is_a_422_naming_the_field(admin_client, world):
    response = admin_client.post(
        f"/api/workforce/staff/{world.icu_nurse.pk}/credentials",
        {"credential_type": "wizardry", "expires_on": "2030-01-01"},
        content_type="application/json",
    )
    body = _assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["credential_type"]


def test_an_unknown_api_address_is_a_404_problem_not_an_html_page(admin_client):
    _assert_problem(admin_client.get("/api/workforce/nothing-here"), 404)


def test_the_credentials_status_filter_returns_exactly_that_status(admin_client, world):
    import datetime as dt

    from django.utils import timezone

    from tests.factories import StaffCredentialFactory, credential_type

    today = timezone.localdate()
    expired = StaffCredentialFactory(
        staff=world.icu_nurse, credential_type=credential_type("bls"), expires_on=today - dt.timedelta(days=1)
    )
    expiring = StaffCredentialFactory(
        staff=world.icu_nurse, credential_type=credential_type("acls"), expires_on=today
    )
    unverified = StaffCredentialFactory(
        staff=world.medsurg_nurse, credential_type=credential_type("bls"), verification_result=""
    )
    valid = StaffCredentialFactory(
        staff=world.medsurg_nurse,
        credential_type=credential_type("acls"),
        expires_on=today + dt.timedelta(days=91),
    )
    for status, cred in [
        ("expired", expired),
        ("expiring", expiring),
        ("unverified", unverified),
        ("valid", valid),
    ]:
        items = admin_client.get(f"/api/workforce/credentials?status={status}").json()["items"]
        assert [(c["id"], c["status"]) for c in items] == [(cred.pk, status)]


def test_malformed_json_is_a_problem_not_a_crash(admin_client, world):
    response = admin_client.post(
        "/api/workforce/staff", '{"employee_number": ', content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM


def test_an_import_without_a_file_names_the_missing_file(admin_client):
    body = _assert_problem(admin_client.post("/api/workforce/staff/import", {}), 422)
    assert [e["field"] for e in body["errors"]] == ["file"]
