"""unit savings for the cost-benefit report

Revision ID: b7c1d2e3f4a5
Revises: 60c3349c460b
Create Date: 2026-11-23 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '60c3349c460b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit_savings',
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id'], name=op.f('fk_unit_savings_updated_by_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('outcome', name=op.f('pk_unit_savings'))
    )


def downgrade():
    op.drop_table('unit_savings')
