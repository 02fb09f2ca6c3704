"""A tiny ICU to roster: shift types, demand, work rules and staff with current credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest


@dataclass
class Ward:
    unit: object
    period: object
    day: object
    night: object
    early: object
    staff: list
    template: object
    manager: object


MONDAY = dt.date(2031, 3, 3)  # a Monday, far from today's credential expiries


def give_credentials(person, *, expires_on=None, today=None):
    """Every credential the person's job needs in their unit, valid well past the test period."""
    from carehelm.workforce.models import CredentialRequirement
    from carehelm.workforce.selectors import requirements_for
    from tests import factories as f

    reqs = list(
        CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False)
    )
    for r in requirements_for(person, reqs):
        f.StaffCredentialFactory(
            staff=person, credential_type=r.credential_type, expires_on=expires_on or dt.date(2033, 1, 1)
        )


@pytest.fixture
def ward(world):
    from carehelm.scheduling import services
    from carehelm.scheduling.models import ContractTemplate, StaffContract
    from tests import factories as f

    icu = world.icu
    day, night = services.save_twelve_hour_day_and_night(unit=icu)
    early = services.save_shift_type(
        actor=None,
        unit=icu,
        code="E",
        name="Early",
        start=dt.time(7),
        end=dt.time(15),
        paid_minutes=450,
        colour="#d6efd8",
    )
    for weekday in range(7):
        services.set_demand(actor=None, shift_type=day, weekday=weekday, minimum=2, target=2)
        services.set_demand(actor=None, shift_type=night, weekday=weekday, minimum=1, target=2)
    template = ContractTemplate.objects.create(
        name="ICU 12 h",
        hours_per_week=36,
        max_consecutive_days=4,
        min_rest_hours=11,
        max_consecutive_nights=3,
        days_off_after_nights=2,
        weekends_per_four_weeks=2,
    )
    staff = [world.icu_nurse] + [f.StaffFactory(home_unit=icu) for _ in range(7)]
    for person in staff:
        give_credentials(person)
        StaffContract.objects.create(staff=person, template=template)
    period = services.create_period(actor=None, unit=icu, start_date=MONDAY, weeks=1)
    return Ward(icu, period, day, night, early, staff, template, world.users["unit_manager"])
