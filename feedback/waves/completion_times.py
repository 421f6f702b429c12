"""Invitations' copies of their responses' completion times (``Invitation.completed_at``).

Triggers keep the copies (migration ``a6c8e0f2b4d7``); this puts them right again after rows were
written with the triggers off (a superuser's restore), as ``flask report-refresh --recheck`` does
for everything reports keep.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..survey.models import Response
from .models import Invitation


def put_right() -> int:
    """Give every invitation whose copy differs its response's completion time again (None for
    no response, or one not completed). Returns how many were wrong; the caller commits."""
    truth = (sa.select(Response.completed_at)
             .where(Response.id == Invitation.response_id, Response.status == "completed").scalar_subquery())
    result = db.session.execute(sa.update(Invitation).where(Invitation.completed_at.is_distinct_from(truth))
                                .values(completed_at=truth).execution_options(synchronize_session=False))
    return result.rowcount
