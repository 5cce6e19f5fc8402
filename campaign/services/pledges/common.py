"""What every pledge rule shares: settings, outcomes, errors, the pledge's wording, and matching keys.

Every pledge service takes plain values and the database session, commits its own change, and
returns an `Outcome` naming what happened and the outbox emails to try sending at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from campaign.keys import signing_keys
from campaign.models import OutboxMessage, Pledge
from campaign.models.pledges import COMMITMENTS
from campaign.services.content.seed import PLEDGE_WORDING
from campaign.services.text import fold_accents, without_company_suffix

# Columns audit records may keep: never the contact's details, which withdrawal must erase for good.
AUDIT_FIELDS = [
    "organisation_name", "slug", "org_type", "size", "sector", "area", "postcode", "website", "statement",
    "logo_id", "status", "needs_review", "hidden_reason", "commit_local_suppliers", "commit_living_wage",
    "commit_local_jobs", "commit_environment", "commit_vcse",
]


class PledgeError(ValueError):
    """A change could not be made; the message tells the person what to do."""


def moderation_mode(config: Mapping[str, Any]) -> str:
    """ "pre" (staff approve every pledge and change first) or "post" (pledges go live, staff check after)."""
    return "post" if config.get("PLEDGE_MODERATION") == "post" else "pre"


def hold_unreviewed(config: Mapping[str, Any]) -> bool:
    """With pre-moderation, changes staff have not yet seen (a statement, a logo) stay off public pages and cards."""
    return moderation_mode(config) == "pre"


@dataclass(frozen=True)
class Settings:
    """The pledge settings from the app's configuration, passed in as plain values."""

    moderation: str
    confirm_days: int
    pending_days: int
    secret_key: list[str]  # SECRET_KEY last, after any fallbacks (campaign/keys.py)
    staff_email: str
    staff_mode: str

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        """Read the settings from a Flask config."""
        return cls(
            moderation=moderation_mode(config),
            confirm_days=int(config["CONFIRM_LINK_DAYS"]),
            pending_days=int(config["PENDING_PLEDGE_DAYS"]),
            secret_key=signing_keys(config),
            staff_email=config["STAFF_NOTIFY_EMAIL"],
            staff_mode="digest" if config["STAFF_NOTIFY_MODE"] == "digest" else "each",
        )


@dataclass(frozen=True)
class Outcome:
    """What a change did ("new", "duplicate", "confirmed", "expired"...), and emails to send now."""

    state: str
    pledge: Pledge | None = None
    messages: list[OutboxMessage] = field(default_factory=list)


_LISTENERS: dict[str, list[Callable[[Session, Pledge], None]]] = {"live": [], "withdrawn": []}


def add_listener(event: str, listener: Callable[[Session, Pledge], None]) -> None:
    """Call `listener(session, pledge)` inside the transaction whenever a pledge goes "live" or is "withdrawn"."""
    if listener not in _LISTENERS[event]:  # every create_app adds its listeners again, and tests build many apps
        _LISTENERS[event].append(listener)


def notify(event: str, session: Session, pledge: Pledge) -> None:
    """Tell the listeners that a pledge went "live" or was "withdrawn"."""
    for listener in _LISTENERS[event]:
        listener(session, pledge)


def email_key(email: str) -> str:
    """An email as duplicates are compared: lower case, with any +tag dropped ("A+x@B.org" -> "a@b.org")."""
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def name_key(name: str) -> str:
    """An organisation name as duplicates and searches compare it: no case, accents, punctuation or "Ltd"."""
    text = fold_accents(name).casefold().replace("&", " and ")
    words = re.sub(r"[\W_]+", " ", text).split()
    # A name that is all legal forms ("Ltd Ltd") keeps its first word rather than becoming blank.
    words = without_company_suffix(words) or words[:1]
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)[:200]


def wording(organisation: str) -> str:
    """The pledge, in full, in an organisation's name."""
    return PLEDGE_WORDING.format(organisation=organisation)


def set_commitments(pledge: Pledge, commitments: list[str]) -> None:
    """Tick the commitments named, and untick the rest."""
    for commitment in COMMITMENTS:
        setattr(pledge, f"commit_{commitment}", commitment in commitments)


def drop_logo(session: Session, pledge: Pledge) -> None:
    """Delete a pledge's logo, if it has one."""
    if pledge.logo is not None:
        session.delete(pledge.logo)
    pledge.logo = None
    pledge.logo_id = None
