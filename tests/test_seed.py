"""Loading the campaign's content: only what the documents say, and only once."""

from click.testing import CliRunner

from campaign.models import CaseStudy, FinancialYear, HeadlineFigure, Quote
from campaign.services.content import seed


def counts(db):
    return tuple(db.session.query(model).count() for model in (HeadlineFigure, FinancialYear, CaseStudy, Quote))


def test_seeding_twice_creates_no_duplicates(db):
    first = seed.load(db.session)
    assert first == {"figures": 5, "years": 2, "case_studies": 2, "quotes": 5}
    before = counts(db)
    assert seed.load(db.session) == {"figures": 0, "years": 0, "case_studies": 0, "quotes": 0}
    assert counts(db) == before


def test_seed_command_is_idempotent_and_respects_if_empty(app, db):
    runner = app.test_cli_runner()
    assert "Added 5 figures" in runner.invoke(args=["seed"]).output
    assert "Added 0 figures" in runner.invoke(args=["seed"]).output
    assert "already loaded" in runner.invoke(args=["seed", "--if-empty"]).output
    assert isinstance(runner, CliRunner)


def test_every_seeded_figure_has_a_source_and_only_documented_years_exist(db):
    seed.load(db.session)
    for figure in db.session.query(HeadlineFigure):
        assert figure.source_text and figure.period
    years = {y.start_year: y for y in db.session.query(FinancialYear)}
    assert set(years) == {2016, 2017}
    assert years[2016].total_spend_pence == 46_000_000_00 and years[2016].lancashire_spend_pence is None
    assert years[2017].lancashire_spend_pence == 36_000_000_00 and years[2017].total_spend_pence is None


def test_unnamed_suppliers_are_never_given_names(db):
    seed.load(db.session)
    for quote in db.session.query(Quote).filter_by(is_supplier=True):
        assert quote.attribution == "A supplier"
