"""The ceiling: a bare Flask "hello world", served by the same gunicorn settings as the site."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    """The smallest useful Flask response."""
    return "Hello, world!"
