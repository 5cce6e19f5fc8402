"""The keys the site signs with: SECRET_KEY for everything new, and earlier keys still accepted.

Rotating SECRET_KEY must not break what the old one signed and people still hold: manage links and
unsubscribe links in emails already sent, forms open in a browser, a staff session. Set the old key
in SECRET_KEY_FALLBACKS (Flask 3.1 reads it for sessions) and every signature made here is checked
against it too, until it is dropped. itsdangerous signs with the last key of a list and accepts any.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def signing_keys(config: Mapping[str, Any]) -> list[str]:
    """Every fallback key, oldest first, then SECRET_KEY, which signs."""
    return [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]
