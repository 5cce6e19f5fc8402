"""Suggested suppliers for payee names that match nothing in the register, by fuzzy matching with rapidfuzz.

Names are compared in their normalised form (case, punctuation and "Ltd" and the like removed), scoring
each pair by the better of ratio (which forgives a typo) and token_sort_ratio (which forgives words in
another order); a missing word is not forgiven, so "Lancashire" never matches "Lancashire County Council".
Only close matches are offered;
staff accept one in a click. Payments to people whose names were withheld are never offered or matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import Supplier
from campaign.models.spend import SupplierAlias
from campaign.services.spend.values import is_redacted

CUTOFF = 85  # out of 100: "Lancs Cty Council" (81) is not offered for "Lancashire County Council"
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Suggestion:
    """A registered supplier that a payee name may be, and how alike the names are (0 to 100)."""

    supplier_id: int
    name: str
    score: int


def _register(session: Session) -> dict[str, tuple[int, str]]:
    """Every name key in the register, its own and its aliases, with the supplier it belongs to."""
    keys = {key: (supplier_id, name) for supplier_id, name, key in session.execute(
        select(Supplier.id, Supplier.name, Supplier.name_key))}
    for key, supplier_id, name in session.execute(
        select(SupplierAlias.name_key, Supplier.id, Supplier.name).join(Supplier, Supplier.id == SupplierAlias.supplier_id)
    ):
        keys.setdefault(key, (supplier_id, name))
    return keys


def suggest(
    session: Session, payees: Iterable[tuple[str, str]], limit: int = MAX_SUGGESTIONS, cutoff: int = CUTOFF
) -> dict[str, list[Suggestion]]:
    """The best registered suppliers for each (name key, name) payee, closest first; none for withheld names."""
    register = _register(session)
    choices = list(register)
    found: dict[str, list[Suggestion]] = {}
    for key, name in payees:
        if not key or is_redacted(name) or not choices:
            continue
        best: dict[int, Suggestion] = {}
        # Each scorer runs in rapidfuzz's compiled code over the whole register; a Python scorer taking
        # the better of the two would be called once per pair, thousands of times per name.
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            # More candidates than needed: a supplier's own name and its aliases may all match.
            for choice, score, _ in process.extract(
                key, choices, scorer=scorer, score_cutoff=cutoff, limit=limit * 3, processor=None
            ):
                supplier_id, supplier_name = register[choice]
                if supplier_id not in best or best[supplier_id].score < round(score):
                    best[supplier_id] = Suggestion(supplier_id, supplier_name, int(round(score)))
        if best:
            found[key] = sorted(best.values(), key=lambda s: (-s.score, s.name))[:limit]
    return found
