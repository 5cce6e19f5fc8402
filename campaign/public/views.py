"""Views for the public pages. Each asks a service for its data and renders a template."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app, jsonify, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import text

from campaign.extensions import db
from campaign.formatting import UK
from campaign.http_cache import per_version, public_page
from campaign.models.common import detached_copies
from campaign.models.spend import SCOPE_REASONS
from campaign.public import bp
from campaign.services import images
from campaign.services.checkins import figures as checkin_figures
from campaign.services.content import published as content
from campaign.services.content.seed import PLEDGE_SOURCE, PLEDGE_WORDING
from campaign.services.figures import headline as figures
from campaign.services.pledges import common as pledge_rules
from campaign.services.pledges import wall
from campaign.services.pledges.common import hold_unreviewed
from campaign.services.spend import coverage
from campaign.services.x import hashtags
from campaign.social import sharing

IMAGE_CACHE_SECONDS = 300  # 5 minutes: how long a removed image may stay in a cache


@bp.route("/")
@public_page
def home():
    """The campaign's front page."""
    hold = pledge_rules.hold_unreviewed(current_app.config)
    key = ("home", hold)
    return render_template("public/home.html", content_key=key, **per_version(key, lambda: _home(hold)))


def _home(hold_unreviewed: bool) -> dict:
    """What the front page shows: the same for every visitor until public content changes."""
    shown = figures.headline(db.session)
    return dict(
        figures=shown,
        pledge_wording=PLEDGE_WORDING.format(organisation="(your organisation)"),
        pledge_source=PLEDGE_SOURCE,
        quotes=detached_copies(content.supplier_quotes(db.session)),
        case_studies=detached_copies(content.published_case_studies(db.session)),
        hashtag_posts=detached_copies(hashtags.approved_hashtag_posts(db.session, limit=3)),
        wall=wall.summary(db.session, hold_unreviewed),
        **sharing.for_home(db.session, shown),
    )


@bp.route("/about")
@public_page
def about():
    """The Commissioner's Social Value Policy, explained for a business reader."""
    return render_template("public/about.html")


@bp.route("/case-studies")
@public_page
def case_studies():
    """Every published case study."""
    return render_template("public/case_studies.html", case_studies=content.published_case_studies(db.session))


@bp.route("/case-studies/<slug>")
@public_page
def case_study(slug: str):
    """One case study, with its quotes."""
    study = content.published_case_study(db.session, slug)
    if study is None:
        abort(404)
    return render_template(
        "public/case_study.html", study=study, body=content.case_study_body(study),
        **sharing.for_case_study(db.session, study),
    )


@bp.route("/figures")
@public_page
def figures_page():
    """Every headline figure with its source, and spend year by year."""
    newer, checked_on = current_app.config["FIGURES_NEWER_PUBLISHED"], current_app.config["FIGURES_CHECKED_ON"]
    key = ("figures", newer, checked_on)
    return render_template(
        "public/figures.html",
        # The page cache keeps a copy for one UK day at most, so the printed date stays true.
        printed_on=datetime.now(UK).date(),
        content_key=key,
        **per_version(key, lambda: _figures(newer, checked_on)),
    )


def _figures(newer_published: bool, checked_on: date | None) -> dict:
    """What the figures page shows: the same for every visitor until public content changes."""
    years = detached_copies(figures.yearly_spend(db.session))
    shown = figures.headline(db.session)
    computed = detached_copies(coverage.approved_years(db.session))
    return dict(
        figures=shown,
        years=years,
        charts=content.spend_charts(years),
        sources=figures.sources(shown, years),
        status=figures.status(db.session, newer_published, checked_on, years, computed),
        computed_spend=computed,
        scope_reasons=SCOPE_REASONS,
        self_reported=checkin_figures.self_reported(db.session),  # kept apart from the OPCC's own figures
        **sharing.for_figures(db.session, shown),
    )


@bp.route("/figures/method")
@public_page
def figures_method():
    """How the computed spend figures are worked out, in plain English."""
    return render_template("public/figures_method.html", reasons=SCOPE_REASONS)


@bp.route("/privacy")
@public_page
def privacy():
    """The privacy notice."""
    return render_template("public/privacy.html")


@bp.route("/accessibility")
@public_page
def accessibility():
    """The accessibility statement."""
    return render_template("public/accessibility.html")


@bp.route("/cookies")
@public_page
def cookies():
    """The cookies the site sets: essential ones only."""
    return render_template("public/cookies.html")


@bp.route("/healthz")
def healthz():
    """For load balancers: 200 when the app can reach its database."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok", database="ok")


@bp.route("/images/<token>")
def image(token: str):
    """An uploaded image that a public page shows; staff also see ones waiting for review. Anything else: 404."""
    stored = images.by_token(db.session, token)
    if stored is None:
        abort(404)
    if images.is_public(db.session, stored, hold_unreviewed(current_app.config)):
        # Short, so a hidden pledge's or removed logo leaves caches within minutes; the ETag keeps rechecks cheap.
        cache_control = f"public, max-age={IMAGE_CACHE_SECONDS}"
    elif current_user.is_authenticated:
        cache_control = "no-store, private"
    else:
        abort(404)
    response = make_response(stored.data)
    response.headers["Content-Type"] = stored.mime_type
    response.headers["Cache-Control"] = cache_control
    response.set_etag(stored.sha256)
    return response.make_conditional(request)
