"""The columns of a spend file: the four fields we read, and which column most likely holds each.

Header words are compared without case, punctuation or spacing, so "Supplier Name:" and
"SUPPLIER_NAME" are the same column; a file's header signature recognises its layout next time.
"""

from __future__ import annotations

import hashlib
import re

FIELDS: tuple[str, ...] = ("date", "supplier", "amount", "reference")
REQUIRED_FIELDS: tuple[str, ...] = ("date", "supplier", "amount")
FIELD_LABELS: dict[str, str] = {
    "date": "Date",
    "supplier": "Supplier",
    "amount": "Amount",
    "reference": "Reference",
    "category": "Expenditure category",
}
# The expenditure category is read when a file has one (it is how staff mark spend out of scope),
# but it is optional and proposed separately, so mappings saved before it existed still fit.
ALL_FIELDS: tuple[str, ...] = (*FIELDS, "category")
FIRST_ROW_IS_DATA = "first_row_is_data"  # the mapping's one option: the file has no header row

_SPACE_RE = re.compile(r"\s+")
_HEADER_WORD_RE = re.compile(r"[^a-z0-9£]+")


def clean_header(text: str) -> str:
    """Strip BOMs, odd spaces and trailing colons from a header cell."""
    text = text.replace("\ufeff", "").replace("\u00a0", " ")
    text = _SPACE_RE.sub(" ", text).strip()
    return text.rstrip(":").strip()


def normalise_header(text: str) -> str:
    """Reduce a header to lower-case words for matching, e.g. 'Net Amount(£):' -> 'net amount'."""
    words = _HEADER_WORD_RE.sub(" ", clean_header(text).lower()).split()
    # Currency markers say nothing about which column this is, but a column
    # headed only "£" is an amount column, so keep it when nothing else is left.
    meaningful = [w for w in words if w not in ("£", "gbp")]
    if meaningful:
        return " ".join(meaningful)
    return "£" if words else ""


def header_signature(headers: list[str]) -> str:
    """Return a stable hash of the headers, to recognise the same layout next time."""
    normalised = [normalise_header(h) for h in headers]
    # Trailing empty columns come and go between exports of the same system
    # and do not move any named column, so they must not change the signature.
    while normalised and not normalised[-1]:
        normalised.pop()
    joined = "\x1f".join(normalised)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Proposing a column mapping
# ---------------------------------------------------------------------------

# Aliases are in order of preference: the first one present wins.
_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "payment date",
        "date paid",
        "paid date",
        "date of payment",
        "pay date",
        "payment run date",
        "transaction date",
        "date of transaction",
        "date",
        "posting date",
        "posted date",
        "clearing date",
        "value date",
        "effective date",
        "invoice paid date",
        "invoice date",
        "document date",
    ),
    "supplier": (
        "supplier name",
        "supplier",
        "supplier final",
        "supplier payee",
        "payee name",
        "payee",
        "vendor name",
        "vendor",
        "merchant name",
        "merchant",
        "beneficiary name",
        "beneficiary",
        "creditor name",
        "creditor",
        "recipient name",
        "recipient",
        "paid to",
        "supplier company name",
        "company name",
        "contractor",
        "name",
    ),
    # Net before plain "amount" before gross: transparency totals are reported
    # net of VAT, and a VAT-only column must never be taken as the amount.
    "amount": (
        "net amount",
        "amount net",
        "net",
        "net value",
        "net total",
        "amount excluding vat",
        "amount excl vat",
        "amount exc vat",
        "amount ex vat",
        "net amount excluding vat",
        "amount",
        "amount paid",
        "payment amount",
        "transaction amount",
        "invoice amount",
        "line amount",
        "value",
        "spend",
        "expenditure",
        "£",
        "total",
        "total amount",
        "total invoice amount",
        "gross amount",
        "gross",
        "amount including vat",
        "amount inc vat",
        "gross value",
    ),
    "reference": (
        "transaction number",
        "transaction no",
        "trans no",
        "transaction id",
        "transaction reference",
        "transaction ref",
        "trans ref",
        "unique transaction id",
        "ref no",
        "reference",
        "reference number",
        "ref number",
        "ref",
        "payment reference",
        "payment ref",
        "payment number",
        "payment id",
        "invoice number",
        "invoice no",
        "invoice ref",
        "invoice reference",
        "document number",
        "document no",
        "doc no",
        "voucher number",
    ),
}

