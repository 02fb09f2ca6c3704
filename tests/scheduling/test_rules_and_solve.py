"""What a manager relies on: credentials gate shifts, rest is real, pins stay, repair and swaps are safe."""

from __future__ import annotations

import datetime as dt

import pytest

from carehelm.scheduling import problem_builder as pb
from carehelm.scheduling import repair, rules, services
from carehelm.scheduling.models import Assignment, ContractTemplate, PeriodStatus, StaffContract, SwapStatus
from carehelm.scheduling.solving import solve_built
from carehelm.validation import InvalidInput
from carehelm.workforce.models import StaffCredential
from tests.scheduling.conftest import MONDAY

TUE, WED, THU, FRI = (MONDAY + dt.timedelta(days=i) for i in (1, 2, 3, 4))


def generate(period, seconds: float = 3.0):
    outcome = solve_built(pb.build(period), time_limit=seconds, workers=1, seed=3)
    assert outcome.roster is not None, outcome.notes
    services.save_solution(period=period, outcome=outcome)
    return outcome


def cells(period) -> dict:
    return {
        (a.staff_id, a.date): a.shift_type.code
        for a in Assignment.objects.filter(period=period).select_related("shift_type")
    }


@pytest.mark.django_db
def test_expired_acls_and_missing_acls_keep_icu_nurses_off_the_roster(ward):
    expiring, missing = ward.staff[1], ward.staff[2]
    StaffCredential.objects.filter(staff=expiring, credential_type__code="acls").update(expires_on=WED)
    StaffCredential.objects.filter(staff=missing, credential_type__code="acls").delete()

    generate(ward.period)

    worked = cells(ward.period)
    assert not [d for (s, d) in worked if s == expiring.pk and d > WED]
    assert not [d for (s, d) in worked if s == missing.pk]
    with pytest.raises(InvalidInput) as refused:
        services.change_assignment(
            actor=ward.manager, period=ward.period, staff=expiring, date=FRI, shift_type=ward.day
        )
    assert "ACLS expired" in str(refused.value)
    assert not Assignment.objects.filter(staff=expiring, date=FRI).exists()


@pytest.mark.django_db
def test_rest_is_computed_from_real_shift_times_across_midnight(ward):
    nurse = ward.staff[3]
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=nurse, date=TUE, shift_type=ward.night
    )
    # The night ends at 07:00 on Wednesday: a day or early shift starting 07:00 leaves no rest at all.
    for shift in (ward.day, ward.early):
        with pytest.raises(InvalidInput) as refused:
            services.change_assignment(
                actor=ward.manager, period=ward.period, staff=nurse, date=WED, shift_type=shift
            )
        assert "starts 0.0 h after N" in str(refused.value) and "11 h rest" in str(refused.value)
    # A second night starts 12 h after the first ends: allowed.
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=nurse, date=WED, shift_type=ward.night
    )
    assert cells(ward.period)[(nurse.pk, WED)] == "N"


@pytest.mark.django_db
def test_rest_threshold_comes_from_the_contract_not_a_list_of_pairs(ward):
    late = services.save_shift_type(
        actor=None,
        unit=ward.unit,
        code="L",
        name="Late",
        start=dt.time(13),
        end=dt.time(21),
        paid_minutes=450,
    )
    nurse = ward.staff[4]
    services.change_assignment(actor=ward.manager, period=ward.period, staff=nurse, date=TUE, shift_type=late)
    # Late ends 21:00, early starts 07:00: 10 h of rest, one short of the contract's 11 h.
    with pytest.raises(InvalidInput) as refused:
        services.change_assignment(
            actor=ward.manager, period=ward.period, staff=nurse, date=WED, shift_type=ward.early
        )
    assert "10.0 h" in str(refused.value)
    ten_hours = ContractTemplate.objects.create(name="10 h rest", hours_per_week=36, min_rest_hours=10)
    StaffContract.objects.filter(staff=nurse).update(template=ten_hours)
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=nurse, date=WED, shift_type=ward.early
    )


@pytest.mark.django_db
def test_rest_holds_across_the_boundary_with_the_previous_published_roster(ward):
    nurse = ward.staff[5]
    sunday = MONDAY - dt.timedelta(days=1)
    previous = services.create_period(
        actor=None, unit=ward.unit, start_date=MONDAY - dt.timedelta(days=7), weeks=1
    )
    services.change_assignment(actor=None, period=previous, staff=nurse, date=sunday, shift_type=ward.night)
    services.publish(actor=None, period=previous)

    with pytest.raises(InvalidInput) as refused:
        services.change_assignment(
            actor=ward.manager, period=ward.period, staff=nurse, date=MONDAY, shift_type=ward.day
        )
    assert "Sun" in str(refused.value) and "rest" in str(refused.value)

    generate(ward.period)
    monday = cells(ward.period).get((nurse.pk, MONDAY))
    assert monday in (None, "N")


