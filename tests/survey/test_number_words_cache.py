"""Issue 24: numbers written the locale's way are worked out once per (number, locale) and kept
(``bidi._decimal``); what is kept must be what Babel writes, for each locale on its own."""
from decimal import Decimal

from babel.numbers import format_decimal
from flask import g

from feedback.survey.bidi import count_words, number_words

VALUES = [2, 2.0, 2.5, 1234, 1234.5, -9, 0, Decimal("2.50"), 10**7]


def test_kept_numbers_are_babels_for_each_locale_in_turn(app):
    for _round in range(2):  # the second round reads what the first kept
        for language in ("en", "pl", "ur", "ar", "cy", "en"):
            with app.test_request_context("/s/x/q/y"):
                g.locale = language
                for value in VALUES:
                    shown = int(value) if isinstance(value, float) and value.is_integer() else value
                    assert number_words(value) == format_decimal(shown, locale=language, group_separator=False)
                    assert count_words(value) == format_decimal(value, locale=language)


def test_grouped_and_ungrouped_numbers_are_kept_apart(app):
    with app.test_request_context("/s/x/q/y"):
        g.locale = "en"
        assert count_words(1234) == "1,234" and number_words(1234) == "1234" and count_words(1234) == "1,234"
    with app.test_request_context("/s/x/q/y"):
        g.locale = "pl"
        assert number_words(1234.5) == "1234,5" and count_words(1234) != "1,234"
