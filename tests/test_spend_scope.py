"""The honest share: whose payments, scope, coverage, corrections and review before public (issue 11)."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import func, select

from campaign.models import AuditEvent, ComputedYear, SpendImport, SpendTransaction
from campaign.services.spend import coverage, review, scope
from campaign.services.spend import imports as spend_import
from tests.factories import load_user_per_request, make_figure, make_staff, make_supplier, publish_everything, signed_in
from tests.pages import text_of
from tests.test_spend_import import HEADER_A, import_via_admin

MAPPING = {"date": 0, "supplier": 3, "amount": 5, "reference": 4}
# 2023/24: £1,000 local, £500 elsewhere, £8,500 to the County Council (a precept), £100 withheld.
FILE = (
    HEADER_A + "\n"
    "01/05/2023,x,y,Preston Plumbing Ltd,P1,1000.00\n"
    "01/06/2023,x,y,London Laptops,P2,500.00\n"
    "01/07/2023,x,y,Lancashire County Council,P3,8500.00\n"
    "01/08/2023,x,y,Redacted,,100.00\n"
)


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def register(db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire", postcode="PR1 1AA")
    make_supplier(db, "London Laptops", "elsewhere", postcode="SW1A 1AA")
    make_supplier(db, "Lancashire County Council", "lancashire", postcode="PR1 8XJ")


def approved_2023(db) -> ComputedYear | None:
    return db.session.scalar(
        select(ComputedYear).where(ComputedYear.start_year == 2023, ComputedYear.status == "approved"))


def test_the_journey_from_import_to_published_share(client, db, register):
    editor = make_staff(db, role="editor")
    signed_in(client, editor)
    import_via_admin(client, FILE.encode(), publish=False)
    record = db.session.scalar(select(SpendImport))
    assert record.status == "draft" and record.body.is_own
    public = client.application.test_client()
    assert "No figures computed from published payments are approved yet" in text_of(
        public.get_page("public.figures_page"))

    # An editor cannot approve.
    assert client.post(f"/admin/review/imports/{record.id}/approve").status_code == 403
    # A publisher cannot approve their own import while two-person approval is on.
    importer = make_staff(db, role="publisher")
    own = spend_import.import_data(db.session, "own.csv", (HEADER_A + "\n01/09/2023,x,y,Acme,Q1,5\n").encode(),
                                   MAPPING, importer)
    signed_in(client, importer)
    page = client.post(f"/admin/review/imports/{own.id}/approve")
    assert page.status_code == 403 and "Ask another publisher" in page.get_data(as_text=True)
    client.get_page("admin.review_list")
    assert approved_2023(db) is None

    # Another publisher approves the editor's import, then the year.
    signed_in(client, make_staff(db, role="publisher"))
    assert client.post(f"/admin/review/imports/{record.id}/approve").status_code == 302
    assert approved_2023(db) is None  # the year's figures are a second approval
    assert client.post("/admin/review/years/2023/approve").status_code == 302
    text = text_of(public.get_page("public.figures_page"))
    assert "Computed from 4 payments dated 1 May 2023 to 1 August 2023" in text
    assert "Left out: payments to private individuals £100 " in text
    assert "Coverage (in-scope spend with a supplier whose location is known) 100%" in text
    # Without scope rules the precept swamps the share: 9,500 of 10,000 in Lancashire.
    assert "Share with suppliers in Lancashire 95%" in text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "computed_year"))
    public.get_page("public.figures_method")


def test_a_precept_marked_out_of_scope_leaves_the_share_honest(client, db, register):
    editor = make_staff(db, role="editor")
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, editor)
    publish_everything(db)
    assert approved_2023(db).lancashire_share_bp == 9500
    signed_in(client, editor)
    response = client.post("/admin/scope", data={"kind": "supplier", "value": "LANCASHIRE COUNTY COUNCIL.",
                                                 "reason": "precept_levy", "note": "Precept"})
    assert response.status_code == 302
    # The public figures stay as approved until a publisher approves the change.
    assert approved_2023(db).lancashire_share_bp == 9500
    signed_in(client, make_staff(db, role="publisher"))
    assert client.post("/admin/review/years/2023/approve").status_code == 302
    year = approved_2023(db)
    assert year.out_of_scope == {"precept_levy": 850000, "private_individual": 10000}
    assert (year.in_scope_pence, year.classified_pence, year.lancashire_share_bp) == (150000, 150000, 6667)
    text = text_of(client.application.test_client().get_page("public.figures_page"))
    assert "Left out: precepts and levies £8,500 " in text and "Share with suppliers in Lancashire 66.67%" in text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "scope_rule")).staff_id == editor.id


def test_a_share_below_the_minimum_coverage_is_not_published(client, db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire")
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, make_staff(db))
    publish_everything(db)
    year = approved_2023(db)
    # £1,000 of £10,000 in scope is classified: 10%.
    assert year.coverage_bp == 1000 and not year.shares_shown
    text = text_of(client.get_page("public.figures_page"))
    assert "Not yet computed: 10% of in-scope spend has a classified supplier" in text
    assert "Share with suppliers in Lancashire" not in text
    items, figures = coverage.work_list(db.session, 2023)
    assert [(item.name, item.adds_bp) for item in items] == [
        ("Lancashire County Council", 8500), ("London Laptops", 500)]
    signed_in(client, make_staff(db, role="editor"))
    page = client.get_page("admin.work_list", query={"year": "2023"})
    assert "Lancashire County Council" in text_of(page) and "85%" in text_of(page)


def test_a_corrected_reimport_replaces_and_never_double_counts(db, register):
    editor = make_staff(db)
    spend_import.import_data(db.session, "may.csv", FILE.encode(), MAPPING, editor)
    publish_everything(db)
    corrected = FILE.replace("London Laptops,P2,500.00", "London Laptops,P2,550.00").replace(
        "01/07/2023,x,y,Lancashire County Council,P3,8500.00\n", "") + "02/08/2023,x,y,New Co,P9,1.00\n"
    preview = spend_import.preview_data(db.session, corrected.encode(), MAPPING)
    assert (preview.correction.added, preview.correction.removed, preview.correction.changed) == (1, 1, 1)
    record = spend_import.import_data(db.session, "may-corrected.csv", corrected.encode(), MAPPING, editor)
    assert record.replaces_id is not None and record.status == "draft"
    # Before approval the public figures and the counted payments are the first file's alone.
    assert coverage.compute(db.session)[2023].total_pence == 1_010_000
    publish_everything(db)
    assert db.session.get(SpendImport, record.replaces_id).status == "replaced"
    assert coverage.compute(db.session)[2023].total_pence == 1000_00 + 550_00 + 100_00 + 1_00
    assert approved_2023(db).total_pence == 165100
    assert db.session.scalar(select(func.count(SpendTransaction.id))) == 4


def test_other_bodies_never_count(db, register, tmp_path, app):
    path = tmp_path / "council.csv"
    path.write_text(FILE)
    result = app.test_cli_runner().invoke(args=["spend", "import", str(path), "--mapping",
                                                "date=0,supplier=3,amount=5,reference=4",
                                                "--body", "Lancashire County Council"])
    assert result.exit_code == 0, result.output
    record = db.session.scalar(select(SpendImport))
    assert record.body.name == "Lancashire County Council" and not record.body.is_own
    publish_everything(db)
    assert record.status == "approved" and coverage.compute(db.session) == {}


def test_command_line_actions_are_audited_with_the_os_user(app, db, tmp_path, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough password")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "create", "p@example.org", "--name", "Pat", "--role", "publisher"]).exit_code == 0
    assert runner.invoke(args=["staff", "set-password", "p@example.org"]).exit_code == 0
    assert runner.invoke(args=["staff", "disable", "p@example.org"]).exit_code == 0
    path = tmp_path / "a.csv"
    path.write_text(FILE)
    assert runner.invoke(args=["spend", "import", str(path)]).exit_code == 0
    actors = {event.action: event.staff_email for event in db.session.scalars(select(AuditEvent))}
    expected = f"command line ({getpass.getuser()})"
    assert actors == {"create": expected, "set_password": expected, "disable": expected, "import": expected}


def test_editors_cannot_publish_headline_figures_and_publishers_not_their_own(client, db):
    figure = make_figure(db)
    signed_in(client, make_staff(db, role="editor"))
    assert client.post(f"/admin/figures/{figure.id}/publish").status_code == 403
    publisher = make_staff(db, role="publisher")
    signed_in(client, publisher)
    client.post(f"/admin/figures/{figure.id}/edit", data={
        "label": "Changed", "kind": "manual", "unit": "pounds", "value": "£5", "period": "2023/24",
        "source_text": "A document"})
    assert client.post(f"/admin/figures/{figure.id}/publish").status_code == 403
    signed_in(client, make_staff(db, role="publisher"))
    assert client.post(f"/admin/figures/{figure.id}/publish").status_code == 302
    db.session.refresh(figure)
    assert figure.published


def test_scope_rules_refuse_bad_input(client, db):
    signed_in(client, make_staff(db, role="editor"))
    page = client.post_page("/admin/scope", {"kind": "supplier", "value": "", "reason": "nonsense"}, status=400)
    assert "Enter the category or payee name" in text_of(page)
    assert client.post("/admin/scope/minimum", data={"minimum": "50"}).status_code == 403
    signed_in(client, make_staff(db, role="publisher"))
    client.post_page("/admin/scope/minimum", {"minimum": "150"}, status=400)
    assert client.post("/admin/scope/minimum", data={"minimum": "50"}).status_code == 302
    assert coverage.minimum_coverage(db.session) == 5000
    assert scope.all_rules(db.session) == [] and review.two_person()
