"""Previewing and importing transparency spend files, once staged and mapped (see staging.py).

A file goes upload -> mapping -> preview -> import.

Every import names its publishing body (bodies.py) and starts as a draft that counts toward nothing
until a publisher approves it (review.py). A file for the same body and months as an approved import
is a correction: its preview says what changed, and once approved it replaces the earlier import.

Importing is idempotent twice over: a file whose SHA-256 was imported before is refused,
and each payment's `row_key` (a fingerprint of reference, date, supplier and amount) is
unique, so a file that overlaps an earlier one adds only the payments that are new.

Importing recomputes the draft yearly figures (coverage.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import String, any_, bindparam, delete, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.formatting import year_label
from campaign.models import PublishingBody, SpendImport, SpendTransaction, StaffUser, Supplier
from campaign.models.spend import StagedUpload, SupplierAlias
from campaign.services import audit
from campaign.services.figures.editing import financial_year_of
from campaign.services.spend import bodies, corrections, staging, totals
from campaign.services.spend import parse as spend_parse
from campaign.services.spend.columns import header_signature
from campaign.services.spend.staging import SpendImportError
from campaign.services.spend.values import normalise_supplier_name
from campaign.services.validation import rolls_back_on_error

BATCH_SIZE = 5_000  # rows per INSERT: big enough to be quick, small enough to keep memory flat
KEY_CHUNK = 500  # row keys per IN (...) query when counting payments already imported (SQLite)
PG_KEY_CHUNK = 50_000  # row keys per = ANY(array) query on PostgreSQL
REDACTED_KEY = corrections.REDACTED_KEY


@dataclass(frozen=True)
class YearSummary:
    """Payments in one financial year of a file being previewed."""

    start_year: int
    count: int
    total_pence: int

    @property
    def label(self) -> str:
        """The year as people write it, for example 2023/24."""
        return year_label(self.start_year)


@dataclass
class ImportPreview:
    """What importing a staged file would do."""

    headers: list[str]
    parsed: spend_parse.Preview
    years: list[YearSummary]
    already_imported: int
    supplier_count: int
    unmatched_suppliers: int
    correction: corrections.Correction | None = None

    @property
    def new_rows(self) -> int:
        """Payments that importing would add."""
        return self.parsed.row_count - self.already_imported


@lru_cache(maxsize=16_384)
def _name_key(name: str) -> str:
    """A supplier name's matching key; cached because names repeat throughout a file."""
    return normalise_supplier_name(name)[:300]


def _supplier_key(row: spend_parse.ParsedRow) -> str:
    """The register matching key for a row; redacted rows share one that no real name produces."""
    return REDACTED_KEY if row.redacted else _name_key(row.supplier_name)


def _register_ids(session: Session) -> dict[str, int]:
    """Every name key the register knows (names and staff-matched aliases), to its supplier id."""
    ids = {key: supplier_id for key, supplier_id in session.execute(
        select(SupplierAlias.name_key, SupplierAlias.supplier_id))}
    ids.update((key, supplier_id) for key, supplier_id in session.execute(select(Supplier.name_key, Supplier.id)))
    return ids


def _parse(data: bytes, mapping: dict[str, int | None]) -> spend_parse.Preview:
    """Parse a whole file, turning the parser's errors into ones staff can act on."""
    try:
        return spend_parse.preview(data, mapping)
    except spend_parse.FileFormatError as error:
        raise SpendImportError(f"The file could not be read: {error}") from None
    except spend_parse.MappingError as error:
        raise SpendImportError(str(error)) from None


def count_already_imported(session: Session, keys: list[str]) -> int:
    """How many of these row keys are already in the database."""
    postgres = session.get_bind().dialect.name == "postgresql"
    # PostgreSQL takes a whole array in one round trip; SQLite caps the parameters in one statement.
    chunk_size = PG_KEY_CHUNK if postgres else KEY_CHUNK
    found = 0
    for start in range(0, len(keys), chunk_size):
        chunk = keys[start:start + chunk_size]
        if postgres:
            condition = SpendTransaction.row_key == any_(bindparam("keys", chunk, type_=postgresql.ARRAY(String)))
        else:
            condition = SpendTransaction.row_key.in_(chunk)
        found += session.scalar(select(func.count()).select_from(SpendTransaction).where(condition)) or 0
    return found


def preview_data(
    session: Session, data: bytes, mapping: dict[str, int | None], body: PublishingBody | None = None
) -> ImportPreview:
    """Parse a file and say what importing it would add (or correct), without changing anything."""
    parsed = _parse(data, mapping)  # once: the headers come with it
    headers = parsed.headers
    by_year: dict[int, list[int]] = {}
    for row in parsed.rows:
        totals = by_year.setdefault(financial_year_of(row.paid_on), [0, 0])
        totals[0] += 1
        totals[1] += row.amount_pence
    keys = {_supplier_key(row) for row in parsed.rows if not row.redacted}
    known = _register_ids(session)
    return ImportPreview(
        headers=headers,
        parsed=parsed,
        years=[YearSummary(year, count, total) for year, (count, total) in sorted(by_year.items())],
        already_imported=count_already_imported(session, [spend_parse.row_fingerprint(row) for row in parsed.rows]),
        supplier_count=len(keys),
        unmatched_suppliers=len(keys - known.keys()),
        correction=corrections.compare(
            session, body or bodies.own_body(session), parsed.rows, header_signature(headers)
        ),
    )


def parse_staged(staged: StagedUpload) -> spend_parse.Preview:
    """Parse a staged file with its confirmed mapping."""
    if staged.mapping is None:
        raise SpendImportError("Choose which columns hold the date, supplier and amount first")
    return _parse(staged.data, staged.mapping)


