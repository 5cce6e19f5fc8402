"""CSRF protection on every form: visitors' forms need no session; staff forms keep Flask-WTF's.

Why two kinds. Flask-WTF keeps its CSRF secret in the Flask session, so opening the pledge form
used to give a visitor a site-wide session cookie, and the page cache (http_cache.py) serves its
shared copies only to requests without one: from then on that visitor got a fresh render of every
public page. Staff are signed in and have a session anyway, so the staff area and the sign-in form
keep Flask-WTF's own protection, unchanged.

A visitor's form is protected by a signed double-submit cookie (as OWASP describes it):

- A page that shows a visitor's form sets a cookie holding a random key (``form_key``;
  ``__Secure-form_key`` in production). Its Path is the form's own part of the site (``/pledge``,
  ``/check-in``), so reading the rest of the site never sends it; it is HttpOnly, SameSite=Lax,
  Secure wherever the session cookie is, and lasts PUBLIC_FORM_HOURS. Later forms reuse the key,
  so a visitor with two tabs open can send both.
- The form's hidden ``csrf_token`` is an HMAC of that key under SECRET_KEY, signed with a
  timestamp (itsdangerous): the page never shows the key itself.
- A POST to a visitors' blueprint (``SiteCSRFProtect.for_visitors``) is checked before the view
  runs: the token's signature must be good, the token younger than PUBLIC_FORM_HOURS, and it must
  match the key in the cookie the browser sent. Otherwise it is Flask-WTF's CSRFError: a 400 page
  saying the form had expired or was sent from another site.

Another site can neither read the token (the same-origin policy) nor make a browser send the Lax
cookie with its cross-site POST; a token copied from one visitor is no use with another's cookie;
and nothing is stored, so any instance with the same SECRET_KEY can check it. Unlike Flask-WTF over
HTTPS, it does not demand a Referer: the pages reached by a secret link send none
(Referrer-Policy: no-referrer), so that check would refuse every confirm, manage and check-in form.
A ``__Host-`` name would also stop a sibling subdomain planting a key of its own, but it needs
Path=/. A planted key only lets someone send a form in a visitor's browser that they could as well
send themselves: anyone may sign, and every other visitor's form needs the secret link in its URL.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

from flask import Blueprint, Response, current_app, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError
from wtforms.csrf.core import CSRF

from campaign import visitor_cookies
from campaign.keys import signing_keys

logger = logging.getLogger(__name__)

SALT = "visitor-form"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
# Kept in the WSGI environ, so they last exactly one request:
ISSUED = "campaign.form_key"  # the key this response's forms use, and the paths its cookie must cover
CHECKED = "campaign.form_checked"  # this POST's token was checked before the view ran


def _lifetime() -> int:
    """Seconds a visitor's form stays valid after the page showed it."""
    return current_app.config["PUBLIC_FORM_HOURS"] * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt=SALT)


def _digest(key: str, secret: str | bytes) -> str:
    """What a token carries instead of the key itself: an HMAC of it under one of the site's keys."""
    secret = secret.encode() if isinstance(secret, str) else secret
    # Labelled, so this HMAC of whatever a cookie holds can never stand in for one the site makes elsewhere.
    return hmac.new(secret, b"visitor-form-key\0" + key.encode(), hashlib.sha256).hexdigest()


def _cookie_key() -> str | None:
    """The key in the form cookie this request carries, if it looks like one."""
    key = request.cookies.get(visitor_cookies.cookie_name(visitor_cookies.FORM_KEY), "")
    return key if KEY_PATTERN.fullmatch(key) else None


def issue_token(path: str) -> str:
    """A token for a form that posts under `path`; the response sets (or refreshes) the key's cookie there."""
    issued = request.environ.get(ISSUED)
    if issued is None:
        issued = request.environ[ISSUED] = {"key": _cookie_key() or secrets.token_urlsafe(32), "paths": set()}
    issued["paths"].add(path)
    return _serializer().dumps(_digest(issued["key"], current_app.secret_key))


