"""The pledge's rules: signing, confirming by email, duplicates, managing, withdrawing, moderation and retention.

Every function takes plain values and the database session, commits its own change, and
returns an `Outcome` naming what happened and the outbox emails to try sending at once.
Emails are written to the outbox in the same transaction as the change that causes them.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage, Pledge, PledgeToken, StaffUser, StoredImage
from campaign.models.common import utcnow
from campaign.models.pledges import COMMITMENTS
from campaign.services import audit, mailer
from campaign.services.content.seed import PLEDGE_WORDING
from campaign.services.geography import (
    COUNCIL_AREAS,
    INVALID_POSTCODE_MESSAGE,
    classify_postcode,
    council_area_name,
    normalise_postcode,
)
from campaign.services.pledges import tokens

AREAS: dict[str, str] = {
    **dict(COUNCIL_AREAS),
    "north-west": "Elsewhere in the North West",
    "elsewhere": "Elsewhere",
}
COUNCIL_SLUGS = [slug for slug, _ in COUNCIL_AREAS]
FRESH_LINKS_PER_DAY = 3
PURGE_BATCH = 500
# Columns audit records may keep: never the contact's details, which withdrawal must erase for good.
AUDIT_FIELDS = [
    "organisation_name", "slug", "org_type", "size", "sector", "area", "postcode", "website", "statement",
    "logo_id", "status", "needs_review", "hidden_reason", "commit_local_suppliers", "commit_living_wage",
    "commit_local_jobs", "commit_environment", "commit_vcse",
]
_LEGAL_SUFFIXES = {"limited", "ltd", "plc", "llp", "cic"}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PledgeError(ValueError):
    """A change could not be made; the message tells the person what to do."""


@dataclass(frozen=True)
class Settings:
    """The pledge settings from the app's configuration, passed in as plain values."""

    moderation: str
    confirm_days: int
    pending_days: int
    secret_key: str
    staff_email: str
    staff_mode: str

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        """Read the settings from a Flask config."""
        return cls(
            moderation="post" if config["PLEDGE_MODERATION"] == "post" else "pre",
            confirm_days=int(config["CONFIRM_LINK_DAYS"]),
            pending_days=int(config["PENDING_PLEDGE_DAYS"]),
            secret_key=config["SECRET_KEY"],
            staff_email=config["STAFF_NOTIFY_EMAIL"],
            staff_mode="digest" if config["STAFF_NOTIFY_MODE"] == "digest" else "each",
        )


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


@dataclass(frozen=True)
class Outcome:
    """What a change did ("new", "duplicate", "confirmed", "expired"...), and emails to send now."""

    state: str
    pledge: Pledge | None = None
    messages: list[OutboxMessage] = field(default_factory=list)


@dataclass(frozen=True)
class AreaAnswer:
    """Where an organisation is based, worked out from its choice and postcode, or why we must ask."""

    area: str | None
    postcode: str | None
    error_field: str | None = None
    error: str | None = None


_LISTENERS: dict[str, list[Callable[[Session, Pledge], None]]] = {"live": [], "withdrawn": []}


def add_listener(event: str, listener: Callable[[Session, Pledge], None]) -> None:
    """Call `listener(session, pledge)` inside the transaction whenever a pledge goes "live" or is "withdrawn"."""
    if listener not in _LISTENERS[event]:  # every create_app adds its listeners again, and tests build many apps
        _LISTENERS[event].append(listener)


def _notify(event: str, session: Session, pledge: Pledge) -> None:
    for listener in _LISTENERS[event]:
        listener(session, pledge)


# Normalising names, emails and text


def email_key(email: str) -> str:
    """An email as duplicates are compared: lower case, with any +tag dropped ("A+x@B.org" -> "a@b.org")."""
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def name_key(name: str) -> str:
    """An organisation name as duplicates and searches compare it: no case, accents, punctuation or "Ltd"."""
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char)).replace("&", " and ")
    words = re.sub(r"[\W_]+", " ", text).split()
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)[:200]


