"""Which consent is in force. Pure rules: decisions in, yes or no out.

The latest decision for a purpose and party is in force (a withdrawal is just a later decision),
so withdrawing takes effect at once and nothing is ever edited. Under-16s need both a parent's
consent and their own agreement; from 16 a person's own decision is the only one that counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .eligibility import CHILD_ROLES

#: From this age a member's own consent is enough (and a parent's cannot replace it).
OWN_CONSENT_AGE = 16


@dataclass(frozen=True)
class Decision:
    purpose: str
    party: str  # "self" or "parent"
    given: bool
    recorded_at: datetime


def needs_parent_consent(role: str, age: int | None) -> bool:
    """Children whose age is not known are treated as under 16: the safer reading."""
    if age is None:
        return role in CHILD_ROLES
    return age < OWN_CONSENT_AGE


def latest(decisions, purpose: str, party: str) -> Decision | None:
    chosen = None
    for decision in decisions:
        if decision.purpose == purpose and decision.party == party:
            if chosen is None or decision.recorded_at >= chosen.recorded_at:
                chosen = decision
    return chosen


def in_force(decisions, purpose: str, role: str, age: int | None) -> bool:
    """Whether the member may be asked (``participation``) or texted (``sms``) right now."""
    own = latest(decisions, purpose, "self")
    if own is None or not own.given:
        return False
    if needs_parent_consent(role, age):
        parent = latest(decisions, purpose, "parent")
        return parent is not None and parent.given
    return True
