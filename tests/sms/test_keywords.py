"""Which inbound texts are STOP, START or HELP keywords rather than answers."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.sms.keywords import DEFAULT_KEYWORDS, KINDS, from_opt_out_type, keyword


@pytest.mark.parametrize("body", ["STOP", "stop", "Stop", " stop. ", "STOP!", "“Stop”", "stop!!!", "\tSTOP\n",
                                  "STOPALL", "Unsubscribe", "cancel", "END", "quit.", "ＳＴＯＰ"])
def test_twilio_opt_out_words_opt_out_however_they_are_typed(body):
    assert keyword(body) == "opt_out"


@pytest.mark.parametrize("body", ["please stop texting me", "stop it", "don't stop", "STOP 🙏", "end of story",
                                  "stopp", "s.t.o.p"])
def test_only_the_whole_message_is_a_keyword(body):
    assert keyword(body) is None


@pytest.mark.parametrize("body, kind", [("START", "opt_in"), ("unstop", "opt_in"), ("help", "help"),
                                        ("Info?", "help")])
def test_opt_in_and_help_words(body, kind):
    assert keyword(body) == kind


@pytest.mark.parametrize("body", ["YES", "yes", "Yes!", "ie", "Ie."])
def test_yes_opts_in_only_a_number_that_has_opted_out(body):
    # For everyone else YES answers the yes/no question they were just asked.
    assert keyword(body) is None
    assert keyword(body, opted_out=False) is None
    assert keyword(body, opted_out=True) == "opt_in"


def test_start_opts_in_whether_or_not_the_number_had_opted_out():
    assert keyword("START", opted_out=False) == keyword("START", opted_out=True) == "opt_in"


@pytest.mark.parametrize("body, kind", [("STOPIO", "opt_out"), ("Diwedd", "opt_out"), ("canslo!", "opt_out"),
                                        ("Dechrau", "opt_in"), ("cymorth", "help"), ("Gwybodaeth", "help")])
def test_welsh_keywords(body, kind):
    assert keyword(body) == kind


def test_a_service_can_add_words_of_its_own():
    extra = {"NA MWY": "opt_out", "help me": "help"}
    assert keyword("Na mwy!", extra) == "opt_out"
    assert keyword("HELP ME", extra) == "help"
    assert keyword("na mwy", None) is None
    assert keyword("STOP", extra) == "opt_out"  # the defaults still apply


def test_an_extra_opt_in_word_is_not_held_back_like_yes():
    assert keyword("resume", {"RESUME": "opt_in"}) == "opt_in"


@pytest.mark.parametrize("extra, problem", [
    ({"PAUSE": "snooze"}, "kind 'snooze'"),
    ({"STOP": "help"}, "already a built-in opt_out keyword"),
    ({"  !! ": "opt_out"}, "empty"),
])
def test_a_misconfigured_extra_word_is_refused_with_the_reason(extra, problem):
    with pytest.raises(ValueError, match=problem):
        keyword("anything", extra)


def test_each_services_words_mean_only_what_that_service_said_even_once_remembered():
    """The table of words is built once per set of extra words (issue 24): another set, or none,
    never sees them, and a refused set is refused every time it is used."""
    ours, theirs = {"NA MWY": "opt_out"}, {"NA MWY": "help", "PAUSE": "opt_out"}
    for _ in range(2):
        assert keyword("na mwy", ours) == "opt_out"
        assert keyword("na mwy", theirs) == "help"
        assert keyword("pause", ours) is None and keyword("pause", theirs) == "opt_out"
        assert keyword("na mwy") is None
        with pytest.raises(ValueError, match="already a built-in"):
            keyword("anything", {**ours, "STOP": "help"})


def test_repeating_a_default_with_its_own_kind_is_harmless():
    assert keyword("stop", {"Stop": "opt_out"}) == "opt_out"


@pytest.mark.parametrize("value, kind", [("STOP", "opt_out"), ("START", "opt_in"), ("HELP", "help"),
                                         ("stop", "opt_out"), (" Help ", "help"), ("", None), (None, None),
                                         ("UNKNOWN", None)])
def test_twilio_opt_out_type_maps_to_the_same_kinds(value, kind):
    assert from_opt_out_type(value) == kind


@pytest.mark.parametrize("body", ["", "   ", None, "!!!", "😀", "😀" * 800, "x" * 2000, "STOP " * 400, "\x00"])
def test_odd_bodies_are_not_keywords_and_do_not_fail(body):
    assert keyword(body) is None


@given(st.text(max_size=2000), st.booleans())
def test_any_body_gives_a_kind_or_none(body, opted_out):
    assert keyword(body, opted_out=opted_out) in KINDS + (None,)


@given(st.sampled_from(sorted(DEFAULT_KEYWORDS)), st.sampled_from(["", " ", ".", "!", "\n", "..."]),
       st.sampled_from(["", " ", ".", "!", "?", "\r\n"]))
def test_every_default_keyword_survives_case_spaces_and_punctuation(word, before, after):
    expected = DEFAULT_KEYWORDS[word]
    for variant in (word, word.upper(), word.title()):
        assert keyword(before + variant + after, opted_out=True) == expected
