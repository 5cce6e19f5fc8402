"""The supplier register: where each supplier is, worked out from its postcode or set by staff.

A postcode district that straddles a boundary is never guessed silently: the supplier is
flagged for staff to confirm. Whatever staff choose wins over the postcode table, and the
audit log keeps the choice. Names in the payments that match no supplier wait here for staff to match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy import update as update_rows  # this module has its own update()
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import SpendTransaction, StaffUser, Supplier
from campaign.models.spend import SupplierAlias
from campaign.services import audit, geography
from campaign.services.spend import totals
from campaign.services.spend.values import is_redacted, normalise_supplier_name
from campaign.services.validation import FieldError, rolls_back_on_error

LOCATION_LABELS = {
    "lancashire": "Lancashire",
    "north_west": "North West (outside Lancashire)",
    "elsewhere": "Elsewhere",
    "unknown": "Not known yet",
}
LOCATION_CHOICES = ("auto", "lancashire", "north_west", "elsewhere")
# Companies House numbers: 8 digits, or 2 letters (SC, NI, OC...) and 6 digits.
_COMPANY_NUMBER_RE = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")
PAGE_SIZE = 50
FIELDS = [
    "name", "postcode", "companies_house_number", "is_sme", "is_vcse", "is_public_body",
    "location", "council_area", "needs_confirmation", "location_overridden",
]


@dataclass(frozen=True)
class Placement:
    """Where a supplier is, and whether staff still need to confirm it."""

    location: str
    council_area: str | None
    needs_confirmation: bool
    overridden: bool
    reason: str


def normalise_company_number(text: str | None) -> str | None:
    """A Companies House number in its 8-character form, or None when blank; ValueError when malformed."""
    compact = "".join((text or "").split()).upper()
    if not compact:
        return None
    if compact.isdigit() and len(compact) < 8:
        compact = compact.zfill(8)  # people often drop the leading zeros
    if not _COMPANY_NUMBER_RE.match(compact):
        raise ValueError(compact)
    return compact


def place(postcode: str | None, location_choice: str, council_choice: str | None) -> Placement:
    """Decide a supplier's location from the postcode table and anything staff chose.

    `location_choice` is "auto" (use the postcode) or a location staff set; `council_choice`
    is a Lancashire council slug staff picked, or None.
    """
    council_choice = council_choice or None
    if location_choice != "auto":
        council = council_choice if location_choice == "lancashire" else None
        return Placement(location_choice, council, False, True, "Set by staff")
    if not postcode:
        return Placement("unknown", None, False, False, "No postcode yet")
    found = geography.classify_postcode(postcode)
    if council_choice and found.location == "lancashire":
        # Picking the council for a Lancashire postcode is staff confirming it.
        return Placement("lancashire", council_choice, False, True, found.reason)
    return Placement(found.location, found.council_area, found.needs_confirmation, False, found.reason)


def describe_postcode(postcode: str | None) -> geography.Classification | None:
    """What the postcode table says about a postcode, for staff to see beside the form."""
    if not postcode:
        return None
    try:
        return geography.classify_postcode(postcode)
    except ValueError:
        return None


def _clean(session: Session, values: dict[str, Any], supplier: Supplier | None) -> dict[str, Any]:
    """Check a supplier's details and work out its location."""
    name = " ".join((values.get("name") or "").split())
    if not name:
        raise FieldError("name", "Enter the supplier's name")
    name_key = normalise_supplier_name(name)[:300]
    if not name_key:
        raise FieldError("name", "Enter a supplier name that includes letters or numbers")
    clash = session.scalar(select(Supplier).where(Supplier.name_key == name_key))
    if clash is not None and clash is not supplier:
        raise FieldError("name", f"There is already a supplier called {clash.name} in the register")
    alias = session.scalar(select(SupplierAlias).where(SupplierAlias.name_key == name_key))
    if alias is not None and alias.supplier is not supplier:
        raise FieldError("name", f"That name is already matched to {alias.supplier.name} in the register")
    postcode = None
    if (values.get("postcode") or "").strip():
        postcode = geography.normalise_postcode(values["postcode"])
        if postcode is None:
            raise FieldError("postcode", "Enter a real UK postcode, like PR1 2AB")
    try:
        company_number = normalise_company_number(values.get("companies_house_number"))
    except ValueError:
        raise FieldError(
            "companies_house_number", "Enter a Companies House number of 8 characters, like 01234567 or SC123456"
        ) from None
    choice = values.get("location_choice") or "auto"
    if choice not in LOCATION_CHOICES:
        raise FieldError("location_choice", "Select where the supplier is based")
    council = values.get("council_area") or None
    if council is not None and council not in dict(geography.COUNCIL_AREAS):
        raise FieldError("council_area", "Select a Lancashire council area from the list")
    if council is not None and choice not in ("auto", "lancashire"):
        raise FieldError("council_area", "Leave the council area blank for a supplier outside Lancashire")
    placement = place(postcode, choice, council)
    if council is not None and placement.location != "lancashire":
        raise FieldError(
            "council_area",
            "That postcode is outside Lancashire: choose Lancashire as the location to set a council area",
        )
    return {
        "name": name[:300],
        "name_key": name_key,
        "postcode": postcode,
        "companies_house_number": company_number,
        "is_sme": bool(values.get("is_sme")),
        "is_vcse": bool(values.get("is_vcse")),
        "is_public_body": bool(values.get("is_public_body")),
        "location": placement.location,
        "council_area": placement.council_area,
        "needs_confirmation": placement.needs_confirmation,
        "location_overridden": placement.overridden,
    }


