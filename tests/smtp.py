"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), and helpers to read what it received."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from contextlib import contextmanager
from email.message import Message

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s<>\"']+")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        """Messages sent to an address."""
        with self._lock:
            return [m for m, (_, rcpts) in zip(self.messages, self.envelopes, strict=True) if address in rcpts]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Message]:
        """Wait until at least `count` messages have arrived, then return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


@contextmanager
def smtp_server(port: int | None = None):
    """Run an SMTP server on 127.0.0.1 (on `port`, or a free one) for the duration of the block."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def text_body(message: Message) -> str:
    """The plain-text part of an email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the email has no text part")


def html_body(message: Message) -> str:
    """The HTML part of an email."""
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the email has no HTML part")


def links(message: Message) -> list[str]:
    """Every link in an email's text part, in order."""
    return [link.rstrip(".,;:)") for link in LINK.findall(text_body(message))]


def link_to(message: Message, path_part: str) -> str:
    """The first link in an email whose URL contains `path_part` (say "/pledge/confirm/")."""
    found = [link for link in links(message) if path_part in link]
    assert found, f"no link containing {path_part!r} in {links(message)}"
    return found[0]
