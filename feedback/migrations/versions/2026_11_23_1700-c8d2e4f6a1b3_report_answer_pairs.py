"""answers paired across waves, kept per family for reports

Revision ID: c8d2e4f6a1b3
Revises: b7c1d2e3f4a5
Create Date: 2026-11-23 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8d2e4f6a1b3'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_answer_pairs',
    sa.Column('pairing', sa.BigInteger(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_report_answer_pairs_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pairing', 'subject_id', 'item_id', name=op.f('pk_report_answer_pairs'))
    )
    op.create_index('ix_report_answer_pairs_pairing_family_id', 'report_answer_pairs', ['pairing', 'family_id'], unique=False)
    op.create_table('report_answer_pair_stamps',
    sa.Column('pairing', sa.BigInteger(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('last_response_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_report_answer_pair_stamps_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pairing', 'family_id', name=op.f('pk_report_answer_pair_stamps'))
    )


def downgrade():
    op.drop_table('report_answer_pair_stamps')
    op.drop_index('ix_report_answer_pairs_pairing_family_id', table_name='report_answer_pairs')
    op.drop_table('report_answer_pairs')
