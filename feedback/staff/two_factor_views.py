"""The second step of signing in: after the right password, an authenticator code (or a recovery
code) before the session begins; and enrolling an authenticator app, which the roles in
FEEDBACK_TWO_FACTOR_ROLES must do at their next sign-in and anyone else may do from their home page.

Between the two steps the session holds only who is signing in, their session version and until
when: not signed in, so no staff page opens. Code attempts are limited per address and per account.
"""
from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..audit.service import record
from ..extensions import db, limiter
from ..timeutil import utcnow
from . import two_factor
from .forms import CodeForm
from .blueprint import bp
from .models import StaffUser
from .sessions import start_session

log = logging.getLogger(__name__)

PENDING = "pending_sign_in"
#: How long the password counts while the second step is awaited; then the password is asked again.
CODE_MINUTES = 5
ENROL_MINUTES = 15   # long enough to install an authenticator app
PER_ADDRESS = "10 per minute; 50 per hour"
#: Six digits are a million codes, three of them right at any time: 20 tries an hour per account
#: leave a guesser with the password about one chance in 17,000 per hour.
PER_ACCOUNT = "5 per minute; 20 per hour"
WRONG_CODE = _l("That code is not right. Type the 6-digit code your authenticator app shows now (each code "
                "works once), or one of your recovery codes.")


def after_password(user: StaffUser):
    """Where the right password leads: the code page for someone enrolled, the enrolment page for a
    role that needs a second step, otherwise straight in."""
    if user.has_two_factor:
        return _await_second_step(user, enrol=False, minutes=CODE_MINUTES, to="staff.two_factor_code")
    if two_factor.required_for(user, current_app.config["FEEDBACK_SETTINGS"].two_factor_roles):
        return _await_second_step(user, enrol=True, minutes=ENROL_MINUTES, to="staff.two_factor_enrol")
    start_session(user, second_step=False)
    return redirect(url_for("staff.home"))


def _await_second_step(user: StaffUser, enrol: bool, minutes: int, to: str):
    session.clear()
    session[PENDING] = {"user": user.id, "version": user.session_version or 0, "enrol": enrol,
                        "until": utcnow().timestamp() + minutes * 60}
    return redirect(url_for(to))


def _pending_user(enrol: bool) -> StaffUser | None:
    """The account whose password was given, while that still counts: not expired, still active,
    and no sign-out everywhere or password change since."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("enrol") is not enrol:
        return None
    if pending.get("until", 0) < utcnow().timestamp():
        session.pop(PENDING, None)
        return None
    user = db.session.get(StaffUser, pending.get("user"))
    if user is None or not user.active or (user.session_version or 0) != pending.get("version"):
        return None
    return user


def _account_key() -> str:
    """The per-account limit's key: the account signing in (or signed in, when enrolling)."""
    pending = session.get(PENDING)
    account = pending.get("user") if isinstance(pending, dict) else None
    if account is None and current_user.is_authenticated:
        account = current_user.id
    return f"staff-account:{account}" if account is not None else f"address:{get_remote_address()}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=_account_key)
def two_factor_code():
    user = _pending_user(enrol=False)
    if user is None:
        return redirect(url_for("staff.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        code = form.code.data
        if two_factor.accept_totp(user, code):
            db.session.commit()
            start_session(user, second_step=True)
            return redirect(url_for("staff.home"))
        if two_factor.spend_recovery_code(user, code):
            left = two_factor.recovery_codes_left(user)
            record("staff.recovery_code_used", user, actor_id=user.id, left=left)
            db.session.commit()
            start_session(user, second_step=True)
            flash(_("You signed in with a recovery code, which now cannot be used again; %(left)s left. If your "
                    "phone is lost, ask an administrator to reset your two-step sign-in.", left=left))
            return redirect(url_for("staff.home"))
        db.session.rollback()
        log.info("a wrong second-step code for staff account %s", user.id)
        error = WRONG_CODE
    return render_template("staff/two_factor_code.html", form=form, error=error), (401 if error else 200)


@bp.route("/two-factor/enrol", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=_account_key)
def two_factor_enrol():
    """The QR code and the secret as text; a code from the app confirms them. Then the recovery codes,
    shown this once, and (after a password) the session begins."""
    user = _pending_user(enrol=True)
    signed_in = user is None and current_user.is_authenticated
    if signed_in:
        if current_user.has_two_factor:
            return redirect(url_for("staff.home"))
        user = current_user._get_current_object()
    if user is None:
        return redirect(url_for("staff.login"))
    if request.method == "POST" and (user.totp_secret is None or user.has_two_factor):
        return redirect(url_for("staff.two_factor_enrol"))  # no QR code shown yet: nothing to confirm
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if two_factor.accept_totp(user, form.code.data):
            codes = two_factor.finish_enrolment(user)
            record("staff.two_factor_enrolled", user, actor_id=user.id)
            db.session.commit()
            if signed_in:
                session["second_step"] = True
            else:
                start_session(user, second_step=True)
            return render_template("staff/recovery_codes.html", codes=codes)
        db.session.rollback()
        error = _("That code is not right. Check that the app has added the account (scan the QR code again, or "
                  "type the key below) and type the 6-digit code it shows now.")
    two_factor.start_enrolment(user)
    db.session.commit()
    organisation = current_app.config["FEEDBACK_SETTINGS"].organisation_name
    return render_template("staff/two_factor_enrol.html", form=form, error=error, user=user,
                           qr=two_factor.enrolment_qr(user, organisation),
                           secret=two_factor.grouped(user.totp_secret)), (401 if error else 200)
