"""Real headless Chromium (Debian's, never a downloaded one) on a live server, with axe-core."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@contextmanager
def chromium():
    """Debian's Chromium, launched headless with the flags these machines need."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed at /usr/bin/chromium; .ci/run installs it")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def browser():
    with chromium() as launched:
        yield launched


def answer(page, item, typed: str) -> None:
    """Give the first answer offered (which opens any branch hanging on it), or type ``typed``."""
    if item.type in ("single_choice", "agreement", "scale", "yes_no", "multiple_choice"):
        page.locator(f"label[for='f-{item.id}-0']").click()
    elif item.type == "number":
        page.locator(f"#f-{item.id}").fill(str(int(item.minimum)))
    elif item.type == "date":
        for part, value in (("day", "3"), ("month", "4"), ("year", "2021")):
            page.locator(f"#f-{item.id}-{part}").fill(value)
    else:
        page.locator(f"#f-{item.id}").fill(typed)


def focus_is_on_error_summary(page) -> bool:
    """Whether the error summary takes the focus, waiting for it: Chromium moves the focus to an
    ``autofocus`` element at a later rendering step, not by the time the page's load event fires,
    so reading ``activeElement`` at once fails on a busy machine."""
    try:
        page.wait_for_function(
            "document.activeElement && document.activeElement.classList.contains('govuk-error-summary')",
            timeout=5000)
    except PlaywrightTimeout:  # the focus never came
        return False
    return True


PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def browser_page(browser):
    """The respondent's phone, with JavaScript off: the survey must work without it."""
    context = browser.new_context(java_script_enabled=False, **PHONE)
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(browser, live_server):
    """A second phone-sized page where axe-core runs on a copy of each page the respondent saw.

    axe needs JavaScript, which the respondent's page has switched off, so each page's exact DOM
    (error states included) is copied here, on the same origin so the stylesheet applies.
    """
    context = browser.new_context(bypass_csp=True, **PHONE)
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page = context.new_page()
    page.goto(f"{live_server}/")
    yield page
    context.close()


def serious_violations(page, axe_page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    axe_page.set_content(page.content(), wait_until="load")
    results = Axe().run(axe_page)
    return [f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} — "
            f"{[node['target'] for node in violation['nodes']]}"
            for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]


