"""The first steps of importing a spend file: upload, check, and confirm which columns hold what.

Between steps a file waits in the `staged_upload` table, so any app instance can carry on where
another left off. The columns staff confirm are remembered for the next file with the same headers.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from campaign.models import ImportMapping, SpendImport
from campaign.models.common import utcnow
from campaign.models.spend import StagedUpload
from campaign.services.spend.columns import (
    ALL_FIELDS,
    FIELD_LABELS,
    FIRST_ROW_IS_DATA,
    REQUIRED_FIELDS,
    header_signature,
    propose_category,
    propose_mapping,
)
from campaign.services.spend.reading import (
    OLD_EXCEL,
    FileFormatError,
    FileTooLargeError,
    first_sheet,
    is_workbook,
    read_sheets,
)
from campaign.services.spend.values import cell_text
from campaign.services.validation import FieldError, rolls_back_on_error

STALE_AFTER = timedelta(hours=6)  # an upload nobody finished importing is deleted after this
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")  # what secrets.token_urlsafe makes


class SpendImportError(ValueError):
    """The file or mapping cannot be used; the message says what to do."""


def file_hash(data: bytes) -> str:
    """The SHA-256 that identifies a file's exact contents."""
    return hashlib.sha256(data).hexdigest()


def previous_import(session: Session, data: bytes) -> SpendImport | None:
    """The earlier import of exactly this file, if there was one."""
    return session.scalar(select(SpendImport).where(SpendImport.file_sha256 == file_hash(data)))


def already_imported_message(earlier: SpendImport) -> str:
    """Why the same file is refused, naming the earlier import."""
    return (
        f"This file was already imported on {earlier.created_at:%d/%m/%Y} (as {earlier.filename}). "
        "Importing it again would add nothing, so it was not imported"
    )


def _readable(error: FileFormatError, data: bytes) -> SpendImportError:
    """A reading error as staff should see it, naming the kind of file."""
    if isinstance(error, FileTooLargeError):
        return SpendImportError(f"The selected file is too big to import: {error}")
    kind = "" if is_workbook(data) or data.startswith(OLD_EXCEL) else " as CSV"
    return SpendImportError(f"The selected file could not be read{kind}: {error}")


def _enough_columns(headers: list[str]) -> list[str]:
    """The headers, if they could name a date, supplier and amount."""
    if len([header for header in headers if header]) < 3:
        raise SpendImportError(
            "The selected file must be a spend file (CSV or Excel) with a header row naming at least a date, "
            "supplier and amount"
        )
    return headers


def read_headers(data: bytes, first_row_is_data: bool = False) -> list[str]:
    """The cleaned header row of a spend file's first sheet, or a SpendImportError saying why it cannot be read."""
    return read_sample(data, first_row_is_data).headers


@dataclass(frozen=True)
class Sample:
    """The first sheet's name, headers and first five data rows as text, to choose columns by."""

    sheet: str | None
    headers: list[str]
    rows: list[tuple[int, list[str]]]


def read_sample(data: bytes, first_row_is_data: bool = False) -> Sample:
    """The first sheet's headers and first rows, or a SpendImportError saying why the file cannot be read."""
    try:
        sheet, rows = first_sheet(data, first_row_is_data)
    except FileFormatError as error:
        raise _readable(error, data) from None
    texts = [(line, [cell_text(cell) for cell in cells]) for line, cells in rows]
    return Sample(sheet.name, _enough_columns(sheet.headers), texts)


def check_file(data: bytes) -> list[str]:
    """Read the whole file once, so a damaged or oversized one is refused at upload; returns the first headers."""
    headers: list[str] | None = None
    try:
        for sheet in read_sheets(data):
            for _ in sheet.rows:
                pass
            if headers is None and sheet.headers:
                headers = sheet.headers
    except FileFormatError as error:
        raise _readable(error, data) from None
    if headers is None:
        raise SpendImportError("The selected file could not be read as CSV: The file is empty")
    return _enough_columns(headers)


def first_row_is_data(mapping: dict[str, Any] | None) -> bool:
    """Whether a mapping says the file has no header row."""
    return bool((mapping or {}).get(FIRST_ROW_IS_DATA))


def clean_filename(filename: str | None) -> str:
    """Just the file's own name, without any folders or characters a database cannot store."""
    name = (filename or "").replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "spend.csv"


def purge_stale(session: Session, now: datetime | None = None) -> int:
    """Delete uploads that were never imported; returns how many went."""
    cutoff = (now or utcnow()) - STALE_AFTER
    result = session.execute(delete(StagedUpload).where(StagedUpload.created_at < cutoff))
    return result.rowcount or 0


