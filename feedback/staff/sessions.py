"""Beginning a staff session, once whoever signs in has given all a sign-in asks of them."""
from __future__ import annotations

from flask import session
from flask_login import login_user

from ..timeutil import utcnow
from .models import StaffUser


def start_session(user: StaffUser, second_step: bool) -> None:
    """Sign ``user`` in, in a fresh session (so a planted session id is worthless). ``second_step``:
    whether they also gave an authenticator or recovery code."""
    session.clear()
    login_user(user)
    session["signed_in_at"] = session["last_seen"] = utcnow().timestamp()
    session["second_step"] = second_step
