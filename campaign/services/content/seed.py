"""The campaign's own facts, loaded once: figures, spend, case studies and quotes.

Every value here comes from the campaign's documents, and each carries its source.
Loading matches rows by slug (or year), so running it again adds and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import CaseStudy, FinancialYear, HeadlineFigure, Quote

# Source names carry no date: the date is stored beside them (published_on, source_date), so it shows once.
RELEASE_2019 = "OPCC for Lancashire news release"
RELEASE_2019_DATE = date(2019, 8, 23)
CAMPAIGN_PAGE = "Backing Lancashire campaign page, Office of the Police and Crime Commissioner for Lancashire"
POLICY_2017 = "The Police and Crime Commissioner for Lancashire's Social Value Policy (2017), section 1.1"

PLEDGE_WORDING = (
    "We, {organisation}, support ‘Backing Lancashire’ and wherever possible aim to ensure our "
    "procurement, commissioning and general business activity maximises social, economic and "
    "environmental benefit within the county and the wider North West region."
)
PLEDGE_SOURCE = CAMPAIGN_PAGE

# What each figure measures, in the sources' own words. `published_on` is the day a source says it published
# the figure; `as_of` is left empty unless a source names the day the figure was true (a financial year is
# shown as its period, never turned into a made-up "as of 31 March" date).
NOT_A_RUNNING_TOTAL = (
    "A fixed total for the period from 2017 to August 2019. "
    "It is not a running total: it does not grow after August 2019."
)
SHARE_OF_SPEND = (
    "The £62m as a share of all the money the force spent through suppliers over the same period, "
    "2017 to August 2019."
)
ONE_YEAR_IN_LANCASHIRE = (
    "One financial year (April 2017 to March 2018), counting spend within Lancashire. The £62m counts "
    "procurement from 2017 to August 2019, a longer period that includes this year, so the two measure "
    "different things and should not be added together or read as a trend."
)
ALL_PROCUREMENT_2016_17 = (
    "All spending through procurement, wherever the supplier was based, in one financial year "
    "(April 2016 to March 2017). It is a different measure from spend within Lancashire."
)

FIGURES = [
    dict(
        slug="invested-since-2017",
        label="invested back into Lancashire through procurement since the Social Value Policy began in 2017",
        description=NOT_A_RUNNING_TOTAL,
        unit="pounds", value=62_000_000_00, qualifier="",
        period="2017 to August 2019", source_text=RELEASE_2019, published_on=RELEASE_2019_DATE, as_of=None,
    ),
    dict(
        slug="local-share-of-spend",
        label="of all the money the force spent through suppliers went to Lancashire's businesses and people",
        description=SHARE_OF_SPEND,
        unit="percent", value=54_00, qualifier="around",
        period="2017 to August 2019", source_text=RELEASE_2019, published_on=RELEASE_2019_DATE, as_of=None,
    ),
    dict(
        slug="spent-in-lancashire-2017-18",
        label="spent by Lancashire Constabulary within Lancashire",
        description=ONE_YEAR_IN_LANCASHIRE,
        unit="pounds", value=36_000_000_00, qualifier="",
        period="2017/18 financial year", source_text=CAMPAIGN_PAGE, published_on=None, as_of=None,
    ),
    dict(
        slug="west-division-hq",
        label="invested back into Lancashire businesses during the development of West Division Police Headquarters",
        unit="pounds", value=6_300_000_00, qualifier="over",
        period="The building of the West Division Headquarters in Blackpool",
        source_text=CAMPAIGN_PAGE, published_on=None, as_of=None,
    ),
    dict(
        slug="procurement-2016-17",
        label="spent through procurement by the OPCC and Lancashire Constabulary",
        description=ALL_PROCUREMENT_2016_17,
        unit="pounds", value=46_000_000_00, qualifier="approximately",
        period="2016/17 financial year", source_text=POLICY_2017, published_on=None, as_of=None,
    ),
]

FINANCIAL_YEARS = [
    dict(
        start_year=2016, total_spend_pence=46_000_000_00, is_approximate=True,
        source_text=POLICY_2017, notes="The policy gives the total as approximately £46 million.",
    ),
    dict(
        start_year=2017, lancashire_spend_pence=36_000_000_00,
        source_text=CAMPAIGN_PAGE, notes="The campaign gives spend within Lancashire; the total is not published.",
    ),
]

WEST_DIVISION_BODY = """\
Blackpool's new West Division Police Headquarters is the largest building project the
Commissioner's Social Value Policy has shaped so far.

When the contracts for the new building were let, social value was part of how bids were
judged, alongside price and quality. Suppliers were asked what they would do for
Lancashire as well as what they would build.

## What it meant for Lancashire

During the development, **over £6.3m was invested back into Lancashire businesses**.
That is money that stayed in the county's economy: paying local firms, their staff and
their own suppliers.

## Why it matters

The Commissioner pointed to the build when he reaffirmed his commitment to Backing
Lancashire in August 2019, as an example of how the policy works on contracts of every size.
"""

HAY_BODY = """\
Social value is not only for big building contracts. The Commissioner's policy applies to
procurement at every value, and in August 2019 he named the delivery of hay to the police
mounted division as one of the contracts it had shaped.

