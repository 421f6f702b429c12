"""Signing staff in and out, and their start page. The second step of signing in (an authenticator
code) is in two_factor_views.py."""
from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required, logout_user

from ..audit.service import record
from ..extensions import db, limiter, login_manager
from ..survey.models import Response
from ..survey.service import instrument_for
from ..timeutil import utcnow
from . import language, two_factor_views  # noqa: F401  (their routes)
from .access import navigation, require_roles
from .blueprint import bp
from .forms import LoginForm
from .models import ROLES, LoginAttempt, StaffUser, password_signs_in
from .day import key_worker_day
from .tasks import numbers_to_check

log = logging.getLogger(__name__)

#: Wrong passwords for one email address that cost nothing (counted since its last sign-in, within
#: FAILURES_REMEMBERED). Each one after them makes the next attempt wait twice as long as the one
#: before, 1 second, 2, 4…, never longer than LONGEST_WAIT: guessing slows to a crawl, yet the
#: right password always signs in once the wait is over.
FREE_FAILURES = 10
LONGEST_WAIT = timedelta(minutes=15)
FAILURES_REMEMBERED = timedelta(days=1)


@login_manager.user_loader
def load_user(user_id: str):
    """The account a session names, if the session is still current: "id.version", where the
    version must be the account's (it moves on at sign-out, a password change and "sign out
    everywhere"). A session from before versions existed names no version and is not current."""
    account, _, version = user_id.partition(".")
    if not (account.isdigit() and version.isdigit()):
        return None
    user = db.session.get(StaffUser, int(account))
    return user if user is not None and (user.session_version or 0) == int(version) else None


def failures_for(email: str, now: datetime) -> tuple[int, datetime | None]:
    """Wrong passwords for ``email`` since its last sign-in (and within FAILURES_REMEMBERED), and when
    the last was. Read from the database, so every worker process sees the same count. Counted for
    addresses with no account too, so that being slowed down does not tell which have one."""
    since = now - FAILURES_REMEMBERED
    last_success = db.session.scalar(sa.select(sa.func.max(LoginAttempt.attempted_at))
                                     .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)))
    if last_success is not None and last_success > since:
        since = last_success
    count, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since)
    ).one()
    return count, last


def next_attempt_at(failures: int, last_failure: datetime | None) -> datetime | None:
    """When an attempt after ``failures`` wrong passwords may be checked; None: at once."""
    if failures < FREE_FAILURES or last_failure is None:
        return None
    doublings = min(failures - FREE_FAILURES, 20)  # 2**20 seconds is far beyond any sensible cap
    return last_failure + min(timedelta(seconds=2 ** doublings), LONGEST_WAIT)


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))


@bp.route("/login", methods=["GET", "POST"])
# Per address (counted in FEEDBACK_RATE_LIMIT_STORAGE, shared by the workers when that is Redis): a
# guesser cannot go fast from one address. Per account, the waits below (kept in the database):
# guesses at one account spread over many addresses slow down too.
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()[:254]
        now = utcnow()
        failures, last_failure = failures_for(email, now)
        retry_at = next_attempt_at(failures, last_failure)
        if retry_at is not None and now < retry_at:
            # Refused unchecked and unrecorded: the guess teaches nothing, and the wait does not grow.
            seconds = max(1, math.ceil((retry_at - now).total_seconds()))
            error = _("Too many wrong passwords have been tried for this email address, so sign-in is paused. "
                      "Try again in %(wait)s. If you did not try them, tell an administrator.",
                      wait=_in_words(seconds))
            page = render_template("staff/login.html", form=form, error=error, expired=False)
            return page, 429, {"Retry-After": str(seconds)}
        user = db.session.scalar(sa.select(StaffUser).filter_by(email=email))
        succeeded = password_signs_in(user, form.password.data)
        db.session.add(LoginAttempt(email=email, remote_address=request.remote_addr, succeeded=succeeded,
                                    attempted_at=now))
        if not succeeded and failures + 1 == FREE_FAILURES:
            _report_guessing(user)
        db.session.commit()
        if succeeded:
            # Signed in now, or only once an authenticator code is given (two_factor_views.py).
            return two_factor_views.after_password(user)
        # One message for every failure, so the form never tells whether an account exists.
        error = _("The email address or password is not right.")
    expired = request.args.get("expired") == "1"
    return render_template("staff/login.html", form=form, error=error, expired=expired), (401 if error else 200)


