"""The supplier register as a CSV file: many suppliers uploaded at once, and the register exported.

An upload is read and checked whole first: every problem is reported with its line number and
nothing is saved until staff confirm a preview with no errors; then every line is saved, or none.
A supplier's location only ever comes from its postcode (or from staff): a line without a postcode
leaves the location not known, and a location staff set by hand is kept.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import zlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import StaffUser, Supplier
from campaign.models.spend import SupplierAlias
from campaign.services import audit, geography
from campaign.services.spend import suppliers, totals
from campaign.services.spend.contracts import safe_cell
from campaign.services.spend.values import is_redacted, normalise_supplier_name
from campaign.services.validation import FieldError, rolls_back_on_error

MAX_BYTES = 1024 * 1024  # about 10,000 suppliers
MAX_LINES = 10_000
# Flask keeps form fields under 500,000 bytes (MAX_FORM_MEMORY_SIZE); the packed file must fit in one.
MAX_PACKED = 450_000
COLUMNS = {
    "name": ("name", "supplier name", "supplier", "organisation", "organisation name"),
    "postcode": ("postcode", "post code"),
    "company_number": ("company number", "companies house number", "company no", "company registration number"),
    "is_sme": ("sme", "is sme"),
    "is_vcse": ("vcse", "is vcse"),
    "is_public_body": ("public body", "is public body", "public sector body"),
}
FLAG_WORDS = {"is_sme": "SME", "is_vcse": "VCSE", "is_public_body": "public body"}
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}
_BRACKETS_RE = re.compile(r"\(.*?\)")
_NOT_WORD_RE = re.compile(r"[^a-z0-9]+")


class UploadError(ValueError):
    """A file that cannot be read as a supplier list at all (as opposed to lines with errors)."""


@dataclass
class UploadLine:
    """One supplier from the file, checked, and what saving it would do."""

    line: int
    name: str
    postcode: str | None
    company_number: str | None
    flags: dict[str, bool | None]
    supplier: Supplier | None = None
    placement: suppliers.Placement | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        """Add, change, or nothing to change."""
        return "add" if self.supplier is None else "change" if self.changes else "none"


@dataclass
class UploadPreview:
    """Every line of an upload with what it would do, and every problem by line."""

    lines: list[UploadLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        """How many lines would add, change, or leave alone a supplier."""
        return sum(1 for line in self.lines if line.action == action)


def pack(data: bytes) -> str:
    """The uploaded file as text for the preview's confirm form, so nothing is stored before it is confirmed."""
    packed = base64.b64encode(zlib.compress(data, 6)).decode("ascii")
    if len(packed) > MAX_PACKED:
        raise UploadError("The file holds too much to check at once: split it into smaller files")
    return packed


def unpack(text: str) -> bytes:
    """The file back from the confirm form; UploadError when it has been damaged or is too large."""
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(packed, MAX_BYTES + 1)
    except (ValueError, UnicodeEncodeError, binascii.Error, zlib.error):
        raise UploadError("The upload could not be read back: upload the file again") from None
    if len(data) > MAX_BYTES or not inflater.eof:
        raise UploadError("The file is larger than 1MB: split it into smaller files")
    return data


def decode(data: bytes) -> str:
    """The file's text: UTF-16 or UTF-8 (with or without BOM), else Windows-1252 as Excel saves it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadError("The file could not be read: save it as CSV UTF-8 and upload it again") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_key(text: str) -> str:
    """A header cell as a column name: 'SME (yes/no)' -> 'sme'."""
    return " ".join(_NOT_WORD_RE.sub(" ", _BRACKETS_RE.sub(" ", text.lower())).split())


def _flag(text: str) -> bool | None:
    """A yes/no cell: True, False, or None when blank; ValueError otherwise."""
    word = text.strip().lower()
    if not word:
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(word)


def _records(text: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header's line number and cells, then each later record with the line it starts on."""
    reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""))
    header: tuple[int, list[str]] | None = None
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header = (start, cells)
                else:
                    records.append((start, cells))
                    if len(records) > MAX_LINES:
                        raise UploadError(f"The file has more than {MAX_LINES:,} suppliers: split it into smaller files")
            start = reader.line_num + 1
    except csv.Error as error:
        raise UploadError(f"Line {start}: the file could not be read as CSV ({error})") from None
    if header is None:
        raise UploadError("The file is empty: it needs a header line, then one line for each supplier")
    return header[0], header[1], records


