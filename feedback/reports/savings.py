"""Reading and changing the unit savings used by the cost-benefit report.

Every outcome has a value: the service's own where it has set one, otherwise the illustrative
default, whose source says plainly that it is a default to replace.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..audit.service import record
from ..extensions import db
from ..timeutil import utcnow
from .cost_benefit import DEFAULT_SOURCE, OUTCOMES
from .models import UnitSaving

MAX_SAVING = Decimal("10000000")


def unit_savings() -> dict[str, tuple[str, float, str]]:
    """Outcome key → (label, £ per individual, source), for every outcome."""
    stored = {row.outcome: row for row in db.session.query(UnitSaving)}
    result = {}
    for outcome in OUTCOMES:
        row = stored.get(outcome.key)
        result[outcome.key] = ((outcome.label, float(row.amount), row.source) if row is not None
                               else (outcome.label, float(outcome.default_saving), DEFAULT_SOURCE))
    return result


def parse_amount(text: str) -> Decimal:
    """A £ amount typed by a person ("£7,800", "7800.50"); ``ValueError`` says what is wrong."""
    cleaned = (text or "").strip().replace("£", "").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("%(text)s is not an amount of money; write it like 7800 or 7,800.50", text=repr(text))) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_SAVING:
        raise ValueError(_("an amount must be between £0 and £%(most)s", most="{:,}".format(MAX_SAVING)))
    return amount.quantize(Decimal("0.01"))


def set_unit_saving(outcome_key: str, amount: Decimal, source: str, actor_id: int | None) -> None:
    """Store the service's value for one outcome (audit-logged with the old and new amount)."""
    if outcome_key not in {outcome.key for outcome in OUTCOMES}:
        raise ValueError(f"unknown outcome {outcome_key!r}")
    source = (source or "").strip()
    if not source:
        raise ValueError(_("say where the figure comes from, so readers can judge it"))
    row = db.session.get(UnitSaving, outcome_key)
    before = None if row is None else str(row.amount)
    if row is None:
        row = UnitSaving(outcome=outcome_key)
        db.session.add(row)
    row.amount, row.source, row.updated_at, row.updated_by = amount, source[:200], utcnow(), actor_id
    record("report.unit_saving", None, None, actor_id, outcome=outcome_key, before=before, after=str(amount))
