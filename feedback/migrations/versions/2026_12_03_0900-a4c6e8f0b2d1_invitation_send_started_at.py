"""invitation send_started_at: only a send actually begun is "unknown"; other stale claims return to the queue

Revision ID: a4c6e8f0b2d1
Revises: a7b8c9d0e1f2
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c6e8f0b2d1'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_started_at', sa.DateTime(), nullable=True))
    # Claims left before this column existed cannot tell whether their text was in flight: they
    # stay "unknown" for a person to resolve, never sent again automatically.
    op.execute("UPDATE invitations SET send_started_at = COALESCE(claimed_at, updated_at) WHERE pending_send IS NOT NULL")


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('send_started_at')
