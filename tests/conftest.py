"""Shared fixtures: one app per process, a fresh database per test, a client, and page helpers.

SQLite runs each test on its own in-memory database, copied from a schema built once per
process. With TEST_DATABASE_URL set to PostgreSQL, the schema is built once from the
migrations and every table is emptied after each test; under pytest-xdist each worker
gets a database of its own (test_gw0, test_gw1, ...), created here before the app's
settings are read, so child processes started by a test inherit it too.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
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
from tests.database import create_schema, drop_schema  # noqa: E402
from tests.factories import fresh_request_globals  # noqa: E402
from tests.pages import PageClient  # noqa: E402


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


@pytest.fixture(scope="session")
def _worker_app(_postgres_schema):
    """One app for every test in this process that does not ask for its own.

    Building an app costs about 70 ms, nearly all of it Werkzeug compiling the URL rules, and
    most tests only need a fresh database, which the `app` fixture gives each of them.
    """
    return _test_app()


def _test_app():
    """An app with the test settings, each request starting with an empty `g` as on a real server."""
    app = create_app("test")
    fresh_request_globals(app)
    return app


@pytest.fixture
def app(request, _worker_app):
    """The app, configured for tests, with an empty database, an empty page cache and its settings as built.

    A test marked `own_app` (one that adds a route, say) gets an app built for it alone.
    """
    app = _test_app() if request.node.get_closest_marker("own_app") else _worker_app
    settings = app.config.copy()
    with app.app_context():
        if not USING_POSTGRES:
            create_schema()
        app.extensions["page_cache"].forget()
        # The limiter is one object for every app in the process, and the app built last (by
        # `app_with`, say, with limits on) set it: make it this app's again.
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()
        yield app
        _db.session.remove()
        if USING_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            drop_schema()
        _db.engine.dispose()
    app.config.clear()
    app.config.update(settings)


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
