"""Shared fixtures: a small two-facility organization with one persona per role.

Persona tests follow healthchecks' pattern: each role gets a user, and tests check that each sees
exactly what it should. ``world`` builds the smallest organization that can tell the roles apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("CAREHELM_TESTING", "1")


@dataclass
class World:
    system: object
    hospital: object
    clinic: object
    icu: object
    medsurg: object
    clinic_unit: object
    icu_nurse: object
    medsurg_nurse: object
    clinic_nurse: object
    users: dict  # role name -> user


@pytest.fixture
def world(db) -> World:
    from carehelm.accounts.models import Role
    from carehelm.organization.models import FacilityKind, UnitKind
    from tests import factories as f

    system = f.HealthSystemFactory()
    hospital = f.FacilityFactory(health_system=system, name="Riverbend General", code="rgh")
    clinic = f.FacilityFactory(health_system=system, name="Oak Street Family Practice", code="oak",
                               kind=FacilityKind.CLINIC)
    icu = f.UnitFactory(facility=hospital, name="Intensive Care", code="ICU", kind=UnitKind.ICU, staffed_beds=14)
    medsurg = f.UnitFactory(facility=hospital, name="Medical-Surgical 4", code="MS4", staffed_beds=32)
    clinic_unit = f.UnitFactory(facility=clinic, name="Family Medicine", code="FM", kind=UnitKind.OUTPATIENT,
                                staffed_beds=0)
    users = {}
    users["executive"] = f.UserFactory(username="exec")
    f.grant(users["executive"], Role.EXECUTIVE)
    users["facility_admin"] = f.UserFactory(username="facility.admin")
    f.grant(users["facility_admin"], Role.FACILITY_ADMIN, facility=hospital)
    users["unit_manager"] = f.UserFactory(username="manager.icu")
    f.grant(users["unit_manager"], Role.UNIT_MANAGER, unit=icu)
    users["compliance"] = f.UserFactory(username="compliance")
    f.grant(users["compliance"], Role.COMPLIANCE)
    users["staff"] = f.UserFactory(username="nurse.icu")
    icu_nurse = f.StaffFactory(home_unit=icu, first_name="Ines", last_name="Okafor", user=users["staff"])
    medsurg_nurse = f.StaffFactory(home_unit=medsurg, first_name="Marco", last_name="Lindqvist")
    clinic_nurse = f.StaffFactory(home_unit=clinic_unit, first_name="Chen", last_name="Abara")
    return World(system, hospital, clinic, icu, medsurg, clinic_unit, icu_nurse, medsurg_nurse, clinic_nurse, users)


@pytest.fixture
def client_for(client):
    """Log the test client in as a user: ``client_for(world.users['unit_manager'])``."""

    def login(user):
        client.force_login(user)
        return client

    return login
