"""Views for the check-in: each checks its form, calls one service, and renders or redirects."""

from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template, request, url_for

import campaign.services.checkins as checkins
from campaign.channels import send_after_commit
from campaign.checkins import bp
from campaign.checkins.forms import NewLinkForm, ReportForm, StopForm
from campaign.extensions import csrf, db, limiter
from campaign.keys import signing_keys
from campaign.services.checkins import invitations, reports
from campaign.visitor_cookies import CHECKED_IN


def _limit() -> str:
    return current_app.config["PLEDGE_RATE_LIMIT"]


def _private(response, status: int = 200):
    """Pages reached by a secret link: never cached, indexed, or passed on in a Referer."""
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_problem(state: str, token: str):
    """An expired, used or unknown link: say so, with a 4xx, and offer a fresh link."""
    status = 404 if state == "unknown" else 410
    body = render_template("checkins/link_problem.html", state=state, form=NewLinkForm(formdata=None, token=token))
    return _private(body, status)


@bp.route("/check-in/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def report(token: str):
    """The yearly report form, opened from the emailed link; only sending it uses the link up."""
    now = checkins.now()
    link = reports.check_link(db.session, token, now)
    if link.state != "valid":
        return _link_problem(link.state, token)
    form = ReportForm()
    if form.validate_on_submit():
        saved = reports.submit(db.session, token, form.values(), now, current_app.config["STAFF_NOTIFY_EMAIL"])
        if saved.state != "saved":
            return _link_problem(saved.state, token)
        send_after_commit(saved.messages)
        # The year for the thank-you page, in a cookie only that page receives: never the site-wide session.
        thanks = url_for(".thank_you")
        return CHECKED_IN.leave(redirect(thanks, 303), saved.report.year, path=thanks)
    pledge = link.pledge
    year = reports.check_in_year(db.session, pledge, now)
    stop = url_for(".stop", token=invitations.stop_token(pledge, signing_keys(current_app.config)))
    status = 400 if form.is_submitted() else 200
    return _private(render_template("checkins/report.html", form=form, pledge=pledge, year=year, stop_url=stop), status)


@bp.route("/check-in/thank-you")
def thank_you():
    """After sending a report."""
    return _private(render_template("checkins/thank_you.html", year=CHECKED_IN.read()))


@bp.route("/check-in/new-link", methods=["POST"])
@limiter.limit(_limit)
def new_link():
    """Email a fresh check-in link to the pledge's address, from an expired or used one."""
    form = NewLinkForm()
    if not form.validate_on_submit():
        abort(400)
    link = reports.check_link(db.session, form.token.data or "", checkins.now())
    if link.state in ("expired", "used"):
        message = invitations.fresh_link(db.session, link.pledge, signing_keys(current_app.config), checkins.now())
        if message is not None:
            send_after_commit([message])
    # The same answer whatever happened, so the form reveals nothing about the link.
    return _private(render_template("checkins/link_sent.html"))


@bp.route("/check-in/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail programs send RFC 8058's one-click POST with no token; the signed link is the proof
@limiter.limit(_limit, methods=["POST"])
def stop(token: str):
    """Stop check-in emails: a button on the page, or the mail program's one-click unsubscribe."""
    pledge = invitations.check_stop(db.session, token, signing_keys(current_app.config))
    if pledge is None:
        return _private(render_template("checkins/stop.html", state="unknown", form=None), 404)
    if request.method == "POST":
        invitations.unsubscribe(db.session, pledge, checkins.now())
        return _private(render_template("checkins/stop.html", state="stopped", form=None))
    return _private(render_template("checkins/stop.html", state="ask", form=StopForm(), pledge=pledge))
