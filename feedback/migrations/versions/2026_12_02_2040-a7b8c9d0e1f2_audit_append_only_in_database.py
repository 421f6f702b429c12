"""audit events append-only in the database too (PostgreSQL): a trigger refuses UPDATE, DELETE and TRUNCATE

The app already refuses to change or delete an audit event (a before_flush hook); this makes the
database refuse as well, whatever code or SQL the app's role runs. One change is let through:
PostgreSQL's own ON DELETE SET NULL when a staff account or a site is removed, which only blanks
actor_id or site_id. Only a superuser (session_replication_role = replica) gets past it, which a
deployment's app role is not. SQLite has no such triggers worth the name; nothing changes there.

Revision ID: a7b8c9d0e1f2
Revises: f2b3c4d5e6a7
Create Date: 2026-12-02 20:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e1f2'
down_revision = 'f2b3c4d5e6a7'
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.id, NEW.at, NEW.action, NEW.subject_type, NEW.subject_id, NEW.detail::text)
           IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.action, OLD.subject_type, OLD.subject_id, OLD.detail::text)
       AND (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
       AND (NEW.site_id IS NULL OR NEW.site_id IS NOT DISTINCT FROM OLD.site_id) THEN
        RETURN NEW;  -- ON DELETE SET NULL of a removed account or site
    END IF;
    RAISE EXCEPTION 'audit events cannot be changed or deleted (%)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
    op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
