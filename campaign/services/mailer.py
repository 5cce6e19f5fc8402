"""Queuing email: render email/NAME.txt and .html into the outbox, in the caller's transaction.

Emails are rendered when they are queued, so the outbox row is exactly what will be sent and
what /dev/mail shows. Services call `queue` here; campaign/channels/email.py sends the rows.
"""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.orm import Session

from campaign.models import OutboxMessage
from campaign.services import outbox


def queue(
    session: Session,
    template: str,
    recipient: str,
    subject: str,
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
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
        headers=headers,
    )
