"""CSRF is required by every form: each POST route refuses a request without a token, and every form carries one.

This module also builds the "world" the route-walking tests share (one of everything, so every
URL rule can be filled in with a real row) and turns any rule of the app into a working URL.
test_security_headers and test_hostile_input import both.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from PIL import Image
from sqlalchemy import func, select
from werkzeug.routing import Rule

from campaign.extensions import csrf
from campaign.models import (
    AuditEvent,
    CaseStudy,
    HashtagPost,
    OutboxMessage,
    Pledge,
    Quote,
    SocialPost,
    StaffUser,
)
from campaign.models.common import utcnow
from campaign.services import images, outbox
from campaign.services.pledges import managing
from campaign.services.spend import imports as spend_import
from campaign.services.spend import scope, staging, suppliers
from tests.factories import (
    PASSWORD,
    fresh_request_globals,
    make_contract,
    make_figure,
    make_staff,
    make_supplier,
    make_year,
    signed_in,
)
from tests.pages import parse
from tests.test_pledge_helpers import app_with, live, settings, signed

CSRF_REFUSAL = "the form had expired or was sent from another site"
# RFC 8058 one-click unsubscribe: mail programs POST here with no session or token; the signed link is the proof.
ONE_CLICK = {"checkins.stop"}

SPEND_CSV = (
    "Date,Expense Type,Expense Area,Supplier,Transaction Number,Amount\n"
    "01/04/2024,Fuel,Fleet,Unregistered Haulage Ltd,T900,\"£1,234.56\"\n"
    "02/04/2024,Rent,Estates,Acme Fuels Ltd,T901,600.00\n"
)
STAGED_CSV = SPEND_CSV.replace("T900", "T800").replace("T901", "T801")


@dataclass
class World:
    """One of everything, by id or secret, so every URL rule has real values to fill in."""

    admin_id: int
    admin_email: str
    editor_id: int
    figure_id: int
    year_id: int
    supplier_id: int
    contract_id: int
    study_id: int
    study_slug: str
    quote_id: int
    image_id: int
    image_token: str
    live_pledge_id: int
    live_slug: str
    manage_token: str
    pending_pledge_id: int
    confirm_token: str
    social_post_id: int
    hashtag_post_id: int
    failed_message_id: int
    staged_token: str
    import_id: int
    rule_id: int
    unmatched_key: str
    report_id: int
    checkin_token: str
    stop_token: str


def png_bytes(size: tuple[int, int] = (40, 30), colour=(165, 28, 48)) -> bytes:
    """A small real PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def build_world(db) -> World:
    """Create one row of every kind the site's URLs point at (the campaign's content included)."""
    from campaign.services.content import seed

    session = db.session
    seed.load(session)
    admin = make_staff(db, role="admin")
    editor = make_staff(db, role="editor")
    figure = make_figure(db, published=True)
    year = make_year(db, start_year=2090)
    supplier = make_supplier(db)
    contract = make_contract(db)
    study = session.scalar(select(CaseStudy).where(CaseStudy.status == "published").order_by(CaseStudy.id).limit(1))
    quote = session.scalar(select(Quote).order_by(Quote.id).limit(1))

    image = images.verify_and_store(png_bytes())
    session.add(image)
    session.commit()

    pledge = live(db, organisation_name="Worldwide Widgets Ltd", contact_email="owner@widgets.example.co.uk",
                  postcode="PR1 2AB", area="preston", welcome_on_x=True)
    pending, confirm_token = signed(db, organisation_name="Pending Pies Ltd", contact_email="pat@pendingpies.example.co.uk",
                                    postcode=None)
    pledge.logo = image  # a live pledge's logo: a public image, which /images/<token> serves to anyone
    session.commit()
    post = session.scalar(select(SocialPost).where(SocialPost.pledge_id == pledge.id))
    if post is None:  # the welcome draft comes from the social package's listener; make one if it is absent
        post = SocialPost(pledge_id=pledge.id, text=f"Welcome! https://example.org/pledges/{pledge.slug} #BackingLancashire")
        session.add(post)
    hashtag = HashtagPost(x_id="1790000000000000001", author_username="lancs_baker", author_name="Lancs Baker",
                          text="Proud to be #BackingLancashire", posted_at=utcnow(),
                          url="https://x.com/lancs_baker/status/1790000000000000001", status="pending")
    session.add(hashtag)
    failed = outbox.enqueue(session, "email", recipient="bounced@example.org", subject="Bounced", body_text="Hello")
    failed.status = "failed"
    session.commit()

    imported = staging.stage(session, "imported.csv", SPEND_CSV.encode(), admin.id)
    headers = staging.read_headers(imported.data)
    staging.set_mapping(session, imported, staging.mapping_for(session, headers)[0])
    record = spend_import.import_staged(session, imported, admin)
    record.status = "approved"  # counted, so the spend breakdowns have a year to show
    session.commit()
    staged = staging.stage(session, "staged.csv", STAGED_CSV.encode(), admin.id)
    unmatched, _ = suppliers.unmatched_suppliers(session)
    rule = scope.add_rule(session, "supplier", "Lancashire County Council", "precept_levy", "", admin)

    from campaign.models import CheckIn, PledgeReport
    from campaign.services.checkins import invitations

    invitations.invite(session, pledge, utcnow().year, settings().secret_key, utcnow())
    checkin_email = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("checkin:%")))
    checkin_token = next(w for w in checkin_email.body_text.split() if "/check-in/" in w and "/stop/" not in w)
    report = PledgeReport(pledge_id=pledge.id, year=utcnow().year, status="submitted", submitted_at=utcnow())
    session.add(report)
    session.commit()
    assert session.scalar(select(CheckIn.id)) is not None

    return World(
        admin_id=admin.id, admin_email=admin.email, editor_id=editor.id, figure_id=figure.id, year_id=year.id,
        supplier_id=supplier.id, contract_id=contract.id, study_id=study.id, study_slug=study.slug, quote_id=quote.id,
        image_id=image.id, image_token=image.token, live_pledge_id=pledge.id, live_slug=pledge.slug,
        manage_token=managing.manage_token(pledge, settings()), pending_pledge_id=pending.id,
        confirm_token=confirm_token, social_post_id=post.id, hashtag_post_id=hashtag.id,
        failed_message_id=failed.id, staged_token=staged.token, import_id=record.id,
        unmatched_key=unmatched[0].key, rule_id=rule.id, report_id=report.id, checkin_token=checkin_token.rsplit("/", 1)[1],
        stop_token=invitations.stop_token(pledge, settings().secret_key),
    )


