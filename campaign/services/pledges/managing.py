"""An organisation managing its own pledge: its manage link, its changes, and withdrawing for good."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from campaign.models import Pledge, PledgeToken, StoredImage
from campaign.models.common import utcnow
from campaign.services.checkins import reports as checkin_reports
from campaign.services.pledges import common, tokens
from campaign.services.pledges.common import Outcome, Settings
from campaign.services.pledges.retention import erase_messages


def manage_link(session: Session, raw: str, settings: Settings) -> tokens.ManageCheck:
    """The pledge a manage link is for: "valid", "expired" or "invalid"."""
    return tokens.check_manage(session, raw, settings.secret_key)


def manage_token(pledge: Pledge, settings: Settings) -> str:
    """The current manage token for a pledge."""
    return tokens.manage_token(pledge, settings.secret_key)


def update(
    session: Session,
    pledge: Pledge,
    statement: str | None,
    commitments: list[str],
    new_logo: StoredImage | None = None,
    remove_logo: bool = False,
) -> Outcome:
    """The organisation's own changes. A new statement or logo waits for staff ("review") when moderation is pre."""
    changed = False
    statement = statement or None
    if statement != pledge.statement:
        pledge.statement = statement
        changed = changed or statement is not None
    if new_logo is not None:
        common.drop_logo(session, pledge)
        pledge.logo = new_logo
        changed = True
    elif remove_logo:
        common.drop_logo(session, pledge)
    common.set_commitments(pledge, commitments)
    if changed:
        pledge.needs_review = True
    session.commit()
    return Outcome("review" if changed else "updated", pledge)


def withdraw(session: Session, pledge: Pledge) -> Outcome:
    """Take a pledge off the wall at once and erase everything that could identify it or its contact."""
    common.drop_logo(session, pledge)
    for column in (
        "organisation_name", "name_key", "slug", "postcode", "website", "statement",
        "contact_name", "contact_role", "contact_email", "email_key", "hidden_reason",
    ):
        setattr(pledge, column, None)
    pledge.status = "withdrawn"
    pledge.withdrawn_at = utcnow()
    pledge.needs_review = False
    pledge.manage_version = (pledge.manage_version or 1) + 1
    session.execute(delete(PledgeToken).where(PledgeToken.pledge_id == pledge.id))
    erase_messages(session, [pledge.id])
    checkin_reports.erase_for_pledge(session, pledge.id)  # off every page, file and figure, and erased
    common.notify("withdrawn", session, pledge)
    session.commit()
    return Outcome("withdrawn", pledge)
