"""Tests for share links: each link decodes back to exactly what we meant, and X's text always fits."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.services.sharing.links import (
    HASHTAG,
    ShareLink,
    campaign_share_text,
    case_study_share_text,
    figures_share_text,
    fit_for_x,
    pledge_share_text,
    share_links,
    x_length,
)

URL = "https://backinglancashire.example/pledges/acme-widgets-ltd?from=list&page=2"
LINK_AND_HASHTAG = 1 + 23 + 1 + len("#" + HASHTAG)  # " <link> #BackingLancashire" as X counts it

NAMES = [
    "Acme Widgets Ltd",
    "A" * 300,
    " ".join(["Lancashire"] * 28)[:300],  # 300 characters of real words
    'Fish & Chips "Best" Ltd <b>bold</b>',
    "O'Reilly’s Café + Bar = 100% #1?",
    "Caffi’r Ŵyl – Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch Cyf",
    "Zakład Piekarniczy Łódź – Świętokrzyska Spółka z ograniczoną odpowiedzialnością",
    "🏴󠁧󠁢󠁷󠁬󠁳󠁿 Cymru 😀 👨‍👩‍👧‍👦 Family Bakery 🥧" * 6,
    "株式会社ランカシャー" * 20,
    "Acme.co.uk Trading Ltd",
    "Line\nbreaks\tand   spaces",
    "Cafe\u0301 decomposed e-acute " * 12,
]


def _reference_length(text: str) -> int:
    """X's weighted length, worked out independently: 1 for the light ranges, 2 for the rest."""
    light = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
    text = unicodedata.normalize("NFC", text)
    return sum(1 if any(a <= ord(c) <= b for a, b in light) else 2 for c in text)


def _links(url: str, text: str, title: str) -> dict[str, ShareLink]:
    return {link.name: link for link in share_links(url, text, title)}


def _params(href: str) -> dict[str, str]:
    """Decode a link's query string, insisting each parameter appears exactly once."""
    parsed = parse_qs(urlsplit(href).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), parsed
    return {key: values[0] for key, values in parsed.items()}


def _mailto_params(href: str) -> dict[str, str]:
    """Decode a mailto: link the way a mail client does (RFC 6068: %20 for spaces, + is literal)."""
    assert href.startswith("mailto:?")
    pairs = [pair.split("=", 1) for pair in href[len("mailto:?") :].split("&")]
    return {key: unquote(value) for key, value in pairs}


def _assert_safe_href(href: str) -> None:
    """Everything outside plain ASCII URL characters is percent-encoded, and spaces never become +."""
    assert href.isascii()
    assert re.fullmatch(r"[A-Za-z0-9\-._~:/?&=%]+", href), href
    assert " " not in href and "+" not in href


# --- the links -------------------------------------------------------------------------------


def test_services_labels_and_order() -> None:
    links = share_links(URL, pledge_share_text("Acme"), "Acme has signed")
    assert [(link.name, link.label) for link in links] == [
        ("x", "Share on X"),
        ("linkedin", "Share on LinkedIn"),
        ("facebook", "Share on Facebook"),
        ("whatsapp", "Share on WhatsApp"),
        ("email", "Share by email"),
    ]


def test_x_link_decodes_to_text_url_and_hashtag() -> None:
    text = pledge_share_text("Acme Widgets Ltd")
    href = _links(URL, text, "Acme")["x"].href
    parts = urlsplit(href)

    assert (parts.scheme, parts.netloc, parts.path) == ("https", "x.com", "/intent/tweet")
    assert _params(href) == {"text": text, "url": URL, "hashtags": HASHTAG}
    # The hashtag comes from its own parameter, so the text must not repeat it.
    assert "#" + HASHTAG not in _params(href)["text"]
    _assert_safe_href(href)


def test_linkedin_and_facebook_carry_only_the_url() -> None:
    links = _links(URL, "Some text", "A title")

    linkedin = urlsplit(links["linkedin"].href)
    assert (linkedin.scheme, linkedin.netloc, linkedin.path) == ("https", "www.linkedin.com", "/sharing/share-offsite/")
    assert _params(links["linkedin"].href) == {"url": URL}

    facebook = urlsplit(links["facebook"].href)
    assert (facebook.scheme, facebook.netloc, facebook.path) == ("https", "www.facebook.com", "/sharer/sharer.php")
    assert _params(links["facebook"].href) == {"u": URL}


