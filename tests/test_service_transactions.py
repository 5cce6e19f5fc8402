"""Services own their transactions: a failed call leaves nothing half-saved and the session ready to use."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign.models import AuditEvent, FinancialYear, Supplier
from campaign.services import staff
from campaign.services.figures import editing
from campaign.services.spend import suppliers
from campaign.services.validation import FieldError, rolls_back_on_error
from tests.factories import make_staff, make_supplier, make_year


def _year_values(year: FinancialYear, **changes) -> dict:
    """A year's form values, with some changed."""
    return {**editing.year_values(year), **changes}


def test_a_failed_flush_is_rolled_back_and_the_session_stays_usable(db):
    year = make_year(db, start_year=2017, total_spend_pence=100_00)
    admin = make_staff(db, role="admin")
    audits = db.session.scalar(select(func.count(AuditEvent.id)))
    # The database refuses the year (outside 2000-2100) only after the service has changed the row.
    with pytest.raises(IntegrityError):
        editing.update_year(db.session, year, _year_values(year, start_year=1990, total_spend_pence=5_00), admin)
    assert not db.session.new and not db.session.dirty
    # No PendingRollbackError: the caller can carry on at once.
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audits
    assert (year.start_year, year.total_spend_pence) == (2017, 100_00)
    editing.update_year(db.session, year, _year_values(year, total_spend_pence=7_00), admin)
    assert db.session.get(FinancialYear, year.id).total_spend_pence == 7_00


def test_a_refusal_after_changes_leaves_none_of_them(db):
    make_supplier(db, name="Preston Pies Ltd")
    other = make_supplier(db, name="Bolton Bakes Ltd")
    admin = make_staff(db, role="admin")
    values = {**suppliers.values_of(other), "name": "Preston Pies Limited"}
    with pytest.raises(FieldError):
        suppliers.update(db.session, other, values, admin)
    assert not db.session.dirty
    assert db.session.scalar(select(Supplier.name).where(Supplier.id == other.id)) == "Bolton Bakes Ltd"


def test_the_last_admin_cannot_be_demoted_and_nothing_changes(db):
    admin = make_staff(db, role="admin")
    with pytest.raises(staff.StaffError):
        staff.update(db.session, admin, "New name", "editor", admin)
    assert not db.session.dirty and admin.role == "admin" and admin.name != "New name"


def test_the_wrapper_rolls_back_whatever_the_service_added(db):
    @rolls_back_on_error
    def half_done(session):
        session.add(FinancialYear(start_year=2030))
        session.flush()
        raise FieldError("start_year", "Refused after adding")

    with pytest.raises(FieldError):
        half_done(db.session)
    assert not db.session.new
    assert db.session.scalar(select(func.count(FinancialYear.id))) == 0
