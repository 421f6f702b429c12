"""Signing staff in and out, and their start page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, login_manager
from ..survey.models import Response
from ..survey.service import instrument_for
from .forms import LoginForm
from .models import StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(StaffUser).filter_by(email=email))
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()  # a fresh session at sign-in, so a planted session id is worthless
            login_user(user)
            return redirect(url_for("staff.home"))
        # One message for every failure, so the form never tells whether an account exists.
        error = _("The email address or password is not right.")
    return render_template("staff/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))


@bp.get("/")
@login_required
def home():
    open_responses = db.session.scalars(
        sa.select(Response).where(Response.status == "open").order_by(Response.created_at.desc()).limit(200)
    ).all()
    interviewable = [response for response in open_responses
                     if not response.is_expired() and "interview" in instrument_for(response).modes]
    return render_template("staff/home.html", responses=interviewable, user=current_user)