def preview(session: Session, data: bytes) -> UploadPreview:
    """Read and check an upload against the register, saving nothing."""
    if len(data) > MAX_BYTES:
        raise UploadError("The file is larger than 1MB: split it into smaller files")
    header_line, header, records = _records(decode(data))
    columns: dict[str, int] = {}
    result = UploadPreview()
    for index, cell in enumerate(header):
        key = _header_key(cell)
        name = next((column for column, names in COLUMNS.items() if key in names), None)
        if name is not None and name not in columns:
            columns[name] = index
        elif cell.strip():
            result.ignored_columns.append(cell.strip())
    if "name" not in columns:
        raise UploadError(f"Line {header_line}: the header needs a column called name (the supplier's name)")
    by_number = {s.companies_house_number: s for s in session.scalars(
        select(Supplier).where(Supplier.companies_house_number.is_not(None)))}
    by_key = {s.name_key: s for s in session.scalars(select(Supplier))}
    by_alias = dict(session.execute(select(SupplierAlias.name_key, SupplierAlias.supplier_id)).tuples().all())
    seen: dict[object, int] = {}
    for line, cells in records:
        checked = _check(line, cells, columns, result.errors)
        if checked is None:
            continue
        _match(checked, by_number, by_key, by_alias, seen, result.errors)
        result.lines.append(checked)
    return result


def _check(line: int, cells: list[str], columns: dict[str, int], errors: list[str]) -> UploadLine | None:
    """One line's values, or None with its errors added."""
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    problems = []
    name = " ".join(cell("name").split())[:300]
    if not name or not normalise_supplier_name(name):
        problems.append("enter the supplier's name")
    elif is_redacted(name):
        problems.append(f"“{name}” marks a payment to a person whose name was withheld, not a supplier: "
                        "remove this line")
    postcode = None
    if cell("postcode"):
        postcode = geography.normalise_postcode(cell("postcode"))
        if postcode is None:
            problems.append("enter a postcode like PR1 2AB, or leave it blank")
    number = None
    try:
        number = suppliers.normalise_company_number(cell("company_number"))
    except ValueError:
        problems.append("enter a company number of 8 characters, like 01234567 or SC123456, or leave it blank")
    flags: dict[str, bool | None] = {}
    for key, words in FLAG_WORDS.items():
        try:
            flags[key] = _flag(cell(key))
        except ValueError:
            problems.append(f"enter yes or no for {words}, or leave it blank")
    if problems:
        errors.extend(f"Line {line}: {problem}" for problem in problems)
        return None
    return UploadLine(line, name, postcode, number, flags)


def _match(checked: UploadLine, by_number: dict, by_key: dict, by_alias: dict, seen: dict, errors: list[str]) -> None:
    """Find the line's supplier (by company number, else by name) and work out what would change."""
    key = normalise_supplier_name(checked.name)[:300]
    named = by_key.get(key)
    numbered = by_number.get(checked.company_number) if checked.company_number else None
    line = checked.line
    if numbered is not None and named is not None and numbered is not named:
        errors.append(f"Line {line}: company number {checked.company_number} belongs to {numbered.name} but "
                      f"the name is {named.name}'s: correct one of them")
        return
    supplier = numbered or named
    if supplier is None and key in by_alias:
        errors.append(f"Line {line}: “{checked.name}” is already matched to another supplier in the register: "
                      "use that supplier's name")
        return
    if (supplier is not None and checked.company_number and supplier.companies_house_number
            and supplier.companies_house_number != checked.company_number):
        errors.append(f"Line {line}: {supplier.name} has company number {supplier.companies_house_number} in the "
                      "register: correct the number, or change it on the supplier's page")
        return
    for identity in (("key", key), ("number", checked.company_number), ("id", supplier.id if supplier else None)):
        if identity[1] is not None and identity in seen:
            errors.append(f"Line {line}: this supplier is also on line {seen[identity]}: keep one line for each")
            return
    for identity in (("key", key), ("number", checked.company_number), ("id", supplier.id if supplier else None)):
        if identity[1] is not None:
            seen[identity] = line
    checked.supplier = supplier
    if supplier is None:
        checked.placement = suppliers.place(checked.postcode, "auto", None)
        return
    if supplier.name_key != key and key in by_alias:
        errors.append(f"Line {line}: “{checked.name}” is already matched to another supplier in the register")
        return
    if checked.postcode and checked.postcode != supplier.postcode and not supplier.location_overridden:
        checked.placement = suppliers.place(checked.postcode, "auto", None)
    changes = [label for label, new, old in (
        ("name", checked.name if numbered is not None else supplier.name, supplier.name),
        ("postcode", checked.postcode or supplier.postcode, supplier.postcode),
        ("company number", checked.company_number or supplier.companies_house_number, supplier.companies_house_number),
        *((FLAG_WORDS[k], v if v is not None else getattr(supplier, k), getattr(supplier, k))
          for k, v in checked.flags.items()),
    ) if new != old]
    if checked.placement is not None and checked.placement.location != supplier.location:
        changes.append("location")
    checked.changes = changes


