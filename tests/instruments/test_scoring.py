"""Scoring rules, stated as properties that must hold for any answers."""
from hypothesis import given
from hypothesis import strategies as st

from feedback.instruments.definition import Band, Cutoff, Scale, Text
from feedback.instruments.scoring import required_answers, reverse, score_scale

LABEL = Text({"en": "x"})


def scale(n=12, method="mean", reversed_items=(), min_answered=0.6, low=1, high=4, cutoff=None, bands=()):
    items = tuple(f"i{k}" for k in range(n))
    return Scale("s", LABEL, items, method, frozenset(reversed_items), min_answered, low, high, cutoff, bands)


answers_1_to_4 = st.dictionaries(st.sampled_from([f"i{k}" for k in range(12)]),
                                 st.one_of(st.integers(1, 4), st.just(-9), st.none()))


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-50, 50))
def test_reversing_twice_is_identity(value, low, high):
    assert reverse(reverse(value, low, high), low, high) == value


@given(answers_1_to_4, st.sets(st.sampled_from([f"i{k}" for k in range(12)])))
def test_a_mean_score_is_never_outside_the_item_range(answers, reversed_items):
    result = score_scale(scale(reversed_items=reversed_items), answers)
    assert result.value is None or 1 <= result.value <= 4


@given(answers_1_to_4)
def test_a_sum_score_is_never_outside_items_times_range(answers):
    result = score_scale(scale(method="sum"), answers)
    assert result.value is None or 12 <= result.value <= 48


@given(answers_1_to_4)
def test_too_few_answers_gives_no_score_never_zero(answers):
    result = score_scale(scale(), answers)
    counted = sum(1 for value in answers.values() if value in (1, 2, 3, 4))
    assert result.answered == counted
    if counted < 8:  # 60% of 12 items
        assert result.value is None and result.flagged is None and result.band is None
    else:
        assert result.value is not None and result.value != 0


def test_sixty_percent_of_twelve_needs_eight_and_of_ten_needs_six():
    assert required_answers(scale(n=12)) == 8
    assert required_answers(scale(n=10)) == 6


def test_reverse_items_are_mirrored_and_missing_codes_ignored():
    rule = scale(n=3, reversed_items={"i1"}, min_answered=0.6)
    # i0 = 1, i1 = 1 reversed to 4, i2 prefer-not-to-say: mean of 1 and 4
    assert score_scale(rule, {"i0": 1, "i1": 1, "i2": -9}).value == 2.5


def test_cutoff_and_bands_are_applied_to_the_score():
    rule = scale(n=2, min_answered=1.0, cutoff=Cutoff(2.0, "at_or_above", LABEL),
                 bands=(Band("healthy", 1, 1.99, LABEL), Band("unhealthy", 2, 4, LABEL)))
    below = score_scale(rule, {"i0": 1, "i1": 2})
    at = score_scale(rule, {"i0": 2, "i1": 2})
    assert (below.value, below.flagged, below.band) == (1.5, False, "healthy")
    assert (at.value, at.flagged, at.band) == (2.0, True, "unhealthy")


@given(st.lists(st.integers(1, 4), min_size=12, max_size=12))
def test_a_prorated_sum_equals_the_plain_sum_when_every_item_is_answered(values):
    answers = {f"i{k}": value for k, value in enumerate(values)}
    assert score_scale(scale(method="sum"), answers).value == sum(values)
