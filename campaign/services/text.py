"""Cleaning text people type: control characters, accents, and the "Ltd" or "plc" after a company's name."""

from __future__ import annotations

import re
import unicodedata

# Legal forms that say nothing about which organisation is meant: "Acme Ltd" and "Acme Limited" are one.
COMPANY_SUFFIXES = frozenset({"limited", "ltd", "plc", "llp", "cic"})
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str | None, multiline: bool = False) -> str:
    """Trim text, drop control characters, and keep line breaks only where they belong."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARACTERS.sub("", text)
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