@rolls_back_on_error
def create(session: Session, values: dict[str, Any], actor: StaffUser | None) -> Supplier:
    """Add a supplier, match any imported payments under its name, and refresh the yearly totals."""
    cleaned = _clean(session, values, None)
    supplier = Supplier(**cleaned)
    session.add(supplier)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise FieldError("name", "That supplier was added to the register a moment ago by someone else") from None
    linked = link_payments(session, supplier.name_key, supplier.id)
    summary = f"Added supplier {supplier.name} ({LOCATION_LABELS[supplier.location]}); matched {linked} payments"
    totals.recompute_years(session, prepared_by=actor, cause=summary)
    audit.record(session, actor, "create", "supplier", supplier.id, summary[:300],
                 after=audit.snapshot(supplier, FIELDS))
    session.commit()
    return supplier


@rolls_back_on_error
def update(session: Session, supplier: Supplier, values: dict[str, Any], actor: StaffUser | None) -> None:
    """Change a supplier's details or location; staff choices are recorded as overrides."""
    cleaned = _clean(session, values, supplier)
    before = audit.snapshot(supplier, FIELDS)
    for key, value in cleaned.items():
        setattr(supplier, key, value)
    session.flush()
    link_payments(session, supplier.name_key, supplier.id)
    summary = f"Changed supplier {supplier.name} ({LOCATION_LABELS[supplier.location]})"
    totals.recompute_years(session, prepared_by=actor, cause=summary)
    action = "override_location" if supplier.location_overridden and (
        before["location"] != supplier.location or before["council_area"] != supplier.council_area
        or before["needs_confirmation"] != supplier.needs_confirmation
    ) else "update"
    audit.record(session, actor, action, "supplier", supplier.id, summary[:300],
                 before=before, after=audit.snapshot(supplier, FIELDS))
    session.commit()


def values_of(supplier: Supplier) -> dict[str, Any]:
    """A supplier's details, to fill the form."""
    return {
        "name": supplier.name,
        "postcode": supplier.postcode or "",
        "companies_house_number": supplier.companies_house_number or "",
        "is_sme": supplier.is_sme,
        "is_vcse": supplier.is_vcse,
        "is_public_body": supplier.is_public_body,
        "location_choice": supplier.location if supplier.location_overridden and supplier.location != "unknown"
        else "auto",
        "council_area": supplier.council_area or "",
    }


def find_by_name(session: Session, name: str) -> Supplier | None:
    """The registered supplier with this name (or a name matched to it), compared by normalised name."""
    key = normalise_supplier_name(name or "")[:300]
    if not key:
        return None
    supplier = session.scalar(select(Supplier).where(Supplier.name_key == key))
    if supplier is None:
        alias = session.scalar(select(SupplierAlias).where(SupplierAlias.name_key == key))
        supplier = alias.supplier if alias is not None else None
    return supplier


@rolls_back_on_error
def match_alias(session: Session, key: str, supplier_name: str, actor: StaffUser | None) -> Supplier:
    """Match an unmatched name from the payments to a supplier already in the register."""
    name = unmatched_name(session, key)
    if name is None:
        raise FieldError(None, "Those payments are already matched to a supplier")
    supplier = find_by_name(session, supplier_name)
    if supplier is None:
        raise FieldError("supplier_name", "Enter the name of a supplier in the register")
    return _add_alias(session, key, name, supplier, actor)


@rolls_back_on_error
def accept_suggestion(session: Session, key: str, supplier_id: int, actor: StaffUser | None) -> Supplier:
    """Match an unmatched name to the registered supplier suggested for it, in one click."""
    name = unmatched_name(session, key)
    if name is None or is_redacted(name):
        raise FieldError(None, "Those payments are already matched to a supplier")
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise FieldError(None, "That supplier is no longer in the register")
    return _add_alias(session, key, name, supplier, actor)


