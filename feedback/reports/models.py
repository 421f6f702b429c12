"""The service's own unit savings for the cost-benefit report (the defaults live in code)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Numeric, String
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
