"""The OPCC's own published spend, shipped with the site: loaded once so a new site shows real totals.

The workbooks in campaign/data/opcc-spend are the OPCC for Lancashire's "payments over £500"
files (see the README there). `flask seed` imports them as the campaign's own body and approves
them from the command line, which the audit log records. Local shares still wait for staff to
classify suppliers: until coverage reaches the minimum, /figures says how far it has got.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from campaign.models import SpendImport
from campaign.services.spend import imports, publication, review, staging

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "opcc-spend"


def load_published_workbooks(session: Session, folder: Path = DATA_DIR) -> list[SpendImport]:
    """Import and approve each shipped workbook not imported before, then approve the years they fill."""
    loaded = []
    for path in sorted(folder.glob("*.xlsx")):
        data = path.read_bytes()
        if staging.previous_import(session, data) is not None:
            continue
        headers = staging.read_headers(data)
        proposed, _ = staging.mapping_for(session, headers)
        record = imports.import_data(session, path.name, data, proposed, actor=None)
        review.approve_import(session, record, None)
        loaded.append(record)
    if loaded:
        for year in publication.years_to_review(session):
            if year.needs_approval:
                review.approve_year(session, year.draft.start_year, None)
    return loaded
