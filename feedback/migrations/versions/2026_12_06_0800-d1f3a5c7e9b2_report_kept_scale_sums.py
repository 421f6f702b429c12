"""scale-change's sums for Cronbach's alpha kept per family, and its scores per unit

Revision ID: d1f3a5c7e9b2
Revises: c9e5a7b1d3f4
Create Date: 2026-12-06 08:00:00

``report_kept_scale_sums`` (``feedback/reports/kept_sums.py``): each family's share of the sums
alpha is computed from, per scale; ``report_kept_scale_scores``: each unit's scores the report
pairs. Stamped with the kept answers (``report_kept_stamps``). Only ever a copy: the next
scale-change report makes the rows.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1f3a5c7e9b2'
down_revision = 'c9e5a7b1d3f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
    'report_kept_scale_sums',
    sa.Column('keeping', sa.BigInteger(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(), nullable=True),
    sa.Column('total_squares', sa.Numeric(), nullable=True),
    sa.Column('s0', sa.Numeric(), nullable=True),
    sa.Column('q0', sa.Numeric(), nullable=True),
    sa.Column('s1', sa.Numeric(), nullable=True),
    sa.Column('q1', sa.Numeric(), nullable=True),
    sa.Column('s2', sa.Numeric(), nullable=True),
    sa.Column('q2', sa.Numeric(), nullable=True),
    sa.Column('s3', sa.Numeric(), nullable=True),
    sa.Column('q3', sa.Numeric(), nullable=True),
    sa.Column('s4', sa.Numeric(), nullable=True),
    sa.Column('q4', sa.Numeric(), nullable=True),
    sa.Column('s5', sa.Numeric(), nullable=True),
    sa.Column('q5', sa.Numeric(), nullable=True),
    sa.Column('s6', sa.Numeric(), nullable=True),
    sa.Column('q6', sa.Numeric(), nullable=True),
    sa.Column('s7', sa.Numeric(), nullable=True),
    sa.Column('q7', sa.Numeric(), nullable=True),
    sa.Column('s8', sa.Numeric(), nullable=True),
    sa.Column('q8', sa.Numeric(), nullable=True),
    sa.Column('s9', sa.Numeric(), nullable=True),
    sa.Column('q9', sa.Numeric(), nullable=True),
    sa.Column('s10', sa.Numeric(), nullable=True),
    sa.Column('q10', sa.Numeric(), nullable=True),
    sa.Column('s11', sa.Numeric(), nullable=True),
    sa.Column('q11', sa.Numeric(), nullable=True),
    sa.Column('s12', sa.Numeric(), nullable=True),
    sa.Column('q12', sa.Numeric(), nullable=True),
    sa.Column('s13', sa.Numeric(), nullable=True),
    sa.Column('q13', sa.Numeric(), nullable=True),
    sa.Column('s14', sa.Numeric(), nullable=True),
    sa.Column('q14', sa.Numeric(), nullable=True),
    sa.Column('s15', sa.Numeric(), nullable=True),
    sa.Column('q15', sa.Numeric(), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_report_kept_scale_sums_family_id_families'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('keeping', 'family_id', 'part', name=op.f('pk_report_kept_scale_sums'))
    )

    op.create_table(
    'report_kept_scale_scores',
    sa.Column('keeping', sa.BigInteger(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_report_kept_scale_scores_family_id_families'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('keeping', 'subject_id', 'slot', name=op.f('pk_report_kept_scale_scores'))
    )
    op.create_index('ix_report_kept_scale_scores_keeping_family_id', 'report_kept_scale_scores',
                    ['keeping', 'family_id'], unique=False)


def downgrade():
    op.drop_index('ix_report_kept_scale_scores_keeping_family_id', table_name='report_kept_scale_scores')
    op.drop_table('report_kept_scale_scores')
    op.drop_table('report_kept_scale_sums')
