"""A key worker's day: what needs them at their sites, each row with the page that acts on it.

Five lists, one query each (plus the eager loads of the rows' families and members):

* assessments due — key-worker assessments (``staff_task`` invitations) still to be done, the
  user's own first, then the rest of the site's;
* telephone interviews due — ``interview`` invitations still to be done, with the member's name
  and, when recorded, when an interview suits them (``Member.interview_times``);
* texts that failed — in the last ``FAILED_DAYS`` days: the invitation failed, or the provider
  reported a text to it failed or undelivered;
* families with no consent recorded — open families where no member has a decision, given or
  withdrawn, about taking part;
* contact pauses ending — pauses in force whose last day (``ContactPause.ends_on``) is within the
  next ``PAUSE_ENDING_DAYS`` days, the soonest first (the dispatcher lifts each the day after it
  ends), then pauses with no end date, which last until someone lifts them: the oldest first, for
  review. In each group the user's own families come first, as in every list. A pause ending
  later is not listed until it comes within those days.

Rows are plain values (no ORM objects), so the template cannot trigger a query per row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..families.models import Consent, ContactPause, Family, Member
from ..waves.models import Invitation, OutboxMessage
from .tasks import TASK_STATES

#: Failures older than this are no longer shown (the invitation page still has them).
FAILED_DAYS = 14
#: Channels that send texts.
TEXT_CHANNELS = ("sms_link", "sms_conversation")
#: What the provider reports for a text that did not arrive.
FAILED_DELIVERY = ("failed", "undelivered")
#: Pauses ending within this many days are listed (with those that have no end date).
PAUSE_ENDING_DAYS = 14
#: Rows per list at most: the page stays quick on a busy site; the heading still gives the count.
LIMIT = 200


@dataclass(frozen=True)
class Row:
    family_id: int
    case_ref: str
    #: The member concerned (a label for staff), or None for the family or the key worker.
    member: Member | None
    #: The page that acts on it.
    url: str
    #: The words of the link.
    action: str
    #: The family's key worker is the user (or, for an assessment, the user answers it).
    yours: bool = False
    #: The day that matters for the row: due on, failed on, paused since.
    on: date | datetime | None = None
    #: Until when (an invitation's window closes; a pause's last day, when it has one).
    until: date | datetime | None = None
    #: An instrument id (assessments and interviews) or a state code.
    instrument_id: str | None = None
    overdue: bool = False
    detail: str | None = None
    #: When a telephone interview suits the member, in their words (interviews only).
    times: str | None = None


@dataclass
class Day:
    assessments: list[Row] = field(default_factory=list)
    interviews: list[Row] = field(default_factory=list)
    failed_texts: list[Row] = field(default_factory=list)
    no_consent: list[Row] = field(default_factory=list)
    pauses: list[Row] = field(default_factory=list)
    #: How far back failed texts are shown.
    failed_days: int = FAILED_DAYS
    #: How far ahead ending pauses are shown.
    pause_days: int = PAUSE_ENDING_DAYS

    @property
    def lists(self) -> dict[str, list[Row]]:
        return {"assessments": self.assessments, "interviews": self.interviews, "failed_texts": self.failed_texts,
                "no_consent": self.no_consent, "pauses": self.pauses}

    @property
    def empty(self) -> bool:
        return not any(self.lists.values())


def _yours_first(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: not row.yours)  # stable: each group keeps the query's order


def key_worker_day(user, today: date, now: datetime) -> Day:
    """What needs ``user`` today at the sites granted to them (nothing when none is).

    ``today`` marks an invitation overdue when its due date has passed; ``now`` decides which
    windows are still open and which failures are recent. Links are built with ``url_for``, so a
    request (or test request) context is needed.
    """
    from flask_babel import gettext as _

    site_ids = sorted(user.site_ids or ())
    day = Day()
    if not site_ids:
        return day

    still_to_do = (Family.site_id.in_(site_ids), Family.status == "open", Invitation.state.in_(TASK_STATES),
                   Invitation.closes_at > now)
    load = (selectinload(Invitation.member), selectinload(Invitation.family))

    # Assessments: the user's own (they answer them) first, then the rest of the site's.
    for invitation in db.session.scalars(
            sa.select(Invitation).join(Family, Family.id == Invitation.family_id)
            .where(*still_to_do, Invitation.channel == "staff_task")
            .order_by(Invitation.due_on, Invitation.closes_at, Invitation.id).limit(LIMIT).options(*load)):
        mine = invitation.staff_id == user.id
        if mine and invitation.response_id:
            url, action = url_for("interviews.start", response_id=invitation.response_id), _("Fill in the assessment")
        else:
            url, action = url_for("waves.invitation", invitation_id=invitation.id), _("See the assessment")
        day.assessments.append(Row(invitation.family_id, invitation.family.case_ref, invitation.member, url, action,
                                   yours=mine, on=invitation.due_on, until=invitation.closes_at,
                                   instrument_id=invitation.instrument_id, overdue=invitation.due_on < today))
    day.assessments = _yours_first(day.assessments)

    # Telephone interviews: any practitioner of the site may make the call.
    for invitation in db.session.scalars(
            sa.select(Invitation).join(Family, Family.id == Invitation.family_id)
            .where(*still_to_do, Invitation.channel == "interview")
            .order_by(Invitation.due_on, Invitation.closes_at, Invitation.id).limit(LIMIT).options(*load)):
        if invitation.response_id:
            url, action = url_for("interviews.start", response_id=invitation.response_id), _("Interview by telephone")
        else:
            url, action = url_for("waves.invitation", invitation_id=invitation.id), _("See the invitation")
        day.interviews.append(Row(invitation.family_id, invitation.family.case_ref, invitation.member, url, action,
                                  yours=invitation.family.key_worker_id == user.id, on=invitation.due_on,
                                  until=invitation.closes_at, instrument_id=invitation.instrument_id,
                                  overdue=invitation.due_on < today,
                                  times=invitation.member.interview_times if invitation.member else None))
    day.interviews = _yours_first(day.interviews)

    # Texts that failed lately: the invitation failed, or the provider reported a text to it lost.
    since = now - timedelta(days=FAILED_DAYS)
    lost = (sa.select(sa.func.max(sa.func.coalesce(OutboxMessage.status_at, OutboxMessage.created_at)))
            .where(OutboxMessage.invitation_id == Invitation.id, OutboxMessage.status.in_(FAILED_DELIVERY),
                   sa.func.coalesce(OutboxMessage.status_at, OutboxMessage.created_at) >= since)
            .correlate(Invitation).scalar_subquery())
    failed_now = sa.and_(Invitation.state == "failed", Invitation.updated_at >= since)
    for invitation, lost_at in db.session.execute(
            sa.select(Invitation, lost).join(Family, Family.id == Invitation.family_id)
            .where(Family.site_id.in_(site_ids), Invitation.channel.in_(TEXT_CHANNELS),
                   sa.or_(failed_now, lost.is_not(None)))
            .order_by(Invitation.updated_at.desc(), Invitation.id.desc()).limit(LIMIT).options(*load)):
        failed_at = invitation.updated_at if invitation.state == "failed" else lost_at
        day.failed_texts.append(Row(invitation.family_id, invitation.family.case_ref, invitation.member,
                                    url_for("waves.invitation", invitation_id=invitation.id), _("See the invitation"),
                                    yours=invitation.family.key_worker_id == user.id, on=failed_at,
                                    instrument_id=invitation.instrument_id, detail=invitation.state))
    day.failed_texts = _yours_first(day.failed_texts)

    # Open families where no member has a decision about taking part.
    decided = (sa.select(Consent.id).join(Member, Member.id == Consent.member_id)
               .where(Member.family_id == Family.id, Consent.purpose == "participation")
               .correlate(Family).exists())
    for family_id, case_ref, key_worker_id, created_at in db.session.execute(
            sa.select(Family.id, Family.case_ref, Family.key_worker_id, Family.created_at)
            .where(Family.site_id.in_(site_ids), Family.status == "open", ~decided)
            .order_by(Family.created_at, Family.id).limit(LIMIT)):
        day.no_consent.append(Row(family_id, case_ref, None, url_for("families.detail", family_id=family_id),
                                  _("Record consent"), yours=key_worker_id == user.id, on=created_at))
    day.no_consent = _yours_first(day.no_consent)

    # Contact pauses ending soon (the soonest first), then those with no end (the oldest first):
    # lifting one is on the family's page. A pause past its last day still shows until it is lifted.
    horizon = today + timedelta(days=PAUSE_ENDING_DAYS)
    pauses = list(db.session.scalars(
        sa.select(ContactPause).join(Family, Family.id == ContactPause.family_id)
        .where(Family.site_id.in_(site_ids), Family.status == "open", ContactPause.lifted_at.is_(None),
               sa.or_(ContactPause.ends_on.is_(None), ContactPause.ends_on <= horizon))
        .order_by(ContactPause.ends_on.is_(None), ContactPause.ends_on, ContactPause.started_at, ContactPause.id)
        .limit(LIMIT).options(selectinload(ContactPause.family))))
    member_ids = {pause.member_id for pause in pauses if pause.member_id is not None}
    members = ({member.id: member for member in db.session.scalars(sa.select(Member).where(Member.id.in_(member_ids)))}
               if member_ids else {})
    for pause in pauses:
        day.pauses.append(Row(pause.family_id, pause.family.case_ref, members.get(pause.member_id),
                              url_for("families.detail", family_id=pause.family_id), _("Review the pause"),
                              yours=pause.family.key_worker_id == user.id, on=pause.started_at, until=pause.ends_on))
    # Ending ones before open-ended ones; within each, the user's own families first.
    day.pauses = sorted(day.pauses, key=lambda row: (row.until is None, not row.yours))
    return day
