"""Corrected files: a re-issue of an approved import (same body, same months, same columns), and what it changes.

A file with other columns for the same months is another layout of the payments, not a re-issue, so it
only adds the payments that are new, as any overlapping file does.

The payments both files share are matched by their fingerprint (parse.row_fingerprint). A payment
whose amount changed has a new fingerprint, so it is told apart from one added or removed by its
reference, or by its date and payee when the file has no references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import PublishingBody, SpendImport, SpendTransaction
from campaign.services.spend import parse as spend_parse
from campaign.services.spend.values import normalise_supplier_name

REDACTED_KEY = "(redacted)"  # supplier_key for payments to people whose names were withheld
MAX_EXAMPLES = 20  # changed payments listed for the reviewer; the counts cover them all


@dataclass
class Correction:
    """What a file changes in the approved import it would replace."""

    replaces: SpendImport
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    removed_ids: list[int] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The counts, the payments the approval takes out, and a few examples, to keep on the draft import."""
        return {
            "added": self.added, "removed": self.removed, "changed": self.changed, "unchanged": self.unchanged,
            "removed_ids": self.removed_ids, "examples": self.examples,
        }


def _month(day) -> tuple[int, int]:
    """A date's year and month."""
    return day.year, day.month


def earlier_import(
    session: Session, body: PublishingBody, rows: list[spend_parse.ParsedRow], signature: str
) -> SpendImport | None:
    """The latest approved import for the same body and columns covering the same months, if any."""
    if not rows:
        return None
    first = _month(min(row.paid_on for row in rows))
    last = _month(max(row.paid_on for row in rows))
    candidates = session.scalars(
        select(SpendImport)
        .where(SpendImport.body_id == body.id, SpendImport.status == "approved",
               SpendImport.header_signature == signature, SpendImport.period_start.is_not(None))
        .order_by(SpendImport.id.desc())
    )
    for candidate in candidates:
        if _month(candidate.period_start) == first and _month(candidate.period_end) == last:
            return candidate
    return None


def _match_key(reference: str | None, paid_on, supplier: str) -> tuple:
    """How a changed payment is paired with its earlier version."""
    return ("ref", reference) if reference else ("row", paid_on, supplier)


def compare(
    session: Session, body: PublishingBody, rows: list[spend_parse.ParsedRow], signature: str
) -> Correction | None:
    """What these rows change in the approved import they re-issue; None when they re-issue none."""
    earlier = earlier_import(session, body, rows, signature)
    if earlier is None:
        return None
    new = {spend_parse.row_fingerprint(row): row for row in rows}
    old = session.execute(
        select(SpendTransaction.id, SpendTransaction.row_key, SpendTransaction.reference, SpendTransaction.paid_on,
               SpendTransaction.supplier_key, SpendTransaction.supplier_name, SpendTransaction.amount_pence)
        .where(SpendTransaction.import_id == earlier.id)
    ).all()
    old_keys = {row.row_key for row in old}
    gone = [row for row in old if row.row_key not in new]
    arrived = [row for key, row in new.items() if key not in old_keys]
    correction = Correction(replaces=earlier, unchanged=len(old) - len(gone), removed_ids=[row.id for row in gone])
    earlier_by_key: dict[tuple, list] = {}
    for row in gone:
        earlier_by_key.setdefault(_match_key(row.reference, row.paid_on, row.supplier_key), []).append(row)
    for row in arrived:
        supplier_key = REDACTED_KEY if row.redacted else normalise_supplier_name(row.supplier_name)[:300]
        matches = earlier_by_key.get(_match_key(row.reference, row.paid_on, supplier_key))
        if matches:
            before = matches.pop()
            correction.changed += 1
            if len(correction.examples) < MAX_EXAMPLES:
                correction.examples.append({
                    "supplier": "(name withheld)" if row.redacted else row.supplier_name[:100],
                    "paid_on": row.paid_on.isoformat(), "reference": row.reference,
                    "before_pence": before.amount_pence, "after_pence": row.amount_pence,
                })
        else:
            correction.added += 1
    correction.removed = len(gone) - correction.changed
    return correction
