"""Review before public, kept honest: one rule for publishing a share, changes shown before they are approved,
the work list's coverage, the figures' dates, and other bodies kept apart (issue 11)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from campaign.formatting import UK, long_date
from campaign.models import ComputedYear, ScopeRule
from campaign.services.spend import bodies, coverage, publication, review
from campaign.services.spend import imports as spend_import
from tests.factories import load_user_per_request, make_staff, make_supplier, publish_everything, signed_in
from tests.pages import text_of
from tests.test_spend_import import HEADER_A
from tests.test_spend_scope import FILE, MAPPING

# 2022/23: one payment to a Lancashire supplier, untouched by the scope rule the tests add for 2023/24.
EARLIER = HEADER_A + "\n01/05/2022,x,y,Preston Plumbing Ltd,E1,300.00\n"


@pytest.fixture(autouse=True)
def _fresh_user_per_request(app):
    load_user_per_request(app)


def year_row(db, start_year: int, status: str) -> ComputedYear | None:
    return db.session.scalar(
        select(ComputedYear).where(ComputedYear.start_year == start_year, ComputedYear.status == status))


def public_text(client) -> str:
    return text_of(client.application.test_client().get_page("public.figures_page"))


def test_lowering_the_minimum_offers_publishing_again_and_the_public_page_follows_only_on_approval(client, db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire")
    make_supplier(db, "London Laptops", "elsewhere")
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, make_staff(db))
    publish_everything(db)
    # £1,500 of £10,000 in scope has a known location: 15%, under the 80% minimum.
    assert "Not yet computed: 15% of in-scope spend has a classified supplier" in public_text(client)

    lowering = make_staff(db, role="publisher")
    signed_in(client, lowering)
    response = client.post("/admin/scope/minimum", data={"minimum": "10"})
    assert response.status_code == 302
    assert "approve them again" in text_of(client.get_page("admin.scope"))
    page = text_of(client.get_page("admin.review_list"))
    # The review page, approval and the public page agree: the share is not public until approved again.
    assert "without a share: its coverage, 15%, was below the 80% minimum it was approved under" in page
    assert "Approve and publish again 2023/24" in page
    assert "Minimum coverage for a share 80% 10%" in page
    assert "Share with suppliers in Lancashire not shown 66.67%" in page
    assert "Set the minimum coverage to 10% (it was 80%)" in page
    assert "Not yet computed" in public_text(client)
    assert publication.review_of(db.session, 2023).needs_approval

    # The publisher who lowered the bar does not publish the share it lets through.
    assert client.post("/admin/review/years/2023/approve").status_code == 403
    signed_in(client, make_staff(db, role="publisher"))
    assert client.post("/admin/review/years/2023/approve").status_code == 302
    text = public_text(client)
    assert "Share with suppliers in Lancashire 66.67%" in text and "Not yet computed" not in text
    assert year_row(db, 2023, "approved").minimum_coverage_bp == 1000
    page = text_of(client.get_page("admin.review_list"))
    assert "These figures, approved" in page and "Approve and publish" not in page
    # Nothing is left to approve, and approving again says so.
    assert client.post("/admin/review/years/2023/approve").status_code == 409


def test_raising_the_minimum_above_a_published_share_asks_for_approval_too(client, db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire")
    make_supplier(db, "Lancashire County Council", "lancashire")
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, make_staff(db))
    publish_everything(db)
    assert year_row(db, 2023, "approved").coverage_bp == 9500
    # Shown under the old minimum and the new one: the page does not change, so nothing to approve.
    publication.set_minimum_coverage(db.session, 9000, None)
    assert not publication.review_of(db.session, 2023).needs_approval
    # Above the coverage: the published share would be withdrawn, which is a publisher's decision too.
    publication.set_minimum_coverage(db.session, 9600, None)
    year = publication.review_of(db.session, 2023)
    assert year.needs_approval and year.minimum_changed and not year.shares_shown
    assert "Share with suppliers in Lancashire 100%" in public_text(client)
    publish_everything(db)
    assert "Not yet computed: 95% of in-scope spend has a classified supplier, and a share is published from 96%" in (
        public_text(client))


def test_a_scope_change_marks_only_the_years_it_moves_and_the_review_page_says_what_and_why(client, db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire")
    make_supplier(db, "London Laptops", "elsewhere")
    make_supplier(db, "Lancashire County Council", "lancashire")
    importer = make_staff(db)
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, importer)
    spend_import.import_data(db.session, "e.csv", EARLIER.encode(), MAPPING, importer)
    publish_everything(db)
    earlier_prepared_by = year_row(db, 2022, "draft").prepared_by_id

    editor = make_staff(db, role="editor", name="Erin Editor")
    signed_in(client, editor)
    response = client.post("/admin/scope", data={"kind": "supplier", "value": "Lancashire County Council",
                                                 "reason": "precept_levy", "note": ""})
    assert response.status_code == 302
    draft = year_row(db, 2023, "draft")
    assert draft.prepared_by_id == editor.id and len(draft.changes) == 1
    assert draft.changes[0]["by"] == "Erin Editor"
    # 2022/23 has no payment the rule touches: its draft is not marked, nor said to follow the editor's change.
    untouched = year_row(db, 2022, "draft")
    assert untouched.changes is None and untouched.prepared_by_id == earlier_prepared_by
    assert not publication.review_of(db.session, 2022).needs_approval

    # The public page still says what was approved.
    assert "Share with suppliers in Lancashire 95%" in public_text(client)
    page = text_of(client.get_page("admin.review_list"))
    assert "Changed Older figures" in page
    assert "Left out: precepts and levies £0 £8,500" in page
    assert "Spend in scope £10,000 £1,500" in page
    assert "Share with suppliers in Lancashire 95% 66.67%" in page
    assert "Erin Editor: Left out of scope (Precepts and levies): payee Lancashire County Council" in page

    signed_in(client, make_staff(db, role="publisher"))
    assert client.post("/admin/review/years/2023/approve").status_code == 302
    assert year_row(db, 2023, "draft").changes is None
    assert "Share with suppliers in Lancashire 66.67%" in public_text(client)
    assert "Changes since the public figures were approved" not in text_of(client.get_page("admin.review_list"))


def test_the_work_list_measures_coverage_against_the_in_scope_spend_as_it_is_now(db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire")
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, make_staff(db))
    publish_everything(db)
    # A rule that reached the database without the drafts being worked out again (an older release, a
    # restore or a hand edit) must not leave the work list measuring against the old in-scope total.
    db.session.add(ScopeRule(kind="supplier", value="Lancashire County Council",
                             value_key="lancashire county council", reason="precept_levy"))
    db.session.commit()
    items, figures = coverage.work_list(db.session, 2023)
    assert figures.in_scope_pence == 150000  # £10,000 in scope before the rule, £1,500 after
    assert [(item.name, item.adds_bp) for item in items] == [("London Laptops", 3333)]
    assert year_row(db, 2023, "draft").in_scope_pence == 1_000_000  # the stored draft was stale


def test_the_newest_date_on_the_figures_page_counts_approved_computed_years(client, seeded):
    db = seeded
    assert "The newest was published on 23 August 2019" in public_text(client)
    spend_import.import_data(db.session, "t.csv", FILE.encode(), MAPPING, make_staff(db))
    publish_everything(db)
    approved_on = year_row(db, 2023, "approved").approved_at.astimezone(UK).date()
    status = text_of(client.application.test_client().get_page("public.figures_page").select_one(".figures-status"))
    assert (f"The newest was published on {long_date(approved_on)}, worked out here from the payments "
            "the OPCC publishes") in status
    assert approved_on == datetime.now(UK).date()


def test_other_bodies_are_shown_to_staff_for_comparison_and_never_counted(client, db):
    make_supplier(db, "Preston Plumbing Ltd", "lancashire")
    make_supplier(db, "London Laptops", "elsewhere")
    make_supplier(db, "Lancashire County Council", "lancashire")
    council = bodies.find_or_add(db.session, "Blackburn with Darwen Borough Council")
    record = spend_import.import_data(db.session, "bwd.csv", FILE.encode(), MAPPING, make_staff(db), body=council)
    spend_import.import_data(db.session, "bwd-2.csv", EARLIER.encode(), MAPPING, make_staff(db), body=council)
    signed_in(client, make_staff(db, role="editor"))
    page = text_of(client.get_page("admin.spend_comparison"))
    assert "2 imports from this body are waiting" in page and "No approved imports from this body yet" in page
    review.approve_import(db.session, record, make_staff(db, role="publisher"))

    page = text_of(client.get_page("admin.spend_comparison"))
    assert "Blackburn with Darwen Borough Council For comparison only" in page
    assert "None of this counts toward the campaign’s figures" in page
    assert "1 import from this body is waiting for approval" in page
    assert "2023/24 4 £10,100 Payments to private individuals: £100 £10,000 100% 95% 95%" in page
    # Nothing of it reaches the campaign's figures or the public page.
    assert coverage.compute(db.session) == {} and publication.years_to_review(db.session) == []
    assert "Blackburn" not in public_text(client)


def test_the_comparison_page_without_other_bodies_says_how_to_add_one(client, db):
    signed_in(client, make_staff(db, role="editor"))
    assert "No spend files from other bodies have been imported" in text_of(client.get_page("admin.spend_comparison"))
