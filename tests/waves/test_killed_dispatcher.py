"""A dispatcher killed mid-batch: only the text actually with the provider is "unknown"; every other
claim of its batch returns to the queue when the claim expires, and goes exactly once."""
from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.waves.channels import OutboxBackend
from feedback.waves.dispatcher import _bulk_move, _claim, _send_claimed, _take, dispatch_once
from feedback.waves.models import CLAIM_EXPIRES_AFTER_MINUTES, Invitation, OutboxMessage
from tests.conftest import table_count
from tests.waves.killable import DyingOutbox, Killed, Provider, handed
from tests.waves.seeding import seed_exiting_families, sending_moment

TODAY = date.today()
EXPIRED = timedelta(minutes=CLAIM_EXPIRES_AFTER_MINUTES + 1)


def exit_texts() -> list[Invitation]:
    return db.session.scalars(sa.select(Invitation).filter_by(channel="sms_link", wave="exit")
                              .order_by(Invitation.id)).all()


def in_doubt(now) -> list[int]:
    return [invitation.id for invitation in exit_texts() if invitation.is_unknown(now)]


def test_killed_while_the_provider_held_a_text_only_that_text_is_unknown(exited):
    now = sending_moment(TODAY)
    dying = Provider(die_at=2)
    with pytest.raises(Killed):
        dispatch_once(dying, now=now)
    db.session.rollback()  # what the database does with a dead connection's open transaction
    in_flight = dying.handed[-1]

    later = Provider()
    dispatch_once(later, now=now + timedelta(minutes=5))
    assert later.handed == []  # a claim is not taken from a dispatcher that may still be alive
    dispatch_once(later, now=now + EXPIRED)
    assert len(later.handed) == 2 and in_flight not in later.handed  # the two never tried, once each
    dispatch_once(later, now=now + timedelta(hours=1))
    assert Counter(dying.handed + later.handed) == Counter({invitation.id: 1 for invitation in exit_texts()})
    assert in_doubt(now + timedelta(hours=1)) == [in_flight]
    assert [i.state for i in exit_texts() if i.id != in_flight] == ["sent"] * 3


def test_killed_outbox_dispatcher_sends_its_whole_batch_once_its_claims_expire(exited):
    now = sending_moment(TODAY)
    with pytest.raises(Killed):
        dispatch_once(DyingOutbox(die_at=3), now=now)
    db.session.rollback()
    assert table_count(OutboxMessage) == 0  # the outbox's texts die with its transaction: none went
    assert in_doubt(now + EXPIRED) == []
    result = dispatch_once(OutboxBackend(), now=now + EXPIRED)
    assert result.sent == 4
    dispatch_once(OutboxBackend(), now=now + timedelta(hours=1))
    texts = db.session.scalars(sa.select(OutboxMessage.invitation_id)).all()
    assert sorted(texts) == [invitation.id for invitation in exit_texts()]
    assert {invitation.state for invitation in exit_texts()} == {"sent"}


def test_an_abandoned_claim_returns_to_the_queue_unless_its_send_had_begun(exited):
    now = sending_moment(TODAY)
    _bulk_move(["planned"], "due", "window opened", Invitation.opens_at <= now)
    claimed = _claim(now, 10, "worker-that-dies")
    assert len(claimed) == 4
    assert _take([claimed[0]], "worker-that-dies", now) == [claimed[0]]  # handed to the provider, then killed
    db.session.commit()

    assert dispatch_once(OutboxBackend(), now=now + timedelta(minutes=5)).sent == 0
    result = dispatch_once(OutboxBackend(), now=now + EXPIRED)
    assert result.sent == 3
    texts = db.session.scalars(sa.select(OutboxMessage.invitation_id)).all()
    assert sorted(texts) == claimed[1:]
    dispatch_once(OutboxBackend(), now=now + timedelta(hours=1))
    assert table_count(OutboxMessage) == 3
    assert in_doubt(now + timedelta(hours=1)) == [claimed[0]]
    again = db.session.get(Invitation, claimed[1])
    assert "claimed again: the dispatcher that claimed it stopped before sending" in [e.cause for e in again.events]


