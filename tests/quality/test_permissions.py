"""Who sees which KPIs, persona by persona (tests/conftest.py ``world``).

The rule: executives and compliance see every facility and unit; a facility admin their
facilities (facility totals and units); a unit manager only their units' figures (a facility
total mixes other units' patients); a staff member sees no KPIs at all.
"""

from __future__ import annotations

import pytest

from .conftest import add_series

pytestmark = pytest.mark.django_db

# persona -> (hospital dashboard, ICU dashboard, MS4 dashboard, clinic dashboard)
PAGES = {
    "executive": (200, 200, 200, 200),
    "compliance": (200, 200, 200, 200),
    "facility_admin": (200, 200, 200, 404),
    "unit_manager": (404, 200, 404, 404),
    "staff": (403, 403, 403, 403),
}


@pytest.fixture
def series(world):
    for facility, unit in (
        (world.hospital, None),
        (world.hospital, world.icu),
        (world.hospital, world.medsurg),
        (world.clinic, None),
    ):
        add_series(facility=facility, unit=unit, kpi="admissions", values=[10, 12, 11, 13, 12, 11])


@pytest.mark.parametrize("persona", list(PAGES))
def test_dashboards_and_api_values_per_persona(world, client_for, series, persona):
    client = client_for(world.users[persona])
    urls = (
        f"/quality/facility/{world.hospital.pk}/",
        f"/quality/unit/{world.icu.pk}/",
        f"/quality/unit/{world.medsurg.pk}/",
        f"/quality/facility/{world.clinic.pk}/",
    )
    assert tuple(client.get(url).status_code for url in urls) == PAGES[persona]
    rows = client.get("/api/quality/values?limit=1000").json()["items"]
    seen = {(r["facility_id"], r["unit_id"]) for r in rows}
    everything = {
        (world.hospital.pk, None),
        (world.hospital.pk, world.icu.pk),
        (world.hospital.pk, world.medsurg.pk),
        (world.clinic.pk, None),
    }
    expected = {
        "executive": everything,
        "compliance": everything,
        "facility_admin": everything - {(world.clinic.pk, None)},
        "unit_manager": {(world.hospital.pk, world.icu.pk)},
        "staff": set(),
    }[persona]
    assert seen == expected


def test_unit_manager_cannot_chart_another_units_kpi_through_the_api(world, client_for, series):
    client = client_for(world.users["unit_manager"])
    own = client.get(
        "/api/quality/spc", {"kpi": "admissions", "facility_id": world.hospital.pk, "unit_id": world.icu.pk}
    )
    other = client.get(
        "/api/quality/spc",
        {"kpi": "admissions", "facility_id": world.hospital.pk, "unit_id": world.medsurg.pk},
    )
    total = client.get("/api/quality/spc", {"kpi": "admissions", "facility_id": world.hospital.pk})
    assert own.status_code == 200 and len(own.json()["points"]) == 6
    assert other.status_code == 404 and total.status_code == 404
    assert other["Content-Type"] == "application/problem+json"


def test_quality_menu_only_for_those_who_see_kpis(world, client_for):
    assert 'href="/quality/"' in client_for(world.users["unit_manager"]).get("/").content.decode()
    assert 'href="/quality/"' not in client_for(world.users["staff"]).get("/").content.decode()


def test_targets_are_set_by_the_units_manager_and_not_by_compliance(world, client_for, series):
    body = {"kpi": "admissions", "facility_id": world.hospital.pk, "unit_id": world.icu.pk, "value": 12}
    manager = client_for(world.users["unit_manager"])
    assert manager.put("/api/quality/targets", body, content_type="application/json").status_code == 200
    other_unit = {**body, "unit_id": world.medsurg.pk}
    assert manager.put("/api/quality/targets", other_unit, content_type="application/json").status_code == 404
    facility_level = {**body, "unit_id": None}
    assert (
        manager.put("/api/quality/targets", facility_level, content_type="application/json").status_code
        == 404
    )
    compliance = client_for(world.users["compliance"])
    assert compliance.put("/api/quality/targets", body, content_type="application/json").status_code == 403
    from carehelm.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="quality.target_set", unit_id=world.icu.pk).count() == 1


def test_only_executives_and_facility_admins_rebuild(world, client_for, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    for persona, status in (("unit_manager", 404), ("compliance", 403), ("facility_admin", 202)):
        response = client_for(world.users[persona]).post(
            "/api/quality/rebuild", {"facility_id": world.hospital.pk}, content_type="application/json"
        )
        assert response.status_code == status, persona
    clinic = client_for(world.users["facility_admin"]).post(
        "/api/quality/rebuild", {"facility_id": world.clinic.pk}, content_type="application/json"
    )
    assert clinic.status_code == 404
