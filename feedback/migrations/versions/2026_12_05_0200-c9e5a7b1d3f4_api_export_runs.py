"""which API client started which export run

Revision ID: c9e5a7b1d3f4
Revises: b8d4f6a0c2e3
Create Date: 2026-12-05 02:00:00

An export started through /api/v1/exports is no staff member's: ``api_export_runs`` names the
client that started it, the only client that may follow and download it.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9e5a7b1d3f4'
down_revision = 'b8d4f6a0c2e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_export_runs',
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['export_runs.id'],
                                name=op.f('fk_api_export_runs_run_id_export_runs'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'],
                                name=op.f('fk_api_export_runs_client_id_api_clients'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_id', name=op.f('pk_api_export_runs')),
    )
    op.create_index(op.f('ix_api_export_runs_client_id'), 'api_export_runs', ['client_id'])


def downgrade():
    op.drop_index(op.f('ix_api_export_runs_client_id'), table_name='api_export_runs')
    op.drop_table('api_export_runs')
