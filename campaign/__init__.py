"""The Backing Lancashire campaign site: the application factory."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import cache
from pathlib import Path

import jinja2
from flask import Flask, has_request_context, make_response, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from campaign import channels, cli
from campaign.extensions import compress, csrf, db, limiter, login_manager, mail, migrate
from config import CONFIGS

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class DatabaseIntConverter(IntegerConverter):
    """Whole-number URL parts that fit a database id, so a huge number is a 404, never an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app for an environment: development (default), test or production."""
    config_name = config_name or os.environ.get("APP_ENV", "development")
    config_class = CONFIGS[config_name]
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.from_object(config_class)
    app.config.update(overrides)
    _check_config(app)

    register_extensions(app)
    register_blueprints(app)
    channels.register(app)
    register_errorhandlers(app)
    cli.register(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_input_guard(app)
    register_page_cache(app)
    register_proxy_fix(app)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    return app


def _check_config(app: Flask) -> None:
    """Refuse to start production without the settings it cannot run safely without."""
    if app.config["ENV_NAME"] == "production":
        key = app.config.get("SECRET_KEY") or ""
        if len(key) < 32:
            raise RuntimeError("Set SECRET_KEY to a random value of at least 32 characters in production.")


def _database_options(app: Flask) -> None:
    """Give up on an unreachable PostgreSQL within seconds, so a visitor gets the 503 page, not a hung request."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {
            "connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"], **options.get("connect_args", {})
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    """Bind the bare extension instances to this app."""
    _database_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)

    from campaign import models  # noqa: F401  (the schema must be known before first use)


def register_blueprints(app: Flask) -> None:
    """Attach each part of the site."""
    from campaign import admin, api, auth, checkins, dev, pledges, public, social

    for blueprint in (public.bp, pledges.bp, checkins.bp, api.bp, social.bp, auth.bp, admin.bp, dev.bp):
        app.register_blueprint(blueprint)
    # Visitors' forms: a CSRF token that needs no session, so visitors keep getting cached pages (forms_csrf.py).
    # Every other POST, the staff area's and sign-in's, keeps Flask-WTF's session token.
    for blueprint in (pledges.bp, checkins.bp):
        csrf.for_visitors(blueprint)


def register_errorhandlers(app: Flask) -> None:
    """Friendly pages for every error; a 500 never leaves a half-written transaction behind."""

    def render_error(error: HTTPException):
        code = error.code or 500
        template = f"errors/{code}.html" if code in {400, 403, 404, 405, 413, 429, 503} else "errors/generic.html"
        response = make_response(render_template(template, error=error, code=code), code)
        limit = getattr(error, "limit", None)  # Flask-Limiter's refusal names the limit it hit
        if code == 429 and limit is not None:
            # At most one window of the limit: when every attempt counted against it has expired.
            response.headers["Retry-After"] = str(limit.limit.get_expiry())
        return response

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, render_error)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        app.logger.error("Database unavailable: %s", error.orig)
        return render_template("errors/503.html", code=503), 503

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render_template("errors/500.html", code=500), 500


@cache
def _static_hash(filename: str) -> str:
    """A short content hash for a static file, so its URL changes when it does."""
    path = STATIC_DIR / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "0"


def register_template_helpers(app: Flask) -> None:
    """Versioned static URLs, the values every template may use, the filters, and parts kept per content version."""
    from campaign import formatting, http_cache
    from campaign.services import text
    from campaign.services.content import contact
    from campaign.social.views import uk_datetime

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = _static_hash(values["filename"])

    @app.context_processor
    def site_globals() -> dict:
        return {
            "site_name": app.config["SITE_NAME"],
            "site_url": app.config["SITE_URL"],
            "show_dev_mail": app.config["SHOW_DEV_MAIL"],
            "contact": contact.from_config(app.config),
        }

    formatting.register(app)
    app.add_template_filter(uk_datetime)
    app.add_template_global(http_cache.fragment_per_version, "per_version")
    app.jinja_env.globals["url_for"] = _remembering_url_for(app)
    # Every value a template prints loses invisible format characters, rows stored before the rule included.
    app.jinja_env.finalize = text.without_invisibles
    app.jinja_env.template_class = _ImportingTemplate