def preview_staged(session: Session, staged: StagedUpload) -> ImportPreview:
    """The preview of a staged file with its confirmed mapping."""
    if staged.mapping is None:
        raise SpendImportError("Choose which columns hold the date, supplier and amount first")
    return preview_data(session, staged.data, staged.mapping)


def _insert_statement(session: Session):
    """INSERT ... ON CONFLICT (row_key) DO NOTHING, in the database's own dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(SpendTransaction.__table__).on_conflict_do_nothing(index_elements=["row_key"])


@rolls_back_on_error
def import_data(
    session: Session,
    filename: str,
    data: bytes,
    mapping: dict[str, int | None],
    actor: StaffUser | None,
    parsed: spend_parse.Preview | None = None,
    body: PublishingBody | None = None,
    is_demo: bool = False,
) -> SpendImport:
    """Import every good row of a file as a draft; payments already in the database are left as they are.

    Rows with errors are left out (the preview lists them). Everything happens in one
    transaction: the import record, the payments, the draft yearly figures and the audit entry.
    `parsed` is the file already parsed with this mapping, when the caller has it; `body` is whose
    payments they are (the campaign's own when None).
    """
    earlier = staging.previous_import(session, data)
    if earlier is not None:
        raise SpendImportError(staging.already_imported_message(earlier))
    parsed = parsed if parsed is not None else _parse(data, mapping)
    headers = parsed.headers
    if not parsed.rows:
        raise SpendImportError("There are no payments to import: check the columns, or the file")
    body = body or bodies.own_body(session)
    correction = corrections.compare(session, body, parsed.rows, header_signature(headers))
    record = SpendImport(
        body_id=body.id,
        status="draft",
        period_start=min(row.paid_on for row in parsed.rows),
        period_end=max(row.paid_on for row in parsed.rows),
        replaces_id=correction.replaces.id if correction else None,
        changes=correction.as_json() if correction else None,
        is_demo=is_demo,
        filename=staging.clean_filename(filename),
        file_sha256=staging.file_hash(data),
        header_signature=header_signature(headers),
        mapping=mapping,
        row_count=parsed.row_count,
        skipped_count=len(parsed.errors) + len(parsed.skipped),
        total_pence=parsed.total_pence,
        imported_by_id=actor.id if actor is not None else None,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        # Someone else imported the same file a moment ago.
        session.rollback()
        raise SpendImportError(
            "This file was imported a moment ago by someone else, so it was not imported again"
        ) from None

    register = _register_ids(session)
    statement = _insert_statement(session)
    batch: list[dict[str, Any]] = []
    for row in parsed.rows:
        key = _supplier_key(row)
        batch.append({
            "import_id": record.id,
            "supplier_id": None if row.redacted else register.get(key),
            "supplier_name": row.supplier_name[:300],
            "supplier_key": key,
            "paid_on": row.paid_on,
            "financial_year": financial_year_of(row.paid_on),
            "amount_pence": row.amount_pence,
            "reference": row.reference[:100] if row.reference else None,
            "row_key": spend_parse.row_fingerprint(row),
            "redacted": row.redacted,
            "category": row.category[:200] if row.category else None,
        })
        if len(batch) >= BATCH_SIZE:
            session.execute(statement, batch)
            batch = []
    if batch:
        session.execute(statement, batch)
    if session.get_bind().dialect.name == "postgresql":
        # Fresh planner statistics after a bulk load, so the next queries use the indexes.
        session.execute(text("ANALYZE spend_transaction"))
    record.added_count = session.scalar(
        select(func.count()).select_from(SpendTransaction).where(SpendTransaction.import_id == record.id)
    ) or 0
    if not staging.first_row_is_data(mapping):
        staging.remember_mapping(session, headers, mapping)
    audit.record(
        session, actor, "import", "spend_import", record.id,
        f"Imported {record.filename} for {body.name} as a draft: {record.added_count} new payments"
        f" of {record.row_count}" + (f", correcting {correction.replaces.filename}" if correction else ""),
        after=audit.snapshot(record, ["filename", "file_sha256", "row_count", "added_count", "skipped_count",
                                      "total_pence", "mapping", "body_id", "status", "replaces_id"]),
    )
    session.commit()
    return record


@rolls_back_on_error
def import_staged(
    session: Session, staged: StagedUpload, actor: StaffUser | None, parsed: spend_parse.Preview | None = None,
    body: PublishingBody | None = None,
) -> SpendImport:
    """Import a staged file with its confirmed mapping as a draft, then forget the staged copy."""
    if staged.mapping is None:
        raise SpendImportError("Choose which columns hold the date, supplier and amount first")
    record = import_data(session, staged.filename, staged.data, staged.mapping, actor, parsed, body=body)
    session.delete(staged)
    session.commit()
    return record


@rolls_back_on_error
def remove_import(session: Session, spend_import: SpendImport, actor: StaffUser | None) -> int:
    """Take out the payments one import added (say, after a wrong mapping); returns how many went."""
    removed = session.execute(
        delete(SpendTransaction).where(SpendTransaction.import_id == spend_import.id)
    ).rowcount or 0
    before = audit.snapshot(spend_import, ["filename", "file_sha256", "row_count", "added_count", "total_pence",
                                           "status"])
    session.delete(spend_import)
    session.flush()
    summary = f"Removed import {spend_import.filename}: {removed} payments taken out"
    totals.recompute_years(session, prepared_by=actor, cause=summary)
    audit.record(session, actor, "remove", "spend_import", spend_import.id, summary, before=before)
    session.commit()
    return removed


def recent_imports(session: Session, limit: int = 20) -> list[SpendImport]:
    """The latest imports, newest first."""
    return list(session.scalars(select(SpendImport).order_by(SpendImport.created_at.desc()).limit(limit)))
