"""Every foundation page renders for every role, and errors never show a stack trace."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tests.fast_settings import fast_test_settings  # noqa: F401  (autouse)

ROLES = ["executive", "facility_admin", "unit_manager", "compliance", "staff"]


@pytest.fixture
def busy_world(world):
    """Credentials in every state, so the board and the staff pages have something to show."""
    today = timezone.localdate()
    f.StaffCredentialFactory(
        staff=world.icu_nurse,
        credential_type=f.credential_type("bls"),
        expires_on=today + dt.timedelta(days=5),
    )
    f.StaffCredentialFactory(
        staff=world.icu_nurse,
        credential_type=f.credential_type("rn-licence"),
        expires_on=today - dt.timedelta(days=3),
    )
    f.StaffCredentialFactory(
        staff=world.medsurg_nurse,
        credential_type=f.credential_type("bls"),
        verification_result="",
        verified_at=None,
    )
    f.StaffCredentialFactory(
        staff=world.clinic_nurse,
        credential_type=f.credential_type("bls"),
        expires_on=today + dt.timedelta(days=45),
    )
    world.medsurg_nurse.float_units.add(world.icu)
    return world


def _pages(world) -> list[str]:
    pages = [
        "/",
        "/staff/",
        "/staff/?q=okafor",
        "/staff/?q=E1",
        f"/staff/?facility={world.hospital.pk}",
        f"/staff/?unit={world.icu.pk}",
        "/staff/?role=rn",
        "/staff/?employment=full_time",
        "/staff/?include_inactive=1",
        "/staff/?page=2",
        "/staff/?facility=not-a-number&unit=&page=abc",
        f"/staff/{world.icu_nurse.pk}/",
        "/credentials/expiry/",
        f"/credentials/expiry/?facility={world.hospital.pk}",
        f"/credentials/expiry/?unit={world.icu.pk}",
        "/credentials/expiry/?format=csv",
        "/audit/",
        "/audit/?action=credential.&actor=exec&since=2020-01-01&until=2099-01-01",
        "/profile/",
        "/units/",
    ]
    pages += [f"/credentials/expiry/?within={w}" for w in (7, 30, 60, 90, 1000)]
    pages += [
        f"/credentials/expiry/?status={s}" for s in ("expired", "expiring", "unverified", "missing", "bogus")
    ]
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role(client, busy_world, role):
    client.force_login(busy_world.users[role])
    for url in _pages(busy_world):
        response = client.get(url)
        assert response.status_code == 200, f"{role} {url} → {response.status_code}"
    expected_import = 200 if role in {"executive", "facility_admin", "unit_manager"} else 403
    assert client.get("/staff/import/").status_code == expected_import


def test_staff_search_finds_by_name_and_employee_number(client, busy_world):
    client.force_login(busy_world.users["executive"])
    page = client.get("/staff/?q=okafor").content.decode()
    assert "Okafor" in page and "Lindqvist" not in page
    page = client.get(f"/staff/?q={busy_world.clinic_nurse.employee_number}").content.decode()
    assert "Abara" in page and "Okafor" not in page


def test_staff_unit_filter_includes_staff_who_float_there(client, busy_world):
    client.force_login(busy_world.users["executive"])
    page = client.get(f"/staff/?unit={busy_world.icu.pk}").content.decode()
    assert "Okafor" in page and "Lindqvist" in page and "Abara" not in page


def test_inactive_staff_are_hidden_unless_asked_for(client, busy_world):
    busy_world.clinic_nurse.active = False
    busy_world.clinic_nurse.save()
    client.force_login(busy_world.users["executive"])
    assert "Abara" not in client.get("/staff/").content.decode()
    assert "Abara" in client.get("/staff/?include_inactive=1").content.decode()


def test_expiry_board_filters_by_status_and_facility(client, busy_world):
    client.force_login(busy_world.users["executive"])
    expired = client.get("/credentials/expiry/?status=expired").context["rows"]
    assert {(r.staff.last_name, r.credential_type.code) for r in expired} == {("Okafor", "rn-licence")}
    unverified = client.get("/credentials/expiry/?status=unverified").context["rows"]
    assert {(r.staff.last_name, r.credential_type.code) for r in unverified} == {("Lindqvist", "bls")}
    week = client.get("/credentials/expiry/?status=expiring&within=7").context["rows"]
    assert {(r.staff.last_name, r.credential_type.code) for r in week} == {("Okafor", "bls")}
    clinic = client.get(f"/credentials/expiry/?facility={busy_world.clinic.pk}").context["rows"]
    assert {r.staff.last_name for r in clinic} == {"Abara"}


def test_home_dashboard_shows_the_credential_counts(client, busy_world):
    client.force_login(busy_world.users["unit_manager"])
    counts = client.get("/").context["counts"]
    # The ICU manager reaches the ICU nurse and the med-surg nurse who floats to the ICU.
    assert counts["expired"] == 1 and counts["unverified"] == 1 and counts["within_30"] >= 1


def test_anonymous_visitor_is_sent_to_the_login_page(client, busy_world):
    for url in [
        "/",
        "/staff/",
        f"/staff/{busy_world.icu_nurse.pk}/",
        "/credentials/expiry/",
        "/credentials/expiry/?format=csv",
        "/audit/",
        "/profile/",
        "/staff/import/",
        "/units/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")
    assert client.get("/login/").status_code == 200


def test_login_with_the_password_lets_the_user_in(client, busy_world):
    response = client.post("/login/", {"username": "manager.icu", "password": f.PASSWORD}, follow=True)
    assert response.status_code == 200 and response.wsgi_request.user.username == "manager.icu"


def test_a_deactivated_user_is_signed_out_of_every_page(client, busy_world):
    user = busy_world.users["unit_manager"]
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get("/staff/").status_code == 302


def test_an_unknown_page_is_a_friendly_404_without_debug_detail(client, busy_world, settings):
    settings.DEBUG = False
    client.force_login(busy_world.users["executive"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Not found" in body
    assert "Traceback" not in body and "URLconf" not in body and "carehelm.config" not in body


def test_a_crash_is_a_friendly_500_without_a_stack_trace(client, busy_world, settings, monkeypatch):
    settings.DEBUG = False
    from carehelm.workforce import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /srv/carehelm")

    monkeypatch.setattr(selectors, "staff_list", broken)
    client.raise_request_exception = False
    client.force_login(busy_world.users["executive"])
    response = client.get("/staff/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Traceback" not in body and "secret internals" not in body and "/srv/carehelm" not in body
