"""Bare extension instances, bound to the app in create_app() with init_app()."""

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from campaign.forms_csrf import SiteCSRFProtect


class Base(DeclarativeBase):
    """Declarative base with constraint names Alembic can track on every database."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = SiteCSRFProtect()  # Flask-WTF's, with visitors' forms kept free of the session
mail = Mail()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
compress = Compress()


@limiter.request_filter
def _reading_is_never_limited() -> bool:
    """Every limit guards a form submission, so plain reads skip the limiter entirely (and stay fast)."""
    from flask import request

    return request.method in ("GET", "HEAD", "OPTIONS")