## Every contract counts

The policy asks the same questions of a small, regular supply contract as of a major build:
where the supplier is based, whether it pays the real Living Wage, whether the work creates
or sustains jobs and apprenticeships in the county, and what it means for the environment.

## What we can and cannot say

The campaign's published documents name this contract but give no figures for it, so this
page does not show any. When figures are published, staff will add them here with their source.
"""

CASE_STUDIES = [
    dict(
        slug="west-division-police-headquarters",
        title="West Division Police Headquarters, Blackpool",
        summary="Building the new West Division Headquarters put over £6.3m back into Lancashire businesses.",
        body_markdown=WEST_DIVISION_BODY,
        key_figure="Over £6.3m",
        key_figure_label="invested back into Lancashire businesses during the development",
        source_text=f"{CAMPAIGN_PAGE}; {RELEASE_2019}",
        source_date=RELEASE_2019_DATE,
        position=1,
    ),
    dict(
        slug="hay-for-the-mounted-division",
        title="Hay for the mounted division",
        summary="Social value counts on contracts of every size, down to the hay for the force's horses.",
        body_markdown=HAY_BODY,
        key_figure=None,
        key_figure_label=None,
        source_text=RELEASE_2019,
        source_date=RELEASE_2019_DATE,
        position=2,
    ),
]

QUOTES = [
    dict(
        slug="supplier-locally-produced-goods",
        text="Focusing on locally produced goods where possible is a great thing for the community "
        "and it seems to work really well for us both",
        attribution="A supplier", attribution_role="quoted by the Backing Lancashire campaign",
        is_supplier=True, source_text=CAMPAIGN_PAGE, position=1,
    ),
    dict(
        slug="supplier-prestigious-contract",
        text="We’re proud to be involved in such a prestigious contract and work with organisations "
        "with a defined social policy and we hope that more companies might follow suit in future "
        "for the benefit of our community as a whole.",
        attribution="A supplier", attribution_role="quoted by the Backing Lancashire campaign",
        is_supplier=True, source_text=CAMPAIGN_PAGE, position=2,
    ),
    dict(
        slug="supplier-jobs-created-locally",
        text="I am from the area and it’s good to see jobs being created locally which helps the "
        "local community too.",
        attribution="A supplier", attribution_role="quoted by the Backing Lancashire campaign",
        is_supplier=True, source_text=CAMPAIGN_PAGE, position=3,
    ),
    dict(
        slug="commissioner-power-of-investment",
        text="This amount of investment back into the people and businesses of our county highlights "
        "the power that putting Lancashire first wherever possible when it comes to spending on good "
        "or services can have and is why I work closely with Lancashire Constabulary to ensure we are "
        "'Backing Lancashire' whilst still delivering value for money.",
        attribution="Clive Grunshaw", attribution_role="Police and Crime Commissioner for Lancashire",
        source_text=RELEASE_2019, source_date=RELEASE_2019_DATE, position=4,
    ),
    dict(
        slug="commissioner-west-division-build",
        text="From the West Division Headquarters new build through all of our procurement at every "
        "value, I’m really pleased that my office and Lancashire Constabulary are playing such a key "
        "role, providing opportunities for local people.",
        attribution="Clive Grunshaw", attribution_role="Police and Crime Commissioner for Lancashire",
        source_text=RELEASE_2019, source_date=RELEASE_2019_DATE, position=5,
        case_study="west-division-police-headquarters",
    ),
]


def load(session: Session) -> dict[str, int]:
    """Add any of the campaign's facts that are missing; return how many rows were added."""
    added = {"figures": 0, "years": 0, "case_studies": 0, "quotes": 0}
    for position, values in enumerate(FIGURES, start=1):
        if session.scalar(select(HeadlineFigure.id).where(HeadlineFigure.slug == values["slug"])) is None:
            session.add(HeadlineFigure(kind="manual", published=True, position=position, **values))
            added["figures"] += 1
    for values in FINANCIAL_YEARS:
        if session.scalar(
            select(FinancialYear.id).where(FinancialYear.start_year == values["start_year"])
        ) is None:
            session.add(FinancialYear(**values))
            added["years"] += 1
    published_at = datetime(2019, 8, 23, tzinfo=UTC)
    for values in CASE_STUDIES:
        if session.scalar(select(CaseStudy.id).where(CaseStudy.slug == values["slug"])) is None:
            session.add(CaseStudy(status="published", published_at=published_at, **values))
            added["case_studies"] += 1
    session.flush()
    for values in QUOTES:
        values = dict(values)
        case_study_slug = values.pop("case_study", None)
        if session.scalar(select(Quote.id).where(Quote.slug == values["slug"])) is None:
            quote = Quote(published=True, **values)
            if case_study_slug:
                quote.case_study_id = session.scalar(
                    select(CaseStudy.id).where(CaseStudy.slug == case_study_slug)
                )
            session.add(quote)
            added["quotes"] += 1
    session.commit()
    return added


def is_empty(session: Session) -> bool:
    """Whether no campaign content has been loaded yet."""
    return session.scalar(select(HeadlineFigure.id).limit(1)) is None
