"""HTTP caching for public pages: rendered once per content version, served before Flask runs.

Anonymous visitors share one rendered copy of each public page until any public content
changes (see services/cache.py). The view marks its response as shareable; the WSGI
middleware below keeps the finished response (security headers, compression and all) and
answers the next anonymous request for the same URL straight from memory, without a
request context, session or hooks. Browsers and shared caches may keep a page briefly and
serve it stale while they revalidate; a matching ETag gets a 304 without rendering.

Anyone with a session cookie, who might see a message meant only for them, always gets a
freshly rendered private copy. What such a render needs from the database is worked out once
per content version and kept (`per_version`), so rendering afresh costs little more than the template.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import TypeVar

from flask import Flask, Response, current_app, make_response, request
from flask_login import COOKIE_NAME
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags, unquote_etag

from campaign.extensions import db
from campaign.formatting import UK
from campaign.services.cache import PageCache, content_committed, install

# Set in the WSGI environ by a view whose response every anonymous visitor may share.
SHAREABLE = "campaign.shareable_version"
# The content version as this request first read it, so a page that needs it often reads it once.
VERSION = "campaign.content_version"
# Response headers a 304 leaves out: they describe a body it does not send.
BODY_HEADERS = frozenset({"content-length", "content-type", "content-encoding"})
# What a cached page may vary by: the cookie (only anonymous visitors use the cache) and the encoding (in the key).
CACHEABLE_VARY = frozenset({"", "cookie", "accept-encoding"})
T = TypeVar("T")


@dataclass(frozen=True)
class CachedPage:
    """A finished 200 response, kept exactly as Flask sent it."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None

    @property
    def size(self) -> int:
        return len(self.body)


def init_app(app: Flask) -> None:
    """Give the app its page cache and keep it in step with the content version."""
    app.extensions["page_cache"] = PageCache(
        check_seconds=app.config["CACHE_CHECK_SECONDS"], max_bytes=app.config["PAGE_CACHE_MAX_BYTES"]
    )
    install(db.session)
    content_committed.connect(_forget_current)


def _forget_current(_session) -> None:
    """After this process commits a public change, re-read the version on the next request."""
    from flask import has_app_context

    if has_app_context():
        current_app.extensions["page_cache"].forget()


def _cache_headers(response: Response, shared: bool) -> Response:
    seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
    response.headers["Cache-Control"] = (
        f"{'public' if shared else 'private'}, max-age={seconds}, stale-while-revalidate={seconds * 5}"
    )
    return response


def _session_cookies(config) -> tuple[str, str]:
    """The cookies that mark a visitor with a session: Flask's own and Flask-Login's remember-me."""
    return config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)


def _has_session(environ: dict, cookie_names: tuple[str, ...]) -> bool:
    """Whether the request carries a session or remember-me cookie (a false alarm only skips the cache)."""
    cookies = environ.get("HTTP_COOKIE", "")
    return bool(cookies) and any(f"{name}=" in cookies for name in cookie_names)


