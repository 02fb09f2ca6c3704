"""The manager's roster week in a real browser, and the nurse who finds her shift in "my shifts" and her calendar.

Uses the browser fixtures of tests/e2e (Debian's chromium; skipped with the reason when it is missing).
The background task runs in a thread of the test process (what ``db_worker`` does in production), so
the page's live progress and its reload on completion are exercised as they are in use.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.request import urlopen

import pytest

from tests.e2e.conftest import browser, demo, log_in, page  # noqa: F401 - fixtures shared with tests/e2e

pytestmark = pytest.mark.django_db(transaction=True)


def _run_worker_once(period_id: int) -> threading.Thread:
    from carehelm.runs import services as runs
    from carehelm.scheduling import tasks
    from carehelm.scheduling.models import RosterPeriod

    run_id = RosterPeriod.objects.get(pk=period_id).last_run_id
    thread = threading.Thread(
        target=runs.run_task_body,
        args=(run_id, lambda rid: tasks.generate(rid, period_id, 6.0, 1)),
        daemon=True,
    )
    thread.start()
    return thread


def test_manager_generates_explains_edits_and_publishes_and_the_nurse_sees_the_shift(demo, page, log_in):  # noqa: F811
    from carehelm.organization.models import Unit
    from carehelm.scheduling import services
    from carehelm.scheduling.models import Assignment, CalendarFeed, RosterPeriod
    from carehelm.workforce.models import Staff, StaffCredential

    icu = Unit.objects.get(code="ICU", facility__code="rgh")
    services.save_twelve_hour_day_and_night(unit=icu)
    # Everyone's credentials current, so the roster is about demand and rules, not expiries.
    StaffCredential.objects.filter(staff__home_unit=icu).update(
        expires_on=dt.date.today() + dt.timedelta(days=400)
    )
    nurse = Staff.objects.get(user__username="nurse.icu")
    Staff.objects.filter(pk=nurse.pk).update(fte=1)  # full time: the roster must give her shifts
    start = dt.date.today() + dt.timedelta(days=(7 - dt.date.today().weekday()) % 7 or 7)

    log_in(page, "manager.icu", demo)
    page.goto(f"{demo}/rosters/setup/{icu.pk}/")
    for shift in ("D", "N"):
        for weekday in range(7):
            page.get_by_label(f"{shift} {weekday} minimum").fill("1")
            page.get_by_label(f"{shift} {weekday} target").fill("1")
    page.get_by_role("button", name="Save demand").click()
    page.get_by_text("Demand saved (14 cells)").wait_for()

    page.goto(f"{demo}/rosters/")
    page.locator("#id_unit").select_option(str(icu.pk))
    page.locator("#id_start_date").fill(start.isoformat())
    page.locator("#id_weeks").fill("1")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/rosters/\d+/$"))
    period = RosterPeriod.objects.get(unit=icu, start_date=start)

    page.locator("#time_limit").fill("6")
    page.get_by_role("button", name="Generate roster").click()
    # The run is queued: the page shows its live status (progress bar, figures, Cancel) and polls it.
    page.get_by_role("progressbar", name="Generation progress").wait_for()
    assert page.get_by_role("button", name="Cancel").is_visible()
    worker = _run_worker_once(period.pk)
    page.get_by_text("Last generation:").wait_for(timeout=40_000)  # the page reloads when it is done
    worker.join(timeout=30)
    assert Assignment.objects.filter(period=period).count() >= 14

    page.get_by_role("link", name="Explain").click()
    page.get_by_role("heading", name="Unmet demand").wait_for()
    assert page.get_by_text("Gini of nights").is_visible()
    page.go_back()

    # Refused: a day shift the morning a night ends.
    night = Assignment.objects.filter(period=period, shift_type__code="N", date__lt=period.end_date).first()
    page.locator("#change-staff").select_option(str(night.staff_id))
    page.locator("#change-date").fill((night.date + dt.timedelta(days=1)).isoformat())
    page.locator("#change-shift").select_option("D")
    page.get_by_role("button", name="Check and apply").click()
    page.get_by_text("Refused.").wait_for()
    assert page.get_by_text(re.compile(r"starts 0\.0 h after N")).is_visible()

    # Accepted: taking someone off the first day (their rest and runs only get easier); the penalty
    # change is shown and the grid keeps the change.
    first = Assignment.objects.filter(period=period, date=period.start_date).exclude(staff=nurse).first()
    page.locator("#change-staff").select_option(str(first.staff_id))
    page.locator("#change-date").fill(period.start_date.isoformat())
    page.locator("#change-shift").select_option("")
    page.get_by_role("button", name="Check and apply").click()
    page.get_by_text(re.compile(r"Penalty \d+ → \d+")).wait_for()
    assert not Assignment.objects.filter(
        period=period, staff_id=first.staff_id, date=period.start_date
    ).exists()
    shift = Assignment.objects.filter(period=period, staff=nurse).order_by("date").first()

    page.get_by_role("button", name="Publish").click()
    page.get_by_text("is published").wait_for()

    page.context.clear_cookies()
    log_in(page, "nurse.icu", demo)
    page.goto(f"{demo}/my/shifts/")
    assert page.get_by_role("cell", name=shift.date.strftime("%a %d %b %Y")).is_visible()
    page.get_by_role("button", name="Make my calendar link").click()
    link = page.get_by_label("Your calendar link").input_value()
    assert CalendarFeed.objects.get(staff=nurse).token in link
    ics = urlopen(link).read().decode()  # noqa: S310 - the live test server
    starts = shift.shift_type.starts_at(shift.date)
    assert f"DTSTART;TZID=America/New_York:{starts:%Y%m%dT%H%M%S}" in ics
