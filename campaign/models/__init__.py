"""Every model, imported here so Alembic and the app see the whole schema."""

from campaign.models.audit import AuditEvent
from campaign.models.checkins import CheckIn, PledgeReport
from campaign.models.content import CaseStudy, Quote, StoredImage
from campaign.models.figures import FinancialYear, HeadlineFigure
from campaign.models.outbox import OutboxMessage
from campaign.models.pledges import Pledge, PledgeToken
from campaign.models.social import HashtagPost, SiteState, SocialPost
from campaign.models.spend import (
    ComputedYear,
    Contract,
    ImportMapping,
    PublishingBody,
    ScopeRule,
    SpendImport,
    SpendTransaction,
    StagedUpload,
    Supplier,
    SupplierAlias,
)
from campaign.models.staff import StaffSignInSource, StaffUser

__all__ = [
    "AuditEvent", "CaseStudy", "CheckIn", "ComputedYear", "Contract", "FinancialYear", "HashtagPost",
    "HeadlineFigure", "ImportMapping", "OutboxMessage", "Pledge", "PledgeReport", "PledgeToken", "PublishingBody",
    "Quote", "ScopeRule", "SiteState", "SocialPost", "SpendImport", "SpendTransaction", "StagedUpload",
    "StaffSignInSource", "StaffUser", "StoredImage", "Supplier",
    "SupplierAlias",
]
