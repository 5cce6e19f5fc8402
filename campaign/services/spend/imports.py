"""Importing transparency spend files, and the yearly totals worked out from them.

A file goes upload -> mapping -> preview -> import. Between steps it waits in the
`staged_upload` table, so any app instance can carry on where another left off.

Importing is idempotent twice over: a file whose SHA-256 was imported before is refused,
and each payment's `row_key` (a fingerprint of reference, date, supplier and amount) is
unique, so a file that overlaps an earlier one adds only the payments that are new.

Yearly totals are one GROUP BY over the transactions joined to the supplier register.
They fill the spend-by-year table only for years staff have not typed in from a
document: a documented year is never overwritten by an import; the staff page shows
the computed totals beside it, and staff can choose to switch that year over.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import String, any_, bindparam, case, delete, distinct, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.formatting import pounds
from campaign.models import FinancialYear, ImportMapping, SpendImport, SpendTransaction, StaffUser, Supplier
from campaign.models.common import utcnow
from campaign.models.spend import StagedUpload, SupplierAlias
from campaign.services import audit
from campaign.services.spend import parse as spend_parse
from campaign.services.validation import FieldError

STALE_AFTER = timedelta(hours=6)  # an upload nobody finished importing is deleted after this
BATCH_SIZE = 5_000  # rows per INSERT: big enough to be quick, small enough to keep memory flat
KEY_CHUNK = 500  # row keys per IN (...) query when counting payments already imported (SQLite)
PG_KEY_CHUNK = 50_000  # row keys per = ANY(array) query on PostgreSQL
COMPUTED_SOURCE = "Computed from imported spend data"
REDACTED_KEY = "(redacted)"  # supplier_key for payments to people whose names were withheld
MIN_YEAR, MAX_YEAR = 2000, 2100  # the financial_year table's own limits
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")  # what secrets.token_urlsafe makes


class SpendImportError(ValueError):
    """The file or mapping cannot be used; the message says what to do."""


@dataclass(frozen=True)
class YearSummary:
    """Payments in one financial year of a file being previewed."""

    start_year: int
    count: int
    total_pence: int

    @property
    def label(self) -> str:
        """The year as people write it, for example 2023/24."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"


@dataclass
class ImportPreview:
    """What importing a staged file would do."""

    headers: list[str]
    parsed: spend_parse.Preview
    years: list[YearSummary]
    already_imported: int
    supplier_count: int
    unmatched_suppliers: int

    @property
    def new_rows(self) -> int:
        """Payments that importing would add."""
        return self.parsed.row_count - self.already_imported


@dataclass(frozen=True)
class YearTotals:
    """One financial year's spend, worked out from the imported payments."""

    start_year: int
    payments: int
    total_pence: int
    lancashire_pence: int
    north_west_pence: int
    sme_pence: int
    vcse_pence: int
    unclassified_pence: int
    redacted_pence: int

    @property
    def label(self) -> str:
        """The year as people write it, for example 2023/24."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"


@dataclass
class RecomputeResult:
    """Which rows of the spend-by-year table the totals filled, and which they left alone."""

    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    documented: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Staging an upload
# ---------------------------------------------------------------------------


def file_hash(data: bytes) -> str:
    """The SHA-256 that identifies a file's exact contents."""
    return hashlib.sha256(data).hexdigest()


def previous_import(session: Session, data: bytes) -> SpendImport | None:
    """The earlier import of exactly this file, if there was one."""
    return session.scalar(select(SpendImport).where(SpendImport.file_sha256 == file_hash(data)))


def _already_imported_message(earlier: SpendImport) -> str:
    """Why the same file is refused, naming the earlier import."""
    return (
        f"This file was already imported on {earlier.created_at:%d/%m/%Y} (as {earlier.filename}). "
        "Importing it again would add nothing, so it was not imported"
    )


def read_headers(data: bytes) -> list[str]:
    """The cleaned header row of a spend file, or a SpendImportError saying why it cannot be read."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpendImportError(
            "The selected file is an Excel workbook: open it in Excel, save it as CSV (comma delimited) and upload that"
        )
    try:
        table = spend_parse.read_table(data)
    except spend_parse.FileFormatError as error:
        raise SpendImportError(f"The selected file could not be read as CSV: {error}") from None
    if len([header for header in table.headers if header]) < 3:
        raise SpendImportError(
            "The selected file must be a spend CSV with a header row naming at least a date, supplier and amount"
        )
    return table.headers


def _clean_filename(filename: str | None) -> str:
    """Just the file's own name, without any folders or characters a database cannot store."""
    name = (filename or "").replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "spend.csv"


def purge_stale(session: Session, now: datetime | None = None) -> int:
    """Delete uploads that were never imported; returns how many went."""
    cutoff = (now or utcnow()) - STALE_AFTER
    result = session.execute(delete(StagedUpload).where(StagedUpload.created_at < cutoff))
    return result.rowcount or 0


