"""Hostile input at every form, query string, URL and upload: never a 5xx, and never shown unescaped.

Hypothesis throws well over 1,000 generated inputs: huge strings, NUL bytes, lone surrogates,
right-to-left overrides, zero-width and combining characters, emoji, HTML and script, SQL
fragments, numbers out of range and wrong types for choices (several values, or none, for one
field). Most examples start from a valid form and spoil a few fields, so the input gets past the
first checks and reaches the services and the database. Every HTML answer is searched for the
raw markup of every payload sent so far, which also catches one stored earlier and shown later.

Uploads get malformed multipart bodies, images that lie about their type, and decompression bombs.
"""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote, quote_from_bytes

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select

from campaign.models import OutboxMessage, Pledge, StaffUser, StoredImage
from campaign.services.pledges import managing
from campaign.services.spend import staging
from tests.factories import signed_in
from tests.test_forms_csrf import World, build_world, fresh_request_globals, png_bytes
from tests.test_pledge_helpers import form_data, live
from tests.test_pledge_helpers import settings as pledge_settings

# --- what is thrown ------------------------------------------------------------------------------

SCRIPTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(2)</script>",
    "</title><script>alert(3)</script>",
    '<a href="javascript:alert(4)">click</a>',
    "<style>*{display:none}</style>",
    "<!--<script>alert(5)//-->",
    "<math><mi xlink:href=javascript:alert(6)>x</mi></math>",
]
# What must never appear raw in an HTML answer: each payload's opening markup.
RAW_MARKERS = ["<script>alert(", "<img src=x onerror=", "<svg onload=", "<iframe src=javascript:", "<style>*{",
               '<a href="javascript:', "<!--<script>", "<math><mi xlink"]
TEMPLATES = ["{{7*7}}", "{% for x in range(9999999) %}", "${7*7}", "#{7*7}", "%(x)s", "{0.__class__}"]
SQL = [
    "' OR 1=1 --", "'; DROP TABLE pledge; --", '" OR ""="', "1; SELECT pg_sleep(5)", "' UNION SELECT email FROM staff_user --",
    "%' AND 1=0 --", "\\", "%", "_", "%%", "''", "1' ORDER BY 99 --", "admin'--", "$1", ":name", "?",
]
NUMBERS = [
    "-1", "0", "-0", "+5", "1e309", "-1e309", "NaN", "inf", "99999999999999999999999999", "2147483648", "-2147483649",
    "9223372036854775808", "-9223372036854775809", "0x1F", "0o17", "1_000", "١٢٣", "１２", "Ⅻ", " 7 ", "3.14", "1,000",
    "£1,000,000,000,000,000", "1" * 5000, "9" * 40, "True", "None", "[]", "{}",
]
ODD = [
    "\u202eevil.exe\u202c", "\u200b\u200c\u200d\ufeff", "e\u0301\u0301\u0301\u0301", "Z\u0336\u0337\u0338\u035c\u035d",
    "👩\u200d👩\u200d👧\u200d👦", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "＜script＞alert(1)＜/script＞",
    "\r\n\r\nX-Injected: yes", "\t\t", "İıſK", "ﷺ", "\U0010ffff", "\x00", "a\x00b", "\x1b[31mred", "\x7f\x08",
    "\ud800", "x\udfffy", "\ufffe\uffff", "\u0000" * 3, "…", "\u2028\u2029", "ｱｲｳ", "مرحبا", "\u0085",
]
PLAIN = list("aZ9 -'&.") + ["Acme Ltd", "PR1 2AB", "https://example.org", "owner@example.org"]


def _repeat(piece: str, length: int) -> str:
    return (piece * (length // len(piece) + 1))[:length]


huge = st.builds(
    _repeat, st.sampled_from(["A", "é", "𝕏", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "\u202e", "🙂 "]),
    st.integers(10_001, 30_000),
)
lone_surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=4)
known = st.sampled_from(SCRIPTS + TEMPLATES + SQL + NUMBERS + ODD + PLAIN)
hostile_text = st.one_of(
    known,
    known,
    st.text(max_size=40),
    lone_surrogates,
    huge,
    st.builds(lambda before, payload, after: before + payload + after,
              st.text(max_size=8), st.sampled_from(SCRIPTS + SQL + ODD), st.text(max_size=8)),
)
hostile_values = st.one_of(
    hostile_text.map(lambda value: [value]),
    hostile_text.map(lambda value: [value]),
    st.lists(hostile_text, min_size=2, max_size=4),  # several values for one field
    st.just([]),  # the field left out
)
FUZZ = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])


