"""Numbers typed the way each language writes them (a comma once turned 2,5 into 25)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from feedback.survey.numbers import read_number


@pytest.mark.parametrize("text, language, number", [
    ("2,5", "pl", 2.5), ("2,5", "ro", 2.5), ("2.5", "pl", 2.5), ("1.000", "pl", 1000), ("1 000,5", "pl", 1000.5),
    ("2,5", "en", 2.5), ("1,000", "en", 1000), ("12,500.5", "en", 12500.5), ("2.5", "cy", 2.5),
    ("٣", "ar", 3), ("٢٫٥", "ar", 2.5), ("۱۲", "ur", 12), ("৭", "bn", 7), (" 3 ", "so", 3), ("-2", "en", -2),
    ("３", "en", 3),
])
def test_a_number_reads_as_its_language_writes_it(text, language, number):
    assert read_number(text, language) == number


@pytest.mark.parametrize("text", ["", "abc", "2,5,1", "1.2.3,4,5", "2..5", "3 apples", "1e5", "nan", "inf", ","])
@pytest.mark.parametrize("language", ["en", "pl"])
def test_what_is_not_a_number_is_refused(text, language):
    with pytest.raises(ValueError):
        read_number(text, language)


@given(st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_a_decimal_written_with_a_comma_in_polish_is_the_same_number(value):
    written = f"{value:.2f}".replace(".", ",")
    assert read_number(written, "pl") == pytest.approx(float(value))


def test_an_sms_reply_reads_numbers_as_the_members_language_writes_them():
    from feedback.sms.conversation import _number

    assert _number("2,5", "pl") == 2.5 and _number("2,5", "en") == 2.5
    assert _number("1,000", "en") == 1000 and _number("(3)", "ur") == 3 and _number("٣", "ar") == 3
    assert _number("2,5,1", "pl") is None and _number("three", "en") is None


def test_a_web_answer_in_polish_with_a_decimal_comma_is_stored_as_two_and_a_half():
    from types import SimpleNamespace

    from wtforms.validators import ValidationError

    from feedback.survey.forms import _number_value

    item = SimpleNamespace(integer=False, minimum=0, maximum=10, id="hours")
    assert _number_value(item, "2,5", None, "pl") == 2.5
    whole = SimpleNamespace(integer=True, minimum=0, maximum=10, id="count")
    assert _number_value(whole, "3", None, "pl") == 3
    with pytest.raises(ValidationError):
        _number_value(whole, "2,5", None, "en")  # never 25
