"""Column types and helpers shared by every model."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import DateTime, inspect
from sqlalchemy.types import TypeDecorator

Row = TypeVar("Row")


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            # SQLite drops the offset; every value we write is UTC.
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PublicContent:
    """Mixin for rows that public pages show: any write to one makes cached public pages stale.

    The page cache (services/cache.py) finds these models by this mark, so a model added to a
    public page says so here, where it is defined. A model that only sometimes shows (a pledge
    before it is live) narrows it by overriding `makes_public_stale`.
    """

    __public__ = True

    def makes_public_stale(self) -> bool:
        """Whether writing this row changes what a public page shows."""
        return True


def is_public(model: type) -> bool:
    """Whether a mapped class is declared as shown on public pages."""
    return bool(getattr(model, "__public__", False))


def detached_copies(rows: Iterable[Row]) -> list[Row]:
    """Copies of rows that belong to no session, to keep between requests and read from any thread.

    Each copy has the row's column values (deferred ones left out) and no relationships, so reading
    it never runs a query, and a change made to the row later in its session never reaches it.
    """
    copies = []
    for row in rows:
        columns = [attr.key for attr in inspect(type(row)).column_attrs if not attr.deferred]
        copies.append(type(row)(**{key: getattr(row, key) for key in columns}))
    return copies
