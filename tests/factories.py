"""Small factories for the rows tests need, and a helper that signs a test client in.

    from tests.factories import make_staff, signed_in
    editor = make_staff(db, role="editor")
    signed_in(client, editor)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g
from sqlalchemy import select

from campaign import create_app
from campaign.extensions import db as _db
from campaign.models import Contract, FinancialYear, HeadlineFigure, StaffUser, Supplier
from campaign.models.common import utcnow
from campaign.services.spend.values import normalise_supplier_name
from tests.database import create_schema, drop_schema

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_staff(db, role: str = "editor", email: str | None = None, password: str = PASSWORD,
               name: str | None = None, active: bool = True) -> StaffUser:
    """A staff account whose password hash uses the app's method (a cheap one under TestConfig)."""
    number = next(_numbers)
    user = StaffUser(
        email=(email or f"{role}{number}@lancashire-pcc.example").lower(),
        name=name or f"Test {role.capitalize()} {number}",
        role=role,
        password_hash="",
        session_version=0,
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def signed_in(client, user: StaffUser):
    """Sign a test client in as `user` without the sign-in form (so CSRF and limits do not apply)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["signed_in_at"] = session["last_seen"] = int(utcnow().timestamp())
    return client


def make_supplier(db, name: str = "Acme Fuels Ltd", location: str = "lancashire", **values) -> Supplier:
    """A supplier in the register."""
    supplier = Supplier(name=name, name_key=normalise_supplier_name(name), location=location, **values)
    db.session.add(supplier)
    db.session.commit()
    return supplier


def make_year(db, start_year: int = 2017, **values) -> FinancialYear:
    """A documented financial year."""
    year = FinancialYear(start_year=start_year, source_text=values.pop("source_text", "A test document"), **values)
    db.session.add(year)
    db.session.commit()
    return year


def make_figure(db, slug: str | None = None, **values) -> HeadlineFigure:
    """A manual headline figure (unpublished unless told)."""
    number = next(_numbers)
    defaults = dict(
        slug=slug or f"figure-{number}", label=f"Figure {number}", unit="pounds", kind="manual",
        value=100_00, period="2023/24", source_text="A test document", position=number, published=False,
    )
    figure = HeadlineFigure(**(defaults | values))
    db.session.add(figure)
    db.session.commit()
    return figure


def make_contract(db, title: str = "Hay for the mounted division", **values) -> Contract:
    """A contract in the register."""
    contract = Contract(title=title, **({"value_pence": 10_000_00} | values))
    db.session.add(contract)
    db.session.commit()
    return contract


def fresh_request_globals(app: Flask) -> None:
    """Start every test request with an empty `g`, as a real server does.

    Test requests share the fixture's app context, so Flask-Login's user and Flask-WTF's CSRF
    token would otherwise carry over from one request (or one client) to the next. Every test
    app has this from the start (see conftest), so calling it again changes nothing.
    """
    if app.extensions.get("tests.fresh_request_globals"):
        return
    app.extensions["tests.fresh_request_globals"] = True

    @app.url_value_preprocessor
    def _forget(endpoint, values):
        for name in list(vars(g)):
            g.pop(name, None)


# The name most admin tests know it by: what they need is the signed-in user loaded afresh.
load_user_per_request = fresh_request_globals


@contextmanager
def app_with(**overrides) -> Iterator[Flask]:
    """A second test app with its own settings (CSRF or rate limits on), on a database of its own.

    On PostgreSQL it shares the test database, which the `app` fixture empties afterwards.
    """
    using_postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
    app = create_app("test", **overrides)
    load_user_per_request(app)
    with app.app_context():
        if not using_postgres:
            create_schema()
        try:
            yield app
        finally:
            _db.session.remove()
            if not using_postgres:
                drop_schema()
            _db.engine.dispose()


def publish_everything(db, publisher: StaffUser | None = None) -> StaffUser:
    """A second person (a publisher) approves every draft import, then every year's figures that changed."""
    from campaign.services.spend import publication, review

    if publisher is None:
        publisher = db.session.scalar(
            select(StaffUser).where(StaffUser.email == "second.publisher@lancashire-pcc.example")
        ) or make_staff(db, role="publisher", email="second.publisher@lancashire-pcc.example")
    for record in review.waiting_imports(db.session):
        review.approve_import(db.session, record, publisher)
    for year in publication.years_to_review(db.session):
        if year.needs_approval:
            review.approve_year(db.session, year.draft.start_year, publisher)
    return publisher
