"""Markdown written by staff, rendered on the server and sanitised before it reaches a page."""

from __future__ import annotations

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "ul", "ol", "li", "blockquote", "a", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def render(text: str | None) -> Markup:
    """Markdown to safe HTML: no script, iframe, style or event-handler attributes survive.

    Headings start at h2, because every page already has its own h1.
    """
    html = md.markdown(text or "", extensions=["sane_lists", "tables"], output_format="html")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 (nh3 has just removed every tag and attribute not allowed)
