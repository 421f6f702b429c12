"""Two-step sign-in for staff: a code from an authenticator app (TOTP, RFC 6238) after the password,
or one of ten single-use recovery codes when the phone is lost.

What is refused: a code of a time step no later than the last one accepted (so a code seen over a
shoulder, or sent twice, does not work again), codes more than one step (30 seconds) either side of
now, and a recovery code already used. The secret is kept encrypted (``StaffUser.totp_secret``);
recovery codes only as password hashes.
"""
from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from .models import RecoveryCode, StaffUser

RECOVERY_CODES = 10
#: Steps either side of now that are accepted: a phone's clock a little off, a code typed slowly.
DRIFT_STEPS = 1


def required_for(user: StaffUser, roles: tuple[str, ...]) -> bool:
    """Whether ``user`` must sign in with a second step (their role is in FEEDBACK_TWO_FACTOR_ROLES)."""
    return user.role in roles


def start_enrolment(user: StaffUser) -> str:
    """The secret ``user`` is enrolling with: the one already begun, or a new one (not yet in use)."""
    if not user.totp_secret or user.has_two_factor:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
    return user.totp_secret


def enrolment_qr(user: StaffUser, issuer: str) -> str:
    """The secret as an ``otpauth://`` QR code, a ``data:`` SVG image (the pages' CSP allows
    ``img-src data:``, and the image needs no style or script)."""
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)
    return segno.make(uri, error="m").svg_data_uri(scale=4, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def accept_totp(user: StaffUser, code: str, now: float | None = None) -> bool:
    """True if ``code`` is the authenticator's code for a time step near now that is later than the
    last one accepted; that step is then recorded, in one conditional UPDATE, so two requests racing
    with the same code cannot both pass."""
    code = "".join(code.split())
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(time.time() if now is None else now)
    matched = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    if matched is None or (user.totp_last_step is not None and matched <= user.totp_last_step):
        return False
    claimed = db.session.execute(
        sa.update(StaffUser)
        .where(StaffUser.id == user.id,
               sa.or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < matched))
        .values(totp_last_step=matched)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    user.totp_last_step = matched
    return True


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def issue_recovery_codes(user: StaffUser) -> list[str]:
    """Ten new recovery codes for ``user``, replacing any before; returned once, to be shown once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
    codes = [f"{token[:5]}-{token[5:]}" for token in (secrets.token_hex(5) for _ in range(RECOVERY_CODES))]
    db.session.add_all(RecoveryCode(staff_id=user.id, code_hash=generate_password_hash(_normalised(code)))
                       for code in codes)
    return codes


def spend_recovery_code(user: StaffUser, code: str) -> bool:
    """True if ``code`` is one of ``user``'s unused recovery codes; it is then used up."""
    code = _normalised(code)
    if len(code) != 10:
        return False
    unused = db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.staff_id == user.id,
                                                              RecoveryCode.used_at.is_(None))).all()
    for recovery in unused:
        if check_password_hash(recovery.code_hash, code):
            # Conditional, so the same code sent twice at once is spent once.
            spent = db.session.execute(
                sa.update(RecoveryCode).where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False)
            ).rowcount
            return spent == 1
    return False


def recovery_codes_left(user: StaffUser) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.staff_id == user.id, RecoveryCode.used_at.is_(None)))


def finish_enrolment(user: StaffUser) -> list[str]:
    """``user`` has typed a code their app made: the second step is on. Their recovery codes."""
    user.two_factor_enabled_at = utcnow()
    return issue_recovery_codes(user)


def remove(user: StaffUser) -> None:
    """Turn the second step off (an admin's reset for a lost phone); the next sign-in enrols again
    if the role requires it."""
    user.totp_secret = None
    user.totp_last_step = None
    user.two_factor_enabled_at = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
