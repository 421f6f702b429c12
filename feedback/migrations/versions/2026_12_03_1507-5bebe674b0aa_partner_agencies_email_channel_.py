"""partner agencies, email channel, anonymous sends

Revision ID: 5bebe674b0aa
Revises: 7e234cbfe4f9
Create Date: 2026-12-03 15:07:11

Partner agencies and contacts, email as a channel (members' addresses, the sent-email record),
contacts' invitations (no family), and anonymous sends (an invitation's link leads to no response).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5bebe674b0aa'
down_revision = '7e234cbfe4f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_agencies'))
    )
    op.create_table('partner_agency_sites',
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['partner_agencies.id'], name=op.f('fk_partner_agency_sites_agency_id_partner_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_partner_agency_sites_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agency_id', 'site_id', name=op.f('pk_partner_agency_sites'))
    )
    op.create_table('partner_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('email_digest', sa.String(length=64), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_recorded_at', sa.DateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('email_opted_out_at', sa.DateTime(), nullable=True),
    sa.Column('email_failed_at', sa.DateTime(), nullable=True),
    sa.Column('email_failure', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['partner_agencies.id'], name=op.f('fk_partner_contacts_agency_id_partner_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_contacts'))
    )
    with op.batch_alter_table('partner_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_contacts_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_contacts_email_digest'), ['email_digest'], unique=False)

    op.create_table('email_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('to_address', sa.Text(), nullable=False),
    sa.Column('to_digest', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('unsubscribe_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_email_messages_invitation_id_invitations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_email_messages_message_id')),
    sa.UniqueConstraint('unsubscribe_hash', name=op.f('uq_email_messages_unsubscribe_hash'))
    )
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_messages_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_messages_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_messages_to_digest'), ['to_digest'], unique=False)

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('link_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column('family_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_invitations_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('uq_invitations_contact_wave', ['contact_id', 'schedule_id', 'wave', 'instrument_id', 'due_on'], unique=True, postgresql_where=sa.text('contact_id IS NOT NULL'), sqlite_where=sa.text('contact_id IS NOT NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_invitations_link_hash'), ['link_hash'])
        batch_op.create_foreign_key(batch_op.f('fk_invitations_contact_id_partner_contacts'), 'partner_contacts', ['contact_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('email_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_invalid', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('email_opted_out_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_members_email_digest'), ['email_digest'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_responses_contact_id'), ['contact_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_contact_id_partner_contacts'), 'partner_contacts', ['contact_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responses_contact_id_partner_contacts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_contact_id'))
        batch_op.drop_column('anonymous')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_email_digest'))
        batch_op.drop_column('email_opted_out_at')
        batch_op.drop_column('email_invalid')
        batch_op.drop_column('email_digest')
        batch_op.drop_column('email')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_contact_id_partner_contacts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_invitations_link_hash'), type_='unique')
        batch_op.drop_index('uq_invitations_contact_wave', postgresql_where=sa.text('contact_id IS NOT NULL'), sqlite_where=sa.text('contact_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_invitations_contact_id'))
        batch_op.alter_column('family_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('anonymous')
        batch_op.drop_column('link_hash')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_messages_to_digest'))
        batch_op.drop_index(batch_op.f('ix_email_messages_invitation_id'))
        batch_op.drop_index(batch_op.f('ix_email_messages_created_at'))

    op.drop_table('email_messages')
    with op.batch_alter_table('partner_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_contacts_email_digest'))
        batch_op.drop_index(batch_op.f('ix_partner_contacts_agency_id'))

    op.drop_table('partner_contacts')
    op.drop_table('partner_agency_sites')
    op.drop_table('partner_agencies')
