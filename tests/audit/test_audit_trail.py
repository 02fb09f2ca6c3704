"""The audit trail: every service write leaves an event with before/after, row history is kept, and
nobody can edit or delete the trail — not through the model, a queryset, the admin or the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from carehelm.accounts.models import Role
from carehelm.accounts.services import grant_role
from carehelm.audit.models import AuditEvent
from carehelm.audit.services import record
from carehelm.organization import services as org
from carehelm.organization.models import FacilityKind, UnitKind
from carehelm.workforce import services as wf
from tests import factories as f


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


# --- every write is audited with before/after -------------------------------------------------------


def test_creating_staff_records_who_and_every_field_as_after(world):
    admin_user = world.users["facility_admin"]
    staff = wf.create_staff(
        actor=admin_user,
        employee_number="A-1",
        first_name="Ada",
        last_name="Byrne",
        job_role=f.job_role("rn"),
        home_unit=world.medsurg,
        hire_date=dt.date(2024, 5, 1),
        hourly_rate=Decimal("44.10"),
    )
    event = last_event("staff.created")
    assert event.actor == admin_user and event.actor_label == "facility.admin"
    assert (event.object_type, event.object_id) == ("workforce.staff", str(staff.pk))
    assert event.changes["employee_number"] == [None, "A-1"]
    assert event.changes["hourly_rate"] == [None, "44.10"]
    assert (event.facility_id, event.unit_id, event.staff_id) == (
        world.hospital.pk,
        world.medsurg.pk,
        staff.pk,
    )


def test_updating_staff_records_only_what_changed(world):
    wf.update_staff(
        actor=world.users["unit_manager"],
        staff=world.icu_nurse,
        last_name="Okafor-Reyes",
        fte=Decimal("0.80"),
    )
    event = last_event("staff.updated")
    assert event.changes == {"last_name": ["Okafor", "Okafor-Reyes"], "fte": ["1.00", "0.80"]}
    assert event.actor == world.users["unit_manager"]


def test_recording_then_renewing_a_credential_records_before_and_after(world):
    first = timezone.localdate() + dt.timedelta(days=10)
    later = timezone.localdate() + dt.timedelta(days=740)
    cred = wf.record_credential(
        actor=world.users["unit_manager"],
        staff=world.icu_nurse,
        credential_type=f.credential_type("bls"),
        number="B-1",
        expires_on=first,
    )
    assert last_event("credential.added").changes["expires_on"] == [None, first.isoformat()]
    wf.verify_credential(actor=world.users["compliance"], credential=cred, source="AHA eCard lookup")
    verified = last_event("credential.verified")
    assert verified.actor == world.users["compliance"]
    assert verified.changes["verification_result"] == ["", "verified"]
    assert verified.changes["verification_source"] == ["", "AHA eCard lookup"]

    wf.record_credential(
        actor=world.users["unit_manager"],
        staff=world.icu_nurse,
        credential_type=f.credential_type("bls"),
        number="B-2",
        expires_on=later,
    )
    renewed = last_event("credential.renewed")
    assert renewed.changes["expires_on"] == [first.isoformat(), later.isoformat()]
    assert renewed.changes["number"] == ["B-1", "B-2"]
    # The renewal clears verification: the new card has not been checked yet.
    assert renewed.changes["verification_result"] == ["verified", ""]


def test_organization_writes_record_before_and_after(world):
    facility = org.create_facility(
        health_system=world.system, name="Lakeside Rehab", code="lake", kind=FacilityKind.REHABILITATION
    )
    assert last_event("facility.created").changes["code"] == [None, "lake"]
    unit = org.create_unit(
        facility=facility, name="Stroke Rehab", code="SR", kind=UnitKind.INPATIENT_WARD, staffed_beds=12
    )
    assert last_event("unit.created").changes["staffed_beds"] == [None, 12]
    org.update_unit(unit=unit, staffed_beds=16)
    assert last_event("unit.updated").changes == {"staffed_beds": [12, 16]}
    room = org.add_room_with_beds(unit=unit, room_name="101", bed_labels=["A", "B"])
    assert last_event("room.created").changes["name"] == [None, "101"]
    bed = room.beds.get(label="A")
    org.set_bed_status(bed=bed, status="H", reason="terminal clean")
    event = last_event("bed.status_changed")
    assert event.changes == {"status": ["U", "H"]}
    assert event.unit_id == unit.pk and event.facility_id == facility.pk


def test_granting_a_role_is_an_audit_event(world):
    user = f.UserFactory(username="manager.ms4")
    grant_role(actor=world.users["executive"], user=user, role=Role.UNIT_MANAGER, unit=world.medsurg)
    event = last_event("role.granted")
    assert event.actor == world.users["executive"]
    assert event.unit_id == world.medsurg.pk and "manager.ms4" in event.summary


def test_writes_through_the_api_record_the_user_source_and_request_id(client, world):
    client.force_login(world.users["facility_admin"])
    response = client.patch(
        f"/api/workforce/staff/{world.medsurg_nurse.pk}",
        {"phone": "555-0101"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-123",
    )
    assert response.status_code == 200
    event = last_event("staff.updated")
    assert (event.actor, event.source, event.request_id) == (world.users["facility_admin"], "api", "req-123")
    assert event.changes == {"phone": ["", "555-0101"]}


# --- row history (django-simple-history) ------------------------------------------------------------


def test_row_history_keeps_every_version_with_the_user_who_made_it(client, world):
    client.force_login(world.users["facility_admin"])
    client.patch(
        f"/api/workforce/staff/{world.medsurg_nurse.pk}", {"fte": "0.6"}, content_type="application/json"
    )
    versions = list(world.medsurg_nurse.history.order_by("history_id"))
    assert [v.history_type for v in versions] == ["+", "~"]
    assert versions[-1].fte == Decimal("0.60") and versions[0].fte == Decimal("1.00")
    assert versions[-1].history_user == world.users["facility_admin"]


def test_credential_history_page_shows_the_versions(client, world):
    cred = wf.record_credential(
        staff=world.icu_nurse,
        credential_type=f.credential_type("acls"),
        number="A-1",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    wf.record_credential(
        staff=world.icu_nurse,
        credential_type=f.credential_type("acls"),
        number="A-2",
        expires_on=timezone.localdate() + dt.timedelta(days=700),
    )
    assert cred.history.count() == 2
    client.force_login(world.users["unit_manager"])
    response = client.get(f"/credentials/{cred.pk}/history/")
    assert response.status_code == 200
    assert "A-1" in response.content.decode() and "A-2" in response.content.decode()
    client.force_login(f.UserFactory())  # a user with no role sees nothing
    assert client.get(f"/credentials/{cred.pk}/history/").status_code == 404


# --- the trail cannot be edited -----------------------------------------------------------------------


@pytest.fixture
def event(world):
    return record(action="credential.verified", obj=world.icu_nurse, summary="BLS verified")


def test_an_audit_event_cannot_be_changed_or_deleted_through_the_model(event):
    event.summary = "nothing happened"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "BLS verified"


def test_audit_events_cannot_be_changed_or_deleted_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError), transaction.atomic():  # a savepoint: bulk_update runs in one
        AuditEvent.objects.bulk_update([event], ["summary"])
    assert AuditEvent.objects.get(pk=event.pk).summary == "BLS verified"


def test_the_admin_shows_audit_events_read_only(client, event):
    superuser = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client.force_login(superuser)
    base = f"/admin/audit/auditevent/{event.pk}"
    assert client.get(f"{base}/change/").status_code == 200  # viewable
    assert client.post(f"{base}/change/", {"summary": "rewritten"}).status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/audit/auditevent/add/", {"summary": "forged"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).summary == "BLS verified"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_has_no_way_to_write_the_trail(client, world, event, method):
    client.force_login(world.users["executive"])
    call = getattr(client, method)
    assert (
        call("/api/audit/events", {"summary": "forged"}, content_type="application/json").status_code == 405
    )
    assert call(
        f"/api/audit/events/{event.pk}", {"summary": "x"}, content_type="application/json"
    ).status_code in (404, 405)
    assert AuditEvent.objects.get(pk=event.pk).summary == "BLS verified"
    assert AuditEvent.objects.filter(summary="forged").count() == 0


# --- the audit page and its filters --------------------------------------------------------------------


@pytest.fixture
def trail(world):
    wf.update_staff(actor=world.users["unit_manager"], staff=world.icu_nurse, phone="555-0100")
    wf.record_credential(
        actor=world.users["facility_admin"],
        staff=world.medsurg_nurse,
        credential_type=f.credential_type("bls"),
        expires_on=timezone.localdate() + dt.timedelta(days=90),
    )
    org.update_unit(actor=world.users["executive"], unit=world.clinic_unit, staffed_beds=4)
    return world


def _page_actions(client, query: str = "") -> list[str]:
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return [e.action for e in response.context["page"].object_list]


def test_audit_page_filters_by_action_actor_object_type_and_staff(client, trail):
    client.force_login(trail.users["executive"])
    assert set(_page_actions(client)) >= {"staff.updated", "credential.added", "unit.updated"}
    assert _page_actions(client, "?action=credential.") == ["credential.added"]
    assert _page_actions(client, "?actor=manager.icu") == ["staff.updated"]
    assert _page_actions(client, "?object_type=organization.unit") == ["unit.updated"]
    assert _page_actions(client, f"?staff={trail.medsurg_nurse.pk}") == ["credential.added"]


def test_audit_page_filters_by_date(client, trail):
    client.force_login(trail.users["executive"])
    today = timezone.localdate()
    assert len(_page_actions(client, f"?since={today}&until={today}")) >= 3
    assert _page_actions(client, f"?until={today - dt.timedelta(days=1)}") == []
    assert _page_actions(client, f"?since={today + dt.timedelta(days=1)}") == []
    assert len(_page_actions(client, "?since=not-a-date")) >= 3  # a bad date is ignored, not a crash


def test_audit_api_filters_like_the_page(client, trail):
    client.force_login(trail.users["executive"])
    items = client.get("/api/audit/events?action=staff.&actor=manager").json()["items"]
    assert [e["action"] for e in items] == ["staff.updated"]
    assert items[0]["changes"] == {"phone": ["", "555-0100"]}


def test_events_are_restricted_like_their_objects(client, trail):
    client.force_login(trail.users["unit_manager"])
    assert _page_actions(client) == ["staff.updated"]  # about the ICU nurse only
    client.force_login(trail.users["facility_admin"])
    assert sorted(_page_actions(client)) == ["credential.added", "staff.updated"]
    client.force_login(trail.users["staff"])
    assert _page_actions(client) == ["staff.updated"]  # the change to their own record


def test_staff_detail_shows_that_persons_history(client, trail):
    client.force_login(trail.users["unit_manager"])
    response = client.get(f"/staff/{trail.icu_nurse.pk}/")
    assert [e.action for e in response.context["events"]] == ["staff.updated"]
    assert "555-0100" in response.content.decode()


def test_deleting_a_user_keeps_their_events_and_their_name(world):
    user = f.UserFactory(username="temp.manager")
    grant_role(actor=user, user=user, role=Role.UNIT_MANAGER, unit=world.icu)
    event_id = last_event("role.granted").pk
    user.delete()
    event = AuditEvent.objects.get(pk=event_id)
    assert event.actor is None and event.actor_label == "temp.manager"
