"""Settings for every environment, each read from an environment variable."""

from __future__ import annotations

import os
import secrets
from datetime import date
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


def _names(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Read a list of names separated by "|" (names can hold commas), or the default."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return tuple(part.strip() for part in value.split("|") if part.strip())


# Placeholders public bodies publish instead of a private individual's name. Matched as whole
# names (case, spacing and punctuation aside), never as parts of names: "Redactive Publishing Ltd"
# is a supplier. THIRD PARTY SUPPLIER and THIRD PARTY are the OPCC for Lancashire's own
# placeholders (in its 2023/24 and 2024/25 files); the rest are common wordings in other bodies' files.
DEFAULT_WITHHELD_SUPPLIER_NAMES: tuple[str, ...] = (
    "REDACTED",
    "Redacted - personal data",
    "Personal data redacted",
    "Redaction - personal data",
    "Personal data",
    "Personal information",
    "Personal information - redacted",
    "THIRD PARTY SUPPLIER",
    "THIRD PARTY",
    "Individual",
    "Individuals",
    "An individual",
    "Private individual",
    "Private individuals",
    "Private person",
    "Member of the public",
    "Withheld",
    "Name withheld",
    "Supplier name withheld",
    "Supplier name withheld (data protection)",
    "Not disclosed",
    "Name not disclosed",
    "Undisclosed",
    "Anonymised",
    "Anonymized",
    "Anonymous",
    "GDPR",
    "Data protection",
    "Personal",
    "Private",
)


def _date(name: str) -> date | None:
    """Read a YYYY-MM-DD environment variable; empty or not a real date reads as unset."""
    try:
        return date.fromisoformat(os.environ.get(name, "").strip())
    except ValueError:
        return None


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
    # Earlier keys, oldest first, separated by "|": still accepted on what they signed (sessions, manage and
    # unsubscribe links, visitors' forms and notes) while SECRET_KEY signs everything new. See README.
    SECRET_KEY_FALLBACKS = list(_names("SECRET_KEY_FALLBACKS", ()))
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")
    SITE_NAME = "Backing Lancashire"

    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'campaign.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)  # seconds to reach PostgreSQL before a 503

    # Forms and sessions
    WTF_CSRF_TIME_LIMIT = None  # staff forms: the token lives as long as the session
    # Visitors' forms (pledge, check-in) need no session: hours a form stays valid once its page is shown
    PUBLIC_FORM_HOURS = _int("PUBLIC_FORM_HOURS", 12)  # hours
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = _int("STAFF_IDLE_MINUTES", 30) * 60  # seconds
    STAFF_SESSION_HOURS = _int("STAFF_SESSION_HOURS", 12)  # hours after sign-in that a staff session ends, however busy
    REMEMBER_COOKIE_DURATION = STAFF_SESSION_HOURS * 3600  # seconds (staff sign-in never sets one; a forged one expires)
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 12) * 1024 * 1024  # bytes
    # Werkzeug's hash for staff passwords: slow on purpose. Not an environment setting, so no deployment can
    # weaken it; only TestConfig changes it.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a hash method, not a password)

    # Review before public: a publisher may not approve an import or figure they prepared themselves
    TWO_PERSON_APPROVAL = _bool("TWO_PERSON_APPROVAL", True)

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
    PLEDGE_RATE_LIMIT = os.environ.get("PLEDGE_RATE_LIMIT", "5 per 10 minutes")  # accepted sign-ups per address
    PLEDGE_POST_RATE_LIMIT = os.environ.get("PLEDGE_POST_RATE_LIMIT", "30 per 10 minutes")  # any form sent, mistakes too
    PENDING_PLEDGE_DAYS = _int("PENDING_PLEDGE_DAYS", 30)  # days
    CONFIRM_LINK_DAYS = _int("CONFIRM_LINK_DAYS", 7)  # days

    # Spend files
    SPEND_MAX_ROWS = _int("SPEND_MAX_ROWS", 250_000)  # rows in one imported file, blank ones included
    # Supplier names that stand for a withheld private individual, separated by "|"
    WITHHELD_SUPPLIER_NAMES = _names("WITHHELD_SUPPLIER_NAMES", DEFAULT_WITHHELD_SUPPLIER_NAMES)

    # Rate limits: in memory for one process, Redis when several instances share them
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # No X-RateLimit-* headers on every limited response: reading the window for them cost each sign-up
    # another storage call (a Redis round trip when shared). A refusal still says when to retry (Retry-After).
    RATELIMIT_HEADERS_ENABLED = False
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

    # How people reach the OPCC, shown in the footer, the privacy notice, the accessibility statement and the
    # pledge manage page. Configured, never invented: anything left empty is not shown.
    CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "").strip()
    CONTACT_PHONE = os.environ.get("CONTACT_PHONE", "").strip()
    CONTACT_ADDRESS = os.environ.get("CONTACT_ADDRESS", "").strip()  # one line; commas separate its parts
    OPCC_WEBSITE = os.environ.get("OPCC_WEBSITE", "").strip()  # https:// address of the OPCC's own site
    # With no contact settings, development shows a clearly marked placeholder, so the layout can be seen.
    CONTACT_PLACEHOLDER = False

    # Figures: set FIGURES_NEWER_PUBLISHED when the OPCC has published figures newer than the site shows,
    # and FIGURES_CHECKED_ON (YYYY-MM-DD) to the day staff last checked; /figures says what these say.
    FIGURES_NEWER_PUBLISHED = _bool("FIGURES_NEWER_PUBLISHED", False)
    FIGURES_CHECKED_ON = _date("FIGURES_CHECKED_ON")

    SHOW_DEV_MAIL = False
    SECURE_HEADERS_HSTS = False
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")


class DevelopmentConfig(Config):
    """Local development: SQLite, emails shown at /dev/mail, a key kept under instance/."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    SHOW_DEV_MAIL = not Config.MAIL_SERVER
    CONTACT_PLACEHOLDER = True


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
    # "__Host-": browsers accept it only if Secure, with Path=/ and no Domain, so no subdomain can set or shadow it.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HEADERS_HSTS = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