def clean_text(text: str | None, multiline: bool = False) -> str:
    """Trim text, drop control characters, and keep line breaks only where they belong."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARACTERS.sub("", text)
    if not multiline:
        return " ".join(text.split())
    lines = [line.rstrip() for line in text.strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


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


def _slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80].strip("-")
    return slug or "organisation"


def unique_slug(session: Session, name: str, random_suffix: bool = False) -> str:
    """A URL name for the organisation's page, unique among pledges ("acme-ltd", "acme-ltd-2")."""
    base = _slug_base(name)
    if random_suffix:
        return f"{base}-{secrets.token_hex(3)}"
    taken = set(session.scalars(select(Pledge.slug).where(or_(Pledge.slug == base, Pledge.slug.like(base + "-%")))))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def area_name(slug: str) -> str:
    """The name of where an organisation is based."""
    return AREAS.get(slug, slug)


def wording(organisation: str) -> str:
    """The pledge, in full, in an organisation's name."""
    return PLEDGE_WORDING.format(organisation=organisation)


def resolve_area(area: str | None, postcode_text: str | None) -> AreaAnswer:
    """The area chosen, or the one the postcode gives when none was chosen; asks when the postcode cannot say."""
    postcode = None
    if (postcode_text or "").strip():
        postcode = normalise_postcode(postcode_text or "")
        if postcode is None:
            return AreaAnswer(None, None, "postcode", INVALID_POSTCODE_MESSAGE)
    if area:
        return AreaAnswer(area, postcode)
    if postcode is None:
        return AreaAnswer(None, None, "area", "Choose where your organisation is based, or enter its postcode")
    found = classify_postcode(postcode)
    district = postcode.split(" ", 1)[0]
    names = [council_area_name(slug) for slug in found.candidates]
    choices = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
    if found.location == "lancashire":
        if found.needs_confirmation or found.council_area is None:
            return AreaAnswer(
                None, postcode, "area",
                f"Postcodes starting {district} are in more than one council area: choose where your "
                f"organisation is based{' (' + choices + ')' if choices else ''}",
            )
        return AreaAnswer(found.council_area, postcode)
    if found.location == "north_west":
        if found.needs_confirmation and names:
            return AreaAnswer(
                None, postcode, "area",
                f"Postcodes starting {district} are partly in Lancashire ({choices}): choose where your "
                "organisation is based",
            )
        return AreaAnswer("north-west", postcode)
    return AreaAnswer("elsewhere", postcode)


# Emails


def _manage_url(pledge: Pledge, settings: Settings) -> str:
    return mailer.absolute_url("pledges.manage", token=tokens.manage_token(pledge, settings.secret_key))


def _queue_confirmation(
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
        confirm_url=mailer.absolute_url("pledges.confirm", token=raw),
        manage_url=_manage_url(pledge, settings),
        link_days=settings.confirm_days,
        pending_days=settings.pending_days,
        **context,
    )


def _fresh_links_today(session: Session, pledge: Pledge) -> int:
    return session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.dedupe_key.like(f"pledge:{pledge.id}:fresh%"),
            OutboxMessage.created_at >= utcnow() - timedelta(days=1),
        )
    ) or 0


def _fresh_link(session: Session, pledge: Pledge, settings: Settings, reason: str) -> OutboxMessage | None:
    """Email a fresh confirmation link (pending) or manage link (signed), at most 3 a day per pledge."""
    if pledge.contact_email is None or _fresh_links_today(session, pledge) >= FRESH_LINKS_PER_DAY:
        return None
    if pledge.status == "pending":
        return _queue_confirmation(session, pledge, settings, "fresh_confirm", "fresh", reason=reason)
    return mailer.queue(
        session, "fresh_manage", pledge.contact_email, "Your link to manage your Backing Lancashire pledge",
        dedupe_key=f"pledge:{pledge.id}:fresh:{secrets.token_hex(8)}",
        reason=reason,
        pledge=pledge,
        manage_url=_manage_url(pledge, settings),
        page_url=mailer.absolute_url("pledges.organisation", slug=pledge.slug) if pledge.is_live else None,
    )


