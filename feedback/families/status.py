"""A family's status, derived from its dates rather than kept by hand.

The stored ``Family.status`` ("open", "closed", "erased") stays: it is what staff set on the edit
form (closing a case cancels its waiting invitations). What staff pages show is derived:

* ``closed`` — the case was closed (stored status "closed" or "erased");
* ``follow_up_complete`` — support ended and every follow-up invitation is finished;
* ``support_ended`` — the exit date is today or past (support ended that day);
* ``in_support`` — the entry date is today or past, and no exit date has come;
* ``referred`` — otherwise: recorded, but support has not started (or no entry date yet).

A follow-up invitation is one of a wave anchored on the exit date at least a month after it
(``exit-3m``, ``exit-12m``); it is finished in a final state: completed, expired, cancelled or
failed. A family with no follow-up invitations never reaches ``follow_up_complete``: there is
nothing to complete, and "support ended" says what is true.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

FAMILY_STATUSES = ("referred", "in_support", "support_ended", "follow_up_complete", "closed")
#: Invitation states nothing more happens in (``waves.models.STATES`` less ``OPEN_STATES``).
FINAL_STATES = frozenset({"completed", "expired", "cancelled", "failed"})


def family_status(*, entry_date: date | None, exit_date: date | None, today: date,
                  referral_date: date | None = None, closed: bool = False,
                  follow_up_complete: bool = False) -> str:
    """The family's status on ``today`` from its dates (pure: no database, no clock)."""
    del referral_date  # a family is "referred" until support starts, with or without the date
    if closed:
        return "closed"
    if exit_date is not None and exit_date <= today:
        return "follow_up_complete" if follow_up_complete else "support_ended"
    if entry_date is not None and entry_date <= today:
        return "in_support"
    return "referred"


def follow_up_complete(states: Iterable[str]) -> bool:
    """True when there is at least one follow-up invitation and every one is in a final state."""
    states = list(states)
    return bool(states) and all(state in FINAL_STATES for state in states)


def is_follow_up_wave(wave) -> bool:
    """A wave after support: anchored on the exit date, at least a month after it."""
    return getattr(wave, "anchor", None) == "exit" and getattr(wave, "offset_months", 0) > 0


def follow_up_waves(schedules: Mapping) -> set[tuple[str, str]]:
    """``(schedule id, wave name)`` of every follow-up wave of the loaded schedules."""
    return {(schedule_id, wave.name) for schedule_id, schedule in schedules.items()
            for wave in getattr(schedule, "waves", ()) if is_follow_up_wave(wave)}


def statuses_for(families, today: date | None = None) -> dict[int, str]:
    """Each family's derived status (family id → code), reading their follow-up invitations in one query."""
    import sqlalchemy as sa
    from flask import current_app

    from ..extensions import db
    from ..waves.models import Invitation

    families = list(families)
    today = today or date.today()
    waves = follow_up_waves(current_app.extensions.get("feedback.schedules", {}))
    states: dict[int, list[str]] = {}
    ended = [family.id for family in families if family.exit_date is not None and family.exit_date <= today]
    if ended and waves:
        rows = db.session.execute(sa.select(Invitation.family_id, Invitation.schedule_id, Invitation.wave,
                                            Invitation.state).where(Invitation.family_id.in_(ended)))
        for family_id, schedule_id, wave, state in rows:
            if (schedule_id, wave) in waves:
                states.setdefault(family_id, []).append(state)
    return {family.id: family_status(entry_date=family.entry_date, exit_date=family.exit_date, today=today,
                                     referral_date=family.referral_date,
                                     closed=family.status in ("closed", "erased"),
                                     follow_up_complete=follow_up_complete(states.get(family.id, ())))
            for family in families}