@rolls_back_on_error
def stage(session: Session, filename: str, data: bytes, staff_id: int | None) -> StagedUpload:
    """Check an uploaded file is a spend CSV not imported before, and keep it for the next steps."""
    if not data:
        raise SpendImportError("The selected file is empty")
    check_file(data)
    earlier = previous_import(session, data)
    if earlier is not None:
        raise SpendImportError(already_imported_message(earlier))
    purge_stale(session)
    staged = StagedUpload(
        token=secrets.token_urlsafe(32),
        filename=clean_filename(filename),
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


@rolls_back_on_error
def discard_staged(session: Session, staged: StagedUpload) -> None:
    """Forget an upload without importing it."""
    session.delete(staged)
    session.commit()


def _usable(mapping: dict[str, Any], headers: list[str]) -> bool:
    """Whether a remembered mapping still fits these headers."""
    return all(
        (index is None or (isinstance(index, int) and 0 <= index < len(headers)))
        for key, index in mapping.items()
        if key in ALL_FIELDS
    ) and all(mapping.get(key) is not None for key in REQUIRED_FIELDS)


def mapping_for(session: Session, headers: list[str]) -> tuple[dict[str, int | None], bool]:
    """The mapping to offer: the one remembered for these headers, else a proposal. True if remembered."""
    remembered = session.scalar(
        select(ImportMapping).where(ImportMapping.header_signature == header_signature(headers))
    )
    if remembered is not None and _usable(remembered.mapping, headers):
        return {key: remembered.mapping.get(key) for key in ALL_FIELDS}, True
    proposed = propose_mapping(headers)
    return proposed | {"category": propose_category(headers, set(proposed.values()))}, False


def check_mapping(mapping: dict[str, int | None], headers: list[str]) -> dict[str, int | None]:
    """Refuse a mapping that misses a required field, uses a column twice or points past the headers."""
    cleaned: dict[str, Any] = {key: mapping.get(key) for key in ALL_FIELDS}
    for key in REQUIRED_FIELDS:
        if cleaned[key] is None:
            raise FieldError(key, f"Select the column that holds the {FIELD_LABELS[key].lower()}")
    seen: dict[int, str] = {}
    for key, index in cleaned.items():
        if index is None:
            continue
        if not 0 <= index < len(headers):
            raise FieldError(key, f"Select one of the file’s columns for the {FIELD_LABELS[key].lower()}")
        if index in seen:
            raise FieldError(
                key,
                f"Select a different column for the {FIELD_LABELS[key].lower()}: "
                f"column {index + 1} is already used for the {FIELD_LABELS[seen[index]].lower()}",
            )
        seen[index] = key
    if mapping.get(FIRST_ROW_IS_DATA):
        cleaned[FIRST_ROW_IS_DATA] = True
    return cleaned


def remember_mapping(session: Session, headers: list[str], mapping: dict[str, int | None]) -> None:
    """Keep a mapping for the next file with the same headers (without committing)."""
    signature = header_signature(headers)
    row = session.scalar(select(ImportMapping).where(ImportMapping.header_signature == signature))
    if row is None:
        session.add(ImportMapping(header_signature=signature, headers=headers, mapping=mapping))
    else:
        row.headers, row.mapping = headers, mapping


@rolls_back_on_error
def set_mapping(session: Session, staged: StagedUpload, mapping: dict[str, int | None]) -> None:
    """Confirm the columns for a staged file, and remember them for files with the same headers."""
    headers = read_headers(staged.data, first_row_is_data(mapping))
    mapping = check_mapping(mapping, headers)
    staged.mapping = mapping
    if not first_row_is_data(mapping):  # "Column 1, Column 2..." says nothing about the next file
        remember_mapping(session, headers, mapping)
    session.commit()


def parse_mapping_option(option: str, headers: list[str]) -> dict[str, int | None]:
    """Read `date=Payment Date,supplier=3,...` (header names, or column indexes counting from 0)."""
    by_name: dict[str, int] = {}
    for index, header in enumerate(headers):
        by_name.setdefault(header.strip().lower(), index)
    mapping: dict[str, int | None] = {key: None for key in ALL_FIELDS}
    for part in option.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        key, column = key.strip().lower(), column.strip()
        if not sep or key not in ALL_FIELDS:
            raise SpendImportError(
                f"'{part.strip()}' is not a field=column pair: fields are {', '.join(ALL_FIELDS)}"
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