def encode(value: str) -> str:
    """Percent-encode anything, lone surrogates included (as the bytes a broken client would send)."""
    return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="")


def urlencoded(data: dict[str, list[str]]) -> str:
    """A form body or query string, built by hand so no value is refused on the way out."""
    return "&".join(f"{encode(name)}={encode(value)}" for name, values in data.items() for value in values)


@st.composite
def spoiled(draw, base: dict[str, list[str]], names: list[str]) -> dict[str, list[str]]:
    """A valid form with one to three fields spoiled, and sometimes a field nobody asked for."""
    data = {name: list(values) for name, values in base.items()}
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        if base.get(name) and draw(st.booleans()):
            # The valid value with something hostile after it: likelier to pass the form's checks and reach the database.
            data[name] = [base[name][0] + draw(st.sampled_from(["", "/", "?q=", " "])) + draw(hostile_text)]
        else:
            data[name] = draw(hostile_values)
    if draw(st.integers(0, 9)) == 0:
        data[draw(hostile_text)] = [draw(hostile_text)]
    return data


# --- checking the answers ------------------------------------------------------------------------


def check(response, what: str) -> None:
    """Never a 5xx, and in HTML no payload's markup unescaped."""
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    if response.mimetype in ("text/html", "image/svg+xml"):
        body = response.get_data(as_text=True)
        shown = [marker for marker in RAW_MARKERS if marker in body]
        assert not shown, f"{what} shows {shown} unescaped"


def post(client, db, url: str, data: dict[str, list[str]]):
    """POST a hand-encoded form, check the answer, and end the request's session as a server would."""
    try:
        response = client.post(url, data=urlencoded(data), content_type="application/x-www-form-urlencoded")
        check(response, f"POST {url}")
        return response
    finally:
        db.session.remove()


def get(client, db, url: str):
    """GET a URL, check the answer, and end the request's session as a server would."""
    try:
        response = client.get(url)
        check(response, f"GET {url[:300]}")
        return response
    finally:
        db.session.remove()


# --- the forms, read from the pages themselves ---------------------------------------------------


@dataclass
class Form:
    """A POST form as a page shows it: where it goes, its fields, and the values it starts with."""

    action: str
    names: list[str]
    base: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def read_forms(html: str, page_url: str) -> list[Form]:
    """Every POST form on a page, with each control's name and current value (CSRF token left out)."""
    forms = []
    for element in BeautifulSoup(html, "html.parser").find_all("form"):
        if (element.get("method") or "get").lower() != "post":
            continue
        form = Form(action=element.get("action") or page_url, names=[])
        for control in element.find_all(["input", "select", "textarea", "button"]):
            name = control.get("name")
            if not name or name == "csrf_token":
                continue
            kind = (control.get("type") or "text").lower()
            if name not in form.names:
                form.names.append(name)
            if control.name == "button" or kind in ("submit", "button", "image", "reset"):
                continue
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if control.has_attr("checked"):
                    form.base.setdefault(name, []).append(control.get("value", "on"))
            elif control.name == "select":
                chosen = control.find("option", selected=True) or control.find("option")
                form.base[name] = [chosen.get("value", chosen.get_text()) if chosen else ""]
            elif control.name == "textarea":
                form.base[name] = [control.get_text().lstrip("\n")]
            else:
                form.base[name] = [control.get("value", "")]
        forms.append(form)
    return forms


def main_form(client, db, url: str) -> Form:
    """The form a page is for (its last POST form: the header's sign-out comes first)."""
    response = get(client, db, url)
    assert response.status_code == 200, url
    forms = read_forms(response.get_data(as_text=True), url)
    assert forms, f"no form on {url}"
    return forms[-1]


@dataclass
class Target:
    """A form to attack: its URL, fields, the valid values to start from, and the client to send it with."""

    url: str
    form: Form
    base: dict[str, list[str]]
    staff: bool = True


def as_lists(data: dict) -> dict[str, list[str]]:
    """A form as {name: [values]}, the shape every helper here sends."""
    return {key: value if isinstance(value, list) else [value] for key, value in data.items()}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def world(app, db) -> World:
    """One of everything, so every form and URL has real rows behind it."""
    fresh_request_globals(app)
    return build_world(db)


@pytest.fixture
def staff(app, db, world):
    """A client signed in as an admin."""
    return signed_in(app.test_client(), db.session.get(StaffUser, world.admin_id))


_files = itertools.count(1)
_organisations = itertools.count(1)


