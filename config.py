"""Settings for every environment, each read from an environment variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read a whole-number environment variable."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _development_secret_key() -> str:
    """Generate a secret key once and keep it under instance/, so sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(url: str) -> str:
    """Point SQLAlchemy at psycopg 3 for plain postgres:// URLs (as hosting platforms give them)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")
    SITE_NAME = "Backing Lancashire"

    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'campaign.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)  # seconds to reach PostgreSQL before a 503

    # Forms and sessions
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = _int("STAFF_IDLE_MINUTES", 30) * 60  # seconds
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 12) * 1024 * 1024  # bytes
    # Werkzeug's hash for staff passwords: slow on purpose everywhere but the test suite.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")

    # Email
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Backing Lancashire <noreply@backinglancashire.invalid>"
    )
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)  # seconds
    # Send emails straight after the commit that queued them (off: leave them all to `flask outbox worker`).
    OUTBOX_SEND_IN_REQUEST = _bool("OUTBOX_SEND_IN_REQUEST", True)
    STAFF_NOTIFY_EMAIL = os.environ.get("STAFF_NOTIFY_EMAIL", "")
    STAFF_NOTIFY_MODE = os.environ.get("STAFF_NOTIFY_MODE", "each")  # each | digest

    # Pledges
    PLEDGE_MODERATION = os.environ.get("PLEDGE_MODERATION", "pre")  # pre | post
    PLEDGE_RATE_LIMIT = os.environ.get("PLEDGE_RATE_LIMIT", "5 per 10 minutes")
    PENDING_PLEDGE_DAYS = _int("PENDING_PLEDGE_DAYS", 30)  # days
    CONFIRM_LINK_DAYS = _int("CONFIRM_LINK_DAYS", 7)  # days

    # Rate limits: in memory for one process, Redis when several instances share them
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute")

    # X (formerly Twitter): everything is off unless credentials are set
    X_API_KEY = os.environ.get("X_API_KEY", "")
    X_API_SECRET = os.environ.get("X_API_SECRET", "")
    X_ACCESS_TOKEN = os.environ.get("X_ACCESS_TOKEN", "")
    X_ACCESS_TOKEN_SECRET = os.environ.get("X_ACCESS_TOKEN_SECRET", "")
    X_BEARER_TOKEN = os.environ.get("X_BEARER_TOKEN", "")
    X_MONTHLY_POST_CAP = _int("X_MONTHLY_POST_CAP", 100)
    # The campaign's X account as people write it ("@Name"); the /social page names it only when set
    X_ACCOUNT = os.environ.get("X_ACCOUNT", "").strip()

    # HTTP caching of public pages
    PUBLIC_CACHE_SECONDS = _int("PUBLIC_CACHE_SECONDS", 60)  # seconds
    CACHE_CHECK_SECONDS = float(os.environ.get("CACHE_CHECK_SECONDS", "1"))  # seconds between version checks
    PAGE_CACHE_MAX_BYTES = _int("PAGE_CACHE_MAX_BYTES", 16 * 1024 * 1024)  # bytes of rendered pages per process
    STATIC_CACHE_SECONDS = 365 * 24 * 3600  # one year: static URLs carry a content hash
    SEND_FILE_MAX_AGE_DEFAULT = STATIC_CACHE_SECONDS
    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "text/csv", "text/plain", "application/json",
        "application/javascript", "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 500  # bytes

    # Reverse proxies in front of the app (0 when it faces the internet directly)
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _int("PROXY_FIX_X_PROTO", 0)

    SHOW_DEV_MAIL = False
    SECURE_HEADERS_HSTS = False
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")


class DevelopmentConfig(Config):
    """Local development: SQLite, emails shown at /dev/mail, a key kept under instance/."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    SHOW_DEV_MAIL = not Config.MAIL_SERVER


class TestConfig(Config):
    """The test suite: a per-test database and no real mail or limits unless a test asks."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 (tests only; production refuses short keys)
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SHOW_DEV_MAIL = False
    MAIL_SERVER = ""
    PUBLIC_CACHE_SECONDS = 60
    CACHE_CHECK_SECONDS = 0.0  # always check, so tests see every change at once
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # noqa: S105 (one round: tests check who may sign in, not hash strength)
    X_API_KEY = X_API_SECRET = X_ACCESS_TOKEN = X_ACCESS_TOKEN_SECRET = X_BEARER_TOKEN = ""


class ProductionConfig(Config):
    """Production: refuses to start without a real SECRET_KEY; secure cookies and HSTS."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HEADERS_HSTS = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
