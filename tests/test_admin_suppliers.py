"""The supplier register: location from the postcode, straddling districts flagged for staff,
staff overrides recorded, and the register's search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.models import AuditEvent, Supplier
from campaign.services.spend import suppliers
from tests.factories import load_user_per_request, make_staff, make_supplier, signed_in
from tests.pages import text_of


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


@pytest.fixture
def editor(client, db):
    user = make_staff(db, role="editor")
    signed_in(client, user)
    return user


def add(client, status=302, **values):
    data = {"name": "Test Supplier Ltd", "postcode": "", "companies_house_number": "", "location_choice": "auto",
            "council_area": ""} | values
    response = client.post("/admin/suppliers/new", data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def saved(db, name="Test Supplier Ltd") -> Supplier:
    return db.session.scalar(select(Supplier).where(Supplier.name == name))


@pytest.mark.parametrize(
    "postcode, location, council, flagged",
    [
        ("BB4 6AA", "lancashire", "rossendale", False),  # Rossendale only
        ("fy7 6aa", "lancashire", "wyre", False),  # Fleetwood
        ("LA1 1AA", "lancashire", "lancaster", False),
        ("PR1 2AB", "lancashire", "preston", True),  # Preston and South Ribble
        ("BB1 1AA", "lancashire", "blackburn-with-darwen", True),  # three councils
        ("FY4 1AA", "lancashire", "blackpool", True),  # Blackpool and Fylde
        ("LA2 8AA", "lancashire", "lancaster", True),  # crosses the county line
        ("LA6 2AA", "lancashire", "lancaster", True),
        ("PR8 1AA", "north_west", None, True),  # Southport (Sefton), edges of West Lancashire
        ("PR9 9AA", "north_west", None, True),
        ("M1 1AA", "north_west", None, False),
        ("CA1 1AA", "north_west", None, False),
        ("SW1A 1AA", "elsewhere", None, False),
        ("LS1 4AP", "elsewhere", None, False),
    ],
)
def test_location_comes_from_the_postcode_and_boundaries_are_flagged(client, db, editor, postcode, location,
                                                                     council, flagged):
    add(client, postcode=postcode)
    supplier = saved(db)
    assert (supplier.location, supplier.council_area, supplier.needs_confirmation) == (location, council, flagged)
    assert not supplier.location_overridden
    page = text_of(client.get_page("admin.supplier_edit", supplier_id=supplier.id))
    assert ("crosses a boundary" in page) is flagged


def test_flagged_suppliers_are_listed_for_staff_to_confirm(client, db, editor):
    add(client, name="Southport Signs", postcode="PR9 0AA")
    add(client, name="Fleetwood Fish", postcode="FY7 6AA")
    page = client.get_page("admin.suppliers", query={"flagged": "1"})
    table = text_of(page.select_one("tbody"))
    assert "Southport Signs" in table and "Fleetwood Fish" not in table
    assert "Confirm location" in table
    assert "1 supplier to confirm" in text_of(client.get_page("admin.dashboard"))


def test_staff_confirm_a_council_and_the_override_is_recorded(client, db, editor):
    add(client, postcode="PR1 2AB")
    supplier = saved(db)
    response = client.post(f"/admin/suppliers/{supplier.id}/edit", data={
        "name": supplier.name, "postcode": "PR1 2AB", "location_choice": "auto", "council_area": "south-ribble"})
    assert response.status_code == 302
    db.session.refresh(supplier)
    assert (supplier.council_area, supplier.needs_confirmation, supplier.location_overridden) == (
        "south-ribble", False, True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "override_location"))
    assert event.staff_id == editor.id
    assert event.before["council_area"] == "preston" and event.after["council_area"] == "south-ribble"
    assert event.before["needs_confirmation"] is True and event.after["needs_confirmation"] is False


def test_staff_can_always_override_the_postcode(client, db, editor):
    add(client, name="Banks Boats", postcode="PR9 8AA")
    supplier = saved(db, "Banks Boats")
    client.post(f"/admin/suppliers/{supplier.id}/edit", data={
        "name": "Banks Boats", "postcode": "PR9 8AA", "location_choice": "lancashire", "council_area": "west-lancashire"})
    db.session.refresh(supplier)
    assert (supplier.location, supplier.council_area, supplier.location_overridden) == (
        "lancashire", "west-lancashire", True)
    assert "Set by staff" in text_of(client.get_page("admin.suppliers"))
    form = client.get_page("admin.supplier_edit", supplier_id=supplier.id)
    assert form.find("input", attrs={"name": "location_choice", "checked": True})["value"] == "lancashire"
    # Going back to the postcode clears the override.
    client.post(f"/admin/suppliers/{supplier.id}/edit", data={
        "name": "Banks Boats", "postcode": "PR9 8AA", "location_choice": "auto", "council_area": ""})
    db.session.refresh(supplier)
    assert (supplier.location, supplier.needs_confirmation, supplier.location_overridden) == (
        "north_west", True, False)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"postcode": "PR1 2A"}, "Enter a real UK postcode, like PR1 2AB"),
        ({"postcode": "NOT A POSTCODE"}, "Enter a real UK postcode"),
        ({"name": "   "}, "Enter the supplier's name"),
        ({"name": "!!!"}, "Enter a supplier name that includes letters or numbers"),
        ({"companies_house_number": "ABC"}, "Enter a Companies House number of 8 characters"),
        ({"location_choice": "mars"}, "Select where the supplier is based"),
        ({"council_area": "atlantis"}, "Select a Lancashire council area from the list"),
        ({"postcode": "M1 1AA", "council_area": "preston"}, "That postcode is outside Lancashire"),
        ({"location_choice": "elsewhere", "council_area": "preston"}, "Leave the council area blank"),
        ({"name": "x" * 301}, "must be 300 characters or fewer"),
    ],
)
def test_bad_supplier_details_get_an_instruction(client, db, editor, values, message):
    response = add(client, status=400, **values)
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.scalar(select(Supplier)) is None


def test_the_same_supplier_cannot_be_added_twice_under_a_variant_name(client, db, editor):
    add(client, name="Acme Fuels Ltd")
    response = add(client, status=400, name="ACME FUELS LIMITED")
    assert "There is already a supplier called Acme Fuels Ltd" in response.get_data(as_text=True)


def test_companies_house_numbers_are_normalised(client, db, editor):
    add(client, companies_house_number="1234567")
    assert saved(db).companies_house_number == "01234567"
    add(client, name="Scottish Ltd", companies_house_number="sc 123456")
    assert saved(db, "Scottish Ltd").companies_house_number == "SC123456"


def test_register_search_and_filters(client, db, editor):
    make_supplier(db, "Preston Plumbing", "lancashire")
    make_supplier(db, "Manchester Metals", "north_west")
    page = text_of(client.get_page("admin.suppliers", query={"q": "plumb"}).select_one("tbody"))
    assert "Preston Plumbing" in page and "Manchester" not in page
    page = text_of(client.get_page("admin.suppliers", query={"location": "north_west"}).select_one("tbody"))
    assert "Manchester Metals" in page and "Preston" not in page
    assert "No suppliers match" in text_of(client.get_page("admin.suppliers", query={"q": "%_"}))
    client.get_page("admin.suppliers", query={"location": "nonsense", "page": "-4"})


def test_register_pages_through_many_suppliers(client, db, editor):
    for number in range(suppliers.PAGE_SIZE + 5):
        db.session.add(Supplier(name=f"Supplier {number:03d}", name_key=f"supplier {number:03d}"))
    db.session.commit()
    first = client.get_page("admin.suppliers")
    assert "Page 1 of 2" in text_of(first)
    second = text_of(client.get_page("admin.suppliers", query={"page": "2"}))
    assert "Supplier 054" in second and "Supplier 000" not in second


def test_supplier_changes_are_audited(client, db, editor):
    add(client, postcode="BB4 6AA", is_sme="y")
    supplier = saved(db)
    client.post(f"/admin/suppliers/{supplier.id}/edit", data={
        "name": supplier.name, "postcode": "BB4 6AA", "location_choice": "auto", "is_vcse": "y"})
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "supplier")
                                .order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["create", "update"]
    assert events[0].after["location"] == "lancashire"
    assert events[1].before == {"is_sme": True, "is_vcse": False} and events[1].after == {"is_sme": False, "is_vcse": True}


def test_placement_rules_directly():
    assert suppliers.place(None, "auto", None).location == "unknown"
    assert suppliers.place("PR1 2AB", "auto", "preston").needs_confirmation is False
    assert suppliers.place("PR1 2AB", "elsewhere", None).overridden is True
    with pytest.raises(ValueError):
        suppliers.normalise_company_number("123456789")
