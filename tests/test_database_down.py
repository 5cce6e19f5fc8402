"""With the database unreachable, people get a clear 503 page rather than a crash."""

import socket
import time

import pytest

from campaign import create_app


@pytest.fixture
def unreachable_app(tmp_path):
    # A SQLite file inside a directory that does not exist cannot be opened: the same
    # OperationalError a vanished PostgreSQL server raises.
    return create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/site.db")


@pytest.mark.parametrize("path", ["/", "/figures", "/case-studies", "/healthz"])
def test_pages_answer_503_with_a_clear_message(unreachable_app, path):
    response = unreachable_app.test_client().get(path)
    assert response.status_code == 503
    if path != "/healthz":
        assert b"the service is unavailable" in response.data


def test_postgres_gone_answers_503():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
                     SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    response = app.test_client().get("/")
    assert response.status_code == 503


def test_a_database_that_never_answers_gets_a_503_within_the_connect_timeout():
    # A port that accepts the connection but never speaks: what a hung or partitioned server looks like.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = create_app("test", SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{port}/none",
                         DATABASE_CONNECT_TIMEOUT=1)
        started = time.monotonic()
        response = app.test_client().get("/figures")
        assert response.status_code == 503
        assert b"the service is unavailable" in response.data
        assert time.monotonic() - started < 10


def test_static_files_never_wait_on_the_database(unreachable_app):
    client = unreachable_app.test_client()
    assert client.get("/").status_code == 503
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"body" in response.data
