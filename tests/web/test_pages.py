"""Every foundation page renders for every role, and errors never show a stack trace."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f

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


@pytest.mark.parametrize("role", ["executive", "unit_manager", "staff"])
def test_unit_page_counts_all_home_staff_and_beds_of_each_unit(client, world, role):
    f.StaffFactory(home_unit=world.icu, last_name="Second")
    room = f.RoomFactory(unit=world.icu)
    f.BedFactory(room=room, label="A")
    f.BedFactory(room=room, label="B")
    client.force_login(world.users[role])
    icu = next(u for u in client.get("/units/").context["units"] if u.pk == world.icu.pk)
    assert (icu.staff_count, icu.bed_count) == (2, 2)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("executive", {"rgh": (2, 2), "oak": (1, 1)}),
        ("facility_admin", {"rgh": (2, 2)}),
        ("unit_manager", {"rgh": (1, 1)}),
    ],
)
def test_home_dashboard_counts_units_and_staff_per_facility(client, world, role, expected):
    client.force_login(world.users[role])
    cards = client.get("/").context["facility_cards"]
    assert {c["facility"].code: (c["units"], c["staff"]) for c in cards} == expected


def test_home_dashboard_counts_two_people_with_the_same_name_twice(client, world):
    f.StaffFactory(home_unit=world.medsurg, first_name="Ines", last_name="Okafor")  # same name, other person
    client.force_login(world.users["facility_admin"])
    cards = client.get("/").context["facility_cards"]
    assert [c["staff"] for c in cards] == [3]
    assert client.get("/").context["staff_count"] == 3


def test_unit_manager_finds_an_expiring_credential_renews_it_and_sees_it_in_the_audit_trail(
    client, busy_world
):
    client.force_login(busy_world.users["unit_manager"])
    board = client.get("/credentials/expiry/?status=expiring&within=7")
    row = next(r for r in board.context["rows"] if r.credential_type.code == "bls")
    assert row.staff == busy_world.icu_nurse
    detail = client.get(f"/staff/{row.staff.pk}/?renew=bls")
    assert detail.status_code == 200 and detail.context["may_change"]
    new_expiry = timezone.localdate() + dt.timedelta(days=730)
    response = client.post(
        f"/staff/{row.staff.pk}/credentials/",
        {"credential_type": "bls", "number": "BLS-2026", "expires_on": new_expiry.isoformat()},
        follow=True,
    )
    assert "recorded" in response.content.decode()
    after = client.get("/credentials/expiry/?status=expiring&within=7").context["rows"]
    assert all(r.credential_type.code != "bls" or r.staff != busy_world.icu_nurse for r in after)
    audit = client.get("/audit/?action=credential.renewed").content.decode()
    assert "bls renewed for" in audit and new_expiry.isoformat() in audit and "manager.icu" in audit


def test_csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(client, busy_world):
    import csv
    import io

    nurse = busy_world.icu_nurse
    nurse.first_name = '=HYPERLINK("http://evil.example","x")'
    nurse.save()
    client.force_login(busy_world.users["executive"])
    rows = list(csv.DictReader(io.StringIO(client.get("/credentials/expiry/?format=csv").content.decode())))
    names = {r["name"] for r in rows if r["employee_number"] == nurse.employee_number}
    assert names and all(n.startswith("'=") for n in names)
    expired = next(r for r in rows if r["status"] == "expired")
    assert expired["days_left"] == "-3"  # numbers stay numbers
