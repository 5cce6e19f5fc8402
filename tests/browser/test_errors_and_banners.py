"""Errors and confirmations by keyboard, in a real browser: focus, scrolling, banners and page titles.

These tests serve a site of their own (two pages of pledges, an email waiting in the development
mailbox), so the shared site the other browser tests crawl stays as it was.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from campaign import create_app
from campaign.extensions import db
from campaign.models import HeadlineFigure
from campaign.services import staff
from campaign.services.content import seed
from tests.browser.checks import axe_violations
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, sign_in
from tests.test_pledge_helpers import bulk_live, signed

pytestmark = pytest.mark.browser

FOCUS_YELLOW = "rgb(255, 221, 0)"
SUMMARY_HAS_FOCUS = "document.activeElement && document.activeElement.matches('.error-summary')"
# The label or legend site.js should bring into view for a field, by GOV.UK's rule for radios and checkboxes.
QUESTION_OF = """(id) => {
  const input = document.getElementById(id);
  const fieldset = input.closest('fieldset');
  const question = fieldset && ['radio', 'checkbox'].includes(input.type)
    ? fieldset.querySelector('legend') : document.querySelector(`label[for='${id}']`);
  const box = question.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, height: window.innerHeight};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A seeded site with two pages of pledges and a confirmation email, served on its own port."""
    path = tmp_path_factory.mktemp("errors") / "site.db"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SHOW_DEV_MAIL=True, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        seed.load(db.session)
        staff.create(db.session, STAFF_EMAIL, "Eddie Editor", "editor", STAFF_PASSWORD)
        bulk_live(db, 30)
        signed(db)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching `selector` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"could not reach {selector} with the Tab key")


def submit_by_keyboard(page, button: str) -> None:
    """Focus a form's button and press Enter, waiting for the page that answers."""
    page.focus(button)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("path, button", [
    ("/pledge", ".pledge-form button[type=submit]"),
    ("/admin/sign-in", "main form button[type=submit]"),
])
def test_the_error_summary_has_focus_after_a_failed_submit(page, site, path, button):
    _, root = site
    page.goto(root + path)
    submit_by_keyboard(page, button)
    assert page.title().startswith("Error: ")
    assert page.evaluate(SUMMARY_HAS_FOCUS)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.error-summary') !== null"), "the first error link is next"
    assert not axe_violations(page)


def test_the_wall_filters_error_summary_has_focus_on_load(page, site):
    _, root = site
    page.goto(root + "/pledges?area=atlantis")
    assert page.evaluate(SUMMARY_HAS_FOCUS)
    assert not axe_violations(page)


@pytest.mark.parametrize("width", [1280, 320])
def test_following_an_error_link_shows_the_label_or_legend(page, site, width):
    _, root = site
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(root + "/pledge")
    submit_by_keyboard(page, ".pledge-form button[type=submit]")
    targets = page.eval_on_selector_all(".error-summary a", "links => links.map(a => a.hash.slice(1))")
    assert "commitments-0" in targets and "contact_name" in targets
    for target in targets:
        page.evaluate("window.scrollTo(0, 0)")
        page.focus(f".error-summary a[href='#{target}']")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == target
        box = page.evaluate(QUESTION_OF, target)  # scrollIntoView may land a fraction of a pixel above 0
        assert -1 <= box["top"] and box["bottom"] <= box["height"], f"the question for #{target} is out of view: {box}"


def test_a_success_banner_is_announced_and_has_focus(page, site):
    app, root = site
    sign_in(page, root)
    banner = page.locator(".notification-banner--success")
    assert banner.get_attribute("role") == "alert" and "Signed in" in banner.inner_text()
    assert page.evaluate("document.activeElement.matches('.notification-banner--success')")
    with app.app_context():
        figure_id = db.session.query(HeadlineFigure.id).order_by(HeadlineFigure.id).limit(1).scalar()
    page.goto(f"{root}/admin/figures/{figure_id}/edit")
    submit_by_keyboard(page, "main form button[value=save]")
    assert page.evaluate("document.activeElement.matches('[role=alert].notification-banner--success')")
    assert "Figure saved" in page.evaluate("document.activeElement.textContent")
    assert page.get_by_role("alert").filter(has_text="Figure saved").count() == 1
    assert not axe_violations(page)


def test_the_page_title_carries_the_page_number_and_paging_links_keep_the_focus_fill(page, site):
    _, root = site
    page.goto(root + "/pledges")
    assert page.title().startswith("Pledge wall – ")
    tab_to(page, ".pagination a[rel=next]")
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == FOCUS_YELLOW
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title().startswith("Pledge wall (page 2 of 2) – ")
    tab_to(page, ".pagination a[rel=prev]")
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == FOCUS_YELLOW
    assert not axe_violations(page)


def test_the_development_mailbox_links_the_confirmation_address_with_the_focus_style(page, site):
    _, root = site
    page.goto(root + "/dev/mail")
    tab_to(page, ".dev-mail__body a[href*='/pledge/confirm/']")
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == FOCUS_YELLOW
    page.evaluate("document.activeElement.blur()")  # axe judges links at rest; the focus fill drops the underline
    assert not axe_violations(page)