# Headers that are common in spend files but are none of our four fields;
# they only help recognise the header row under a preamble.
_OTHERKNOWN_HEADERS = (
    "body",
    "body name",
    "organisation",
    "organisation name",
    "department",
    "directorate",
    "service",
    "service area",
    "service division",
    "service cost centre",
    "cost centre",
    "cost centre name",
    "expense area",
    "account detail",
    "account description",
    "description",
    "narrative",
    "purpose",
    "purpose of spend",
    "vat",
    "vat amount",
    "supplier id",
    "supplier number",
    "vat registration number",
    "merchant category",
    "capital or revenue",
)

_CATEGORY_ALIASES: tuple[str, ...] = (
    "expenditure category",
    "expense category",
    "spend category",
    "procurement category",
    "category",
    "expenditure type",
    "expense type",
    "category of expenditure",
)

KNOWN_HEADERS: frozenset[str] = frozenset(_OTHERKNOWN_HEADERS).union(*_ALIASES.values(), _CATEGORY_ALIASES)

# Words that turn an otherwise matching header into a different column,
# e.g. "Supplier ID" is a code, not a name.
_ID_WORDS = frozenset({"id", "number", "no", "code", "ref", "reference", "type", "postcode", "category"})
_SUPPLIER_WORDS = frozenset({"supplier", "payee", "vendor", "merchant", "beneficiary", "creditor", "recipient"})
_NOT_SUPPLIER_WORDS = _ID_WORDS | {"body", "vat", "organisation", "department", "address"}
_VAT_WORDS = frozenset({"vat", "tax"})
_EX_VAT_WORDS = frozenset({"ex", "exc", "excl", "excluding", "net", "before", "less"})
_NOT_AMOUNT_WORDS = _ID_WORDS | {"date", "description"}


def _fallback_match(field_name: str, words: set[str]) -> bool:
    """Loose word-based match used when no exact alias is present."""
    if field_name == "date":
        return "date" in words
    if field_name == "supplier":
        return bool(words & _SUPPLIER_WORDS) and not words & _NOT_SUPPLIER_WORDS
    if field_name == "amount":
        if not words & {"amount", "value", "net"}:
            return False
        if words & _NOT_AMOUNT_WORDS:
            return False
        # "Amount ex VAT" is the net amount; "VAT amount" is not an amount at all.
        return not (words & _VAT_WORDS) or bool(words & _EX_VAT_WORDS)
    if field_name == "reference":
        if words & _SUPPLIER_WORDS:
            return False
        return bool(words & {"ref", "reference"}) or ("transaction" in words and bool(words & {"number", "no", "id"}))
    return False


def propose_mapping(headers: list[str]) -> dict[str, int | None]:
    """Guess which column holds each field from the header names."""
    normalised = [normalise_header(h) for h in headers]
    mapping: dict[str, int | None] = {}
    used: set[int] = set()
    for field_name in FIELDS:
        choice: int | None = None
        aliases = _ALIASES[field_name]
        best_rank = len(aliases)
        for index, header in enumerate(normalised):
            if index in used or not header:
                continue
            try:
                rank = aliases.index(header)
            except ValueError:
                continue
            if rank < best_rank:
                best_rank, choice = rank, index
        if choice is None:
            for index, header in enumerate(normalised):
                if index not in used and header and _fallback_match(field_name, set(header.split())):
                    choice = index
                    break
        mapping[field_name] = choice
        if choice is not None:
            used.add(choice)
    return mapping


def propose_category(headers: list[str], used: set[int | None]) -> int | None:
    """Guess which column holds the expenditure category, leaving out columns already chosen."""
    normalised = [normalise_header(h) for h in headers]
    for alias in _CATEGORY_ALIASES:
        for index, header in enumerate(normalised):
            if header == alias and index not in used:
                return index
    return None
