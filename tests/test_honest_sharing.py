"""Issue 12: everything said on an organisation's behalf names only the commitments it ticked."""

from __future__ import annotations

from sqlalchemy import select

from campaign.models import Pledge, SocialPost
from campaign.models.pledges import COMMITMENTS
from campaign.services.pledges import commitments
from campaign.services.sharing import cards
from campaign.services.sharing.links import pledge_share_text
from campaign.services.x import posts
from campaign.social import sharing
from tests.test_social_helpers import make_pledge

BLANKET = ("spend locally", "pay fairly", "Pay fairly")


def test_every_commitment_has_its_words():
    assert commitments.PHRASES.keys() == commitments.SHORT.keys() == COMMITMENTS.keys()


def test_the_phrase_lists_only_what_was_ticked_in_the_pledges_order():
    assert commitments.commitment_phrase([]) == ""
    assert commitments.commitment_phrase(["living_wage"]) == "pay the real Living Wage"
    assert commitments.commitment_phrase(["environment", "local_suppliers", "nonsense"]) == (
        "buy from Lancashire suppliers and reduce its environmental impact"
    )
    assert commitments.commitment_phrase(["vcse", "local_jobs", "living_wage"], their="our") == (
        "pay the real Living Wage, create local jobs and apprenticeships and support the voluntary and community sector"
    )


def test_share_text_names_only_the_ticked_commitments():
    text = pledge_share_text("Acme", ["living_wage"])
    assert text == "Acme has signed the Backing Lancashire pledge, committing to pay the real Living Wage."
    assert not any(words in text for words in BLANKET)


def test_welcome_draft_names_only_the_ticked_commitments(app, db):
    make_pledge(db, commit_environment=True)
    pledge = db.session.scalar(select(Pledge))
    with app.test_request_context():
        posts.queue_welcome(db.session, pledge)
    db.session.commit()
    text = db.session.scalar(select(SocialPost.text))
    assert "committing to reduce their environmental impact." in text
    assert "Living Wage" not in text and not any(words in text for words in BLANKET)


def test_thank_you_text_speaks_for_the_organisation():
    text = sharing.thank_you_text("Acme", ["environment", "local_jobs"])
    assert text == (
        "We at Acme have signed the Backing Lancashire pledge, committing to create local jobs and apprenticeships "
        "and reduce our environmental impact. Will your organisation join us?"
    )


def test_card_footer_is_the_commitments_and_changes_the_card(app, db):
    make_pledge(db, commit_local_suppliers=True, commit_vcse=True)
    with app.app_context():
        spec = cards.organisation_card(db.session, "acme-bakery-ltd")
        assert spec.footer == "Local suppliers · Community sector"
        pledge = db.session.scalar(select(Pledge))
        pledge.commit_living_wage = True
        db.session.commit()
        changed = cards.organisation_card(db.session, "acme-bakery-ltd")
    assert changed.footer == "Local suppliers · Real Living Wage · Community sector"
    assert changed.key != spec.key
    assert cards.campaign_card(db.session).footer == cards.CAMPAIGN_FOOTER
    assert cards.render(changed)[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_commitment_fits_the_card_footer_without_cutting():
    footer = commitments.card_footer(list(COMMITMENTS))
    block = cards.fit(footer, cards.REGULAR, cards.WIDTH - cards.MARGIN - cards.FOOTER_LEFT,
                      cards.HEIGHT - cards.FOOTER_TOP - 16, 24, 17, max_lines=2)
    assert cards.ELLIPSIS not in "".join(block.lines)


def test_organisation_page_description_and_share_text_are_honest(client, db):
    make_pledge(db, commit_local_jobs=True)
    soup = client.get_page("pledges.organisation", slug="acme-bakery-ltd")
    expected = "Acme Bakery Ltd has signed the Backing Lancashire pledge, committing to create local jobs and apprenticeships."
    assert soup.find("meta", attrs={"name": "description"})["content"] == expected
    assert soup.find("meta", property="og:description")["content"] == expected
    page = str(soup)
    assert "pay fairly" not in page.lower()
    # One heading for the share links, not "Share this pledge" above "Share Acme's pledge".
    headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
    assert "Share this pledge" not in headings
    assert headings.count("Share Acme Bakery Ltd's pledge") == 1
