"""invitations carry their response's completion time, kept by triggers; an index of times to complete

``invitations.completed_at``: the completion time of the response the invitation led to, while
that response is completed (NULL otherwise). response-rates takes its median days to complete
from it, without joining every invitation to its response (at 100,000 families, 2.3 million
invitations to 2.3 million responses: the join alone cost 1.5 s of a 3.7 s report).

The database keeps it, so that every way a response is completed, imported, reopened, edited or
removed is followed without the app having to remember:
- an invitation inserted or linked to a response (or its copy written directly) reads the copy
  from the response (PostgreSQL: BEFORE, on the row itself; SQLite: AFTER, an UPDATE of the row);
- a response whose status or completion time changes writes the copy to its invitations;
- a response removed: PostgreSQL's foreign key sets the invitations' ``response_id`` to NULL,
  which fires the first trigger; SQLite (which may not enforce foreign keys) clears the copy.

``ix_invitations_time_to_complete``: completed invitations' times to complete (``completed_at -
sent_at``) per wave, with their channel, family and both times (so that it answers on its own,
an index-only scan), from which ``reports.medians`` reads the one or two middle values of each
wave and channel by position instead of sorting them all. On PostgreSQL, statistics on the whole
hours to complete (``invitations_hours_to_complete``) tell the planner how few bins
response-rates counts. ``ix_invitations_unopened``: invitations not opened now (nor cancelled),
the only ones whose events response-rates looks up to count those once opened, by
``ix_invitation_events_opened`` (the events of opening, by invitation: answered from the index
alone). ``ix_invitations_completed_waves``: each family's completed waves in family order, which
attrition reads without sorting or hashing 100,000 families.

Existing invitations are filled in by the upgrade (about a minute at 100,000 families).

Revision ID: a6c8e0f2b4d7
Revises: f3a5c7e9b1d4
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6c8e0f2b4d7'
down_revision = 'f3a5c7e9b1d4'
branch_labels = None
depends_on = None

#: As ``waves.models.FINISHED_WHERE`` (a migration does not import the app's models).
FINISHED_WHERE = "state = 'completed' AND sent_at IS NOT NULL AND completed_at IS NOT NULL"

#: As ``waves.models.UNOPENED_WHERE``: invitations not opened now, cancelled ones aside.
UNOPENED_WHERE = "state IN ('planned', 'due', 'sent', 'expired', 'failed')"
#: As ``waves.models.OPENING_WHERE`` and ``COMPLETED_WHERE``.
OPENING_WHERE = "to_state IN ('opened', 'started', 'completed')"
COMPLETED_WHERE = "state = 'completed'"

#: As ``reports.data._figures_by_place`` bins them: an invitation's whole hours to complete.
HOURS = "floor(date_part('epoch', completed_at - sent_at) / 3600)"
STATISTICS = "invitations_hours_to_complete"

#: The copy an invitation should hold for its response (NULL for none, or one not completed).
_COPY = "(SELECT completed_at FROM responses WHERE id = {id} AND status = 'completed')"

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION invitation_completed_at() RETURNS trigger AS $$
    BEGIN
        IF NEW.response_id IS NULL THEN
            NEW.completed_at := NULL;
        ELSE
            NEW.completed_at := {_COPY.format(id="NEW.response_id")};
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER invitation_completed_at BEFORE INSERT OR UPDATE OF response_id, completed_at ON invitations "
    "FOR EACH ROW EXECUTE FUNCTION invitation_completed_at()",
    """CREATE OR REPLACE FUNCTION response_completed_at_copied() RETURNS trigger AS $$
    BEGIN
        UPDATE invitations SET completed_at = CASE WHEN NEW.status = 'completed' THEN NEW.completed_at END
        WHERE response_id = NEW.id;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    # (The invitations' own trigger then reads the same value again: the response's new row is
    # visible to it.)
    "CREATE TRIGGER response_completed_at_copied AFTER UPDATE OF status, completed_at ON responses FOR EACH ROW "
    "WHEN ((OLD.status, OLD.completed_at) IS DISTINCT FROM (NEW.status, NEW.completed_at)) "
    "EXECUTE FUNCTION response_completed_at_copied()",
    # How many whole hours to complete there are (hundreds): without it the planner guesses a
    # million groups for response-rates' bins and sorts 2.3 million rows (5 s) instead of
    # counting them in parallel (1 s). Only a GROUP BY written exactly so is helped.
    f"CREATE STATISTICS {STATISTICS} ON ({HOURS}) FROM invitations",
    "ANALYZE invitations",
]

