"""Demo rostering data: shift types, demand, work rules and requests for every inpatient unit.

``build(rng=, today=, scale=)`` runs after the foundation demo (see ``carehelm.demo.registry``):

- every inpatient unit (wards, ICU, ED, maternity) gets 12-hour day and night shifts, demand from
  its nurse-to-patient ratio at 85 % occupancy plus one charge nurse per shift, and a draft
  4-week roster period starting next Monday;
- nurses work under "12-hour nursing" (36 h/week at FTE 1, 4 days in a row, 11 h rest, 3 nights
  in a row then 2 days off, 2 weekends in 4); a few requests (days off, leave, preferences);
- the ICU also gets the current 4-week period generated and published, so ``nurse.icu`` has
  shifts, a calendar feed and something to swap;
- administration gets an "administrator on call" rota.
"""

from __future__ import annotations

import datetime as dt
import math

from carehelm.organization.models import Unit, UnitKind
from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling import services
from carehelm.scheduling.models import (
    ContractTemplate,
    PeriodKind,
    PublicHoliday,
    RequestKind,
    RequestStatus,
    StaffContract,
    StaffRequest,
)
from carehelm.workforce.models import CredentialRequirement, Skill, Staff

INPATIENT_KINDS = (UnitKind.ICU, UnitKind.INPATIENT_WARD, UnitKind.EMERGENCY, UnitKind.MATERNITY)
OCCUPANCY = 0.85

US_HOLIDAYS = [
    ("01-01", "New Year's Day"),
    ("07-04", "Independence Day"),
    ("11-11", "Veterans Day"),
    ("12-25", "Christmas Day"),
]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def build(*, rng, today: dt.date, scale: float) -> None:
    for year in (today.year - 1, today.year, today.year + 1):
        for md, name in US_HOLIDAYS:
            PublicHoliday.objects.get_or_create(
                date=dt.date.fromisoformat(f"{year}-{md}"), defaults={"name": name}
            )
    nursing = ContractTemplate.objects.create(
        name="12-hour nursing",
        hours_per_week=36,
        max_consecutive_days=3,
        min_rest_hours=11,
        max_consecutive_nights=3,
        days_off_after_nights=2,
        weekends_per_four_weeks=2,
        overtime_after_hours=40,
    )
    ContractTemplate.objects.get_or_create(name=pb.DEFAULT_TEMPLATE)
    ContractTemplate.objects.create(
        name="On-call administrators",
        hours_per_week=40,
        max_consecutive_days=5,
        min_rest_hours=0,
        max_consecutive_nights=7,
        days_off_after_nights=0,
        weekends_per_four_weeks=4,
    )
    charge = Skill.objects.filter(code="charge").first()
    this_monday = monday_of(today)
    next_block = this_monday + dt.timedelta(days=28)
    for unit in Unit.objects.filter(kind__in=INPATIENT_KINDS, facility__kind="hospital").order_by("code"):
        _unit(unit, rng=rng, nursing=nursing, charge=charge, start=next_block)
    icu = Unit.objects.filter(code="ICU", facility__kind="hospital").first()
    if icu is not None:
        current = services.create_period(
            actor=None, unit=icu, start_date=this_monday, weeks=4, budgeted_hours=None
        )
        from carehelm.scheduling.solving import solve_built

        outcome = solve_built(pb.build(current), time_limit=8.0 if scale >= 0.5 else 2.0, workers=2, seed=1)
        if outcome.roster is not None:
            services.save_solution(period=current, outcome=outcome)
            services.publish(actor=None, period=current)
    admin = Unit.objects.filter(kind=UnitKind.ADMINISTRATIVE, facility__kind="hospital").first()
    if admin is not None:
        services.save_shift_type(
            actor=None,
            unit=admin,
            code="AOC",
            name="Administrator on call",
            start=dt.time(17),
            end=dt.time(8),
            paid_minutes=120,
            on_call=True,
            colour="#f3d1e6",
        )
        services.create_period(
            actor=None,
            unit=admin,
            start_date=next_block,
            weeks=4,
            kind=PeriodKind.ON_CALL,
            max_on_call_in_a_row=2,
        )