def new_organisation() -> dict[str, list[str]]:
    """A valid pledge form for an organisation not seen before, so spoiled fields reach the database."""
    number = next(_organisations)
    return as_lists(form_data(organisation_name=f"Fuzzed Organisation {number}",
                              contact_email=f"owner{number}@fuzzed.example.org", postcode=None))


def fresh_manage_url(db, world: World) -> str:
    """A working manage link, signing a new organisation up if an earlier example withdrew the last one."""
    pledge = db.session.get(Pledge, world.live_pledge_id)
    if pledge.status == "withdrawn":
        pledge = live(db, organisation_name=f"Replacement {pledge.id} Ltd", contact_email=f"owner@replacement{pledge.id}.example.org",
                      postcode=None)
        world.live_pledge_id = pledge.id
        world.manage_token = managing.manage_token(pledge, pledge_settings())
    db.session.remove()
    return f"/pledge/manage/{world.manage_token}"


def fresh_staged_token(db, world: World) -> str:
    """A spend file waiting for its columns, staging a new one if an earlier example imported the last."""
    if staging.get_staged(db.session, world.staged_token, world.admin_id) is None:
        csv = f"Date,Supplier,Amount,Reference\n01/05/2024,Fuzzed Supplier Ltd,12.34,R{next(_files)}\n"
        world.staged_token = staging.stage(db.session, "again.csv", csv.encode(), world.admin_id).token
    db.session.remove()
    return world.staged_token


# --- public forms -------------------------------------------------------------------------------


@settings(max_examples=175, **FUZZ)
@given(data=st.data())
def test_the_pledge_form(app, db, world, data):
    client = app.test_client()
    names = list(form_data()) + ["logo", "welcome_on_x", "homepage"]
    sent = data.draw(spoiled(new_organisation(), names), label="form")
    post(client, db, "/pledge", sent)


@settings(max_examples=150, **FUZZ)
@given(data=st.data())
def test_links_resend_manage_withdraw_and_confirm(app, db, world, data):
    client = app.test_client()
    choice = data.draw(st.sampled_from(["resend", "resend-link", "manage", "withdraw", "confirm"]), label="form")
    if choice == "resend":
        url, base = "/pledge/resend", {"email": ["owner@widgets.example.co.uk"]}
    elif choice == "resend-link":
        url, base = "/pledge/resend", {"token": [world.confirm_token]}
    elif choice == "manage":
        url, base = fresh_manage_url(db, world), {"commitments": ["local_suppliers", "vcse"], "statement": ["We buy local."]}
    elif choice == "withdraw":
        url, base = fresh_manage_url(db, world) + "/withdraw", {}
    else:
        url, base = f"/pledge/confirm/{world.confirm_token}", {}
    names = sorted(set(base) | {"commitments", "statement", "remove_logo", "confirm", "email", "token", "logo"})
    post(client, db, url, data.draw(spoiled(base, names), label="fields"))


@settings(max_examples=50, **FUZZ)
@given(data=st.data())
def test_staff_sign_in(app, db, world, data):
    client = app.test_client()
    base = {"email": [world.admin_email], "password": ["not the password at all"]}
    next_page = data.draw(st.one_of(st.just(""), hostile_text), label="next")
    url = "/admin/sign-in" + (f"?next={encode(next_page)}" if next_page else "")
    response = post(client, db, url, data.draw(spoiled(base, ["email", "password"]), label="fields"))
    assert response.status_code != 302  # no hostile input signs anyone in


def test_emails_written_from_hostile_sign_ups_are_escaped(app, db, world):
    client = app.test_client()
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    for number, payload in enumerate(SCRIPTS):
        post(client, db, "/pledge", as_lists(form_data(
            organisation_name=f"Org {number} {payload}"[:200], contact_name=payload, contact_role=payload,
            statement=payload, contact_email=f"xss{number}@example.org", postcode=None,
        )))
    bodies = db.session.scalars(select(OutboxMessage.body_html)).all()
    assert len(bodies) == before + len(SCRIPTS)
    assert not [marker for body in bodies if body for marker in RAW_MARKERS if marker in body]
    staff = signed_in(app.test_client(), db.session.get(StaffUser, world.admin_id))
    for url in ("/admin/pledges?queue=pending", "/admin/pledges?queue=waiting", "/admin/audit"):
        get(staff, db, url)


# --- the staff area -------------------------------------------------------------------------------


