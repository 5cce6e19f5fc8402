"""Shared fixtures: an app on a fresh database per test, a client, and page helpers.

SQLite runs each test on its own in-memory database, copied from a schema built once per
process. With TEST_DATABASE_URL set to PostgreSQL, the schema is built once from the
migrations and every table is emptied after each test; under pytest-xdist each worker
gets a database of its own (test_gw0, test_gw1, ...), created here before the app's
settings are read, so child processes started by a test inherit it too.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

USING_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


def _use_a_database_of_this_workers_own() -> None:
    """Point TEST_DATABASE_URL at a PostgreSQL database for this xdist worker, creating it if need be."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not USING_POSTGRES or not worker:
        return
    shared = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{shared.database}_{worker}"
    if shared.database.endswith(f"_{worker}"):
        return  # a child process of this worker: already pointed at it
    engine = create_engine(shared.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    os.environ["TEST_DATABASE_URL"] = shared.set(database=name).render_as_string(hide_password=False)


_use_a_database_of_this_workers_own()

from campaign import create_app  # noqa: E402 (the settings read TEST_DATABASE_URL when imported)
from campaign.extensions import db as _db  # noqa: E402
from campaign.extensions import limiter  # noqa: E402
from tests.pages import PageClient  # noqa: E402

_sqlite_template: sqlite3.Connection | None = None


def _empty_schema(app) -> sqlite3.Connection:
    """An in-memory SQLite database holding the empty schema, built once per process."""
    global _sqlite_template
    if _sqlite_template is None:
        engine = create_engine("sqlite://")
        _db.metadata.create_all(engine)
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            _sqlite_template = sqlite3.connect(":memory:", check_same_thread=False)
            raw.backup(_sqlite_template)
        engine.dispose()
    return _sqlite_template


def create_schema(app) -> None:
    """Give an app on in-memory SQLite the empty schema, by copying it rather than running every CREATE."""
    if _db.engine.url.database not in (None, "", ":memory:"):
        _db.create_all()
        return
    template = _empty_schema(app)

    @event.listens_for(_db.engine, "connect")
    def _copy_schema(dbapi_connection, _record):
        template.backup(dbapi_connection)

    # The pool may already hold a connection (create_app can query): start again so each one gets the copy.
    _db.engine.dispose()


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
            create_schema(app)
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        yield app
        _db.session.remove()
        if USING_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        elif _db.engine.url.database not in (None, "", ":memory:"):
            _db.drop_all()
        _db.engine.dispose()  # an in-memory database goes with its connection


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


@pytest.fixture
def everything(seeded):
    """Seeded content, a live pledge and an approved hashtag post, so every public page has something to show."""
    from campaign.models import HashtagPost
    from campaign.models.common import utcnow
    from tests.test_social_helpers import make_pledge

    make_pledge(seeded)
    seeded.session.add(
        HashtagPost(
            x_id="1",
            author_username="amy",
            text="Backing local",
            posted_at=utcnow(),
            url="https://x.com/amy/status/1",
            status="approved",
        )
    )
    seeded.session.commit()
    return seeded
