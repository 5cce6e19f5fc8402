"""Several instances, one truth: two processes of the site on one PostgreSQL and one Redis.

Each instance is its own process (see tests/multi_instance.py), so the only things they share
are the ones production shares: the database, Redis and the mail server. Shown here:
- a sign-up rate limit reached through one instance holds on the other;
- a figure published through one instance's staff area is on the other's home page at once;
- an image uploaded through one is served by the other;
- two outbox workers draining the same outbox never send the same message.
"""

from __future__ import annotations

import io
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from campaign.models import CaseStudy, OutboxMessage, StoredImage
from campaign.models.common import utcnow
from campaign.services import mailer
from tests.conftest import USING_POSTGRES
from tests.factories import PASSWORD, make_figure, make_staff
from tests.multi_instance import log_of, serve, start_worker, stop
from tests.smtp import free_port
from tests.test_forms_csrf import png_bytes
from tests.test_mail_outage import SlowInbox
from tests.test_pledge_helpers import form_data

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 (any failure means there is no Redis to use)
        return False


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.skipif(not USING_POSTGRES, reason="several instances need one shared PostgreSQL: set TEST_DATABASE_URL"),
    pytest.mark.skipif(not USING_POSTGRES or not _redis_answers(), reason=f"needs Redis answering at {REDIS_URL}"),
]


@pytest.fixture
def redis_prefix():
    """A Redis key prefix of this test's own, deleted afterwards (other people's keys are left alone)."""
    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


@pytest.fixture
def two_instances(app, tmp_path, redis_prefix):
    """Two separate processes of the site, with limits in the same Redis and caches re-checked on every request."""
    config = {
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": redis_prefix,
        "CACHE_CHECK_SECONDS": 0, "PLEDGE_RATE_LIMIT": "5 per 10 minutes",
    }
    with serve(tmp_path, **config) as first, serve(tmp_path, **config) as second:
        yield first, second


def sign_up(url: str, number: int) -> int:
    """Sign a new organisation up through an instance; returns the status."""
    data = form_data(organisation_name=f"Shared Limit Org {number}", contact_email=f"owner@limit{number}.example.org",
                     postcode=None)
    return requests.post(url + "/pledge", data=data, allow_redirects=False, timeout=30).status_code


def test_a_rate_limit_reached_on_one_instance_holds_on_the_other(two_instances):
    first, second = two_instances
    statuses = [sign_up(first, 0), sign_up(second, 1), sign_up(first, 2), sign_up(second, 3), sign_up(first, 4)]
    assert statuses == [303] * 5  # five between them: the limit
    assert sign_up(second, 5) == 429
    assert sign_up(first, 6) == 429
    page = requests.post(second + "/pledge", data=form_data(), timeout=30)
    assert page.status_code == 429 and "text/html" in page.headers["Content-Type"]


def test_a_figure_published_through_one_is_on_the_others_home_page(app, db, two_instances):
    first, second = two_instances
    make_staff(db, role="publisher", email="publisher@lancashire-pcc.example")
    figure = make_figure(db, label="spent with firms from every corner of Lancashire", value=4_321_00, published=False)
    for url in (first, second):  # both instances have rendered (and cached) the home page without it
        assert "every corner of Lancashire" not in requests.get(url + "/", timeout=30).text

    staff = requests.Session()
    signed = staff.post(first + "/admin/sign-in", data={"email": "publisher@lancashire-pcc.example", "password": PASSWORD},
                        allow_redirects=False, timeout=30)
    assert signed.status_code == 302
    published = staff.post(f"{first}/admin/figures/{figure.id}/publish", allow_redirects=False, timeout=30)
    assert published.status_code == 302

    home = requests.get(second + "/", timeout=30)
    assert home.status_code == 200 and "every corner of Lancashire" in home.text and "£4,321" in home.text
    # The staff session, made on the first instance, works on the second: no session lives in one process.
    assert staff.get(second + "/admin/figures", timeout=30).status_code == 200


def test_an_image_uploaded_through_one_is_served_by_the_other(app, db, two_instances):
    first, second = two_instances
    make_staff(db, role="editor", email="writer@lancashire-pcc.example")
    staff = requests.Session()
    staff.post(first + "/admin/sign-in", data={"email": "writer@lancashire-pcc.example", "password": PASSWORD}, timeout=30)
    study = {"title": "Shared storage", "summary": "A summary.", "body_markdown": "Words.", "key_figure": "£1m",
             "key_figure_label": "spent locally", "source_text": "A source", "image_alt": "A red square", "position": "1"}
    response = staff.post(first + "/admin/case-studies/new", data=study,
                          files={"image": ("square.png", io.BytesIO(png_bytes()), "image/png")}, allow_redirects=False,
                          timeout=30)
    assert response.status_code == 302
    db.session.expire_all()
    token = db.session.scalar(
        select(StoredImage.token).join(CaseStudy, CaseStudy.image_id == StoredImage.id).where(CaseStudy.title == "Shared storage")
    )
    served = staff.get(f"{second}/images/{token}", timeout=30)  # a draft's picture, so staff only
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.content.startswith(b"\x89PNG")


def test_two_outbox_workers_never_send_the_same_message(app, db, tmp_path):
    from aiosmtpd.controller import Controller

    count = 60
    inbox = SlowInbox(delay=0.02)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    workers = []
    try:
        for number in range(count):
            mailer.queue(db.session, "already_signed", f"person{number}@example.org", f"Message {number}",
                         dedupe_key=f"multi-{number}", organisation_name=f"Org {number}", resend_url="http://x/")
        db.session.commit()
        # Due a few seconds from now, so both workers are up and polling when the messages fall due.
        due = utcnow() + timedelta(seconds=6)
        db.session.execute(update(OutboxMessage).values(next_attempt_at=due))
        db.session.commit()
        mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_SUPPRESS_SEND": False, "MAIL_TIMEOUT": 5}
        workers = [start_worker(tmp_path, "--interval", "1", "--batch", "5", **mail) for _ in range(2)]
        deadline = time.monotonic() + 120
        while len(inbox.messages) < count:
            for worker in workers:
                assert worker.poll() is None, log_of(worker)
            assert time.monotonic() < deadline, f"{len(inbox.messages)} of {count} sent"
            time.sleep(0.2)
        time.sleep(2)  # anything sent twice would arrive now
    finally:
        for worker in workers:
            stop(worker)
        controller.stop()

    ids = Counter(message["Message-ID"] for message in inbox.messages)
    assert len(ids) == count and set(ids.values()) == {1}
    assert Counter(rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts) == {f"person{n}@example.org": 1 for n in range(count)}
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {row.status for row in rows} == {"sent"} and {row.attempts for row in rows} == {1}
    senders = Counter(row.claimed_by for row in rows)
    assert len(senders) == 2, senders  # both workers really took part
