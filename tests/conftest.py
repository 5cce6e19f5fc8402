"""Shared fixtures: an app on a fresh database per test, a client, and page helpers.

SQLite runs each test on its own in-memory database. With TEST_DATABASE_URL set to
PostgreSQL, the schema is built once from the migrations and every table is emptied
after each test.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from campaign import create_app
from campaign.extensions import db as _db
from campaign.extensions import limiter
from tests.pages import PageClient

USING_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture(scope="session")
def _postgres_schema():
    """On PostgreSQL, build the schema once from the migrations (from empty to head)."""
    if not USING_POSTGRES:
        yield
        return
    from flask_migrate import upgrade

    app = create_app("test")
    with app.app_context():
        with _db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade()
    yield


@pytest.fixture
def app(_postgres_schema):
    """The app, configured for tests, with an empty database."""
    app = create_app("test")
    with app.app_context():
        if not USING_POSTGRES:
            _db.create_all()
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        yield app
        _db.session.remove()
        if USING_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database session bound to the test app."""
    return _db


@pytest.fixture
def client(app):
    """A test client that also reads pages the way people do (see tests/pages.py)."""
    app.test_client_class = PageClient
    return app.test_client()


@pytest.fixture
def seeded(db):
    """The campaign's own content, loaded as `flask seed` loads it."""
    from campaign.services.content import seed

    seed.load(db.session)
    return db
