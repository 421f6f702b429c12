"""The service's own unit savings for the cost-benefit report (the defaults live in code)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class UnitSaving(db.Model):
    """£ saved when one individual avoids an adverse outcome, as this service values it."""

    __tablename__ = "unit_savings"

    #: One of ``cost_benefit.OUTCOMES``' keys.
    outcome: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: Where the figure comes from (a study, a local costing): shown under the report.
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class AnswerPair(db.Model):
    """One family's or member's latest answer to an item at two waves, kept so that a report over
    thousands of families counts a narrow table instead of pairing millions of answers again.

    Rows are worked out per family by ``pair_store`` and are only ever a copy: a family's rows
    are thrown away and made again whenever its completed responses differ from its
    ``AnswerPairStamp``. Only pairs with an answer at both waves are kept (no other is counted).
    """

    __tablename__ = "report_answer_pairs"
    __table_args__ = (Index("ix_report_answer_pairs_pairing_family_id", "pairing", "family_id"),)

    #: Which pairing (instrument, level, waves, items), as a number: see ``pair_store.pairing_id``.
    pairing: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The member (member level) or family (family level) whose answers these are.
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    #: The stored answers as JSON text, as ``CAST(value AS TEXT)`` reads them.
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)


class AnswerPairStamp(db.Model):
    """What a family's kept pairs were worked out from: how many completed responses to the
    instrument at the two waves it had, and the highest of their ids. Completed responses are
    never edited, and a new one always has a higher id, so a different stamp means new or
    removed responses and the family's pairs are made again."""

    __tablename__ = "report_answer_pair_stamps"

    pairing: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    last_response_id: Mapped[int] = mapped_column(Integer)


class KeptAnswer(db.Model):
    """A family's or member's answer kept for reports that count latest answers rather than
    pairs: the latest at each wave (``slot`` is the wave) for the distributions, or the first and
    latest star readings (``slot`` "first" or "latest"). Made and stamped per family by
    ``pair_store`` like ``AnswerPair``, and only ever a copy."""

    __tablename__ = "report_kept_answers"
    __table_args__ = (Index("ix_report_kept_answers_keeping_family_id", "keeping", "family_id"),)

    #: Which keeping (kind, instrument, level, waves, items), as a number: ``pair_store.keeping_id``.
    keeping: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    #: The stored answer as JSON text, as ``CAST(value AS TEXT)`` reads it.
    value: Mapped[str | None] = mapped_column(Text)
