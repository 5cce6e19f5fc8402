"""How to reach the OPCC: only what is configured, or a marked placeholder in development."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER_NOTE = "example contact (development placeholder)"


@dataclass(frozen=True)
class Contact:
    """The OPCC's contact details as configured; any part may be empty."""

    email: str = ""
    phone: str = ""
    address: str = ""
    website: str = ""
    is_placeholder: bool = False

    @property
    def any(self) -> bool:
        """Whether there is anything to show."""
        return bool(self.email or self.phone or self.address or self.website)

    @property
    def phone_link(self) -> str:
        """The phone number as a tel: address (digits and a leading + only)."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


def from_config(config: Mapping[str, Any]) -> Contact:
    """The configured contact details; in development with none configured, a marked placeholder."""
    found = Contact(
        email=config.get("CONTACT_EMAIL", ""),
        phone=config.get("CONTACT_PHONE", ""),
        address=config.get("CONTACT_ADDRESS", ""),
        website=config.get("OPCC_WEBSITE", ""),
    )
    if found.any or not config.get("CONTACT_PLACEHOLDER"):
        return found
    # .invalid and example.org can never reach anyone, so a placeholder cannot be mistaken for a real address.
    return Contact(
        email="contact@example.invalid",
        phone="",
        address=f"An {PLACEHOLDER_NOTE}",
        website="https://www.example.org/",
        is_placeholder=True,
    )