def test_whatsapp_link_has_text_hashtag_and_url() -> None:
    href = _links(URL, "We're backing Lancashire & proud", "t")["whatsapp"].href
    assert href.startswith("https://wa.me/?text=")
    assert _params(href) == {"text": f"We're backing Lancashire & proud #{HASHTAG}\n{URL}"}
    _assert_safe_href(href)


def test_mailto_link_is_well_formed() -> None:
    title = "Acme & Sons have signed the Backing Lancashire pledge"
    text = "Good news: Acme & Sons = local + fair?"
    href = _links(URL, text, title)["email"].href

    assert href.startswith("mailto:?subject=")
    assert _mailto_params(href) == {"subject": title, "body": f"{text}\r\n\r\n{URL}"}
    assert "%20" in href and "%0D%0A%0D%0A" in href
    _assert_safe_href(href)


def test_no_tracking_parameters_or_scripts() -> None:
    for link in share_links(URL, "text", "title"):
        assert "utm_" not in link.href.replace(URL, "")
        assert not link.href.lower().startswith("javascript:")
    # The page's own URL is passed through untouched, its query string included.
    assert _params(_links(URL, "t", "t")["facebook"].href)["u"] == URL


@pytest.mark.parametrize("url", ["/pledges/acme", "pledges/acme", "javascript:alert(1)", "ftp://example.org/x", ""])
def test_relative_or_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        share_links(url, "text", "title")


@pytest.mark.parametrize("name", NAMES)
def test_every_link_round_trips_and_x_fits(name: str) -> None:
    text = pledge_share_text(name)
    title = f"{name} has signed the Backing Lancashire pledge"
    links = _links(URL, text, title)
    tidy_text = unicodedata.normalize("NFC", " ".join(text.split()))
    tidy_title = unicodedata.normalize("NFC", " ".join(title.split()))

    for link in links.values():
        _assert_safe_href(link.href)

    x = _params(links["x"].href)
    assert x["url"] == URL and x["hashtags"] == HASHTAG
    assert x_length(x["text"], URL) <= 280
    if "." not in name:  # no link-like text, so the independent count applies exactly
        assert _reference_length(x["text"]) + LINK_AND_HASHTAG <= 280
    if x["text"] != tidy_text:
        assert x["text"].endswith("…")
        assert tidy_text.startswith(x["text"][:-1])

    assert _params(links["whatsapp"].href)["text"] == f"{tidy_text} #{HASHTAG}\n{URL}"
    assert _mailto_params(links["email"].href) == {"subject": tidy_title, "body": f"{tidy_text}\r\n\r\n{URL}"}


# --- X's counting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("", 0),
        ("a" * 10, 10),
        ("Łódź Ŵyl ŷ", 10),  # Latin Extended: 1 each
        ("’“”–—", 5),  # curly quotes and dashes: 1 each
        ("…", 2),  # the ellipsis is outside X's light ranges
        ("株式会社", 8),
        ("😀", 2),
        ("e\u0301", 1),  # counted after NFC, like X
        ("see acme.co.uk", 4 + 23),  # bare domains become links
        ("https://example.org/a/very/long/path/that/goes/on/and/on", 56),  # never less than itself
        ("end.", 4),
    ],
)
def test_x_length_weights(text: str, weight: int) -> None:
    separator = 1 if text else 0
    assert x_length(text, URL) == weight + separator + 23 + 1 + len("#" + HASHTAG)


def test_x_length_counts_any_url_as_23() -> None:
    assert x_length("hi", "https://x.example/" + "p" * 200) == x_length("hi", "https://a.example/")


def test_short_text_is_left_alone() -> None:
    text = pledge_share_text("Acme Widgets Ltd")
    assert fit_for_x(text, URL) == text


def test_text_exactly_at_the_limit_is_kept() -> None:
    room = 280 - LINK_AND_HASHTAG
    exact = "a" * room
    assert x_length(exact, URL) == 280
    assert fit_for_x(exact, URL) == exact