def stage(session: Session, filename: str, data: bytes, staff_id: int | None) -> StagedUpload:
    """Check an uploaded file is a spend CSV not imported before, and keep it for the next steps."""
    if not data:
        raise SpendImportError("The selected file is empty")
    read_headers(data)
    earlier = previous_import(session, data)
    if earlier is not None:
        raise SpendImportError(_already_imported_message(earlier))
    purge_stale(session)
    staged = StagedUpload(
        token=secrets.token_urlsafe(32),
        filename=_clean_filename(filename),
        file_sha256=file_hash(data),
        size_bytes=len(data),
        data=data,
        staff_id=staff_id,
    )
    session.add(staged)
    session.commit()
    return staged


def get_staged(session: Session, token: str, staff_id: int | None, now: datetime | None = None) -> StagedUpload | None:
    """The staged upload with this token, if it is this person's and has not gone stale."""
    if not _TOKEN_RE.fullmatch(token or ""):
        return None
    staged = session.scalar(select(StagedUpload).where(StagedUpload.token == token))
    if staged is None or staged.staff_id != staff_id:
        return None
    if staged.created_at < (now or utcnow()) - STALE_AFTER:
        return None
    return staged


def discard_staged(session: Session, staged: StagedUpload) -> None:
    """Forget an upload without importing it."""
    session.delete(staged)
    session.commit()


# ---------------------------------------------------------------------------
# Mapping columns to fields
# ---------------------------------------------------------------------------


def _usable(mapping: dict[str, Any], headers: list[str]) -> bool:
    """Whether a remembered mapping still fits these headers."""
    return all(
        (index is None or (isinstance(index, int) and 0 <= index < len(headers)))
        for key, index in mapping.items()
        if key in spend_parse.FIELDS
    ) and all(mapping.get(key) is not None for key in spend_parse.REQUIRED_FIELDS)


def mapping_for(session: Session, headers: list[str]) -> tuple[dict[str, int | None], bool]:
    """The mapping to offer: the one remembered for these headers, else a proposal. True if remembered."""
    remembered = session.scalar(
        select(ImportMapping).where(ImportMapping.header_signature == spend_parse.header_signature(headers))
    )
    if remembered is not None and _usable(remembered.mapping, headers):
        return {key: remembered.mapping.get(key) for key in spend_parse.FIELDS}, True
    return spend_parse.propose_mapping(headers), False


def check_mapping(mapping: dict[str, int | None], headers: list[str]) -> dict[str, int | None]:
    """Refuse a mapping that misses a required field, uses a column twice or points past the headers."""
    cleaned = {key: mapping.get(key) for key in spend_parse.FIELDS}
    for key in spend_parse.REQUIRED_FIELDS:
        if cleaned[key] is None:
            raise FieldError(key, f"Select the column that holds the {spend_parse.FIELD_LABELS[key].lower()}")
    seen: dict[int, str] = {}
    for key, index in cleaned.items():
        if index is None:
            continue
        if not 0 <= index < len(headers):
            raise FieldError(key, f"Select one of the file’s columns for the {spend_parse.FIELD_LABELS[key].lower()}")
        if index in seen:
            raise FieldError(
                key,
                f"Select a different column for the {spend_parse.FIELD_LABELS[key].lower()}: "
                f"column {index + 1} is already used for the {spend_parse.FIELD_LABELS[seen[index]].lower()}",
            )
        seen[index] = key
    return cleaned


def remember_mapping(session: Session, headers: list[str], mapping: dict[str, int | None]) -> None:
    """Keep a mapping for the next file with the same headers (without committing)."""
    signature = spend_parse.header_signature(headers)
    row = session.scalar(select(ImportMapping).where(ImportMapping.header_signature == signature))
    if row is None:
        session.add(ImportMapping(header_signature=signature, headers=headers, mapping=mapping))
    else:
        row.headers, row.mapping = headers, mapping


def set_mapping(session: Session, staged: StagedUpload, mapping: dict[str, int | None]) -> None:
    """Confirm the columns for a staged file, and remember them for files with the same headers."""
    headers = read_headers(staged.data)
    mapping = check_mapping(mapping, headers)
    staged.mapping = mapping
    remember_mapping(session, headers, mapping)
    session.commit()


