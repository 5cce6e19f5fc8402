"""The pledge in a real browser: signing and confirming by keyboard alone, and axe on every pledge page."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest

from campaign.extensions import db
from campaign.models import OutboxMessage, Pledge
from campaign.services.pledges import common, managing, moderation
from campaign.services.pledges import signing as pledges
from tests.browser.checks import axe_violations, scrolls_sideways
from tests.browser.conftest import (  # noqa: F401 (base_url and live_app are fixtures)
    ADMIN_EMAIL,
    CHROMIUM,
    CHROMIUM_ARGS,
    _need_chromium,
    base_url,
    live_app,
    sign_in,
)

pytestmark = pytest.mark.browser


def in_browser(journey) -> None:
    """Run `journey(page)` in Chromium, on a thread of its own.

    tests/browser keeps its Playwright open for the whole session, and Playwright's sync API
    cannot be started twice on one thread, so these tests drive their own browser elsewhere.
    """
    _need_chromium()
    failure: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    journey(chromium.new_context(viewport={"width": 1280, "height": 900}).new_page())
                finally:
                    chromium.close()
        except BaseException as error:  # noqa: BLE001 (handed back to the test's own thread)
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=600)
    assert not thread.is_alive(), "the browser journey did not finish"
    if failure:
        raise failure[0]


def check(tab, widths=(320, 375, 1280)) -> list[str]:
    """Axe violations at phone and desktop widths, and sideways scrolling at 320px."""
    problems = []
    for width in widths:
        tab.set_viewport_size({"width": width, "height": 900})
        if width == 320:
            if scrolls_sideways(tab):
                problems.append(f"{tab.url} scrolls sideways at 320px")
            continue
        problems += [f"{tab.url} at {width}px: {violation}" for violation in axe_violations(tab)]
    return problems


def tab_to(tab, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has focus, as a keyboard user would."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"could not reach {selector} with the Tab key")


def latest_email(app, address: str) -> OutboxMessage:
    with app.app_context():
        return db.session.query(OutboxMessage).filter_by(recipient=address).order_by(OutboxMessage.id.desc()).first()


def test_sign_and_confirm_by_keyboard_alone_with_no_axe_violations(base_url, live_app):  # noqa: F811
    in_browser(lambda page: sign_and_confirm_by_keyboard(page, base_url, live_app))


def sign_and_confirm_by_keyboard(page, root: str, app) -> None:
    """The journey a keyboard user takes, checked with axe at each step."""
    page.goto(root + "/pledge")
    problems = check(page)

    # Submitting the empty form: the error summary takes focus and every page check still passes.
    tab_to(page, ".pledge-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Error: ")
    problems += check(page)
    summary_links = page.locator(".error-summary a")
    assert summary_links.count() >= 8

    page.goto(root + "/pledge")
    email = "keyboard@example.org"
    tab_to(page, "#organisation_name")
    page.keyboard.type("Keyboard Co")
    tab_to(page, "#org_type-0")
    page.keyboard.press("Space")
    tab_to(page, "#size-0")
    page.keyboard.press("Space")
    tab_to(page, "#sector")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#area")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#contact_name")
    page.keyboard.type("Kay Board")
    page.keyboard.press("Tab")
    page.keyboard.type("Director")
    page.keyboard.press("Tab")
    page.keyboard.type(email)
    tab_to(page, "#commitments-0")
    page.keyboard.press("Space")
    tab_to(page, "#consent_listed")
    page.keyboard.press("Space")
    tab_to(page, "#privacy")
    page.keyboard.press("Space")
    tab_to(page, ".pledge-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/pledge/check-your-email$"))
    problems += check(page)

    message = latest_email(app, email)
    assert message.status == "sent"  # to the development mailbox
    page.goto(root + "/dev/mail")
    href = page.locator("a[href*='/pledge/confirm/']").first.get_attribute("href")
    # The email links to SITE_URL; the test server listens on another port.
    page.goto(root + urlsplit(href).path)
    assert page.locator("h1").inner_text() == "Confirm your pledge"
    problems += check(page)
    with app.app_context():
        assert db.session.query(Pledge).filter_by(email_key=email).one().status == "pending"

    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/pledge/thank-you/keyboard-co$"))
    problems += check(page)
    with app.app_context():
        assert db.session.query(Pledge).filter_by(email_key=email).one().status == "confirmed"
    # A visitor is never given a session, so their public pages keep coming from the page cache (issue 14).
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert app.config["SESSION_COOKIE_NAME"] not in cookies, sorted(cookies)
    assert cookies["form_key"]["path"] == "/pledge" and cookies["form_key"]["httpOnly"]
    assert not problems, problems


def test_the_wall_organisation_manage_and_open_data_pages_pass_axe(base_url, live_app):  # noqa: F811
    with live_app.app_context():
        settings = common.Settings.from_config(live_app.config)
        for number, area in enumerate(("preston", "burnley", "elsewhere")):
            outcome = pledges.sign(
                db.session,
                pledges.Submission(
                    organisation_name=f"Wall Test {number}", org_type="charity", size="micro", sector="community",
                    area=area, postcode=None, website="https://example.org", contact_name="A", contact_role="B",
                    contact_email=f"wall{number}@example.org", commitments=list(pledges.COMMITMENTS)[: number + 2],
                    statement="A statement long enough to wrap onto a second line on a narrow phone screen.",
                    consent_listed=True, welcome_on_x=False,
                ),
                settings,
            )
            token = outcome.messages[0].body_text.split("/pledge/confirm/")[1].split()[0]
            pledges.confirm(db.session, token, settings)
            moderation.approve(db.session, outcome.pledge, None, settings)
        manage = "/pledge/manage/" + managing.manage_token(outcome.pledge, settings)
    in_browser(lambda page: check_pledge_pages(page, base_url, manage))


def check_pledge_pages(page, root: str, manage: str) -> None:
    """Axe and the 320px check on every public pledge page and the moderation queue."""
    problems = []
    for path in ("/pledges", "/pledges?q=zzz", "/pledges?area=atlantis", "/pledges/wall-test-2", "/open-data", manage, manage + "/withdraw", "/pledge/resend", "/dev/mail"):
        page.goto(root + path)
        problems += check(page)
    sign_in(page, root, ADMIN_EMAIL)
    for path in ("/admin/pledges?queue=live", "/admin/pledges?queue=waiting"):
        page.goto(root + path)
        problems += check(page)
    assert not problems, problems
