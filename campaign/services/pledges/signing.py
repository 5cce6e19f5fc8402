"""Signing the pledge: cleaning what was typed, refusing duplicates, confirming by email, resending links."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage, Pledge, StoredImage
from campaign.models.common import utcnow
from campaign.models.pledges import COMMITMENTS
from campaign.services import mailer
from campaign.services.pledges import emails, tokens
from campaign.services.pledges.common import Outcome, PledgeError, Settings, email_key, name_key
from campaign.services.slugs import slugify
from campaign.services.urls import absolute_url


@dataclass
class Submission:
    """A signed pledge form, cleaned and checked."""

    organisation_name: str
    org_type: str
    size: str
    sector: str
    area: str
    postcode: str | None
    website: str | None
    contact_name: str
    contact_role: str
    contact_email: str
    commitments: list[str]
    statement: str | None
    consent_listed: bool
    welcome_on_x: bool
    logo: StoredImage | None = None


def clean_website(text: str | None) -> str | None:
    """A website as an https:// (or http://) link, or None if blank; raises PledgeError if it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    if not re.match(r"^https?://", text, re.IGNORECASE):
        if "://" in text or text.lower().startswith(("javascript:", "data:", "mailto:")):
            raise PledgeError("Enter a website address that starts with https://, like https://www.example.co.uk")
        text = "https://" + text
    match = re.match(r"^(https?)://([^/?#\s]+)([/?#][^\s]*)?$", text, re.IGNORECASE)
    host = match.group(2).split("@")[-1].split(":")[0] if match else ""
    if not match or "." not in host or not re.fullmatch(r"[\w.-]+", host) or host.startswith(".") or host.endswith("."):
        raise PledgeError("Enter a website address in the correct format, like https://www.example.co.uk")
    if "@" in match.group(2):
        raise PledgeError("Enter a website address without a user name or password in it")
    return match.group(1).lower() + "://" + match.group(2).lower() + (match.group(3) or "")


# Page names tried in one indexed lookup ("acme-ltd", "acme-ltd-2" ... "acme-ltd-10") before numbering further.
SLUG_CANDIDATES = 10


def slug_candidates(name: str) -> list[str]:
    """The page names a new organisation may take, in order of preference ("acme-ltd", "acme-ltd-2" ...)."""
    base = slugify(name, 80, fallback="organisation")
    return [base] + [f"{base}-{number}" for number in range(2, SLUG_CANDIDATES + 1)]


def _signed():
    """Pledges past "pending", written exactly as the partial unique index's own condition, so it serves the lookup.

    A literal, not a bound parameter: a prepared statement's generic plan can use a partial index
    only when it can see that the query implies the index's condition.
    """
    return Pledge.__table__.c.status != literal_column("'pending'")


@dataclass(frozen=True)
class Known:
    """What the database already holds that a new pledge must not clash with."""

    duplicate_id: int | None  # the pledge this one would repeat, if any
    slugs: frozenset[str]  # which of the page names asked about are taken


def look_up(session: Session, key: str, name: str, postcode: str | None, slugs: list[str]) -> Known:
    """In one statement: the pledge already made with this email, or confirmed with this organisation name and
    postcode; and which of `slugs` other pledges already use as their page names.

    Someone else's unconfirmed pledge never blocks an organisation: the first to confirm wins.
    Each condition is served by its own unique index (email; signed name and postcode; slug), so
    the database reads a handful of index entries whatever the size of the table.
    """
    statement = _lookup_statement(bool(postcode), bool(slugs))
    rows = session.connection().execute(statement, {"key": key, "name": name, "postcode": postcode, "slugs": slugs}).all()
    return Known(
        min((row.id for row in rows if row.duplicate), default=None),
        frozenset(row.slug for row in rows if row.slug in slugs),
    )


@cache
def _lookup_statement(by_postcode: bool, by_slug: bool):
    """The lookup's statement, built once for each shape (a sign-up is the one path a spike hits)."""
    pledge = Pledge.__table__.c
    duplicate = [pledge.email_key == bindparam("key")]
    if by_postcode:
        duplicate.append((pledge.name_key == bindparam("name")) & (pledge.postcode == bindparam("postcode")) & _signed())
    is_duplicate = or_(*duplicate)
    conditions = [is_duplicate] + ([pledge.slug.in_(bindparam("slugs", expanding=True))] if by_slug else [])
    return select(pledge.id, pledge.slug, is_duplicate.label("duplicate")).where(or_(*conditions))


def free_slug(session: Session, candidates: list[str], taken: frozenset[str]) -> str:
    """The first candidate page name not taken; only a name shared by ten pledges already goes on to number past them."""
    free = next((candidate for candidate in candidates if candidate not in taken), None)
    if free is not None:
        return free
    base = candidates[0]
    numbered = set(session.scalars(select(Pledge.slug).where(Pledge.slug.like(base + "-%"))))
    number = SLUG_CANDIDATES + 1
    while f"{base}-{number}" in numbered:
        number += 1
    return f"{base}-{number}"


def _confirmed_by_another(session: Session, pledge: Pledge) -> bool:
    """Whether another pledge for the same organisation name and postcode was confirmed first."""
    if not pledge.postcode:
        return False
    return session.scalar(
        select(Pledge.id).where(
            Pledge.name_key == pledge.name_key, Pledge.postcode == pledge.postcode, _signed(), Pledge.id != pledge.id,
        ).limit(1)
    ) is not None


