"""Signing staff in and out, and their start page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..survey.models import Response
from ..survey.service import instrument_for
from ..timeutil import utcnow
from .access import navigation, require_roles
from .forms import LoginForm
from .models import ROLES, LoginAttempt, StaffUser
from .tasks import numbers_to_check, tasks_for

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


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


def _email_key() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
# Limits per address and per account: a guesser cannot go fast from one address, nor spread
# guesses at one account over many addresses.
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=_email_key)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(StaffUser).filter_by(email=email))
        succeeded = user is not None and user.active and user.check_password(form.password.data)
        db.session.add(LoginAttempt(email=email[:254], remote_address=request.remote_addr, succeeded=succeeded))
        db.session.commit()
        if succeeded:
            session.clear()  # a fresh session at sign-in, so a planted session id is worthless
            login_user(user)
            session["signed_in_at"] = session["last_seen"] = utcnow().timestamp()
            return redirect(url_for("staff.home"))
        # One message for every failure, so the form never tells whether an account exists.
        error = _("The email address or password is not right.")
    expired = request.args.get("expired") == "1"
    return render_template("staff/login.html", form=form, error=error, expired=expired), (401 if error else 200)


@bp.before_app_request
def end_stale_staff_sessions():
    """Sign staff out after a spell of inactivity, and in any case at the end of a working day."""
    if not current_user.is_authenticated:
        return None
    settings = current_app.config["FEEDBACK_SETTINGS"]
    now = utcnow().timestamp()
    signed_in_at = session.get("signed_in_at", 0)
    last_seen = session.get("last_seen", 0)
    if (now - last_seen > settings.staff_idle_minutes * 60
            or now - signed_in_at > settings.staff_session_hours * 3600):
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


@bp.get("/")
@require_roles(*ROLES)
def home():
    """Admins: every open survey that can be done by telephone. Practitioners: their tasks.
    Everyone: the pages their role may use."""
    interviewable = []
    if current_user.is_admin:
        open_responses = db.session.scalars(
            sa.select(Response).where(Response.status == "open").order_by(Response.created_at.desc()).limit(200)
        ).all()
        interviewable = [response for response in open_responses
                         if not response.is_expired() and "interview" in instrument_for(response).modes]
    practitioner = current_user.role == "practitioner"
    tasks = tasks_for(current_user) if practitioner else []
    numbers = numbers_to_check(current_user) if practitioner else []
    return render_template("staff/home.html", responses=interviewable, tasks=tasks, numbers=numbers, user=current_user)