def url_values(endpoint: str, arguments: set[str], world: World) -> dict:
    """Real values for a rule's variables; an unknown variable fails, so a new route cannot slip past."""
    by_endpoint = {
        ("token", "pledges.confirm"): world.confirm_token,
        ("token", "pledges.manage"): world.manage_token,
        ("token", "public.image"): world.image_token,
        ("token", "pledges.withdraw"): world.manage_token,
        ("slug", "public.case_study"): world.study_slug,
        ("slug", "social.case_study_card"): world.study_slug,
        ("post_id", "admin.social_hashtag"): world.hashtag_post_id,
        ("token", "checkins.report"): world.checkin_token,
        ("token", "checkins.stop"): world.stop_token,
    }
    generic = {
        "token": world.staged_token,
        "slug": world.live_slug,
        "post_id": world.social_post_id,
        "figure_id": world.figure_id,
        "year_id": world.year_id,
        "supplier_id": world.supplier_id,
        "contract_id": world.contract_id,
        "study_id": world.study_id,
        "quote_id": world.quote_id,
        "image_id": world.image_id,
        "pledge_id": world.live_pledge_id,
        "staff_id": world.editor_id,
        "import_id": world.import_id,
        "rule_id": world.rule_id,
        "start_year": 2024,
        "message_id": world.failed_message_id,
        "report_id": world.report_id,
        "direction": "up",
        "action": "approve",
        "decision": "approve",
        "filename": "css/site.css",
        "kind": "month",
    }
    values = {}
    for name in arguments:
        key = (name, endpoint)
        if key in by_endpoint:
            values[name] = by_endpoint[key]
        elif name in generic:
            values[name] = generic[name]
        else:
            raise AssertionError(f"no test value for <{name}> in {endpoint}: add one to url_values()")
    return values


