"""Caps on the texts the app starts, so that a bug, a bad schedule or abuse cannot flood a family
(or the bill): at most so many to one number per day, and to one member per wave.

Only texts the app starts count (invitations, reminders). Replies inside an SMS conversation
answer a text the member just sent, so they are not counted; the inbound webhook is rate-limited
instead. Counts are read once per batch and kept up to date as the batch sends, so the caps cost
two queries per batch rather than two per text.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..extensions import db
from .models import Invitation, OutboxMessage

UTC = ZoneInfo("UTC")
#: Kinds of text the app starts on its own.
STARTED = ("invitation", "reminder")


def local_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight at the start of ``now``'s local day, as naive UTC (``now`` is naive UTC)."""
    zone = ZoneInfo(timezone)
    local = now.replace(tzinfo=UTC).astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


class Caps:
    def __init__(self, invitations: list[Invitation], now: datetime, settings):
        self.now, self.settings = now, settings
        self.digests = {i.member.phone_digest for i in invitations if i.member and i.member.phone_digest}
        self.member_ids = {i.member_id for i in invitations if i.member_id}
        self._today: dict[str, Counter] = {}
        self._waves: Counter | None = None

    def today(self, timezone: str) -> Counter:
        if timezone not in self._today:
            rows = db.session.execute(
                sa.select(OutboxMessage.to_digest, sa.func.count())
                .where(OutboxMessage.to_digest.in_(self.digests), OutboxMessage.kind.in_(STARTED),
                       OutboxMessage.created_at >= local_day_start(self.now, timezone))
                .group_by(OutboxMessage.to_digest)
            ).all() if self.digests else []
            self._today[timezone] = Counter(dict(rows))
        return self._today[timezone]

    def waves(self) -> Counter:
        if self._waves is None:
            rows = db.session.execute(
                sa.select(Invitation.member_id, Invitation.schedule_id, Invitation.wave, sa.func.count())
                .join(OutboxMessage, OutboxMessage.invitation_id == Invitation.id)
                .where(Invitation.member_id.in_(self.member_ids), OutboxMessage.kind.in_(STARTED))
                .group_by(Invitation.member_id, Invitation.schedule_id, Invitation.wave)
            ).all() if self.member_ids else []
            self._waves = Counter({(m, s, w): n for m, s, w, n in rows})
        return self._waves

    def check(self, invitation: Invitation, quiet) -> tuple[str, datetime | None] | None:
        """None when the text may go; else why not and when it may (None: not in this wave)."""
        digest = invitation.member.phone_digest
        if self.today(quiet.timezone)[digest] >= self.settings.daily_cap:
            tomorrow = local_day_start(self.now, quiet.timezone) + timedelta(days=1, hours=3)  # past any clock change
            later = quiet.next_allowed(local_day_start(tomorrow, quiet.timezone).replace(tzinfo=UTC))
            return f"{self.settings.daily_cap} texts to this number today already", later.replace(tzinfo=None)
        if self.waves()[self._wave_key(invitation)] >= self.settings.wave_cap:
            return f"{self.settings.wave_cap} texts to this member for this wave already", None
        return None

    def sent(self, invitation: Invitation, quiet) -> None:
        self.today(quiet.timezone)[invitation.member.phone_digest] += 1
        self.waves()[self._wave_key(invitation)] += 1

    @staticmethod
    def _wave_key(invitation: Invitation) -> tuple:
        return invitation.member_id, invitation.schedule_id, invitation.wave
