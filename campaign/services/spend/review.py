"""Review before public: imports and computed years stay drafts until a publisher approves them.

With TWO_PERSON_APPROVAL on, nobody approves their own work: the person who imported a file,
or whose change prepared a year's figures, or who last edited a headline figure.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from campaign.models import AuditEvent, ComputedYear, SpendImport, SpendTransaction, StaffUser
from campaign.models.common import utcnow
from campaign.services import audit
from campaign.services.spend import coverage, publication, totals
from campaign.services.validation import rolls_back_on_error


class ReviewError(ValueError):
    """An approval that cannot be made; the message says why and what to do, `status` the HTTP answer."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


def two_person() -> bool:
    """Whether a second person must approve what someone prepared (TWO_PERSON_APPROVAL)."""
    return bool(current_app.config.get("TWO_PERSON_APPROVAL", True)) if has_app_context() else True


def _check_publisher(actor: StaffUser | None) -> None:
    """Only publishers and admins approve; the command line (no actor) is trusted as an admin would be."""
    if actor is not None and not actor.can_publish:
        raise ReviewError("Ask a publisher or an admin to approve this: editors prepare, publishers approve")


def _check_not_own(actor: StaffUser | None, prepared_by_id: int | None, what: str) -> None:
    """Refuse, with two-person approval on, to let someone approve what they prepared."""
    if two_person() and actor is not None and prepared_by_id is not None and actor.id == prepared_by_id:
        raise ReviewError(f"Ask another publisher to approve {what}: two-person approval is on")


def last_editor(session: Session, entity_type: str, entity_id: int) -> int | None:
    """The member of staff who last created or changed a row, from the audit log."""
    return session.scalar(
        select(AuditEvent.staff_id)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id),
               AuditEvent.action.in_(("create", "update")))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)
    )


def check_can_publish_figure(session: Session, figure_id: int, actor: StaffUser | None) -> None:
    """A headline figure goes public only by a publisher, and with two-person approval not its last editor."""
    _check_publisher(actor)
    _check_not_own(actor, last_editor(session, "figure", figure_id), "a figure you added or changed")


def check_can_publish(actor: StaffUser | None) -> None:
    """Changes that show on public pages at once need a publisher or an admin."""
    _check_publisher(actor)


@rolls_back_on_error
def approve_import(session: Session, record: SpendImport, actor: StaffUser | None) -> None:
    """Count a draft import's payments; a correction replaces the import it corrects, never adding to it."""
    if record.status != "draft":
        raise ReviewError(f"{record.filename} is not waiting for approval", 409)
    _check_publisher(actor)
    _check_not_own(actor, record.imported_by_id, "a file you imported")
    summary = f"Approved import {record.filename}"
    if record.replaces_id is not None:
        earlier = session.get(SpendImport, record.replaces_id)
        if earlier is None or earlier.status != "approved":
            raise ReviewError(
                "The file this corrects has been replaced or removed since: discard this draft and import it again",
                409,
            )
        removed_ids = list((record.changes or {}).get("removed_ids", []))
        for start in range(0, len(removed_ids), 500):
            session.execute(delete(SpendTransaction).where(SpendTransaction.id.in_(removed_ids[start:start + 500])))
        # The payments both files share move to the correction, so every payment is counted once.
        session.execute(
            update(SpendTransaction).where(SpendTransaction.import_id == earlier.id).values(import_id=record.id)
        )
        earlier.status = "replaced"
        summary += f", replacing {earlier.filename}"
    record.status = "approved"
    record.approved_by_id = actor.id if actor is not None else None
    record.approved_at = utcnow()
    importer = session.get(StaffUser, record.imported_by_id) if record.imported_by_id else None
    correction = " (a correction)" if record.replaces_id else ""
    cause = f"Imported {record.filename}{correction}, approved by {audit.actor_label(actor)}"
    totals.recompute_years(session, prepared_by=importer, cause=cause)
    audit.record(session, actor, "approve", "spend_import", record.id, summary,
                 after=audit.snapshot(record, ["status", "replaces_id"]))
    session.commit()


@rolls_back_on_error
def approve_year(session: Session, start_year: int, actor: StaffUser | None) -> ComputedYear:
    """Publish a year's draft figures under the minimum coverage set now: the public pages show them from now on."""
    review = publication.review_of(session, start_year)
    if review is None:
        raise ReviewError("There are no figures for that year to approve", 404)
    _check_publisher(actor)
    if not review.needs_approval:
        raise ReviewError(f"The public figures for {review.label} are already these: there is nothing to approve", 409)
    draft = review.draft
    _check_not_own(actor, draft.prepared_by_id, "figures that follow your own change")
    approved = review.approved
    fields = [*coverage.FIGURE_FIELDS, "minimum_coverage_bp"]
    before = audit.snapshot(approved, fields) if approved else None
    if approved is None:
        approved = ComputedYear(start_year=start_year, status="approved")
        session.add(approved)
    for name in (*coverage.FIGURE_FIELDS, "prepared_by_id", "computed_at"):
        setattr(approved, name, getattr(draft, name))
    approved.minimum_coverage_bp = review.minimum_bp
    approved.approved_by_id = actor.id if actor is not None else None
    approved.approved_at = utcnow()
    draft.changes = None
    session.flush()
    totals.apply_approved(session)
    audit.record(session, actor, "approve", "computed_year", approved.id, f"Approved the figures for {approved.label}",
                 before=before, after=audit.snapshot(approved, fields))
    session.commit()
    return approved


def waiting_imports(session: Session) -> list[SpendImport]:
    """Imports waiting for approval, oldest first."""
    return list(session.scalars(select(SpendImport).where(SpendImport.status == "draft").order_by(SpendImport.id)))