def check_token(token: str | None) -> None:
    """Raise ValidationError unless `token` is recent and belongs to the key in this browser's cookie."""
    if not token:
        raise ValidationError("The CSRF token is missing.")
    key = _cookie_key()
    if key is None:
        raise ValidationError("The CSRF cookie is missing.")
    try:
        digest = _serializer().loads(token, max_age=_lifetime())
    except SignatureExpired as error:
        raise ValidationError("The CSRF token has expired.") from error
    except BadData as error:
        raise ValidationError("The CSRF token is invalid.") from error
    # Made under SECRET_KEY, or under a key it replaced (SECRET_KEY_FALLBACKS) while the form was open.
    if not isinstance(digest, str) or not any(
        hmac.compare_digest(digest, _digest(key, secret)) for secret in signing_keys(current_app.config)
    ):
        raise ValidationError("The CSRF token belongs to another browser.")


def set_key_cookie(response: Response) -> Response:
    """After a page showed visitors' forms, give the browser their key (again, to refresh its lifetime)."""
    issued = request.environ.get(ISSUED)
    if issued:
        for path in sorted(issued["paths"]):
            visitor_cookies.set_cookie(
                response, visitor_cookies.FORM_KEY, issued["key"], request.script_root + path, _lifetime()
            )
        # A page holding a visitor's token is that visitor's alone, whatever the view said: no cache may keep it.
        response.headers["Cache-Control"] = "no-store, private"
        from campaign.http_cache import SHAREABLE  # here: http_cache needs the extensions, which need this module

        request.environ.pop(SHAREABLE, None)
    return response


class _TokenWhenShown:
    """A form's token, made only if the page shows the form.

    WTForms makes a token for every form it builds, but a form that is sent and accepted is never
    shown again: its POST redirects. Making the token there cost a signature, and set the form
    cookie on a redirect that needs none.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.token: str | None = None

    def __str__(self) -> str:
        if self.token is None:
            self.token = issue_token(self.path)
        return self.token

    def __html__(self) -> str:
        return str(self)


class VisitorCSRF(CSRF):
    """The token field of a visitor's form: issued from the form cookie's key, never from the session."""

    def setup_form(self, form):
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field) -> _TokenWhenShown:
        if not self.meta.csrf_cookie_path:
            raise RuntimeError("A visitor's form must set Meta.csrf_cookie_path: the path its POSTs go under.")
        return _TokenWhenShown(self.meta.csrf_cookie_path)

    def validate_csrf_token(self, form, field) -> None:
        if request.environ.get(CHECKED):
            return  # SiteCSRFProtect checked it before the view ran
        check_token(field.data)


class VisitorForm(FlaskForm):
    """A form anonymous visitors send: protected without a session. Subclasses set Meta.csrf_cookie_path."""

    class Meta:
        csrf_class = VisitorCSRF
        # The path every POST of the form goes under: the form cookie is sent there and nowhere else.
        csrf_cookie_path: str = ""


class SiteCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect, except that POSTs to visitors' blueprints are checked against the form cookie."""

    def __init__(self, app=None):
        self._visitor_blueprints: set[str] = set()
        super().__init__(app)

    def init_app(self, app) -> None:
        super().init_app(app)
        app.after_request(set_key_cookie)

    def for_visitors(self, blueprint: Blueprint) -> Blueprint:
        """Mark a blueprint whose forms are visitors' (VisitorForm): no session, the form cookie instead."""
        self._visitor_blueprints.add(blueprint.name)
        return blueprint

    def protect(self, apply_exemptions: bool = False) -> None:
        if request.blueprint not in self._visitor_blueprints:
            return super().protect(apply_exemptions)
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return None
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return None
        try:
            check_token(self._get_csrf_token())
        except ValidationError as error:
            logger.info(error.args[0])
            self._error_response(error.args[0])
        request.environ[CHECKED] = True
        return None
