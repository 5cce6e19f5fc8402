"""Cookies for anonymous visitors: small, signed, and sent only to the page that reads them.

The page cache (http_cache.py) serves its shared copies only to requests without a session
cookie, so nothing a visitor does may start a Flask session: a visitor who did would get a fresh,
slower render of every page from then on. A note for the next page (the address we just emailed,
the pledge just confirmed, "your changes are saved") goes in a cookie of its own instead:

- signed with SECRET_KEY and a timestamp, so nobody can forge one, and it stops counting after
  its lifetime even if a browser keeps it;
- its Path is the one page that reads it, so no other request carries it;
- HttpOnly and SameSite=Lax, and Secure with a ``__Secure-`` name wherever the session cookie is
  secure (production), so browsers send it over HTTPS only and no plain-HTTP page can set it.

Like Flask's session cookie, a note is signed, not encrypted: it holds only what the visitor typed
or was shown. The form key (forms_csrf.py) uses the same cookie rules. Every cookie a visitor can
get is named here, and the cookies page lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from campaign.keys import signing_keys

# The random key behind visitors' form tokens (forms_csrf.py).
FORM_KEY = "form_key"


def cookie_name(name: str) -> str:
    """The name a visitor's cookie is sent under: prefixed ``__Secure-`` wherever cookies are secure."""
    return f"__Secure-{name}" if _secure() else name


def _secure() -> bool:
    """Visitors' cookies are as secure as the session cookie: HTTPS-only in production."""
    return bool(current_app.config["SESSION_COOKIE_SECURE"])


def set_cookie(response: Response, name: str, value: str, path: str, max_age: int) -> None:
    """Set a visitor's cookie with the site's rules: scoped to `path`, HttpOnly, Lax, Secure in production."""
    response.set_cookie(
        cookie_name(name), value, max_age=max_age, path=path, secure=_secure(), httponly=True, samesite="Lax"
    )


@dataclass(frozen=True)
class Note:
    """A signed value one view leaves for the page it redirects to, in a cookie only that page receives."""

    name: str
    seconds: int  # how long the note counts after it is left

    def _serializer(self) -> URLSafeTimedSerializer:
        # A salt of its own, so one note can never be passed off as another.
        return URLSafeTimedSerializer(signing_keys(current_app.config), salt=f"visitor-note:{self.name}")

    def leave(self, response: Response, value: Any, path: str) -> Response:
        """Attach the note to `response` for the page at `path` (a path from url_for)."""
        set_cookie(response, self.name, self._serializer().dumps(value), path, self.seconds)
        return response

    def read(self) -> Any:
        """The note this request carries, or None when there is none, or it is forged or too old."""
        raw = request.cookies.get(cookie_name(self.name))
        if not raw:
            return None
        try:
            return self._serializer().loads(raw, max_age=self.seconds)
        except BadData:
            return None

    def clear(self, response: Response, path: str) -> Response:
        """Remove the note once its page has shown it."""
        response.delete_cookie(cookie_name(self.name), path=path, secure=_secure(), httponly=True, samesite="Lax")
        return response


# Every note a visitor's browser may be given, with the page that reads it.
EMAILED = Note("pledge_email", seconds=3600)  # /pledge/check-your-email and /pledge/new-link-sent: the address
CONFIRMED = Note("pledge_confirmed", seconds=24 * 3600)  # /pledge/thank-you/<slug>: the pledge just confirmed
SAVED = Note("pledge_saved", seconds=600)  # /pledge/manage/<token>: "your changes are saved", shown once
CHECKED_IN = Note("checkin_year", seconds=3600)  # /check-in/thank-you: the year just reported
NOTES = (EMAILED, CONFIRMED, SAVED, CHECKED_IN)
