"""De-identification for evaluator datasets: ids that link only where they should, free text
with no names or numbers left in it, dates and ages that say enough and no more, groups no
smaller than the profile allows, and CSV cells a spreadsheet will not run."""
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.exports.deidentify import (
    age_band_column, age_column, coarsen_column, days_since_column, shifted_column,
    AGE_EDGES, Drop, PLACEHOLDERS, Recode, age_at, age_band, coarsen, days_since, defuse, generalise,
    pseudonym, scrub, shift_days, shifted, smallest_group, wider_bands,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


# Pseudonymous ids ------------------------------------------------------------------------------

def test_the_same_key_gives_the_same_ids_in_every_export():
    first = [pseudonym("family", i, KEY) for i in range(1, 1001)]
    again = [pseudonym("family", i, KEY) for i in range(1, 1001)]
    assert first == again
    assert len(set(first)) == 1000


def test_a_recipient_keeps_its_ids_across_exports():
    assert pseudonym("member", 7, KEY, recipient="Uni of Cardiff") == pseudonym("member", 7, KEY, recipient="Uni of Cardiff")


@pytest.mark.parametrize("a, b", [(None, "Uni of Cardiff"), ("Uni of Cardiff", "Uni of Leeds")])
def test_two_recipients_share_no_id_over_a_thousand_families(a, b):
    ids_a = {pseudonym("family", i, KEY, recipient=a) for i in range(1, 1001)}
    ids_b = {pseudonym("family", i, KEY, recipient=b) for i in range(1, 1001)}
    assert not ids_a & ids_b


def test_another_key_gives_unrelated_ids():
    assert not {pseudonym("family", i, KEY) for i in range(1000)} & {pseudonym("family", i, OTHER_KEY) for i in range(1000)}


def test_families_members_and_responses_with_the_same_internal_id_get_different_ids():
    assert len({pseudonym(kind, 42, KEY) for kind in ("family", "member", "response")}) == 3


def test_an_id_is_sixteen_base32_characters_that_do_not_reveal_the_internal_id():
    ids = [pseudonym("response", i, KEY) for i in range(200)]
    assert all(re.fullmatch(r"[A-Z2-7]{16}", p) for p in ids)
    assert sorted(ids) != ids  # not in internal-id order


@pytest.mark.parametrize("key", [b"", b"short", b"x" * 31])
def test_a_short_key_is_refused_with_how_to_make_one(key):
    with pytest.raises(ValueError, match="at least 32.*secrets.token_hex"):
        pseudonym("family", 1, key)


def test_a_text_key_is_refused_until_encoded():
    with pytest.raises(TypeError, match="bytes"):
        pseudonym("family", 1, "k" * 32)


@pytest.mark.parametrize("kind, internal_id", [("", 1), ("Family", 1), ("family:1", 1), ("family", "1"), ("family", True)])
def test_a_kind_that_is_not_a_word_or_an_id_that_is_not_a_number_is_refused(kind, internal_id):
    with pytest.raises((ValueError, TypeError)):
        pseudonym(kind, internal_id, KEY)


def test_a_recipient_without_a_name_is_refused():
    with pytest.raises(ValueError, match="name"):
        pseudonym("family", 1, KEY, recipient="  ")


# Free text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("call me on 07911 123 456", "call me on [phone]"),
    ("+44 (0)7911123456", "[phone]"),
    ("text 07911-123-456 or 07911123456.", "text [phone] or [phone]."),
    ("landline 020 7946 0958, mobile +447911123456", "landline [phone], mobile [phone]"),
    ("my sister in France: +33 1 23 45 67 89", "my sister in France: [phone]"),
    ("the drama number 07700 900123", "the drama number [phone]"),
    ("jo.bloggs@example.com", "[email]"),
    ("Email Jo.Bloggs+school@mail.example.co.uk!", "Email [email]!"),
    ("we moved to SW1A 1AA last year", "we moved to [postcode] last year"),
    ("cf10 1aa and CF101AA", "[postcode] and [postcode]"),
    ("https://x.example/y", "[url]"),
    ("see www.example.org/help.", "see [url]."),
    ("(https://x.example/y?user=jo@example.com)", "([url])"),
])
def test_contact_details_are_replaced_with_placeholders(text, expected):
    assert scrub(text) == (expected, expected.count("["))


