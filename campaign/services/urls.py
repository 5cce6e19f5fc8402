"""Full links to pages of this site, built from SITE_URL, for emails, badges, feeds, cards and posts."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app


def url_builder() -> Callable[..., str]:
    """A function building full links to this site from SITE_URL; bind once when building many."""
    site = urlsplit(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme or "https")
    return lambda endpoint, **values: adapter.build(endpoint, values, force_external=True)


def absolute_url(endpoint: str, **values) -> str:
    """A full link to a page of this site (works outside a request too)."""
    return url_builder()(endpoint, **values)
