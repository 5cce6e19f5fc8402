"""HTTP caching for public pages: rendered once per content version, revalidated with ETags.

Anonymous visitors share one rendered copy of each public page until any public content
changes (see services/cache.py). Browsers and shared caches may keep a page briefly and
serve it stale while they revalidate; a matching ETag gets a 304 without rendering.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, current_app, make_response, request
from sqlalchemy.orm import Session

from campaign.extensions import db
from campaign.services.cache import PageCache, install


def init_app(app) -> None:
    """Give the app its page cache and keep it in step with the content version."""
    app.extensions["page_cache"] = PageCache(check_seconds=app.config["CACHE_CHECK_SECONDS"])
    if not getattr(install, "done", False):
        install(Session, _forget_current)
        install.done = True


def _forget_current() -> None:
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


def public_page(view):
    """Serve a public GET page from the per-version cache, with ETag revalidation."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        has_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        if has_session or request.method != "GET":
            # Someone with a session may see a message meant only for them: render afresh, privately.
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200:
                _cache_headers(response, shared=False)
                response.add_etag()
                response = response.make_conditional(request)
            return response

        cache: PageCache = current_app.extensions["page_cache"]
        version = cache.current_version(db.session)
        key = request.full_path
        etag = hashlib.sha256(f"{version}|{key}".encode()).hexdigest()[:32]
        if etag in request.if_none_match:
            response = Response(status=304)
            response.set_etag(etag)
            return _cache_headers(response, shared=True)

        cached = cache.get(key, version)
        if cached is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough:
                return response
            cached = (response.get_data(), response.mimetype, dict(response.headers))
            cache.put(key, version, cached)
        body, mimetype, headers = cached
        response = Response(body, mimetype=mimetype, headers=headers)
        response.set_etag(etag)
        return _cache_headers(response, shared=True)

    return wrapper
