"""The audit log: one call records who changed what, with the values before and after."""

from __future__ import annotations

import getpass
from datetime import date, datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from campaign.models import AuditEvent, StaffUser


def snapshot(row: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a row's column values (binary data left out), for before/after records."""
    mapper = inspect(row).mapper
    names = fields or [column.key for column in mapper.column_attrs]
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        if isinstance(value, (bytes, bytearray, memoryview)):
            continue
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        values[name] = value
    return values


def as_command_line() -> str:
    """Say that changes in this app context come from the command line, named by the OS user running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid, as in some containers
        user = "unknown user"
    g.audit_actor = f"command line ({user})"[:254]
    return g.audit_actor


def _fallback_actor() -> str | None:
    """Who acts when no member of staff is signed in: the command line, when a command said so."""
    return g.get("audit_actor") if has_app_context() else None


def actor_label(staff: StaffUser | None) -> str:
    """Who acts, in words: a member of staff's name, or the command line when a command said so."""
    if staff is not None and staff.is_authenticated:
        return staff.name or staff.email
    return _fallback_actor() or "the site itself"


def record(
    session: Session,
    staff: StaffUser | None,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is saved with the change it describes.

    Only the fields that changed are kept when both before and after are given.
    """
    if before is not None and after is not None:
        changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
        before = {key: before.get(key) for key in sorted(changed)}
        after = {key: after.get(key) for key in sorted(changed)}
    event = AuditEvent(
        staff_id=staff.id if staff is not None and staff.is_authenticated else None,
        staff_email=staff.email if staff is not None and staff.is_authenticated else _fallback_actor(),
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        summary=summary[:300],
        before=before,
        after=after,
    )
    session.add(event)
    return event


PAGE_SIZE = 50


def events(
    session: Session, staff_id: int | None = None, entity_type: str | None = None, page: int = 1
) -> tuple[list[AuditEvent], int]:
    """One page of the audit log, newest first, filtered by person and type; and the number of pages."""
    conditions = []
    if staff_id is not None:
        conditions.append(AuditEvent.staff_id == staff_id)
    if entity_type:
        conditions.append(AuditEvent.entity_type == entity_type)
    total = session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(rows), pages


def entity_types(session: Session) -> list[str]:
    """Every type of thing the log has entries for, for the filter."""
    return list(session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)))