def parse_mapping_option(option: str, headers: list[str]) -> dict[str, int | None]:
    """Read `date=Payment Date,supplier=3,...` (header names, or column indexes counting from 0)."""
    by_name: dict[str, int] = {}
    for index, header in enumerate(headers):
        by_name.setdefault(header.strip().lower(), index)
    mapping: dict[str, int | None] = {key: None for key in spend_parse.FIELDS}
    for part in option.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        key, column = key.strip().lower(), column.strip()
        if not sep or key not in spend_parse.FIELDS:
            raise SpendImportError(
                f"'{part.strip()}' is not a field=column pair: fields are {', '.join(spend_parse.FIELDS)}"
            )
        if column.isdigit():
            mapping[key] = int(column)
        elif column.strip().lower().rstrip(":").strip() in by_name:
            mapping[key] = by_name[column.strip().lower().rstrip(":").strip()]
        else:
            raise SpendImportError(f"No column called '{column}': the file's columns are {', '.join(headers)}")
    try:
        return check_mapping(mapping, headers)
    except FieldError as error:
        raise SpendImportError(error.message) from None


# ---------------------------------------------------------------------------
# Previewing and importing
# ---------------------------------------------------------------------------


def _financial_year(paid_on) -> int:
    """April to March: a payment on 31 March 2024 belongs to 2023/24."""
    return paid_on.year if paid_on.month >= 4 else paid_on.year - 1


@lru_cache(maxsize=16_384)
def _name_key(name: str) -> str:
    """A supplier name's matching key; cached because names repeat throughout a file."""
    return spend_parse.normalise_supplier_name(name)[:300]


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
        raise SpendImportError(f"The file could not be read as CSV: {error}") from None
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


def preview_data(session: Session, data: bytes, mapping: dict[str, int | None]) -> ImportPreview:
    """Parse a file and say what importing it would add, without changing anything."""
    headers = read_headers(data)
    parsed = _parse(data, mapping)
    by_year: dict[int, list[int]] = {}
    for row in parsed.rows:
        totals = by_year.setdefault(_financial_year(row.paid_on), [0, 0])
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


def import_data(
    session: Session,
    filename: str,
    data: bytes,
    mapping: dict[str, int | None],
    actor: StaffUser | None,
    parsed: spend_parse.Preview | None = None,
) -> SpendImport:
    """Import every good row of a file; payments already in the database are left as they are.

    Rows with errors are left out (the preview lists them). Everything happens in one
    transaction: the import record, the payments, the yearly totals and the audit entry.
    `parsed` is the file already parsed with this mapping, when the caller has it.
    """
    earlier = previous_import(session, data)
    if earlier is not None:
        raise SpendImportError(_already_imported_message(earlier))
    headers = read_headers(data)
    parsed = parsed if parsed is not None else _parse(data, mapping)
    if not parsed.rows:
        raise SpendImportError("There are no payments to import: check the columns, or the file")
    record = SpendImport(
        filename=_clean_filename(filename),
        file_sha256=file_hash(data),
        header_signature=spend_parse.header_signature(headers),
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
            "financial_year": _financial_year(row.paid_on),
            "amount_pence": row.amount_pence,
            "reference": row.reference[:100] if row.reference else None,
            "row_key": spend_parse.row_fingerprint(row),
            "redacted": row.redacted,
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
    remember_mapping(session, headers, mapping)
    recompute_years(session)
    audit.record(
        session, actor, "import", "spend_import", record.id,
        f"Imported {record.filename}: {record.added_count} new payments of {record.row_count}",
        after=audit.snapshot(record, ["filename", "file_sha256", "row_count", "added_count",
                                      "skipped_count", "total_pence", "mapping"]),
    )
    session.commit()
    return record


def import_staged(
    session: Session, staged: StagedUpload, actor: StaffUser | None, parsed: spend_parse.Preview | None = None
) -> SpendImport:
    """Import a staged file with its confirmed mapping, then forget the staged copy."""
    if staged.mapping is None:
        raise SpendImportError("Choose which columns hold the date, supplier and amount first")
    record = import_data(session, staged.filename, staged.data, staged.mapping, actor, parsed)
    session.delete(staged)
    session.commit()
    return record


def remove_import(session: Session, spend_import: SpendImport, actor: StaffUser | None) -> int:
    """Take out the payments one import added (say, after a wrong mapping); returns how many went."""
    removed = session.execute(
        delete(SpendTransaction).where(SpendTransaction.import_id == spend_import.id)
    ).rowcount or 0
    before = audit.snapshot(spend_import, ["filename", "file_sha256", "row_count", "added_count", "total_pence"])
    session.delete(spend_import)
    session.flush()
    recompute_years(session)
    audit.record(
        session, actor, "remove", "spend_import", spend_import.id,
        f"Removed import {spend_import.filename}: {removed} payments taken out", before=before,
    )
    session.commit()
    return removed


def recent_imports(session: Session, limit: int = 20) -> list[SpendImport]:
    """The latest imports, newest first."""
    return list(session.scalars(select(SpendImport).order_by(SpendImport.created_at.desc()).limit(limit)))


# ---------------------------------------------------------------------------
# Yearly totals
# ---------------------------------------------------------------------------


def computed_totals(session: Session) -> dict[int, YearTotals]:
    """Spend per financial year, by one GROUP BY over the payments joined to the register."""
    amount = SpendTransaction.amount_pence

    def total_where(condition):
        return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)

    rows = session.execute(
        select(
            SpendTransaction.financial_year,
            func.count(),
            func.coalesce(func.sum(amount), 0),
            total_where(Supplier.location == "lancashire"),
            total_where(Supplier.location.in_(("lancashire", "north_west"))),
            total_where(Supplier.is_sme.is_(True)),
            total_where(Supplier.is_vcse.is_(True)),
            total_where(
                (SpendTransaction.redacted.is_(False))
                & ((Supplier.id.is_(None)) | (Supplier.location == "unknown"))
            ),
            total_where(SpendTransaction.redacted.is_(True)),
        )
        .outerjoin(Supplier, Supplier.id == SpendTransaction.supplier_id)
        .group_by(SpendTransaction.financial_year)
    )
    return {
        int(row[0]): YearTotals(int(row[0]), *(int(value) for value in row[1:]))
        for row in rows
    }


