"""Every page, on a tablet (820 px wide), passes the accessibility checks in ``accessibility.py``.

Signed in as the executive (who sees everything, so every page has content), the test visits each
page by its navigation link where there is one, plus an import with a broken CSV (the error list),
and checks labels, headings, badge and text contrast, keyboard focus and sideways scrolling.
"""

from __future__ import annotations

import pytest

from tests.e2e.accessibility import accessibility_problems

pytestmark = pytest.mark.browser

BAD_STAFF_CSV = (
    "employee_number,first_name,last_name,job_role,facility,home_unit,hire_date,hourly_rate\n"
    "RGH-9001,Ada,Lovelace,nurse-wizard,rgh,ICU,2024-02-30,41.50\n"
    ",Grace,Hopper,rn,rgh,ICU,2023-05-01,40.00\n"
)


def test_every_page_is_labelled_ordered_legible_and_fits_a_tablet(demo, page, log_in, tmp_path):
    page.set_viewport_size({"width": 820, "height": 1180})
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        # A click starts a navigation asynchronously: let it land before reading the page.
        page.wait_for_load_state("load")
        found = accessibility_problems(page)
        if found:
            problems[name] = found

    page.goto(demo + "/")
    check("login")
    log_in(page, "exec")
    page.wait_for_selector("#cred-by-unit svg")  # the chart drew (vega-embed is vendored, no network)
    check("home")

    nav = page.get_by_role("navigation", name="Main")
    with page.expect_navigation():
        nav.get_by_role("link", name="Staff").click()
    check("staff directory")
    with page.expect_navigation():
        page.locator("tbody tr td a").first.click()
    check("staff detail")

    with page.expect_navigation():
        nav.get_by_role("link", name="Credentials").click()
    check("expiry board")
    with page.expect_navigation():
        page.get_by_role("link", name="Record renewal").first.click()
    check("staff detail with the renewal form open")

    page.goto(demo + "/staff/")
    with page.expect_navigation():
        page.get_by_role("link", name="Import CSV").click()
    bad = tmp_path / "bad-staff.csv"
    bad.write_text(BAD_STAFF_CSV, encoding="utf-8")
    page.get_by_label("What the file holds").select_option("staff")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    alert = page.get_by_role("alert")
    assert "Row 2" in alert.inner_text() and "job_role" in alert.inner_text()
    check("import with errors")

    with page.expect_navigation():
        nav.get_by_role("link", name="Audit trail").click()
    check("audit trail")
    with page.expect_navigation():
        page.get_by_role("link", name="Evelyn Marsh").click()
    check("profile")
    page.goto(demo + "/units/")
    check("units")
    page.goto(demo + "/no-such-page/")
    check("not found")

    # Keyboard: the first Tab lands on the skip link, and focus is visibly outlined.
    page.goto(demo + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[0] == "skip" and focused[1] != "none"

    assert problems == {}


def test_the_page_checks_catch_what_they_look_for(page):
    # The checks above only mean something if they fail on a page that breaks each rule.
    page.set_content("""<!doctype html><html lang="en"><body style="background:#fff">
      <h1>One</h1><h1>Two</h1><h4>Skipped to h4</h4>
      <input name="nameless"><label>Wrapped <select name="ok"></select></label>
      <span class="badge" style="color:#c98a00;background:#fff3d6">Expiring</span>
      <div style="width:3000px">wide</div></body></html>""")
    problems = accessibility_problems(page)
    assert "expected exactly one h1, found 2" in problems
    assert any(p.startswith("heading skips a level: h1 then h4") for p in problems)
    assert "form control without a label: input[name=nameless]" in problems
    assert not any("select" in p for p in problems)
    assert any(p.startswith("contrast 2.") and "Expiring" in p for p in problems)
    assert any(p.startswith("page scrolls sideways") for p in problems)
