"""Queuing email: render email/NAME.txt and .html into the outbox, in the caller's transaction.

Emails are rendered when they are queued, so the outbox row is exactly what will be sent and
what /dev/mail shows. Services call `queue` here; campaign/channels/email.py sends the rows.
"""

from __future__ import annotations

from flask import current_app
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
        body_text=_render(f"email/{template}.txt", context),
        body_html=_render(f"email/{template}.html", context),
        dedupe_key=dedupe_key,
        headers=headers,
    )


def _render(name: str, context: dict) -> str:
    """An email template with only what it is given (and the template globals and filters).

    Not Flask's render_template: an email reads nothing of the request, so the page context
    (the signed-in user, the CSRF token, the site's contact details) is not worked out for it.
    HTML is escaped as on every page: autoescaping follows the template's extension.
    """
    return current_app.jinja_env.get_template(name).render(context)
