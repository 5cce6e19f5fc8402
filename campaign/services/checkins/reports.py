"""What organisations report at their check-in: saving it from a single-use link, staff review, and what is public.

Only approved reports of live pledges are public. Withdrawing a pledge deletes its reports and
check-ins outright (`erase_for_pledge`), so they leave every page, file and figure at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from campaign.models import CheckIn, OutboxMessage, Pledge, PledgeReport, StaffUser
from campaign.models.checkins import COUNT_FIELDS
from campaign.services import audit, mailer
from campaign.services.checkins import invitations
from campaign.services.pledges import tokens
from campaign.services.urls import absolute_url

FIELDS = (
    "local_share_bp", "local_spend_pence", "pays_real_living_wage", "living_wage_accredited",
    *COUNT_FIELDS, "summary",
)
RECENT = timedelta(days=365)  # "reported in the last 12 months"
AUDIT_FIELDS = ["status", "hidden_reason", "year"]
# The open data CSV's columns for each pledge's latest approved check-in, after the pledge's own.
CSV_FIELDS = [
    "reported_years", "latest_report_year", "latest_local_share_percent", "latest_local_spend_pence",
    "latest_pays_real_living_wage", "latest_living_wage_accredited", "latest_jobs_created",
    "latest_apprenticeships_created", "latest_volunteering_hours", "latest_report_summary",
]


class ReportError(ValueError):
    """A report could not be saved or reviewed; the message says what to do."""


@dataclass(frozen=True)
class Saved:
    """What saving a report did: "saved", or the link's state ("expired", "used", "unknown")."""

    state: str
    report: PledgeReport | None = None
    messages: list[OutboxMessage] = field(default_factory=list)


def check_link(session: Session, raw: str, now: datetime) -> tokens.LinkCheck:
    """A check-in link's state, without using it; a link to a pledge no longer live does not work."""
    link = tokens.check(session, raw, purpose=invitations.PURPOSE, now=now)
    if link.state in ("valid", "expired") and not link.pledge.is_live:
        return tokens.LinkCheck("unknown")
    return link


def check_in_year(session: Session, pledge: Pledge, now: datetime) -> int:
    """The year a report from this pledge is for: its latest invitation's."""
    year = session.scalar(select(CheckIn.year).where(CheckIn.pledge_id == pledge.id).order_by(CheckIn.year.desc()).limit(1))
    return year or invitations.current_year(pledge.live_at, now.date()) or now.year


def submit(
    session: Session, raw: str, values: dict, now: datetime, staff_email: str = ""
) -> Saved:
    """Save a report from a check-in link and use the link up; queue the thank-you and the note to staff."""
    link = check_link(session, raw, now)
    if link.state != "valid":
        return Saved(link.state)
    if not tokens.use(session, link.token, now):
        return Saved("used")
    pledge = link.pledge
    tokens.use_all(session, pledge, purpose=invitations.PURPOSE, now=now)
    year = check_in_year(session, pledge, now)
    report = session.scalar(select(PledgeReport).where(PledgeReport.pledge_id == pledge.id, PledgeReport.year == year))
    if report is None:
        report = PledgeReport(pledge_id=pledge.id, year=year)
        session.add(report)
    for name in FIELDS:
        setattr(report, name, values.get(name))
    # A corrected report goes back to staff before it is public again.
    report.status, report.submitted_at, report.reviewed_at, report.reviewed_by_id = "submitted", now, None, None
    report.hidden_reason = None
    session.flush()
    messages = [
        mailer.queue(
            session, "checkin_thanks", pledge.contact_email, f"Thank you for your {year} check-in",
            dedupe_key=f"checkin:{pledge.id}:{year}:thanks:{report.id}:{int(now.timestamp())}",
            pledge=pledge, year=year,
        )
    ]
    if staff_email:
        messages.append(
            mailer.queue(
                session, "staff_checkin_report", staff_email, f"New check-in from {pledge.organisation_name}",
                dedupe_key=f"checkin:{pledge.id}:{year}:staff:{report.id}:{int(now.timestamp())}",
                pledge=pledge, year=year, review_url=absolute_url("admin.checkins", tab="reported"),
            )
        )
    session.commit()
    return Saved("saved", report, messages)


def approve(session: Session, report: PledgeReport, staff: StaffUser, now: datetime) -> None:
    """Make a report public, recorded in the audit log."""
    if report.pledge.status == "withdrawn":
        raise ReportError("This pledge has been withdrawn, so its report cannot be published")
    before = audit.snapshot(report, AUDIT_FIELDS)
    report.status, report.hidden_reason, report.reviewed_at, report.reviewed_by_id = "approved", None, now, staff.id
    audit.record(session, staff, "approve", "pledge_report", report.id,
                 f"Approved the {report.year} check-in of {report.pledge.organisation_name}", before,
                 audit.snapshot(report, AUDIT_FIELDS))
    session.commit()


