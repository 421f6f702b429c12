"""How many segments a text costs, so a template that grows is caught before it is sent."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.sms.segments import (
    GSM_BASIC, GSM_EXTENSION, SegmentBudgetExceeded, SegmentCount, check_budget, non_gsm_characters, segments,
)

GSM_ONLY = st.text(alphabet=sorted(GSM_BASIC))
ANY_TEXT = st.text(max_size=600)


@pytest.mark.parametrize("text, expected", [
    ("", SegmentCount("GSM-7", 0, 0)),
    ("Hello", SegmentCount("GSM-7", 5, 1)),
    ("a" * 160, SegmentCount("GSM-7", 160, 1)),
    ("a" * 161, SegmentCount("GSM-7", 161, 2)),
    ("a" * 306, SegmentCount("GSM-7", 306, 2)),
    ("a" * 307, SegmentCount("GSM-7", 307, 3)),
    ("{" * 80, SegmentCount("GSM-7", 160, 1)),            # extension characters cost two septets
    ("€5 [about] ^_^ ~|\\", SegmentCount("GSM-7", 26, 1)),  # 18 characters, 8 of them doubled
    ("ŵ" * 70, SegmentCount("UCS-2", 70, 1)),
    ("ŵ" * 71, SegmentCount("UCS-2", 71, 2)),
    ("ŵ" * 134, SegmentCount("UCS-2", 134, 2)),
    ("ŵ" * 135, SegmentCount("UCS-2", 135, 3)),
    ("😀" * 35, SegmentCount("UCS-2", 70, 1)),             # an emoji is two UTF-16 units
    ("😀" * 36, SegmentCount("UCS-2", 72, 2)),
    ("Café, señor? ça va!", SegmentCount("UCS-2", 19, 1)),  # é and ñ are GSM; ç is not (only Ç is)
])
def test_known_texts(text, expected):
    assert segments(text) == expected


@pytest.mark.parametrize("welsh", ["ŵ", "ŷ", "â", "ê", "î", "ô", "û", "Ŵ", "Â"])
def test_one_welsh_circumflex_turns_the_whole_text_into_ucs2(welsh):
    text = "Diolch " * 10 + welsh
    assert segments(text).encoding == "UCS-2"
    assert segments("Diolch " * 10).encoding == "GSM-7"


def test_an_extension_pair_is_never_split_across_segments():
    # 152 plain septets then "{": its two septets would straddle the 153 boundary, so it moves.
    assert segments("a" * 152 + "{" + "a" * 151).segments == 2
    assert segments("a" * 152 + "{" + "a" * 152).segments == 3
    assert segments("a" * 153 + "a" * 153).segments == 2


def test_a_surrogate_pair_is_never_split_across_segments():
    assert segments("ŵ" * 66 + "😀" + "ŵ" * 65).segments == 2
    assert segments("ŵ" * 66 + "😀" + "ŵ" * 66).segments == 3


@given(st.text(alphabet=sorted(GSM_BASIC), max_size=160))
def test_any_plain_gsm_text_up_to_160_characters_is_one_segment(text):
    count = segments(text)
    assert count.encoding == "GSM-7" and count.units == len(text)
    assert count.segments == (1 if text else 0)


@given(st.text(alphabet=sorted(GSM_BASIC | GSM_EXTENSION), min_size=1))
def test_gsm_septets_count_extension_characters_twice(text):
    assert segments(text).units == len(text) + sum(char in GSM_EXTENSION for char in text)


@given(ANY_TEXT, ANY_TEXT)
def test_adding_text_never_needs_fewer_segments(text, more):
    assert segments(text + more).segments >= segments(text).segments


@given(ANY_TEXT)
def test_the_segments_always_hold_the_units(text):
    count = segments(text)
    per_part = 153 if count.encoding == "GSM-7" else 67
    if count.segments > 1:
        assert (count.segments - 1) * per_part < count.units <= count.segments * per_part
    assert count.units >= len(text)


@given(ANY_TEXT)
def test_a_text_is_ucs2_exactly_when_some_character_is_not_gsm(text):
    assert (segments(text).encoding == "UCS-2") == bool(non_gsm_characters(text))


def test_a_text_within_budget_returns_its_count():
    assert check_budget("Reply STOP to stop these messages.", 1, "stop_footer").segments == 1


def test_an_over_budget_template_is_named_with_its_count_encoding_and_the_characters_to_blame():
    text = "Mae'n well gen i beidio â dweud. Diolch yn fawr iawn am ateb ein cwestiynau ŵ ŵ. " * 2
    with pytest.raises(SegmentBudgetExceeded) as caught:
        check_budget(text, 2, "invitation_cy")
    message = str(caught.value)
    assert "'invitation_cy'" in message and "3 SMS segments" in message and "at most 2" in message
    assert "UCS-2" in message and "'â', 'ŵ'" in message
    assert caught.value.count.segments == 3 and caught.value.non_gsm == ("â", "ŵ")
    assert isinstance(caught.value, ValueError)


def test_an_over_budget_gsm_template_just_asks_for_a_shorter_text():
    with pytest.raises(SegmentBudgetExceeded, match=r"'reminder' message needs 2 SMS segments \(161 septets, "
                                                    r"sent as GSM-7\) but may use at most 1\. Shorten the text\."):
        check_budget("a" * 161, 1, "reminder")
