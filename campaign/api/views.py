"""Views for the open data files: anyone may fetch them, from any site, and reuse them under the licence."""

from __future__ import annotations

import json

from flask import current_app, make_response, render_template, request

from campaign.api import bp
from campaign.extensions import db
from campaign.http_cache import public_page
from campaign.models.common import utcnow
from campaign.models.pledges import COMMITMENTS
from campaign.services.pledges import areas, wall
from campaign.social.sharing import hold_unreviewed

CACHE_SECONDS = 300


def _open_data(body: str, mimetype: str, filename: str | None = None):
    """A file other sites may fetch from the browser, cached for a few minutes."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.add_etag()
    return response.make_conditional(request)


def _records() -> list[dict]:
    return wall.open_records(db.session, hold_unreviewed(current_app.config))


@bp.route("/pledges.csv")
@public_page
def pledges_csv():
    """Every live pledge's public fields as CSV."""
    return _open_data(wall.csv_text(_records()), "text/csv", "backing-lancashire-pledges.csv")


@bp.route("/api/pledges.json")
@public_page
def pledges_json():
    """Every live pledge's public fields as JSON."""
    records = _records()
    document = {
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "licence": wall.LICENCE,
        "licence_url": wall.LICENCE_URL,
        "count": len(records),
        "pledges": records,
    }
    return _open_data(json.dumps(document, ensure_ascii=False), "application/json")


@bp.route("/api/figures.json")
@public_page
def figures_json():
    """The headline figures with their sources and dates, and live pledge counts, as JSON."""
    return _open_data(json.dumps(wall.figures_document(db.session, utcnow()), ensure_ascii=False), "application/json")


@bp.route("/open-data")
@public_page
def open_data():
    """What the open data files hold and how to use them."""
    return render_template(
        "api/open_data.html",
        csv_fields=wall.CSV_FIELDS,
        commitments=COMMITMENTS,
        areas=areas.AREAS,
        licence=wall.LICENCE,
        licence_url=wall.LICENCE_URL,
        cache_seconds=CACHE_SECONDS,
    )
