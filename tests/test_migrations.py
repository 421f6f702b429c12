"""The migrations build exactly the schema the models describe."""
import re
import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import SAWarning

from feedback.extensions import db


def test_the_migration_head_equals_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            # Alembic cannot reflect an index on an expression; the test below checks those.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                    category=SAWarning)
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index",
                                    category=UserWarning)
            assert compare_metadata(context, db.metadata) == []


def test_partial_and_expression_indexes_are_built_as_the_models_describe(app):
    """Every index on an expression or with a predicate that the models declare exists with that
    expression, those included columns and that predicate: ``compare_metadata`` skips expression
    indexes and compares no predicates, and a predicate a query must imply is a copy in the
    migration."""
    with app.app_context(), db.engine.connect() as connection:
        dialect = connection.dialect.name
        declared = [index for table in db.metadata.tables.values() for index in table.indexes
                    if any(not isinstance(part, sa.Column) for part in index.expressions)
                    or index.dialect_options[dialect].get("where") is not None]
        assert any(not isinstance(part, sa.Column) for index in declared for part in index.expressions), \
            "no index on an expression is declared: this test checks less than it says"
        for index in declared:
            if dialect == "postgresql":
                built = connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = %(name)s", {"name": index.name}).scalar()
            else:
                built = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index.name,)).scalar()
            assert built is not None, f"{index.name} is not in the database"
            squeezed = "".join(built.split()).lower()
            for part in index.expressions:
                text = part.name if isinstance(part, sa.Column) else str(part)
                assert "".join(text.split()).lower().strip("()") in squeezed, (index.name, text, built)
            for column in index.dialect_options[dialect].get("include") or ():
                assert column in built, (index.name, column, built)
            where = index.dialect_options[dialect].get("where")
            if where is not None:
                assert " where " in f" {built.lower()} ", (index.name, built)
                for word in re.findall(r"[a-z_]+", str(where).lower()):
                    assert word in built.lower(), (index.name, word, built)


def test_constraints_follow_the_naming_convention(app):
    with app.app_context():
        names = {constraint.name for table in db.metadata.sorted_tables for constraint in table.constraints}
        assert "uq_answers_response_id_item_id" in names and "pk_responses" in names
