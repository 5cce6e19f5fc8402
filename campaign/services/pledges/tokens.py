"""Links emailed to organisations: single-use confirmation links and signed manage links.

A confirmation link carries 256 random bits from `secrets` and is stored only as its SHA-256,
so someone who reads the database still cannot confirm a pledge. A manage link is not stored at
all: it is signed, and names the pledge and its manage_version, so bumping the version (as
withdrawing does) switches off every manage link sent before.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from campaign.models import Pledge, PledgeToken
from campaign.models.common import utcnow

TOKEN_BYTES = 32  # 256 bits
MANAGE_SALT = "pledge-manage"
MANAGE_MAX_AGE = timedelta(days=365)


@dataclass(frozen=True)
class LinkCheck:
    """What a confirmation link is: "valid", "expired", "used" or "unknown", and whose it is."""

    state: str
    token: PledgeToken | None = None

    @property
    def pledge(self) -> Pledge | None:
        """The pledge the link belongs to, if the link is one we sent."""
        return self.token.pledge if self.token is not None else None


@dataclass(frozen=True)
class ManageCheck:
    """What a manage link is: "valid", "expired" or "invalid", with the pledge when valid."""

    state: str
    pledge: Pledge | None = None


def hash_token(raw: str) -> str:
    """The SHA-256 of a link's secret, as stored."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


_INSERT = insert(PledgeToken.__table__)


def issue(session: Session, pledge: Pledge, days: int, purpose: str = "confirm") -> str:
    """Create a new single-use link for a pledge, returning the secret to put in the email."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    # A plain INSERT in the caller's transaction (the pledge has its id by now): nothing reads the token back as
    # an object, and the unit of work would cost a sign-up more than the statement itself.
    if pledge.id is None:
        session.flush([pledge])
    session.connection().execute(
        _INSERT,
        {"pledge_id": pledge.id, "purpose": purpose, "token_hash": hash_token(raw), "created_at": now,
         "expires_at": now + timedelta(days=days)},
    )
    return raw


def check(session: Session, raw: str, purpose: str = "confirm", now: datetime | None = None) -> LinkCheck:
    """Look a link up without using it, so a GET (or a mail scanner) changes nothing."""
    if not raw or len(raw) > 200:
        return LinkCheck("unknown")
    token = session.scalar(
        select(PledgeToken).where(PledgeToken.token_hash == hash_token(raw), PledgeToken.purpose == purpose)
    )
    if token is None:
        return LinkCheck("unknown")
    if token.used_at is not None:
        return LinkCheck("used", token)
    if token.expires_at <= (now or utcnow()):
        return LinkCheck("expired", token)
    return LinkCheck("valid", token)


def use(session: Session, token: PledgeToken, now: datetime | None = None) -> bool:
    """Mark a link used, exactly once: False if another request used it first."""
    used = session.execute(
        update(PledgeToken)
        .where(PledgeToken.id == token.id, PledgeToken.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return used == 1


def use_all(session: Session, pledge: Pledge, purpose: str = "confirm", now: datetime | None = None) -> None:
    """Mark every outstanding link of a pledge used, so no older email can act again."""
    session.execute(
        update(PledgeToken)
        .where(PledgeToken.pledge_id == pledge.id, PledgeToken.purpose == purpose, PledgeToken.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def _serializer(secret_key: str | list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=MANAGE_SALT)


def manage_token(pledge: Pledge, secret_key: str | list[str]) -> str:
    """A signed token for the pledge's manage link, valid until the pledge's manage_version changes."""
    return _serializer(secret_key).dumps({"p": pledge.id, "v": pledge.manage_version})


def check_manage(session: Session, raw: str, secret_key: str | list[str]) -> ManageCheck:
    """The pledge a manage link is for, if the link is genuine, current and not too old."""
    try:
        data = _serializer(secret_key).loads(raw, max_age=int(MANAGE_MAX_AGE.total_seconds()))
    except SignatureExpired:
        return ManageCheck("expired")
    except BadSignature:
        return ManageCheck("invalid")
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("v"), int):
        return ManageCheck("invalid")
    pledge = session.get(Pledge, data["p"])
    if pledge is None or pledge.status == "withdrawn" or pledge.manage_version != data["v"]:
        return ManageCheck("invalid")
    return ManageCheck("valid", pledge)