@pytest.mark.parametrize("backend", [Provider, OutboxBackend], ids=["provider", "outbox"])
def test_a_slow_dispatcher_leaves_alone_the_claims_another_took_over(exited, backend):
    now = sending_moment(TODAY)
    _bulk_move(["planned"], "due", "window opened", Invitation.opens_at <= now)
    claimed = _claim(now, 10, "slow-worker")
    assert dispatch_once(backend(), now=now + EXPIRED).sent == 4
    slow = backend()
    result = _send_claimed(claimed, slow, now + EXPIRED + timedelta(minutes=1), "slow-worker")
    assert result.lost == 4 and result.sent == 0
    assert getattr(slow, "handed", []) == []
    assert table_count(OutboxMessage) == 4


# A real kill -9, in a process of its own. -----------------------------------------------------

FAMILIES, DIE_AT = 5, 6  # 20 texts due; the dispatcher is killed holding the sixth


def run_dying_dispatcher(overrides: dict, now, backend: str, log: str, ready: str) -> None:
    """The dispatcher process: its own app and connections; it blocks holding the DIE_AT-th text."""
    from pathlib import Path

    from feedback import create_app

    app = create_app(overrides)
    with app.app_context():
        dying = (Provider(DIE_AT, Path(log), Path(ready)) if backend == "provider"
                 else DyingOutbox(DIE_AT, Path(ready)))
        dispatch_once(dying, now=now)


def wait_for(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def no_transaction_left_open() -> bool:
    """PostgreSQL has ended the killed process's transaction (releasing its row locks)."""
    if db.engine.dialect.name != "postgresql":
        return True
    return not db.session.scalar(sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state LIKE 'idle in transaction%'"))


@pytest.mark.parametrize("backend", ["provider", "outbox"])
def test_kill_9_mid_batch_strands_only_the_text_in_flight(app, database_url, questionnaires_dir, world, tmp_path,
                                                          backend):
    from tests.conftest import TEST_SECRET

    now = sending_moment(TODAY)
    with app.app_context():
        seed_exiting_families(world["north"], None, families=FAMILIES, exit_on=TODAY)
        _bulk_move(["planned"], "due", "window opened", Invitation.opens_at <= now)
        due = [invitation.id for invitation in exit_texts()]
        assert len(due) == FAMILIES * 4
        db.session.remove()
    overrides = {"FEEDBACK_ENV": "testing", "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
                 "FEEDBACK_QUESTIONNAIRES": str(questionnaires_dir),
                 "FEEDBACK_ORGANISATION": "Northbridge Family Support"}
    log, ready = tmp_path / "provider.log", tmp_path / "ready"
    process = multiprocessing.get_context("spawn").Process(
        target=run_dying_dispatcher, args=(overrides, now, backend, str(log), str(ready)))
    process.start()
    try:
        wait_for(lambda: ready.exists() or not process.is_alive(), "the dispatcher to reach its sixth text")
        assert process.is_alive(), f"the dispatcher ended by itself (exit code {process.exitcode})"
        process.kill()  # SIGKILL: no cleanup of any kind
        process.join(timeout=30)
    finally:
        if process.is_alive():
            process.kill()
    assert process.exitcode == -9
    first = handed(log)

    with app.app_context():
        wait_for(no_transaction_left_open, "the database to end the killed dispatcher's transaction", 30)
        later = Provider() if backend == "provider" else OutboxBackend()
        dispatch_once(later, now=now + EXPIRED)
        dispatch_once(later, now=now + timedelta(hours=1))
        outbox = db.session.scalars(sa.select(OutboxMessage.invitation_id)).all()
        if backend == "provider":
            assert len(first) == DIE_AT  # five confirmed, the sixth with the provider when killed
            every_text = Counter(first + later.handed)
            assert in_doubt(now + timedelta(hours=1)) == [first[-1]]
            assert len(outbox) == len(due) - 1  # the one in doubt has no confirmed record
        else:
            every_text = Counter(outbox)
            assert in_doubt(now + timedelta(hours=1)) == []
        assert every_text == Counter(dict.fromkeys(due, 1)), "a text went twice, or never"
        print(f"{backend}: {sum(every_text.values())} texts for {len(due)} invitations after kill -9; "
              f"in doubt: {len(in_doubt(now + timedelta(hours=1)))}")
