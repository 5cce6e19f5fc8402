"""What an organisation committed to, in words: the one place share text, posts and cards take it from.

An organisation ticks the commitments it makes (models/pledges.py COMMITMENTS). Anything that
speaks for it in public (share text, og:description, the X welcome draft, its share card) says
only those, never the campaign's whole list.
"""

from __future__ import annotations

from collections.abc import Iterable

from campaign.models.pledges import COMMITMENTS

# As a verb phrase after "committing to"; {their} is "its", "their" or "our" for who is speaking.
PHRASES = {
    "local_suppliers": "buy from Lancashire suppliers",
    "living_wage": "pay the real Living Wage",
    "local_jobs": "create local jobs and apprenticeships",
    "environment": "reduce {their} environmental impact",
    "vcse": "support the voluntary and community sector",
}
# A word or two each, for the footer of a share card.
SHORT = {
    "local_suppliers": "Local suppliers",
    "living_wage": "Real Living Wage",
    "local_jobs": "Local jobs",
    "environment": "Environment",
    "vcse": "Community sector",
}


def chosen(keys: Iterable[str]) -> list[str]:
    """The known commitments among `keys`, in the pledge's own order."""
    wanted = set(keys)
    return [key for key in COMMITMENTS if key in wanted]


def join_words(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def commitment_phrase(keys: Iterable[str], their: str = "its") -> str:
    """"buy from Lancashire suppliers and pay the real Living Wage", or "" when none were ticked."""
    return join_words([PHRASES[key].format(their=their) for key in chosen(keys)])


def signed_sentence(subject: str, keys: Iterable[str], verb: str = "has", their: str = "its") -> str:
    """"Acme has signed the Backing Lancashire pledge, committing to …." saying only what was ticked."""
    phrase = commitment_phrase(keys, their)
    return f"{subject} {verb} signed the Backing Lancashire pledge" + (f", committing to {phrase}." if phrase else ".")


def card_footer(keys: Iterable[str]) -> str:
    """The commitments in a few words each ("Local suppliers · Real Living Wage"), or "" when none."""
    return " · ".join(SHORT[key] for key in chosen(keys))
