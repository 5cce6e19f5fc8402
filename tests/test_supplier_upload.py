"""Uploading a list of suppliers: a preview with line-numbered errors, nothing saved until confirmed or
when any line is wrong, matching by company number then name, locations only from postcodes, and the export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from campaign.models import AuditEvent, SpendImport, SpendTransaction, Supplier
from campaign.services.spend import bodies, supplier_upload
from tests.factories import load_user_per_request, make_staff, make_supplier, signed_in
from tests.pages import parse, text_of

GOOD = (
    "Name,Postcode,Company number,SME,VCSE,Public body\n"
    "Ribble Valley Builders Ltd,BB7 1AA,01234567,yes,no,no\n"  # 2
    "Southport Signs,PR9 0AA,,Y,,\n"  # 3
    "Nowhere Known Ltd,,,no,yes,\n"  # 4
    "Lancashire County Council,PR1 8XJ,,no,no,yes\n"  # 5
)


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def editor(client, db):
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


def upload(client, text: str | bytes, status=200, filename="suppliers.csv"):
    data = text.encode() if isinstance(text, str) else text
    response = client.post("/admin/suppliers/upload", data={"file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return parse(response.get_data(as_text=True))


def confirm(client, page, status=302):
    form = page.find("form", action="/admin/suppliers/upload/confirm")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    response = client.post("/admin/suppliers/upload/confirm", data=data)
    assert response.status_code == status
    return response


def count(db) -> int:
    return db.session.scalar(select(func.count(Supplier.id)))


def test_a_preview_saves_nothing_and_confirming_saves_every_line(client, db, editor):
    page = upload(client, GOOD)
    assert count(db) == 0
    text = text_of(page)
    assert "Suppliers to add 4" in text and "Lines with problems 0" in text
    assert "Not known yet" in text and "(to confirm)" in text
    confirm(client, page)
    suppliers = {s.name: s for s in db.session.scalars(select(Supplier))}
    builders = suppliers["Ribble Valley Builders Ltd"]
    assert (builders.location, builders.council_area, builders.companies_house_number) == (
        "lancashire", "ribble-valley", "01234567")
    assert builders.is_sme and not builders.is_vcse and not builders.is_public_body
    assert suppliers["Southport Signs"].location == "north_west" and suppliers["Southport Signs"].needs_confirmation
    # No postcode: the location stays not known, never guessed.
    assert suppliers["Nowhere Known Ltd"].location == "unknown" and suppliers["Nowhere Known Ltd"].council_area is None
    assert suppliers["Lancashire County Council"].is_public_body
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "supplier")).all()
    assert sorted(e.action for e in events) == ["create"] * 4 + ["upload"]
    assert "4 suppliers added" in next(e.summary for e in events if e.action == "upload")


def test_errors_are_listed_by_line_and_nothing_is_saved(client, db, editor):
    text = (
        "Supplier name,Post code,Company No,SME (yes/no),VCSE,Public body,Notes\n"
        "Good Supplier Ltd,PR1 2AB,,yes,,,fine\n"  # 2
        "Bad Postcode Ltd,PR1 XYZ,,,,,\n"  # 3
        ",PR1 2AB,,,,,\n"  # 4
        "\"Multi\nLine Ltd\",,12X,maybe,,,\n"  # 5-6
        "REDACTED,,,,,,\n"  # 7
        "good supplier limited,,,,,,\n"  # 8: the same as line 2
    )
    page = upload(client, text, status=400)
    assert page.title.get_text().startswith("Error: ")
    errors = [li.get_text(" ", strip=True) for li in page.select(".error-summary li")]
    assert errors == [
        "Line 3: enter a postcode like PR1 2AB, or leave it blank",
        "Line 4: enter the supplier's name",
        "Line 5: enter a company number of 8 characters, like 01234567 or SC123456, or leave it blank",
        "Line 5: enter yes or no for SME, or leave it blank",
        "Line 7: “REDACTED” marks a payment to a person whose name was withheld, not a supplier: remove this line",
        "Line 8: this supplier is also on line 2: keep one line for each",
    ]
    assert "Columns not used Notes" in text_of(page)
    assert page.find("form", action="/admin/suppliers/upload/confirm") is None
    assert count(db) == 0


def test_a_forged_confirm_with_errors_saves_nothing(client, db, editor):
    packed = supplier_upload.pack(b"name,postcode\nFine Ltd,PR1 2AB\nBroken Ltd,NOT A POSTCODE\n")
    response = client.post("/admin/suppliers/upload/confirm", data={"payload": packed, "filename": "x.csv"})
    assert response.status_code == 400 and "Line 3: enter a postcode" in response.get_data(as_text=True)
    assert count(db) == 0
    assert client.post("/admin/suppliers/upload/confirm", data={"payload": "!!", "filename": "x"}).status_code == 302
    assert count(db) == 0


def test_updates_match_by_company_number_then_name_and_keep_staff_locations(client, db, editor):
    by_number = make_supplier(db, "Old Name Ltd", "unknown", companies_house_number="01234567")
    by_name = make_supplier(db, "Acme Fuels Ltd", "elsewhere", postcode="LS1 4AP", location_overridden=True,
                            is_sme=True)
    record = SpendImport(filename="d.csv", file_sha256="2" * 64, header_signature="x", mapping={}, body_id=bodies.own_body(db.session).id, status="approved")
    db.session.add(record)
    db.session.flush()
    db.session.add(SpendTransaction(import_id=record.id, supplier_name="New Name Ltd", supplier_key="new name",
                                    paid_on=date(2023, 5, 1), financial_year=2023, amount_pence=500_00, row_key="u1"))
    db.session.commit()
    page = upload(client, "name,postcode,company number,sme\n"
                          "New Name Ltd,FY7 6AA,1234567,\n"
                          "ACME FUELS LIMITED,BB4 6AA,,\n")
    assert "Suppliers to change 2" in text_of(page) and "Suppliers to add 0" in text_of(page)
    confirm(client, page)
    db.session.expire_all()
    assert count(db) == 2
    assert (by_number.name, by_number.location, by_number.council_area) == ("New Name Ltd", "lancashire", "wyre")
    # Staff set Acme's location by hand: the new postcode is stored but the location is theirs.
    assert by_name.postcode == "BB4 6AA" and by_name.location == "elsewhere" and by_name.is_sme
    payment = db.session.scalar(select(SpendTransaction).where(SpendTransaction.row_key == "u1"))
    assert payment.supplier_id == by_number.id


def test_conflicting_identities_are_errors(client, db, editor):
    make_supplier(db, "Alpha Ltd", companies_house_number="11111111")
    make_supplier(db, "Beta Ltd", companies_house_number="22222222")
    page = upload(client, "name,company number\nBeta Ltd,11111111\nAlpha Ltd,33333333\n", status=400)
    errors = [li.get_text(" ", strip=True) for li in page.select(".error-summary li")]
    assert errors[0].startswith("Line 2: company number 11111111 belongs to Alpha Ltd")
    assert errors[1].startswith("Line 3: Alpha Ltd has company number 11111111 in the register")


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"postcode,sme\nPR1 2AB,yes\n", "Line 1: the header needs a column called name"),
    (b"name\n" + b"x" * (supplier_upload.MAX_BYTES + 10), "larger than 1MB"),
])
def test_unreadable_files_get_a_clear_message(client, db, editor, data, message):
    page = upload(client, data, status=400)
    assert message in text_of(page.select_one(".error-summary"))


def test_other_encodings_are_read(client, db, editor):
    upload(client, "name,postcode\nCafé Crème Ltd,PR1 2AB\n".encode("cp1252"))
    page = upload(client, "name,postcode\nCafé Crème Ltd,PR1 2AB\n".encode("utf-16"))
    assert "Café Crème Ltd" in text_of(page)


def test_the_register_exports_as_csv_and_uploads_again_unchanged(client, db, editor):
    make_supplier(db, "=HYPERLINK(\"http://evil\")", "lancashire", postcode="PR1 2AB", council_area="preston")
    make_supplier(db, "Plain Ltd", "elsewhere", postcode="LS1 4AP", is_public_body=True)
    response = client.get("/admin/suppliers/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:6] == ["Name", "Postcode", "Company number", "SME", "VCSE", "Public body"]
    assert rows[1][0].startswith("'=")
    assert rows[2][:6] == ["Plain Ltd", "LS1 4AP", "", "no", "no", "yes"]
    page = upload(client, "\r\n".join(",".join(f'"{c}"' for c in row) for row in [rows[0], rows[2]]))
    assert "Lines with nothing to change 1" in text_of(page)
    assert "Columns not used Location, Council area, Location to confirm, Location set by staff" in text_of(page)


def test_the_upload_page_follows_the_form_pattern(client, db, editor):
    page = client.get_page("admin.suppliers_upload")
    form = page.select_one("main form")
    assert form["enctype"] == "multipart/form-data" and form.has_attr("novalidate")
    soup = upload(client, b"", status=400)
    assert soup.title.get_text().startswith("Error: ")
    response = client.post("/admin/suppliers/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Select a CSV file of suppliers to upload" in response.get_data(as_text=True)
