"""Who may use which staff page, and which sites' records they may see. Every staff view uses these.

Two refusals, on purpose. A role that may not use a page at all gets 403: the page's existence
is no secret. A record of a site not granted to the user gets 404, exactly as a record that does
not exist, so guessing ids never confirms that a family or an invitation exists.

Admins may use every page and see every site, so role lists below never need to name them.
"""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import db, login_manager
from ..families.models import ContactPause, Family, Member
from ..survey.models import Response
from ..waves.models import Invitation
from .models import Site, StaffUser, staff_sites

#: Pages by the roles (besides admin) that may use them.
FAMILY_PAGES = ("practitioner",)      # identifiable family pages, invitations, interviews
CALENDAR = ("researcher",)            # counts of invitations to come
WAVE_STATUS = ("researcher", "manager")
ADMIN_ONLY = ()                       # outbox, audit log, erasing, resolving "unknown" sends
EXPORTS = ("researcher",)             # evaluator datasets (identifiable ones: admins only)
REPORTS = ("manager", "researcher")   # manager reports, their own sites only
UNSUPPRESSED_REPORTS = ("researcher",)  # may switch small-number suppression off (audited)
UNIT_SAVINGS = ("manager",)           # may change the cost-benefit report's unit savings
IMPORTS = ("researcher",)             # responses from paper or an older system (for granted sites)
PARTNER_PAGES = ("researcher", "manager")  # partner agencies and their contacts (for granted sites)
LANGUAGE_PAGES = ("researcher", "manager")  # instruments' languages and their translation status


def may_use(user, roles: tuple[str, ...]) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_admin or user.role in roles))


def require_roles(*roles: str):
    """Decorate a view: anonymous → sign-in page; a role not listed (nor admin) → 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if not current_user.is_active:
                # A deactivated account keeps its old session cookie: treat it as signed out.
                return login_manager.unauthorized()
            if not may_use(current_user, roles):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate


def visible_site_ids(user=None) -> set[int] | None:
    """The ids of the sites the user may see, or None for every site (admins)."""
    user = user or current_user
    return None if user.is_admin else user.site_ids


def visible_sites(user=None) -> list[Site]:
    user = user or current_user
    if user.is_admin:
        return list(db.session.scalars(sa.select(Site).order_by(Site.code)))
    return list(user.sites)


def may_see_site(site_id: int | None, user=None) -> bool:
    ids = visible_site_ids(user)
    return ids is None or site_id in ids


def scope(query, site_column, user=None):
    """Limit a select to the user's sites (an empty grant matches nothing)."""
    ids = visible_site_ids(user)
    return query if ids is None else query.where(site_column.in_(ids))


def chosen_site_id(value: str | None, user=None) -> int | None:
    """A ``?site=`` filter, kept only when it names a site the user may see."""
    if value and value.isdigit() and may_see_site(int(value), user):
        return int(value)
    return None


def family_or_404(family_id: int) -> Family:
    family = db.session.scalar(scope(sa.select(Family).where(Family.id == family_id), Family.site_id))
    if family is None:
        abort(404)
    return family


def member_or_404(family: Family, member_id: int) -> Member:
    """A member of this family: another family's member id (even at a visible site) is a 404."""
    member = db.session.get(Member, member_id)
    if member is None or member.family_id != family.id:
        abort(404)
    return member


def pause_or_404(family: Family, pause_id: int) -> ContactPause:
    pause = db.session.get(ContactPause, pause_id)
    if pause is None or pause.family_id != family.id:
        abort(404)
    return pause


def invitation_or_404(invitation_id: int) -> Invitation:
    # A partner contact's invitation has no family, so no site: only admins (unscoped) reach it.
    query = sa.select(Invitation).outerjoin(Family, Family.id == Invitation.family_id).where(Invitation.id == invitation_id)
    invitation = db.session.scalar(scope(query, Family.site_id))
    if invitation is None:
        abort(404)
    return invitation


def response_or_404(response_id: int) -> Response:
    """A response for interviewer mode. One with no family (a link made by hand, or a family
    since erased) belongs to no site, so only admins may open it."""
    response = db.session.get(Response, response_id)
    if response is None:
        abort(404)
    if current_user.is_admin:
        return response
    site_id = db.session.scalar(sa.select(Family.site_id).where(Family.id == response.family_id)) \
        if response.family_id is not None else None
    if site_id is None or not may_see_site(site_id):
        abort(404)
    return response


def practitioners_of(site_ids) -> list[StaffUser]:
    """Active practitioners granted any of these sites: the people who may be a key worker."""
    query = (sa.select(StaffUser).join(staff_sites, staff_sites.c.staff_id == StaffUser.id)
             .where(StaffUser.role == "practitioner", StaffUser.active.is_(True),
                    staff_sites.c.site_id.in_(list(site_ids)))
             .order_by(StaffUser.name).distinct())
    return list(db.session.scalars(query))


#: Navigation on every staff page: (label, endpoint, roles). Labels are read in the page's language.
NAVIGATION = (
    (_l("Families"), "families.index", FAMILY_PAGES),
    (_l("Invitations"), "waves.invitations", FAMILY_PAGES),
    (_l("Calendar of invitations"), "waves.calendar", CALENDAR),
    (_l("Invitation status"), "waves.status", WAVE_STATUS),
    (_l("Reports"), "reports.index", REPORTS),
    (_l("Datasets for evaluators"), "exports.index", EXPORTS),
    (_l("Import responses"), "imports.index", IMPORTS),
    (_l("Partner agencies"), "partners.index", PARTNER_PAGES),
    (_l("Languages"), "translation.languages", LANGUAGE_PAGES),
    (_l("Outbox"), "waves.outbox", ADMIN_ONLY),
    (_l("Emails"), "mail.emails", ADMIN_ONLY),
    (_l("Audit log"), "audit.log", ADMIN_ONLY),
    (_l("API clients"), "api_clients.index", ADMIN_ONLY),
)


def navigation(user=None) -> list[tuple[str, str]]:
    user = user or current_user
    return [(label, endpoint) for label, endpoint, roles in NAVIGATION if may_use(user, roles)]
