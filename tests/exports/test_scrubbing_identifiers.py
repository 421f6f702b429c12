"""Free text scrubbed before it leaves: dates of birth, National Insurance numbers, a case reference
however it was typed, and a first name or surname alone when the record holds the full name."""
from __future__ import annotations

import pytest

from feedback.exports.scrub import scrub


@pytest.mark.parametrize("written", ["14/03/1985", "14-3-85", "14.03.1985", "1985-03-14", "14 March 1985",
                                     "14th of March 1985", "March 14th, 1985", "mar 14 1985"])
def test_a_full_date_that_may_be_a_birth_date_is_removed(written):
    assert scrub(f"her date of birth is {written}.") == ("her date of birth is [date].", 1)


def test_scores_fractions_and_a_month_alone_stay():
    text = "scored 14/20 then 3-4, two thirds (2/3) done in March 2024, version 1.2.3"
    assert scrub(text) == (text, 0)


@pytest.mark.parametrize("written", ["QQ 12 34 56 C", "ab123456c", "AB123456 D"])
def test_a_national_insurance_number_is_removed(written):
    assert scrub(f"NI {written} on file") == ("NI [ni number] on file", 1)


@pytest.mark.parametrize("typed", ["FS-2024-0193", "fs 2024 0193", "FS2024/0193", "fs_2024.0193"])
def test_a_case_reference_is_found_however_it_was_typed(typed):
    assert scrub(f"see case {typed} please", ["FS-2024-0193"]) == ("see case [name] please", 1)


def test_a_first_name_or_a_surname_alone_is_found_when_the_record_holds_the_full_name():
    text = "Zephyrine came early; Smith rang later. The smithy was shut."
    assert scrub(text, ["Zephyrine Smith"]) == ("[name] came early; [name] rang later. The smithy was shut.", 2)
