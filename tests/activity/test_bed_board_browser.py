"""The bed board in a real browser: a unit manager finds their unit, the page passes the accessibility
checks on a tablet, and an admission arriving over the feed appears on the board without a reload."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from carehelm.activity import demo as activity_demo
from carehelm.activity.feeds import compose_adt
from carehelm.activity.services import receive_adt
from carehelm.organization.models import Bed
from tests.e2e.accessibility import accessibility_problems
from tests.e2e.conftest import browser, demo, log_in, page  # noqa: F401 - the browser fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unit_manager_watches_an_admission_arrive_on_the_bed_board(demo, page, log_in):  # noqa: F811
    activity_demo.build(rng=random.Random(3), today=timezone.localdate(), scale=0.1)
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, "manager.icu", demo)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Beds & census").click()
    rows = page.locator("table.census tbody tr")
    assert rows.count() == 1 and "intensive care" in rows.first.inner_text().lower()
    assert accessibility_problems(page) == []

    page.get_by_role("link", name="Intensive Care").click()
    page.wait_for_selector("ul.beds")
    assert accessibility_problems(page) == []
    free = (
        Bed.objects.filter(room__unit__code="ICU", status="U", stays__isnull=True)
        .select_related("room")
        .first()
    )
    if free is None:  # every ICU bed has been used in the demo's history: take any empty one
        free = Bed.objects.filter(room__unit__code="ICU").exclude(status="O").select_related("room").first()
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    message = compose_adt(
        trigger="A01",
        control_id="BROWSER-1",
        visit_number="VB-1",
        mrn="MB-1",
        event_time=now,
        location=("ICU", free.room.name, free.label, "rgh"),
    )
    assert receive_adt(message).status == "applied"
    tile = page.locator("li.bed", has_text=f"{free.room.name} · {free.label}")
    tile.get_by_text("Visit VB-1").wait_for(timeout=20_000)  # the htmx refresh brought it in
    assert "Occupied" in tile.inner_text().title()
