"""Figure publication dates, and corrections to the seeded figures' dates and source names

Adds `published_on` (the day a source published a figure) to headline figures and financial years.
Then, only for rows that still hold exactly what the first seed loader wrote, it:
- moves the 23 August 2019 news release's date out of its source name into `published_on`, so the date
  shows once ("23 August 2019, 23 August 2019" before);
- clears "as of" dates that were worked out from a financial year (31 March) rather than given by a source;
- adds the words saying what each figure measures, where staff have not written any.
Rows staff have changed are left alone.

Revision ID: 9080008851a1
Revises: c222913b8504
Create Date: 2026-12-03 10:23:37.607277

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9080008851a1'
down_revision = '6ee28612b58b'
branch_labels = None
depends_on = None

OLD_RELEASE = "OPCC for Lancashire news release, 23 August 2019"
NEW_RELEASE = "OPCC for Lancashire news release"
RELEASE_DATE = date(2019, 8, 23)
# A frozen copy of the seed's wording at this revision: later seed changes must not change what this did.
DESCRIPTIONS = {
    "invested-since-2017": (
        "A fixed total for the period from 2017 to August 2019. "
        "It is not a running total: it does not grow after August 2019."
    ),
    "local-share-of-spend": (
        "The £62m as a share of all the money the force spent through suppliers over the same period, "
        "2017 to August 2019."
    ),
    "spent-in-lancashire-2017-18": (
        "One financial year (April 2017 to March 2018), counting spend within Lancashire. The £62m counts "
        "procurement from 2017 to August 2019, a longer period that includes this year, so the two measure "
        "different things and should not be added together or read as a trend."
    ),
    "procurement-2016-17": (
        "All spending through procurement, wherever the supplier was based, in one financial year "
        "(April 2016 to March 2017). It is a different measure from spend within Lancashire."
    ),
}
DERIVED_AS_OF = {"spent-in-lancashire-2017-18": date(2018, 3, 31), "procurement-2016-17": date(2017, 3, 31)}

figure = sa.table(
    "headline_figure", sa.column("slug", sa.String), sa.column("description", sa.Text),
    sa.column("source_text", sa.String), sa.column("as_of", sa.Date), sa.column("published_on", sa.Date),
)
quote = sa.table("quote", sa.column("source_text", sa.String), sa.column("source_date", sa.Date))
case_study = sa.table("case_study", sa.column("source_text", sa.String), sa.column("source_date", sa.Date))


def upgrade():
    with op.batch_alter_table('financial_year', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_on', sa.Date(), nullable=True))

    with op.batch_alter_table('headline_figure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_on', sa.Date(), nullable=True))

    op.execute(
        figure.update()
        .where(figure.c.slug.in_(["invested-since-2017", "local-share-of-spend"]),
               figure.c.source_text == OLD_RELEASE, figure.c.as_of == RELEASE_DATE)
        .values(source_text=NEW_RELEASE, published_on=RELEASE_DATE, as_of=None)
    )
    for slug, derived in DERIVED_AS_OF.items():
        op.execute(figure.update().where(figure.c.slug == slug, figure.c.as_of == derived).values(as_of=None))
    for slug, words in DESCRIPTIONS.items():
        op.execute(figure.update().where(figure.c.slug == slug, figure.c.description == "").values(description=words))
    for table in (quote, case_study):
        op.execute(
            table.update()
            .where(table.c.source_text == OLD_RELEASE, table.c.source_date == RELEASE_DATE)
            .values(source_text=NEW_RELEASE)
        )
        old_combined = "Backing Lancashire campaign page, Office of the Police and Crime Commissioner for Lancashire; "
        op.execute(
            table.update()
            .where(table.c.source_text == old_combined + OLD_RELEASE, table.c.source_date == RELEASE_DATE)
            .values(source_text=old_combined + NEW_RELEASE)
        )


def downgrade():
    # The corrected wording and dates stay: they are what the sources say, under either schema.
    with op.batch_alter_table('headline_figure', schema=None) as batch_op:
        batch_op.drop_column('published_on')

    with op.batch_alter_table('financial_year', schema=None) as batch_op:
        batch_op.drop_column('published_on')
