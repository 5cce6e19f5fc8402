"""Settings: production refuses to start unsafely, and sends its strictest headers."""

import pytest

from campaign import create_app


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY="short")


def test_production_cookies_are_secure_and_hsts_is_sent():
    app = create_app("production", SECRET_KEY="p" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_production_hashes_staff_passwords_with_scrypt():
    from campaign.models import StaffUser

    app = create_app("production", SECRET_KEY="p" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        user = StaffUser(email="a@example.org", name="A", role="editor", password_hash="")
        user.set_password("a long enough password")
    assert user.password_hash.startswith("scrypt:") and user.check_password("a long enough password")


def test_development_keeps_a_generated_secret_key_under_instance(tmp_path, monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    reloaded = importlib.reload(config)
    try:
        key = reloaded.DevelopmentConfig.SECRET_KEY
        assert len(key) >= 32
        assert (tmp_path / "secret_key").read_text().strip() == key
        assert importlib.reload(config).DevelopmentConfig.SECRET_KEY == key
    finally:
        monkeypatch.delenv("INSTANCE_PATH")
        importlib.reload(config)


def test_postgres_urls_use_psycopg_3():
    from config import _database_url

    assert _database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert _database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert _database_url("sqlite:///x.db") == "sqlite:///x.db"
