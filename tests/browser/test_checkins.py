"""The yearly check-in in a real browser, by keyboard alone: the report form, its errors, the link pages,
the stop page, staff review and the public pages, each with 0 axe violations and no sideways scroll at 320px.

These tests serve a site of their own, so the shared site the other browser tests crawl stays as it was.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from campaign import create_app
from campaign.extensions import db
from campaign.models import OutboxMessage, PledgeReport
from campaign.models.common import utcnow
from campaign.services import staff
from campaign.services.checkins import invitations
from campaign.services.content import seed
from tests.browser.checks import axe_violations, scrolls_sideways
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, sign_in
from tests.browser.test_errors_and_banners import submit_by_keyboard, tab_to
from tests.test_pledge_helpers import live

pytestmark = pytest.mark.browser


def _link(body: str, part: str) -> str:
    return next(word for word in body.split() if part in word and "/stop/" not in word)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A seeded site with a live pledge a year old, invited to check in; yields the app, root and its links."""
    path = tmp_path_factory.mktemp("checkins") / "site.db"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SHOW_DEV_MAIL=True, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        seed.load(db.session)
        staff.create(db.session, STAFF_EMAIL, "Eddie Editor", "editor", STAFF_PASSWORD)
        pledge = live(db)
        now = utcnow()
        pledge.live_at = now - timedelta(days=366)
        db.session.commit()
        invitations.run(db.session, app.config["SECRET_KEY"], now)
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("checkin:%")))
        root_free = message.body_text.replace(app.config["SITE_URL"], "")
        links = {
            "report": _link(root_free, "/check-in/"),
            "stop": message.headers["List-Unsubscribe"].strip("<>").replace(app.config["SITE_URL"], ""),
            "slug": pledge.slug,
        }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", links
    server.shutdown()


def checked(page, width: int = 1280) -> None:
    """No axe violations, one h1, and (at 320px) no sideways scrolling."""
    assert not axe_violations(page), axe_violations(page)
    assert page.locator("h1").count() == 1
    if width == 320:
        assert not scrolls_sideways(page)


def test_the_report_by_keyboard_errors_then_success_then_a_used_link(page, site):
    app, root, links = site
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(root + links["report"])
        checked(page, width)
    tab_to(page, "#local_share")
    page.keyboard.type("120")
    tab_to(page, "#jobs_created")
    page.keyboard.type("-1")
    submit_by_keyboard(page, "main form button[type=submit]")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement && document.activeElement.matches('.error-summary')")
    summary = page.locator(".error-summary").inner_text()
    assert "Enter a percentage between 0 and 100" in summary and "Enter a number of jobs of 0 or more" in summary
    checked(page)

    page.fill("#local_share", "")
    tab_to(page, "#local_share")
    page.keyboard.type("35")
    page.fill("#jobs_created", "")
    tab_to(page, "#jobs_created")
    page.keyboard.type("4")
    tab_to(page, "#pays_real_living_wage-0")
    page.keyboard.press("Space")
    tab_to(page, "#summary")
    page.keyboard.type("We hired four people from Preston.")
    submit_by_keyboard(page, "main form button[type=submit]")
    assert page.title().startswith("Thank you for checking in")
    checked(page)

    page.goto(root + links["report"])
    assert "already been used" in page.locator("h1").inner_text()
    checked(page)
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Check your email"
    checked(page)


def test_staff_review_then_the_public_pages(page, site):
    app, root, links = site
    with app.app_context():
        if db.session.scalar(select(PledgeReport.id)) is None:
            pytest.skip("needs the report sent in the test before")
    sign_in(page, root)
    for tab in ("due", "overdue", "reported"):
        page.goto(f"{root}/admin/check-ins?tab={tab}")
        checked(page)
    page.goto(f"{root}/admin/check-ins?tab=reported")
    tab_to(page, "main .moderation-actions a.button--warning")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    submit_by_keyboard(page, "main form button[type=submit]")
    assert page.title().startswith("Error: ")
    checked(page)
    page.goto(f"{root}/admin/check-ins?tab=reported")
    tab_to(page, "main .moderation-actions button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    checked(page)

    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{root}/pledges/{links['slug']}")
        assert "We hired four people from Preston." in page.inner_text("main")
        checked(page, width)
        page.goto(f"{root}/figures")
        assert "Self-reported by 1 organisation, not audited" in page.inner_text("main")
        checked(page, width)
        page.goto(f"{root}/pledges?reported=12m")
        checked(page, width)


def test_the_stop_page_by_keyboard(page, site):
    _, root, links = site
    page.goto(root + links["stop"])
    checked(page)
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "You will get no more check-in emails"
    checked(page)