def test_one_over_the_limit_is_trimmed() -> None:
    room = 280 - LINK_AND_HASHTAG
    trimmed = fit_for_x("a" * (room + 1), URL)
    # One long word: cut mid-word, leaving room for the two-unit ellipsis.
    assert trimmed == "a" * (room - 2) + "…"
    assert x_length(trimmed, URL) == 280


def test_trims_on_a_word_boundary() -> None:
    text = " ".join(f"word{n:03d}" for n in range(60))
    trimmed = fit_for_x(text, URL)

    assert trimmed.endswith("…") and not trimmed.endswith(" …")
    kept = trimmed[:-1]
    assert text.startswith(kept)
    assert text[len(kept)] == " "  # cut between words, not inside one
    assert x_length(trimmed, URL) <= 280
    # And it keeps as many whole words as fit.
    next_word = text[len(kept) :].split()[0]
    assert x_length(f"{kept} {next_word}…", URL) > 280


def test_trailing_punctuation_is_dropped_before_the_ellipsis() -> None:
    text = "a" * 220 + " locally, " + "c" * 30
    trimmed = fit_for_x(text, URL)
    assert trimmed == "a" * 220 + " locally…"


def test_emoji_sequences_are_not_split() -> None:
    flag = "🏴󠁧󠁢󠁷󠁬󠁳󠁿"  # Welsh flag: a black flag plus six tag characters
    trimmed = fit_for_x(flag * 60, URL)
    kept = trimmed[:-1]
    assert kept and len(kept) % len(flag) == 0 and kept == flag * (len(kept) // len(flag))
    assert x_length(trimmed, URL) <= 280


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=400))
def test_fit_for_x_always_fits(text: str) -> None:
    fitted = fit_for_x(text, URL)
    tidy = unicodedata.normalize("NFC", " ".join(text.split()))
    assert x_length(fitted, URL) <= 280
    if x_length(tidy, URL) <= 280:
        assert fitted == tidy
    else:
        assert fitted.endswith("…")


@settings(max_examples=150, deadline=None, database=None)
@given(st.text(min_size=1, max_size=300).filter(lambda s: s.strip()))
def test_links_round_trip_for_any_text(text: str) -> None:
    links = _links(URL, text, text)
    tidy = unicodedata.normalize("NFC", " ".join(text.split()))
    for link in links.values():
        _assert_safe_href(link.href)
    assert _params(links["x"].href)["text"] == fit_for_x(text, URL)
    assert _mailto_params(links["email"].href) == {"subject": tidy, "body": f"{tidy}\r\n\r\n{URL}"}


# --- the share texts -------------------------------------------------------------------------


def test_pledge_text() -> None:
    text = pledge_share_text("  Preston   Bakery\n")
    # Issue 12: with nothing ticked, it claims no commitment at all (it once claimed all three).
    assert text == "Preston Bakery has signed the Backing Lancashire pledge."


def test_campaign_text_is_plain_british_english() -> None:
    text = campaign_share_text()
    assert "organisation" in text and "organization" not in text
    assert "Backing Lancashire" in text


def test_figures_text_punctuates_the_headline() -> None:
    assert figures_share_text("£2.4m spent with Lancashire suppliers").startswith(
        "£2.4m spent with Lancashire suppliers. See how"
    )
    assert figures_share_text("Over 300 local jobs created!").startswith("Over 300 local jobs created! See how")


def test_case_study_text_quotes_the_title() -> None:
    assert case_study_share_text("From Preston, for Preston").startswith("Read “From Preston, for Preston”,")


@pytest.mark.parametrize(
    "text",
    [
        campaign_share_text(),
        pledge_share_text("Acme"),
        figures_share_text("£2.4m spent locally"),
        case_study_share_text("A title"),
    ],
)
def test_share_texts_leave_the_hashtag_to_the_link(text: str) -> None:
    assert "#" not in text
    assert x_length(text, URL) <= 280


@pytest.mark.parametrize("make", [pledge_share_text, figures_share_text, case_study_share_text])
def test_blank_input_is_refused(make) -> None:
    with pytest.raises(ValueError):
        make("  \n ")
