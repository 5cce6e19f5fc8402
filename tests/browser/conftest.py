"""Real-browser fixtures: the site served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Without Chromium these tests skip with a reason locally; in CI (CI=true) a missing
browser is a failure, because these checks must run there.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from campaign import create_app
from campaign.extensions import db
from campaign.services import staff
from campaign.services.content import seed

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
STAFF_EMAIL = "browser-editor@example.org"
STAFF_PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "browser-admin@example.org"


def _need_chromium() -> None:
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The site, seeded, on its own SQLite file, with a staff editor and admin."""
    path = tmp_path_factory.mktemp("browser") / "site.db"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SHOW_DEV_MAIL=True,
                     WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        seed.load(db.session)
        staff.create(db.session, STAFF_EMAIL, "Eddie Editor", "editor", STAFF_PASSWORD)
        staff.create(db.session, ADMIN_EMAIL, "Ada Admin", "admin", STAFF_PASSWORD)
    return app


@pytest.fixture(scope="session")
def base_url(live_app):
    """Serve the site from a background thread; yield its address."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab at desktop width."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base_url: str, email: str = STAFF_EMAIL) -> None:
    """Sign in to the staff area through the real form."""
    page.goto(f"{base_url}/admin/sign-in")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/sign-in" not in page.url, "sign-in failed"
