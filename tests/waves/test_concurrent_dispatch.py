"""Four dispatchers at once against PostgreSQL: every due text is sent exactly once."""
from __future__ import annotations

import multiprocessing
from datetime import date

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.waves.dispatcher import _bulk_move
from feedback.waves.models import Invitation, OutboxMessage
from tests.waves.seeding import seed_exiting_families, sending_moment

PROCESSES = 4
DUE = int(__import__("os").environ.get("FEEDBACK_TEST_CONCURRENT_DUE", "2000"))


def run_dispatcher(overrides: dict, now, start, results) -> None:
    """One dispatcher process: its own app, engine and connections."""
    from feedback import create_app
    from feedback.waves.channels import OutboxBackend
    from feedback.waves.dispatcher import dispatch_once

    try:
        app = create_app(overrides)
        with app.app_context():
            start.wait(timeout=60)  # all four begin together, so they really compete for rows
            result = dispatch_once(OutboxBackend(), now=now, batch_size=50)
            results.put(result.sent)
            db.engine.dispose()
    except BaseException as error:  # report it, so the test fails at once instead of waiting
        results.put(f"{type(error).__name__}: {error}")
        raise




def test_four_dispatchers_send_every_due_text_exactly_once(app, database_url, questionnaires_dir, world):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent dispatchers need PostgreSQL (SQLite has one writer); .ci/run runs this on PostgreSQL")
    from tests.conftest import TEST_SECRET

    today = date.today()
    with app.app_context():
        seed_exiting_families(world["north"], None, families=DUE // 4, exit_on=today, adults_per_family=2)
        due = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).filter_by(channel="sms_link", wave="exit"))
        assert due == DUE
        # Mark them due here, so the four dispatchers start on equal terms and compete for claims.
        _bulk_move(["planned"], "due", "window opened", Invitation.opens_at <= sending_moment(today))
        db.session.remove()
        db.engine.dispose()
    overrides = {"FEEDBACK_ENV": "testing", "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
                 "FEEDBACK_QUESTIONNAIRES": str(questionnaires_dir)}
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    now = sending_moment(today)
    workers = [context.Process(target=run_dispatcher, args=(overrides, now, start, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    start.set()
    sent = [results.get(timeout=240) for _ in workers]
    assert all(isinstance(count, int) for count in sent), sent
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    with app.app_context():
        texts = db.session.execute(sa.select(OutboxMessage.invitation_id)).scalars().all()
        assert len(texts) == DUE, "a text was sent twice or not at all"
        assert len(set(texts)) == DUE, "some invitation got two texts"
        states = dict(db.session.execute(sa.select(Invitation.state, sa.func.count())
                                         .filter_by(channel="sms_link", wave="exit").group_by(Invitation.state)).all())
        assert states == {"sent": DUE}
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)
                                     .where(Invitation.pending_send.is_not(None)))
    assert sum(sent) == DUE
    print(f"texts per dispatcher: {sent}")
