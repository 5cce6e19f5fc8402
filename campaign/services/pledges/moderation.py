"""Staff moderating pledges: the queues, approving, hiding, correcting, and removing a statement or logo."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import Pledge, StaffUser
from campaign.models.common import utcnow
from campaign.services import audit
from campaign.services.pledges import common
from campaign.services.pledges.common import AUDIT_FIELDS, Outcome, PledgeError, Settings, name_key
from campaign.services.pledges.emails import go_live
from campaign.services.validation import rolls_back_on_error

QUEUES = {
    "waiting": "Waiting for approval",
    "review": "Changed since approval",
    "live": "Live",
    "hidden": "Hidden",
    "pending": "Not yet confirmed by email",
    "withdrawn": "Withdrawn",
}


def _queue_filter(queue: str):
    return {
        "waiting": Pledge.status == "confirmed",
        "review": (Pledge.status == "live") & Pledge.needs_review.is_(True),
        "live": Pledge.status == "live",
        "hidden": Pledge.status == "hidden",
        "pending": Pledge.status == "pending",
        "withdrawn": Pledge.status == "withdrawn",
    }[queue]


def queue_counts(session: Session) -> dict[str, int]:
    """How many pledges wait in each moderation queue."""
    return {
        queue: session.scalar(select(func.count(Pledge.id)).where(_queue_filter(queue))) or 0 for queue in QUEUES
    }


def moderation_queue(session: Session, queue: str, page: int = 1, per_page: int = 50) -> tuple[list[Pledge], int]:
    """One page of a moderation queue, oldest waiting first, and how many it holds."""
    condition = _queue_filter(queue)
    total = session.scalar(select(func.count(Pledge.id)).where(condition)) or 0
    if (page - 1) * per_page >= total:
        return [], total  # past the end: no query with an offset beyond what the database can hold
    order = Pledge.created_at.desc() if queue in ("live", "withdrawn") else Pledge.created_at
    rows = session.scalars(
        select(Pledge).where(condition).order_by(order, Pledge.id).offset((page - 1) * per_page).limit(per_page)
    ).unique()
    return list(rows), total


def _audited(session: Session, staff: StaffUser, pledge: Pledge, action: str, summary: str, before: dict) -> None:
    audit.record(
        session, staff, action, "pledge", pledge.id, summary, before, audit.snapshot(pledge, AUDIT_FIELDS)
    )


@rolls_back_on_error
def approve(session: Session, pledge: Pledge, staff: StaffUser, settings: Settings) -> Outcome:
    """Put a confirmed or hidden pledge on the wall, or accept the changes to a live one."""
    if pledge.status not in ("confirmed", "live", "hidden"):
        raise PledgeError("Only a pledge confirmed by email can be approved")
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    messages = []
    if pledge.status != "live":
        messages = go_live(session, pledge, settings, utcnow())
    pledge.needs_review = False
    _audited(session, staff, pledge, "pledge.approve", f"Approved the pledge of {pledge.organisation_name}", before)
    session.commit()
    return Outcome("live", pledge, messages)


@rolls_back_on_error
def hide(session: Session, pledge: Pledge, staff: StaffUser, reason: str) -> Outcome:
    """Take a pledge off the wall, with the reason staff give."""
    if pledge.status not in ("confirmed", "live", "hidden"):
        raise PledgeError("Only a pledge confirmed by email can be hidden")
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    pledge.status = "hidden"
    pledge.hidden_reason = reason
    pledge.needs_review = False
    _audited(session, staff, pledge, "pledge.hide", f"Hid the pledge of {pledge.organisation_name}: {reason}", before)
    session.commit()
    return Outcome("hidden", pledge)


@rolls_back_on_error
def edit(session: Session, pledge: Pledge, staff: StaffUser, changes: Mapping) -> Outcome:
    """Staff correct a pledge's public details; the organisation's page address stays the same."""
    if pledge.status == "withdrawn":
        raise PledgeError("A withdrawn pledge cannot be edited")
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    for column in ("organisation_name", "org_type", "size", "sector", "area", "postcode", "website"):
        if column in changes:
            setattr(pledge, column, changes[column])
    if "statement" in changes:
        pledge.statement = changes["statement"] or None
    if "commitments" in changes:
        common.set_commitments(pledge, changes["commitments"])
    pledge.name_key = name_key(pledge.organisation_name or "")
    _audited(session, staff, pledge, "pledge.edit", f"Edited the pledge of {pledge.organisation_name}", before)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PledgeError("Another pledge already has this organisation name and postcode") from None
    return Outcome("edited", pledge)


@rolls_back_on_error
def remove_statement(session: Session, pledge: Pledge, staff: StaffUser) -> Outcome:
    """Remove a pledge's public statement and keep the pledge."""
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    pledge.statement = None
    _audited(session, staff, pledge, "pledge.remove_statement", f"Removed the statement of {pledge.organisation_name}", before)
    session.commit()
    return Outcome("edited", pledge)


@rolls_back_on_error
def remove_logo(session: Session, pledge: Pledge, staff: StaffUser) -> Outcome:
    """Remove (and delete) a pledge's logo and keep the pledge."""
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    common.drop_logo(session, pledge)
    _audited(session, staff, pledge, "pledge.remove_logo", f"Removed the logo of {pledge.organisation_name}", before)
    session.commit()
    return Outcome("edited", pledge)