def _report_guessing(user: StaffUser | None) -> None:
    """The first time an email address reaches FREE_FAILURES: a warning in the log and, when it is an
    account's, an audit event, so that admins can see someone is guessing."""
    if user is not None:
        record("staff.sign_in_slowed", user, actor_id=None, failures=FREE_FAILURES)
        log.warning("%d wrong passwords for staff account %s: each further attempt now waits", FREE_FAILURES, user.id)
    else:
        log.warning("%d wrong passwords for an email address with no account: each further attempt now waits",
                    FREE_FAILURES)


@bp.before_app_request
def end_stale_staff_sessions():
    """Sign staff out after a spell of inactivity, and in any case at the end of a working day."""
    user = g.get("_login_user")  # the request's user, when already settled (a link's pages settle it)
    if user is None:
        if ("HTTP_COOKIE" not in request.environ
                and login_manager._request_callback is None and login_manager._header_callback is None):
            # No cookie at all, so neither a session nor a remember cookie: Flask-Login (with no
            # request or header loader, as here) would find nobody signed in, and so nothing to
            # end. Twilio's webhooks and the API bring none; asking Flask-Login would load an
            # anonymous user and mark the session read (``Vary: Cookie``) for nothing (issue 24).
            return None
        user = current_user
    if not user.is_authenticated:
        return None
    settings = current_app.config["FEEDBACK_SETTINGS"]
    now = utcnow().timestamp()
    signed_in_at = session.get("signed_in_at", 0)
    last_seen = session.get("last_seen", 0)
    # A session begun with the password alone ends once the role needs a second step (a session from
    # before two-step sign-in, or from before the role was added to FEEDBACK_TWO_FACTOR_ROLES).
    if (now - last_seen > settings.staff_idle_minutes * 60
            or now - signed_in_at > settings.staff_session_hours * 3600
            or (current_user.role in settings.two_factor_roles and not session.get("second_step"))):
        logout_user()
        session.clear()
        return redirect(url_for("staff.login", expired=1))
    session["last_seen"] = now
    return None


@bp.post("/logout")
@login_required
def logout():
    # Not only this browser's cookie: any copy of it, taken before sign-out, stops working too.
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))


@bp.app_context_processor
def staff_pages():
    return {"staff_navigation": navigation}


def _open_surveys(responses: list[Response]) -> list[dict]:
    """The admin's open surveys as rows: who answers (the member and their family, when the
    response has one) and whether a telephone interview is possible: a response made for an
    interview, or a member with a working mobile number. Most responses are the links the
    dispatcher sent a member by text or email; the older free-text label is shown when set."""
    from ..families.models import Family, Member

    members = {member.id: member for member in db.session.scalars(sa.select(Member).where(
        Member.id.in_({response.member_id for response in responses if response.member_id})))}
    families = {family.id: family for family in db.session.scalars(sa.select(Family).where(
        Family.id.in_({response.family_id for response in responses if response.family_id})))}
    rows = []
    for response in responses:
        member = members.get(response.member_id)
        family = families.get(response.family_id)
        if response.mode == "interview":
            by_phone = True  # made for a telephone interview
        elif member is not None:
            by_phone = bool(member.phone) and not member.phone_invalid
        else:
            # A link made by hand for someone staff named can be done by telephone; a partner
            # contact's emailed link (no member, no label) names no one to telephone.
            by_phone = bool(response.respondent_label)
        rows.append({"response": response, "member": member, "family": family, "by_phone": by_phone})
    return rows


@bp.get("/")
@require_roles(*ROLES)
def home():
    """Admins: every open survey that can be done by telephone. Practitioners: their day (what
    needs them at their sites). Managers: how much of it there is at their sites. Everyone: the
    pages their role may use."""
    interviewable = []
    if current_user.is_admin:
        # Anonymous answers (a partner survey sent with a promise of anonymity) name nobody to call.
        open_responses = db.session.scalars(
            sa.select(Response).where(Response.status == "open", Response.anonymous.is_(False))
            .order_by(Response.created_at.desc()).limit(200)
        ).all()
        interviewable = _open_surveys([response for response in open_responses
                                       if not response.is_expired() and "interview" in instrument_for(response).modes])
    practitioner = current_user.role == "practitioner"
    numbers = numbers_to_check(current_user) if practitioner else []
    # A key worker's day at their sites; a manager sees the same lists' sizes for theirs (family
    # pages are a practitioner's, so a manager gets counts, never names or links).
    now = utcnow()
    day = key_worker_day(current_user, now.date(), now) if current_user.role in ("practitioner", "manager") else None
    return render_template("staff/home.html", responses=interviewable, day=day, numbers=numbers, user=current_user)
