"""Every page, public and staff, in a real browser: no axe violations, and no sideways scroll at 320px."""

from __future__ import annotations

import pytest
from flask import url_for

from tests.browser.checks import axe_violations, crawl, page_problems
from tests.browser.conftest import ADMIN_EMAIL, sign_in
from tests.pages import CAMPAIGN_PAGES

pytestmark = pytest.mark.browser


def _crawl_and_check(page, base_url: str, start: str, within: str = "/") -> tuple[list[str], dict[str, list[str]]]:
    """Every page reachable from `start`, and the problems found on each as it was loaded."""
    problems: dict[str, list[str]] = {}

    def check(page, path: str) -> None:
        if found := page_problems(page):
            problems[path] = found

    return crawl(page, base_url, start, within=within, visit=check), problems


def _check_pages(page, base_url: str, paths: list[str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for path in paths:
        page.goto(base_url + path)
        if found := page_problems(page):
            problems[path] = found
    return problems


# The two crawls come first, staff then public: xdist hands each worker one at the start, so the
# two longest tests in the suite run side by side.
def test_every_staff_page_is_accessible(page, base_url):
    sign_in(page, base_url, ADMIN_EMAIL)
    paths, problems = _crawl_and_check(page, base_url, "/admin/", within="/admin/")
    assert "/admin/" in paths
    assert not problems, problems


def test_every_public_page_is_accessible(page, base_url, live_app):
    paths, problems = _crawl_and_check(page, base_url, "/")
    with live_app.test_request_context():
        required = [url_for(endpoint, **values) for endpoint, values in CAMPAIGN_PAGES]
    for path in ("/", "/about", "/case-studies", "/figures", "/privacy", "/accessibility", "/cookies", *required):
        assert path in paths
    assert any(p.startswith("/case-studies/") for p in paths)
    assert not problems, problems


def test_error_pages_are_accessible(page, base_url):
    problems = _check_pages(page, base_url, ["/no-such-page", "/admin/sign-in"])
    assert not problems, problems


def test_sign_in_errors_are_accessible_and_summarised(page, base_url):
    page.goto(base_url + "/admin/sign-in")
    page.click("button[type=submit]")
    assert page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.locator("a").first.get_attribute("href") == "#email"
    assert not axe_violations(page)


def test_skip_link_is_first_and_moves_focus_to_main(page, base_url):
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_work_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    for path in ("/", "/figures", "/case-studies", "/about"):
        response = page.goto(base_url + path)
        assert response.status == 200
        assert page.locator("h1").count() == 1
    context.close()
