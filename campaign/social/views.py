"""Public views for sharing: the #BackingLancashire wall and the share card pictures."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from flask import abort, current_app, make_response, render_template, request

from campaign.extensions import db
from campaign.formatting import UK
from campaign.http_cache import public_page
from campaign.services.sharing import cards
from campaign.services.x import hashtags
from campaign.social import bp
from campaign.social.sharing import hold_unreviewed

X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
WALL_PAGE_SIZE = 30
CARD_CACHE_SECONDS = 600  # an unversioned card URL is checked again after 10 minutes
VERSIONED_CARD_CACHE_SECONDS = 365 * 24 * 3600  # a URL with the card's hash never changes


@bp.route("/social")
@public_page
def wall():
    """Approved #BackingLancashire posts, newest first, shown as plain text."""
    page = request.args.get("page", 1, type=int)
    total = hashtags.count_approved_hashtag_posts(db.session)
    pages = max(1, -(-total // WALL_PAGE_SIZE))
    if page < 1 or page > pages:
        abort(404)
    posts = hashtags.approved_hashtag_posts(db.session, limit=WALL_PAGE_SIZE, offset=(page - 1) * WALL_PAGE_SIZE)
    account = current_app.config.get("X_ACCOUNT", "").lstrip("@")
    account = account if X_HANDLE.fullmatch(account) else ""  # never a link built from a mistyped setting
    return render_template("social/wall.html", posts=posts, page=page, pages=pages, x_account=account)


def uk_datetime(value: datetime | None) -> str:
    """A time as people in Lancashire read it: 27 March 2026 at 09:30."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _card_response(spec: cards.CardSpec | None, logo: Callable[[], bytes | None] = lambda: None):
    """A card as a PNG, named by its hash: a 304 when the asker has it, drawn only when needed."""
    if spec is None:
        abort(404)
    versioned = request.args.get("v") == spec.key
    seconds = VERSIONED_CARD_CACHE_SECONDS if versioned else CARD_CACHE_SECONDS
    if request.if_none_match.contains(spec.key):
        response = make_response("", 304)
    else:
        response = make_response(cards.png(spec, logo))
        response.headers["Content-Type"] = "image/png"
    response.set_etag(spec.key)
    response.headers["Cache-Control"] = f"public, max-age={seconds}" + (", immutable" if versioned else "")
    return response


@bp.route("/cards/campaign.png")
def campaign_card():
    """The campaign's share card, with its leading headline figure."""
    return _card_response(cards.campaign_card(db.session))


@bp.route("/cards/case-studies/<slug>.png")
def case_study_card(slug: str):
    """A published case study's share card."""
    return _card_response(cards.case_study_card(db.session, slug))


@bp.route("/cards/pledges/<slug>.png")
def organisation_card(slug: str):
    """A live pledge's share card: "<Organisation> is Backing Lancashire"."""
    spec = cards.organisation_card(db.session, slug, hold_unreviewed(current_app.config))
    return _card_response(spec, lambda: cards.load_logo(db.session, spec))
