"""Views for the pledge: each checks its form, calls one service, and renders or redirects."""

from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template, request, url_for

from campaign.channels import send_after_commit
from campaign.extensions import db, limiter
from campaign.formatting import long_date
from campaign.http_cache import per_version, public_page
from campaign.models.common import detached_copies
from campaign.models.pledges import COMMITMENTS
from campaign.pledges import badge, bp
from campaign.pledges.forms import (
    ConfirmForm,
    ManageForm,
    PledgeForm,
    ResendForm,
    ResendLinkForm,
    WallForm,
    WithdrawForm,
)
from campaign.services import urls
from campaign.services.checkins import reports as checkin_reports
from campaign.services.pledges import areas, common, emails, managing, wall
from campaign.services.pledges import signing as pledges
from campaign.social import sharing
from campaign.visitor_cookies import CONFIRMED, EMAILED, SAVED, Note

BADGE_CACHE_SECONDS = 24 * 3600
SAVED_MESSAGES = {
    "review": "Your changes are saved. Staff will check your new statement or logo before it appears on your page.",
    "saved": "Your changes are saved.",
}


def _settings() -> common.Settings:
    return common.Settings.from_config(current_app.config)


def _hold_unreviewed() -> bool:
    """With pre-moderation, changes staff have not yet seen stay off the public pages."""
    return common.hold_unreviewed(current_app.config)


def _pledge_limit() -> str:
    return current_app.config["PLEDGE_RATE_LIMIT"]


def _post_limit() -> str:
    return current_app.config["PLEDGE_POST_RATE_LIMIT"]


def _accepted(response) -> bool:
    """Only a form that went through counts towards the sign-up limit: a typo put right costs nothing."""
    return response.status_code in (302, 303)


def _form_page(response):
    """A page with a form holds a CSRF token for this browser's form cookie: no cache may keep it."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _private(response):
    """Pages reached by a secret link: never cached, indexed, or passed on in a Referer."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _redirect_with_note(note: Note, value, endpoint: str, **values):
    """Post/redirect/get, leaving the next page a note in a cookie only it receives (never the site-wide session)."""
    url = url_for(endpoint, **values)
    return note.leave(redirect(url, 303), value, path=url)


# Signing and confirming