@pytest.fixture
def admin_targets(db, world, staff) -> list[Target]:
    """Every staff form with fields, read from its page, with a valid submission to start from."""
    w = world
    edit_pages = {
        "figure": f"/admin/figures/{w.figure_id}/edit",
        "year": f"/admin/spend-by-year/{w.year_id}/edit",
        "supplier": f"/admin/suppliers/{w.supplier_id}/edit",
        "contract": f"/admin/contracts/{w.contract_id}/edit",
        "study": f"/admin/case-studies/{w.study_id}/edit",
        "quote": f"/admin/quotes/{w.quote_id}/edit",
        "pledge": f"/admin/pledges/{w.live_pledge_id}/edit",
        "staff": f"/admin/staff/{w.editor_id}/edit",
        "post": f"/admin/social/posts/{w.social_post_id}",
    }
    new_pages = {
        "figure": "/admin/figures/new", "year": "/admin/spend-by-year/new", "supplier": "/admin/suppliers/new",
        "contract": "/admin/contracts/new", "study": "/admin/case-studies/new", "quote": "/admin/quotes/new",
    }
    targets = []
    for kind, url in edit_pages.items():
        form = main_form(staff, db, url)
        if kind == "post":  # the page also has the schedule form; the text form comes first
            form = next(f for f in read_forms(get(staff, db, url).get_data(as_text=True), url) if "text" in f.names)
        targets.append(Target(url, form, form.base))
        if kind in new_pages:
            new_form = main_form(staff, db, new_pages[kind])
            base = {name: values for name, values in form.base.items() if name in new_form.names}
            if kind == "year":
                base["start_year"] = ["2091/92"]
            targets.append(Target(new_pages[kind], new_form, base))
    password = ["a long enough password 123"]
    for url, base in [
        ("/admin/staff/new", {"name": ["Fuzz Person"], "email": ["fuzz.person@lancashire-pcc.example"], "role": ["editor"],
                              "password": password}),
        (f"/admin/staff/{w.editor_id}/password", {"password": password, "confirm": password}),
        ("/admin/account/password", {"current_password": ["not my password"], "password": password, "confirm": password}),
        (f"/admin/pledges/{w.live_pledge_id}/hide", {"reason": ["Spam"]}),
        (f"/admin/suppliers/unmatched/match?key={quote(w.unmatched_key)}", {"supplier_name": ["Acme Fuels Ltd"]}),
    ]:
        targets.append(Target(url, main_form(staff, db, url), base))
    schedule = f"/admin/social/posts/{w.social_post_id}/schedule"
    targets.append(Target(schedule, Form(schedule, ["schedule-when"]), {"schedule-when": ["2030-03-27T09:30"]}))
    for kind in ("columns", "preview"):
        url = f"/admin/spend/import/{w.staged_token}/{kind}"
        form = Form(url, ["date", "supplier", "amount", "reference"] if kind == "columns" else ["accept_errors"])
        targets.append(Target(url, form, {"date": ["0"], "supplier": ["3"], "amount": ["5"]} if kind == "columns" else {}))
    return targets


@settings(max_examples=275, **FUZZ)
@given(data=st.data())
def test_every_staff_form(app, db, world, staff, admin_targets, data):
    target = data.draw(st.sampled_from(admin_targets), label="target")
    url = target.url
    if "/spend/import/" in url:
        url = url.replace(url.split("/")[4], fresh_staged_token(db, world))
    names = sorted(set(target.form.names) | set(target.base))
    sent = data.draw(spoiled(target.base, names), label="fields")
    response = post(staff, db, url, sent)
    assert response.status_code != 302 or "sign-in" not in response.headers.get("Location", ""), "signed out"


def test_every_staff_button_with_junk(app, db, world, staff):
    junk = {"reason": SCRIPTS, "text": ["\x00" * 10], "x" * 300: ["' OR 1=1 --"], "direction": ["sideways"]}
    for url in [
        f"/admin/figures/{world.figure_id}/publish", f"/admin/figures/{world.figure_id}/unpublish",
        f"/admin/figures/{world.figure_id}/move/up", f"/admin/figures/{world.figure_id}/move/down",
        f"/admin/case-studies/{world.study_id}/unpublish", f"/admin/case-studies/{world.study_id}/publish",
        f"/admin/quotes/{world.quote_id}/unpublish", f"/admin/quotes/{world.quote_id}/publish",
        f"/admin/spend-by-year/{world.year_id}/use-computed", f"/admin/pledges/{world.live_pledge_id}/approve",
        f"/admin/pledges/{world.live_pledge_id}/remove-statement", f"/admin/pledges/{world.live_pledge_id}/remove-logo",
        f"/admin/outbox/{world.failed_message_id}/retry", f"/admin/staff/{world.editor_id}/disable",
        f"/admin/staff/{world.editor_id}/enable", f"/admin/staff/{world.editor_id}/unlock",
        f"/admin/social/posts/{world.social_post_id}/skip", f"/admin/social/posts/{world.social_post_id}/nonsense",
        f"/admin/social/hashtag/{world.hashtag_post_id}/approve", f"/admin/social/hashtag/{world.hashtag_post_id}/<b>",
        f"/admin/spend/import/{world.staged_token}/cancel", f"/admin/spend/imports/{world.import_id}/remove",
    ]:
        post(staff, db, url, junk)