def _add_alias(session: Session, key: str, name: str, supplier: Supplier, actor: StaffUser | None) -> Supplier:
    """Record a name as another name of a supplier, link its payments and refresh the totals."""
    session.add(SupplierAlias(name=name[:300], name_key=key[:300], supplier_id=supplier.id))
    try:
        session.flush()
    except IntegrityError:
        raise FieldError(None, "That name was matched to a supplier a moment ago by someone else") from None
    linked = link_payments(session, key, supplier.id)
    summary = f"Matched '{name}' to {supplier.name}: {linked} payments"
    totals.recompute_years(session, prepared_by=actor, cause=summary)
    audit.record(session, actor, "match", "supplier", supplier.id, summary[:300],
                 after={"alias": name, "supplier": supplier.name, "payments": linked})
    session.commit()
    return supplier


@dataclass(frozen=True)
class SupplierPage:
    """One page of the register, with what is needed to page through it."""

    suppliers: list[Supplier]
    total: int
    page: int
    pages: int


def search(
    session: Session, text: str = "", location: str = "", flagged: bool = False, page: int = 1
) -> SupplierPage:
    """Suppliers matching a name search, a location and the needs-confirming flag, by name."""
    conditions = []
    if text.strip():
        key = normalise_supplier_name(text)[:300]
        if key:
            conditions.append(Supplier.name_key.contains(key, autoescape=True))
        else:
            conditions.append(Supplier.name.icontains(text.strip(), autoescape=True))
    if location in LOCATION_LABELS:
        conditions.append(Supplier.location == location)
    if flagged:
        conditions.append(Supplier.needs_confirmation.is_(True))
    total = session.scalar(select(func.count(Supplier.id)).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(Supplier).where(*conditions).order_by(Supplier.name_key).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    return SupplierPage(list(rows), total, page, pages)


def attention_counts(session: Session) -> dict[str, int]:
    """How many suppliers need staff: to confirm a location, or to be added to the register."""
    flagged = session.scalar(select(func.count(Supplier.id)).where(Supplier.needs_confirmation.is_(True))) or 0
    unknown = session.scalar(select(func.count(Supplier.id)).where(Supplier.location == "unknown")) or 0
    unmatched = session.scalar(
        select(func.count(func.distinct(SpendTransaction.supplier_key))).where(
            SpendTransaction.supplier_id.is_(None), SpendTransaction.redacted.is_(False)
        )
    ) or 0
    return {"flagged": flagged, "unknown": unknown, "unmatched": unmatched}


def spend_with(session: Session, supplier: Supplier) -> tuple[int, int]:
    """How many imported payments went to a supplier, and their total in pence."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(SpendTransaction.amount_pence), 0)).where(
            SpendTransaction.supplier_id == supplier.id
        )
    ).one()
    return int(count), int(total)


def aliases_of(session: Session, supplier: Supplier) -> list[str]:
    """Other names this supplier's payments appear under."""
    return list(
        session.scalars(select(SupplierAlias.name).where(SupplierAlias.supplier_id == supplier.id).order_by(
            SupplierAlias.name))
    )


@dataclass(frozen=True)
class UnmatchedSupplier:
    """A name in the payments that matches no supplier in the register."""

    key: str
    name: str
    payments: int
    total_pence: int


def unmatched_suppliers(session: Session, limit: int = 50, offset: int = 0) -> tuple[list[UnmatchedSupplier], int]:
    """Unmatched supplier names with the most spend first, and how many there are in all."""
    unmatched = (SpendTransaction.supplier_id.is_(None)) & (SpendTransaction.redacted.is_(False))
    total_count = session.scalar(select(func.count(distinct(SpendTransaction.supplier_key))).where(unmatched)) or 0
    spend = func.sum(SpendTransaction.amount_pence)
    rows = session.execute(
        select(SpendTransaction.supplier_key, func.min(SpendTransaction.supplier_name), func.count(), spend)
        .where(unmatched)
        .group_by(SpendTransaction.supplier_key)
        .order_by(spend.desc(), SpendTransaction.supplier_key)
        .limit(limit)
        .offset(offset)
    )
    return [UnmatchedSupplier(row[0], row[1], int(row[2]), int(row[3])) for row in rows], total_count


def unmatched_name(session: Session, key: str) -> str | None:
    """A name the payments use for this unmatched key, if any payment still has it."""
    key = key.replace("\x00", "")[:300]
    return session.scalar(
        select(func.min(SpendTransaction.supplier_name)).where(
            SpendTransaction.supplier_key == key,
            SpendTransaction.supplier_id.is_(None),
            SpendTransaction.redacted.is_(False),
        )
    )


def link_payments(session: Session, key: str, supplier_id: int) -> int:
    """Point unmatched payments under this name key at a supplier (no commit); returns how many."""
    return session.execute(
        update_rows(SpendTransaction)
        .where(SpendTransaction.supplier_key == key, SpendTransaction.supplier_id.is_(None))
        .values(supplier_id=supplier_id)
    ).rowcount or 0
