"""Issue 12: `flask demo load` and `clear` give a full, clearly labelled demo wall, never in production."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from campaign.models import Pledge
from campaign.services.pledges import demo
from tests.pages import text_of
from tests.test_social_helpers import make_pledge


def _count(db, *where) -> int:
    return db.session.scalar(select(func.count(Pledge.id)).where(*where))


def test_load_fills_the_wall_with_labelled_pledges_and_clear_removes_exactly_them(app, client, db):
    make_pledge(db)  # a real pledge
    make_pledge(db, name="Bench Org (demo)", slug="demo-42", is_demo=True)  # the benchmark's, not ours
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--count", "30"])
    assert result.exit_code == 0 and "Added 30 demo pledges" in result.output
    demos = db.session.scalars(select(Pledge).where(Pledge.slug.like("demo-wall-%"))).all()
    assert len(demos) == 30
    for pledge in demos:
        assert pledge.is_demo and pledge.status == "live" and pledge.organisation_name.endswith("(demo)")
        assert pledge.organisation_name.startswith("Demo ") and pledge.statement.startswith("Demo data")
        assert pledge.commitments and pledge.contact_email is None
    assert len({pledge.area for pledge in demos}) >= 14
    wall = client.get_page("pledges.wall")
    assert "Demo data" in text_of(wall)
    page = client.get_page("pledges.organisation", slug=demos[0].slug)
    assert "Demo data" in text_of(page) and "(demo)" in text_of(page.find("h1"))
    assert "(demo)" in client.get("/pledges.csv").get_data(as_text=True)
    # Loading again adds nothing twice.
    assert "Added 0 demo pledges" in runner.invoke(args=["demo", "load", "--count", "30"]).output
    result = runner.invoke(args=["demo", "clear"])
    assert result.exit_code == 0 and "Removed 30 demo pledges" in result.output
    assert _count(db, Pledge.slug.like("demo-wall-%")) == 0
    assert _count(db) == 2  # the real pledge and the benchmark's stay
    db.session.delete(db.session.scalar(select(Pledge).where(Pledge.slug == "demo-42")))
    db.session.commit()
    assert "Demo data" not in text_of(client.get_page("pledges.wall"))


def test_demo_commands_refuse_to_run_in_production(app, db, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setitem(os.environ, "APP_ENV", "production")
    for command in (["demo", "load"], ["demo", "clear"]):
        result = runner.invoke(args=command)
        assert result.exit_code != 0 and "never loaded or cleared in production" in result.output
    assert _count(db) == 0


def test_demo_commands_refuse_in_a_production_config(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and _count(db) == 0


def test_every_demo_pledge_has_at_least_one_commitment():
    assert all(any(demo._commitments(number).values()) for number in range(1, 501))


def test_social_names_the_x_account_only_when_set(client, db, app, monkeypatch):
    soup = client.get_page("social.wall")
    assert not soup.find("a", href=lambda href: href and href.startswith("https://x.com/") and "status" not in href)
    monkeypatch.setitem(app.config, "X_ACCOUNT", "@ExampleCampaign")
    app.extensions["page_cache"].pages.clear()  # a setting changed, not content: drop the kept copy
    link = client.get_page("social.wall").find("a", href="https://x.com/ExampleCampaign")
    assert link.get_text() == "@ExampleCampaign"
    monkeypatch.setitem(app.config, "X_ACCOUNT", "not a handle<script>")
    app.extensions["page_cache"].pages.clear()
    assert "not a handle" not in client.get("/social").get_data(as_text=True)


def test_social_is_linked_from_every_page_and_the_home_page(client, seeded):
    home = client.get_page("public.home")
    assert home.find("footer").find("a", href="/social")
    assert home.find("main").find("a", href="/social")
    assert client.get_page("public.about").find("footer").find("a", href="/social")
