"""API clients, their sites, idempotent responses; invitations readable by change

Revision ID: b8d4f6a0c2e3
Revises: a7c3e5d9f1b2
Create Date: 2026-12-05 01:00:00

Clients of /api/v1 keep only the SHA-256 of their token. ``ix_invitations_updated_at_id`` serves
the invitations feed, read in (updated_at, id) order.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f6a0c2e3'
down_revision = 'a7c3e5d9f1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_clients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('scopes', sa.String(length=200), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('token_hint', sa.String(length=16), nullable=False),
        sa.Column('rate_limit', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'],
                                name=op.f('fk_api_clients_created_by_id_staff_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_users.id'],
                                name=op.f('fk_api_clients_revoked_by_id_staff_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_api_clients_token_digest')),
    )
    op.create_table(
        'api_client_sites',
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'],
                                name=op.f('fk_api_client_sites_client_id_api_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_api_client_sites_site_id_sites'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('client_id', 'site_id', name=op.f('pk_api_client_sites')),
    )
    op.create_table(
        'api_idempotent_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('request_digest', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'],
                                name=op.f('fk_api_idempotent_responses_client_id_api_clients'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_responses')),
        sa.UniqueConstraint('client_id', 'key', name=op.f('uq_api_idempotent_responses_client_id_key')),
    )
    op.create_index(op.f('ix_api_idempotent_responses_created_at'), 'api_idempotent_responses', ['created_at'])
    op.create_index('ix_invitations_updated_at_id', 'invitations', ['updated_at', 'id'])


def downgrade():
    op.drop_index('ix_invitations_updated_at_id', table_name='invitations')
    op.drop_index(op.f('ix_api_idempotent_responses_created_at'), table_name='api_idempotent_responses')
    op.drop_table('api_idempotent_responses')
    op.drop_table('api_client_sites')
    op.drop_table('api_clients')
