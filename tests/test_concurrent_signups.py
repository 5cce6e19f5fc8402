"""200 sign-ups from 20 threads against a real server: each organisation stored once, duplicates refused cleanly.

The duplicates race their originals: the same email in another case or with a +tag, the same
organisation name (spelt differently) with the same postcode, and the same form sent twice.
Whichever arrives first is stored; every other is told to check its email and gets a link to
the pledge already made, never a second pledge.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from campaign import create_app
from campaign.extensions import db as _db
from campaign.models import OutboxMessage, Pledge, PledgeToken
from campaign.services.pledges import common
from tests.conftest import USING_POSTGRES
from tests.test_pledge_helpers import form_data


@dataclass(frozen=True)
class SignUp:
    """One form sent, and the organisation (group) it belongs to."""

    group: int
    data: dict
    extra_emails: int  # emails a duplicate of this kind adds: a fresh link, and a note to a new address


@contextmanager
def live_server(app) -> Iterator[str]:
    """The app behind a real threaded HTTP server on 127.0.0.1, for the length of the block."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def sign_ups(organisations: int, duplicates: int) -> list[SignUp]:
    """`organisations` distinct pledges and `duplicates` more forms that repeat some of them, shuffled."""
    forms = []
    for number in range(organisations):
        with_postcode = number < organisations // 3
        forms.append(SignUp(number, form_data(
            organisation_name=f"Concurrent Organisation {number:03d} Ltd",
            contact_email=f"owner@org{number:03d}.example.org",
            area="preston", postcode="PR1 2AB" if with_postcode else None,
        ), 0))
    kinds = ["email-case", "email-tag", "name-and-postcode", "repeat"]
    for index in range(duplicates):
        kind = kinds[index % len(kinds)]
        if kind == "name-and-postcode":
            number = index % (organisations // 3)  # only these have a postcode
        else:
            number = organisations // 3 + index
        original = forms[number].data
        if kind == "email-case":
            data = original | {"organisation_name": f"Org {number:03d} Trading Arm",
                               "contact_email": original["contact_email"].upper()}
            extra = 1
        elif kind == "email-tag":
            data = original | {"organisation_name": f"Org {number:03d} Trading Arm",
                               "contact_email": original["contact_email"].replace("@", "+pledge@")}
            extra = 1
        elif kind == "name-and-postcode":
            data = original | {"organisation_name": f"THE CONCURRENT ORGANISATION {number:03d} LIMITED",
                               "contact_email": f"someone.else@other{number:03d}.example.org", "postcode": "pr12ab"}
            # The original is still unconfirmed, and an unconfirmed pledge blocks no one (issue 13):
            # this one is stored as a pledge of its own, and whichever is confirmed first wins.
            forms.append(SignUp(organisations + index, data, 0))
            continue
        else:
            data = dict(original)
            extra = 1
        forms.append(SignUp(number, data, extra))
    assert len({form.group for form in forms[organisations:]}) == duplicates  # each repeats a different one or is new
    random.Random(6).shuffle(forms)
    return forms


def post_all(url: str, forms: list[SignUp], threads: int) -> list[tuple[int, str]]:
    """POST every form to /pledge from `threads` threads at once; returns (status, Location) in order."""
    local = threading.local()
    start = threading.Barrier(threads)

    def post(form: SignUp) -> tuple[int, str]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            start.wait()  # every thread begins together
        response = local.session.post(url + "/pledge", data=form.data, allow_redirects=False, timeout=60)
        return response.status_code, urlsplit(response.headers.get("Location", "")).path

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(post, forms))


def check_outcome(forms: list[SignUp], results: list[tuple[int, str]], organisations: int) -> None:
    """No errors, one pledge per organisation, and exactly the emails each form should cause."""
    statuses = Counter(status for status, _ in results)
    assert statuses == {303: len(forms)}, statuses
    assert {location for _, location in results} == {"/pledge/check-your-email"}

    _db.session.expire_all()
    stored = _db.session.scalars(select(Pledge)).all()
    assert len(stored) == organisations
    keys = Counter(pledge.email_key for pledge in stored)
    assert all(count == 1 for count in keys.values())
    by_group: dict[int, set[str]] = {}
    for form in forms:
        by_group.setdefault(form.group, set()).add(common.email_key(form.data["contact_email"]))
    for group, emails in by_group.items():
        assert sum(keys[key] for key in emails) == 1, f"organisation {group} stored {[keys[k] for k in emails]} times"

    messages = _db.session.scalars(select(OutboxMessage)).all()
    confirmations = Counter(m.dedupe_key.split(":")[1] for m in messages if ":confirm:" in (m.dedupe_key or ""))
    assert confirmations == {str(pledge.id): 1 for pledge in stored}
    duplicates = len(forms) - organisations
    kinds = Counter(m.dedupe_key.split(":")[2] for m in messages)
    assert kinds == Counter({"confirm": organisations, "fresh": duplicates,
                             "fresh-other": sum(form.extra_emails == 2 for form in forms)})
    assert len(messages) == organisations + sum(form.extra_emails for form in forms)
    # A fresh confirmation link was issued for each duplicate (all pledges are still pending).
    assert _db.session.scalar(select(func.count(PledgeToken.id))) == organisations + duplicates


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(not USING_POSTGRES, reason="needs TEST_DATABASE_URL pointing at PostgreSQL: "
                    "SQLite serialises writes, so it cannot show races (a smaller run on a SQLite file follows)")
def test_200_sign_ups_from_20_threads_on_postgresql(app):
    forms = sign_ups(organisations=150, duplicates=50)
    with live_server(app) as url:
        results = post_all(url, forms, threads=20)
    check_outcome(forms, results, organisations=len({form.group for form in forms}))


@pytest.mark.skipif(USING_POSTGRES, reason="the PostgreSQL run above covers this")
def test_40_sign_ups_from_4_threads_on_a_sqlite_file(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/concurrent.db")
    with app.app_context():
        _db.create_all()
        try:
            forms = sign_ups(organisations=30, duplicates=10)
            with live_server(app) as url:
                results = post_all(url, forms, threads=4)
            check_outcome(forms, results, organisations=len({form.group for form in forms}))
        finally:
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()
