"""Close the attacker's findings (issue 13): sign-in sources, image tokens, unconfirmed pledges never block

Revision ID: 6ee28612b58b
Revises: c222913b8504
Create Date: 2026-12-03 10:23:43.043363

"""
import secrets

from alembic import op
import sqlalchemy as sa
import campaign.models.common


# revision identifiers, used by Alembic.
revision = '6ee28612b58b'
down_revision = '62a85109f19d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_sign_in_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', campaign.models.common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_until', campaign.models.common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_in_at', campaign.models.common.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_staff_sign_in_source_staff_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sign_in_source')),
    sa.UniqueConstraint('staff_user_id', 'source', name='uq_staff_sign_in_source')
    )
    with op.batch_alter_table('staff_sign_in_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sign_in_source_staff_user_id'), ['staff_user_id'], unique=False)

    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pledge_name_postcode'), type_='unique')
        batch_op.create_index('uq_pledge_signed_name_postcode', ['name_key', 'postcode'], unique=True, postgresql_where=sa.text("status <> 'pending'"), sqlite_where=sa.text("status <> 'pending'"))

    # Every stored image gets a random token for its address before the column becomes required.
    with op.batch_alter_table('stored_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    images = sa.table('stored_image', sa.column('id', sa.Integer), sa.column('token', sa.String))
    for (image_id,) in connection.execute(sa.select(images.c.id)).all():
        connection.execute(images.update().where(images.c.id == image_id).values(token=secrets.token_urlsafe(16)))
    with op.batch_alter_table('stored_image', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_stored_image_token'), ['token'])



def downgrade():
    with op.batch_alter_table('stored_image', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_stored_image_token'), type_='unique')
        batch_op.drop_column('token')

    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_index('uq_pledge_signed_name_postcode', postgresql_where=sa.text("status <> 'pending'"), sqlite_where=sa.text("status <> 'pending'"))
        batch_op.create_unique_constraint(batch_op.f('uq_pledge_name_postcode'), ['name_key', 'postcode'])

    with op.batch_alter_table('staff_sign_in_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sign_in_source_staff_user_id'))

    op.drop_table('staff_sign_in_source')
