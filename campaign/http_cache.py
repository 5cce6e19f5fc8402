"""HTTP caching for public pages: shared caches may keep them briefly and revalidate with ETags."""

from __future__ import annotations

from functools import wraps

from flask import current_app, make_response, request


def public_page(view):
    """Let browsers and shared caches keep a page briefly, and answer 304 when it has not changed."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if response.status_code != 200:
            return response
        seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
        if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
            # Someone with a session may see a message meant only for them.
            response.cache_control.private = True
        else:
            response.cache_control.public = True
        response.cache_control.max_age = seconds
        response.headers["Cache-Control"] += f", stale-while-revalidate={seconds * 5}"
        response.add_etag()
        return response.make_conditional(request)

    return wrapper
