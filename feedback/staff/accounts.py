"""Finding a staff account from the command line, where commands record who ran them (``--by``)."""
from __future__ import annotations

import click
import sqlalchemy as sa

from ..extensions import db
from .models import StaffUser


def account(email: str) -> StaffUser:
    """The account with this email (however it is capitalised); a clear error if there is none."""
    found = db.session.scalar(sa.select(StaffUser).filter_by(email=email.strip().lower()))
    if found is None:
        raise click.ClickException(f"no staff account {email}")
    return found


def recorded_by(email: str | None) -> StaffUser | None:
    """The account a command's ``--by EMAIL`` names (None without one); a clear error if none has it."""
    return account(email) if email else None
