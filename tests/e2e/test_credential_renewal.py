"""Issue 2's done-when, in a real browser: a unit manager renews an expiring credential.

The manager signs in through the login form, opens the expiry board from the navigation, picks a
credential expiring within 30 days, follows "Record renewal" to the staff member, fills the
renewal form and submits it, sees the new expiry on the staff page, then finds the
``credential.renewed`` event with the before/after expiry in the audit trail. A staff member, by
contrast, cannot open a colleague's page and is offered no import.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.e2e.accessibility import accessibility_problems

pytestmark = pytest.mark.browser


def _expiring_soon_for_icu(today: dt.date):
    from carehelm.workforce.models import StaffCredential, VerificationResult

    return list(StaffCredential.objects.filter(
        staff__home_unit__code="ICU", staff__home_unit__facility__code="rgh", staff__active=True,
        expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=30),
        verification_result=VerificationResult.VERIFIED,
    ).select_related("staff", "credential_type"))  # fmt: skip


def test_unit_manager_renews_an_expiring_credential_and_finds_it_in_the_audit_trail(demo, page, log_in):
    from django.utils import timezone

    from carehelm.workforce.models import StaffCredential

    today = timezone.localdate()
    assert _expiring_soon_for_icu(today), "the demo must give manager.icu something expiring within 30 days"

    page.goto(demo + "/")
    assert "/login/" in page.url, "an anonymous visitor is sent to the login page"
    log_in(page, "manager.icu")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Good day, Monica")
    assert accessibility_problems(page) == []

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Credentials").click()
    page.get_by_label("Expiring within").select_option("30")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Credential expiry board"
    assert accessibility_problems(page) == []

    row = page.locator("tbody tr").filter(has=page.locator(".badge.expiring")).first
    person = row.locator("td").nth(0).get_by_role("link").inner_text().strip()
    credential_name = row.locator("td").nth(1).inner_text().strip()
    old_expiry = dt.date.fromisoformat(row.locator("td.date").inner_text().strip())
    assert today <= old_expiry <= today + dt.timedelta(days=30)

    row.get_by_role("link", name="Record renewal").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(person)
    form = page.locator("form", has=page.get_by_role("button", name="Save credential"))
    assert form.is_visible(), "the renewal link opens the form"
    chosen = page.get_by_label("Credential", exact=True)
    assert chosen.locator("option:checked").inner_text().strip() == credential_name
    assert accessibility_problems(page) == []

    new_issued = today
    new_expiry = today + dt.timedelta(days=730)
    page.get_by_label("Licence / certificate number").fill("RENEW-2468")
    page.get_by_label("Issued on").fill(new_issued.isoformat())
    page.get_by_label("Expires on").fill(new_expiry.isoformat())
    page.get_by_role("button", name="Save credential").click()

    message = page.locator(".msg.success")
    assert f"recorded for {person}" in message.inner_text()
    assert new_expiry.isoformat() in message.inner_text()
    renewed_row = page.locator("tbody tr", has_text=credential_name).first
    assert new_expiry.isoformat() in renewed_row.inner_text()
    assert old_expiry.isoformat() not in renewed_row.inner_text()
    # A renewed document has not been checked against the primary source yet.
    assert renewed_row.locator(".badge").inner_text().strip() == "Unverified"

    stored = StaffCredential.objects.filter(credential_type__name=credential_name, number="RENEW-2468").get()
    assert stored.expires_on == new_expiry and stored.issued_on == new_issued
    assert stored.verification_result == ""

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    page.get_by_label("Action starts with").fill("credential.renewed")
    page.get_by_role("button", name="Filter").click()
    assert accessibility_problems(page) == []
    event = page.locator("tbody tr", has_text="credential.renewed").first
    assert event.is_visible()
    text = event.inner_text()
    assert "manager.icu" in text or "Monica Reyes" in text
    changes = event.locator("td.changes").inner_text()
    expiry_line = next(line for line in changes.splitlines() if line.startswith("expires_on"))
    assert re.search(rf"{old_expiry.isoformat()}\s*→\s*{new_expiry.isoformat()}", expiry_line), expiry_line


def test_staff_member_cannot_open_a_colleagues_page_and_has_no_import(demo, page, log_in):
    from carehelm.workforce.models import Staff

    colleague = Staff.objects.filter(home_unit__code="ICU").exclude(user__username="nurse.icu").first()
    own = Staff.objects.get(user__username="nurse.icu")

    page.goto(demo + "/")
    log_in(page, "nurse.icu")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.is_visible()
    assert page.get_by_role("link", name=re.compile("import", re.I)).count() == 0
    assert accessibility_problems(page) == []

    response = page.goto(f"{demo}/staff/{colleague.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    body = page.locator("body").inner_text()
    assert colleague.last_name not in body
    assert "Traceback" not in body and "Exception" not in body
    assert accessibility_problems(page) == []

    response = page.goto(f"{demo}/staff/import/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"

    page.goto(f"{demo}/")
    page.get_by_role("link", name=re.compile("my credentials")).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(own.full_name)
    assert page.get_by_role("button", name="Save credential").count() == 0
