"""response wording hash

Revision ID: 9e8b98b04d46
Revises: 5bebe674b0aa
Create Date: 2026-12-03 16:46:00

Each response records the wording hash of the language it was answered in (a hash of that
language's texts only), so a translation is part of what the response says was answered. Responses
made before this have none: NULL, not a guess.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e8b98b04d46'
down_revision = '5bebe674b0aa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wording_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('wording_hash')
