"""With the database unreachable, people get a clear 503 page rather than a crash."""

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
