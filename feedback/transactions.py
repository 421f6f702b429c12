"""Reads outside a transaction, for the survey screens that read a response and save at most one
statement (issue 24).

Why: with psycopg, a request in a transaction costs three round trips more than its statements
(``BEGIN`` before the first one, ``ROLLBACK`` or ``COMMIT`` at the end), and every ``ROLLBACK``
(the end of any request that wrote nothing) also empties the connection's cache of prepared
statements, so the survey's few statements were parsed and planned again on every request. A
screen's GET reads the response and its answers in one statement; its POST saves them in one
more. Neither needs a transaction: in PostgreSQL's default READ COMMITTED each statement sees its
own snapshot anyway, and one statement is atomic by itself.

Only on PostgreSQL (SQLite has no round trips to save), only when the session has no transaction
yet (a caller that already wrote keeps its own), and only until the next commit: anything that
writes more than one statement ends the read first (``end_reading``) and gets an ordinary
transaction.
"""
from __future__ import annotations

from .extensions import db

AUTOCOMMIT = "AUTOCOMMIT"


def begin_reading() -> bool:
    """Run the session's statements outside a transaction until the next commit, when it has no
    transaction yet, nothing waiting to be written, and the database is PostgreSQL. True if so."""
    session = db.session()  # the request's own Session (the scoped proxy lacks in_transaction)
    if (session.in_transaction() or session.new or session.dirty or session.deleted
            or db.engine.dialect.name != "postgresql"):
        return False
    session.connection(execution_options={"isolation_level": AUTOCOMMIT})
    return True


def reading() -> bool:
    """Whether the session's statements run outside a transaction (``begin_reading``)."""
    session = db.session()  # the request's own Session (the scoped proxy lacks in_transaction)
    return (session.in_transaction()
            and session.connection().get_execution_options().get("isolation_level") == AUTOCOMMIT)


def end_reading() -> None:
    """Back to ordinary transactions: what runs next is in one, committed or rolled back whole.

    The commit sends nothing (there is no transaction to commit); it hands the connection back,
    and the next statement takes one that begins a transaction.
    """
    if reading():
        db.session.commit()
