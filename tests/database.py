"""A fresh in-memory SQLite database per test app, copied from an empty schema built once per process.

Running every CREATE TABLE and CREATE INDEX for each test costs more than copying pages that
SQLite already holds in memory, so the schema is built once and each new connection gets a copy.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, event

from campaign.extensions import db as _db

_sqlite_template: sqlite3.Connection | None = None


def _empty_schema() -> sqlite3.Connection:
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


def in_memory() -> bool:
    """Whether the current app's database lives only in memory (it goes when its connection closes)."""
    return _db.engine.url.get_backend_name() == "sqlite" and _db.engine.url.database in (None, "", ":memory:")


def _copy_schema(dbapi_connection, _record) -> None:
    """Give a new in-memory connection its own copy of the empty schema."""
    _empty_schema().backup(dbapi_connection)


def create_schema() -> None:
    """Give the current app's SQLite database the empty schema; in memory, by copying it rather than running every CREATE."""
    if not in_memory():
        _db.create_all()
        return
    if not event.contains(_db.engine, "connect", _copy_schema):
        event.listen(_db.engine, "connect", _copy_schema)
    # The pool may already hold a connection (create_app can query): start again so each one gets the copy.
    _db.engine.dispose()


def drop_schema() -> None:
    """Drop the current app's SQLite tables (an in-memory database simply goes with its connection)."""
    if not in_memory():
        _db.drop_all()
