"""Public pages are cached per content version, and any public change shows at once."""

import gzip
import re
from contextlib import contextmanager

from flask import request, request_started, url_for
from sqlalchemy import Select, TextClause, delete, event, select, update
from sqlalchemy.sql.util import find_tables

from campaign.extensions import db as _db
from campaign.http_cache import CachedPage, _storable
from campaign.models import HeadlineFigure, OutboxMessage, Pledge, SiteState
from campaign.services.cache import VERSION_KEY, PageCache, public_tables
from tests.pages import PUBLIC_PAGES

metadata = _db.metadata


def version(db):
    return db.session.scalar(select(SiteState.value).where(SiteState.key == VERSION_KEY))


def test_publishing_a_figure_changes_the_cached_home_page_at_once(client, seeded, db):
    first = client.get("/")
    assert b"invested back into Lancashire" in first.data
    figure = db.session.scalar(select(HeadlineFigure).where(HeadlineFigure.slug == "invested-since-2017"))
    figure.label = "a changed label for this test"
    db.session.commit()
    second = client.get("/")
    assert b"a changed label for this test" in second.data
    assert second.headers["ETag"] != first.headers["ETag"]


def test_unchanged_page_answers_304_to_its_etag_and_200_after_a_change(client, seeded, db):
    etag = client.get("/figures").headers["ETag"]
    assert client.get("/figures", headers={"If-None-Match": etag}).status_code == 304
    figure = db.session.scalar(select(HeadlineFigure).limit(1))
    figure.published = False
    db.session.commit()
    assert client.get("/figures", headers={"If-None-Match": etag}).status_code == 200


def test_a_pending_pledge_does_not_invalidate_public_pages(db, seeded):
    before = version(db)
    db.session.add(Pledge(organisation_name="Pending Ltd", name_key="pending", org_type="business", size="small",
                          sector="retail", area="preston", status="pending"))
    db.session.commit()
    assert version(db) == before


def test_a_pledge_going_live_invalidates_public_pages(db, seeded):
    pledge = Pledge(organisation_name="Live Ltd", name_key="live", org_type="business", size="small",
                    sector="retail", area="preston", status="pending")
    db.session.add(pledge)
    db.session.commit()
    before = version(db)
    pledge.status = "live"
    db.session.commit()
    assert version(db) != before


def test_visitors_with_a_session_get_a_private_copy(client, seeded):
    client.set_cookie("session", "something")
    response = client.get("/")
    assert response.headers["Cache-Control"].startswith("private")


@contextmanager
def flask_requests(app):
    """Count the requests Flask itself handles (a page served by the cache middleware is not one)."""
    seen = []

    def started(sender, **extra):
        seen.append(request.path)

    request_started.connect(started, app)
    try:
        yield seen
    finally:
        request_started.disconnect(started, app)


def test_a_cached_page_is_served_before_flask_runs_with_every_header(client, seeded):
    first = client.get("/figures")
    with flask_requests(client.application) as seen:
        again = client.get("/figures")
    assert seen == []
    assert again.data == first.data
    for header in ("ETag", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                   "Permissions-Policy", "Content-Type"):
        assert again.headers[header] == first.headers[header]


def test_a_cached_page_answers_304_and_head_without_a_body(client, seeded):
    first = client.get("/figures")
    with flask_requests(client.application) as seen:
        not_modified = client.get("/figures", headers={"If-None-Match": first.headers["ETag"]})
        head = client.head("/figures")
    assert seen == []
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == first.headers["ETag"]
    assert "Content-Length" not in not_modified.headers
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == first.headers["ETag"]


def test_each_encoding_and_host_gets_its_own_copy(client, seeded):
    plain = client.get("/figures")
    gzipped = client.get("/figures", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.data) == plain.data
    assert "Content-Encoding" not in client.get("/figures").headers
    with flask_requests(client.application) as seen:
        client.get("/figures", base_url="http://other.example")
    assert seen == ["/figures"]


def test_a_session_cookie_always_reaches_flask(client, seeded):
    client.get("/figures")
    client.set_cookie("session", "something")
    with flask_requests(client.application) as seen:
        response = client.get("/figures")
    assert seen == ["/figures"]
    assert response.headers["Cache-Control"].startswith("private")


def test_forms_and_secret_link_pages_are_never_kept(client, seeded):
    client.get("/pledge")
    with flask_requests(client.application) as seen:
        client.get("/pledge")
    assert seen == ["/pledge"]


