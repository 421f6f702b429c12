"""Which pages a respondent sees: pure functions of the instrument and the answers."""
from pathlib import Path

from feedback.instruments import load_instrument
from feedback.survey import navigation

HOUSEHOLD = load_instrument(Path(__file__).resolve().parents[1] / "fixtures/questionnaires/household/v1.yaml")


def ids(pages):
    return [page.id for page in pages]


def test_a_page_whose_items_are_all_hidden_is_skipped():
    assert ids(navigation.visible_pages(HOUSEHOLD, {"has_children": 0})) == ["about", "feelings", "more"]
    assert ids(navigation.visible_pages(HOUSEHOLD, {"has_children": 1})) == ["about", "children", "feelings", "more"]


def test_answers_left_behind_by_hidden_items_do_not_count():
    effective = navigation.effective_answers(HOUSEHOLD, {"has_children": 0, "children_count": 3, "f1": 2})
    assert effective == {"has_children": 0, "f1": 2}


def test_resume_goes_to_the_first_page_with_something_unanswered():
    answers = {"has_children": 1, "adults": 2, "children_count": 1}
    assert navigation.resume_page(HOUSEHOLD, answers).id == "children"  # school is still unanswered
    assert navigation.next_page(HOUSEHOLD, answers, "children").id == "feelings"


def test_required_visible_items_left_unanswered_are_listed_in_page_order():
    gaps = navigation.unanswered_required(HOUSEHOLD, {"has_children": 0, "adults": 1})
    assert [item.id for _page, item in gaps] == ["f1", "f2", "rating"]