def _duplicate(session: Session, existing: Pledge, submission: Submission, settings: Settings) -> Outcome:
    """Never a second pledge: email the organisation's contact a fresh link, and tell a new address why."""
    messages = []
    message = emails.fresh_link(session, existing, settings, "duplicate")
    if message is not None:
        messages.append(message)
    if email_key(submission.contact_email) != existing.email_key and emails.fresh_links_today(session, existing) < emails.FRESH_LINKS_PER_DAY:
        messages.append(
            mailer.queue(
                session, "already_signed", submission.contact_email.strip(),
                "Your organisation has already signed the Backing Lancashire pledge",
                dedupe_key=f"pledge:{existing.id}:fresh-other:{secrets.token_hex(8)}",
                organisation_name=submission.organisation_name,
                resend_url=absolute_url("pledges.resend"),
            )
        )
    session.commit()
    return Outcome("duplicate", existing, messages)


def _new_pledge(session: Session, submission: Submission, key: str, name: str, slug: str) -> Pledge:
    pledge = Pledge(
        slug=slug,
        organisation_name=submission.organisation_name,
        name_key=name,
        org_type=submission.org_type,
        size=submission.size,
        sector=submission.sector,
        area=submission.area,
        postcode=submission.postcode,
        website=submission.website,
        contact_name=submission.contact_name,
        contact_role=submission.contact_role,
        contact_email=submission.contact_email.strip(),
        email_key=key,
        statement=submission.statement or None,
        consent_listed=submission.consent_listed,
        welcome_on_x=submission.welcome_on_x,
        status="pending",
        manage_version=1,
        **{f"commit_{commitment}": commitment in submission.commitments for commitment in COMMITMENTS},
    )
    if submission.logo is not None:
        pledge.logo = submission.logo
    session.add(pledge)
    session.flush()
    return pledge


def sign(session: Session, submission: Submission, settings: Settings) -> Outcome:
    """Store a pending pledge and its confirmation email, or, for an organisation that has signed, email a link."""
    key = email_key(submission.contact_email)
    name = name_key(submission.organisation_name)
    candidates = slug_candidates(submission.organisation_name)
    for attempt in range(3):
        # The first try also asks which page names are free; a retry (another sign-up took the name a
        # moment ago) takes a random one instead.
        known = look_up(session, key, name, submission.postcode, candidates if attempt == 0 else [])
        if known.duplicate_id is not None:
            return _duplicate(session, session.get(Pledge, known.duplicate_id), submission, settings)
        slug = free_slug(session, candidates, known.slugs) if attempt == 0 else f"{candidates[0]}-{secrets.token_hex(3)}"
        try:
            pledge = _new_pledge(session, submission, key, name, slug)
            message = emails.queue_confirmation(session, pledge, settings)
            session.commit()
        except IntegrityError:
            # Another request stored the same organisation (or took the slug) a moment ago; the
            # unique constraints caught it, and the next pass treats it as the duplicate it is.
            session.rollback()
            continue
        return Outcome("new", pledge, [message])
    raise PledgeError("We could not save your pledge. Try again.")


def check_link(session: Session, raw: str) -> tokens.LinkCheck:
    """What a confirmation link is, without using it."""
    return tokens.check(session, raw)


def confirm(session: Session, raw: str, settings: Settings) -> Outcome:
    """Confirm a pledge from its emailed link (POST only): pre-moderation queues it, post puts it live."""
    link = tokens.check(session, raw)
    if link.state != "valid" or link.pledge is None:
        return Outcome(link.state, link.pledge)
    pledge = link.pledge
    if pledge.status == "pending" and _confirmed_by_another(session, pledge):
        return Outcome("taken", pledge)
    now = utcnow()
    if not tokens.use(session, link.token, now):
        session.rollback()
        return Outcome("used", pledge)
    tokens.use_all(session, pledge, now=now)
    if pledge.status != "pending":
        session.commit()
        return Outcome("confirmed", pledge)
    pledge.confirmed_at = now
    messages: list[OutboxMessage] = []
    if settings.moderation == "post":
        pledge.needs_review = True
        messages += emails.go_live(session, pledge, settings, now)
    else:
        pledge.status = "confirmed"
    messages += emails.notify_staff(session, pledge, settings)
    try:
        session.commit()
    except IntegrityError:
        # The same organisation and postcode was confirmed by someone else a moment ago: theirs stands.
        session.rollback()
        return Outcome("taken", session.get(Pledge, pledge.id))
    return Outcome("confirmed", pledge, messages)


def resend_for_link(session: Session, raw: str, settings: Settings) -> Outcome:
    """From an expired or used link: email a fresh one. "sent", "limited" or "unknown"."""
    link = tokens.check(session, raw)
    pledge = link.pledge
    if pledge is None or pledge.status == "withdrawn":
        return Outcome("unknown")
    message = emails.fresh_link(session, pledge, settings, "resend")
    if message is None:
        return Outcome("limited", pledge)
    session.commit()
    return Outcome("sent", pledge, [message])


def resend_for_email(session: Session, email: str, settings: Settings) -> Outcome:
    """For someone who lost their email: send a fresh link if this address signed a pledge."""
    pledge = session.scalar(select(Pledge).where(Pledge.email_key == email_key(email)))
    if pledge is None:
        return Outcome("unknown")
    message = emails.fresh_link(session, pledge, settings, "resend")
    if message is None:
        return Outcome("limited", pledge)
    session.commit()
    return Outcome("sent", pledge, [message])


def thanked_pledge(session: Session, slug: str) -> Pledge | None:
    """The pledge a thank-you page is for, if it has been confirmed."""
    return session.scalar(
        select(Pledge).where(Pledge.slug == slug, Pledge.status.in_(("confirmed", "live", "hidden")))
    )
