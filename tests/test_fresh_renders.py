"""Fresh renders of the busiest public pages: a few SQL statements however much there is to show, none from a template.

A fresh render is one the page cache cannot serve: the first visitor after a content change, or anyone with
a session cookie. What these pages read is kept per content version (http_cache.per_version), so a visitor
with a session costs one statement (the version check), and the first render after a change a fixed handful.
These tests count statements, never time: bench/render_bench.py measures how long the renders take.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event, select

from campaign.models import HashtagPost, HeadlineFigure, Pledge, Quote
from campaign.models.common import detached_copies, utcnow
from campaign.services.cache import PageCache
from tests.pages import text_of
from tests.test_pledge_helpers import bulk_live

# Each page, and the most statements its first render after a content change may run: the version check,
# then one statement per thing the page shows, never one per pledge, year or post. (Each computed headline
# figure adds one, which the seeded content has none of.)
FIRST_RENDER_STATEMENTS = {
    "/": 9,  # version, figures, quotes, case studies and their quotes, posts, live count, newest, any demo
    "/pledges": 4,  # version, counts by area, matching count, one page of pledges
    "/pledges?q=organisation+0001&sort=name": 4,
    "/pledges/organisation-00007": 4,  # version, the pledge, its card, its check-ins
    "/figures": 6,  # version, years, figures, their dates, computed years, check-ins
}


@pytest.fixture
def busy(everything):
    """Seeded content, 60 live pledges (more than two pages of the wall) and several hashtag posts."""
    bulk_live(everything, 60)
    everything.session.add_all(
        HashtagPost(x_id=str(n + 10), author_username=f"user{n}", text=f"Post {n}", posted_at=utcnow(),
                    url=f"https://x.com/user{n}/status/{n + 10}", status="approved")
        for n in range(5)
    )
    everything.session.commit()
    return everything


@pytest.fixture
def with_session(client):
    """A visitor with a session cookie: the page cache always lets them through to a fresh render."""
    client.set_cookie("session", "a-visitor-with-a-session")
    return client


@contextmanager
def statements_run(app, engine):
    """Record every SQL statement, and separately any run while a template renders."""
    run: list[str] = []
    in_templates: list[str] = []
    rendering = []

    def before_cursor_execute(_conn, _cursor, statement, *_args):
        (in_templates if rendering else run).append(statement)

    def started(_app, template, context, **extra):
        rendering.append(template.name)

    def finished(_app, template, context, **extra):
        rendering.pop()

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    try:
        yield run, in_templates
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        before_render_template.disconnect(started, app)
        template_rendered.disconnect(finished, app)


def a_content_change(db):
    """Any public change: here a figure's label, which writes a new content version."""
    figure = db.session.scalar(select(HeadlineFigure).order_by(HeadlineFigure.id).limit(1))
    figure.label = figure.label + " "
    db.session.commit()


@pytest.mark.parametrize("path", FIRST_RENDER_STATEMENTS)
def test_a_fresh_render_runs_a_few_statements_and_none_from_a_template(app, db, busy, with_session, path):
    a_content_change(db)
    with statements_run(app, db.engine) as (run, in_templates):
        assert with_session.get(path).status_code == 200
    assert len(run) <= FIRST_RENDER_STATEMENTS[path], run
    assert in_templates == []

    with statements_run(app, db.engine) as (run, in_templates):
        response = with_session.get(path)
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]
    assert len(run) == 1 and "site_state" in run[0], run  # only the version check: the rest was kept
    assert in_templates == []


def test_the_first_render_after_a_change_does_not_grow_with_the_content(app, db, busy, with_session):
    counts = {}
    for more in (0, 1):
        if more:
            bulk_live(db, 40, start=1000)
            db.session.add(Quote(slug="another-quote", text="Another quote", attribution="A supplier",
                                 source_text="A source", published=True, is_supplier=True, position=9))
            db.session.commit()
        a_content_change(db)
        with statements_run(app, db.engine) as (run, _):
            for path in FIRST_RENDER_STATEMENTS:
                with_session.get(path)
        counts[more] = len(run)
    assert counts[1] == counts[0]


def test_a_visitor_with_a_session_sees_a_change_at_once(app, db, busy, with_session):
    with_session.get_page("public.home")
    with_session.get_page("pledges.wall")
    with_session.get_page("public.figures_page")
    figure = db.session.scalar(select(HeadlineFigure).order_by(HeadlineFigure.id).limit(1))
    figure.label = "a label changed a moment ago"
    pledge = db.session.scalar(select(Pledge).where(Pledge.slug == "organisation-00007"))
    pledge.organisation_name = "Renamed Organisation Ltd"
    db.session.commit()
    assert "a label changed a moment ago" in text_of(with_session.get_page("public.home"))
    assert "a label changed a moment ago" in text_of(with_session.get_page("public.figures_page"))
    assert "Renamed Organisation Ltd" in text_of(with_session.get_page("pledges.wall"))
    page = with_session.get_page("pledges.organisation", slug="organisation-00007")
    assert page.h1.get_text() == "Renamed Organisation Ltd"


def test_each_search_shows_its_own_results_and_filters(db, busy, with_session):
    first = with_session.get_page("pledges.wall", query={"q": "organisation 0001"})
    second = with_session.get_page("pledges.wall", query={"q": "organisation 0002", "sort": "name"})
    assert {text_of(card.h3) for card in first.select(".pledge-card")} == {f"Organisation 0001{n}" for n in range(10)}
    assert {text_of(card.h3) for card in second.select(".pledge-card")} == {f"Organisation 0002{n}" for n in range(10)}
    assert first.select_one("#q")["value"] == "organisation 0001"
    assert second.select_one("#q")["value"] == "organisation 0002"
    assert second.select_one("#sort option[selected]")["value"] == "name"


def test_a_change_of_moderation_setting_is_not_hidden_by_what_was_kept(app, db, busy, with_session):
    pledge = db.session.scalar(select(Pledge).where(Pledge.slug == "organisation-00007"))
    pledge.statement, pledge.needs_review = "A statement staff have not seen", True
    db.session.commit()
    app.config["PLEDGE_MODERATION"] = "pre"
    assert "A statement staff have not seen" not in text_of(
        with_session.get_page("pledges.organisation", slug="organisation-00007"))
    app.config["PLEDGE_MODERATION"] = "post"
    assert "A statement staff have not seen" in text_of(
        with_session.get_page("pledges.organisation", slug="organisation-00007"))


def test_kept_values_last_one_version_and_keep_to_their_number():
    cache = PageCache(check_seconds=60, max_values=2)
    cache.version = "v1"
    assert cache.remember("v1", "a", lambda: 1) == 1
    assert cache.remember("v1", "a", lambda: 2) == 1  # kept
    cache.remember("v1", "b", lambda: 3)
    cache.remember("v1", "a", lambda: 4)  # used again, so "b" is now the oldest
    cache.remember("v1", "c", lambda: 5)
    assert set(cache.values) == {"a", "c"}
    assert cache.remember("v0", "d", lambda: 6) == 6 and "d" not in cache.values  # a superseded version: not kept
    cache.forget()
    assert cache.values == {}


def test_detached_copies_keep_the_columns_and_never_query(app, db, everything):
    [post] = detached_copies(db.session.scalars(select(HashtagPost)).all())
    with statements_run(app, db.engine) as (run, _):
        assert post.author_username == "amy" and post.text == "Backing local"
    assert run == []
    assert post not in db.session