def _go_live(session: Session, pledge: Pledge, settings: Settings, now: datetime) -> list[OutboxMessage]:
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
                    page_url=mailer.absolute_url("pledges.organisation", slug=pledge.slug),
                    manage_url=_manage_url(pledge, settings),
                )
            )
    _notify("live", session, pledge)
    return messages


def _notify_staff(session: Session, pledge: Pledge, settings: Settings) -> list[OutboxMessage]:
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
            queue_url=mailer.absolute_url("admin.pledges"),
        )
    ]


# Signing and confirming


def find_duplicate(session: Session, key: str, name: str, postcode: str | None) -> Pledge | None:
    """The pledge already made with this email, or with this organisation name and postcode."""
    conditions = [Pledge.email_key == key]
    if postcode:
        conditions.append((Pledge.name_key == name) & (Pledge.postcode == postcode))
    return session.scalars(select(Pledge).where(or_(*conditions)).order_by(Pledge.id).limit(1)).first()


def _duplicate(session: Session, existing: Pledge, submission: Submission, settings: Settings) -> Outcome:
    """Never a second pledge: email the organisation's contact a fresh link, and tell a new address why."""
    messages = []
    message = _fresh_link(session, existing, settings, "duplicate")
    if message is not None:
        messages.append(message)
    if email_key(submission.contact_email) != existing.email_key and _fresh_links_today(session, existing) < FRESH_LINKS_PER_DAY:
        messages.append(
            mailer.queue(
                session, "already_signed", submission.contact_email.strip(),
                "Your organisation has already signed the Backing Lancashire pledge",
                dedupe_key=f"pledge:{existing.id}:fresh-other:{secrets.token_hex(8)}",
                organisation_name=submission.organisation_name,
                resend_url=mailer.absolute_url("pledges.resend"),
            )
        )
    session.commit()
    return Outcome("duplicate", existing, messages)


