"""answers kept per family for reports, in one table: pairs, latest answers and star readings

From now on pairs are kept in report_kept_answers (slot "pair") and stamped in report_kept_stamps.
Kept answers are only ever a copy, so nothing is copied over: report_answer_pairs and its stamps
are dropped, and the next report (or ``flask report-refresh``) makes every family's rows again.

Revision ID: d9e3f5a7b2c4
Revises: c8d2e4f6a1b3
Create Date: 2026-11-23 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9e3f5a7b2c4'
down_revision = 'c8d2e4f6a1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_kept_answers',
    sa.Column('keeping', sa.BigInteger(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_report_kept_answers_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('keeping', 'subject_id', 'slot', 'item_id', name=op.f('pk_report_kept_answers'))
    )
    op.create_index('ix_report_kept_answers_keeping_family_id', 'report_kept_answers', ['keeping', 'family_id'], unique=False)
    op.create_table('report_kept_stamps',
    sa.Column('keeping', sa.BigInteger(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('last_response_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_report_kept_stamps_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('keeping', 'family_id', name=op.f('pk_report_kept_stamps'))
    )
    op.drop_table('report_answer_pair_stamps')
    op.drop_index('ix_report_answer_pairs_pairing_family_id', table_name='report_answer_pairs')
    op.drop_table('report_answer_pairs')


def downgrade():
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
    op.drop_table('report_kept_stamps')
    op.drop_index('ix_report_kept_answers_keeping_family_id', table_name='report_kept_answers')
    op.drop_table('report_kept_answers')
