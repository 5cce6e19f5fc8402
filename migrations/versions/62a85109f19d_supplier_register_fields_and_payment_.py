"""supplier register fields and payment category

Suppliers gain is_public_body and an index on the company number (bulk upload matches by it);
payments gain the category the file gives (the same column the file-reading work adds) and an
index that covers the yearly spend breakdowns.

Revision ID: 62a85109f19d
Revises: c222913b8504
Create Date: 2026-12-03 10:23:21.340142

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '62a85109f19d'
down_revision = 'ae64da581f03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('spend_transaction', schema=None) as batch_op:
        batch_op.create_index(
            'ix_spend_transaction_year_covering',
            ['financial_year', 'supplier_id', 'redacted', 'paid_on', 'amount_pence'], unique=False,
        )

    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_public_body', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_supplier_companies_house_number'), ['companies_house_number'], unique=False)


def downgrade():
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_companies_house_number'))
        batch_op.drop_column('is_public_body')

    with op.batch_alter_table('spend_transaction', schema=None) as batch_op:
        batch_op.drop_index('ix_spend_transaction_year_covering')
