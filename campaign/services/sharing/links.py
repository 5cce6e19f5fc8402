"""Share links for campaign pages: plain links to each service's own share page, no trackers.

Each link is an ordinary <a href>: no share-button scripts, widgets or tracking parameters, so
nothing loads from the services until a visitor chooses to share. Text for X is trimmed to fit
X's 280-character limit as X counts it (links count as 23, most non-Latin characters as 2).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from campaign.services.pledges.commitments import signed_sentence

HASHTAG = "BackingLancashire"

X_MAX_LENGTH = 280
X_URL_LENGTH = 23  # every link is shortened to t.co and counted as this many characters
ELLIPSIS = "…"

X_INTENT_URL = "https://x.com/intent/tweet"
LINKEDIN_SHARE_URL = "https://www.linkedin.com/sharing/share-offsite/"
FACEBOOK_SHARE_URL = "https://www.facebook.com/sharer/sharer.php"
WHATSAPP_SHARE_URL = "https://wa.me/"

# X's counting rules (twitter-text v3): these code point ranges weigh 1, everything else 2.
# They cover Latin, Greek, Cyrillic, Hebrew, Arabic and more, plus typographic spaces, dashes,
# curly quotes and primes.
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# Things X may turn into links inside the text, with or without http(s)://, e.g. "acme.co.uk".
_LINKISH = re.compile(
    r"(?:https?://)?(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?::\d+)?(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\")]}’”…"

# Characters that belong to the one before them: cutting just before one would split a letter
# from its accent, or break an emoji sequence.
_JOINERS = {"\u200d", "\u20e3"}


@dataclass(frozen=True)
class ShareLink:
    """One share option: a short machine name, the visible link text and where it goes."""

    name: str
    label: str
    href: str


def _tidy(text: str) -> str:
    """Collapse runs of whitespace and normalise to NFC, the form X counts."""
    return unicodedata.normalize("NFC", " ".join(str(text).split()))


def _char_weight(char: str) -> int:
    """X's weight for one code point: 1 in the light ranges, otherwise 2."""
    code = ord(char)
    return 1 if any(start <= code <= end for start, end in _LIGHT_RANGES) else 2


def _weighted(text: str) -> int:
    """X's weighted length of `text`, with anything link-like inside it counted as a link."""
    text = unicodedata.normalize("NFC", text)
    if "." not in text:
        # No dot, no link: skip the regex, which is the slow part for long text.
        return sum(_char_weight(c) for c in text)
    total = 0
    position = 0
    for match in _LINKISH.finditer(text):
        link = match.group().rstrip(_TRAILING_PUNCTUATION)
        total += sum(_char_weight(c) for c in text[position : match.start()])
        # X counts a link it recognises as 23, but it might not recognise this one (say an
        # unknown top-level domain), so never count less than the text itself. This can only
        # over-count, which keeps us under the limit.
        total += max(X_URL_LENGTH, sum(_char_weight(c) for c in link))
        position = match.start() + len(link)
    total += sum(_char_weight(c) for c in text[position:])
    return total


def x_length(text: str, url: str) -> int:
    """Weighted length X counts for the post our X link builds: text, then the link, then the hashtag."""
    # The intent puts single spaces between the text, the link and "#BackingLancashire".
    text = _tidy(text)
    parts = [_weighted(text)] if text else []
    if url:
        parts.append(X_URL_LENGTH)
    parts.append(_weighted("#" + HASHTAG))
    return sum(parts) + len(parts) - 1


def _splits_cluster(text: str, cut: int) -> bool:
    """True if cutting `text` at `cut` would separate a character from a mark or joiner."""
    if cut <= 0 or cut >= len(text):
        return False
    after, before = text[cut], text[cut - 1]
    return (
        unicodedata.category(after).startswith("M")  # accents and other combining marks
        or after in _JOINERS
        or before in _JOINERS
        or 0xFE00 <= ord(after) <= 0xFE0F  # variation selectors
        or 0xE0020 <= ord(after) <= 0xE007F  # tag characters (e.g. the Welsh flag)
        or 0x1F3FB <= ord(after) <= 0x1F3FF  # skin tone modifiers
    )