@pytest.mark.parametrize("text", [
    "I scored 12 34 56 on the quiz in 2024",
    "we met 3 times a week from 9:30 to 11:00",
    "Annual review went well, 8/10",
    "the M1 was busy and B12 tablets helped",
])
def test_ordinary_numbers_and_words_are_left_alone(text):
    assert scrub(text) == (text, 0)


def test_welsh_names_are_replaced_whatever_their_case_longest_first():
    known = ["Siân", "Dafydd", "Dafydd ap Gruffydd", "Llŷr Ellis-Jones", "Gwenllïan"]
    text = "SIÂN took dafydd ap  gruffydd and Llŷr Ellis-Jones; gwenllïan stayed with Dafydd."
    assert scrub(text, known) == ("[name] took [name] and [name]; [name] stayed with [name].", 5)


def test_known_names_match_only_whole_words():
    assert scrub("Ann went to the Annual day with Annie", ["Ann"]) == ("[name] went to the Annual day with Annie", 1)


def test_apostrophes_in_names_match_either_way():
    assert scrub("O’Brien and o'brien", ["O'Brien"]) == ("[name] and [name]", 2)


def test_the_familys_numbers_and_case_reference_are_found_however_typed():
    known = ["07911123456", "FS-2024-0193"]
    assert scrub("ring 0791 112 3456 about case fs-2024-0193", known) == ("ring [phone] about case [name]", 2)


def test_a_known_string_that_is_a_placeholder_word_does_not_grow_placeholders():
    text, count = scrub("Name: Phone", ["name", "phone"])
    assert (text, count) == ("[name]: [name]", 2)
    assert scrub(text, ["name", "phone"]) == (text, 0)


names = st.text(st.characters(categories=["L"]), min_size=2, max_size=12)
free_text = st.text(max_size=200)


def _interleave(draw_texts, draw_names):
    return "".join(t + " " + n + " " for t, n in zip(draw_texts, draw_names))


def _word_present(known: str, text: str) -> bool:
    without_placeholders = re.sub("|".join(map(re.escape, PLACEHOLDERS)), " ", text)
    return re.search(rf"(?<!\w){re.escape(known)}(?!\w)", without_placeholders, re.IGNORECASE) is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(names, min_size=1, max_size=5), st.lists(free_text, min_size=1, max_size=5), st.data())
def test_no_known_name_survives_scrubbing(known, texts, data):
    cases = data.draw(st.lists(st.sampled_from([str.lower, str.upper, str.title, lambda s: s]), min_size=len(known), max_size=len(known)))
    text = _interleave(texts, [case(name) for case, name in zip(cases, known)])
    scrubbed, count = scrub(text, known)
    assert not [name for name in known if _word_present(name, scrubbed)]
    if any(_word_present(name, text) for name in known):
        assert count >= 1


@settings(max_examples=300, deadline=None)
@given(free_text, st.lists(names, max_size=3))
def test_scrubbing_twice_changes_nothing_more(text, known):
    once, _ = scrub(text, known)
    assert scrub(once, known) == (once, 0)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.lists(st.text(), max_size=4))
def test_scrubbing_never_fails_on_any_text(text, known):
    scrubbed, count = scrub(text, known)
    assert isinstance(scrubbed, str) and count >= 0


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"0?7[0-9]{3} ?[0-9]{3} ?[0-9]{3}", fullmatch=True),
       st.text(st.characters(exclude_categories=["Nd"]), max_size=100))
def test_every_uk_mobile_number_is_removed_whatever_surrounds_it(number, text):
    scrubbed, _ = scrub(f"{text} call {number} ok")
    assert not re.search(r"\d", scrubbed)


