"""Each payment keeps the expenditure category its file gave it

Revision ID: 840d76e895b5
Revises: c222913b8504
Create Date: 2026-12-03 10:28:17.487689

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '840d76e895b5'
down_revision = 'c222913b8504'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: files without a category column, and every payment imported before, have none.
    with op.batch_alter_table('spend_transaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('spend_transaction', schema=None) as batch_op:
        batch_op.drop_column('category')
