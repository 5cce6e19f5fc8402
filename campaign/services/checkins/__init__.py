"""The yearly check-in: invitations on each pledge's anniversary, the reports organisations send, and their figures."""

from datetime import datetime

from campaign.models.common import utcnow


def now() -> datetime:
    """The time the check-in rules run at: views, commands and admin read it here, so tests can fix it."""
    return utcnow()
