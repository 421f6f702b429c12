"""export runs: web exports run in the background, with their progress, and a history of downloads

Revision ID: 7e234cbfe4f9
Revises: b5d7f9a1c3e2
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e234cbfe4f9'
down_revision = 'b5d7f9a1c3e2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(length=100), nullable=False),
    sa.Column('profile_hash', sa.String(length=64), nullable=False),
    sa.Column('identifiable', sa.Boolean(), nullable=False),
    sa.Column('site_codes', sa.JSON(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=200), nullable=False),
    sa.Column('instruments_done', sa.Integer(), nullable=False),
    sa.Column('instruments_total', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('expired_at', sa.DateTime(), nullable=True),
    sa.Column('bundle', sa.String(length=255), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('admin_message', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_export_runs_staff_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_runs'))
    )
    with op.batch_alter_table('export_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_runs_staff_id'), ['staff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_runs_staff_id'))
        batch_op.drop_index(batch_op.f('ix_export_runs_created_at'))

    op.drop_table('export_runs')
