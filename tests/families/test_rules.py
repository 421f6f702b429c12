"""Phone numbers, ages and who may answer what."""
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.families.eligibility import age_on, may_answer
from feedback.families.phones import InvalidPhoneNumber, normalise_mobile
from feedback.instruments import load_catalogue

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[2] / "questionnaires")


@pytest.mark.parametrize("typed", ["07912 345678", "+44 7912 345678", "(07912) 345-678", "0044 7912 345678"])
def test_uk_mobiles_are_stored_in_e164_whatever_way_they_are_typed(typed):
    assert normalise_mobile(typed) == "+447912345678"


@pytest.mark.parametrize("typed, reason", [
    ("not a number", "is not a phone number"),
    ("07912 3456", "is not a valid number"),
    ("020 7946 0018", "is not a mobile number"),
])
def test_numbers_that_cannot_receive_texts_are_refused_with_the_reason(typed, reason):
    with pytest.raises(InvalidPhoneNumber, match=reason):
        normalise_mobile(typed)


def test_age_counts_a_birthday_only_once_the_birth_month_is_over():
    assert age_on(2018, 3, date(2026, 3, 15)) == 7   # may not be eight yet
    assert age_on(2018, 3, date(2026, 4, 1)) == 8
    assert age_on(2018, 12, date(2026, 12, 31)) == 7


@given(st.integers(1950, 2025), st.integers(1, 12), st.dates(min_value=date(2026, 1, 1), max_value=date(2040, 1, 1)))
def test_the_age_is_never_more_than_the_true_age_and_at_most_one_year_less(year, month, on):
    true_ages = []
    for day in (1, 28):
        born = date(year, month, day)
        true_ages.append(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
    assert max(min(true_ages) - 1, 0) <= age_on(year, month, on) <= max(min(true_ages), 0)


def test_family_functioning_is_for_any_member_over_seven():
    instrument = CATALOGUE.latest("family-functioning")
    assert may_answer(instrument, "child", 8) and may_answer(instrument, "father", 40)
    assert not may_answer(instrument, "child", 7)
    assert not may_answer(instrument, "child", None)


def test_exit_interview_is_for_parents_and_carers_and_young_people_of_eleven_or_more():
    instrument = CATALOGUE.latest("exit-interview")
    assert may_answer(instrument, "father", 30) and may_answer(instrument, "other_carer", None)
    assert may_answer(instrument, "young_person", 11)
    assert not may_answer(instrument, "child", 9)