def hide(session: Session, report: PledgeReport, staff: StaffUser, reason: str, now: datetime) -> None:
    """Keep a report off public pages and figures, giving the reason, recorded in the audit log."""
    before = audit.snapshot(report, AUDIT_FIELDS)
    report.status, report.hidden_reason, report.reviewed_at, report.reviewed_by_id = "hidden", reason, now, staff.id
    audit.record(session, staff, "hide", "pledge_report", report.id,
                 f"Hid the {report.year} check-in of {report.pledge.organisation_name}", before,
                 audit.snapshot(report, AUDIT_FIELDS))
    session.commit()


def erase_for_pledge(session: Session, pledge_id: int) -> None:
    """Delete a withdrawn pledge's reports and check-ins: no page, file or figure can show them again."""
    session.execute(delete(PledgeReport).where(PledgeReport.pledge_id == pledge_id))
    session.execute(delete(CheckIn).where(CheckIn.pledge_id == pledge_id))


def _public():
    """Approved reports of live pledges: the only ones anyone outside staff sees."""
    return (
        select(PledgeReport).join(Pledge, Pledge.id == PledgeReport.pledge_id)
        .where(PledgeReport.status == "approved", Pledge.status == "live")
    )


def latest_approved_report(session: Session, pledge: Pledge) -> PledgeReport | None:
    """A pledge's most recent approved report, for its certificate and badge; None if it has none."""
    return session.scalar(_public().where(PledgeReport.pledge_id == pledge.id).order_by(PledgeReport.year.desc()).limit(1))


def approved_by_slug(session: Session, slug: str) -> list[PledgeReport]:
    """The approved reports of a live pledge's page, newest year first."""
    return list(session.scalars(_public().where(Pledge.slug == slug).order_by(PledgeReport.year.desc())))


def latest_year_by_slug(session: Session, slug: str) -> int | None:
    """The latest year a live pledge reported in, approved, for its badge."""
    reports = approved_by_slug(session, slug)
    return reports[0].year if reports else None


def reported_recently(now: datetime):
    """A condition on Pledge: it has an approved report submitted in the last 12 months."""
    return Pledge.id.in_(
        select(PledgeReport.pledge_id).where(PledgeReport.status == "approved", PledgeReport.submitted_at >= now - RECENT)
    )


def public_record(report: PledgeReport) -> dict:
    """A report as the open data gives it: self-reported, not audited."""
    return {
        "year": report.year,
        "local_share_percent": None if report.local_share_bp is None else report.local_share_bp / 100,
        "local_spend_pence": report.local_spend_pence,
        "pays_real_living_wage": report.pays_real_living_wage,
        "living_wage_accredited": report.living_wage_accredited,
        "jobs_created": report.jobs_created,
        "apprenticeships_created": report.apprenticeships_created,
        "volunteering_hours": report.volunteering_hours,
        "summary": report.summary,
        "submitted_on": report.submitted_at.date().isoformat() if report.submitted_at else None,
        "self_reported": True,
        "audited": False,
    }


def csv_values(records: list[dict]) -> list:
    """The CSV cells for a pledge's approved reports (newest first): every year, then the latest in full."""
    if not records:
        return [""] * len(CSV_FIELDS)
    latest = records[0]

    def yes_no(value):
        return "" if value is None else ("yes" if value else "no")

    return [
        ";".join(str(record["year"]) for record in records), latest["year"], latest["local_share_percent"],
        latest["local_spend_pence"], yes_no(latest["pays_real_living_wage"]), yes_no(latest["living_wage_accredited"]),
        latest["jobs_created"], latest["apprenticeships_created"], latest["volunteering_hours"], latest["summary"],
    ]


def open_data(session: Session) -> dict[int, list[dict]]:
    """Every approved report of a live pledge, by pledge id, newest year first."""
    found: dict[int, list[dict]] = {}
    for report in session.scalars(_public().order_by(PledgeReport.pledge_id, PledgeReport.year.desc())):
        found.setdefault(report.pledge_id, []).append(public_record(report))
    return found


def latest_approved(session: Session) -> list[PledgeReport]:
    """Each live pledge's latest approved report: one per organisation, for the campaign's figures."""
    latest: dict[int, PledgeReport] = {}
    for report in session.scalars(_public().order_by(PledgeReport.pledge_id, PledgeReport.year)):
        latest[report.pledge_id] = report
    return list(latest.values())
