"""The audit log page: admins only, newest first, optionally one kind of action."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from ..extensions import db
from ..staff.access import ADMIN_ONLY, require_roles
from ..staff.models import Site, StaffUser
from .models import ACTIONS, AuditEvent

bp = Blueprint("audit", __name__, url_prefix="/staff/audit", template_folder="templates")


@bp.get("")
@require_roles(*ADMIN_ONLY)
def log():
    action = request.args.get("action")
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action in ACTIONS:
        query = query.where(AuditEvent.action == action)
    else:
        action = None
    page = db.paginate(query, per_page=50, max_per_page=50, error_out=False)
    actors = {user.id: user.name for user in db.session.scalars(
        sa.select(StaffUser).where(StaffUser.id.in_({event.actor_id for event in page.items if event.actor_id})))}
    sites = {site.id: site.code for site in db.session.scalars(sa.select(Site))}
    return render_template("audit/log.html", page=page, actions=ACTIONS, action=action, actors=actors, sites=sites)
