"""Two dispatchers at once against PostgreSQL, texts and emails mixed: every message goes once.

The emails go to a real SMTP server (aiosmtpd, on 127.0.0.1) through the app's SMTP mailer, so
the non-transactional path (each claim taken and committed before its email leaves) is the one
under test; the texts go to the outbox in the same passes.
"""
from __future__ import annotations

import multiprocessing
import socket
import threading
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.partners.models import PartnerAgency, PartnerContact
from feedback.waves.models import Invitation, OutboxMessage
from tests.waves.seeding import seed_exiting_families, sending_moment

PROCESSES = 2
CONTACTS = 150
FAMILIES = 100  # two adults each, each asked two instruments at exit: 400 texts


def run_dispatcher(overrides: dict, now, start, results) -> None:
    from feedback import create_app
    from feedback.waves.channels import OutboxBackend
    from feedback.waves.dispatcher import dispatch_once

    try:
        app = create_app(overrides)
        with app.app_context():
            start.wait(timeout=60)
            result = dispatch_once(OutboxBackend(), now=now, batch_size=25)
            results.put((result.sent, result.failed))
            db.engine.dispose()
    except BaseException as error:
        results.put(f"{type(error).__name__}: {error}")
        raise


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_dispatchers_send_every_text_and_every_email_exactly_once(app, database_url, questionnaires_dir, world):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent dispatchers need PostgreSQL (SQLite has one writer); .ci/run runs this on PostgreSQL")
    from aiosmtpd.controller import Controller

    from tests.conftest import TEST_SECRET

    # The partner survey's 2027 window (from 1 March); the families leave support the same day.
    day = date(2027, 3, 2)
    now = sending_moment(day)
    with app.app_context():
        seed_exiting_families(world["north"], None, families=FAMILIES, exit_on=day, adults_per_family=2)
        agency = PartnerAgency(name="Hill Street Primary", sector="education")
        db.session.add(agency)
        for n in range(CONTACTS):
            address = f"teacher{n}@school.example"
            db.session.add(PartnerContact(agency=agency, name=f"Teacher {n}", role="practitioner", email=address,
                                          email_digest=lookup_digest(address), consent=True, active=True))
        db.session.commit()
        texts_due = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
            Invitation.channel == "sms_link", Invitation.opens_at <= now))
        assert texts_due == FAMILIES * 4
        db.session.remove()
        db.engine.dispose()
    recorder = Recorder()
    port = free_port()
    server = Controller(recorder, hostname="127.0.0.1", port=port)
    server.start()
    try:
        overrides = {"FEEDBACK_ENV": "testing", "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url,
                     "FEEDBACK_QUESTIONNAIRES": str(questionnaires_dir), "FEEDBACK_MAIL_BACKEND": "smtp",
                     "FEEDBACK_SMTP_HOST": "127.0.0.1", "FEEDBACK_SMTP_PORT": str(port),
                     "FEEDBACK_SMTP_STARTTLS": "false", "FEEDBACK_MAIL_FROM": "Surveys <surveys@service.example>"}
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        workers = [context.Process(target=run_dispatcher, args=(overrides, now, start, results))
                   for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        start.set()
        outcomes = [results.get(timeout=300) for _ in workers]
        assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
    finally:
        server.stop()
    received = Counter(recorder.recipients)
    assert len(received) == CONTACTS and set(received.values()) == {1}, "an email went twice or not at all"
    with app.app_context():
        texts = db.session.execute(sa.select(OutboxMessage.invitation_id)).scalars().all()
        assert len(texts) == len(set(texts)) == texts_due, "a text went twice or not at all"
        emails = db.session.execute(sa.select(Invitation.state, sa.func.count()).where(
            Invitation.contact_id.is_not(None)).group_by(Invitation.state)).all()
        assert dict(emails) == {"sent": CONTACTS}
        # One invitation per contact, though both dispatchers planned the wave.
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Invitation.contact_id)))) == CONTACTS
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)
                                     .where(Invitation.pending_send.is_not(None)))
    assert sum(sent for sent, _failed in outcomes) == CONTACTS + texts_due
    print(f"messages per dispatcher: {[sent for sent, _ in outcomes]}")
