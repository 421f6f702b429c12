"""The instruments the project ships load cleanly and carry what services rely on."""
from pathlib import Path

import pytest

from feedback.instruments import load_catalogue, score_instrument

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("exit-interview", "follow-up", "partner-survey", "family-functioning", "family-star",
           "practitioner-assessment")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(ROOT / "questionnaires")


def test_every_shipped_file_is_valid(catalogue):
    assert catalogue.problems == []


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_each_instrument_is_in_english_and_welsh_with_a_source_note(catalogue, instrument_id):
    instrument = catalogue.latest(instrument_id)
    assert set(instrument.languages) >= {"en", "cy"}
    assert "original" in instrument.source.lower()
    for item in instrument.items:
        assert item.text.get("cy") != item.text.get("en") or len(item.text.get("en")) < 12, item.id


def test_follow_up_works_by_web_sms_and_interview_and_asks_about_each_outcome_area(catalogue):
    follow_up = catalogue.latest("follow-up")
    assert set(follow_up.modes) == {"web", "sms", "interview"}
    ids = {item.id for item in follow_up.items}
    for area in ("behaviour", "school_attendance", "family_relationships", "confidence", "work_training",
                 "home_conditions", "health", "feeling_safe"):
        assert f"outcome_{area}" in ids
    assert {"children_at_home", "new_problems", "other_services", "contact_request"} <= ids


def test_family_functioning_scores_a_mean_from_sixty_percent_with_half_reversed_and_flags_at_two(catalogue):
    instrument = catalogue.latest("family-functioning")
    [scale] = instrument.scales
    assert scale.method == "mean" and scale.min_answered == 0.6 and (scale.low, scale.high) == (1, 4)
    assert len(scale.items) == 12 and len(scale.reverse) == 6
    assert scale.cutoff.value == 2.0 and scale.cutoff.direction == "at_or_above"
    assert any(respondent.min_age == 8 for respondent in instrument.respondents)
    healthy = {item: (1 if item not in scale.reverse else 4) for item in scale.items}
    assert score_instrument(instrument, healthy)[0].value == 1.0
    seven = dict(list(healthy.items())[:7])
    assert score_instrument(instrument, seven)[0].value is None  # 7 of 12 is under 60%


def test_family_star_keeps_parent_and_practitioner_readings_on_one_record(catalogue):
    star = catalogue.latest("family-star")
    ids = {item.id for item in star.items}
    for domain in ("health", "emotional", "safety", "community", "learning", "boundaries", "work", "home_money"):
        assert {f"{domain}_parent", f"{domain}_practitioner"} <= ids
        assert star.item(f"{domain}_parent").type == "scale"
        assert (star.item(f"{domain}_parent").minimum, star.item(f"{domain}_parent").maximum) == (1, 10)


def test_practitioner_assessment_codes_level_of_need_and_risks_as_the_reports_expect(catalogue):
    assessment = catalogue.latest("practitioner-assessment")
    need = assessment.item("level_of_need")
    assert [choice.code for choice in need.choices] == [1, 2, 3, 4]
    risks = [item for item in assessment.items if item.id.startswith("risk_")]
    assert len(risks) == 11
    assert all([choice.code for choice in item.choices] == [0, 1, 2, 3] for item in risks)
    assert len([item for item in assessment.items if item.id.startswith("resilience_")]) == 12
    assert assessment.item("escalation_reason").conditions


def test_exit_interview_asks_for_an_overall_rating_from_one_to_five(catalogue):
    rating = catalogue.latest("exit-interview").item("overall_rating")
    assert (rating.minimum, rating.maximum) == (1, 5)
