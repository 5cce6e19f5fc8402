"""What staff see of the check-in: who is due, who is overdue, and the reports waiting for them or already decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import CheckIn, Pledge, PledgeReport
from campaign.services.checkins.invitations import REMINDER_AFTER, anniversary, current_year

UPCOMING = timedelta(days=30)  # pledges whose anniversary comes within a month count as due
TABS = {"due": "Due", "overdue": "Overdue", "reported": "Reported"}


@dataclass(frozen=True)
class Waiting:
    """A live pledge due or overdue for its check-in."""

    pledge: Pledge
    year: int
    due_on: date
    invited_at: datetime | None
    reminded_at: datetime | None
    stopped: bool


def _waiting(session: Session, now: datetime) -> tuple[list[Waiting], list[Waiting]]:
    """Live pledges split into due (anniversary soon, or invited this month) and overdue (a month with no answer)."""
    today = now.date()
    check_ins: dict[tuple[int, int], CheckIn] = {
        (row.pledge_id, row.year): row for row in session.scalars(select(CheckIn))
    }
    stopped = {pledge_id for (pledge_id, _), row in check_ins.items() if row.unsubscribed_at is not None}
    reported = set(session.execute(select(PledgeReport.pledge_id, PledgeReport.year)).tuples())
    due, overdue = [], []
    pledges = session.scalars(select(Pledge).where(Pledge.status == "live", Pledge.live_at.is_not(None))
                              .order_by(Pledge.name_key)).unique()
    for pledge in pledges:
        year = current_year(pledge.live_at, today)
        if year is not None and (pledge.id, year) not in reported:
            invited = check_ins.get((pledge.id, year))
            row = Waiting(pledge, year, anniversary(pledge.live_at, year), invited.invited_at if invited else None,
                          invited.reminded_at if invited else None, pledge.id in stopped)
            late = invited is not None and invited.invited_at <= now - REMINDER_AFTER
            (overdue if late else due).append(row)
            continue
        upcoming_year = (year or pledge.live_at.year) + 1
        upcoming = anniversary(pledge.live_at, upcoming_year)
        if today < upcoming <= today + UPCOMING:
            due.append(Waiting(pledge, upcoming_year, upcoming, None, None, pledge.id in stopped))
    due.sort(key=lambda row: row.due_on)
    overdue.sort(key=lambda row: row.due_on)
    return due, overdue


def tab(session: Session, name: str, now: datetime) -> list:
    """The rows of one tab: Waiting rows for "due" and "overdue", reports for "reported"."""
    if name == "reported":
        return list(
            session.scalars(
                select(PledgeReport).join(Pledge, Pledge.id == PledgeReport.pledge_id)
                .where(Pledge.status != "withdrawn")
                .order_by((PledgeReport.status == "submitted").desc(), PledgeReport.submitted_at.desc())
            )
        )
    due, overdue = _waiting(session, now)
    return due if name == "due" else overdue


def counts(session: Session, now: datetime) -> dict[str, int]:
    """How many rows each tab has."""
    due, overdue = _waiting(session, now)
    return {"due": len(due), "overdue": len(overdue), "reported": len(tab(session, "reported", now))}