POSTGRESQL_DROP = [
    f"DROP STATISTICS IF EXISTS {STATISTICS}",
    "DROP TRIGGER IF EXISTS response_completed_at_copied ON responses",
    "DROP FUNCTION IF EXISTS response_completed_at_copied()",
    "DROP TRIGGER IF EXISTS invitation_completed_at ON invitations",
    "DROP FUNCTION IF EXISTS invitation_completed_at()",
]

# SQLite cannot assign NEW: each trigger updates the row after the fact. Its recursive triggers
# are off, so the update a trigger makes does not fire that trigger again.
_SQLITE_SET = f"UPDATE invitations SET completed_at = {_COPY.format(id='NEW.response_id')} WHERE id = NEW.id;"
SQLITE = [
    f"CREATE TRIGGER invitation_completed_at_inserted AFTER INSERT ON invitations "
    f"WHEN NEW.response_id IS NOT NULL OR NEW.completed_at IS NOT NULL BEGIN {_SQLITE_SET} END",
    f"CREATE TRIGGER invitation_completed_at_linked AFTER UPDATE OF response_id, completed_at ON invitations "
    f"BEGIN {_SQLITE_SET} END",
    "CREATE TRIGGER response_completed_at_copied AFTER UPDATE OF status, completed_at ON responses "
    "WHEN OLD.status IS NOT NEW.status OR OLD.completed_at IS NOT NEW.completed_at BEGIN "
    "UPDATE invitations SET completed_at = CASE WHEN NEW.status = 'completed' THEN NEW.completed_at END "
    "WHERE response_id = NEW.id; END",
    "CREATE TRIGGER response_removed_from_invitations AFTER DELETE ON responses BEGIN "
    "UPDATE invitations SET completed_at = NULL WHERE response_id = OLD.id; END",
]

SQLITE_DROP = ["DROP TRIGGER IF EXISTS response_removed_from_invitations",
               "DROP TRIGGER IF EXISTS response_completed_at_copied",
               "DROP TRIGGER IF EXISTS invitation_completed_at_linked",
               "DROP TRIGGER IF EXISTS invitation_completed_at_inserted"]


def upgrade():
    with op.batch_alter_table('invitations') as batch_op:
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(), nullable=True))
    op.execute(f"UPDATE invitations SET completed_at = {_COPY.format(id='invitations.response_id')} "
               "WHERE response_id IS NOT NULL")
    op.create_index('ix_invitations_time_to_complete', 'invitations', ['wave', sa.text('(completed_at - sent_at)')],
                    postgresql_include=['channel', 'family_id', 'sent_at', 'completed_at'], postgresql_where=sa.text(FINISHED_WHERE),
                    sqlite_where=sa.text(FINISHED_WHERE))
    op.create_index('ix_invitations_unopened', 'invitations', ['wave', 'channel'], postgresql_include=['family_id'],
                    postgresql_where=sa.text(UNOPENED_WHERE), sqlite_where=sa.text(UNOPENED_WHERE))
    op.create_index('ix_invitations_completed_waves', 'invitations', ['family_id', 'wave'],
                    postgresql_where=sa.text(COMPLETED_WHERE), sqlite_where=sa.text(COMPLETED_WHERE))
    op.create_index('ix_invitation_events_opened', 'invitation_events', ['invitation_id'],
                    postgresql_where=sa.text(OPENING_WHERE), sqlite_where=sa.text(OPENING_WHERE))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        op.execute(statement)
    op.drop_index('ix_invitation_events_opened', table_name='invitation_events')
    op.drop_index('ix_invitations_completed_waves', table_name='invitations')
    op.drop_index('ix_invitations_unopened', table_name='invitations')
    op.drop_index('ix_invitations_time_to_complete', table_name='invitations')
    with op.batch_alter_table('invitations') as batch_op:
        batch_op.drop_column('completed_at')