def collect(problems: list[str], what: str, action) -> None:
    """Run one request; note any failure instead of stopping, so every failure is reported at once."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 (every failure is collected and reported by the caller)
        problems.append(f"{what[:140]}: {type(error).__name__}: {str(error)[:160]}")


# Each takes the field's valid value: the last two keep it valid but add a NUL (at the end, and in a path).
FIELD_EDGES = [
    lambda valid: [" \t"], lambda valid: ["9" * 30], lambda valid: ["first", "second"],
    lambda valid: [valid + "\x00"], lambda valid: [valid + "/a\x00b"],
]


def test_every_form_field_with_each_edge_value(app, db, world, staff, admin_targets):
    # Each field of each form in turn, the rest left valid: whitespace, NUL, a huge number, two values, and the
    # valid value with a NUL added (PostgreSQL refuses NUL in text, so one that reaches the database is a 500).
    public = [
        Target("/pledge", Form("/pledge", list(form_data())), {}, False),
        Target("/pledge/resend", Form("/pledge/resend", ["email", "token"]), {"email": ["owner@widgets.example.co.uk"]}, False),
        Target("manage", Form("manage", ["commitments", "statement", "remove_logo"]),
               {"commitments": ["vcse"], "statement": ["Hi"]}, False),
        Target("/admin/sign-in", Form("/admin/sign-in", ["email", "password"]),
               {"email": [world.admin_email], "password": ["wrong"]}, False),
    ]
    problems: list[str] = []
    for target in public + admin_targets:
        client = staff if target.staff else app.test_client()
        for name in sorted(set(target.form.names) | set(target.base)):
            for edge in FIELD_EDGES:
                url = fresh_manage_url(db, world) if target.url == "manage" else target.url
                if "/spend/import/" in url:
                    url = url.replace(url.split("/")[4], fresh_staged_token(db, world))
                base = new_organisation() if url == "/pledge" else target.base
                values = edge((base.get(name) or [""])[0])
                data = base | {name: values}
                collect(problems, f"POST {url} {name}={values}", lambda: post(client, db, url, data))  # noqa: B023
    assert not problems, f"{len(problems)} failures:\n" + "\n".join(problems)


# --- query strings and URLs ----------------------------------------------------------------------

QUERIES = {
    "/pledges": ["q", "area", "sector", "size", "commitment", "page", "sort"],
    "/api/pledges.json": ["q", "page", "format", "callback"],
    "/pledges.csv": ["q", "page"],
    "/api/figures.json": ["callback", "since"],
    "/social": ["page"],
    "/": ["page", "utm_source"],
    "/admin/pledges": ["queue", "page"],
    "/admin/suppliers": ["q", "location", "flagged", "page"],
    "/admin/suppliers/unmatched": ["page"],
    "/admin/suppliers/new": ["name"],
    "/admin/suppliers/unmatched/match": ["key"],
    "/admin/contracts": ["category", "supplier", "year", "below_minimum"],
    "/admin/contracts/export.csv": ["category", "supplier", "year", "below_minimum"],
    "/admin/audit": ["person", "type", "page"],
    "/admin/sign-in": ["next"],
    "/pledge": ["next"],
}
VALID_QUERY = {"area": ["preston"], "sector": ["hospitality"], "size": ["small"], "commitment": ["living_wage"],
               "sort": ["name"], "page": ["1"], "queue": ["live"], "location": ["lancashire"], "flagged": ["1"]}


@settings(max_examples=175, **FUZZ)
@given(data=st.data())
def test_every_query_string(app, db, world, staff, data):
    path = data.draw(st.sampled_from(sorted(QUERIES)), label="path")
    names = QUERIES[path]
    base = {name: VALID_QUERY[name] for name in names if name in VALID_QUERY}
    query = data.draw(spoiled(base, names), label="query")
    client = staff if path.startswith("/admin/") and path != "/admin/sign-in" else app.test_client()
    get(client, db, f"{path}?{urlencoded(query)}")


EDGES = ["", " ", "\t", "\u2028", "\x00", "\ud800", "-1", "9" * 30, "1e309", SCRIPTS[0], SQL[0], "x" * 10_001]


def test_every_query_parameter_with_each_edge_value(app, db, world, staff):
    # Hypothesis samples; this sweeps every parameter with the values most likely to slip past a check,
    # and lists every failure rather than stopping at the first.
    problems: list[str] = []
    for path, names in sorted(QUERIES.items()):
        client = staff if path.startswith("/admin/") and path != "/admin/sign-in" else app.test_client()
        for name in names:
            for values in [[value] for value in EDGES] + [EDGES[:3]]:
                url = f"{path}?{urlencoded({name: values})}"
                collect(problems, f"GET {url}", lambda: get(client, db, url))  # noqa: B023
    assert not problems, f"{len(problems)} failures:\n" + "\n".join(problems)


PATHS = [
    "/pledges/{s}", "/pledges/{s}/badge.svg", "/pledges/{s}/badge.png", "/cards/pledges/{s}.png", "/case-studies/{s}",
    "/cards/case-studies/{s}.png", "/pledge/confirm/{s}", "/pledge/manage/{s}", "/pledge/manage/{s}/withdraw",
    "/pledge/thank-you/{s}", "/admin/spend/import/{s}/columns", "/admin/spend/import/{s}/preview",
    "/admin/spend/import/{s}/errors.csv", "/images/{s}", "/admin/figures/{n}/edit", "/admin/figures/{n}/preview",
    "/admin/pledges/{n}/edit", "/admin/pledges/{n}/hide", "/admin/social/posts/{n}", "/admin/contracts/{n}/edit",
    "/admin/case-studies/{n}/preview", "/admin/quotes/{n}/edit", "/admin/staff/{n}/edit", "/admin/spend/imports/{n}",
    "/admin/spend-by-year/{n}/edit", "/admin/suppliers/{n}/edit",
]
ids = st.one_of(st.integers(-5, 10), st.integers(2**31 - 2, 2**31 + 2), st.integers(2**63 - 2, 2**63 + 2),
                st.integers(10**20, 10**40))


@settings(max_examples=150, **FUZZ)
@given(data=st.data())
def test_every_url_with_a_variable(app, db, world, staff, data):
    pattern = data.draw(st.sampled_from(PATHS), label="pattern")
    if "{n}" in pattern:
        url = pattern.format(n=data.draw(ids, label="id"))
    else:
        url = pattern.format(s=encode(data.draw(hostile_text.filter(bool), label="slug")))
    client = staff if url.startswith("/admin/") else app.test_client()
    get(client, db, url)
    if "/manage/" in url or "/confirm/" in url or url.startswith("/admin/"):
        post(client, db, url, {"confirm": ["y"], "reason": ["x"], "text": ["x"]})


EDGE_IDS = [0, -1, 2**31, 2**63, 10**30]
EDGE_SLUGS = [" ", "\x00", "\ud800", "..", SCRIPTS[0], "x" * 10_001]


def test_every_url_variable_with_each_edge_value(app, db, world, staff):
    problems: list[str] = []
    for pattern in PATHS + ["/admin/outbox/{n}/retry", "/admin/social/hashtag/{n}/approve",
                            "/admin/social/posts/{n}/approve", "/admin/pledges/{n}/approve",
                            "/admin/pledges/{n}/remove-logo", "/admin/figures/{n}/publish", "/admin/staff/{n}/disable"]:
        if "{n}" in pattern:
            urls = [pattern.format(n=number) for number in EDGE_IDS]
        else:
            urls = [pattern.format(s=encode(slug)) for slug in EDGE_SLUGS]
        for url in urls:
            client = staff if url.startswith("/admin/") else app.test_client()
            collect(problems, f"GET {url}", lambda: get(client, db, url))  # noqa: B023
            if "/manage/" in url or "/confirm/" in url or url.startswith("/admin/"):
                collect(problems, f"POST {url}", lambda: post(client, db, url, {"reason": ["x"], "text": ["x"]}))  # noqa: B023
    assert not problems, f"{len(problems)} failures:\n" + "\n".join(problems)


# --- uploads ------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@cache
def png_bomb(width: int = 30_000, height: int = 30_000, complete: bool = True) -> bytes:
    """A small PNG of a huge, all-black, 1-bit image (9 gigapixels' worth from about 100 kB), or just its header."""
    header = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    compressor = zlib.compressobj(9)
    rows = (b"\x00" + b"\x00" * ((width + 7) // 8)) * 1000
    body = b"".join(compressor.compress(rows) for _ in range(height // 1000 if complete else 1)) + compressor.flush()
    return header + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def image_as(fmt: str) -> bytes:
    """A small real image in another format (GIF, BMP, TIFF, ICO)."""
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 20, 30)).save(buffer, fmt)
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
LIARS = {
    "png-header-then-garbage": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "logo.png", "image/png"),
    "truncated-png": (png_bytes()[:60], "logo.png", "image/png"),
    "gif-named-png": (image_as("GIF"), "logo.png", "image/png"),
    "bmp-named-png": (image_as("BMP"), "logo.png", "image/png"),
    "tiff-named-jpg": (image_as("TIFF"), "logo.jpg", "image/jpeg"),
    "ico-named-png": (image_as("ICO"), "logo.png", "image/png"),
    "svg-named-png": (SVG, "logo.png", "image/png"),
    "svg": (SVG, "logo.svg", "image/svg+xml"),
    "html-named-png": (HTML, "logo.png", "image/png"),
    "gif-html-polyglot": (b"GIF89a/*" + HTML, "logo.gif", "image/gif"),
    "text-as-png": (b"just some words", "logo.png", "image/png"),
    "empty": (b"", "logo.png", "image/png"),
    "bomb-30000-square": (png_bomb(), "bomb.png", "image/png"),
    "bomb-header-only": (png_bomb(complete=False), "bomb.png", "image/png"),
    "bomb-wide": (png_bomb(width=200_000, height=1000), "wide.png", "image/png"),
    "png-with-script-text": (png_bytes()[:-12] + _chunk(b"tEXt", b"Comment\x00" + SVG) + _chunk(b"IEND", b""),
                             "logo.png", "image/png"),
    "traversal-name": (png_bytes(), "../../../../etc/passwd.png", "image/png"),
    "script-name": (png_bytes(), '<script>alert(1)</script>".png', "image/png"),
    "nul-name": (png_bytes(), "logo\x00.php.png", "image/png"),
}
GENUINE = {"traversal-name", "script-name", "nul-name", "png-with-script-text"}
IMAGE_ERRORS = ("must be a PNG, JPG or WebP image", "could not be read", "is too large", "is empty", "must be smaller")


@pytest.fixture
def upload_targets(db, world) -> dict[str, tuple[str, str, dict]]:
    """Every form that takes a file: URL, file field, and a valid form to send it with."""
    study = {"title": ["Fuzzed study"], "summary": ["A summary."], "body_markdown": ["Some words."],
             "key_figure": ["£1m"], "key_figure_label": ["spent locally"], "source_text": ["A source"],
             "image_alt": ["A picture"], "position": ["3"]}
    return {
        "pledge": ("/pledge", "logo", as_lists(form_data(contact_email="upload@uploads.example.org", postcode=None))),
        "manage": ("manage", "logo", {"commitments": ["living_wage"], "statement": ["Hello"]}),
        "case-study-new": ("/admin/case-studies/new", "image", study),
        "case-study-edit": (f"/admin/case-studies/{world.study_id}/edit", "image", study),
        "spend-import": ("/admin/spend/import", "file", {}),
    }


def send_file(client, db, world, target, data: bytes, filename: str, mimetype: str):
    """Upload `data` through a target's file field with the rest of its form valid, and check the answer."""
    url, field_name, base = target
    if url == "manage":
        url = fresh_manage_url(db, world)
    form = {name: values if len(values) != 1 else values[0] for name, values in base.items()}
    form[field_name] = (io.BytesIO(data), filename, mimetype)
    try:
        response = client.post(url, data=form, content_type="multipart/form-data")
        check(response, f"upload {filename!r} to {url}")
        return response
    finally:
        db.session.remove()


def test_images_that_lie_and_bombs_are_refused(app, db, world, staff, upload_targets):
    for liar, (data, filename, mimetype) in sorted(LIARS.items()):
        for name, target in upload_targets.items():
            images_before = db.session.scalar(select(func.count(StoredImage.id)))
            response = send_file(staff, db, world, target, data, filename, mimetype)
            images_after = db.session.scalar(select(func.count(StoredImage.id)))
            if name == "spend-import":
                assert response.status_code == 400, (liar, name)
            elif liar in GENUINE:
                # A real picture under a hostile name (or with a script in its metadata) is kept, re-encoded clean.
                stored = db.session.scalars(select(StoredImage.data).order_by(StoredImage.id.desc()).limit(1)).first()
                assert b"<script>" not in stored and b"<svg" not in stored, (liar, name)
            elif liar == "empty":
                assert images_after == images_before, (liar, name)  # an empty file is no file
            else:
                page = response.get_data(as_text=True)
                assert response.status_code == 400 and any(error in page for error in IMAGE_ERRORS), (liar, name)
                assert images_after == images_before, f"{liar} was stored from {name}"


MALFORMED = [
    ("multipart/form-data", b"no boundary given at all"),
    ("multipart/form-data; boundary=XYZ", b"a body with no boundary in it"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data; name=\"organisation_name\"\r\n\r\nAcme"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line--XYZ--\r\n"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XYZ--\r\n"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nX-Long: " + b"h" * 200_000 + b"\r\n\r\nx\r\n--XYZ--\r\n"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"\x00../a.png\"\r\n"
     b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--XYZ--\r\n"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data; name=\"\xff\xfe\"\r\n\r\n\xff\r\n--XYZ--\r\n"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Type: multipart/mixed; boundary=ABC\r\n"
     b"Content-Disposition: form-data; name=\"logo\"\r\n\r\n--ABC\r\n\r\nnested\r\n--ABC--\r\n--XYZ--\r\n"),
    ("multipart/form-data; boundary=" + "B" * 300, b"--" + b"B" * 300 + b"\r\n\r\n--" + b"B" * 300 + b"--"),
    ('multipart/form-data; boundary=""', b"--\r\n\r\n----"),
    ("multipart/form-data; boundary=XYZ; charset=utf-7", b"--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n+ADw-script+AD4-\r\n--XYZ--\r\n"),
    ("multipart/form-data; boundary=XYZ", b"--XYZ--\r\n" * 5000),
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + b"\x00" * 100_000 + b"\r\n--XYZ--\r\n"),
    ("application/x-www-form-urlencoded", b"%%%&&&==%zz%00%ED%A0%80=%FF"),
    ("application/json", b'{"organisation_name": "<script>alert(1)</script>"'),
    ("text/plain", b"\x00\x01\x02"),
]


def test_malformed_bodies(app, db, world, staff):
    for index, (content_type, body) in enumerate(MALFORMED):
        for url in ("/pledge", fresh_manage_url(db, world), "/admin/case-studies/new", "/admin/spend/import",
                    f"/admin/figures/{world.figure_id}/edit", "/admin/sign-in"):
            client = staff if url.startswith("/admin/") and url != "/admin/sign-in" else app.test_client()
            try:
                response = client.post(url, data=body, content_type=content_type)
                check(response, f"malformed body {index} to {url}")
            finally:
                db.session.remove()


magic = st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff\xe0", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"BM",
                         b"<svg", b"%PDF-1.7", b"PK\x03\x04", b"\x1f\x8b"])