def test_text_that_is_not_a_string_is_refused():
    with pytest.raises(TypeError):
        scrub(None)


# Dates ------------------------------------------------------------------------------------------

def test_days_since_the_anchor_are_whole_days_and_negative_before_it():
    entry = date(2026, 3, 1)
    assert days_since(date(2026, 3, 31), entry) == 30
    assert days_since(date(2026, 2, 28), entry) == -1
    assert days_since(datetime(2026, 3, 2, 23, 59), entry) == 1
    assert days_since(None, entry) is None


def test_a_familys_shift_is_the_same_every_time_and_within_six_months():
    offsets = [shift_days(pseudonym("family", i, KEY), KEY) for i in range(1000)]
    assert offsets == [shift_days(pseudonym("family", i, KEY), KEY) for i in range(1000)]
    assert all(-182 <= o <= 182 for o in offsets)
    assert len(set(offsets)) > 300  # spread across the range, not a handful of values
    assert min(offsets) < -150 and max(offsets) > 150


def test_shifting_keeps_intervals_within_a_family():
    offset = shift_days(17, KEY)
    entry, exit_ = date(2026, 1, 10), date(2026, 8, 3)
    assert shifted(exit_, offset) - shifted(entry, offset) == exit_ - entry
    assert shifted(None, offset) is None


def test_families_get_different_shifts_and_the_key_matters():
    assert len({shift_days(i, KEY) for i in range(20)}) > 10
    assert [shift_days(i, KEY) for i in range(20)] != [shift_days(i, OTHER_KEY) for i in range(20)]


def test_shifting_refuses_a_short_key():
    with pytest.raises(ValueError, match="at least 32"):
        shift_days(1, b"short")


# Ages --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("age, band", [
    (0, "0–7"), (7, "0–7"), (8, "8–11"), (11, "8–11"), (12, "12–15"), (15, "12–15"),
    (16, "16–17"), (17, "16–17"), (18, "18–24"), (24, "18–24"), (25, "25–34"),
    (49, "35–49"), (50, "50–64"), (64, "50–64"), (65, "65+"), (103, "65+"), (None, None),
])
def test_ages_fall_in_the_band_their_edges_say(age, band):
    assert age_band(age, AGE_EDGES) == band


def test_a_band_one_year_wide_is_written_as_that_year():
    assert age_band(16, [0, 16, 17, 18]) == "16"


@pytest.mark.parametrize("age, edges", [(5, [8, 12]), (10, []), (10, [0, 12, 12]), (10, [12, 8])])
def test_ages_below_the_first_band_and_edges_that_do_not_rise_are_refused(age, edges):
    with pytest.raises(ValueError):
        age_band(age, edges)


@pytest.mark.parametrize("year, month, on, age", [
    (2010, 3, date(2026, 3, 31), 15),  # born in March: 16 only from April
    (2010, 3, date(2026, 4, 1), 16),
    (2010, None, date(2026, 12, 31), 15),  # month unknown: counted from December
    (None, None, date(2026, 1, 1), None),
])
def test_ages_are_whole_years_from_birth_year_and_month(year, month, on, age):
    assert age_at(year, month, on) == age


# Timestamps --------------------------------------------------------------------------------------

@pytest.mark.parametrize("unit, expected", [
    ("day", date(2026, 7, 16)), ("week", date(2026, 7, 13)), ("month", date(2026, 7, 1)),
])
def test_timestamps_keep_only_their_day_week_or_month(unit, expected):
    assert coarsen(datetime(2026, 7, 16, 14, 3, 27), unit) == expected


def test_an_aware_timestamp_is_coarsened_in_the_services_time_zone():
    # 23:30 UTC on Sunday 31 May is 00:30 BST on Monday 1 June: a new day, week and month.
    moment = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert [coarsen(moment, unit) for unit in ("day", "week", "month")] == [date(2026, 6, 1)] * 3


