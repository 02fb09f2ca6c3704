"""Screenshots of every Carehelm page, as each persona sees it, at desktop and tablet widths.

Not a benchmark: a tool for looking at the pages the way a user does (layout, wrapping, contrast).
It drives Debian's chromium through Playwright's sync API against a running server loaded with the
demo health system (``carehelm load_demo``), and writes PNGs to ``test-artifacts/screenshots/``.

Run (from the repository root)::

    export CAREHELM_DATA_DIR=/tmp/chdev CAREHELM_STATIC_ROOT=/tmp/carehelm-static
    .venv/bin/carehelm collectstatic --noinput          # again after every CSS change
    .venv/bin/carehelm runserver 127.0.0.1:8123 --noreload &
    .venv/bin/python bench/screenshots.py --base-url http://127.0.0.1:8123

Without ``collectstatic`` a non-debug server answers 500 (no static manifest); ``CAREHELM_DEBUG=1``
would show Django's debug 404 instead of ours, and ``CAREHELM_TESTING=1`` switches to a password
hasher the demo's passwords were not made with. Restart the server after editing templates (they
are cached when debug is off). Options: ``--only home,board`` limits the pages; ``--viewports
desktop`` one size; ``--out DIR`` another folder.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "carehelm-demo"
VIEWPORTS = {"desktop": (1366, 900), "tablet": (820, 1180)}

# A staff CSV with one problem per kind: unknown role, unknown unit, bad date, bad number, duplicate.
BAD_STAFF_CSV = """employee_number,first_name,last_name,job_role,facility,home_unit,hire_date,hourly_rate,fte
RGH-9001,Ada,Lovelace,nurse-wizard,rgh,ICU,2024-02-30,41.50,1.0
RGH-9002,Grace,Hopper,rn,rgh,NOPE,2023-05-01,forty,1.0
RGH-9002,Alan,Turing,rn,rgh,ICU,2023-05-01,40.00,2.5
,Mary,Seacole,rn,rgh,ICU,2022-01-10,39.00,1.0
"""


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def shot(page: Page, out: Path, name: str) -> None:
    # Let vega-embed finish drawing before the capture.
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print(out / f"{name}.png")


def pages(base: str, workdir: Path) -> dict[str, Callable[[Page], None]]:
    def login(page: Page) -> None:
        page.context.clear_cookies()
        page.goto(f"{base}/login/")

    def login_error(page: Page) -> None:
        login(page)
        page.get_by_label("Username").fill("manager.icu")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()

    def home_exec(page: Page) -> None:
        log_in(page, base, "exec")

    def home_manager(page: Page) -> None:
        log_in(page, base, "manager.icu")

    def home_nurse(page: Page) -> None:
        log_in(page, base, "nurse.icu")

    def staff(page: Page) -> None:
        log_in(page, base, "manager.icu")
        page.goto(f"{base}/staff/")

    def staff_empty(page: Page) -> None:
        log_in(page, base, "manager.icu")
        page.goto(f"{base}/staff/?q=nobody-by-this-name")

    def staff_detail(page: Page) -> None:
        log_in(page, base, "manager.icu")
        page.goto(f"{base}/credentials/expiry/?within=30")
        page.get_by_role("link", name="Record renewal").first.click()

    def board(page: Page) -> None:
        log_in(page, base, "manager.icu")
        page.goto(f"{base}/credentials/expiry/")

    def board_exec(page: Page) -> None:
        log_in(page, base, "exec")
        page.goto(f"{base}/credentials/expiry/?within=30")

    def import_errors(page: Page) -> None:
        log_in(page, base, "facility.admin")
        page.goto(f"{base}/staff/import/")
        bad = workdir / "bad-staff.csv"
        bad.write_text(BAD_STAFF_CSV, encoding="utf-8")
        page.get_by_label("What the file holds").select_option("staff")
        page.get_by_label("CSV file").set_input_files(str(bad))
        page.get_by_role("button", name="Check and import").click()

    def audit(page: Page) -> None:
        log_in(page, base, "compliance")
        page.goto(f"{base}/audit/")

    def profile(page: Page) -> None:
        log_in(page, base, "manager.icu")
        page.goto(f"{base}/profile/")

    def units(page: Page) -> None:
        log_in(page, base, "exec")
        page.goto(f"{base}/units/")

    def not_found(page: Page) -> None:
        log_in(page, base, "nurse.icu")
        page.goto(f"{base}/staff/2/")  # a colleague's record: the nurse gets the 404 page

    return {
        "login": login, "login-error": login_error, "home-exec": home_exec, "home-manager": home_manager,
        "home-nurse": home_nurse, "staff": staff, "staff-empty": staff_empty, "staff-detail": staff_detail,
        "board": board, "board-exec": board_exec, "import-errors": import_errors, "audit": audit,
        "profile": profile, "units": units, "not-found": not_found,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", default="test-artifacts/screenshots")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--viewports", default="desktop,tablet")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    wanted = {n for n in args.only.split(",") if n}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for viewport in args.viewports.split(","):
            width, height = VIEWPORTS[viewport]
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            for name, visit in pages(base, Path(tmp)).items():
                if wanted and name not in wanted:
                    continue
                visit(page)
                shot(page, out, f"{name}-{viewport}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
