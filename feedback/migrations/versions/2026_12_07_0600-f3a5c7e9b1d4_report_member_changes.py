"""members' role changes noted for the kept pairs, which now carry each member's role; an index of the pairs that moved to no concern

Member-level kept pairs hold the member's role as their slot (``child``, ``adult``), so that a
report splits them by role without joining 300,000 members on every page (``pair_store._pair``).
A role read at keeping time must follow a correction, so triggers on ``members`` (a role changed,
a member removed) note the families of that member's completed responses under each of those
instruments' counters, as the triggers on ``responses`` do, and count the change on the family
(``families.member_changes``); kept stamps now hold that count (``report_kept_stamps.member_changes``),
so pairs made while a role was being corrected never match their stamp afterwards.

A removal is noted BEFORE the row goes: afterwards its responses' ``member_id`` is already NULL
(the foreign key's action runs first) and could not name them.

On PostgreSQL the trigger first takes an exclusive transaction-level advisory lock
(``ROLE_LOCK``, ``pair_store.ROLE_LOCK``) that a report holds shared while it makes members' pairs
again: a correction waits for such a report to commit (and then finds the responses it paired,
all committed), and such a report waits for a correction in flight (and then reads the corrected
role). Without it, responses committing between a correction's trigger (which saw none of them)
and its commit could be paired with the old role and never noted. Then the family's count, then
the counters, in the order the responses' import takes the family row and the counters. SQLite's
writers take turns, which gives the same order.

``ix_report_kept_answers_to_none``: the kept pairs that moved from something to "0", which are
all that cost-benefit's families avoiding an outcome read (partial, a few percent of the pairs).

Existing stamps and families start at 0, so no family is paired again for this; the member
pairings themselves have a new definition (their rows' slots changed), made for every family by
the first report after the upgrade (``flask report-refresh --drop-unread`` makes them and drops
the old ones).

Revision ID: f3a5c7e9b1d4
Revises: e2a4c6e8f0b1
Create Date: 2026-12-07 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a5c7e9b1d4'
down_revision = 'e2a4c6e8f0b1'
branch_labels = None
depends_on = None

#: As ``reports.pair_store.ROLE_LOCK`` (a migration does not import the app).
ROLE_LOCK = 7_305_118_421_960_447_245

POSTGRESQL = [
    # Each instrument the member completed a response to, in instrument order (the counters'
    # locks taken in the same order as the responses' triggers take them).
    f"""CREATE OR REPLACE FUNCTION report_member_changed() RETURNS trigger AS $$
    DECLARE
        r record;
    BEGIN
        PERFORM pg_advisory_xact_lock({ROLE_LOCK});
        UPDATE families SET member_changes = member_changes + 1
        WHERE id IN (SELECT family_id FROM responses
                     WHERE member_id = OLD.id AND status = 'completed' AND family_id IS NOT NULL);
        FOR r IN SELECT instrument_id, array_agg(DISTINCT family_id) AS families FROM responses
                 WHERE member_id = OLD.id AND status = 'completed' AND family_id IS NOT NULL
                 GROUP BY instrument_id ORDER BY instrument_id LOOP
            PERFORM report_note_changed(r.instrument_id, r.families);
        END LOOP;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER report_member_role_changed AFTER UPDATE OF role ON members FOR EACH ROW "
    "WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION report_member_changed()",
    "CREATE TRIGGER report_member_removed BEFORE DELETE ON members FOR EACH ROW "
    "EXECUTE FUNCTION report_member_changed()",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS report_member_removed ON members",
    "DROP TRIGGER IF EXISTS report_member_role_changed ON members",
    "DROP FUNCTION IF EXISTS report_member_changed()",
]

#: The member's completed responses that a kept row can come from.
_ANSWERED = "FROM responses WHERE member_id = OLD.id AND status = 'completed' AND family_id IS NOT NULL"

#: SQLite's body: the family's count, then the counters made, incremented and read, as for the
#: responses' triggers.
_SQLITE_NOTE = (
    f"UPDATE families SET member_changes = member_changes + 1 WHERE id IN (SELECT family_id {_ANSWERED}); "
    f"INSERT OR IGNORE INTO report_response_changes (instrument_id, changes, pruned_through) "
    f"SELECT DISTINCT instrument_id, 0, 0 {_ANSWERED}; "
    f"UPDATE report_response_changes SET changes = changes + 1 "
    f"WHERE instrument_id IN (SELECT instrument_id {_ANSWERED}); "
    f"INSERT OR IGNORE INTO report_changed_families (instrument_id, changes, family_id) "
    f"SELECT DISTINCT c.instrument_id, c.changes, r.family_id FROM report_response_changes c "
    f"JOIN (SELECT instrument_id, family_id {_ANSWERED}) r ON r.instrument_id = c.instrument_id;")

SQLITE = [
    "CREATE TRIGGER report_member_role_changed AFTER UPDATE OF role ON members "
    f"WHEN OLD.role IS NOT NEW.role BEGIN {_SQLITE_NOTE} END",
    f"CREATE TRIGGER report_member_removed BEFORE DELETE ON members BEGIN {_SQLITE_NOTE} END",
]

SQLITE_DROP = ["DROP TRIGGER IF EXISTS report_member_removed", "DROP TRIGGER IF EXISTS report_member_role_changed"]


#: As ``reports.models.AVOIDED_WHERE`` (a migration does not import the app's models).
_TO_NONE = """"after" = '0' AND "before" <> '0'"""


def upgrade():
    with op.batch_alter_table('families') as batch_op:
        batch_op.add_column(sa.Column('member_changes', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('report_kept_stamps') as batch_op:
        batch_op.add_column(sa.Column('member_changes', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_report_kept_answers_to_none', 'report_kept_answers', ['keeping', 'item_id'],
                    postgresql_include=['slot', 'before', 'family_id'], postgresql_where=sa.text(_TO_NONE),
                    sqlite_where=sa.text(_TO_NONE))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        op.execute(statement)
    op.drop_index('ix_report_kept_answers_to_none', table_name='report_kept_answers')
    with op.batch_alter_table('report_kept_stamps') as batch_op:
        batch_op.drop_column('member_changes')
    with op.batch_alter_table('families') as batch_op:
        batch_op.drop_column('member_changes')
