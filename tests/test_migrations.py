"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from feedback.extensions import db


def test_the_migration_head_equals_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_constraints_follow_the_naming_convention(app):
    with app.app_context():
        names = {constraint.name for table in db.metadata.sorted_tables for constraint in table.constraints}
        assert "uq_answers_response_id_item_id" in names and "pk_responses" in names