@rolls_back_on_error
def save(session: Session, data: bytes, filename: str, actor: StaffUser | None) -> UploadPreview:
    """Check the upload again and, when every line is right, add and change its suppliers in one transaction."""
    result = preview(session, data)
    if result.errors:
        return result
    keys: list[tuple[str, int]] = []
    for line in result.lines:
        if line.action == "none":
            continue
        supplier = line.supplier or Supplier(name=line.name, name_key=normalise_supplier_name(line.name)[:300])
        before = audit.snapshot(supplier, suppliers.FIELDS) if line.supplier is not None else None
        if line.supplier is None or "name" in line.changes:
            supplier.name, supplier.name_key = line.name, normalise_supplier_name(line.name)[:300]
        supplier.postcode = line.postcode or supplier.postcode
        supplier.companies_house_number = line.company_number or supplier.companies_house_number
        for key, value in line.flags.items():
            setattr(supplier, key, bool(value) if value is not None else bool(getattr(supplier, key)))
        if line.placement is not None:
            supplier.location, supplier.council_area = line.placement.location, line.placement.council_area
            supplier.needs_confirmation = line.placement.needs_confirmation
            supplier.location_overridden = False
        session.add(supplier)
        try:
            session.flush()
        except IntegrityError:
            raise FieldError(None, f"Line {line.line}: that supplier was changed a moment ago by someone else: "
                                   "upload the file again") from None
        keys.append((supplier.name_key, supplier.id))
        audit.record(
            session, actor, "create" if before is None else "update", "supplier", supplier.id,
            f"{'Added' if before is None else 'Changed'} supplier {supplier.name} from {filename}"[:300],
            before=before, after=audit.snapshot(supplier, suppliers.FIELDS),
        )
    linked = sum(suppliers.link_payments(session, key, supplier_id) for key, supplier_id in keys)
    summary = (f"Uploaded {filename}: {result.count('add')} suppliers added, {result.count('change')} changed, "
               f"{linked} payments matched")
    totals.recompute_years(session, prepared_by=actor, cause=summary)
    audit.record(
        session, actor, "upload", "supplier", None, summary[:300],
        after={"file": filename, "added": result.count("add"), "changed": result.count("change"), "payments": linked},
    )
    session.commit()
    return result


EXPORT_HEADINGS = ["Name", "Postcode", "Company number", "SME", "VCSE", "Public body", "Location", "Council area",
                   "Location to confirm", "Location set by staff"]


def export_csv(session: Session) -> str:
    """The whole register as CSV, in the columns an upload reads (so it can be edited and uploaded again)."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADINGS)
    councils = dict(geography.COUNCIL_AREAS)

    def yes(value: bool) -> str:
        return "yes" if value else "no"

    for s in session.scalars(select(Supplier).order_by(Supplier.name_key)):
        writer.writerow([safe_cell(cell) for cell in (
            s.name, s.postcode or "", s.companies_house_number or "", yes(s.is_sme), yes(s.is_vcse),
            yes(s.is_public_body), suppliers.LOCATION_LABELS[s.location], councils.get(s.council_area or "", ""),
            yes(s.needs_confirmation), yes(s.location_overridden),
        )])
    return output.getvalue()
