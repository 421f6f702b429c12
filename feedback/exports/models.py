"""One row per export started from the web: who ran which profile (and which version of it) for
which sites, how far it has got, and where its bundle is until the retention limit removes it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..staff.models import StaffUser
from ..timeutil import utcnow

#: queued → running → done (bundle on disk) → expired (deleted after the retention limit); or failed.
STATES = ("queued", "running", "done", "failed", "expired")
UNFINISHED = ("queued", "running")


class ExportRun(db.Model):
    __tablename__ = "export_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(100))
    #: The profile file's content hash when it ran: its version, as the manifest records it.
    profile_hash: Mapped[str] = mapped_column(String(64))
    identifiable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Codes of the sites the export covers, or None for every site (an admin's export).
    site_codes: Mapped[list[str] | None] = mapped_column(JSON)
    #: Who ran it. A researcher sees only their own runs; the audit log keeps the account too.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(200), default="waiting to start")
    instruments_done: Mapped[int] = mapped_column(Integer, default=0)
    instruments_total: Mapped[int] = mapped_column(Integer, default=0)
    #: Responses read so far; once done, the rows written (all instruments).
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    #: Last progress: a run unfinished and silent for long was cut off (a restarted server).
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    expired_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The bundle's folder name under the export folder (its zip is this plus ".zip").
    bundle: Mapped[str | None] = mapped_column(String(255))
    #: Why it failed, worded for whoever may see the run.
    message: Mapped[str | None] = mapped_column(Text)
    #: The fuller reason when it names server settings a researcher cannot change (admins only).
    admin_message: Mapped[str | None] = mapped_column(Text)

    staff: Mapped[StaffUser | None] = relationship()

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED

    @property
    def zip_name(self) -> str | None:
        return f"{self.bundle}.zip" if self.bundle else None
