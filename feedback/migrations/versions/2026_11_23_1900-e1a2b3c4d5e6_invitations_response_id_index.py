"""index invitations.response_id: a response's progress finds its invitation by it

Without it, every survey page that opens, starts or completes a response read the whole
invitations table (half a million rows for a 20,000-family service).

Revision ID: e1a2b3c4d5e6
Revises: d9e3f5a7b2c4
Create Date: 2026-11-23 19:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5e6'
down_revision = 'd9e3f5a7b2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_response_id'))
