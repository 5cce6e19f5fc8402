"""The one entry point for `flask` and gunicorn (`gunicorn app:app`)."""

from campaign import create_app

app = create_app()
