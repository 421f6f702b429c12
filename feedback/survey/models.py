from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..publishing.models import InstrumentVersion
from ..timeutil import utcnow

# Column info flag read by the de-identifier: anything marked here never leaves in an anonymised export.
IDENTIFYING = {"identifying": True}

RESPONSE_STATUSES = ("open", "completed")
#: ``staff`` is a key worker filling in their own assessment; ``import`` came in a file
#: (``feedback.imports``), typed from paper or brought over from an older system.
MODES = ("web", "sms", "interview", "staff", "import")


class Response(db.Model):
    """One person's answers to one instrument version, reached by one unguessable link."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the link token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"))
    # Instrument id, version and hash are kept on the response itself, as the record of exactly
    # what was answered, even though the version row also holds them.
    instrument_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Who the link is for, as staff know them (until families arrive: a free description).
    respondent_label: Mapped[str | None] = mapped_column(String(200), info=IDENTIFYING)
    status: Mapped[str] = mapped_column(String(16), default="open")
    mode: Mapped[str] = mapped_column(String(16), default="web")
    language: Mapped[str | None] = mapped_column(String(8))
    #: What was read: ``instruments.wording.wording_hash`` of the instrument in ``language``.
    wording_hash: Mapped[str | None] = mapped_column(String(64))
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: Whose answers these are. Erasing a family may keep the answers with both set to NULL.
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    #: A partner-agency contact's answers (never set when the send promised anonymity).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("partner_contacts.id", ondelete="SET NULL"), index=True)
    #: Answered under a promise of anonymity: nothing links it to who was invited.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    wave: Mapped[str | None] = mapped_column(String(64))
    #: The imported file the response came in (None for answers given through the app).
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"),
                                                        index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)

    instrument_version: Mapped[InstrumentVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    scores: Mapped[list[Score]] = relationship(back_populates="response", cascade="all, delete-orphan")

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.status == "open" and (now or utcnow()) >= self.expires_at

    def answer_values(self) -> dict:
        return {answer.item_id: answer.value for answer in self.answers}


class Answer(db.Model):
    """One item's answer. One row per item, so saving one page never overwrites another page."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64))
    #: A choice code, list of codes, number, ISO date or text; a missing code is stored as given.
    value: Mapped[object] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")


class Score(db.Model):
    """A scale score given when a response completed, with the scoring rules' version."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("response_id", "scale_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    scale_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    answered: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[bool | None] = mapped_column(Boolean)
    band: Mapped[str | None] = mapped_column(String(64))
    scoring_version: Mapped[str] = mapped_column(String(16))
    scored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="scores")
