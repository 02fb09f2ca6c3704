"""Browser-test fixtures: Debian's chromium driven by Playwright's sync API against pytest-django's live server.

Fixtures:
  ``browser``   one headless chromium per test module. Skipped, with the reason shown, when
                /usr/bin/chromium is missing, unless ``CAREHELM_REQUIRE_BROWSER=1`` (then the tests fail).
  ``page``      a fresh browser context and page per test (desktop 1366x900, own cookies). On failure
                a full-page screenshot goes to ``test-artifacts/<test name>.png``.
  ``demo``      the small demo health system (``build_demo(scale=0.1)``, core only) in a transactional database,
                so the live server thread sees it. Returns ``live_server.url``.
  ``log_in``    ``log_in(page, "manager.icu")`` signs in through the login form.

Never ``playwright install``: browsers cannot be downloaded here; Debian's chromium is the browser.
Playwright's sync API keeps an asyncio loop in the main thread, so Django's "async unsafe" guard is
switched off while the browser runs (the test thread's database calls are ordinary blocking calls).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CAREHELM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_PASSWORD = "carehelm-demo"


def _unavailable(reason: str) -> None:
    if os.environ.get("CAREHELM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CAREHELM_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


# Module scope, not session: while Playwright runs, an asyncio loop is running in the main thread,
# and later tests that call asyncio.run() (the MLLP listener tests) must not find it there.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests need the Python playwright package (pip install -e '.[test]')")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    failed = any(
        getattr(request.node, f"rep_{when}", None) and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
        try:
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"screenshot failed: {exc}")
    context.close()


@pytest.fixture
def demo(transactional_db, live_server, settings) -> str:
    """The small demo health system, visible to the live server; returns its base URL."""
    from carehelm.audit.context import acting
    from carehelm.demo.build import build_demo
    from carehelm.workforce import catalogue
    from carehelm.workforce.models import JobRole

    # A transactional test's flush empties the tables the data migration filled; put the catalogue back.
    if not JobRole.objects.exists():
        catalogue.seed()
    # Core demo only: the other apps' extra demo steps (rosters, census, ...) triple the build time
    # and the pages under test do not need them.
    with acting(source="cli"):
        build_demo(scale=0.1, with_extras=False)
    return live_server.url


@pytest.fixture
def log_in():
    def sign_in(page, username: str, base_url: str | None = None) -> None:
        if base_url is not None:
            page.goto(base_url + "/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return sign_in
