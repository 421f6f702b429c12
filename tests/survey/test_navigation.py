"""Which screens a respondent sees and the progress shown on them: pure functions of the instrument
and the answers, tested without Flask or a database."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.instruments import Instrument, Item, load_catalogue, load_instrument
from feedback.instruments.loader import build_instrument
from feedback.survey import navigation
from feedback.survey.navigation import Progress, Screen, Shown

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLD = load_instrument(ROOT / "tests/fixtures/questionnaires/household/v1.yaml")
SHIPPED = load_catalogue(ROOT / "questionnaires")
#: Every shipped version (each is answered by somebody until its last link expires) and the test instrument.
INSTRUMENTS = [HOUSEHOLD, *SHIPPED]


def ids(pages):
    return [page.id for page in pages]


def test_each_question_is_a_screen_of_its_own_unless_its_page_is_together():
    addresses = [screen.address for screen in navigation.screens(HOUSEHOLD)]
    assert addresses == ["q/has_children", "q/adults", "q/children_count", "q/school", "q/f1", "q/f2", "q/f3",
                         "q/rating", "q/moved_in", "q/postcode", "q/comments"]
    together = build_instrument({**HOUSEHOLD.raw, "pages": [
        {**page, "together": True} if page["id"] == "feelings" else page for page in HOUSEHOLD.raw["pages"]]}, "x")
    addresses = [screen.address for screen in navigation.screens(together)]
    assert addresses[4:6] == ["p/feelings", "q/rating"]
    feelings = navigation.screen_at(together, "p/feelings")
    assert [item.id for item in feelings.items] == ["f1", "f2", "f3"] and feelings.together
    assert navigation.screen_at(together, "q/f1") is None  # no screen of its own on a together page


def test_a_page_whose_items_are_all_hidden_is_skipped():
    assert ids(navigation.visible_pages(HOUSEHOLD, {"has_children": 0})) == ["about", "feelings", "more"]
    assert ids(navigation.visible_pages(HOUSEHOLD, {"has_children": 1})) == ["about", "children", "feelings", "more"]
    adults = navigation.screen_at(HOUSEHOLD, "q/adults")
    assert navigation.next_screen(HOUSEHOLD, {"has_children": 0}, adults).address == "q/f1"
    assert navigation.next_screen(HOUSEHOLD, {"has_children": 1}, adults).address == "q/children_count"
    f1 = navigation.screen_at(HOUSEHOLD, "q/f1")
    assert navigation.previous_screen(HOUSEHOLD, {"has_children": 0}, f1).address == "q/adults"


def test_answers_left_behind_by_hidden_items_do_not_count():
    effective = navigation.effective_answers(HOUSEHOLD, {"has_children": 0, "children_count": 3, "f1": 2})
    assert effective == {"has_children": 0, "f1": 2}


def test_resume_goes_to_the_screen_after_the_last_one_answered():
    assert navigation.resume_screen(HOUSEHOLD, {}).address == "q/has_children"
    answers = {"has_children": 1, "adults": 2, "children_count": 1}
    assert navigation.resume_screen(HOUSEHOLD, answers).address == "q/school"
    everything = {**answers, "school": [1], "f1": 1, "f2": 1, "f3": 1, "rating": 3, "comments": "Fine"}
    assert navigation.resume_screen(HOUSEHOLD, everything) is None  # time to check the answers


def test_required_visible_items_left_unanswered_are_listed_in_page_order():
    gaps = navigation.unanswered_required(HOUSEHOLD, {"has_children": 0, "adults": 1})
    assert [item.id for _page, item in gaps] == ["f1", "f2", "rating"]


def test_after_a_change_the_questions_it_opened_come_next():
    has_children = navigation.screen_at(HOUSEHOLD, "q/has_children")
    opened = navigation.next_opened_screen(HOUSEHOLD, {"has_children": 1, "adults": 2, "f1": 1}, has_children)
    assert opened.address == "q/children_count"
    assert navigation.next_opened_screen(HOUSEHOLD, {"has_children": 0, "adults": 2}, has_children) is None


def test_progress_counts_the_questions_that_can_still_apply():
    first = navigation.screen_at(HOUSEHOLD, "q/has_children")
    adults = navigation.screen_at(HOUSEHOLD, "q/adults")
    assert navigation.progress(HOUSEHOLD, {}, first) == Progress(1, 1, 11, approximate=True)
    assert navigation.progress(HOUSEHOLD, {"has_children": 1}, adults) == Progress(2, 2, 11, approximate=False)
    assert navigation.progress(HOUSEHOLD, {"has_children": 0}, adults) == Progress(2, 2, 9, approximate=False)
    together = build_instrument({**HOUSEHOLD.raw, "pages": [
        {**page, "together": True} if page["id"] == "feelings" else page for page in HOUSEHOLD.raw["pages"]]}, "x")
    feelings = navigation.screen_at(together, "p/feelings")
    assert navigation.progress(together, {"has_children": 0, "adults": 1}, feelings) == Progress(3, 5, 9, False)


# -- walking forward through any instrument, whatever the answers -------------------------------------

@dataclass
class Step:
    screen: Screen
    progress: Progress
    may_apply: set[str]
    asked: tuple[Item, ...]


def answer_strategy(item: Item):
    """What a respondent may give: any offered answer, or nothing when the question is optional."""
    if item.type == "multiple_choice":
        given_ = st.lists(st.sampled_from([choice.code for choice in item.choices]), min_size=1, unique=True)
    elif item.type == "number":
        given_ = st.integers(int(item.minimum), int(item.maximum))
    elif item.type == "date":
        given_ = st.just("2024-03-27")
    elif item.type in ("text", "long_text"):
        given_ = st.just("Some words")
    else:
        given_ = st.sampled_from([choice.code for choice in item.all_choices])
    return given_ if item.required else st.one_of(st.none(), given_)


def walk(instrument: Instrument, draw) -> list[Step]:
    """Answer screen after screen, as the web flow goes forward, recording what each screen showed."""
    answers: dict = {}
    shown = navigation.visible_screens(instrument, answers)
    screen = shown[0] if shown else None
    steps = []
    while screen is not None:
        may_apply = {item_id for item_id, state in navigation.shown_from(instrument, answers, screen).items()
                     if state is not Shown.NO}
        asked = screen.visible_items(navigation.effective_answers(instrument, answers))
        steps.append(Step(screen, navigation.progress(instrument, answers, screen), may_apply, asked))
        for item in asked:
            value = draw(answer_strategy(item))
            if value is None:
                answers.pop(item.id, None)
            else:
                answers[item.id] = value
        screen = navigation.next_screen(instrument, answers, screen)
        assert len(steps) <= len(instrument.items)
    return steps


def depends_on(instrument: Instrument, item_id: str, roots: set[str]) -> bool:
    """Whether the item's conditions lead, directly or through other conditions, to one of ``roots``."""
    targets = {condition.item_id for condition in instrument.item(item_id).conditions}
    return bool(targets & roots) or any(depends_on(instrument, target, roots) for target in targets)


