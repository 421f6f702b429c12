"""The service's own unit savings for the cost-benefit report (the defaults live in code)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
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


#: The kept pairs ``ix_report_kept_answers_to_none`` holds.
AVOIDED_WHERE = """"after" = '0' AND "before" <> '0'"""


class KeptAnswer(db.Model):
    """Answers kept per family so that a report over thousands of families counts a narrow table
    instead of ranking and pairing millions of answers on every page view.

    One keeping (``pair_store``) is one way of reading an instrument, and its rows are per
    subject (a member or a family) and item, in a ``slot``:

    - pairs across two waves: the latest answer at the first wave (``before``) and at the second
      (``after``), kept only where both exist; a member's in slot ``child`` or ``adult`` (the
      member's role when kept, so that counts split by role join no members; ``pair`` if the
      member is not on record), a family's in slot ``pair``;
    - latest answers (slot: the wave): the latest answer at that wave, in ``after``;
    - star moves (slot ``up``, ``same`` or ``down``): an item's answer at the family's first
      reading (``before``) and latest (``after``), both on the scale; star gaps (slot ``gap``, item
      the area): the parent's latest reading minus the key worker's (``after``).

    Rows are only ever a copy: a family's rows are thrown away and made again whenever its
    completed responses, or its members' roles, differ from its ``KeptStamp``. Values are JSON text, as
    ``CAST(value AS TEXT)`` reads them.
    """

    __tablename__ = "report_kept_answers"
    __table_args__ = (
        Index("ix_report_kept_answers_keeping_family_id", "keeping", "family_id"),
        # The pairs that moved from something to "0" (no concern, in the assessments): the only
        # rows cost-benefit's families avoiding an outcome read, 2% of the members' pairs at
        # 100,000 families, found here instead of by filtering all 3.75 million (0.39 → 0.05 s).
        # The query only has to imply the predicate; one that does not is answered as before.
        Index("ix_report_kept_answers_to_none", "keeping", "item_id", postgresql_include=["slot", "before", "family_id"],
              postgresql_where=text(AVOIDED_WHERE), sqlite_where=text(AVOIDED_WHERE)),
    )

    #: Which keeping (kind, instrument, level, waves, items), as a number: see ``pair_store``.
    keeping: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The member (member level) or family (family level) whose answers these are.
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class KeptStamp(db.Model):
    """What a family's kept answers (of one keeping) were worked out from: how many completed
    responses to the instrument at the waves read it had, the highest of their ids, and how many
    times its members' roles had changed.
    Completed responses are never edited, and a new one always has a higher id, so a different
    stamp means new or removed responses and the family's rows are made again."""

    __tablename__ = "report_kept_stamps"

    keeping: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    last_response_id: Mapped[int] = mapped_column(Integer)
    #: The family's ``member_changes`` then: member pairs hold each member's role, so a role
    #: corrected (or a member removed) makes them again even though no response changed.
    member_changes: Mapped[int] = mapped_column(Integer, server_default="0")
