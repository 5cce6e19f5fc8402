"""A content version that says when any public page may have changed, shared by every instance.

Any change to what public pages show writes a new version token in the same transaction:
a flush that touches a model marked PublicContent (see models/common.py), or a bulk
insert, update or delete of its table run through the session. Each process keeps rendered
pages keyed by that token and looks the token up at most once every CACHE_CHECK_SECONDS,
so a change shows at once on the instance that made it and within that time on the others.
Losing the cache is always safe: pages are simply rendered again.

The same cache also keeps values worked out from public content (the figures, the counts by
area, a page of the wall), so a page rendered afresh, for a visitor with a session or the first
visitor after a change, does not work them out again until the version changes.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from blinker import Namespace
from sqlalchemy import event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from campaign.extensions import db
from campaign.models import SiteState
from campaign.models.common import is_public

VERSION_KEY = "content_version"
T = TypeVar("T")


@dataclass
class PageCache:
    """Rendered pages for one process, valid while the content version stays the same.

    Bounded by total size, least recently used first out, so a flood of distinct search
    URLs cannot grow a worker's memory. Values worked out from public content are kept beside
    the pages, bounded by their number, and dropped with them: a search of the wall keeps three
    (its page of pledges, and their HTML and the filters' HTML: about 100 KB together), so even
    a flood of searches keeps them to about 10 MB.
    """

    check_seconds: float
    max_bytes: int = 16 * 1024 * 1024
    max_values: int = 256
    version: str | None = None
    checked_at: float = 0.0
    size: int = 0
    pages: OrderedDict = field(default_factory=OrderedDict)
    values: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def is_fresh(self) -> bool:
        """Whether the version was read recently enough to trust without asking the database."""
        return self.version is not None and time.monotonic() - self.checked_at < self.check_seconds

    def current_version(self, session: Session) -> str:
        """The content version, read from the database at most once every `check_seconds`."""
        if self.is_fresh():
            return self.version
        version = session.scalar(select(SiteState.value).where(SiteState.key == VERSION_KEY)) or "0"
        with self.lock:
            if version != self.version:
                self._clear()
            self.version, self.checked_at = version, time.monotonic()
        return version

    def remember(self, version: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of `compute()` at this content version: worked out once per version, then kept.

        The caller reads the version before computing, so a kept value is never older than the version
        it is kept under. Only plain values belong here (never rows attached to a session), and nothing
        that differs from one visitor to another.
        """
        with self.lock:
            entry = self.values.get(key)
            if entry is not None and entry[0] == version:
                self.values.move_to_end(key)
                return entry[1]
        value = compute()
        with self.lock:
            if version == self.version:  # else this process has already moved past that version
                self.values[key] = (version, value)
                self.values.move_to_end(key)
                while len(self.values) > self.max_values:
                    self.values.popitem(last=False)
        return value

    def has(self, key: str) -> bool:
        """Whether a page is kept for this key (at whatever version)."""
        return key in self.pages

    def get(self, key: str, version: str):
        """A page rendered at this version, or None."""
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or entry[0] != version:
                return None
            self.pages.move_to_end(key)
            return entry[1]

    def put(self, key: str, version: str, page) -> None:
        """Keep a rendered page (anything with a `size` in bytes), dropping the least recently used beyond the limit."""
        if page.size > self.max_bytes // 4:
            return
        with self.lock:
            if version != self.version:
                return  # rendered under a version this process has already moved past
            if key in self.pages:
                self.size -= self.pages.pop(key)[1].size
            self.pages[key] = (version, page)
            self.size += page.size
            while self.size > self.max_bytes:
                self.size -= self.pages.popitem(last=False)[1][1].size

    def forget(self) -> None:
        """Drop everything, so the next request reads the version again."""
        with self.lock:
            self.version = None
            self._clear()

    def _clear(self) -> None:
        self.pages.clear()
        self.values.clear()
        self.size = 0


def public_tables() -> frozenset[str]:
    """The tables of every model declared as shown on public pages (see models/common.PublicContent)."""
    return frozenset(
        mapper.local_table.name for mapper in db.Model.registry.mappers if is_public(mapper.class_)
    )


def _touches_public_content(session: Session) -> bool:
    """Whether the flush changes anything a public page shows."""
    return any(
        is_public(type(obj)) and obj.makes_public_stale()
        for obj in (*session.new, *session.dirty, *session.deleted)
    )


def _bulk_touches_public_content(state: ORMExecuteState) -> bool:
    """Whether a bulk insert, update or delete run through the session writes a public table.

    These statements skip the flush, and a bulk write cannot say which rows it hits, so any
    bulk write to a public table counts (a bulk update of pending pledges bumps needlessly, safely).
    """
    if not (state.is_update or state.is_delete or state.is_insert):
        return False
    table = getattr(state.statement, "table", None)
    return table is not None and getattr(table, "name", None) in public_tables()


def bump_version(connection) -> None:
    """Write a new content version (insert the row the first time)."""
    token = secrets.token_hex(8)
    result = connection.execute(update(SiteState).where(SiteState.key == VERSION_KEY).values(value=token))
    if result.rowcount == 0:
        dialect = connection.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        connection.execute(
            insert(SiteState).values(key=VERSION_KEY, value=token).on_conflict_do_update(
                index_elements=[SiteState.key], set_={"value": token}
            )
        )


content_committed = Namespace().signal("content-committed")
"""Sent after a commit that changed public content, so this process re-reads the version at once."""


def _before_flush(session, _context, _instances) -> None:
    if _touches_public_content(session):
        session.info["content_changed"] = True


def _on_bulk_statement(state: ORMExecuteState) -> None:
    if _bulk_touches_public_content(state):
        bump_version(state.session.connection())
        state.session.info["bumped"] = True


def _after_flush(session, _context) -> None:
    if session.info.pop("content_changed", False):
        bump_version(session.connection())
        session.info["bumped"] = True


def _after_commit(session) -> None:
    if session.info.pop("bumped", False):
        content_committed.send(session)


def _after_rollback(session) -> None:
    session.info.pop("bumped", None)
    session.info.pop("content_changed", None)


LISTENERS = {
    "before_flush": _before_flush,
    "do_orm_execute": _on_bulk_statement,
    "after_flush": _after_flush,
    "after_commit": _after_commit,
    "after_rollback": _after_rollback,
}


def install(sessions) -> None:
    """Bump the version in the same transaction as any public change made through `sessions`.

    Installing again on the same sessions (every create_app in one process) changes nothing.
    """
    for name, listener in LISTENERS.items():
        if not event.contains(sessions, name, listener):
            event.listen(sessions, name, listener)
