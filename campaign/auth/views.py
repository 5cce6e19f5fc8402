"""Sign-in, sign-out, and the rules that keep staff sessions safe."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from campaign.auth import bp
from campaign.auth.forms import SignInForm
from campaign.extensions import db, limiter, login_manager
from campaign.models.common import utcnow
from campaign.services import staff

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to use the staff area."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str):
    """Find the signed-in staff member from the session."""
    return staff.load_session_user(db.session, session_id)


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _account_key() -> str:
    """Rate-limit key for the account being tried, so one account cannot be hammered from many addresses."""
    return "account:" + staff.normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    """Only failed attempts count towards the sign-in limits."""
    return response.status_code != 302


def _known_place() -> bool:
    """Places the account has signed in from before skip the per-account limit, so strangers cannot use it up."""
    return staff.is_known_source(db.session, request.form.get("email", "")[:254], request.remote_addr)


def safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site: never to another host or scheme."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def admin_required(view):
    """Only admins may use this view; editors get a 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _expired(now: int) -> str | None:
    """Why a staff session must end now: idle too long, or older than STAFF_SESSION_HOURS however busy."""
    config = current_app.config
    if now - session.get("last_seen", now) > config["PERMANENT_SESSION_LIFETIME"]:
        return "You were signed out after 30 minutes without activity. Sign in again to carry on."
    # A session without a sign-in time (say, one restored from a remember-me cookie) counts as expired.
    if now - session.get("signed_in_at", 0) > config["STAFF_SESSION_HOURS"] * 3600:
        return f"You were signed out because you signed in more than {config['STAFF_SESSION_HOURS']} hours ago. Sign in again to carry on."
    return None


@bp.before_app_request
def expire_staff_session():
    """End staff sessions that are idle or too old, checked on the server as well as by the cookie."""
    # current_user first: loading it is what turns a remember-me cookie into a session.
    if not current_user.is_authenticated or "_user_id" not in session:
        return None
    now = int(utcnow().timestamp())
    reason = _expired(now)
    if reason is not None:
        logout_user()
        session.clear()
        flash(reason, "info")
        return redirect(url_for("auth.sign_in", next=request.path if request.method == "GET" else None))
    session["last_seen"] = now
    return None


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed, exempt_when=_known_place)
def sign_in():
    """Ask for an email and password, then start a fresh session."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard") if "admin.dashboard" in current_app.view_functions else url_for("public.home"))
    form = SignInForm()
    if form.validate_on_submit():
        result = staff.authenticate(db.session, form.email.data, form.password.data, address=request.remote_addr)
        if result.user is not None:
            # Renew the session so an identifier planted before sign-in is worthless after it.
            session.clear()
            login_user(result.user, remember=False)
            session.permanent = True
            session["signed_in_at"] = session["last_seen"] = int(utcnow().timestamp())
            flash(f"Signed in as {result.user.name}.", "success")
            destination = safe_next(request.args.get("next"))
            if destination is None:
                destination = url_for("admin.dashboard") if "admin.dashboard" in current_app.view_functions else url_for("public.home")
            return redirect(destination)
        form.email.errors.append(
            "Enter a correct email address and password. After 5 wrong attempts, signing in from here is paused for 15 minutes."
        )
        return render_template("auth/sign_in.html", form=form), 400
    status = 400 if form.is_submitted() else 200
    return render_template("auth/sign_in.html", form=form), status


@bp.after_request
def private_headers(response):
    """Sign-in pages are never indexed and never kept by shared caches."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.after_app_request
def no_store_when_setting_a_session(response):
    """A response that sets the session cookie is never kept by a cache, which could hand it to someone else."""
    if current_app.session_interface.should_set_cookie(current_app, session) or "Set-Cookie" in response.headers:
        response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """End the session on the server too. A POST with a CSRF token, so a link elsewhere cannot sign staff out."""
    if current_user.is_authenticated:
        # A copied session or remember-me cookie names the old session version, which no longer loads anyone.
        staff.end_session(db.session, current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
