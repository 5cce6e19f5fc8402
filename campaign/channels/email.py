"""The email channel: send outbox emails over SMTP, on Flask-Mail's settings and connection.

Services queue emails with `campaign.services.mailer.queue`; this module is the sending side.
With no MAIL_SERVER in development (SHOW_DEV_MAIL), the "sender" only marks each email delivered
to the development mailbox, where it can be read in the browser at /dev/mail.

Each email is built here with the standard library's MIME classes under its classic (compat32)
policy, rather than by Flask-Mail's Message, whose modern policy parses every header again as
the message is written out: that made building an email the worker's largest cost. Flask-Mail
still holds the MAIL_* settings and opens the connection.
"""

from __future__ import annotations

import re
import secrets
import smtplib
from contextlib import contextmanager
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app, g
from flask_mail import Connection, sanitize_address
from sqlalchemy.engine import Row

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


def _hand_over(connection: _TimedConnection, sender: str, recipient: str, raw: bytes) -> None:
    """SMTP's envelope and data; with MAIL_SUPPRESS_SEND (tests) Flask-Mail opened no connection, and nothing goes."""
    if connection.host is not None:
        connection.host.sendmail(sender, [recipient], raw)


def _deliver(sender: str, recipient: str, raw: bytes) -> None:
    """Hand one email to the SMTP server, on the pass's shared connection when there is one."""
    shared: _SharedConnection | None = g.get("smtp_batch")
    if shared is None:
        with _TimedConnection(current_app.extensions["mail"], current_app.config["MAIL_TIMEOUT"]) as connection:
            _hand_over(connection, sender, recipient, raw)
        return
    try:
        _hand_over(shared.get(), sender, recipient, raw)
    except Exception:
        shared.drop()  # the connection may be broken: never reuse it
        raise


class _SMTPPolicy(policy.Compat32):
    """The classic policy with CRLF line ends, as SMTP wants, writing a plain ASCII header as it is given.

    Header objects (the Subject) are folded to 78 columns; a string (a boundary, a link in
    List-Unsubscribe) stays whole on its line, well inside SMTP's 998.
    """

    def fold_binary(self, name: str, value) -> bytes:
        if isinstance(value, str) and value.isascii() and "\n" not in value and len(name) + len(value) < 990:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_SMTP = _SMTPPolicy(linesep="\r\n")
# Text parts are quoted-printable, never raw 8-bit: SMTP allows lines of 998 bytes at most, and 500 emoji
# in a statement make a 2,000-byte line that servers refuse ("500 Line too long").
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_LINE_BREAKS = re.compile(r"[\r\n]+\s*")


def _header(value: str, name: str, fold: bool = True) -> Header | str:
    """A header value on one logical line, so no line break can smuggle in another header.

    Plain ASCII stays readable, folded at spaces to 78 columns unless `fold` is off (a link in
    List-Unsubscribe stays whole); anything else becomes RFC 2047 encoded words.
    """
    value = _LINE_BREAKS.sub(" ", value)
    if value.isascii() and not fold:
        return value
    return Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name)


@lru_cache(maxsize=64)
def _address(address: str) -> str:
    """An address as the header and the SMTP envelope take it (IDN domains in ASCII); the sender's is kept."""
    return sanitize_address(address)


def build(message: OutboxMessage | Row, sender: str, message_id: str) -> Message:
    """The email for an outbox row: its text, and its HTML as the alternative when it has one."""
    text = MIMEText(message.body_text or "", "plain", _UTF8_QP)
    if message.body_html:
        # A boundary no quoted-printable text can contain ("=_" is not a QP escape), so the generator need not search for it.
        email = MIMEMultipart("alternative", boundary=f"=_{secrets.token_hex(16)}")
        email.attach(text)
        email.attach(MIMEText(message.body_html, "html", _UTF8_QP))
    else:
        email = text
    email["Subject"] = _header(message.subject or "", "Subject")
    email["From"] = _address(sender)
    email["To"] = _address(message.recipient)
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = message_id
    for name, value in (message.headers or {}).items():
        email[name] = _header(value, name, fold=False)
    return email


def _refused_for_good(error: smtplib.SMTPResponseException) -> bool:
    """A 5xx answer: the server will never take this message, so retrying cannot help."""
    return 500 <= error.smtp_code < 600


def _message_id(message: OutboxMessage | Row) -> str:
    """A Message-ID fixed per outbox row, so a mail client shows any resend as the same email."""
    domain = urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"
    return f"<outbox-{message.id}.{int(message.created_at.timestamp())}@{domain}>"


def send(message: OutboxMessage | Row) -> str:
    """Send one outbox email through SMTP (or to the development mailbox); returns its Message-ID."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        return DEV_MAILBOX
    message_id = _message_id(message)
    sender = config["MAIL_DEFAULT_SENDER"]
    raw = build(message, sender, message_id).as_bytes(policy=_SMTP)
    try:
        _deliver(_address(sender), _address(message.recipient), raw)
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
    return message_id


def ready() -> bool:
    """Email can go out when a mail server is set, or in development to the browser mailbox."""
    config = current_app.config
    return bool(config["MAIL_SERVER"]) or bool(config["SHOW_DEV_MAIL"])