@pytest.mark.django_db
def test_solved_rosters_keep_the_night_block_rules(ward):
    for weekday in range(7):
        services.set_demand(actor=None, shift_type=ward.night, weekday=weekday, minimum=3, target=4)
    period = services.create_period(
        actor=None, unit=ward.unit, start_date=MONDAY + dt.timedelta(days=7), weeks=2
    )
    outcome = generate(period, seconds=4.0)
    built = pb.build(period)
    roster = services.current_roster(built)
    assert rules.breaches(built, roster) == []
    assert outcome.breaches == []
    nurse = ward.staff[6]
    Assignment.objects.filter(period=period, staff=nurse).delete()  # a clean slate for this person
    first = MONDAY + dt.timedelta(days=7)
    for i in range(3):
        services.change_assignment(
            actor=ward.manager,
            period=period,
            staff=nurse,
            date=first + dt.timedelta(days=i),
            shift_type=ward.night,
        )
    with pytest.raises(InvalidInput) as refused:
        services.change_assignment(
            actor=ward.manager,
            period=period,
            staff=nurse,
            date=first + dt.timedelta(days=3),
            shift_type=ward.night,
        )
    assert "4 nights in a row" in str(refused.value)


@pytest.mark.django_db
def test_pinned_assignments_survive_a_resolve(ward):
    nurse = ward.staff[0]
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=nurse, date=WED, shift_type=ward.night
    )
    generate(ward.period)
    assert cells(ward.period)[(nurse.pk, WED)] == "N"
    generate(ward.period)
    row = Assignment.objects.get(period=ward.period, staff=nurse, date=WED)
    assert (row.shift_type.code, row.pinned, row.source) == ("N", True, "manual")


@pytest.mark.django_db
def test_repair_fills_the_open_shift_and_changes_nothing_else(ward):
    generate(ward.period)
    services.publish(actor=ward.manager, period=ward.period)
    before = cells(ward.period)
    (sick, day), code = next(
        ((s, d), c) for (s, d), c in sorted(before.items(), key=lambda kv: kv[0][1]) if c == "D" and d >= TUE
    )

    # A casual nurse with current credentials joins the unit: someone with room to pick the shift up.
    from tests import factories as f
    from tests.scheduling.conftest import give_credentials

    casual = f.StaffFactory(home_unit=ward.unit, employment_type="casual", fte="0.5")
    give_credentials(casual)
    absence = repair.mark_absence(
        actor=ward.manager,
        period=ward.period,
        staff=ward.staff[0].__class__.objects.get(pk=sick),
        date_from=day,
        reason="Sick",
    )
    options = repair.repair_options(period=ward.period, absence=absence)
    assert [(o.date, o.shift.code) for o in options] == [(day, "D")]
    proposal = options[0].proposal
    assert proposal is not None and (proposal.staff.pk, day) not in before, options[0].refused
    repair.apply_repair(
        actor=ward.manager, period=ward.period, absence=absence, choices={(day, "D"): proposal.staff}
    )

    after = cells(ward.period)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {(sick, day), (proposal.staff.pk, day)}
    assert after[(proposal.staff.pk, day)] == "D" and (sick, day) not in after
    built = pb.build(ward.period)
    assert (
        rules.breaches(built, services.current_roster(built), staff={str(proposal.staff.pk)}, by_hand=True)
        == []
    )


@pytest.mark.django_db
def test_swap_approval_rechecks_the_rules(ward):
    giver, night_worker, free = ward.staff[1], ward.staff[2], ward.staff[3]
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=giver, date=WED, shift_type=ward.day
    )
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=night_worker, date=TUE, shift_type=ward.night
    )
    services.publish(actor=ward.manager, period=ward.period)

    unsafe = services.request_swap(
        actor=None, period=ward.period, requester=giver, requester_date=WED, colleague=night_worker
    )
    with pytest.raises(InvalidInput) as refused:
        services.decide_swap(actor=ward.manager, swap=unsafe, approve=True)
    assert "rest" in str(refused.value)
    unsafe.refresh_from_db()
    assert unsafe.status == SwapStatus.PENDING
    assert cells(ward.period)[(giver.pk, WED)] == "D"

    safe = services.request_swap(
        actor=None, period=ward.period, requester=giver, requester_date=WED, colleague=free
    )
    services.decide_swap(actor=ward.manager, swap=safe, approve=True)
    after = cells(ward.period)
    assert (giver.pk, WED) not in after and after[(free.pk, WED)] == "D"


