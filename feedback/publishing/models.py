from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class InstrumentVersion(db.Model):
    """A published instrument version: its content hash and full definition, kept forever."""

    __tablename__ = "instrument_versions"
    __table_args__ = (UniqueConstraint("instrument_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The parsed YAML as published, so responses can be shown and scored even if the file goes.
    definition: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[object] = mapped_column(DateTime, default=utcnow)
