"""Suggested suppliers for payee names not in the register: close names only, accepted in one click,
and names of people whose names were withheld never suggested or offered."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from campaign.models import AuditEvent, SpendImport, SpendTransaction
from campaign.models.spend import SupplierAlias
from campaign.services.spend import bodies, matching
from campaign.services.spend.values import normalise_supplier_name
from tests.factories import load_user_per_request, make_staff, make_supplier, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def unmatched(db):
    """Registered suppliers, and payments under other spellings of them, one to a withheld name."""
    record = SpendImport(filename="demo.csv", file_sha256="1" * 64, header_signature="x", mapping={}, body_id=bodies.own_body(db.session).id, status="approved")
    db.session.add(record)
    db.session.flush()
    make_supplier(db, "Lancashire County Council", "lancashire", council_area="preston")
    make_supplier(db, "Preston Paint Ltd", "lancashire", council_area="preston")
    make_supplier(db, "Redactive Publishing Ltd", "elsewhere")
    for number, (name, redacted) in enumerate([
        ("LANCASHIRE COUNTY COUNCIL.", False), ("Council Lancashire County", False), ("Lancs Cty Council", False),
        ("Preston Print Ltd", False), ("Redacted Personal Data", True), ("Something Else Entirely", False),
    ]):
        db.session.add(SpendTransaction(
            import_id=record.id, supplier_name=name, supplier_key=normalise_supplier_name(name),
            paid_on=date(2023, 5, 1), financial_year=2023, amount_pence=1000_00 + number, row_key=f"m{number}",
            redacted=redacted,
        ))
    db.session.commit()
    return db


def test_close_names_are_suggested_and_others_are_not(unmatched):
    names = ["Council Lancashire County", "Lancs Cty Council", "Preston Print Ltd", "Something Else Entirely"]
    found = matching.suggest(unmatched.session, [(normalise_supplier_name(n), n) for n in names])
    assert [s.name for s in found[normalise_supplier_name("Council Lancashire County")]] == [
        "Lancashire County Council"]
    assert found[normalise_supplier_name("Council Lancashire County")][0].score == 100
    assert normalise_supplier_name("Something Else Entirely") not in found
    # A typo is forgiven (and staff see the score); a shortened name is too far away to offer.
    assert [(s.name, s.score) for s in found[normalise_supplier_name("Preston Print Ltd")]] == [
        ("Preston Paint Ltd", 92)]
    assert normalise_supplier_name("Lancs Cty Council") not in found


def test_withheld_names_are_never_suggested(unmatched):
    name = "Redacted Personal Data"
    assert matching.suggest(unmatched.session, [(normalise_supplier_name(name), name)]) == {}
    assert matching.suggest(unmatched.session, [("redactive publishing", "REDACTED")]) == {}


def test_a_suggestion_is_accepted_in_one_click(client, unmatched):
    signed_in(client, make_staff(unmatched, role="editor"))
    page = client.get_page("admin.suppliers_unmatched")
    table = text_of(page.select_one("tbody"))
    assert "Redacted Personal Data" not in table
    forms = page.select("form[action='/admin/suppliers/unmatched/accept']")
    assert forms and all(form.find("input", attrs={"name": "csrf_token"}) for form in forms)
    form = next(f for f in forms if "Council Lancashire County" in text_of(f))
    assert "Lancashire County Council" in text_of(form) and "100% alike" in text_of(form)
    data = {i["name"]: i["value"] for i in form.find_all("input")}
    response = client.post("/admin/suppliers/unmatched/accept", data=data)
    assert response.status_code == 302
    alias = unmatched.session.scalar(select(SupplierAlias).where(SupplierAlias.name == "Council Lancashire County"))
    assert alias.supplier.name == "Lancashire County Council"
    linked = unmatched.session.scalar(
        select(SpendTransaction.supplier_id).where(SpendTransaction.supplier_name == "Council Lancashire County"))
    assert linked == alias.supplier_id
    event = unmatched.session.scalar(select(AuditEvent).where(AuditEvent.action == "match"))
    assert "Council Lancashire County" in event.summary
    follow = client.get_page("admin.suppliers_unmatched")
    assert "now count as Lancashire County Council" in text_of(follow)
    assert "Council Lancashire County" not in text_of(follow.select_one("tbody"))
    # The same click again (a second tab) says so, and adds nothing.
    client.post("/admin/suppliers/unmatched/accept", data=data)
    assert "already matched" in text_of(client.get_page("admin.suppliers_unmatched"))
    assert len(unmatched.session.scalars(select(SupplierAlias)).all()) == 1


def test_a_withheld_name_cannot_be_accepted_by_a_forged_form(client, unmatched):
    signed_in(client, make_staff(unmatched, role="editor"))
    supplier_id = make_supplier(unmatched, "Redacted Personal Data Services").id
    client.post("/admin/suppliers/unmatched/accept", data={
        "key": normalise_supplier_name("Redacted Personal Data"), "supplier_id": supplier_id})
    assert unmatched.session.scalar(select(SupplierAlias)) is None
    for bad in ({"key": "", "supplier_id": "1"}, {"key": "x", "supplier_id": "nope"},
                {"key": "x", "supplier_id": str(2**40)}):
        assert client.post("/admin/suppliers/unmatched/accept", data=bad).status_code == 400