@pytest.mark.django_db
def test_published_roster_is_locked_for_generation_and_hand_edits(ward):
    services.change_assignment(
        actor=ward.manager, period=ward.period, staff=ward.staff[1], date=WED, shift_type=ward.day
    )
    services.publish(actor=ward.manager, period=ward.period)
    ward.period.refresh_from_db()
    assert ward.period.status == PeriodStatus.PUBLISHED
    with pytest.raises(InvalidInput):
        services.start_solve(actor=ward.manager, period=ward.period, time_limit=2)
    with pytest.raises(InvalidInput):
        services.change_assignment(
            actor=ward.manager, period=ward.period, staff=ward.staff[1], date=WED, shift_type=None
        )


@pytest.mark.django_db
def test_census_drives_demand_by_the_icu_ratio(ward):
    services.set_census(actor=None, unit=ward.unit, date=THU, expected_census=13)
    services.apply_census_demand(actor=None, unit=ward.unit, date_from=THU, date_to=THU)
    built = pb.build(ward.period)
    thursday = [
        c
        for i, c in enumerate(built.problem.cover)
        if built.date_of(c.day) == THU
        and c.shift_id == "D"
        and built.cover_labels[i] in ("minimum", "target")
    ]
    # 13 patients at 1:2 need 7 nurses on each shift; the override replaces the weekday rows.
    assert {c.requirement for c in thursday} == {7}


@pytest.mark.django_db
def test_cancelling_stops_the_solve_without_saving(ward):
    outcome = solve_built(pb.build(ward.period), time_limit=6, workers=1, tick=lambda figures: True)
    assert outcome.status == "cancelled"


@pytest.mark.django_db
def test_on_call_rota_covers_every_day_without_long_runs_and_steers_weekends_by_last_year(world):
    from tests import factories as f

    admin_unit = f.UnitFactory(
        facility=world.hospital, name="Administration", code="ADM", kind="administrative"
    )
    people = [f.StaffFactory(home_unit=admin_unit, job_role=f.job_role("practice-manager")) for _ in range(4)]
    on_call = services.save_shift_type(
        actor=None,
        unit=admin_unit,
        code="AOC",
        name="Administrator on call",
        start=dt.time(17),
        end=dt.time(8),
        paid_minutes=120,
        on_call=True,
    )
    last_year = services.create_period(
        actor=None, unit=admin_unit, start_date=MONDAY - dt.timedelta(days=28), weeks=4, kind="on_call"
    )
    # The first person carried every weekend of the last rota.
    for day in last_year.days:
        if day.weekday() >= 5:
            Assignment.objects.create(
                period=last_year, staff=people[0], date=day, shift_type=on_call, pinned=True
            )
    rota = services.create_period(
        actor=None, unit=admin_unit, start_date=MONDAY, weeks=2, kind="on_call", max_on_call_in_a_row=2
    )
    built = pb.build(rota)
    weekend_penalties = {
        r.staff_id for r in built.problem.shift_off_requests if built.date_of(r.day).weekday() >= 5
    }
    assert weekend_penalties == {str(people[0].pk)}

    generate(rota, seconds=3.0)
    worked = sorted((d, s) for (s, d) in cells(rota))
    assert sorted({d for d, _ in worked}) == rota.days  # someone is on call every day
    assert len(worked) == len(rota.days)
    for person in people:
        days = sorted(d for d, s in worked if s == person.pk)
        runs = [1]
        for a, b in zip(days, days[1:], strict=False):
            runs.append(runs[-1] + 1 if (b - a).days == 1 else 1)
        assert max(runs, default=0) <= 2
    assert not [d for d, s in worked if s == people[0].pk and d.weekday() >= 5]


@pytest.mark.django_db
def test_engine_replan_touches_only_the_absence_day(ward):
    generate(ward.period)
    services.publish(actor=ward.manager, period=ward.period)
    before = cells(ward.period)
    (sick, day), _ = next(
        ((s, d), c) for (s, d), c in sorted(before.items(), key=lambda kv: kv[0][1]) if c == "D" and d >= TUE
    )
    person = ward.staff[0].__class__.objects.get(pk=sick)
    absence = repair.mark_absence(actor=ward.manager, period=ward.period, staff=person, date_from=day)
    changes = repair.engine_repair(period=ward.period, absence=absence, time_limit=3.0)
    assert all(c.date == day for c in changes)
    repair.apply_replan(actor=ward.manager, period=ward.period, absence=absence, changes=changes)
    after = cells(ward.period)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert (sick, day) in changed and {d for _, d in changed} == {day}
    built = pb.build(ward.period)
    # The sick person's own break may now be a single day; nobody else may be left breaking a rule.
    others = set(built.staff) - {str(sick)}
    assert rules.breaches(built, services.current_roster(built), staff=others, by_hand=True) == []
