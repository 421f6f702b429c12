"""One row per imported file, so the same bytes are never imported twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..staff.models import StaffUser
from ..timeutil import utcnow

IDENTIFYING = {"identifying": True}


class ImportBatch(db.Model):
    """A file of responses imported in one go: what it was imported as, by whom, and what it made."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the file's bytes. Unique, so a second import of the same file (even two at once)
    #: finds the first and changes nothing.
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: As uploaded or named on the command line; people name files after families, so it is marked.
    file_name: Mapped[str | None] = mapped_column(String(255), info=IDENTIFYING)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    wave: Mapped[str] = mapped_column(String(64))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: How many responses the file made (one per data row).
    responses: Mapped[int] = mapped_column(Integer)
    families_created: Mapped[int] = mapped_column(Integer, default=0)
    members_created: Mapped[int] = mapped_column(Integer, default=0)

    imported_by: Mapped[StaffUser | None] = relationship()
