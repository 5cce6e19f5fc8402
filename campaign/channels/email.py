"""The email channel: send outbox emails through Flask-Mail over SMTP.

Services queue emails with `campaign.services.mailer.queue`; this module is the sending side.
With no MAIL_SERVER in development (SHOW_DEV_MAIL), the "sender" only marks each email delivered
to the development mailbox, where it can be read in the browser at /dev/mail.
"""

from __future__ import annotations

import smtplib
from contextlib import contextmanager
from email.charset import QP, Charset
from email.mime.text import MIMEText
from urllib.parse import urlsplit

from flask import Flask, current_app, g
from flask_mail import Connection, Message

from campaign.models import OutboxMessage
from campaign.services import outbox

CHANNEL = "email"
DEV_MAILBOX = "dev-mailbox"


def register(app: Flask) -> None:
    """Let the outbox send channel "email" through SMTP."""
    outbox.register_sender(CHANNEL, send, ready, batch=smtp_batch)


class _TimedConnection(Connection):
    """Flask-Mail's SMTP connection with a timeout, and a goodbye that cannot undo a delivery."""

    def __init__(self, mail, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        """Connect, start TLS and log in, never waiting longer than MAIL_TIMEOUT for the server."""
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=self.timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        # Once the server has accepted the message it is delivered: a failed QUIT must not turn
        # that into an error, or the outbox would send it again.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()


class _SharedConnection:
    """One SMTP connection that a pass over the outbox reuses for all its emails, opened at the first."""

    def __init__(self, mail, timeout: float) -> None:
        self.mail = mail
        self.timeout = timeout
        self.connection: _TimedConnection | None = None

    def get(self) -> _TimedConnection:
        if self.connection is None:
            connection = _TimedConnection(self.mail, self.timeout)
            connection.__enter__()
            self.connection = connection
        return self.connection

    def drop(self) -> None:
        """Say goodbye to the server (after a failure, the next email starts a fresh connection)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.__exit__(None, None, None)


@contextmanager
def smtp_batch():
    """Let the emails of one outbox pass share an SMTP connection instead of each opening its own."""
    if g.get("smtp_batch") is not None:
        yield
        return
    shared = g.smtp_batch = _SharedConnection(current_app.extensions["mail"], current_app.config["MAIL_TIMEOUT"])
    try:
        yield
    finally:
        g.pop("smtp_batch", None)
        shared.drop()


def _deliver(mail_message: Message) -> None:
    """Hand one email to the SMTP server, on the pass's shared connection when there is one."""
    shared: _SharedConnection | None = g.get("smtp_batch")
    if shared is None:
        with _TimedConnection(current_app.extensions["mail"], current_app.config["MAIL_TIMEOUT"]) as connection:
            connection.send(mail_message)
        return
    try:
        shared.get().send(mail_message)
    except Exception:
        shared.drop()  # the connection may be broken: never reuse it
        raise


class _SafeMessage(Message):
    """Flask-Mail's message with text parts quoted-printable, never raw 8-bit.

    SMTP allows lines of 998 bytes at most: 500 emoji in a statement make a 2,000-byte line that
    servers refuse ("500 Line too long"). Quoted-printable keeps every line short and ASCII.
    """

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        charset = Charset(self.charset or "utf-8")
        charset.body_encoding = QP
        return MIMEText(text or "", _subtype=subtype, _charset=charset)


def _refused_for_good(error: smtplib.SMTPResponseException) -> bool:
    """A 5xx answer: the server will never take this message, so retrying cannot help."""
    return 500 <= error.smtp_code < 600


def _message_id(message: OutboxMessage) -> str:
    """A Message-ID fixed per outbox row, so a mail client shows any resend as the same email."""
    domain = urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"
    return f"<outbox-{message.id}.{int(message.created_at.timestamp())}@{domain}>"


def send(message: OutboxMessage) -> str:
    """Send one outbox email through SMTP (or to the development mailbox); returns its Message-ID."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        return DEV_MAILBOX
    mail_message = _SafeMessage(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=config["MAIL_DEFAULT_SENDER"],
        extra_headers=dict(message.headers or {}),
    )
    mail_message.msgId = _message_id(message)
    try:
        _deliver(mail_message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise outbox.PermanentFailure(f"The mail server refused {message.recipient}: {codes}") from error
        raise
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
        if _refused_for_good(error):
            detail = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
            raise outbox.PermanentFailure(f"The mail server refused the message: {error.smtp_code} {detail}") from error
        raise
    return mail_message.msgId


def ready() -> bool:
    """Email can go out when a mail server is set, or in development to the browser mailbox."""
    config = current_app.config
    return bool(config["MAIL_SERVER"]) or bool(config["SHOW_DEV_MAIL"])