@bp.route("/pledge", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
@limiter.limit(_pledge_limit, methods=["POST"], deduct_when=_accepted)
def sign():
    """The pledge form."""
    form = PledgeForm()
    if form.is_submitted() and form.is_bot():
        # Look exactly like success, store nothing, and say nothing that would teach a bot.
        return redirect(url_for(".check_email"), 303)
    if form.validate_on_submit():
        try:
            result = pledges.sign(db.session, form.submission(), _settings())
        except common.PledgeError as error:
            form.organisation_name.errors.append(str(error))
        else:
            send_after_commit(result.messages)
            return _redirect_with_note(EMAILED, form.contact_email.data, ".check_email")
    status = 400 if form.is_submitted() else 200
    return _form_page(
        (render_template("pledges/sign.html", form=form, wording=common.wording("(your organisation)")), status)
    )


@bp.route("/pledge/check-your-email")
def check_email():
    """Sent: the same page whether the organisation is new or had already signed."""
    return _private(
        render_template("pledges/check_email.html", email=EMAILED.read(), days=_settings().confirm_days)
    )


def _link_problem(state: str, token: str, pledge=None, status: int = 410):
    """Explain an expired, used or unknown link and offer a fresh email."""
    return _private(
        (
            render_template(
                "pledges/link_problem.html",
                state=state,
                pledge=pledge,
                link_form=ResendLinkForm(formdata=None, token=token),
                email_form=ResendForm(formdata=None),
            ),
            404 if state == "unknown" else status,
        )
    )


@bp.route("/pledge/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Opening the link shows a button; only pressing it (a POST) confirms, so mail scanners confirm nothing."""
    form = ConfirmForm()
    if form.validate_on_submit():
        result = pledges.confirm(db.session, token, _settings())
        if result.state == "confirmed":
            send_after_commit(result.messages)
            return _redirect_with_note(CONFIRMED, result.pledge.slug, ".thank_you", slug=result.pledge.slug)
        return _link_problem(result.state, token, result.pledge, 409 if result.state == "taken" else 410)
    link = pledges.check_link(db.session, token)
    if link.state != "valid":
        return _link_problem(link.state, token, link.pledge)
    status = 400 if form.is_submitted() else 200
    return _private(
        (
            render_template(
                "pledges/confirm.html", form=form, pledge=link.pledge, wording=common.wording(link.pledge.organisation_name)
            ),
            status,
        )
    )


@bp.route("/pledge/resend", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
@limiter.limit(_pledge_limit, methods=["POST"], deduct_when=_accepted)
def resend():
    """A fresh confirmation or manage link by email: from an old link, or by email address."""
    if request.method == "POST" and "token" in request.form:
        link_form = ResendLinkForm()
        if not link_form.validate_on_submit():
            abort(400)
        result = pledges.resend_for_link(db.session, link_form.token.data, _settings())
        if result.state == "limited":
            return _private(
                (render_template("pledges/resend_limited.html", limit=emails.FRESH_LINKS_PER_DAY), 429)
            )
        send_after_commit(result.messages)
        return redirect(url_for(".resent"), 303)
    form = ResendForm()
    if form.validate_on_submit():
        # The same answer whether or not the address signed a pledge, so the form reveals nothing.
        send_after_commit(pledges.resend_for_email(db.session, form.email.data, _settings()).messages)
        return _redirect_with_note(EMAILED, form.email.data, ".resent")
    status = 400 if form.is_submitted() else 200
    return _private((render_template("pledges/resend.html", form=form), status))


@bp.route("/pledge/new-link-sent")
def resent():
    """After asking for a fresh link."""
    return _private(render_template("pledges/resent.html", email=EMAILED.read()))


@bp.route("/pledge/thank-you/<slug>")
def thank_you(slug: str):
    """Straight after confirming: what happens next, and an invitation to share."""
    pledge = pledges.thanked_pledge(db.session, slug)
    if pledge is None or CONFIRMED.read() != slug:
        if pledge is not None and pledge.is_live:
            return redirect(url_for(".organisation", slug=slug))
        abort(404)
    # Shares the organisation's page once live, and the campaign while it waits for staff to approve it.
    return _private(render_template("pledges/thank_you.html", pledge=pledge, **sharing.for_thank_you(db.session, pledge)))


# The wall and organisation pages


@bp.route("/pledges", endpoint="wall")
@public_page
def wall_page():
    """Every live pledge: search, filter, sort, and the count by council area."""
    # Checked once per address: what the search and filters say depends on nothing else (their choices are
    # fixed), and the form is only read after that, by the page and by the filters it shows.
    form = per_version(("wall form", request.query_string), _checked_wall_form)
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    context = {"form": form, "commitments": COMMITMENTS, **per_version("wall areas", _wall_areas)}
    if form.errors:
        return render_template("pledges/wall.html", result=None, **context), 400
    query, hold = form.query(page), _hold_unreviewed()
    search_key = ("wall", query, hold)
    result = per_version(search_key, lambda: wall.search(db.session, query, hold))
    if page > result.pages:
        abort(404)
    args = {key: value for key, value in request.args.items() if key != "page" and value and key in form._fields}
    # The rendered results are kept as the results are, and also depend on the query their page links carry.
    results_key = (*search_key, tuple(args.items()))
    return render_template(
        "pledges/wall.html", result=result, query=query, args=args, results_key=results_key, **context
    )


def _checked_wall_form() -> WallForm:
    form = WallForm(request.args)
    form.validate()
    return form


def _wall_areas() -> dict:
    """The wall's counts by area, its map and its total: the same for every visitor until public content changes."""
    counts = wall.area_counts(db.session)
    return {
        "counts": counts,
        "map": wall.area_map(counts),
        "total": sum(count.count for count in counts),
        "demo": any(count.demo for count in counts),
    }


@bp.route("/pledges/<slug>")
@public_page
def organisation(slug: str):
    """One organisation's pledge, with share links and its badge."""
    hold = _hold_unreviewed()
    shown = per_version(("organisation", slug, hold), lambda: _organisation(slug, hold))
    if shown is None:
        abort(404)
    return render_template("pledges/organisation.html", **shown)


def _organisation(slug: str, hold_unreviewed: bool) -> dict | None:
    """What a live pledge's page shows (None if not live): the same for every visitor until public content changes."""
    pledge = wall.organisation(db.session, slug, hold_unreviewed)
    if pledge is None:
        return None
    page_url = urls.absolute_url("pledges.organisation", slug=slug)
    return dict(
        pledge=pledge,
        wording=common.wording(pledge.name),
        **sharing.for_organisation(db.session, slug, [key for key, _ in pledge.commitments]),
        snippet=badge.snippet(page_url, urls.absolute_url("pledges.badge_png", slug=slug), pledge.name),
        badge_size=(badge.WIDTH, badge.HEIGHT),
        reports=detached_copies(checkin_reports.approved_by_slug(db.session, slug)),  # the yearly check-in
    )


@bp.route("/pledges/<slug>/certificate")
@public_page
def certificate(slug: str):
    """A printable certificate of a live pledge: never for one that is pending, hidden or withdrawn."""
    pledge = wall.organisation(db.session, slug, _hold_unreviewed())
    if pledge is None:
        abort(404)
    return render_template(
        "pledges/certificate.html",
        pledge=pledge,
        wording=common.wording(pledge.name),
        page_url=urls.absolute_url("pledges.organisation", slug=slug),
        reported_year=checkin_reports.latest_year_by_slug(db.session, slug),
    )


def _badge_signed(slug: str) -> tuple[str, int | None]:
    """The month the pledge was signed, and the latest year it reported in (for the badge's "reported" mark)."""
    pledge = wall.organisation(db.session, slug, _hold_unreviewed())
    if pledge is None:
        abort(404)
    return long_date(pledge.live_at).split(" ", 1)[1], checkin_reports.latest_year_by_slug(db.session, slug)


def _cached_badge(body, mimetype: str):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = f"public, max-age={BADGE_CACHE_SECONDS}"
    # Other sites embed the badge, so it must be loadable from anywhere.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/pledges/<slug>/badge.svg")
def badge_svg(slug: str):
    """The badge as SVG."""
    signed, reported = _badge_signed(slug)
    svg = render_template("pledges/badge.svg", lines=badge.lines(signed), reported=badge.reported_mark(reported),
                          width=badge.WIDTH, height=badge.HEIGHT)
    response = _cached_badge(svg, "image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    return response


@bp.route("/pledges/<slug>/badge.png")
def badge_png(slug: str):
    """The badge as PNG, for places that cannot show SVG."""
    return _cached_badge(badge.png(*_badge_signed(slug)), "image/png")


# Managing and withdrawing


def _managed(token: str):
    """The pledge a manage link is for, or the page explaining why the link no longer works."""
    link = managing.manage_link(db.session, token, _settings())
    if link.state != "valid":
        return None, _private(
            (render_template("pledges/manage_problem.html", state=link.state, email_form=ResendForm(formdata=None)), 404)
        )
    return link.pledge, None


@bp.route("/pledge/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    """Update the statement, logo and commitments, or go on to withdraw."""
    pledge, problem = _managed(token)
    if problem is not None:
        return problem
    form = ManageForm()
    if not form.is_submitted():
        form.commitments.data = pledge.commitments
        form.statement.data = pledge.statement or ""
    if form.validate_on_submit():
        result = managing.update(
            db.session, pledge, form.statement.data, list(form.commitments.data or []),
            new_logo=form.logo_image, remove_logo=bool(form.remove_logo.data),
        )
        review = result.state == "review" and pledge.status == "live" and _settings().moderation == "pre"
        return _redirect_with_note(SAVED, "review" if review else "saved", ".manage", token=token)
    status = 400 if form.is_submitted() else 200
    saved = SAVED_MESSAGES.get(SAVED.read()) if not form.is_submitted() else None
    response = _private(
        (
            render_template(
                "pledges/manage.html",
                form=form,
                pledge=pledge,
                token=token,
                area=areas.area_name(pledge.area),
                moderation=_settings().moderation,
                saved=saved,
            ),
            status,
        )
    )
    # Shown once, like a flashed message: reloading the page does not say it again.
    return SAVED.clear(response, path=url_for(".manage", token=token)) if saved else response


@bp.route("/pledge/manage/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str):
    """Withdraw the pledge, after a clear yes."""
    pledge, problem = _managed(token)
    if problem is not None:
        return problem
    form = WithdrawForm()
    if form.validate_on_submit():
        managing.withdraw(db.session, pledge)
        return redirect(url_for(".withdrawn"), 303)
    status = 400 if form.is_submitted() else 200
    return _private((render_template("pledges/withdraw.html", form=form, pledge=pledge, token=token), status))


@bp.route("/pledge/withdrawn")
def withdrawn():
    """After withdrawing."""
    return _private(render_template("pledges/withdrawn.html"))
