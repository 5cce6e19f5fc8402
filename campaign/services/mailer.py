"""Queuing email: render email/NAME.txt and .html into the outbox, in the caller's transaction.

Emails are rendered when they are queued, so the outbox row is exactly what will be sent and
what /dev/mail shows. Services call `queue` here; campaign/channels/email.py sends the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage
from campaign.services import outbox


def url_builder() -> Callable[..., str]:
    """A function building full links to this site from SITE_URL; bind once when building many."""
    site = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme or "https")
    return lambda endpoint, **values: adapter.build(endpoint, values, force_external=True)


def absolute_url(endpoint: str, **values) -> str:
    """A full link to a page of this site, built from SITE_URL, for emails, badges and feeds."""
    return url_builder()(endpoint, **values)


def queue(
    session: Session,
    template: str,
    recipient: str,
    subject: str,
    dedupe_key: str | None = None,
    **context,
) -> OutboxMessage:
    """Render email/`template`.txt and .html and add them to the outbox, in the caller's transaction."""
    context = {"subject": subject, "site_name": current_app.config["SITE_NAME"], **context}
    return outbox.enqueue(
        session,
        "email",
        recipient=recipient,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        dedupe_key=dedupe_key,
    )
