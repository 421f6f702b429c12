"""Finding a staff account from the command line, where commands record who ran them (``--by``)."""
from __future__ import annotations

import click
import sqlalchemy as sa

from ..extensions import db
from .models import StaffUser


def recorded_by(email: str | None) -> StaffUser | None:
    """The account a command's ``--by EMAIL`` names (None without one); a clear error if none has it."""
    if not email:
        return None
    actor = db.session.scalar(sa.select(StaffUser).filter_by(email=email.strip().lower()))
    if actor is None:
        raise click.ClickException(f"no staff account {email}")
    return actor
