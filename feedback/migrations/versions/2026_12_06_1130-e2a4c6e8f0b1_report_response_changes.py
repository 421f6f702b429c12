"""changed families noted by triggers on responses, so reports know when nothing changed

``feedback/reports/response_changes.py``: ``report_response_changes`` (a counter per instrument),
``report_changed_families`` (each noted change: the family, under the counter's number) and
``report_kept_checks`` (the counter each keeping was last checked at). Triggers on ``responses``,
for PostgreSQL and SQLite, note a change whenever a completed response (with a family) is
inserted, deleted, or updated so that its status, instrument, family or wave differ. A survey
page's saves (an open response) are skipped by the UPDATE trigger's WHEN before any function runs.
Existing keepings have no check yet: the first report after the upgrade checks every family once.

Revision ID: e2a4c6e8f0b1
Revises: d1f3a5c7e9b2
Create Date: 2026-12-06 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2a4c6e8f0b1'
down_revision = 'd1f3a5c7e9b2'
branch_labels = None
depends_on = None

#: A response whose old or new side is completed and whose stamped columns changed.
_UPDATED = ("(OLD.status = 'completed' OR NEW.status = 'completed') AND "
            "(OLD.status, OLD.instrument_id, OLD.family_id, OLD.wave) IS DISTINCT FROM "
            "(NEW.status, NEW.instrument_id, NEW.family_id, NEW.wave)")

POSTGRESQL = [
    # One number per instrument per statement or row; the families of it noted once each.
    """CREATE OR REPLACE FUNCTION report_note_changed(instrument text, families integer[]) RETURNS void AS $$
    DECLARE
        number bigint;
    BEGIN
        INSERT INTO report_response_changes AS c (instrument_id, changes, pruned_through) VALUES (instrument, 1, 0)
        ON CONFLICT (instrument_id) DO UPDATE SET changes = c.changes + 1
        RETURNING c.changes INTO number;
        INSERT INTO report_changed_families (instrument_id, changes, family_id)
        SELECT DISTINCT instrument, number, f FROM unnest(families) AS f WHERE f IS NOT NULL;
    END
    $$ LANGUAGE plpgsql""",
    # Inserts and deletes by statement, over its transition table (named ``changed`` for both):
    # an import or a seed of thousands of responses takes one counter update per instrument, in
    # instrument order (so two such statements take the counters' locks in the same order).
    """CREATE OR REPLACE FUNCTION report_responses_noted() RETURNS trigger AS $$
    DECLARE
        r record;
    BEGIN
        FOR r IN SELECT instrument_id, array_agg(family_id) AS families FROM changed
                 WHERE status = 'completed' AND family_id IS NOT NULL
                 GROUP BY instrument_id ORDER BY instrument_id LOOP
            PERFORM report_note_changed(r.instrument_id, r.families);
        END LOOP;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    # Updates by row, and only those the WHEN lets through (completion, detachment on erasure).
    """CREATE OR REPLACE FUNCTION report_response_changed() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'completed' AND OLD.family_id IS NOT NULL THEN
            PERFORM report_note_changed(OLD.instrument_id, ARRAY[OLD.family_id]);
        END IF;
        IF NEW.status = 'completed' AND NEW.family_id IS NOT NULL THEN
            PERFORM report_note_changed(NEW.instrument_id, ARRAY[NEW.family_id]);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER report_responses_added AFTER INSERT ON responses REFERENCING NEW TABLE AS changed "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_responses_noted()",
    "CREATE TRIGGER report_responses_removed AFTER DELETE ON responses REFERENCING OLD TABLE AS changed "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_responses_noted()",
    f"CREATE TRIGGER report_response_changed AFTER UPDATE ON responses FOR EACH ROW WHEN ({_UPDATED}) "
    "EXECUTE FUNCTION report_response_changed()",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS report_response_changed ON responses",
    "DROP TRIGGER IF EXISTS report_responses_removed ON responses",
    "DROP TRIGGER IF EXISTS report_responses_added ON responses",
    "DROP FUNCTION IF EXISTS report_response_changed()",
    "DROP FUNCTION IF EXISTS report_responses_noted()",
    "DROP FUNCTION IF EXISTS report_note_changed(text, integer[])",
]


def _sqlite_note(side: str) -> str:
    """SQLite's trigger body for one side (``NEW`` or ``OLD``) of a row: SQLite has no UPSERT
    with RETURNING in triggers, so the counter row is made, incremented, then read. Its writers
    take turns (one at a time), so the numbers are in commit order there too."""
    return (f"INSERT OR IGNORE INTO report_response_changes (instrument_id, changes, pruned_through) "
            f"VALUES ({side}.instrument_id, 0, 0); "
            f"UPDATE report_response_changes SET changes = changes + 1 WHERE instrument_id = {side}.instrument_id; "
            f"INSERT OR IGNORE INTO report_changed_families (instrument_id, changes, family_id) "
            f"SELECT {side}.instrument_id, changes, {side}.family_id FROM report_response_changes "
            f"WHERE instrument_id = {side}.instrument_id;")


_SQLITE_UPDATED = ("(OLD.status = 'completed' OR NEW.status = 'completed') AND "
                   "(OLD.status IS NOT NEW.status OR OLD.instrument_id IS NOT NEW.instrument_id "
                   "OR OLD.family_id IS NOT NEW.family_id OR OLD.wave IS NOT NEW.wave)")

SQLITE = [
    "CREATE TRIGGER report_responses_added AFTER INSERT ON responses "
    f"WHEN NEW.status = 'completed' AND NEW.family_id IS NOT NULL BEGIN {_sqlite_note('NEW')} END",
    "CREATE TRIGGER report_responses_removed AFTER DELETE ON responses "
    f"WHEN OLD.status = 'completed' AND OLD.family_id IS NOT NULL BEGIN {_sqlite_note('OLD')} END",
    "CREATE TRIGGER report_response_changed_from AFTER UPDATE ON responses "
    f"WHEN {_SQLITE_UPDATED} AND OLD.status = 'completed' AND OLD.family_id IS NOT NULL "
    f"BEGIN {_sqlite_note('OLD')} END",
    "CREATE TRIGGER report_response_changed_to AFTER UPDATE ON responses "
    f"WHEN {_SQLITE_UPDATED} AND NEW.status = 'completed' AND NEW.family_id IS NOT NULL "
    f"BEGIN {_sqlite_note('NEW')} END",
]

SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "report_response_changed_to", "report_response_changed_from", "report_responses_removed",
    "report_responses_added")]


def upgrade():
    op.create_table(
        'report_response_changes',
        sa.Column('instrument_id', sa.String(length=64), nullable=False),
        sa.Column('changes', sa.BigInteger(), nullable=False),
        sa.Column('pruned_through', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('instrument_id', name=op.f('pk_report_response_changes'))
    )
    op.create_table(
        'report_changed_families',
        sa.Column('instrument_id', sa.String(length=64), nullable=False),
        sa.Column('changes', sa.BigInteger(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('instrument_id', 'changes', 'family_id', name=op.f('pk_report_changed_families'))
    )
    op.create_table(
        'report_kept_checks',
        sa.Column('keeping', sa.BigInteger(), nullable=False),
        sa.Column('instrument_id', sa.String(length=64), nullable=False),
        sa.Column('changes', sa.BigInteger(), nullable=False),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('keeping', name=op.f('pk_report_kept_checks'))
    )
    op.create_index(op.f('ix_report_kept_checks_instrument_id'), 'report_kept_checks', ['instrument_id'],
                    unique=False)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        op.execute(statement)
    op.drop_index(op.f('ix_report_kept_checks_instrument_id'), table_name='report_kept_checks')
    op.drop_table('report_kept_checks')
    op.drop_table('report_changed_families')
    op.drop_table('report_response_changes')
