"""Stand-in SMS providers for killing a dispatcher in the middle of a batch.

``Provider`` is non-transactional like Twilio (a text it took stays taken) and keeps every text it
was handed; ``DyingOutbox`` is the outbox backend. Either can "die" on its Nth text: in-process by
raising ``Killed`` (nothing of the dispatcher's runs after it, as after ``kill -9``), or, in a
separate process, by telling the test it holds the Nth text and waiting to be killed for real.
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

from feedback.waves.channels import OutboxBackend


class Killed(BaseException):
    """Stands in for kill -9: a BaseException, so no ``except Exception`` cleanup runs either."""


class Provider:
    """Takes every text at once and keeps a log of the invitations it was handed (in memory, or
    in a file that survives the process). With ``die_at`` N, the Nth text reaches the provider
    and then the dispatcher dies: the worst case, a text that went but was never confirmed."""

    name = "provider"
    transactional = False

    def __init__(self, die_at: int | None = None, log: Path | None = None, ready: Path | None = None):
        self.die_at, self.log, self.ready = die_at, log, ready
        self.handed: list[int] = []

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> str:
        self.handed.append(invitation_id)
        if self.log is not None:
            with self.log.open("a") as log:
                log.write(f"{invitation_id}\n")
        if len(self.handed) == self.die_at:
            die(self.ready)
        return f"SM{uuid.uuid4().hex}"


class DyingOutbox(OutboxBackend):
    """The outbox backend, dying as it is about to keep its Nth text."""

    def __init__(self, die_at: int, ready: Path | None = None):
        self.die_at, self.ready, self.calls = die_at, ready, 0

    def send(self, to: str, body: str, invitation_id: int | None, kind: str) -> None:
        self.calls += 1
        if self.calls == self.die_at:
            die(self.ready)
        return super().send(to, body, invitation_id, kind)


def die(ready: Path | None) -> None:
    if ready is None:
        raise Killed()
    ready.write_text("holding the text: kill me now")
    while True:  # the test kills this process with SIGKILL
        time.sleep(1)


def handed(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []
