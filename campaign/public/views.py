"""Views for the public pages. Each asks a service for its data and renders a template."""

from __future__ import annotations

from flask import abort, current_app, jsonify, make_response, render_template, request
from sqlalchemy import text

from campaign.extensions import db
from campaign.http_cache import public_page
from campaign.models import StoredImage
from campaign.public import bp
from campaign.services.content import published as content
from campaign.services.content.seed import PLEDGE_SOURCE, PLEDGE_WORDING
from campaign.services.figures import headline as figures
from campaign.services.pledges import common as pledge_rules
from campaign.services.pledges import wall
from campaign.services.x import hashtags
from campaign.social import sharing


@bp.route("/")
@public_page
def home():
    """The campaign's front page."""
    return render_template(
        "public/home.html",
        figures=figures.headline(db.session),
        pledge_wording=PLEDGE_WORDING.format(organisation="(your organisation)"),
        pledge_source=PLEDGE_SOURCE,
        quotes=content.supplier_quotes(db.session),
        case_studies=content.published_case_studies(db.session),
        hashtag_posts=hashtags.approved_hashtag_posts(db.session, limit=3),
        wall=wall.summary(db.session, pledge_rules.hold_unreviewed(current_app.config)),
        **sharing.for_home(db.session),
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
    years = figures.yearly_spend(db.session)
    shown = figures.headline(db.session)
    return render_template(
        "public/figures.html",
        figures=shown,
        years=years,
        chart=content.spend_chart(years),
        **sharing.for_figures(db.session, shown),
    )


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


@bp.route("/images/<int:image_id>")
def image(image_id: int):
    """An uploaded image from the database, cached for a long time (its content never changes)."""
    stored = db.session.get(StoredImage, image_id)
    if stored is None:
        abort(404)
    response = make_response(stored.data)
    response.headers["Content-Type"] = stored.mime_type
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.set_etag(stored.sha256)
    return response.make_conditional(request)