def test_coarsening_to_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="day, a week, a month"):
        coarsen(date(2026, 1, 1), "hour")


# Disclosure control ------------------------------------------------------------------------------

def _rows():
    return pd.DataFrame(_records())


def _records():
    rows = [{"site": "North", "role": "mother", "age_band": "35–49", "language": "en", "score": s} for s in range(6)]
    rows += [{"site": "North", "role": "father", "age_band": "35–49", "language": "en", "score": s} for s in range(4)]
    rows += [{"site": "South", "role": "father", "age_band": "16–17", "language": language, "score": 3} for language in ("cy", "en")]
    rows += [{"site": "South", "role": "father", "age_band": "18–24", "language": "en", "score": 2}]
    return rows


QUASI = ["site", "role", "age_band", "language"]
WIDER = Recode("age_band", wider_bands([0, 18, 65]), "age bands widened to 0–17, 18–64, 65+")
LADDER = [WIDER, Drop("language"), Drop("site")]


def test_k_is_the_size_of_the_rarest_combination():
    assert smallest_group(_rows(), QUASI) == 1
    assert smallest_group(_rows(), ["site"]) == 3
    assert smallest_group(_rows(), ["role"]) == 6
    assert smallest_group(_rows(), ["role", "age_band"]) == 1
    assert smallest_group(_rows(), []) == 13
    assert smallest_group(pd.DataFrame(), QUASI) == 0


def test_missing_values_form_one_group():
    rows = pd.DataFrame([{"site": None}, {"site": float("nan")}, {}])
    assert smallest_group(rows, ["site"]) == 3
    assert smallest_group(pd.DataFrame({"role": ["mother"] * 3}), ["site", "role"]) == 3


def test_nothing_is_generalised_when_k_is_already_enough():
    result = generalise(_rows(), ["role"], 5, [Drop("role")])
    assert not result.refused and result.steps == () and result.frame.equals(_rows()) and result.k == 6


def test_generalising_stops_at_the_first_step_that_reaches_k():
    result = generalise(_rows(), ["role", "age_band"], 2, [WIDER, Drop("role")])
    assert result.steps == ("age bands widened to 0–17, 18–64, 65+",) and result.k == 2
    assert result.quasi == ("role", "age_band")
    assert set(result.frame["age_band"]) == {"0–17", "18–64"}


def test_generalising_climbs_the_whole_ladder_when_needed():
    result = generalise(_rows(), QUASI, 2, LADDER)
    assert result.steps == ("age bands widened to 0–17, 18–64, 65+", "language left out", "site left out")
    assert result.quasi == ("role", "age_band") and result.k == 2 and not result.refused
    assert "site" not in result.frame.columns and "language" not in result.frame.columns
    assert result.frame["score"].tolist() == _rows()["score"].tolist()


def test_generalising_leaves_the_callers_rows_alone():
    rows = _rows()
    generalise(rows, QUASI, 2, LADDER)
    assert rows.equals(_rows())


def test_a_refusal_names_the_combination_too_small_but_no_row():
    result = generalise(_rows(), QUASI, 3, LADDER)
    assert result.refused and result.frame is None and result.k == 2
    assert result.smallest == {"role": "father", "age_band": "0–17"}
    assert "(role = father, age_band = 0–17) has 2 rows" in result.message and "at least 3" in result.message
    assert "score" not in result.message and "South" not in result.message


def test_a_step_on_a_column_that_is_not_a_quasi_identifier_is_refused():
    with pytest.raises(ValueError, match="'score'"):
        generalise(_rows(), QUASI, 5, [Drop("score")])


def test_wider_bands_must_contain_the_narrower_ones():
    with pytest.raises(ValueError, match="16–17"):
        wider_bands([0, 17, 65])("16–17")
    assert wider_bands([0, 18, 65])("65+") == "65+"
    assert wider_bands([0, 18])("16") == "0–17"


