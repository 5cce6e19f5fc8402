"""The emails a pledge sends: confirmation and fresh links, "you are live", and notes to staff."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage, Pledge
from campaign.models.common import utcnow
from campaign.services import mailer
from campaign.services.pledges import common, tokens
from campaign.services.pledges.areas import area_name
from campaign.services.pledges.common import Settings, wording
from campaign.services.urls import absolute_url

FRESH_LINKS_PER_DAY = 3


def manage_url(pledge: Pledge, settings: Settings) -> str:
    """The link that lets an organisation manage its pledge."""
    return absolute_url("pledges.manage", token=tokens.manage_token(pledge, settings.secret_key))


def queue_confirmation(
    session: Session, pledge: Pledge, settings: Settings, template: str = "confirm", dedupe_kind: str = "confirm",
    **context,
) -> OutboxMessage:
    """Email a new single-use confirmation link (and the manage link)."""
    raw = tokens.issue(session, pledge, settings.confirm_days)
    return mailer.queue(
        session, template, pledge.contact_email, "Confirm your Backing Lancashire pledge",
        dedupe_key=f"pledge:{pledge.id}:{dedupe_kind}:{tokens.hash_token(raw)[:16]}",
        pledge=pledge,
        wording=wording(pledge.organisation_name),
        confirm_url=absolute_url("pledges.confirm", token=raw),
        manage_url=manage_url(pledge, settings),
        link_days=settings.confirm_days,
        pending_days=settings.pending_days,
        **context,
    )


def fresh_links_today(session: Session, pledge: Pledge) -> int:
    """How many fresh links a pledge has been sent in the last day."""
    return session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.dedupe_key.like(f"pledge:{pledge.id}:fresh%"),
            OutboxMessage.created_at >= utcnow() - timedelta(days=1),
        )
    ) or 0


def hold_for_counting(session: Session, pledge: Pledge) -> None:
    """Lock the pledge's row until commit, so concurrent requests count its fresh links one at a time.

    On PostgreSQL this is SELECT ... FOR UPDATE; SQLite has one writer at a time anyway.
    """
    session.execute(select(Pledge.id).where(Pledge.id == pledge.id).with_for_update())


def fresh_link(session: Session, pledge: Pledge, settings: Settings, reason: str) -> OutboxMessage | None:
    """Email a fresh confirmation link (pending) or manage link (signed), at most 3 a day per pledge."""
    if pledge.contact_email is None:
        return None
    hold_for_counting(session, pledge)
    if fresh_links_today(session, pledge) >= FRESH_LINKS_PER_DAY:
        return None
    if pledge.status == "pending":
        return queue_confirmation(session, pledge, settings, "fresh_confirm", "fresh", reason=reason)
    return mailer.queue(
        session, "fresh_manage", pledge.contact_email, "Your link to manage your Backing Lancashire pledge",
        dedupe_key=f"pledge:{pledge.id}:fresh:{secrets.token_hex(8)}",
        reason=reason,
        pledge=pledge,
        manage_url=manage_url(pledge, settings),
        page_url=absolute_url("pledges.organisation", slug=pledge.slug) if pledge.is_live else None,
    )


def go_live(session: Session, pledge: Pledge, settings: Settings, now: datetime) -> list[OutboxMessage]:
    """Put a pledge on the wall; the first time, tell the organisation it is live."""
    first_time = pledge.live_at is None
    pledge.status = "live"
    pledge.hidden_reason = None
    messages = []
    if first_time:
        pledge.live_at = now
        if pledge.contact_email:
            messages.append(
                mailer.queue(
                    session, "live", pledge.contact_email, "Your Backing Lancashire pledge is live",
                    dedupe_key=f"pledge:{pledge.id}:live",
                    pledge=pledge,
                    page_url=absolute_url("pledges.organisation", slug=pledge.slug),
                    certificate_url=absolute_url("pledges.certificate", slug=pledge.slug),
                    manage_url=manage_url(pledge, settings),
                )
            )
    common.notify("live", session, pledge)
    return messages


def notify_staff(session: Session, pledge: Pledge, settings: Settings) -> list[OutboxMessage]:
    """Tell staff about a newly confirmed pledge, when they asked for one email each."""
    if not settings.staff_email or settings.staff_mode != "each":
        return []
    return [
        mailer.queue(
            session, "staff_new_pledge", settings.staff_email, "New Backing Lancashire pledge",
            dedupe_key=f"pledge:{pledge.id}:staff",
            pledge=pledge,
            area=area_name(pledge.area),
            moderation=settings.moderation,
            queue_url=absolute_url("admin.pledges"),
        )
    ]


def send_staff_digest(session: Session, settings: Settings, now: datetime | None = None) -> OutboxMessage | None:
    """Queue today's digest of newly confirmed pledges for staff, once a day, when digests are chosen."""
    if not settings.staff_email or settings.staff_mode != "digest":
        return None
    now = now or utcnow()
    key = f"staff-digest:{now.date().isoformat()}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        return None
    last = session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like("staff-digest:%")).order_by(OutboxMessage.id.desc()).limit(1)
    )
    since = now - timedelta(days=1)
    if last is not None and last.payload and last.payload.get("until"):
        since = datetime.fromisoformat(last.payload["until"])
    new = list(
        session.scalars(
            select(Pledge)
            .where(Pledge.confirmed_at >= since, Pledge.confirmed_at < now, Pledge.status != "withdrawn")
            .order_by(Pledge.confirmed_at)
        ).unique()
    )
    if not new:
        return None
    message = mailer.queue(
        session, "staff_digest", settings.staff_email,
        f"{len(new)} new Backing Lancashire pledge{'s' if len(new) != 1 else ''}",
        dedupe_key=key,
        pledges=new,
        area_name=area_name,
        moderation=settings.moderation,
        queue_url=absolute_url("admin.pledges"),
    )
    message.payload = {"since": since.isoformat(), "until": now.isoformat()}
    session.commit()
    return message
