"""Headline figure computations, with worked examples, and how values read."""

import pytest

from campaign.formatting import figure_value, percent, pounds
from campaign.models import Contract, FinancialYear, HeadlineFigure
from campaign.services.figures import computed
from campaign.services.figures import headline as figures


@pytest.fixture
def years(db):
    """Three years: 2017/18 £40m total, £20m local; 2018/19 £60m total, £36m local; 2019/20 £50m total, local unknown."""
    db.session.add_all([
        FinancialYear(start_year=2017, total_spend_pence=40_000_000_00, lancashire_spend_pence=20_000_000_00),
        FinancialYear(start_year=2018, total_spend_pence=60_000_000_00, lancashire_spend_pence=36_000_000_00),
        FinancialYear(start_year=2019, total_spend_pence=50_000_000_00),
    ])
    db.session.commit()


def test_local_spend_since_adds_every_known_year_from_the_start(db, years):
    assert computed.local_spend_since(db.session, 2017) == 56_000_000_00
    assert computed.local_spend_since(db.session, 2018) == 36_000_000_00
    assert computed.local_spend_since(db.session, 2020) is None


def test_local_share_counts_only_years_with_both_amounts(db, years):
    # (20 + 36) / (40 + 60) = 56%; 2019/20 has no local figure, so its total is left out.
    assert computed.local_share_since(db.session, 2017) == 56_00
    # 36 / 60 = 60%
    assert computed.local_share_since(db.session, 2018) == 60_00
    assert computed.local_share_since(db.session, 2019) is None


def test_local_share_rounds_half_up_to_a_hundredth_of_a_percent(db):
    db.session.add(FinancialYear(start_year=2020, total_spend_pence=3, lancashire_spend_pence=2))
    db.session.commit()
    assert computed.local_share_since(db.session, 2020) == 66_67  # 66.666…%


def test_spend_in_year(db, years):
    assert computed.spend_in_year(db.session, 2019) == 50_000_000_00
    assert computed.spend_in_year(db.session, 2030) is None


def test_contract_local_spend(db):
    contract = Contract(title="Hay", value_pence=100_00, local_spend_delivered_pence=75_00)
    db.session.add(contract)
    db.session.commit()
    assert computed.contract_local_spend(db.session, contract.id) == 75_00


def test_headline_shows_published_figures_in_order_with_computed_values(db, years):
    db.session.add_all([
        HeadlineFigure(slug="b", label="B", unit="pounds", kind="computed", computation="local_spend_since",
                       computation_param=2017, period="Since 2017", source_text="Spend data", position=2, published=True),
        HeadlineFigure(slug="a", label="A", unit="percent", kind="computed", computation="local_share_since",
                       computation_param=2017, period="Since 2017", source_text="Spend data", position=1, published=True),
        HeadlineFigure(slug="hidden", label="H", unit="count", kind="manual", value=1, period="x",
                       source_text="x", position=0, published=False),
    ])
    db.session.commit()
    shown = figures.headline(db.session)
    assert [f.slug for f in shown] == ["a", "b"]
    assert shown[0].text == "56%"
    assert shown[1].text == "£56m"
    assert all(f.computed for f in shown)


@pytest.mark.parametrize(
    "pence, expected",
    [(62_000_000_00, "£62m"), (6_300_000_00, "£6.3m"), (1_234_56, "£1,234.56"), (12_500_00, "£12,500"),
     (-250_00, "-£250"), (0, "£0"), (None, "not known")],
)
def test_pounds(pence, expected):
    assert pounds(pence) == expected


def test_percent_and_qualifiers():
    assert percent(54_00) == "54%"
    assert percent(2_50) == "2.5%"
    assert figure_value("percent", 54_00, "around") == "around 54%"
    assert figure_value("pounds", 6_300_000_00, "over") == "over £6.3m"
    assert figure_value("count", 1234) == "1,234"
