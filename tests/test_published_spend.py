"""The OPCC's published workbooks ship with the site: `flask seed` shows their real totals, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from campaign.models import AuditEvent, ComputedYear, SpendImport
from tests.pages import parse

# The independent totals in campaign/data/opcc-spend/README.md (each amount rounded to the penny, then summed).
PUBLISHED = {"pcc-2023-24.xlsx": (9_289, 104_322_773_62), "pcc-2024-25.xlsx": (7_857, 110_962_284_83)}


@pytest.mark.slow
def test_seed_imports_and_approves_the_published_workbooks_once(app, client, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "£104,322,773.62" in result.output and "£110,962,284.83" in result.output
    imports = {record.filename: record for record in db.session.scalars(select(SpendImport))}
    assert {name: (r.added_count, r.total_pence) for name, r in imports.items()} == PUBLISHED
    assert all(record.status == "approved" and record.body.is_own for record in imports.values())
    years = {year.start_year for year in db.session.scalars(select(ComputedYear).where(ComputedYear.status == "approved"))}
    assert years == {2023, 2024}
    actors = db.session.scalars(select(AuditEvent.staff_email).where(AuditEvent.entity_type == "spend_import")).all()
    assert actors and all(actor.startswith("command line (") for actor in actors)

    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "Imported" not in again.output
    assert db.session.scalar(select(func.count()).select_from(SpendImport)) == 2

    page = parse(client.get("/figures").get_data(as_text=True)).get_text(" ")
    assert "£110,962,284.83" in " ".join(page.split())
    # No supplier is classified yet, so no local share is claimed.
    assert "Not yet computed: 0% of in-scope spend has a classified supplier" in " ".join(page.split())