class _ImportingTemplate(jinja2.Template):
    """Jinja's template, checking once rather than on every render whether an importer adds globals.

    Each `{% import %}` asks the imported template whether the importing render has globals it lacks
    (it would then need a module of its own). Jinja answers by testing every global against a ChainMap
    in Python, about 100 calls an import, on every render of every page. The answer depends only on the
    two sets of names, so it is kept per set; the import itself goes on exactly as Jinja does it.
    """

    def _get_default_module(self, ctx=None):
        if ctx is not None:
            asked = frozenset(ctx.globals_keys)
            known = self.__dict__.setdefault("_globals_added_by", {})
            if asked not in known:
                known[asked] = bool(asked - self.globals.keys())
            if not known[asked]:
                ctx = None  # nothing new: Jinja's own cached module serves, as it would after its own check
        return super()._get_default_module(ctx)


def _remembering_url_for(app: Flask):
    """Templates' `url_for`, remembering the plain links every page repeats (the layout has 15 of them).

    Only a link with no values, or a static file's, is remembered: it depends on nothing but the
    app's routes and the script root it is served under, so it is the same for every visitor. Links
    carrying anything else (a pledge's slug, a secret token, a page number) are built each time and
    never kept. Outside a request (an email rendered by the worker), every link is built afresh.
    """
    remembered: dict[tuple[str, str, str | None], str] = {}

    def url_for(endpoint: str, **values) -> str:
        plain = not values or values.keys() == {"filename"}
        if not plain or endpoint.startswith(".") or not has_request_context():
            return app.url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        url = remembered.get(key)
        if url is None:
            url = remembered[key] = app.url_for(endpoint, **values)
        return url

    return url_for


def register_page_cache(app: Flask) -> None:
    """Keep rendered public pages in memory, in step with the content version, in front of Flask."""
    from campaign import http_cache

    http_cache.init_app(app)
    http_cache.install_middleware(app)


def register_proxy_fix(app: Flask) -> None:
    """Outermost, trust the proxy's headers (when told to), so the page cache sees the real scheme and host."""
    if app.config["PROXY_FIX_X_FOR"] or app.config["PROXY_FIX_X_PROTO"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_FIX_X_FOR"],
            x_proto=app.config["PROXY_FIX_X_PROTO"],
            x_host=app.config["PROXY_FIX_X_PROTO"],
        )


def register_input_guard(app: Flask) -> None:
    """Refuse NUL characters anywhere in a request: no database text column can store them."""
    from flask import abort

    @app.url_value_preprocessor
    def refuse_nul_in_url(_endpoint, values):
        if values and any(isinstance(v, str) and "\x00" in v for v in values.values()):
            abort(404)

    @app.before_request
    def refuse_nul_in_input():
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ):
            fields = request.form.items(multi=True)
        else:
            fields = ()
        for _key, value in (*request.args.items(multi=True), *fields):
            if "\x00" in value:
                abort(400, description="Remove the hidden control characters from what you typed, then try again.")


def register_security_headers(app: Flask) -> None:
    """Send a strict CSP and the other protective headers with every response."""

    protective = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    hsts = [("Strict-Transport-Security", "max-age=31536000; includeSubDomains")]

    @app.after_request
    def set_headers(response):
        headers = response.headers
        # Each header unless the view set its own: the names the response has are read once, not once a header.
        present = {name.lower() for name in headers.keys()}
        wanted = protective + hsts if app.config["SECURE_HEADERS_HSTS"] else protective
        headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
        if request.endpoint == "static":
            headers["Cache-Control"] = f"public, max-age={app.config['STATIC_CACHE_SECONDS']}, immutable"
        return response
