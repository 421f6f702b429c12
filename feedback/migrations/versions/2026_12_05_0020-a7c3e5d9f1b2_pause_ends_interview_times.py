"""pause end dates and members' preferred interview times

Revision ID: a7c3e5d9f1b2
Revises: c41d7e2a9b15
Create Date: 2026-12-05 00:20:00

A contact pause may say the last day it lasts (``ends_on``); with none it lasts until lifted.
A member may say when a telephone interview suits them (``interview_times``, free text).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5d9f1b2'
down_revision = 'c41d7e2a9b15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contact_pauses') as batch:
        batch.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('interview_times', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('members') as batch:
        batch.drop_column('interview_times')
    with op.batch_alter_table('contact_pauses') as batch:
        batch.drop_column('ends_on')
