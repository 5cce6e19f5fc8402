"""What a shareable page passes to its template: share links, and its card for the Open Graph tags.

Views call one of the `for_*` functions and pass the result on with `**`:

    return render_template("public/home.html", ..., **sharing.for_home(db.session))

which gives the template `share` (for components/share.html) and `meta` (read by
components/meta.html). Card URLs carry the card's content hash as `v`, so when a figure, pledge or
case study changes the URL changes too and sites that cache pictures by URL fetch the new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from campaign.models import CaseStudy, Pledge
from campaign.services.figures.headline import DisplayFigure
from campaign.services.pledges.commitments import signed_sentence
from campaign.services.pledges.common import hold_unreviewed
from campaign.services.sharing import cards
from campaign.services.sharing import links as share
from campaign.services.urls import absolute_url
from campaign.services.x.posts import organisation_url


@dataclass(frozen=True)
class SharePanel:
    """The share links for one page, with the address people copy."""

    url: str
    title: str
    text: str
    links: list[share.ShareLink]
    heading: str = "Share this page"


def panel(url: str, text: str, title: str, heading: str = "Share this page") -> SharePanel:
    """Share links for an absolute URL, with the suggested words and title."""
    return SharePanel(url=url, title=title, text=text, links=share.share_links(url, text, title), heading=heading)


def card_meta(spec: cards.CardSpec, endpoint: str, **values: Any) -> dict[str, str]:
    """The Open Graph image of a page: its card's versioned absolute URL and its alt text."""
    return {"image": absolute_url(endpoint, v=spec.key, **values), "image_alt": spec.alt}


def for_home(session: Session, shown: list[DisplayFigure] | None = None) -> dict[str, Any]:
    """The home page's share links and card (the campaign card, led by the headline figures `shown`, if given)."""
    return {
        "share": panel(
            absolute_url("public.home"),
            share.campaign_share_text(),
            "Backing Lancashire",
            heading="Share Backing Lancashire",
        ),
        "meta": card_meta(cards.campaign_card(session, shown), "social.campaign_card"),
    }


def for_figures(session: Session, shown: list[DisplayFigure]) -> dict[str, Any]:
    """The figures page's share links, quoting the leading figure, and the campaign card."""
    known = [figure for figure in shown if figure.value is not None]
    if known:
        leading = known[0]
        headline = f"{leading.text} {leading.label}"
        text = share.figures_share_text(headline[:1].upper() + headline[1:])
    else:
        text = share.campaign_share_text()
    return {
        "share": panel(
            absolute_url("public.figures_page"), text, "Backing Lancashire: the figures", heading="Share these figures"
        ),
        "meta": card_meta(cards.campaign_card(session, shown), "social.campaign_card"),
    }


def for_case_study(session: Session, study: CaseStudy) -> dict[str, Any]:
    """A case study's share links and its own card."""
    spec = cards.case_study_card(session, study.slug)
    result: dict[str, Any] = {
        "share": panel(
            absolute_url("public.case_study", slug=study.slug),
            share.case_study_share_text(study.title),
            study.title,
            heading="Share this case study",
        ),
        "meta": {"type": "article"},
    }
    if spec is not None:
        result["meta"].update(card_meta(spec, "social.case_study_card", slug=study.slug))
    return result


def for_organisation(session: Session, slug: str, commitments: Iterable[str] = ()) -> dict[str, Any]:
    """A live pledge's organisation page: share links naming the organisation and what it committed to, and its card."""
    spec = cards.organisation_card(session, slug, hold_unreviewed(current_app.config))
    if spec is None:  # not live: nothing of it may be shared
        return {"share": None, "meta": {}}
    name = spec.headline
    return {
        "share": panel(
            absolute_url("pledges.organisation", slug=slug),
            share.pledge_share_text(name, commitments),
            f"{name} is Backing Lancashire",
            heading=f"Share {name}'s pledge",
        ),
        "meta": card_meta(spec, "social.organisation_card", slug=slug),
    }


def thank_you_text(organisation_name: str, commitments: Iterable[str] = ()) -> str:
    """What a signatory says when they share their own pledge: only what they committed to."""
    name = " ".join(organisation_name.split())
    return signed_sentence(f"We at {name}", commitments, "have", "our") + " Will your organisation join us?"


def for_thank_you(session: Session, pledge: Pledge) -> dict[str, Any]:
    """The thank-you page after confirming: share the organisation's page if live, else the campaign."""
    if pledge.status == "live" and pledge.slug:
        spec = cards.organisation_card(session, pledge.slug, hold_unreviewed(current_app.config))
        url, meta = (
            organisation_url(pledge),
            card_meta(spec, "social.organisation_card", slug=pledge.slug) if spec else {},
        )
    else:
        # Not on the wall yet (waiting for staff to check it): share the campaign meanwhile.
        url, meta = absolute_url("public.home"), card_meta(cards.campaign_card(session), "social.campaign_card")
    name = pledge.organisation_name or "our organisation"
    return {
        "share": panel(url, thank_you_text(name, pledge.commitments), "We are Backing Lancashire", heading="Tell people you have signed"),
        "meta": meta,
    }