def check_progress(instrument: Instrument, steps: list[Step]) -> None:
    assert steps, "every instrument has a first screen"
    assert steps[0].progress.number == 1
    for step in steps:
        progress = step.progress
        assert progress.last - progress.number + 1 == len(step.asked)
        assert progress.number <= progress.last <= progress.total == len(step.may_apply)
    for before, after in zip(steps, steps[1:]):
        # Never backwards, never a jump: the next screen starts right after this one's questions.
        assert after.progress.number == before.progress.last + 1
        # A branch that opens was already counted: going forward, nothing is ever added ...
        assert after.may_apply <= before.may_apply
        removed = before.may_apply - after.may_apply
        # ... and the total drops by exactly the questions that the answers on this screen ruled out.
        assert before.progress.total - after.progress.total == len(removed)
        roots = {item.id for item in before.screen.items}
        assert all(depends_on(instrument, item_id, roots) for item_id in removed), removed
    # On the last screen, any question still counted after it waits on this screen's answers.
    final = steps[-1]
    positions = {item.id: index for index, item in enumerate(instrument.items)}
    waiting = {item_id for item_id in final.may_apply if positions[item_id] > final.screen.end}
    assert final.progress.total - final.progress.last == len(waiting)
    assert all(depends_on(instrument, item_id, {item.id for item in final.screen.items}) for item_id in waiting)
    assert final.progress.approximate == bool(waiting)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda instrument: f"{instrument.id}-v{instrument.version}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_progress_never_goes_back_and_its_total_moves_only_by_a_branch(instrument, data):
    check_progress(instrument, walk(instrument, data.draw))


@st.composite
def branching_instruments(draw) -> Instrument:
    """Small instruments with conditions chained across pages, some pages `together`."""
    earlier: list[str] = []
    pages = []
    for page_number in range(draw(st.integers(1, 6))):
        items = []
        for item_number in range(draw(st.integers(1, 3))):
            item = {"id": f"i{page_number}_{item_number}", "text": f"Question {page_number}.{item_number}",
                    "type": draw(st.sampled_from(["yes_no", "single_choice"])),
                    "required": draw(st.booleans())}
            if item["type"] == "single_choice":
                item["choices"] = [{"code": code, "label": f"Answer {code}"} for code in (1, 2, 3)]
            if earlier and draw(st.booleans()):
                target = draw(st.sampled_from(earlier))
                operator = draw(st.sampled_from(["equals", "in", "not_in"]))
                item["show_if"] = {"item": target, operator: 1 if operator == "equals" else [1]}
            items.append(item)
        earlier.extend(item["id"] for item in items)
        pages.append({"id": f"p{page_number}", "together": draw(st.booleans()), "items": items})
    return build_instrument({"id": "branching", "version": 1, "languages": ["en"], "title": "Branching",
                             "respondents": [{"role": "parent_carer"}], "modes": ["web"], "pages": pages}, "branching")


@settings(max_examples=200, deadline=None)
@given(instrument=branching_instruments(), data=st.data())
def test_progress_holds_for_any_chain_of_branches(instrument, data):
    check_progress(instrument, walk(instrument, data.draw))
