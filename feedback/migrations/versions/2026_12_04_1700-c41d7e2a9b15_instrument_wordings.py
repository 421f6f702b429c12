"""instrument wordings

Revision ID: c41d7e2a9b15
Revises: 9e8b98b04d46
Create Date: 2026-12-04 17:00:00

Languages added to a published instrument version by a language file
(questionnaires/<id>/languages/<code>.yaml) are published beside it, one row per distinct
wording, so a response keeps pointing at exactly the words it was answered in.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d7e2a9b15'
down_revision = '9e8b98b04d46'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'instrument_wordings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instrument_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('wording_hash', sa.String(length=64), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_wordings')),
        sa.UniqueConstraint('instrument_id', 'version', 'language', 'wording_hash',
                            name='uq_instrument_wordings_wording'),
    )


def downgrade():
    op.drop_table('instrument_wordings')
