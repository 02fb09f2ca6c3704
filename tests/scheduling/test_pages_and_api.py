"""Who sees and changes which roster, in the pages and the API; the task, the feed and my shifts."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from carehelm.runs.models import Run, RunStatus
from carehelm.scheduling import services
from carehelm.scheduling.models import Assignment, CalendarFeed, RosterPeriod
from tests.scheduling.conftest import MONDAY

WED = MONDAY + dt.timedelta(days=2)


@pytest.fixture
def rosters(ward, world):
    """The ICU draft (``ward.period``), a published ICU week with the ICU nurse on a day shift,
    and a med-surg draft the ICU manager must not reach."""
    published = services.create_period(
        actor=None, unit=world.icu, start_date=MONDAY + dt.timedelta(days=7), weeks=1
    )
    services.change_assignment(
        actor=None,
        period=published,
        staff=world.icu_nurse,
        date=MONDAY + dt.timedelta(days=9),
        shift_type=ward.day,
    )
    services.change_assignment(
        actor=None,
        period=published,
        staff=world.icu_nurse,
        date=MONDAY + dt.timedelta(days=12),
        shift_type=ward.night,
    )
    services.change_assignment(
        actor=None,
        period=published,
        staff=ward.staff[1],
        date=MONDAY + dt.timedelta(days=9),
        shift_type=ward.night,
    )
    services.publish(actor=None, period=published)
    other = services.create_period(actor=None, unit=world.medsurg, start_date=MONDAY, weeks=1)
    return ward.period, published, other


# role -> expected status for: ICU draft grid, published grid, med-surg draft grid
GRID_MATRIX = {
    "executive": (200, 200, 200),
    "facility_admin": (200, 200, 200),
    "unit_manager": (200, 200, 404),
    "compliance": (200, 200, 200),
    "staff": (404, 302, 404),  # a nurse is sent to "my shifts" from the published roster
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(GRID_MATRIX))
def test_roster_pages_follow_the_permission_matrix(role, world, rosters, client_for):
    client = client_for(world.users[role])
    for period, expected in zip(rosters, GRID_MATRIX[role], strict=True):
        assert client.get(f"/rosters/{period.pk}/").status_code == expected, (role, period)
    explain_expected = {200: 200, 302: 403, 404: 404}[GRID_MATRIX[role][1]]
    assert client.get(f"/rosters/{rosters[1].pk}/explain").status_code == explain_expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,may_change",
    [
        ("executive", True),
        ("facility_admin", True),
        ("unit_manager", True),
        ("compliance", False),
        ("staff", False),
    ],
)
def test_only_managers_change_or_publish_a_roster(role, may_change, world, rosters, ward, client_for):
    client = client_for(world.users[role])
    draft = rosters[0]
    response = client.post(
        f"/rosters/{draft.pk}/change", {"staff": ward.staff[2].pk, "date": WED, "shift": "D"}
    )
    assert response.status_code == (302 if may_change else 404)
    assert Assignment.objects.filter(period=draft, staff=ward.staff[2], date=WED).exists() == may_change
    api = client.put(
        f"/api/scheduling/periods/{draft.pk}/assignments",
        data=json.dumps({"staff_id": ward.staff[3].pk, "date": WED.isoformat(), "shift": "N"}),
        content_type="application/json",
    )
    assert api.status_code == (200 if may_change else 404)
    client.post(f"/rosters/{draft.pk}/publish")
    draft.refresh_from_db()
    assert draft.published == may_change


@pytest.mark.django_db
def test_anonymous_gets_nothing(client, rosters):
    draft, published, _ = rosters
    assert client.get(f"/rosters/{draft.pk}/").status_code == 302
    assert client.get("/my/shifts/").status_code == 302
    assert client.get("/api/scheduling/periods").status_code == 401
    assert client.get(f"/api/scheduling/periods/{published.pk}/assignments").status_code == 401


@pytest.mark.django_db
def test_api_lists_only_the_periods_in_reach(world, rosters, client_for):
    draft, published, other = rosters
    seen = {
        role: {p["id"] for p in client_for(world.users[role]).get("/api/scheduling/periods").json()}
        for role in ("unit_manager", "staff", "executive")
    }
    assert seen["unit_manager"] == {draft.pk, published.pk}
    assert seen["staff"] == {published.pk}
    assert seen["executive"] == {draft.pk, published.pk, other.pk}


@pytest.mark.django_db
def test_a_nurse_sees_only_her_own_shifts(world, rosters, client_for):
    published = rosters[1]
    client = client_for(world.users["staff"])
    rows = client.get(f"/api/scheduling/periods/{published.pk}/assignments").json()
    assert {r["staff_id"] for r in rows} == {world.icu_nurse.pk} and len(rows) == 2
    mine = client.get("/api/scheduling/my/shifts").json()
    assert [(r["date"], r["shift"]) for r in mine] == [
        ((MONDAY + dt.timedelta(days=9)).isoformat(), "D"),
        ((MONDAY + dt.timedelta(days=12)).isoformat(), "N"),
    ]
    page = client.get("/my/shifts/")
    assert page.status_code == 200 and b"Day" in page.content
    assert page.content.count(b"are published") == 1  # the publication notice reaches her, once
    # A nurse may not mark absences or approve her own swap.
    assert (
        client.post(
            f"/api/scheduling/periods/{published.pk}/absences",
            data=json.dumps({"staff_id": world.icu_nurse.pk, "date_from": "2031-03-12"}),
            content_type="application/json",
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_a_nurse_requests_a_swap_and_a_day_off_for_herself_only(world, rosters, ward, client_for):
    published = rosters[1]
    client = client_for(world.users["staff"])
    day = (MONDAY + dt.timedelta(days=9)).isoformat()
    swap = client.post(
        "/api/scheduling/swaps",
        data=json.dumps({"period_id": published.pk, "requester_date": day, "colleague_id": ward.staff[4].pk}),
        content_type="application/json",
    )
    assert swap.status_code == 201, swap.content
    own = client.post(
        "/api/scheduling/requests",
        data=json.dumps({"kind": "day_off", "date_from": "2031-03-20", "priority": 3}),
        content_type="application/json",
    )
    assert own.status_code == 201 and own.json()["staff_id"] == world.icu_nurse.pk
    theirs = client.post(
        "/api/scheduling/requests",
        data=json.dumps({"staff_id": ward.staff[4].pk, "kind": "day_off", "date_from": "2031-03-20"}),
        content_type="application/json",
    )
    assert theirs.status_code == 404
    decision = client.post(
        f"/api/scheduling/swaps/{swap.json()['id']}/decision",
        data=json.dumps({"approve": True}),
        content_type="application/json",
    )
    assert decision.status_code == 404


@pytest.mark.django_db
def test_calendar_feed_carries_the_published_shift_and_dies_when_revoked(world, rosters, client_for, client):
    nurse_client = client_for(world.users["staff"])
    nurse_client.post("/my/shifts/", {"action": "feed"})
    token = CalendarFeed.objects.get(staff=world.icu_nurse).token
    nurse_client.logout()
    response = client.get(f"/feeds/roster/{token}.ics")
    assert response.status_code == 200
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    # Real times: the night starts at 19:00 and ends at 07:00 the next morning.
    new_york = ZoneInfo("America/New_York")
    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in events] == [
        (
            dt.datetime.combine(MONDAY + dt.timedelta(days=9), dt.time(7), tzinfo=new_york),
            dt.datetime.combine(MONDAY + dt.timedelta(days=9), dt.time(19), tzinfo=new_york),
        ),
        (
            dt.datetime.combine(MONDAY + dt.timedelta(days=12), dt.time(19), tzinfo=new_york),
            dt.datetime.combine(MONDAY + dt.timedelta(days=13), dt.time(7), tzinfo=new_york),
        ),
    ]
    services.rotate_feed(actor=world.users["staff"], staff=world.icu_nurse)
    assert client.get(f"/feeds/roster/{token}.ics").status_code == 404


@pytest.mark.django_db
def test_generate_runs_as_a_task_with_progress_and_saves_a_draft(world, ward, client_for, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = client_for(ward.manager)
    response = client.post(f"/rosters/{ward.period.pk}/generate", {"time_limit": "3"})
    assert response.status_code == 302
    period = RosterPeriod.objects.get(pk=ward.period.pk)
    run = Run.objects.get(pk=period.last_run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.result["hard_breaches"] == [] and run.result["shifts"] == period.assignments.count() > 0
    assert period.penalty == run.result["penalty"]
    page = client.get(f"/rosters/{period.pk}/")
    assert page.status_code == 200 and b"Cover D" in page.content
    explanation = client.get(f"/api/scheduling/periods/{period.pk}/explanation").json()
    assert explanation["penalty"] == period.penalty
    assert {"gini_nights", "gini_weekends"} <= set(explanation["fairness"])
    assert client.get(f"/rosters/{period.pk}/explain").status_code == 200
    csv_text = client.get(f"/rosters/{period.pk}/roster.csv").content.decode()
    assert csv_text.splitlines()[0].startswith("employee_number,name,job_role,2031-03-03")
    assert client.get(f"/rosters/{period.pk}/print").status_code == 200


@pytest.mark.django_db
def test_a_demand_csv_with_one_bad_row_is_refused_whole_with_the_row_named(ward, world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from carehelm.scheduling.models import Demand

    before = Demand.objects.count()
    rows = ["shift,weekday,date,skill,minimum,target"] + [f"D,{d},,,3,4" for d in range(7)] + ["X,Mon,,,2,2"]
    client = client_for(ward.manager)
    upload = SimpleUploadedFile("icu-demand.csv", "\n".join(rows).encode(), content_type="text/csv")
    response = client.post(f"/api/scheduling/units/{world.icu.pk}/demand/import", {"file": upload})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["field"], e["file"]) for e in errors] == [(9, "shift", "icu-demand.csv")]
    assert Demand.objects.count() == before
    good = SimpleUploadedFile("icu-demand.csv", "\n".join(rows[:-1]).encode(), content_type="text/csv")
    assert client.post(f"/api/scheduling/units/{world.icu.pk}/demand/import", {"file": good}).json() == {
        "imported": 7
    }
    assert set(
        Demand.objects.filter(unit=world.icu, shift_type=ward.day, skill=None, date=None).values_list(
            "minimum", "target"
        )
    ) == {(3, 4)}