def _notes(totals: YearTotals) -> str:
    """Plain words on what the computed amounts include."""
    parts = [f"Worked out from {totals.payments:,} payments in imported spend files."]
    if totals.unclassified_pence:
        parts.append(
            f"{pounds(totals.unclassified_pence, exact=True)} went to suppliers whose location is not yet known: "
            "it counts in the total but not as local spend."
        )
    if totals.redacted_pence:
        parts.append(
            f"{pounds(totals.redacted_pence, exact=True)} went to people whose names were withheld: "
            "it counts in the total but not as local spend."
        )
    return " ".join(parts)


def _apply(year: FinancialYear, totals: YearTotals, result: RecomputeResult) -> None:
    """Write computed totals into a year row, or leave its amounts empty when they cannot be right."""
    year.computed_from_spend = True
    year.is_approximate = False
    year.source_text = COMPUTED_SOURCE
    year.source_url = None
    amounts = (
        totals.total_pence, totals.lancashire_pence, totals.north_west_pence, totals.sme_pence, totals.vcse_pence,
    )
    if totals.total_pence < 0 or any(part > totals.total_pence for part in amounts[1:]):
        # Credit notes can outweigh payments in a part-year file; showing a negative
        # or impossible share would mislead, so the year shows no amounts until more data arrives.
        (year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
         year.sme_spend_pence, year.vcse_spend_pence) = (None,) * 5
        year.notes = (
            "The imported payments for this year include more credit notes than payments, so no totals are shown."
        )
        result.problems.append(f"{totals.label}: credit notes outweigh payments, so no totals are shown")
        return
    (year.total_spend_pence, year.lancashire_spend_pence, year.north_west_spend_pence,
     year.sme_spend_pence, year.vcse_spend_pence) = amounts
    year.notes = _notes(totals)


def recompute_years(session: Session) -> RecomputeResult:
    """Bring computed years in line with the payments, leaving documented years untouched (no commit)."""
    session.flush()
    result = RecomputeResult()
    totals = computed_totals(session)
    years = {year.start_year: year for year in session.scalars(select(FinancialYear))}
    for start_year, year_totals in sorted(totals.items()):
        if not MIN_YEAR <= start_year <= MAX_YEAR:
            result.problems.append(f"{year_totals.label}: payments dated before 2000 are not counted")
            continue
        year = years.get(start_year)
        if year is None:
            year = FinancialYear(start_year=start_year)
            session.add(year)
        elif not year.computed_from_spend:
            result.documented.append(start_year)
            continue
        _apply(year, year_totals, result)
        result.updated.append(start_year)
    for start_year, year in years.items():
        if year.computed_from_spend and start_year not in totals:
            session.delete(year)
            result.removed.append(start_year)
    session.flush()
    return result


def use_computed_totals(session: Session, year: FinancialYear, actor: StaffUser | None) -> None:
    """Replace a documented year's amounts with those worked out from imported payments."""
    totals = computed_totals(session).get(year.start_year)
    if totals is None:
        raise SpendImportError(f"There are no imported payments for {year.label}")
    before = audit.snapshot(year)
    _apply(year, totals, RecomputeResult())
    session.flush()
    audit.record(
        session, actor, "use_computed", "financial_year", year.id,
        f"Replaced the amounts for {year.label} with totals from imported spend",
        before=before, after=audit.snapshot(year),
    )
    session.commit()


# ---------------------------------------------------------------------------
# Suppliers the register does not know yet
# ---------------------------------------------------------------------------


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
        update(SpendTransaction)
        .where(SpendTransaction.supplier_key == key, SpendTransaction.supplier_id.is_(None))
        .values(supplier_id=supplier_id)
    ).rowcount or 0