filenames = st.one_of(st.sampled_from(["logo.png", "a.jpg", "x.webp", "spend.csv", "LOGO.PNG", "a.png.exe", ".png", ""]),
                      # A test client cannot send a name that is not Unicode; MALFORMED sends raw bytes instead.
                      hostile_text.map(lambda name: name[:300].encode("utf-8", "replace").decode() + ".png"))
mimetypes = st.sampled_from(["image/png", "image/jpeg", "image/webp", "text/csv", "text/html", "application/octet-stream",
                             "image/svg+xml", "", "image/png; charset=<script>"])


@settings(max_examples=100, **FUZZ)
@given(data=st.data())
def test_random_uploads(app, db, world, staff, upload_targets, data):
    target = upload_targets[data.draw(st.sampled_from(sorted(upload_targets)), label="target")]
    body = data.draw(magic, label="magic") + data.draw(st.binary(max_size=2000), label="bytes")
    send_file(staff, db, world, target, body, data.draw(filenames, label="filename"), data.draw(mimetypes, label="mimetype"))


def test_an_upload_over_the_size_limit_gets_a_413(app, db, world, staff):
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (13 * 1024 * 1024)
    response = send_file(app.test_client(), db, world, ("/pledge", "logo", as_lists(form_data())), big, "big.png", "image/png")
    assert response.status_code == 413
    response = send_file(staff, db, world, ("/admin/case-studies/new", "image", {}), big, "big.png", "image/png")
    assert response.status_code == 413
