"""What the public sees of each computed year, and when a publisher must approve a year again.

One rule decides whether a local share is published: `shares_publishable` (models/spend.py), coverage
at or above a minimum. The public page asks it under the minimum a year was approved with; the review
page and approval ask it under the minimum set now. A year needs approving when it was never approved,
when its draft figures differ from the approved ones, or when the minimum has changed in a way that
would change what the public page says (a share shown or hidden, or the minimum it names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import ComputedYear, SiteState, StaffUser
from campaign.models.spend import SCOPE_REASONS, shares_publishable
from campaign.services import audit
from campaign.services.spend import coverage
from campaign.services.validation import FieldError, rolls_back_on_error


def minimum_out_of_date(approved: ComputedYear, minimum_bp: int) -> bool:
    """Whether approved figures would read differently under the minimum coverage set now."""
    if approved.minimum_coverage_bp == minimum_bp:
        return False
    # With the share shown under both minimums the page does not mention the minimum, so nothing changes.
    return not (approved.shares_shown and shares_publishable(approved.coverage_bp, minimum_bp))


@dataclass(frozen=True)
class Difference:
    """One measure that the draft and the public figures give differently; None means not shown."""

    label: str
    kind: str  # "count", "pence", "percent" or "date"
    public: int | date | None
    draft: int | date | None


@dataclass(frozen=True)
class ChangeNote:
    """A staff change that moved a year's draft figures: when, who, and what it was."""

    at: datetime
    by: str
    what: str


@dataclass(frozen=True)
class YearReview:
    """A year's draft figures beside the approved ones, judged under the minimum coverage set now."""

    draft: ComputedYear
    approved: ComputedYear | None
    minimum_bp: int

    @property
    def label(self) -> str:
        """The year as people write it."""
        return self.draft.label

    @property
    def shares_shown(self) -> bool:
        """Whether approving the draft now would publish its local shares."""
        return shares_publishable(self.draft.coverage_bp, self.minimum_bp)

    @property
    def figures_changed(self) -> bool:
        """Whether the draft says something other than the approved figures."""
        return self.approved is not None and not coverage.same_figures(self.draft, self.approved)

    @property
    def minimum_changed(self) -> bool:
        """Whether the public figures were approved under a minimum that would now change what they say."""
        return self.approved is not None and minimum_out_of_date(self.approved, self.minimum_bp)

    @property
    def needs_approval(self) -> bool:
        """Whether a publisher should approve this year: new, changed, or out of date with the minimum."""
        return self.approved is None or self.figures_changed or self.minimum_changed

    @property
    def notes(self) -> list[ChangeNote]:
        """The staff changes behind the difference, oldest first."""
        if self.approved is None or not self.needs_approval:
            return []
        return [ChangeNote(datetime.fromisoformat(note["at"]), note["by"], note["what"])
                for note in self.draft.changes or []]

    def differences(self) -> list[Difference]:
        """Each measure the public page would show differently once the draft is approved."""
        approved = self.approved
        if approved is None:
            return []

        def share(row: ComputedYear, shown: bool, name: str) -> int | None:
            return getattr(row, name) if shown else None

        draft, shown = self.draft, self.shares_shown
        left_out, left_out_before = draft.out_of_scope or {}, approved.out_of_scope or {}
        reasons = [key for key in SCOPE_REASONS if key in left_out or key in left_out_before]
        rows = [
            Difference("Payments", "count", approved.payments, draft.payments),
            Difference("Total spend", "pence", approved.total_pence, draft.total_pence),
            *(Difference(f"Left out: {SCOPE_REASONS[key].lower()}", "pence", left_out_before.get(key, 0),
                         left_out.get(key, 0)) for key in reasons),
            Difference("Spend in scope", "pence", approved.in_scope_pence, draft.in_scope_pence),
            Difference("Coverage", "percent", approved.coverage_bp, draft.coverage_bp),
            Difference("Minimum coverage for a share", "percent", approved.minimum_coverage_bp, self.minimum_bp),
            Difference("Share with suppliers in Lancashire", "percent",
                       share(approved, approved.shares_shown, "lancashire_share_bp"),
                       share(draft, shown, "lancashire_share_bp")),
            Difference("Share in the North West, Lancashire included", "percent",
                       share(approved, approved.shares_shown, "north_west_share_bp"),
                       share(draft, shown, "north_west_share_bp")),
            Difference("First payment", "date", approved.first_paid_on, draft.first_paid_on),
            Difference("Last payment", "date", approved.last_paid_on, draft.last_paid_on),
        ]
        return [row for row in rows if row.public != row.draft]


def years_to_review(session: Session) -> list[YearReview]:
    """Each year's draft beside what the public sees now (None when never approved), newest first."""
    minimum = coverage.minimum_coverage(session)
    approved = {row.start_year: row for row in coverage.approved_years(session)}
    return [YearReview(draft, approved.get(draft.start_year), minimum) for draft in coverage.draft_years(session)]


def review_of(session: Session, start_year: int) -> YearReview | None:
    """One year's draft beside its approved figures, or None when the year has no draft."""
    rows = {
        row.status: row for row in session.scalars(select(ComputedYear).where(ComputedYear.start_year == start_year))
    }
    if "draft" not in rows:
        return None
    return YearReview(rows["draft"], rows.get("approved"), coverage.minimum_coverage(session))


@rolls_back_on_error
def set_minimum_coverage(session: Session, basis_points: int | None, actor: StaffUser | None) -> list[int]:
    """Change the minimum coverage (audited); returns the years that need approving again because of it.

    Approved figures keep the minimum they were approved under until a publisher approves them again,
    so the public page never changes without an approval. Those years are marked as following this
    change, so with two-person approval on someone else approves them.
    """
    if basis_points is None or not 0 <= basis_points <= 10_000:
        raise FieldError("minimum", "Enter a minimum coverage between 0% and 100%, like 80")
    before = coverage.minimum_coverage(session)
    row = session.get(SiteState, coverage.MINIMUM_KEY)
    if row is None:
        session.add(SiteState(key=coverage.MINIMUM_KEY, value=str(basis_points)))
    else:
        row.value = str(basis_points)
    session.flush()
    summary = f"Set the minimum coverage to {basis_points / 100:g}%"
    affected = []
    for review in years_to_review(session):
        if review.approved is None or basis_points == before or not review.minimum_changed:
            continue
        affected.append(review.draft.start_year)
        coverage.note_change(review.draft, f"{summary} (it was {before / 100:g}%)", actor)
        if actor is not None and actor.is_authenticated:
            review.draft.prepared_by_id = actor.id
    audit.record(session, actor, "update", "setting", coverage.MINIMUM_KEY, summary,
                 before={"minimum_coverage_bp": before}, after={"minimum_coverage_bp": basis_points})
    session.commit()
    return sorted(affected)