def _new_pledge(session: Session, submission: Submission, key: str, name: str, random_slug: bool) -> Pledge:
    pledge = Pledge(
        slug=unique_slug(session, submission.organisation_name, random_slug),
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
    for attempt in range(3):
        existing = find_duplicate(session, key, name, submission.postcode)
        if existing is not None:
            return _duplicate(session, existing, submission, settings)
        try:
            pledge = _new_pledge(session, submission, key, name, random_slug=attempt > 0)
            message = _queue_confirmation(session, pledge, settings)
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
        messages += _go_live(session, pledge, settings, now)
    else:
        pledge.status = "confirmed"
    messages += _notify_staff(session, pledge, settings)
    session.commit()
    return Outcome("confirmed", pledge, messages)


def resend_for_link(session: Session, raw: str, settings: Settings) -> Outcome:
    """From an expired or used link: email a fresh one. "sent", "limited" or "unknown"."""
    link = tokens.check(session, raw)
    pledge = link.pledge
    if pledge is None or pledge.status == "withdrawn":
        return Outcome("unknown")
    message = _fresh_link(session, pledge, settings, "resend")
    if message is None:
        return Outcome("limited", pledge)
    session.commit()
    return Outcome("sent", pledge, [message])


def resend_for_email(session: Session, email: str, settings: Settings) -> Outcome:
    """For someone who lost their email: send a fresh link if this address signed a pledge."""
    pledge = session.scalar(select(Pledge).where(Pledge.email_key == email_key(email)))
    if pledge is None:
        return Outcome("unknown")
    message = _fresh_link(session, pledge, settings, "resend")
    if message is None:
        return Outcome("limited", pledge)
    session.commit()
    return Outcome("sent", pledge, [message])


def thanked_pledge(session: Session, slug: str) -> Pledge | None:
    """The pledge a thank-you page is for, if it has been confirmed."""
    return session.scalar(
        select(Pledge).where(Pledge.slug == slug, Pledge.status.in_(("confirmed", "live", "hidden")))
    )


# Managing and withdrawing


def manage_link(session: Session, raw: str, settings: Settings) -> tokens.ManageCheck:
    """The pledge a manage link is for: "valid", "expired" or "invalid"."""
    return tokens.check_manage(session, raw, settings.secret_key)


def manage_token(pledge: Pledge, settings: Settings) -> str:
    """The current manage token for a pledge."""
    return tokens.manage_token(pledge, settings.secret_key)


def _set_commitments(pledge: Pledge, commitments: list[str]) -> None:
    for commitment in COMMITMENTS:
        setattr(pledge, f"commit_{commitment}", commitment in commitments)


def _drop_logo(session: Session, pledge: Pledge) -> None:
    if pledge.logo is not None:
        session.delete(pledge.logo)
    pledge.logo = None
    pledge.logo_id = None


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
        _drop_logo(session, pledge)
        pledge.logo = new_logo
        changed = True
    elif remove_logo:
        _drop_logo(session, pledge)
    _set_commitments(pledge, commitments)
    if changed:
        pledge.needs_review = True
    session.commit()
    return Outcome("review" if changed else "updated", pledge)


def _erase_messages(session: Session, pledge_ids: list[int]) -> None:
    """Delete the emails to and about these pledges from the outbox: they hold personal data."""
    if pledge_ids:
        session.execute(
            delete(OutboxMessage)
            .where(or_(*[OutboxMessage.dedupe_key.like(f"pledge:{pledge_id}:%") for pledge_id in pledge_ids]))
            .execution_options(synchronize_session=False)
        )


def withdraw(session: Session, pledge: Pledge) -> Outcome:
    """Take a pledge off the wall at once and erase everything that could identify it or its contact."""
    _drop_logo(session, pledge)
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
    _erase_messages(session, [pledge.id])
    _notify("withdrawn", session, pledge)
    session.commit()
    return Outcome("withdrawn", pledge)


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
        _erase_messages(session, ids)
        for pledge in stale:
            _drop_logo(session, pledge)
            session.delete(pledge)
        session.commit()
        removed += len(stale)


# Staff notifications


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
        queue_url=mailer.absolute_url("admin.pledges"),
    )
    message.payload = {"since": since.isoformat(), "until": now.isoformat()}
    session.commit()
    return message


# Moderation by staff

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


def approve(session: Session, pledge: Pledge, staff: StaffUser, settings: Settings) -> Outcome:
    """Put a confirmed or hidden pledge on the wall, or accept the changes to a live one."""
    if pledge.status not in ("confirmed", "live", "hidden"):
        raise PledgeError("Only a pledge confirmed by email can be approved")
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    messages = []
    if pledge.status != "live":
        messages = _go_live(session, pledge, settings, utcnow())
    pledge.needs_review = False
    _audited(session, staff, pledge, "pledge.approve", f"Approved the pledge of {pledge.organisation_name}", before)
    session.commit()
    return Outcome("live", pledge, messages)


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
        _set_commitments(pledge, changes["commitments"])
    pledge.name_key = name_key(pledge.organisation_name or "")
    _audited(session, staff, pledge, "pledge.edit", f"Edited the pledge of {pledge.organisation_name}", before)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PledgeError("Another pledge already has this organisation name and postcode") from None
    return Outcome("edited", pledge)


def remove_statement(session: Session, pledge: Pledge, staff: StaffUser) -> Outcome:
    """Remove a pledge's public statement and keep the pledge."""
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    pledge.statement = None
    _audited(session, staff, pledge, "pledge.remove_statement", f"Removed the statement of {pledge.organisation_name}", before)
    session.commit()
    return Outcome("edited", pledge)


def remove_logo(session: Session, pledge: Pledge, staff: StaffUser) -> Outcome:
    """Remove (and delete) a pledge's logo and keep the pledge."""
    before = audit.snapshot(pledge, AUDIT_FIELDS)
    _drop_logo(session, pledge)
    _audited(session, staff, pledge, "pledge.remove_logo", f"Removed the logo of {pledge.organisation_name}", before)
    session.commit()
    return Outcome("edited", pledge)