def fit_for_x(text: str, url: str) -> str:
    """Trim `text` on a word boundary, adding "…", so text, link and hashtag fit in one X post."""
    text = _tidy(text)
    if x_length(text, url) <= X_MAX_LENGTH:
        return text

    def fits(cut: int) -> bool:
        return x_length(text[:cut].rstrip() + ELLIPSIS, url) <= X_MAX_LENGTH

    # Every code point weighs at least 1 and the ellipsis at least 1 more, so no prefix longer
    # than the room left beside the link and hashtag can fit. Starting there keeps the search
    # short however long the input is.
    room = X_MAX_LENGTH - x_length("", url) - 1  # less the space before the link
    limit = max(min(len(text), room - 1), 0)

    hard_cut = next(
        (cut for cut in range(limit, 0, -1) if not _splits_cluster(text, cut) and fits(cut)),
        0,
    )
    word_cut = next(
        (cut for cut in range(hard_cut, 0, -1) if cut < len(text) and text[cut] == " " and fits(cut)),
        0,
    )
    # Prefer ending on a whole word, unless that throws away most of the room, as with one
    # very long word at the start.
    cut = word_cut if word_cut >= hard_cut * 0.6 else hard_cut
    trimmed = text[:cut].rstrip(" ,;:-–—")
    return trimmed + ELLIPSIS if trimmed else ""


def _require_absolute_url(url: str) -> None:
    """Refuse relative or non-web URLs, which would make every share link useless."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"Share links need an absolute http(s) URL, not {url!r}")


def _query(params: dict[str, str]) -> str:
    """Build a query string with every reserved character percent-encoded and spaces as %20."""
    return "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items())


def share_links(url: str, text: str, title: str) -> list[ShareLink]:
    """Links to share `url` on X, LinkedIn, Facebook, WhatsApp and by email."""
    _require_absolute_url(url)
    text = _tidy(text)
    title = _tidy(title)
    return [
        ShareLink(
            name="x",
            label="Share on X",
            # The hashtag goes in its own parameter, so the text never carries it and X never
            # shows it twice.
            href=X_INTENT_URL + "?" + _query({"text": fit_for_x(text, url), "url": url, "hashtags": HASHTAG}),
        ),
        ShareLink(
            name="linkedin",
            label="Share on LinkedIn",
            # LinkedIn only takes the URL; it reads the title and summary from the page itself.
            href=LINKEDIN_SHARE_URL + "?" + _query({"url": url}),
        ),
        ShareLink(
            name="facebook",
            label="Share on Facebook",
            href=FACEBOOK_SHARE_URL + "?" + _query({"u": url}),
        ),
        ShareLink(
            name="whatsapp",
            label="Share on WhatsApp",
            href=WHATSAPP_SHARE_URL + "?" + _query({"text": f"{text} #{HASHTAG}\n{url}"}),
        ),
        ShareLink(
            name="email",
            label="Share by email",
            # RFC 6068: percent-encode everything (so spaces are %20, never +) and write line
            # breaks in the body as %0D%0A.
            href="mailto:?" + _query({"subject": title, "body": f"{text}\r\n\r\n{url}"}),
        ),
    ]


def _require_text(value: str, what: str) -> str:
    """Tidy a piece of text for a share message, refusing it if blank."""
    value = _tidy(value)
    if not value:
        raise ValueError(f"A share message needs a {what}.")
    return value


def campaign_share_text() -> str:
    """What people say when they share the campaign itself."""
    return (
        "Spending locally, paying fairly and creating local jobs keeps Lancashire's communities "
        "strong and safe. Find out how your organisation can sign the Backing Lancashire pledge."
    )


def pledge_share_text(organisation_name: str, commitments: Iterable[str] = ()) -> str:
    """What people say when they share an organisation's signed pledge: only what it committed to."""
    name = _require_text(organisation_name, "organisation name")
    return signed_sentence(name, commitments)


def figures_share_text(headline: str) -> str:
    """What people say when they share one of the campaign's headline figures."""
    headline = _require_text(headline, "headline")
    if not headline.endswith((".", "!", "?")):
        headline += "."
    return (
        f"{headline} See how organisations across Lancashire are spending locally, paying fairly "
        "and creating local jobs."
    )


def case_study_share_text(title: str) -> str:
    """What people say when they share a case study."""
    title = _require_text(title, "title")
    return f"Read “{title}”, a Backing Lancashire story about spending locally, paying fairly and creating local jobs."
