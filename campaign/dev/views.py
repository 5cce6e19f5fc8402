"""The development mailbox: every email in the outbox, readable in the browser, with working links."""

from __future__ import annotations

import re

from flask import abort, make_response, render_template
from markupsafe import Markup, escape
from sqlalchemy import select

from campaign.dev import bp
from campaign.extensions import db
from campaign.models import OutboxMessage

MAILBOX_SIZE = 50
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers: anything larger cannot be a row
_URL = re.compile(r"https?://[^\s<>\"']+")
# The HTML version is shown on its own, sandboxed, with only the inline styles emails need.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'; sandbox allow-popups allow-top-navigation-by-user-activation"
)


def linkify(text: str) -> Markup:
    """Escape an email's text and make every web address in it a link."""
    parts, position = [], 0
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:)")
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/mail")
def mail():
    """The newest emails, newest first, with their text and clickable links."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel == "email")
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(MAILBOX_SIZE)
    ).all()
    emails = [(message, linkify(message.body_text)) for message in messages]
    return _no_store(render_template("dev/mail.html", emails=emails, size=MAILBOX_SIZE))


@bp.route("/mail/<int:message_id>.html")
def mail_html(message_id: int):
    """One email's HTML version, as a mail client would show it."""
    message = db.session.get(OutboxMessage, message_id) if message_id <= MAX_ROW_ID else None
    if message is None or message.channel != "email" or not message.body_html:
        abort(404)
    response = _no_store(message.body_html)
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    return response