def demo_demand(unit: Unit, day, night, staff: list[Staff], charge, days: list[dt.date]) -> float:
    """Weekly demand a unit's staff can roughly carry: the ratio's nurses at 85 % occupancy, capped by
    the shifts the staff's FTE can work (weekends at most what every-other-weekend allows), so the
    demo shows a tight but coverable roster, as most units are. Returns target shifts a day."""
    need = max(1, math.ceil(unit.staffed_beds * OCCUPANCY / services.ratio_for(unit))) + 1
    reqs = list(
        CredentialRequirement.objects.select_related("credential_type").filter(for_next_role_only=False)
    )
    # Only the days people may work count: an expired licence or life-support card takes them off.
    share = {s.pk: 1 - len(pb.credential_blocks(s, days, reqs)) / len(days) for s in staff}
    capacity = sum(float(s.fte) * share[s.pk] for s in staff) * 36 * 4 / 11.5  # shifts workable in 4 weeks
    staff = [s for s in staff if share[s.pk] > 0.5]
    weekend = max(1, math.floor(min(0.8 * len(staff) / 2, capacity / 28, 2 * need)))
    weekday = max(1, math.floor(min((0.92 * capacity - 8 * weekend) / 20, 2 * need)))
    for weekday_index in range(7):
        total = weekend if weekday_index >= 5 else weekday
        d_target = max(1, math.ceil(total * 0.55))
        n_target = max(1, total - d_target)
        for shift, target in ((day, d_target), (night, n_target)):
            services.set_demand(
                actor=None, shift_type=shift, weekday=weekday_index, minimum=max(1, target - 1), target=target
            )
    charge_staff = [s for s in staff if charge is not None and charge in s.skills.all()]
    if charge_staff:
        charge_capacity = sum(float(s.fte) * share[s.pk] for s in charge_staff) * 36 * 4 / 11.5 / 28
        for weekday_index in range(7):
            for shift in (day, night):
                services.set_demand(
                    actor=None,
                    shift_type=shift,
                    weekday=weekday_index,
                    skill="charge",
                    minimum=1 if charge_capacity >= 2.2 else 0,
                    target=1,
                )
    return (5 * weekday + 2 * weekend) / 7


def _unit(unit: Unit, *, rng, nursing, charge, start: dt.date) -> None:
    day, night = services.save_twelve_hour_day_and_night(unit=unit)
    staff = list(
        Staff.objects.filter(
            home_unit=unit, active=True, job_role__code__in=pb.ROSTERED_ROLES
        ).prefetch_related("skills", "credentials")
    )
    per_day = demo_demand(unit, day, night, staff, charge, [start + dt.timedelta(days=i) for i in range(28)])
    for person in staff:
        StaffContract.objects.create(staff=person, template=nursing)
    services.create_period(
        actor=None, unit=unit, start_date=start, weeks=4, budgeted_hours=round(per_day * 28 * 11.5)
    )
    people = sorted(staff, key=lambda s: s.employee_number)
    rng_people = rng.sample(people, k=min(len(people), 8))
    for i, person in enumerate(rng_people):
        when = start + dt.timedelta(days=rng.randrange(28))
        if i < 3:
            StaffRequest.objects.create(
                staff=person,
                kind=RequestKind.DAY_OFF,
                date_from=when,
                priority=rng.choice([1, 2, 3]),
                note="family event",
            )
        elif i < 5:
            StaffRequest.objects.create(
                staff=person,
                kind=RequestKind.LEAVE,
                date_from=when,
                date_to=when + dt.timedelta(days=rng.randrange(2, 6)),
                status=RequestStatus.APPROVED if i == 3 else RequestStatus.PENDING,
                note="annual leave",
            )
        elif i < 7:
            StaffRequest.objects.create(
                staff=person,
                kind=RequestKind.PREFER,
                date_from=when,
                date_to=when + dt.timedelta(days=6),
                shift_type=night,
                priority=1,
                note="prefers nights this week",
            )
        else:
            StaffRequest.objects.create(
                staff=person,
                kind=RequestKind.UNAVAILABLE,
                date_from=start,
                weekday=2,
                note="college on Wednesdays",
            )
