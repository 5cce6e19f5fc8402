"""How long pledge data is kept: unconfirmed pledges are purged, and emails about a pledge erased with it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage, Pledge, PledgeToken
from campaign.models.common import utcnow
from campaign.services.pledges import common
from campaign.services.pledges.common import Settings

PURGE_BATCH = 500


def erase_messages(session: Session, pledge_ids: list[int]) -> None:
    """Delete the emails to and about these pledges from the outbox: they hold personal data."""
    if pledge_ids:
        session.execute(
            delete(OutboxMessage)
            .where(or_(*[OutboxMessage.dedupe_key.like(f"pledge:{pledge_id}:%") for pledge_id in pledge_ids]))
            .execution_options(synchronize_session=False)
        )


def purge(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete pledges never confirmed within PENDING_PLEDGE_DAYS, with their links, logos and emails."""
    cutoff = (now or utcnow()) - timedelta(days=settings.pending_days)
    removed = 0
    while True:
        stale = list(
            session.scalars(
                select(Pledge).where(Pledge.status == "pending", Pledge.created_at < cutoff).limit(PURGE_BATCH)
            ).unique()
        )
        if not stale:
            return removed
        ids = [pledge.id for pledge in stale]
        session.execute(delete(PledgeToken).where(PledgeToken.pledge_id.in_(ids)))
        erase_messages(session, ids)
        for pledge in stale:
            common.drop_logo(session, pledge)
            session.delete(pledge)
        session.commit()
        removed += len(stale)