def url_for_rule(app: Flask, rule: Rule, world: World) -> str:
    """A working URL for a rule, filled in from the world."""
    values = url_values(rule.endpoint, set(rule.arguments), world)
    adapter = app.url_map.bind("localhost")
    url = adapter.build(rule.endpoint, values)
    if rule.endpoint == "admin.supplier_match":
        url += f"?key={world.unmatched_key}"
    return url


def rules(app: Flask, method: str) -> list[Rule]:
    """Every URL rule of the app that answers `method`, in a stable order."""
    return sorted((rule for rule in app.url_map.iter_rules() if method in rule.methods), key=lambda rule: rule.rule)


def row_counts(db) -> dict[str, int]:
    """How many rows every table holds, to show a refused request changed nothing."""
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table))
    return counts


@pytest.fixture
def csrf_app(_postgres_schema):
    """The site with CSRF protection on, as in production, on an empty database."""
    with app_with(WTF_CSRF_ENABLED=True) as app:
        fresh_request_globals(app)
        yield app


@pytest.fixture
def csrf_world(csrf_app):
    """One of everything in the CSRF-protected app's database."""
    from campaign.extensions import db

    return build_world(db)


def test_nothing_is_exempt_from_csrf(csrf_app):
    # The site has no webhooks or APIs that take POSTs from elsewhere, so nothing needs exempting, except
    # the one-click unsubscribe that mail programs post to (RFC 8058), tested on its own below.
    assert csrf._exempt_views == {"campaign.checkins.views.stop"}
    assert csrf._exempt_blueprints == set()


def test_every_post_route_refuses_a_request_without_a_token(csrf_app, csrf_world):
    from campaign.extensions import db

    admin = db.session.get(StaffUser, csrf_world.admin_id)
    staff_client = signed_in(csrf_app.test_client(), admin)
    anonymous = csrf_app.test_client()
    before = row_counts(db)
    audit_before = db.session.scalar(select(func.count(AuditEvent.id)))
    posts = rules(csrf_app, "POST")
    assert len(posts) >= 40  # the whole site, not a part of it
    problems = []
    for rule in posts:
        if rule.endpoint in ONE_CLICK:
            continue
        url = url_for_rule(csrf_app, rule, csrf_world)
        client = staff_client if rule.rule.startswith("/admin/") and rule.endpoint != "auth.sign_in" else anonymous
        # Junk that would pass every form's own checks is no use without the token.
        response = client.post(url, data={"reason": "Spam", "text": "Hello", "confirm": "y", "email": "a@b.example"})
        body = response.get_data(as_text=True)
        if response.status_code != 400 or CSRF_REFUSAL not in body:
            problems.append(f"{rule.endpoint} ({url}) answered {response.status_code}")
        # A token that is not this session's is refused too.
        response = client.post(url, data={"csrf_token": "forged." + "A" * 80})
        if response.status_code != 400:
            problems.append(f"{rule.endpoint} ({url}) accepted a forged token: {response.status_code}")
    assert not problems, "\n".join(problems)
    db.session.expire_all()
    assert row_counts(db) == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_before
    pledge = db.session.get(Pledge, csrf_world.live_pledge_id)
    assert pledge.status == "live" and pledge.contact_email  # not withdrawn, hidden or erased
    assert db.session.get(OutboxMessage, csrf_world.failed_message_id).status == "failed"
    assert db.session.get(HashtagPost, csrf_world.hashtag_post_id).status == "pending"


