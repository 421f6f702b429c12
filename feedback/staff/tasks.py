"""A practitioner's to-do list: interviews due at their sites, and the assessments that are theirs."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..families.models import Family
from ..timeutil import utcnow
from ..waves.models import Invitation

#: Still to be done: issued (or opened, or half-done) and the window not yet closed.
TASK_STATES = ("due", "opened", "started")


def tasks_for(user) -> list[Invitation]:
    """Telephone interviews due for families of the user's sites, and key-worker assessments
    assigned to the user (at a site still granted to them), soonest closing first."""
    if not user.site_ids:
        return []
    query = (
        sa.select(Invitation).join(Family, Family.id == Invitation.family_id)
        .where(Family.site_id.in_(user.site_ids), Invitation.state.in_(TASK_STATES), Invitation.closes_at > utcnow(),
               sa.or_(Invitation.channel == "interview",
                      sa.and_(Invitation.channel == "staff_task", Invitation.staff_id == user.id)))
        .order_by(Invitation.closes_at, Invitation.id)
        .options(selectinload(Invitation.member), selectinload(Invitation.family))
    )
    return list(db.session.scalars(query))


def numbers_to_check(user) -> list:
    """Members of the key worker's own families whose mobile number the provider says does not
    work (invalid, or not a mobile): texts to them have stopped until someone corrects it."""
    from ..families.models import Member

    if not user.site_ids:
        return []
    return list(db.session.scalars(
        sa.select(Member).join(Family, Family.id == Member.family_id)
        .where(Family.key_worker_id == user.id, Family.site_id.in_(user.site_ids), Member.phone_invalid.is_(True))
        .order_by(Family.case_ref, Member.id).options(selectinload(Member.family))
    ))
