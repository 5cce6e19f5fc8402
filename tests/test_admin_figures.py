"""Headline figures and spend by year through the staff area: entry, computations, preview,
order, publishing, the public pages changing at once, and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.models import AuditEvent, FinancialYear, HeadlineFigure, Pledge
from tests.factories import load_user_per_request, make_contract, make_figure, make_staff, make_year, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


FIGURE = {
    "label": "spent with Lancashire firms",
    "description": "",
    "kind": "manual",
    "unit": "pounds",
    "value": "£1,234.56",
    "qualifier": "",
    "computation": "",
    "param_year": "",
    "param_contract": "",
    "period": "2023/24 financial year",
    "source_text": "OPCC annual report 2024",
    "source_url": "",
    "as_of-day": "31", "as_of-month": "3", "as_of-year": "2024",
}


@pytest.fixture
def editor(client, db):
    # A publisher: figures and the spend-by-year table go public, which editors can no longer do alone.
    user = make_staff(db, role="publisher")
    signed_in(client, user)
    return user


def publish_as_second_person(client, db, figure):
    """Another publisher publishes the figure (two-person approval), then the first is signed in again."""
    with client.session_transaction() as session:
        original = dict(session)
    signed_in(client, make_staff(db, role="publisher"))
    response = client.post(f"/admin/figures/{figure.id}/publish")
    assert response.status_code == 302, response.status_code
    with client.session_transaction() as session:
        session.clear()
        session.update(original)
    return response


def post_figure(client, status=302, url="/admin/figures/new", **changes):
    response = client.post(url, data=FIGURE | changes)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def only_figure(db) -> HeadlineFigure:
    return db.session.scalars(select(HeadlineFigure)).one()


@pytest.mark.parametrize(
    "unit, typed, stored, shown",
    [
        ("pounds", "£1,234.56", 123456, "£1,234.56"),
        ("pounds", "1234.5", 123450, "£1,234.50"),
        ("pounds", " £ 62,000,000 ", 62_000_000_00, "£62m"),
        ("pounds", "0.01", 1, "£0.01"),
        ("percent", "54", 5400, "54%"),
        ("percent", "2.5", 250, "2.5%"),
        ("percent", "54%", 5400, "54%"),
        ("count", "1,250", 1250, "1,250"),
    ],
)
def test_values_are_entered_as_people_write_them_and_stored_exactly(client, db, editor, unit, typed, stored, shown):
    post_figure(client, unit=unit, value=typed)
    figure = only_figure(db)
    assert (figure.value, figure.unit, figure.published) == (stored, unit, False)
    assert figure.as_of.isoformat() == "2024-03-31"
    soup = client.get_page("admin.figure_preview", figure_id=figure.id)
    assert shown in text_of(soup)
    assert soup.select_one(".preview-panel .figure-card__heading").name == "h2"  # no skipped level after the h1


@pytest.mark.parametrize(
    "unit, typed, message",
    [
        ("pounds", "12.345", "Enter an amount in pounds and pence, like £1,234.56"),
        ("pounds", "-5", "Enter an amount in pounds and pence"),
        ("pounds", "twelve", "Enter an amount in pounds and pence"),
        ("pounds", "1,23", "Enter an amount in pounds and pence"),
        ("pounds", "9" * 39, "Enter an amount in pounds and pence"),
        ("percent", "101", "Enter a percentage between 0 and 100"),
        ("percent", "2.555", "Enter a percentage between 0 and 100"),
        ("count", "1.5", "Enter a whole number"),
        ("pounds", "", "Enter the figure's value"),
    ],
)
def test_bad_values_get_an_instruction_and_nothing_is_saved(client, db, editor, unit, typed, message):
    response = post_figure(client, status=400, unit=unit, value=typed)
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in page
    assert "<title>Error: " in page
    assert db.session.scalar(select(HeadlineFigure)) is None


def test_missing_fields_are_named_in_the_error_summary(client, db, editor):
    soup = client.post_page("/admin/figures/new", {"kind": "manual"}, status=400)
    summary = text_of(soup.select_one(".error-summary"))
    for message in ("Enter what the figure counts", "Enter the period", "Enter where the figure comes from"):
        assert message in summary
    assert soup.select_one(".error-summary a")["href"].startswith("#")


def test_an_impossible_date_is_refused(client, db, editor):
    response = post_figure(client, status=400, **{"as_of-day": "31", "as_of-month": "2", "as_of-year": "2024"})
    assert "must be a real date" in response.get_data(as_text=True)
    response = post_figure(client, status=400, **{"as_of-day": "", "as_of-month": "2", "as_of-year": "2024"})
    assert "must include a day" in response.get_data(as_text=True)


def test_preview_shows_the_public_wording_without_saving(client, db, editor):
    soup = client.post_page("/admin/figures/new", FIGURE | {"action": "preview", "qualifier": "over"})
    preview = text_of(soup.select_one(".preview-panel"))
    assert "Over" in preview and "£1,234.56" in preview and "spent with Lancashire firms" in preview
    assert db.session.scalar(select(HeadlineFigure)) is None


@pytest.fixture
def spend_years(db):
    make_year(db, 2017, total_spend_pence=40_000_000_00, lancashire_spend_pence=20_000_000_00)
    make_year(db, 2018, total_spend_pence=60_000_000_00, lancashire_spend_pence=36_000_000_00)


@pytest.mark.parametrize(
    "computation, param, unit, shown",
    [
        ("local_spend_since", {"param_year": "2017"}, "pounds", "£56m"),
        ("local_spend_since", {"param_year": "2018/19"}, "pounds", "£36m"),
        ("local_share_since", {"param_year": "2017"}, "percent", "56%"),
        ("spend_in_year", {"param_year": "2018"}, "pounds", "£60m"),
        ("contract_local_spend", {}, "pounds", "£75,000"),
        ("pledge_count", {}, "count", "2"),
    ],
)
def test_each_computation_through_the_staff_area(client, db, editor, spend_years, computation, param, unit, shown):
    contract = make_contract(db, local_spend_delivered_pence=75_000_00)
    for number, status in enumerate(("live", "live", "pending")):
        db.session.add(Pledge(organisation_name=f"Firm {number}", name_key=f"firm {number}", org_type="business",
                              size="small", sector="other", area="preston", status=status))
    db.session.commit()
    if computation == "contract_local_spend":
        param = {"param_contract": str(contract.id)}
    post_figure(client, kind="computed", computation=computation, value="", unit="count", **param)
    figure = only_figure(db)
    assert (figure.kind, figure.unit, figure.value) == ("computed", unit, None)
    page = text_of(client.get_page("admin.figure_preview", figure_id=figure.id))
    assert shown in page and "worked out from the spend data" in page
    publish_as_second_person(client, db, figure)
    assert shown in text_of(client.application.test_client().get_page("public.home"))


def test_a_computed_figure_needs_its_year_or_contract(client, db, editor):
    response = post_figure(client, status=400, kind="computed", computation="spend_in_year", param_year="")
    assert "Enter the financial year the figure starts from" in response.get_data(as_text=True)
    response = post_figure(client, status=400, kind="computed", computation="contract_local_spend", param_contract="")
    assert "Select the contract the figure comes from" in response.get_data(as_text=True)
    response = post_figure(client, status=400, kind="computed", computation="contract_local_spend", param_contract="77")
    assert "Select a contract from the list" in response.get_data(as_text=True)


def test_a_computed_figure_follows_the_data(client, db, editor):
    year = make_year(db, 2023, total_spend_pence=10_000_00)
    post_figure(client, kind="computed", computation="spend_in_year", param_year="2023", value="")
    figure = only_figure(db)
    publish_as_second_person(client, db, figure)
    assert "£10,000" in text_of(client.get_page("public.figures_page"))
    client.post(f"/admin/spend-by-year/{year.id}/edit", data={
        "start_year": "2023", "total_spend_pence": "£20,000", "source_text": "Annual report"})
    assert "£20,000" in text_of(client.get_page("public.figures_page"))


def test_publishing_changes_the_home_page_at_once_for_the_public(client, db, editor, seeded):
    anonymous = client.application.test_client()
    before = anonymous.get("/").get_data(as_text=True)
    post_figure(client, label="a brand new headline number", value="£7,777")
    figure = db.session.scalar(select(HeadlineFigure).where(HeadlineFigure.label == "a brand new headline number"))
    assert "a brand new headline number" not in before
    assert "a brand new headline number" not in anonymous.get("/").get_data(as_text=True)
    publish_as_second_person(client, db, figure)
    after = anonymous.get("/").get_data(as_text=True)
    assert "a brand new headline number" in after and "£7,777" in after
    client.post(f"/admin/figures/{figure.id}/edit", data=FIGURE | {"label": "a brand new headline number",
                                                                   "value": "£8,888"})
    assert "£8,888" in anonymous.get("/").get_data(as_text=True)
    client.post(f"/admin/figures/{figure.id}/unpublish")
    assert "a brand new headline number" not in anonymous.get("/").get_data(as_text=True)


def test_move_up_and_down_changes_the_public_order(client, db, editor):
    first = make_figure(db, label="First figure", published=True)
    second = make_figure(db, label="Second figure", published=True)
    third = make_figure(db, label="Third figure", published=True)

    def order():
        cards = client.get_page("public.home").select(".figure-card__label")
        return [card.get_text(strip=True) for card in cards]

    assert order() == ["First figure", "Second figure", "Third figure"]
    assert client.post(f"/admin/figures/{third.id}/move/up").status_code == 302
    assert order() == ["First figure", "Third figure", "Second figure"]
    client.post(f"/admin/figures/{first.id}/move/down")
    assert order() == ["Third figure", "First figure", "Second figure"]
    client.post(f"/admin/figures/{third.id}/move/up")  # already first: nothing changes
    assert order() == ["Third figure", "First figure", "Second figure"]
    page = client.get_page("admin.figures")
    rows = page.select("tbody tr")
    assert "Move up" not in text_of(rows[0]) and "Move down" not in text_of(rows[-1])
    assert second.id


def test_changes_are_audited_with_before_and_after(client, db, editor):
    post_figure(client, value="£100")
    figure = only_figure(db)
    post_figure(client, url=f"/admin/figures/{figure.id}/edit", value="£250")
    # With two-person approval off, one publisher may publish their own change, so every event is theirs.
    client.application.config["TWO_PERSON_APPROVAL"] = False
    client.post(f"/admin/figures/{figure.id}/publish")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "figure").order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["create", "update", "publish"]
    assert all(event.staff_id == editor.id and event.staff_email == editor.email for event in events)
    assert events[1].before["value"] == 100_00 and events[1].after["value"] == 250_00
    assert "label" not in events[1].after  # only what changed is kept
    assert events[2].before == {"published": False} and events[2].after == {"published": True}


def test_edit_form_shows_the_stored_value_as_pounds(client, db, editor):
    figure = make_figure(db, value=62_000_000_00)
    page = client.get_page("admin.figure_edit", figure_id=figure.id)
    assert page.find("input", attrs={"name": "value"})["value"] == "62,000,000.00"


# ---------------------------------------------------------------------------
# Spend by year
# ---------------------------------------------------------------------------

YEAR = {
    "start_year": "2023/24",
    "total_spend_pence": "£100,000,000.00",
    "lancashire_spend_pence": "£54,000,000",
    "north_west_spend_pence": "£60,000,000.50",
    "sme_spend_pence": "30000000",
    "vcse_spend_pence": "£1,000,000",
    "source_text": "OPCC annual report 2023/24",
    "source_url": "https://www.lancashire-pcc.gov.uk/report",
    "notes": "",
}


def test_add_and_change_a_year_in_pounds_and_pence(client, db, editor):
    client.post_and_redirect("/admin/spend-by-year/new", YEAR, to="admin.years")
    year = db.session.scalar(select(FinancialYear))
    assert (year.start_year, year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
            year.sme_spend_pence, year.vcse_spend_pence) == (
        2023, 100_000_000_00, 54_000_000_00, 60_000_000_50, 30_000_000_00, 1_000_000_00)
    assert not year.computed_from_spend
    page = client.get_page("admin.year_edit", year_id=year.id)
    assert page.find("input", attrs={"name": "total_spend_pence"})["value"] == "100,000,000.00"
    client.post(f"/admin/spend-by-year/{year.id}/edit", data=YEAR | {"lancashire_spend_pence": ""})
    db.session.refresh(year)
    assert year.lancashire_spend_pence is None
    assert "2023/24" in text_of(client.get_page("public.figures_page"))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"lancashire_spend_pence": "£200,000,000"}, "must be no more than all supplier spend"),
        ({"north_west_spend_pence": "£1"}, "includes Lancashire"),
        ({"start_year": "1999"}, "Enter a financial year between 2000 and 2100"),
        ({"start_year": ""}, "Enter the financial year"),
        ({"total_spend_pence": "lots"}, "Enter all supplier spend in pounds and pence"),
        ({"source_text": ""}, "Enter where these amounts come from"),
        ({"source_url": "javascript:alert(1)"}, "starting with https://"),
    ],
)
def test_year_rules(client, db, editor, changes, message):
    response = client.post("/admin/spend-by-year/new", data=YEAR | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(FinancialYear)) is None


def test_a_year_cannot_be_added_twice(client, db, editor):
    client.post("/admin/spend-by-year/new", data=YEAR)
    response = client.post("/admin/spend-by-year/new", data=YEAR)
    assert response.status_code == 400 and "already in the table" in response.get_data(as_text=True)


@pytest.mark.parametrize("part", ["as_of-day", "as_of-month", "as_of-year"])
def test_enormous_date_parts_are_refused_not_a_crash(client, db, editor, part):
    response = post_figure(client, status=400, **{part: "9" * 30})
    assert "must be a real date" in response.get_data(as_text=True)