def test_a_page_that_sets_a_cookie_or_varies_otherwise_is_not_kept():
    headers = [("Content-Type", "text/html")]
    assert _storable(CachedPage("200 OK", headers, b"x", None))
    assert not _storable(CachedPage("200 OK", [*headers, ("Set-Cookie", "session=1")], b"x", None))
    assert not _storable(CachedPage("200 OK", [*headers, ("Vary", "Accept-Language")], b"x", None))
    assert _storable(CachedPage("200 OK", [*headers, ("Vary", "Cookie, Accept-Encoding")], b"x", None))
    assert not _storable(CachedPage("404 NOT FOUND", headers, b"x", None))


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used():
    cache = PageCache(check_seconds=60, max_bytes=4000, version="v1")
    page = CachedPage("200 OK", [], b"x" * 1000, None)
    for key in "abc":
        cache.put(key, "v1", page)
    cache.get("a", "v1")  # used again, so "b" is now the oldest
    cache.put("d", "v1", page)
    cache.put("e", "v1", page)
    assert cache.size <= 4000
    assert cache.get("b", "v1") is None
    assert cache.get("a", "v1") is not None and cache.get("e", "v1") is not None
    cache.put("huge", "v1", CachedPage("200 OK", [], b"x" * 3000, None))
    assert cache.get("huge", "v1") is None  # one page may not crowd out the rest
    cache.put("old", "v0", page)
    assert cache.get("old", "v0") is None  # rendered under a version already superseded


def test_a_page_rendered_before_a_change_is_never_served_after_it(client, seeded, db):
    client.get("/figures")
    figure = db.session.scalar(select(HeadlineFigure).limit(1))
    figure.label = "relabelled for this test"
    db.session.commit()
    with flask_requests(client.application) as seen:
        response = client.get("/figures")
    assert seen == ["/figures"]
    assert b"relabelled for this test" in response.data


def test_a_bulk_update_through_the_session_changes_the_cached_page_at_once(client, seeded, db):
    first = client.get("/figures")
    before = version(db)
    db.session.execute(update(HeadlineFigure).values(label="relabelled in bulk"))
    db.session.commit()
    assert version(db) != before
    response = client.get("/figures", headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200 and b"relabelled in bulk" in response.data


def test_a_bulk_delete_through_the_session_changes_the_cached_page_at_once(client, seeded, db):
    figure = db.session.scalar(select(HeadlineFigure).where(HeadlineFigure.slug == "invested-since-2017"))
    figure.label = "a label only this figure has"
    db.session.commit()
    first = client.get("/figures")
    assert b"a label only this figure has" in first.data
    before = version(db)
    db.session.execute(delete(HeadlineFigure).where(HeadlineFigure.slug == "invested-since-2017"))
    db.session.commit()
    assert version(db) != before
    response = client.get("/figures", headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200 and b"a label only this figure has" not in response.data


def test_a_bulk_write_rolled_back_leaves_the_version_alone(db, seeded):
    before = version(db)
    db.session.execute(update(HeadlineFigure).values(label="never kept"))
    db.session.rollback()
    assert version(db) == before


def test_a_bulk_write_to_a_private_table_leaves_the_version_alone(db, seeded):
    before = version(db)
    db.session.execute(update(OutboxMessage).values(attempts=0))
    db.session.commit()
    assert version(db) == before


def test_every_public_view_is_in_the_shared_list_of_public_pages(app):
    marked = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "is_public_page", False)}
    assert marked == {endpoint for endpoint, _ in PUBLIC_PAGES}


# Tables a public page may read without being declared PublicContent, each with the reason it is safe.
READ_WITHOUT_STALE_OK = {
    "site_state": "holds the content version itself",
}


@contextmanager
def tables_read(engine):
    """Record the tables every SELECT run on the engine reads (subqueries and joins included)."""
    read: set[str] = set()
    names = {table.name for table in metadata.sorted_tables}

    def before_execute(conn, clauseelement, multiparams, params, execution_options):
        if isinstance(clauseelement, Select):
            read.update(table.name for table in find_tables(clauseelement, include_joins=True, include_aliases=True))
        elif isinstance(clauseelement, TextClause) and clauseelement.text.lstrip().upper().startswith(("SELECT", "WITH")):
            read.update(name for name in names if re.search(rf'\b"?{name}"?\b', clauseelement.text))

    event.listen(engine, "before_execute", before_execute)
    try:
        yield read
    finally:
        event.remove(engine, "before_execute", before_execute)


def test_public_pages_read_only_tables_declared_public(app, client, db, everything):
    declared = public_tables()
    with app.test_request_context():
        paths = [url_for(endpoint, **values) for endpoint, values in PUBLIC_PAGES]
    with tables_read(db.engine) as read:
        for path in paths:
            assert client.get(path).status_code == 200, path
    assert "headline_figure" in read and "pledge" in read  # the recording saw the pages' queries
    undeclared = read - declared - READ_WITHOUT_STALE_OK.keys()
    assert not undeclared, (
        f"public pages read {sorted(undeclared)}, which no model declares as PublicContent (models/common.py): "
        "a change there would leave cached pages stale"
    )