def public_page(view):
    """A public GET page: shared by anonymous visitors per content version, private to anyone with a session."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in ("GET", "HEAD") or _has_session(request.environ, _session_cookies(current_app.config)):
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200:
                _cache_headers(response, shared=False)
                response.add_etag()
                response = response.make_conditional(request)
            return response

        # Read the version before rendering: a page kept under it can then only be older than the
        # content it names, and a newer version is never served an older page.
        version = _request_version()
        response = make_response(view(*args, **kwargs))
        if response.status_code != 200 or response.direct_passthrough:
            return response
        response.set_etag(
            hashlib.sha256(f"{version}|{_uk_day()}|{request.full_path}".encode()).hexdigest()[:32]
        )
        request.environ[SHAREABLE] = version
        return _cache_headers(response, shared=True)

    wrapper.is_public_page = True  # so the tests can find every public page
    return wrapper


def per_version(key: Hashable, compute: Callable[[], T]) -> T:
    """What a public page shows, worked out once per content version (and UK day) in this process, then kept.

    For plain values only, the same for every visitor: the key names the page and every argument that changes
    the value. The app's settings need not be in it: each app keeps its own.
    """
    return current_app.extensions["page_cache"].remember(_request_version(), (_uk_day(), key), compute)


def fragment_per_version(key: Hashable, caller: Callable[[], Markup]) -> Markup:
    """A part of a public page, rendered once per content version: `{% call per_version(key) %}...{% endcall %}`.

    Only for a part that is the same for every visitor (no form token, no message for one person). The key
    names the part and whatever else its output depends on besides the content (the search it shows, say);
    where the site is mounted is added here, for its links. A template never runs a query, so when the view
    has not read the content version the part is rendered afresh and not kept.
    """
    version = request.environ.get(VERSION)
    if version is None:
        return caller()
    fragment_key = (_uk_day(), "fragment", request.script_root, key)
    return current_app.extensions["page_cache"].remember(version, fragment_key, caller)


def _request_version() -> str:
    """The content version, read at most once per request (and at most once every CACHE_CHECK_SECONDS)."""
    version = request.environ.get(VERSION)
    if version is None:
        version = request.environ[VERSION] = current_app.extensions["page_cache"].current_version(db.session)
    return version


class PageCacheMiddleware:
    """Answer anonymous GETs for public pages from the per-version cache, before Flask runs at all."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.cache: PageCache = app.extensions["page_cache"]
        self.cookie_names = _session_cookies(app.config)

    def __call__(self, environ: dict, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or _has_session(environ, self.cookie_names):
            return self.wsgi_app(environ, start_response)
        key = self._key(environ)
        # Only a URL already kept needs the content version: static files, forms and the rest never wait on it.
        if self.cache.has(key):
            version = self._version()
            page = self.cache.get(key, version) if version is not None else None
            if page is not None:
                return self._serve(page, environ, start_response)
        if method == "HEAD":
            return self.wsgi_app(environ, start_response)
        return self._render(key, environ, start_response)

    @staticmethod
    def _key(environ: dict) -> str:
        """Scheme, host, path, query, accepted encodings and the UK day: everything a shared page may depend on."""
        return "|".join(
            (
                _uk_day(),  # pages show today's date (the /figures print line), so a kept copy lasts one day
                environ.get("wsgi.url_scheme", ""),
                environ.get("HTTP_HOST", ""),
                environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_ACCEPT_ENCODING", ""),
            )
        )

    def _version(self) -> str | None:
        """The content version, or None when it cannot be read (the app then explains, with a 503)."""
        if self.cache.is_fresh():
            return self.cache.version
        try:
            with self.app.app_context():
                return self.cache.current_version(db.session)
        except SQLAlchemyError:
            return None

    def _render(self, key: str, environ: dict, start_response):
        """Let Flask render the page; keep the response if the view marked it shareable."""
        held: dict = {}
        written: list[bytes] = []

        def hold(status, headers, exc_info=None):
            if exc_info is not None or SHAREABLE not in environ:
                return start_response(status, headers, exc_info)
            held["status"], held["headers"] = status, headers
            return written.append

        result = self.wsgi_app(environ, hold)
        if not held:
            return result
        try:
            body = b"".join([*written, *result])
        finally:
            if hasattr(result, "close"):
                result.close()
        page = CachedPage(held["status"], held["headers"], body, _header(held["headers"], "ETag"))
        if _storable(page):
            self.cache.put(key, environ[SHAREABLE], page)
        return self._serve(page, environ, start_response)

    @staticmethod
    def _serve(page: CachedPage, environ: dict, start_response):
        """Send a kept page, or a 304 when the browser already holds this version."""
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if condition and page.etag and unquote_etag(page.etag)[0] in parse_etags(condition):
            start_response("304 Not Modified", [(k, v) for k, v in page.headers if k.lower() not in BODY_HEADERS])
            return []
        start_response(page.status, page.headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [page.body]


def _uk_day() -> str:
    """Today in the UK, as YYYY-MM-DD."""
    return datetime.now(UK).date().isoformat()


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), None)


def _storable(page: CachedPage) -> bool:
    """Only a plain 200 that sets no cookie and varies by nothing the cache key leaves out."""
    if not page.status.startswith("200 ") or _header(page.headers, "Set-Cookie") is not None:
        return False
    vary = {part.strip().lower() for part in (_header(page.headers, "Vary") or "").split(",")}
    return vary <= CACHEABLE_VARY


def install_middleware(app: Flask) -> None:
    """Put the page cache in front of the app (inside any proxy fix, so it sees the real scheme and host)."""
    app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app)  # type: ignore[method-assign]