# Spreadsheet cells -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\",\"click\")", "'=HYPERLINK(\"http://x\",\"click\")"),
    ("+44 7911 123456", "'+44 7911 123456"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r'=1"),
    # Every line inside a cell is a line start too: for a spreadsheet and for a reader splitting lines.
    ("ok\n=HYPERLINK(\"http://x\")", "ok\n'=HYPERLINK(\"http://x\")"),
    ("More visits\r@SUM(1+1)*cmd|' /C calc'!A0", "More visits\r'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("a\r\n+1\n\n-x", "a\r\n'+1\n\n'-x"),
    ("a\n\t=1", "a\n'\t=1"),
    ("a\u2028@x", "a\u2028'@x"),
    ("-9\n=1", "'-9\n'=1"),  # a cell with a line break is never a number
    ("fine\nwell = fine", "fine\nwell = fine"),
    ("-", "'-"),
    ("fine = well", "fine = well"),
    ("", ""),
    (-3, -3),
    (-2.5, -2.5),
    (0, 0),
    ("-9", "-9"),  # a missing-value code written as text is still a number to a spreadsheet
    ("+1.5", "+1.5"),
    (None, None),
    (True, True),
    (date(2026, 1, 1), date(2026, 1, 1)),
])
def test_cells_that_a_spreadsheet_would_run_are_defused(value, expected):
    result = defuse(value)
    assert result == expected and type(result) is type(expected)


# Whole columns agree with the one-value rules --------------------------------------------------

_moments = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31))
_days = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_moments, st.one_of(st.none(), _days), st.one_of(st.none(), st.integers(1990, 2025)),
                          st.one_of(st.none(), st.integers(1, 12)), st.integers(-182, 182)),
                min_size=1, max_size=30),
       st.sampled_from(["day", "week", "month"]), st.booleans())
def test_the_column_rules_give_what_the_one_value_rules_give(rows, unit, aware):
    moments = [moment.replace(tzinfo=UTC) if aware else moment for moment, *_ in rows]
    frame = pd.DataFrame({"moment": moments, "anchor": [r[1] for r in rows], "year": [r[2] for r in rows],
                          "month": [r[3] for r in rows], "offset": [r[4] for r in rows]})
    assert [None if pd.isna(v) else v for v in days_since_column(frame["moment"], frame["anchor"])] == \
        [days_since(m, a) for m, a in zip(moments, frame["anchor"].tolist())]
    on = [m.date() for m in moments]
    ages = age_column(frame["year"], frame["month"], frame["moment"])
    assert [None if pd.isna(v) else v for v in ages] == \
        [age_at(r[2], r[3], d) for r, d in zip(rows, on)]
    assert age_band_column(ages).tolist() == [age_band(None if pd.isna(a) else int(a)) for a in ages]
    assert coarsen_column(frame["moment"], unit).tolist() == [coarsen(m, unit) for m in moments]
    assert shifted_column(frame["moment"], frame["offset"]).tolist() == \
        [shifted(m, o) for m, o in zip(moments, frame["offset"].tolist())]


def test_pseudonyms_are_the_first_characters_of_the_whole_digest_in_base32():
    # Only the digest bytes the kept characters come from are encoded, and the one-call HMAC is used:
    # the ids must be those of the full digest's encoding, as every earlier export made them.
    import base64
    import hashlib
    import hmac
    import random

    from feedback.exports.pseudonyms import PSEUDONYM_CHARS, pseudonym_map, recipient_key

    key = bytes(range(40))
    ids = list(range(300)) + [random.Random(7).randrange(10**15) for _ in range(300)]
    for recipient in (None, "University of Wales"):
        derived = recipient_key(key, recipient)
        names = pseudonym_map("member", ids, key, recipient)
        for internal_id in ids:
            digest = hmac.new(derived, f"member:{internal_id}".encode(), hashlib.sha256).digest()
            assert names[internal_id] == base64.b32encode(digest).decode("ascii")[:PSEUDONYM_CHARS]
