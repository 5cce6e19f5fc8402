"""The staff area's guards: sign-in on every route, admin-only pages, CSRF on every POST,
private headers, the page checks on every page, and no server error whatever is posted."""

from __future__ import annotations

import io

import pytest
from flask import url_for
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from campaign.models import CaseStudy, Contract, Quote
from tests.factories import (
    app_with,
    load_user_per_request,
    make_contract,
    make_figure,
    make_staff,
    make_supplier,
    make_year,
    signed_in,
)
from tests.pages import check_page, parse


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


ADMIN_ONLY = [
    ("admin.staff", {}), ("admin.staff_new", {}), ("admin.staff_edit", {"staff_id": 1}),
    ("admin.staff_password", {"staff_id": 1}), ("admin.audit", {}),
]
ADMIN_ONLY_POSTS = ["admin.staff_disable", "admin.staff_enable", "admin.staff_unlock", "admin.staff_new",
                    "admin.staff_edit", "admin.staff_password"]


def dummy_values(rule) -> dict:
    """Values for a rule's converters: 1 for ids, the first choice for any(), "x" otherwise."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    return values


def staff_rules(app):
    """Every rule of the admin blueprint, and the auth rules except sign-in itself."""
    return [
        rule for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") or (rule.endpoint.startswith("auth.") and rule.endpoint != "auth.sign_in")
    ]


def build(app, rule) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **dummy_values(rule))


@pytest.fixture
def content(seeded, db):
    """One of everything, so every page has something to show and every id 1 exists."""
    make_supplier(db, postcode="PR1 2AB")
    make_contract(db)
    make_figure(db)
    make_year(db, start_year=2020, total_spend_pence=100_00)
    return db


def test_every_staff_route_sends_anonymous_visitors_to_sign_in(app, client, content):
    rules = staff_rules(app)
    assert len(rules) > 40
    for rule in rules:
        url = build(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert "/admin/sign-in" in response.headers["Location"], f"{method} {url} went elsewhere"


@pytest.mark.parametrize("endpoint, values", ADMIN_ONLY)
def test_editors_get_403_on_admin_only_pages(client, content, endpoint, values):
    editor = make_staff(content, role="editor")
    signed_in(client, editor)
    client.get_page(endpoint, status=403, **values)


def test_editors_get_403_on_admin_only_actions(app, client, content):
    editor = make_staff(content, role="editor")
    other = make_staff(content, role="editor")
    signed_in(client, editor)
    for endpoint in ADMIN_ONLY_POSTS:
        with app.test_request_context():
            url = url_for(endpoint, **({"staff_id": other.id} if endpoint != "admin.staff_new" else {}))
        assert client.post(url, data={"name": "X", "role": "admin", "password": "x" * 20}).status_code == 403
    content.session.refresh(other)
    assert other.active and other.role == "editor"


@pytest.mark.parametrize("endpoint, values", ADMIN_ONLY)
def test_admins_can_use_admin_only_pages(client, content, endpoint, values):
    admin = make_staff(content, role="admin")
    signed_in(client, admin)
    client.get_page(endpoint, **values)


def test_editors_see_no_links_to_admin_only_pages(client, content):
    signed_in(client, make_staff(content, role="editor"))
    page = client.get_page("admin.dashboard")
    hrefs = {a["href"] for a in page.find_all("a", href=True)}
    assert "/admin/staff" not in hrefs and "/admin/audit" not in hrefs


def own_get_rules(app):
    """GET admin pages this feature owns (pledges and social are tested by their own files)."""
    return [
        rule for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods
        and "<token>" not in rule.rule and not rule.endpoint.startswith(("admin.social", "admin.pledge"))
        and rule.endpoint not in ("admin.pledges", "admin.approve_pledge", "admin.edit_pledge", "admin.hide_pledge")
    ]


def test_every_staff_page_passes_the_page_checks_and_is_private(app, client, content):
    signed_in(client, make_staff(content, role="admin"))
    for rule in own_get_rules(app):
        url = build(app, rule)
        response = client.get(url)
        assert response.status_code in (200, 302, 404), f"{url} answered {response.status_code}"
        assert response.headers["X-Robots-Tag"].startswith("noindex"), url
        assert "no-store" in response.headers["Cache-Control"], url
        if response.status_code == 200 and response.mimetype == "text/html":
            try:
                check_page(parse(response.get_data(as_text=True)))
            except AssertionError as error:
                raise AssertionError(f"{url}: {error}") from None


def test_every_admin_post_refuses_a_missing_csrf_token(db):
    with app_with(WTF_CSRF_ENABLED=True) as app:
        admin = make_staff(db, role="admin")
        make_figure(db)
        client = app.test_client()
        signed_in(client, admin)
        posts = [rule for rule in staff_rules(app) if "POST" in rule.methods]
        assert len(posts) > 25
        for rule in posts:
            url = build(app, rule)
            response = client.post(url, data={"name": "x"})
            assert response.status_code == 400, f"POST {url} answered {response.status_code} without a token"
            bad = client.post(url, data={"csrf_token": "forged"})
            assert bad.status_code == 400, f"POST {url} accepted a forged token"
        assert client.get("/admin/").status_code == 200  # still signed in: nothing above changed anything


def test_every_post_form_on_every_staff_page_carries_a_csrf_token(db):
    from campaign.services.content import seed

    with app_with(WTF_CSRF_ENABLED=True) as app:
        seed.load(db.session)
        make_supplier(db, postcode="PR1 2AB")
        make_contract(db)
        make_figure(db)
        client = app.test_client()
        signed_in(client, make_staff(db, role="admin"))
        checked = 0
        for rule in own_get_rules(app):
            response = client.get(build(app, rule))
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in parse(response.get_data(as_text=True)).find_all("form"):
                if form.get("method", "get").lower() == "post":
                    assert form.find("input", attrs={"name": "csrf_token"}), f"{rule.rule}: a form has no token"
                    if form.find_parent("main"):
                        assert form.has_attr("novalidate"), f"{rule.rule}: a form lacks novalidate"
                    checked += 1
        assert checked > 20


def test_a_valid_csrf_token_is_accepted(db):
    with app_with(WTF_CSRF_ENABLED=True) as app:
        figure = make_figure(db)
        client = app.test_client()
        signed_in(client, make_staff(db, role="publisher"))
        page = client.get("/admin/figures").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(f"/admin/figures/{figure.id}/publish", data={"csrf_token": token})
        assert response.status_code == 302
        db.session.refresh(figure)
        assert figure.published


GARBAGE = [
    {},
    "huge",
    "nul",
    "lists",
    "numbers",
]


def garbage_data(kind, names):
    """Nonsense for every field of a form."""
    if kind == "huge":
        return {name: "9" * 200_000 for name in names}
    if kind == "nul":
        return {name: "\x00\ufffd<script>alert(1)</script>\u202e" for name in names}
    if kind == "lists":
        return {name: ["a", "b", "c"] for name in names}
    if kind == "numbers":
        return {name: "-1e309" for name in names}
    return {}


def test_no_form_gives_a_server_error_whatever_is_posted(app, client, content):
    signed_in(client, make_staff(content, role="admin"))
    forms_tried = 0
    for rule in own_get_rules(app):
        if "POST" not in rule.methods:
            continue
        url = build(app, rule)
        page = client.get(url)
        if page.status_code != 200:
            continue
        soup = parse(page.get_data(as_text=True))
        names = {tag.get("name") for tag in soup.select("main form[method=post] [name]")} - {None, "csrf_token"}
        forms_tried += 1
        for kind in GARBAGE:
            data = garbage_data(kind, names)
            response = client.post(url, data=data)
            assert response.status_code < 500, f"POST {url} with {kind or 'nothing'} answered {response.status_code}"
        files = {name: (io.BytesIO(b"\x00\x01garbage\xff" * 100), "x.png") for name in names if name in ("image", "file")}
        if files:
            response = client.post(url, data=files, content_type="multipart/form-data")
            assert response.status_code < 500, f"POST {url} with a garbage file answered {response.status_code}"
    assert forms_tried > 15


def test_bad_ids_and_paths_are_404_not_500(client, content):
    signed_in(client, make_staff(content, role="admin"))
    for url in ("/admin/figures/999999/edit", "/admin/figures/99999999999999999999/edit", "/admin/figures/x/edit",
                "/admin/case-studies/0/preview", "/admin/spend/imports/5/remove", "/admin/staff/77/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post("/admin/figures/1/move/sideways").status_code == 404
    assert client.post("/admin/figures/424242/publish").status_code == 404


def test_quote_and_case_study_rows_exist_for_the_walk(content):
    assert content.session.get(CaseStudy, 1) is not None and content.session.get(Quote, 1) is not None


def test_nul_characters_never_reach_the_database(client, content):
    """PostgreSQL refuses text containing NUL: the request is refused with a clear 400, never a 500."""
    signed_in(client, make_staff(content, role="admin"))
    before = content.session.scalar(select(func.count(Contract.id)))
    response = client.post("/admin/contracts/new", data={"title": "Hay\x00 supply", "value_pence": "£10"})
    assert response.status_code == 400
    assert b"Remove the hidden control characters" in response.data
    assert content.session.scalar(select(func.count(Contract.id))) == before
    for url in ("/admin/suppliers?q=%00abc&location=%00", "/admin/suppliers/unmatched/match?key=%00",
                "/admin/suppliers/new?name=%00x", "/admin/contracts?supplier=%00&category=%00",
                "/admin/audit?type=%00&person=%00", "/admin/spend/import/%00abc/columns"):
        assert client.get(url).status_code in (200, 302, 400, 404), url