def test_the_one_click_unsubscribe_needs_its_signed_link(csrf_app, csrf_world):
    from campaign.extensions import db
    from campaign.models import CheckIn

    client = csrf_app.test_client()
    for forged in ("forged", csrf_world.stop_token[:-2] + "xx", csrf_world.manage_token):
        assert client.post(f"/check-in/stop/{forged}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.get(f"/check-in/stop/{csrf_world.stop_token}").status_code == 200  # opening it stops nothing
    db.session.expire_all()
    assert db.session.scalar(select(CheckIn.unsubscribed_at)) is None
    response = client.post(f"/check-in/stop/{csrf_world.stop_token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(CheckIn.unsubscribed_at)) is not None


def test_a_real_token_is_accepted(csrf_app, csrf_world):
    # The other half: the refusals above are about the token, not about the routes.
    client = csrf_app.test_client()
    page = client.get("/admin/sign-in")
    token = parse(page.get_data(as_text=True)).find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post("/admin/sign-in", data={"csrf_token": token, "email": csrf_world.admin_email, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/pledge")
    token = parse(page.get_data(as_text=True)).find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post("/pledge", data={"csrf_token": token, "organisation_name": ""})
    assert response.status_code == 400 and CSRF_REFUSAL not in response.get_data(as_text=True)
    assert "Enter your email address" in response.get_data(as_text=True)


def post_forms(html: str) -> list:
    """Every form on a page that is sent by POST."""
    soup = BeautifulSoup(html, "html.parser")
    return [form for form in soup.find_all("form") if (form.get("method") or "get").lower() == "post"]


def test_every_form_on_every_page_carries_a_csrf_token(csrf_app, csrf_world):
    from campaign.extensions import db

    admin = db.session.get(StaffUser, csrf_world.admin_id)
    staff_client = signed_in(csrf_app.test_client(), admin)
    anonymous = csrf_app.test_client()
    pages, forms, missing = 0, 0, []

    def check(url: str, response) -> None:
        nonlocal pages, forms
        if response.mimetype != "text/html":
            return
        pages += 1
        for form in post_forms(response.get_data(as_text=True)):
            forms += 1
            token = form.find("input", attrs={"name": "csrf_token"})
            if token is None or not token.get("value"):
                missing.append(f"{url}: form action={form.get('action')!r}")

    for rule in rules(csrf_app, "GET"):
        if rule.endpoint == "static":
            continue
        url = url_for_rule(csrf_app, rule, csrf_world)
        client = staff_client if rule.rule.startswith("/admin/") and rule.endpoint != "auth.sign_in" else anonymous
        check(url, client.get(url))

    # Forms shown again with their errors, and the pages reached by a secret link.
    for url, data in [
        ("/pledge", {"organisation_name": "<b>x</b>"}),
        ("/pledge/resend", {"email": "not an email"}),
        (f"/pledge/manage/{csrf_world.manage_token}", {"commitments": "nonsense"}),
        (f"/pledge/manage/{csrf_world.manage_token}/withdraw", {}),
        ("/admin/sign-in", {"email": "nobody@example.org", "password": "wrong"}),
    ]:
        client = anonymous
        token = post_forms(client.get(url).get_data(as_text=True))[-1].find("input", attrs={"name": "csrf_token"})["value"]
        check(url + " (with errors)", client.post(url, data=data | {"csrf_token": token}))
    for url in ["/admin/figures/new", "/admin/case-studies/new", "/admin/staff/new", f"/admin/pledges/{csrf_world.live_pledge_id}/hide"]:
        token = post_forms(staff_client.get(url).get_data(as_text=True))[-1].find("input", attrs={"name": "csrf_token"})["value"]
        response = staff_client.post(url, data={"csrf_token": token})
        assert response.status_code == 400, url
        check(url + " (with errors)", response)

    assert pages >= 50 and forms >= 30, (pages, forms)
    assert not missing, "forms without a CSRF token:\n" + "\n".join(missing)
