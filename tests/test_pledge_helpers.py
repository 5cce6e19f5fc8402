"""Helpers the pledge tests share: a valid form, pledges made through the services, links from emails.

This module holds no tests of its own.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import insert, select, text

from campaign import create_app
from campaign.extensions import db as _db
from campaign.extensions import limiter
from campaign.models import OutboxMessage, Pledge
from campaign.models.common import utcnow
from campaign.models.pledges import COMMITMENTS
from campaign.services.pledges import common, managing, moderation
from campaign.services.pledges import signing as pledges
from campaign.services.pledges.areas import AREAS
from tests.conftest import USING_POSTGRES
from tests.database import create_schema, drop_schema
from tests.pages import PageClient

PASSWORD = "correct horse battery staple"
_LINK = re.compile(r"https?://[^\s<>\"']+")


@contextmanager
def app_with(**overrides):
    """A test app with settings changed (say a real mail server, CSRF or limits), on an empty database."""
    app = create_app("test", **overrides)
    app.test_client_class = PageClient
    with app.app_context():
        if not USING_POSTGRES:
            create_schema()
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        try:
            yield app
        finally:
            _db.session.remove()
            if USING_POSTGRES:
                tables = ", ".join(f'"{table.name}"' for table in _db.metadata.sorted_tables)
                with _db.engine.begin() as connection:
                    connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:
                drop_schema()
            _db.engine.dispose()
            if app.config["RATELIMIT_ENABLED"]:
                limiter.reset()


def form_data(**overrides) -> dict:
    """Everything a person fills in on /pledge, valid, with any field replaced."""
    data = {
        "organisation_name": "Pendle Pies Ltd",
        "org_type": "business",
        "size": "small",
        "sector": "hospitality",
        "area": "pendle",
        "postcode": "BB9 7AA",
        "website": "pendlepies.example.co.uk",
        "contact_name": "Sam Baker",
        "contact_role": "Owner",
        "contact_email": "sam@pendlepies.example.co.uk",
        "commitments": ["local_suppliers", "living_wage"],
        "statement": "We buy our flour from Lancashire mills.",
        "consent_listed": "y",
        "privacy": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def settings(**overrides) -> common.Settings:
    """The app's pledge settings, with any replaced."""
    values = common.Settings.from_config(current_app.config).__dict__ | overrides
    return common.Settings(**values)


def submission(**overrides) -> pledges.Submission:
    """A checked pledge form, as the service receives it."""
    values = dict(
        organisation_name="Pendle Pies Ltd", org_type="business", size="small", sector="hospitality", area="pendle",
        postcode="BB9 7AA", website="https://pendlepies.example.co.uk", contact_name="Sam Baker", contact_role="Owner",
        contact_email="sam@pendlepies.example.co.uk", commitments=["local_suppliers"], statement=None,
        consent_listed=True, welcome_on_x=False,
    )
    values.update(overrides)
    return pledges.Submission(**values)


def emails(db, recipient: str | None = None) -> list[OutboxMessage]:
    """Outbox emails, oldest first, optionally only those to one address."""
    query = select(OutboxMessage).where(OutboxMessage.channel == "email").order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query))


def path_in(text: str, part: str) -> str:
    """The path of the first link in `text` containing `part`."""
    for link in _LINK.findall(text):
        if part in link:
            return urlsplit(link.rstrip(".,;:)")).path
    raise AssertionError(f"no link containing {part!r}")


def token_in(text: str, part: str = "/pledge/confirm/") -> str:
    """The secret at the end of the first matching link."""
    return path_in(text, part).rsplit("/", 1)[1]


def signed(db, **overrides) -> tuple[Pledge, str]:
    """A pending pledge made through the service, and its raw confirmation token."""
    outcome = pledges.sign(db.session, submission(**overrides), settings())
    assert outcome.state == "new"
    return outcome.pledge, token_in(outcome.messages[0].body_text)


def live(db, **overrides) -> Pledge:
    """A pledge signed, confirmed and approved through the services."""
    pledge, token = signed(db, **overrides)
    assert pledges.confirm(db.session, token, settings()).state == "confirmed"
    moderation.approve(db.session, pledge, None, settings())
    return pledge


def manage_path(pledge: Pledge) -> str:
    """The current manage link's path for a pledge."""
    return f"/pledge/manage/{managing.manage_token(pledge, settings())}"


def bulk_live(db, count: int, start: int = 0) -> None:
    """Insert `count` live pledges at once (for volume tests), spread over areas and sectors."""
    now = utcnow()
    area_slugs = list(AREAS)
    sectors = ["hospitality", "construction", "digital", "retail", "health"]
    rows = []
    for number in range(start, start + count):
        name = f"Organisation {number:05d}"
        rows.append(
            dict(
                slug=f"organisation-{number:05d}", organisation_name=name, name_key=common.name_key(name),
                org_type="business", size="small", sector=sectors[number % len(sectors)], area=area_slugs[number % len(area_slugs)],
                contact_name="Private Person", contact_role="Director", contact_email=f"private{number}@example.com",
                email_key=f"private{number}@example.com", status="live", live_at=now - timedelta(minutes=number),
                created_at=now, updated_at=now, confirmed_at=now, manage_version=1, needs_review=False, is_demo=False,
                consent_listed=True, welcome_on_x=False,
                **{f"commit_{key}": (number + index) % 2 == 0 for index, key in enumerate(COMMITMENTS)},
            )
        )
    db.session.execute(insert(Pledge), rows)
    db.session.commit()


def sign_in_staff(client, db, role: str = "editor", email: str = "moderator@opcc.example.gov.uk"):
    """Create a staff account and sign the client in as it; returns the account."""
    from campaign.services import staff

    user = staff.create(db.session, email, "Morgan Moderator", role, PASSWORD)
    response = client.post("/admin/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return user
