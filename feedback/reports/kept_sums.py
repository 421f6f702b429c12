"""Sums kept per family for Cronbach's alpha on scale-change (``scale_data.kept_item_sums``).

Alpha needs, over the units (members or families) who answered every item of a scale at its
first wave, each item's sum and sum of squares and the same of their total: sums, so a family's
share can be worked out once and added up for any cohort. One row per keeping (instrument, scale
and its definition, unit, wave: ``scale_data.sums_keeping``), family and ``part``: a part holds
up to ``PART`` items in order (``s<j>``: the sum of item 16 × part + j, ``q<j>``: its squares);
part 0 also holds the family's units with a response answering the scale (``units``), those with
every item scored (``n``) and their totals' sum and squares. Stamped and made again with the
kept answers (``pair_store``: the family's rows go whenever its completed responses differ from
its stamp, and when the family is erased). Numeric, so PostgreSQL's sums are exact.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

#: Items per row.
PART = 16


class KeptScaleSums(db.Model):
    __tablename__ = "report_kept_scale_sums"

    keeping: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal | None] = mapped_column(Numeric)
    total_squares: Mapped[Decimal | None] = mapped_column(Numeric)


for _j in range(PART):
    setattr(KeptScaleSums, f"s{_j}", mapped_column(f"s{_j}", Numeric, nullable=True))
    setattr(KeptScaleSums, f"q{_j}", mapped_column(f"q{_j}", Numeric, nullable=True))
del _j


class KeptScaleScore(db.Model):
    """scale-change's scores kept per unit (``scale_data.kept_scores``): each unit's (member's or
    family's) latest score on one scale at each wave (``slot``: the wave), or its first and latest
    (slots ``first`` and ``latest``) where it has two or more. Stamped and made again with the kept
    answers, as ``KeptScaleSums``."""

    __tablename__ = "report_kept_scale_scores"
    __table_args__ = (Index("ix_report_kept_scale_scores_keeping_family_id", "keeping", "family_id"),)

    keeping: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
