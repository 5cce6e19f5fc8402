"""Migrations build the schema from empty to head, and match the models exactly."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from campaign import create_app
from campaign.extensions import db
from tests.conftest import USING_POSTGRES


@pytest.fixture
def migrated_url(tmp_path):
    """A database built only by the migrations: a fresh SQLite file, or the PostgreSQL test database."""
    if USING_POSTGRES:
        return None  # the session fixture has already upgraded PostgreSQL from empty to head
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_migrations_run_from_empty_to_head_and_match_the_models(app, migrated_url):
    url = migrated_url or app.config["SQLALCHEMY_DATABASE_URI"]
    if migrated_url:
        fresh = create_app("test", SQLALCHEMY_DATABASE_URI=url)
        with fresh.app_context():
            upgrade()
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations have drifted apart: {diff}"


@pytest.mark.skipif(USING_POSTGRES, reason="PostgreSQL's schema is shared by the whole run")
def test_migrations_downgrade_to_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.db'}"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        engine = create_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()


def test_test_database_is_what_ci_asked_for(app):
    expected = os.environ.get("TEST_DATABASE_URL", "")
    dialect = db.engine.dialect.name
    assert dialect == ("postgresql" if expected.startswith("postgres") else "sqlite")
