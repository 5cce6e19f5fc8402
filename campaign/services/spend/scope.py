"""Spend in scope: what procurement can influence, after staff leave out categories and payees, with a reason.

Payments to people whose names were withheld are out of scope automatically (private individuals).
A payee rule matches the payee name as the files spell it (normalised) or a register supplier of that name.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import ScopeRule, SpendTransaction, StaffUser
from campaign.models.spend import SCOPE_REASONS
from campaign.services import audit
from campaign.services.spend import coverage
from campaign.services.spend.values import normalise_supplier_name
from campaign.services.validation import FieldError, rolls_back_on_error

KINDS = {"category": "Expenditure category", "supplier": "Payee"}


def value_key(kind: str, value: str) -> str:
    """What a rule matches on: the lower-cased category, or the payee's normalised name."""
    if kind == "supplier":
        return normalise_supplier_name(value)[:300]
    return " ".join(value.split()).lower()[:300]


def all_rules(session: Session) -> list[ScopeRule]:
    """Every scope rule, by kind then value."""
    return list(session.scalars(select(ScopeRule).order_by(ScopeRule.kind, ScopeRule.value)))


def known_categories(session: Session, limit: int = 200) -> list[tuple[str, int]]:
    """Categories in the payments with their spend, largest first, to choose rules from."""
    rows = session.execute(
        select(SpendTransaction.category, func.sum(SpendTransaction.amount_pence).label("total"))
        .where(SpendTransaction.category.is_not(None))
        .group_by(SpendTransaction.category).order_by(func.sum(SpendTransaction.amount_pence).desc()).limit(limit)
    )
    return [(row.category, int(row.total or 0)) for row in rows]


@rolls_back_on_error
def add_rule(session: Session, kind: str, value: str, reason: str, note: str, actor: StaffUser | None) -> ScopeRule:
    """Leave a category or payee out of scope, with a reason; the draft figures are worked out again."""
    value = " ".join((value or "").split())
    if kind not in KINDS:
        raise FieldError("kind", "Select whether the rule is for a category or a payee")
    if not value:
        raise FieldError("value", "Enter the category or payee name, as the spend files spell it")
    if len(value) > 300:
        raise FieldError("value", "Enter a category or payee name of 300 characters or fewer")
    if reason not in SCOPE_REASONS:
        raise FieldError("reason", "Select why this spend is out of scope")
    if len(note or "") > 300:
        raise FieldError("note", "Enter a note of 300 characters or fewer")
    key = value_key(kind, value)
    if not key:
        raise FieldError("value", "Enter a name with letters or numbers in it")
    if session.scalar(select(ScopeRule.id).where(ScopeRule.kind == kind, ScopeRule.value_key == key)):
        raise FieldError("value", f"{value} is already out of scope: remove the rule first to change its reason")
    rule = ScopeRule(kind=kind, value=value, value_key=key, reason=reason, note=(note or "").strip(),
                     created_by_id=actor.id if actor is not None and actor.is_authenticated else None)
    session.add(rule)
    session.flush()
    summary = f"Left out of scope ({SCOPE_REASONS[reason]}): {KINDS[kind].lower()} {value}"
    audit.record(session, actor, "create", "scope_rule", rule.id, summary,
                 after=audit.snapshot(rule, ["kind", "value", "reason", "note"]))
    coverage.recompute(session, prepared_by=actor, cause=summary)
    session.commit()
    return rule


@rolls_back_on_error
def remove_rule(session: Session, rule: ScopeRule, actor: StaffUser | None) -> None:
    """Bring a category or payee back into scope; the draft figures are worked out again."""
    before = audit.snapshot(rule, ["kind", "value", "reason", "note"])
    session.delete(rule)
    session.flush()
    summary = f"Brought back into scope: {KINDS[rule.kind].lower()} {rule.value}"
    audit.record(session, actor, "delete", "scope_rule", rule.id, summary, before=before)
    coverage.recompute(session, prepared_by=actor, cause=summary)
    session.commit()

