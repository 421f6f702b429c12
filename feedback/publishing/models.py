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


class InstrumentWording(db.Model):
    """A language added to a published version by a language file, as published: one row per
    distinct wording, kept forever, so a response answered in it can be shown again exactly
    however the language file is revised later (a revision is a new row with a new hash)."""

    __tablename__ = "instrument_wordings"
    __table_args__ = (UniqueConstraint("instrument_id", "version", "language", "wording_hash",
                                       name="uq_instrument_wordings_wording"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    wording_hash: Mapped[str] = mapped_column(String(64))
    #: Source text → translation, for this version's respondent-facing texts.
    texts: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[object] = mapped_column(DateTime, default=utcnow)
