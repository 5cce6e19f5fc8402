"""Cleaning text people type: control and invisible characters, accents, and the "Ltd" or "plc" after a company's name."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup

# Legal forms that say nothing about which organisation is meant: "Acme Ltd" and "Acme Limited" are one.
COMPANY_SUFFIXES = frozenset({"limited", "ltd", "plc", "llp", "cic"})
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Unicode format characters (category Cf: bidi overrides and isolates, zero-width spaces and joiners,
# soft hyphens, tags). They are invisible, so in public text they only disguise ("Acme \u202egnp.exe\u202c Ltd").
# Outside the first plane they live only in these blocks; checking all 1.1 million code points takes seconds.
_PLANES_WITH_FORMAT_CHARACTERS = (
    range(0x10000), range(0x11000, 0x12000), range(0x13400, 0x13460), range(0x1BC00, 0x1BD00),
    range(0x1D100, 0x1D200), range(0xE0000, 0xE1000),
)
_INVISIBLE = dict.fromkeys(
    code for block in _PLANES_WITH_FORMAT_CHARACTERS for code in block if unicodedata.category(chr(code)) == "Cf"
)
# The same characters, to test for: most text has none, and testing is several times quicker than translating.
_INVISIBLE_CHARACTERS = frozenset(map(chr, _INVISIBLE))


def without_invisibles(text: str | None) -> str | None:
    """Text without Unicode format characters; anything that is not a string passes through unchanged."""
    # Every value a template prints comes through here, whole rendered macros included: keep the common case quick.
    if not isinstance(text, str) or text.isascii() or _INVISIBLE_CHARACTERS.isdisjoint(text):
        return text
    cleaned = text.translate(_INVISIBLE)
    return type(text)(cleaned) if isinstance(text, Markup) else cleaned


def clean_text(text: str | None, multiline: bool = False) -> str:
    """Trim text, drop control and invisible format characters, and keep line breaks only where they belong."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = without_invisibles(_CONTROL_CHARACTERS.sub("", text))
    if not multiline:
        return " ".join(text.split())
    lines = [line.rstrip() for line in text.strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def fold_accents(text: str) -> str:
    """Text with its accents dropped, so "Café" and "Cafe" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def without_company_suffix(words: list[str]) -> list[str]:
    """Lower-case words of a name without the legal forms at its end: ["acme", "ltd"] -> ["acme"]."""
    words = list(words)
    while words and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return words
