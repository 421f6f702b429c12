"""Who may answer an instrument: member roles, ages from birth year and month, instrument rules.

Only a birth year and month are kept, never a full birth date, so an age is worked out as the
youngest the person could be: someone born in March turns a year older on 1 April at the latest,
and is counted a year older only from then.
"""
from __future__ import annotations

from datetime import date

from ..instruments.definition import Instrument

MEMBER_ROLES = ("mother", "father", "partner", "other_carer", "child", "young_person", "other")
#: Which instrument respondent roles each member role fills.
CARER_ROLES = {"mother", "father", "partner", "other_carer"}
#: Children and young people: a parent's consent, children's outcomes, reports' split by role.
CHILD_ROLES = ("child", "young_person")


def age_on(birth_year: int, birth_month: int, on: date) -> int:
    """Whole years on ``on``; counted from the end of the birth month, so never overstated."""
    if not 1 <= birth_month <= 12:
        raise ValueError(f"birth month {birth_month} is not 1–12")
    age = on.year - birth_year
    if on.month <= birth_month:
        age -= 1  # the birthday may not have happened yet this year
    return max(age, 0)


def may_answer(instrument: Instrument, member_role: str, age: int | None) -> bool:
    """Whether a family member with this role and age is one of the instrument's respondents."""
    if member_role not in MEMBER_ROLES:
        raise ValueError(f"unknown member role {member_role!r}")
    for respondent in instrument.respondents:
        if respondent.min_age is not None and (age is None or age < respondent.min_age):
            continue
        if respondent.max_age is not None and (age is None or age > respondent.max_age):
            continue
        if fills(respondent.role, member_role):
            return True
    return False


def fills(respondent_role: str, member_role: str) -> bool:
    """Whether a member with this role is the kind of respondent named, ages aside."""
    if respondent_role == "family_member":
        return True
    if respondent_role == "parent_carer":
        return member_role in CARER_ROLES
    if respondent_role in ("young_person", "child"):
        return member_role in CHILD_ROLES
    return False  # practitioner and partner_staff are not family members
